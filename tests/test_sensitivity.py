"""Global sensitivity analysis (tumorsim.sensitivity, ``tumorsim sensitivity``).

SALib is exercised through the package's API with cheap Python model functions whose
indices are known; the simulation path runs once on a tiny trial (seconds). Bad input
must give one line on stderr, exit status 2 and no files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import assert_one_line_error, run_cli

from tumorsim import sensitivity
from tumorsim.errors import AnalysisError
from tumorsim.sensitivity.problem import DUMMY_FACTOR, define_problem

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CXCR2 = EXAMPLES / "trial_cxcr2.toml"
HR_LUNG = "hr:distant_lung:AC_T_CXCR2i/AC_T"

# Three factors with linear [0, 1] or log ranges; the toy outputs read only some of them.
ONE = "cxcl_high_prevalence"  # [0, 1], linear
OTHERS = ["myeloid_chemo_protection", "cxcl_reference_cells"]  # [0, 1]; log 1..1e13


def only_one(values: pd.DataFrame, seed: int) -> pd.DataFrame:
    """An output of ``ONE`` alone: its total index is 1, the others' 0."""
    return pd.DataFrame({"y": 3.0 * values[ONE].to_numpy() ** 2})


def additive(values: pd.DataFrame, seed: int) -> pd.DataFrame:
    """y = x1 + 2 x2 with x uniform on [0, 1]: S1 = 1/5 and 4/5, no interaction."""
    return pd.DataFrame({"y": values[ONE].to_numpy()
                         + 2.0 * values["myeloid_chemo_protection"].to_numpy()})


def noisy(values: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``ONE`` plus noise of sd 0.01 that depends on the seed only (common random numbers)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": values[ONE].to_numpy() + 0.01 * rng.standard_normal()})


def rough(values: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``ONE`` plus noise of sd 0.05 that changes whenever any factor or the seed changes.

    Like a simulated cohort: moving a factor without effect still changes which patients
    relapse, so common random numbers do not cancel all of the noise.
    """
    noise = [np.random.default_rng([seed, *map(int, row.view(np.uint64))]).normal()
             for row in values.to_numpy(float)]
    return pd.DataFrame({"y": values[ONE].to_numpy() + 0.05 * np.asarray(noise)})


def test_sobol_total_index_is_one_for_the_only_parameter_and_zero_for_the_rest() -> None:
    result = sensitivity.sobol(only_one, "y", parameters=[ONE, *OTHERS], base_samples=512,
                               seed=1, dummy=True, noise_replicates=0)
    rows = result.indices.set_index("factor")
    one = rows.loc[ONE]
    assert one["rank"] == 1
    assert one["ST_low"] <= 1.0 <= one["ST_high"]  # 1 inside the bootstrap interval
    assert abs(one["ST"] - 1.0) < 0.1  # tolerance: N = 512 Saltelli estimator
    assert abs(one["S1"] - 1.0) < 0.1
    for name in [*OTHERS, DUMMY_FACTOR]:
        assert rows.loc[name, "ST_low"] <= 0.0 <= rows.loc[name, "ST_high"], name
        assert abs(rows.loc[name, "ST"]) < 0.02, name
    assert len(result.samples) == 512 * (4 + 2)


def test_sobol_first_order_indices_of_an_additive_model() -> None:
    result = sensitivity.sobol(additive, "y", parameters=[ONE, "myeloid_chemo_protection"],
                               base_samples=1024, seed=2, noise_replicates=0)
    rows = result.indices.set_index("factor")
    for name, expected in ((ONE, 0.2), ("myeloid_chemo_protection", 0.8)):
        assert rows.loc[name, "S1_low"] <= expected <= rows.loc[name, "S1_high"], name
        assert abs(rows.loc[name, "S1"] - expected) < 0.05, name  # N = 1024
        assert abs(rows.loc[name, "ST"] - expected) < 0.05, name  # additive: ST = S1


def test_group_index_carries_the_influential_member() -> None:
    result = sensitivity.sobol(only_one, "y", parameters=OTHERS[1:],
                               groups={"niche": [ONE, OTHERS[0]]}, base_samples=256, seed=3,
                               noise_replicates=0)
    rows = result.indices.set_index("factor")
    assert list(rows.index) == ["niche", OTHERS[1]]
    assert rows.loc["niche", "members"] == f"{ONE}, {OTHERS[0]}"
    assert rows.loc["niche", "ST_low"] <= 1.0 <= rows.loc["niche", "ST_high"]
    assert abs(rows.loc[OTHERS[1], "ST"]) < 0.02


def test_morris_screens_the_only_parameter() -> None:
    result = sensitivity.morris(only_one, "y", parameters=[ONE, *OTHERS], trajectories=20,
                                seed=4, noise_replicates=0)
    rows = result.indices.set_index("factor")
    assert rows.loc[ONE, "rank"] == 1
    assert rows.loc[ONE, "mu_star"] > 1.0  # 3 x^2 changes by 1-3 per step of 2/3
    assert rows.loc[ONE, "above_noise"]
    for name in OTHERS:
        assert rows.loc[name, "mu_star"] == 0.0
        assert not rows.loc[name, "above_noise"]
    assert len(result.samples) == 20 * (3 + 1)


def test_noise_common_to_all_samples_cancels_and_is_reported() -> None:
    result = sensitivity.sobol(noisy, "y", parameters=[ONE, OTHERS[0]], base_samples=64,
                               seed=5, noise_replicates=8, noise_blocks=3)
    assert sorted(set(result.noise["seed"])) == list(range(6, 14))
    assert len(result.noise) == 8 * 3 * (2 + 2)  # 3 base rows of A, AB_1, AB_2, B
    assert sorted(set(result.noise["sample"] // 4)) == [0, 21, 42]  # spread over the design
    summary = result.summary.iloc[0]
    assert 0.003 < summary["noise_sd"] < 0.03  # sd 0.01 across seeds (9 values)
    assert result.settings["noise_degrees_of_freedom"] == 24
    assert summary["noise_share"] == pytest.approx(summary["noise_sd"] ** 2 / summary["sd"] ** 2)
    rows = result.indices.set_index("factor")
    # the same offset in every sample of a seed: paired differences carry no noise
    assert rows["noise_floor"].abs().max() < 1e-12
    assert rows.loc[ONE, "above_noise"] and not rows.loc[OTHERS[0], "above_noise"]


def test_noise_floor_separates_a_real_effect_from_noise() -> None:
    result = sensitivity.morris(rough, "y", parameters=[ONE, OTHERS[0]], trajectories=30,
                                seed=6, noise_replicates=4, noise_blocks=3)
    rows = result.indices.set_index("factor")
    # EE noise sd = 0.05 sqrt(2) / (2/3) = 0.106; tolerance for 12 degrees of freedom
    assert 0.05 < rows.loc[OTHERS[0], "noise_floor"] < 0.2
    assert rows.loc[OTHERS[0], "mu_star"] > 0.0  # noise alone gives a mu*...
    assert not rows.loc[OTHERS[0], "above_noise"]  # ...that stays below its floor
    assert rows.loc[ONE, "mu_star"] == pytest.approx(1.0, abs=0.1)  # y = x: 1 per range
    assert rows.loc[ONE, "above_noise"]


def test_common_random_numbers_one_seed_for_every_sample() -> None:
    seeds: list[int] = []

    def record(values: pd.DataFrame, seed: int) -> pd.DataFrame:
        seeds.append(seed)
        return pd.DataFrame({"y": values[ONE].to_numpy()})

    sensitivity.morris(record, "y", parameters=[ONE], trajectories=4, seed=9,
                       noise_replicates=2, noise_blocks=2)
    assert seeds == [9, 10, 11]  # all samples in one call with seed 9, then the replicates



def test_ranges_scales_and_the_myeloid_constraint() -> None:
    problem = define_problem(["M2"])
    table = problem.table().set_index("factor")
    assert table.loc["cxcl_reference_cells", "scale"] == "log"  # 1..1e13 cells
    assert table.loc["myeloid_half_max_signal", "scale"] == "log"
    assert table.loc["cxcl_high_prevalence", "scale"] == "linear"  # a fraction in [0, 1]
    assert table.loc["myeloid_recruitment_per_day", "scale"] == "linear"  # starts at 0
    unit = np.random.default_rng(0).random((2000, len(problem.factors)))
    values = problem.values(unit)
    for name in problem.names:
        assert values[name].between(table.loc[name, "low"], table.loc[name, "high"]).all()
    assert (values["myeloid_recruitment_per_day"] <= values["myeloid_decay_per_day"]).all()
    # log-uniform: half the samples below the geometric mean of the range
    median = float(np.median(values["cxcl_reference_cells"]))
    assert 10**5.5 < median < 10**7.5
    narrowed = define_problem(["lung.stiffness_kpa"],
                              ranges={"lung.stiffness_kpa": (0.5, 20.0, "log")})
    assert narrowed.factors[0].scale == "log"
    assert narrowed.factors[0].low == 0.5


@pytest.mark.parametrize(
    ("kwargs", "parts"),
    [
        ({"parameters": ["cxcl_chemo_inductoin"]},
         ["'cxcl_chemo_inductoin'", "did you mean 'cxcl_chemo_induction'", "M2"]),
        ({"parameters": [ONE], "groups": {"a": [ONE], "b": [ONE]}},
         ["already in group 'a'", "at most one group"]),
        ({"parameters": [ONE], "ranges": {ONE: (0.5, 2.0)}}, ["range of", "[0, 1]"]),
    ],
)
def test_bad_problem_is_one_line(kwargs: dict, parts: list[str]) -> None:
    with pytest.raises(AnalysisError) as info:
        sensitivity.sobol(only_one, "y", base_samples=8, noise_replicates=0, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, (part, message)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    result = sensitivity.sobol(only_one, "y", parameters=[ONE, OTHERS[0]], base_samples=16,
                               seed=1, noise_replicates=0)
    out = result.save(tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == sorted(sensitivity.SENSITIVITY_FILES.values())
    back = sensitivity.load_sensitivity(out)
    pd.testing.assert_frame_equal(back.indices, result.indices)
    record = json.loads((out / "sensitivity.json").read_text())
    assert record["method"] == "sobol" and record["indices"][0]["factor"] == ONE
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep")
    with pytest.raises(Exception, match="not sensitivity results"):
        result.save(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "keep"


def test_html_section_has_the_figure_and_the_ranked_table() -> None:
    from tumorsim.report.browser import parse_report_dom
    from tumorsim.report.html import Report, add_sensitivity_section

    result = sensitivity.sobol(only_one, "y", parameters=[ONE, OTHERS[0]], base_samples=16,
                               seed=1, noise_replicates=0)
    report = Report("t")
    add_sensitivity_section(report, result, heading="What drives y", question="Does x?",
                            element_id="sens")
    page = report.render()
    assert 'id="sens-figure"' in page and 'id="sens-table"' in page
    (table,) = parse_report_dom(page).tables
    assert ONE in {cell for row in table.body_rows for cell in row} and "Does x?" in page


def test_demo_report_includes_saved_sensitivity_results(tmp_path: Path) -> None:
    from tumorsim.demo import SENSITIVITY_DIR, _add_sensitivity_sections
    from tumorsim.report.html import Report

    result = sensitivity.morris(only_one, "y", parameters=[ONE, OTHERS[0]], trajectories=4,
                                seed=1, noise_replicates=2)
    result.save(tmp_path / SENSITIVITY_DIR / "toy")
    report = Report("demo")
    _add_sensitivity_sections(report, tmp_path / SENSITIVITY_DIR)
    page = report.render()
    assert 'id="sensitivity-1-figure"' in page and 'id="sensitivity-1-table"' in page


def test_outputs_read_survival_site_incidence_and_arm_differences() -> None:
    from tumorsim.sensitivity.outputs import output_value, parse_output

    year = 365.25
    patients = pd.DataFrame({
        "patient_id": [0, 1, 2, 3, 0, 1, 2, 3],
        "arm": ["A"] * 4 + ["B"] * 4,
        "rfs_days": [1 * year, 7 * year, 20 * year, 20 * year] * 2,
        "rfs_event": [True, True, False, False] * 2,
        "distant_lung_days": [np.nan, 7 * year, np.nan, np.nan,
                              np.nan, np.nan, np.nan, np.nan],
        "death_days": [np.nan] * 8,
    })
    arms = ("A", "B")

    def value(text: str) -> float:
        return output_value(parse_output(text, arms=arms, horizon_years=20.0), patients,
                            20 * year)

    assert value("rfs_at_5y") == 0.75  # arm A by default: 1 of 4 relapsed by 5 years
    assert value("rfs_at_10y@B") == 0.5
    assert value("distant_lung_at_10y") == 0.25  # proportion relapsed in the lung
    assert value("diff:distant_lung_at_10y:B/A") == -0.25
    spec = parse_output("hr:rfs:B/A", arms=arms, horizon_years=20.0)
    assert (spec.kind, spec.endpoint, spec.arm, spec.reference) == ("hr", "rfs", "B", "A")


# --- the command line -----------------------------------------------------------------------


def test_cli_ranks_the_m2_parameters_of_the_cxcr2_trial_with_intervals(tmp_path: Path) -> None:
    out = tmp_path / "m2"
    result = run_cli("sensitivity", CXCR2, "--output", HR_LUNG, "--parameters", "M2",
                     "--samples", "2", "--patients", "60", "--horizon-years", "5",
                     "--seed", "1", "--noise-replicates", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    indices = pd.read_parquet(out / "indices.parquet")
    from tumorsim.sensitivity.problem import MECHANISM_FACTORS

    assert sorted(indices["factor"]) == sorted(MECHANISM_FACTORS["M2"])
    assert sorted(indices["rank"]) == list(range(1, 12))
    assert (indices["mu_star_low"] <= indices["mu_star"]).all()
    assert (indices["mu_star"] <= indices["mu_star_high"]).all()
    record = json.loads((out / "sensitivity.json").read_text())
    assert record["settings"]["patients"] == 60
    assert record["summary"][0]["noise_replicates"] == 2
    noise = pd.read_parquet(out / "noise.parquet")
    assert len(noise) == 2 * 2 * 12  # 2 trajectories of 11 + 1 points, 2 more seeds
    assert indices["noise_floor"].notna().all()
    assert "mu* [95 % CI]" in result.stdout and "noise" in result.stdout


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--output", "rfs_at_5y", "--parameters", "cxcl_chemo_inductoin"],
         ["'cxcl_chemo_inductoin'", "did you mean", "a parameter name", "M1, M2, M3"]),
        (["--output", "rfs_at_55y", "--parameters", "M2"],
         ["'rfs_at_55y'", "outside the follow-up", "(0, 20] years"]),
        (["--output", "lung_at_5y", "--parameters", "M2"],
         ["unknown endpoint 'lung'", "distant_lung"]),
        (["--output", "hr:rfs:CXCR2i/AC_T", "--parameters", "M2"],
         ["unknown arm 'CXCR2i'", "AC_T, AC_T_CXCR2i"]),
        (["--output", "rfs_at_5y", "--parameters", "M2", "--group", "niche"],
         ["--group 'niche' is not NAME=MEMBERS"]),
        (["--output", "rfs_at_5y", "--group", "niche=M9"],
         ["group 'niche'", "unknown parameter or group 'M9'", "M1, M2, M3"]),
        (["--output", "rfs_at_5y", "--parameters", "M2", "--method", "sobol", "--samples", "6"],
         ["base samples = 6", "power of 2"]),
        (["--output", "rfs_at_5y", "--parameters", "M2", "--method", "fast"],
         ["--method 'fast'", "morris, sobol"]),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], parts: list[str]
) -> None:
    out = tmp_path / "out"
    outcome = run_cli("sensitivity", CXCR2, *args, "--patients", "20", "--out", out)
    assert_one_line_error(outcome, *parts)
    assert list(tmp_path.iterdir()) == []


def test_cli_arm_outputs_need_a_trial(tmp_path: Path) -> None:
    outcome = run_cli("sensitivity", EXAMPLES / "act_chemotherapy.toml", "--output", HR_LUNG,
                      "--parameters", "M2", "--out", tmp_path / "out")
    assert_one_line_error(outcome, HR_LUNG, "compares arms", "a trial file")
    assert list(tmp_path.iterdir()) == []
