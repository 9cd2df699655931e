"""``tumorsim simulate`` writes a results directory; ``tumorsim rules`` prints the mechanisms.

Simulations run in-process through typer's ``CliRunner`` (the numba kernel compiles once
per process); one test runs ``python -m tumorsim simulate`` in a subprocess to cover the
real entry point, and one checks that the command line starts without importing numba.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_helpers import Outcome, assert_one_line_error, run_cli, run_python

from tumorsim import simulate
from tumorsim.io import load_default_scenario, load_results, save_results


@pytest.fixture(scope="module")
def seed7_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcome]:
    out = tmp_path_factory.mktemp("cli") / "seed7"
    return out, run_cli("simulate", "--patients", "300", "--out", out, "--seed", "7")


def test_simulate_writes_a_results_directory(seed7_run: tuple[Path, Outcome]) -> None:
    out, outcome = seed7_run
    assert outcome.returncode == 0, outcome
    result = load_results(out)
    assert len(result.patients) == 300
    assert result.seed == 7
    # The options are recorded in the saved scenario, so the run can be repeated from it.
    assert result.scenario.cohort.patients == 300
    assert result.scenario.cohort.seed == 7
    assert result.scenario.name == "default"
    assert result.trajectories is None  # the default scenario records no trajectories
    # The summary names the cohort, the endpoints and where the files went.
    for text in (
        "patients",
        "300",
        "patients/s",
        "any relapse",
        "distant relapse",
        "death",
        "median first-event time",
        "first-event site",
        "patients.parquet",
    ):
        assert text in outcome.stdout, text
    # The progress bar ends at the full count.
    assert "300/300" in outcome.stderr


def test_same_seed_gives_identical_patients(
    seed7_run: tuple[Path, Outcome], tmp_path: Path
) -> None:
    first, _ = seed7_run
    again = run_cli(
        "simulate",
        "--patients",
        "300",
        "--out",
        tmp_path / "again",
        "--seed",
        "7",
        "--chunk-size",
        "64",
    )
    assert again.returncode == 0, again
    pd.testing.assert_frame_equal(
        load_results(tmp_path / "again").patients, load_results(first).patients
    )
    other = run_cli("simulate", "--patients", "300", "--out", tmp_path / "other", "--seed", "8")
    assert other.returncode == 0, other
    assert not load_results(tmp_path / "other").patients.equals(load_results(first).patients)


def test_real_cli_simulate_with_trajectories_and_one_thread(
    seed7_run: tuple[Path, Outcome], tmp_path: Path
) -> None:
    first, _ = seed7_run
    out = tmp_path / "real"
    done = run_python(
        "-m",
        "tumorsim",
        "simulate",
        "--patients",
        "300",
        "--seed",
        "7",
        "--out",
        str(out),
        "--threads",
        "1",
        "--trajectories",
        "2",
    )
    assert done.returncode == 0, done
    result = load_results(out)
    assert result.trajectories is not None
    assert result.trajectories["patient_id"].nunique() == 2
    # Thread count and trajectory recording do not change the patients' numbers.
    pd.testing.assert_frame_equal(result.patients, load_results(first).patients)


def test_streamed_results_are_those_save_results_writes(tmp_path: Path) -> None:
    """The results written chunk by chunk are the files save_results(simulate(...)) gives."""
    out = tmp_path / "streamed"
    outcome = run_cli("simulate", "--patients", "300", "--seed", "7", "--trajectories", "5",
                      "--chunk-size", "64", "--out", out)
    assert outcome.returncode == 0, outcome
    scenario = load_default_scenario().with_changes(
        cohort={"patients": 300, "seed": 7, "trajectory_patients": 5})
    from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, load_ensemble

    # the command's default biology is the packaged ensemble
    saved = save_results(simulate(scenario, ensemble=load_ensemble(DEFAULT_ENSEMBLE)),
                         tmp_path / "saved")
    names = ["patients.parquet", "site_environment.parquet", "trajectories.parquet"]
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(out / name),
                                      pd.read_parquet(saved / name))
        streamed_meta = pq.read_schema(out / name).metadata
        saved_meta = pq.read_schema(saved / name).metadata
        for key in (b"tumorsim.scenario", b"tumorsim.seed", b"tumorsim.version",
                    b"tumorsim.format_version", b"tumorsim.table"):
            assert streamed_meta[key] == saved_meta[key], key
    assert pq.ParquetFile(out / "patients.parquet").num_row_groups == 5  # 4 x 64 + 44
    # the summary is the one the whole table gives (it reads back only a few columns)
    assert "300/300" in outcome.stderr
    patients = load_results(saved).patients
    sites = patients["first_event_site"].value_counts(sort=False)
    assert ", ".join(f"{site} {count:,}" for site, count in sites.items()) in outcome.stdout
    assert f"({int(patients['os_event'].sum()):,} patients)" in outcome.stdout


def test_simulate_replaces_previous_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert run_cli("simulate", "--patients", "40", "--seed", "1", "--out", out).returncode == 0
    assert run_cli("simulate", "--patients", "30", "--seed", "1", "--out", out).returncode == 0
    assert len(load_results(out).patients) == 30


def test_simulate_with_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text('name = "small"\n[cohort]\npatients = 25\nhorizon_years = 2.0\n')
    outcome = run_cli("simulate", scenario, "--out", tmp_path / "run")
    assert outcome.returncode == 0, outcome
    result = load_results(tmp_path / "run")
    assert len(result.patients) == 25
    assert result.scenario.name == "small"
    assert result.scenario.cohort.horizon_years == 2.0


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--patients", "0", "must be >= 1"),
        ("--seed", "-1", "must be >= 0"),
        ("--threads", "0", "must be >= 1"),
        ("--chunk-size", "0", "must be >= 1"),
        ("--trajectories", "-3", "must be >= 0"),
    ],
)
def test_out_of_range_options_give_one_line(
    option: str, value: str, allowed: str, tmp_path: Path
) -> None:
    outcome = run_cli("simulate", "--patients", "10", option, value, "--out", tmp_path / "run")
    assert_one_line_error(outcome, f"{option} = {value}: {allowed}")
    assert not (tmp_path / "run").exists()


def test_out_holding_other_files_is_refused_before_simulating(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("keep me")
    outcome = run_cli("simulate", "--patients", "10", "--out", tmp_path)
    assert_one_line_error(outcome, str(tmp_path), "mine.csv", "holds files tumorsim did not write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.csv"]


def test_simulate_missing_scenario_file(tmp_path: Path) -> None:
    outcome = run_cli("simulate", tmp_path / "nope.toml", "--out", tmp_path / "run")
    assert_one_line_error(outcome, "nope.toml", "file not found")


# --- rules ----------------------------------------------------------------------------------------


def test_rules_prints_the_three_mechanisms() -> None:
    outcome = run_cli("rules")
    assert outcome.returncode == 0, outcome
    lines = outcome.stdout.splitlines()
    for mechanism in ("M1:", "M2:", "M3:"):
        heading = [i for i, line in enumerate(lines) if line.startswith(mechanism)]
        assert len(heading) == 1, mechanism
        assert lines[heading[0] + 1].startswith("  - "), mechanism
    # The built-in default scenario treats with tamoxifen.
    assert "tamoxifen" in outcome.stdout.lower()


def test_rules_follow_the_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("[parameters]\npr_loss_max_per_day = 0.05\n")
    outcome = run_cli("rules", scenario)
    assert outcome.returncode == 0, outcome
    assert "h_max = 0.05/day" in outcome.stdout


def test_rules_bad_scenario_gives_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text("[cohort]\npatients = 0\n")
    assert_one_line_error(run_cli("rules", scenario), "bad.toml", "cohort.patients")


# --- start-up ------------------------------------------------------------------------------------


def test_command_line_starts_without_the_engine() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import tumorsim\n"
        "from tumorsim.cli import app\n"
        "for args in (['--help'], ['params'], ['simulate', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "heavy = sorted(m for m in ('numba', 'pandas', 'pyarrow') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "assert tumorsim.simulate.__module__ == 'tumorsim.runner.simulate'\n"
        "assert 'numba' in sys.modules\n"
        "assert {'Cohort', 'Scenario', 'SimulationResult', 'simulate'} <= set(dir(tumorsim))\n"
    )
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
