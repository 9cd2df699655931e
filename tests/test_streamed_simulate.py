"""``tumorsim simulate`` in memory bounded by the chunk: chunks sampled and prepared on
their own, written as they finish, summarised from the file in bounded passes.

The memory test measures the command's Python-side peak (``tracemalloc``: every numpy
and pandas buffer, not pyarrow's own pool) at N and 4N patients; the path that sampled
and prepared the whole cohort up front grew by about 270 bytes per patient there.
"""

from __future__ import annotations

import errno
import tracemalloc
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import Outcome, assert_one_line_error, run_cli

from tumorsim import Scenario
from tumorsim.cohort.population import Cohort
from tumorsim.engine.simulate import (
    prepare_model,
    prepare_patients,
    prepare_run,
    recorded_positions,
)
from tumorsim.io import load_results
from tumorsim.io.checkpoint import checkpoint_dir
from tumorsim.io.results_file import read_summary_counts
from tumorsim.model.ensemble import Ensemble
from tumorsim.results import SummaryCounts, simulation_summary
from tumorsim.runner.simulate import ChunkedRun

SCENARIO = Scenario(biology="registry", treatment={"tamoxifen": {}},
                    cohort={"trajectory_patients": 7, "horizon_years": 10.0})

QUICK_SCENARIO = """name = "quick"
[cohort]
horizon_years = 0.25
[numerics]
untreated_step_days = 30.0
treated_step_days = 7.0
"""
"""A scenario that simulates fast (a short horizon, long steps): the memory test needs
many patients, not realistic ones."""


def _summary_lines(stdout: str) -> list[str]:
    """The printed summary without the lines that differ between runs (time, path)."""
    return [line for line in stdout.splitlines()
            if "wall time" not in line and "written" not in line]


# --- chunks prepared on their own are the whole run's ----------------------------------------


def test_a_chunk_prepared_on_its_own_is_that_part_of_the_whole_run() -> None:
    """Parameters, draws, arms and recorded patients do not depend on the chunking."""
    n = 1_003
    ensemble = Ensemble(pd.DataFrame({"dissemination_coefficient": [2e-10, 2e-9, 2e-8]}),
                        "three")
    draws = ensemble.scenarios(SCENARIO)
    cohort = Cohort.sample(SCENARIO.population, n, seed=9)
    plans = np.arange(n) % 2
    whole = prepare_run([SCENARIO, SCENARIO], plans, cohort, seed=9, arm_names=["a", "b"],
                        draws=draws)
    model = prepare_model([SCENARIO, SCENARIO], n_patients=n, seed=9, arm_names=["a", "b"],
                          draws=draws)
    bounds = [(0, 1), (1, 64), (64, 500), (500, 1_003)]
    parts = [prepare_patients(model, Cohort.sample(SCENARIO.population, stop - start, 9,
                                                   first_id=start),
                              plans[start:stop], first_position=start)
             for start, stop in bounds]
    pd.testing.assert_frame_equal(
        pd.concat([p.cohort.covariates for p in parts], ignore_index=True),
        whole.cohort.covariates, check_exact=True)
    for name in ("plan_of_patient", "arm_labels", "trajectory_slot", "draw_of_patient"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, name) for p in parts]),
                                      getattr(whole, name))
    for field in fields(whole.parameters):
        joined = np.concatenate([getattr(p.parameters, field.name) for p in parts])
        assert joined.tobytes() == getattr(whole.parameters, field.name).tobytes(), field.name
    assert all(p.records_trajectories for p in parts)
    assert (whole.trajectory_slot >= 0).sum() == 7


def test_the_recorded_patients_are_numpys_choice_without_an_array_of_the_cohort() -> None:
    n = 100_000_000
    tracemalloc.start()
    try:
        positions = recorded_positions(n, 1_000, seed=5)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = np.sort(np.random.default_rng(5).choice(n, size=1_000, replace=False))
    np.testing.assert_array_equal(positions, expected)
    assert peak_bytes < 1_000_000  # one int64 per patient would be 800 MB


def test_a_chunk_of_a_run_of_100_million_needs_memory_for_that_chunk_only() -> None:
    """The last 20 women of a 100-million cohort: sampled, prepared and simulated alone."""
    n = 100_000_000
    scenario = SCENARIO.with_changes(cohort={"trajectory_patients": 50})
    run = ChunkedRun.sampled(scenario, seed=3, patients=n)
    run.simulate(0, 5)  # compiled before measuring
    tracemalloc.start()
    try:
        part = run.simulate(n - 20, n)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert part.patients["patient_id"].tolist() == list(range(n - 20, n))
    assert peak_bytes < 50_000_000  # the whole cohort's covariates alone would be 6.4 GB
    alone = Cohort.sample(scenario.population, 20, 3, first_id=n - 20).covariates
    pd.testing.assert_frame_equal(part.patients[alone.columns], alone, check_exact=True)


# --- the streamed command ----------------------------------------------------------------------


def test_streamed_results_and_summary_do_not_depend_on_the_chunk_size(tmp_path: Path) -> None:
    """8,000 patients in chunks of 1,000 and of 7,000: the same files and the same
    summary, the one the whole table in memory gives."""
    outcomes = {}
    for chunk in (1_000, 7_000):
        outcome = run_cli("simulate", "--patients", "8000", "--seed", "11", "--trajectories",
                          "4", "--chunk-size", str(chunk), "--out", tmp_path / f"c{chunk}")
        assert outcome.returncode == 0, outcome
        outcomes[chunk] = outcome
    small, large = load_results(tmp_path / "c1000"), load_results(tmp_path / "c7000")
    for name in ("patients", "trajectories", "site_environment"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(large, name),
                                      check_exact=True)
    assert small.trajectories is not None and small.trajectories["patient_id"].nunique() == 4
    assert _summary_lines(outcomes[1_000].stdout) == _summary_lines(outcomes[7_000].stdout)
    for what, value in small.summary().rows:
        assert f"{what}" in outcomes[1_000].stdout and f"{value}" in outcomes[1_000].stdout


def test_streamed_command_peak_memory_does_not_grow_with_patients(tmp_path: Path) -> None:
    """Python-side peak of the whole command (simulate, write, summary) at N and 4N.

    A warm-up of many small chunks first fills the libraries' bounded caches (urllib's
    128 parsed paths, numba's dispatch caches), which otherwise grow with the first
    chunks of a session. The old path, which sampled and prepared the whole cohort and
    read the summary columns whole, grew by about 270 bytes per patient here (6.5 MB from
    8,000 to 32,000 patients); the bound is one 8-byte number per extra patient, and the
    streamed command stays within +-0.1 MB (a rich refresh thread allocates meanwhile; once,
    in a clean-clone run, 0.4 MB, hence the smaller of two runs at each size).
    """
    scenario = tmp_path / "quick.toml"
    scenario.write_text(QUICK_SCENARIO)

    def peak_bytes(patients: int, chunk: int, name: str) -> int:
        tracemalloc.start()
        try:
            outcome = run_cli("simulate", scenario, "--patients", str(patients), "--seed", "3",
                              "--trajectories", "3", "--chunk-size", str(chunk),
                              "--out", tmp_path / name)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert outcome.returncode == 0, outcome
        return peak

    peak_bytes(300, 5, "warm-up")  # 60 chunks
    n = 10_000
    # the smaller of two runs at each size: what another thread allocates now and then
    # (a refresh, a cache) can only raise a peak, while growth with patients raises both
    peak_n = min(peak_bytes(n, 1_000, f"n{k}") for k in range(2))
    peak_4n = min(peak_bytes(4 * n, 1_000, f"4n{k}") for k in range(2))
    assert peak_4n - peak_n < 8 * 3 * n, (peak_n, peak_4n)


# --- the summary from the file -----------------------------------------------------------------


def test_summary_read_from_the_file_in_small_batches_is_the_in_memory_one(
        tmp_path: Path) -> None:
    out = tmp_path / "run"
    outcome = run_cli("simulate", "--patients", "1500", "--seed", "4", "--chunk-size", "400",
                      "--out", out)
    assert outcome.returncode == 0, outcome
    result = load_results(out)
    whole = SummaryCounts.from_frame(result.patients)
    for batch_rows in (1, 7, 400, 5_000):
        assert read_summary_counts(out, batch_rows=batch_rows) == whole
    assert whole.patients == 1500 and whole.first_events > 100
    streamed = simulation_summary(read_summary_counts(out, batch_rows=7),
                                  scenario=result.scenario, seed=result.seed)
    assert streamed == result.summary()


@pytest.mark.parametrize("kind", ["spread", "ties", "zeros", "one", "none", "signed"])
@pytest.mark.parametrize("size", [1, 2, 301, 1000])
def test_median_in_bounded_passes_is_pandas_median(kind: str, size: int) -> None:
    """Exact: the radix selection gives the number ``Series.median`` gives, bit for bit."""
    rng = np.random.default_rng(size)
    days = {
        "spread": rng.exponential(900.0, size),
        "ties": np.round(rng.exponential(900.0, size)),
        "zeros": np.where(rng.random(size) < 0.6, 0.0, rng.exponential(900.0, size)),
        "one": np.full(size, 365.25),
        "none": np.full(size, np.nan),
        "signed": rng.normal(0.0, 1e-300, size),
    }[kind]
    days[rng.random(size) < 0.3] = np.nan
    frame = pd.DataFrame({
        "rfs_event": ~np.isnan(days), "dmfs_event": ~np.isnan(days),
        "os_event": np.zeros(size, bool), "first_event_days": days,
        "first_event_site": pd.Categorical(np.where(np.isnan(days), None, "bone"),
                                           categories=["breast", "bone"]),
    })

    def batches(columns, rows=3):
        for start in range(0, size, rows):
            yield frame[list(columns)].iloc[start:start + rows]

    counts = SummaryCounts.from_batches(batches, max_held=2)
    with warnings.catch_warnings():  # pandas warns on the median of no values
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = frame["first_event_days"].median()
    assert repr(counts.median_first_event_days) == repr(float(expected))
    assert counts.first_events == int(frame["first_event_days"].notna().sum())
    assert counts.first_event_sites == (("breast", 0), ("bone", counts.first_events))


# --- errors: one line --------------------------------------------------------------------------


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _without_progress(outcome: Outcome) -> Outcome:
    """The outcome without the progress bar a run stopped midway leaves on stderr."""
    lines = [line for line in outcome.stderr.splitlines() if not line.startswith("simulating")]
    return Outcome(outcome.returncode, outcome.stdout, "\n".join(lines))


def test_disk_full_while_writing_the_checkpoint_is_one_line_and_keeps_the_chunks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tumorsim.io.checkpoint as checkpoint

    real_write_chunk = checkpoint.write_chunk
    written: list[int] = []

    def fill_up(path: Path, k: int, part: object) -> None:
        if k == 2:
            monkeypatch.setattr(pd.DataFrame, "to_parquet", _disk_full)
        real_write_chunk(path, k, part)  # type: ignore[arg-type]
        written.append(k)

    monkeypatch.setattr("tumorsim.runner.directory.write_chunk", fill_up)
    out = tmp_path / "run"
    outcome = run_cli("simulate", "--patients", "500", "--chunk-size", "100", "--out", out)
    assert_one_line_error(_without_progress(outcome),
                          "cannot write the checkpoint: No space left on device", "--resume")
    assert written == [0, 1]
    assert sorted(p.name for p in checkpoint_dir(out).glob("chunk-*")) == [
        "chunk-000000", "chunk-000001"]
    assert not out.exists()


def test_disk_full_while_writing_the_results_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tumorsim.io.results_file._ParquetFile.append", _disk_full)
    out = tmp_path / "run"
    outcome = run_cli("simulate", "--patients", "50", "--out", out)
    assert_one_line_error(_without_progress(outcome),
                          "cannot write results: No space left on device")
    assert not out.exists()


@pytest.mark.parametrize("value", ["100000001", "1000000000000000000000"])
def test_absurd_cohort_sizes_are_one_line_before_anything_is_simulated(
        tmp_path: Path, value: str) -> None:
    outcome = run_cli("simulate", "--patients", value, "--out", tmp_path / "run")
    assert_one_line_error(outcome, f"--patients = {value}", "must be <= 100000000")
    assert list(tmp_path.iterdir()) == []
