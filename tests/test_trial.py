"""In-silico trials: common random numbers across arms, summaries, trial files, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tumorsim.cli import app
from tumorsim.cohort.population import COVARIATE_COLUMNS, Cohort
from tumorsim.errors import AnalysisError, ScenarioError
from tumorsim.io import load_results, load_scenario
from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import TreatmentPlan
from tumorsim.runner.simulate import simulate
from tumorsim.trial import (
    ENDPOINTS,
    INTERVALS_FILE,
    SUMMARY_FILES,
    Arm,
    Trial,
    TrialResult,
    load_trial,
    load_trial_results,
    run_trial,
    save_trial_results,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TRIAL_EXAMPLES = sorted(EXAMPLES.glob("trial_*.toml"))
PATIENTS = 600
SEED = 11


@pytest.fixture(scope="module")
def chemo_trial() -> Trial:
    """AC->T three ways: the reference, an identical copy, and an inert change.

    The inert arm adds a ROS quencher at zero inhibition from day 100 to 500: it changes
    nothing biologically but adds plan boundaries, so the time steps (and hence the
    random draws) of many patients differ from the reference arm.
    """
    scenario = load_scenario(EXAMPLES / "act_chemotherapy.toml")
    plan = scenario.treatment
    inert = TreatmentPlan.model_validate(
        {
            **plan.model_dump(),
            "ros_quencher": {"start_day": 100.0, "duration_days": 400.0, "inhibition": 0.0},
        }
    )
    return Trial(
        scenario=scenario,
        arms=(
            Arm(name="AC_T", treatment=plan),
            Arm(name="AC_T_copy", treatment=plan, description="the same plan again"),
            Arm(name="AC_T_inert", treatment=inert),
        ),
        endpoints=("rfs", "os", "distant_lung"),
    )


@pytest.fixture(scope="module")
def chemo_result(chemo_trial: Trial) -> TrialResult:
    return run_trial(chemo_trial, patients=PATIENTS, seed=SEED)


def arm_rows(result: TrialResult, arm: str) -> pd.DataFrame:
    rows = result.patients[result.patients["arm"] == arm]
    return rows.drop(columns="arm").reset_index(drop=True)


# --- common random numbers -------------------------------------------------------------------


def test_every_patient_is_in_every_arm_with_the_same_covariates(chemo_result: TrialResult) -> None:
    patients = chemo_result.patients
    assert len(patients) == PATIENTS * 3
    assert list(patients["arm"].cat.categories) == ["AC_T", "AC_T_copy", "AC_T_inert"]
    reference = arm_rows(chemo_result, "AC_T")
    for arm in chemo_result.arms:
        rows = arm_rows(chemo_result, arm)
        assert rows["patient_id"].tolist() == list(range(PATIENTS))
        pd.testing.assert_frame_equal(
            rows[list(COVARIATE_COLUMNS)], reference[list(COVARIATE_COLUMNS)]
        )


def test_identical_arms_give_identical_outcomes(chemo_result: TrialResult) -> None:
    pd.testing.assert_frame_equal(
        arm_rows(chemo_result, "AC_T"), arm_rows(chemo_result, "AC_T_copy")
    )
    hr = chemo_result.hazard_ratios("rfs").set_index("arm").loc["AC_T_copy"]
    assert hr["hr"] == pytest.approx(1.0, abs=1e-9)
    assert hr["events"] == hr["events_reference"] > 0


def test_an_inert_change_gives_a_hazard_ratio_interval_containing_one(
    chemo_result: TrialResult,
) -> None:
    reference = arm_rows(chemo_result, "AC_T")
    inert = arm_rows(chemo_result, "AC_T_inert")
    changed = (reference["rfs_days"] != inert["rfs_days"]).mean()
    assert changed > 0.05  # the time steps moved: outcomes are not simply copied
    hrs = chemo_result.hazard_ratios().set_index(["endpoint", "arm"])
    for endpoint in ("rfs", "os", "distant_lung"):
        row = hrs.loc[(endpoint, "AC_T_inert")]
        assert row["ci_lower"] < 1.0 < row["ci_upper"], (endpoint, row)
    # The paired interval is narrower than the independent-arms one.
    paired = hrs.loc[("rfs", "AC_T_inert")]
    unpaired = chemo_result.hazard_ratios("rfs", paired=False).set_index("arm").loc["AC_T_inert"]
    assert paired["ci_upper"] - paired["ci_lower"] < unpaired["ci_upper"] - unpaired["ci_lower"]


def test_each_arm_is_the_plain_simulation_of_its_plan(chemo_trial: Trial) -> None:
    cohort = Cohort.sample(chemo_trial.scenario.population, 150, SEED)
    result = run_trial(chemo_trial, cohort, seed=SEED)
    alone = simulate(chemo_trial.arm_scenario("AC_T_inert"), cohort, seed=SEED).patients
    pd.testing.assert_frame_equal(arm_rows(result, "AC_T_inert"), alone.drop(columns="arm"))


def test_results_do_not_depend_on_chunk_size_and_progress_counts_all_runs(
    chemo_trial: Trial,
) -> None:
    calls: list[tuple[int, int]] = []
    small = run_trial(
        chemo_trial,
        patients=120,
        seed=SEED,
        chunk_size=50,
        progress=lambda done, total: calls.append((done, total)),
    )
    big = run_trial(chemo_trial, patients=120, seed=SEED)
    pd.testing.assert_frame_equal(small.patients, big.patients)
    assert calls[-1] == (360, 360)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# --- summaries -------------------------------------------------------------------------------


def test_survival_table_per_arm_at_times(chemo_result: TrialResult) -> None:
    table = chemo_result.survival_table("rfs", times_years=[1, 5, 20])
    assert list(table.columns) == [
        "endpoint",
        "arm",
        "time_years",
        "survival",
        "ci_lower",
        "ci_upper",
        "at_risk",
    ]
    assert len(table) == 3 * 3
    assert table["time_years"].tolist() == [1.0, 5.0, 20.0] * 3
    assert (
        (table["ci_lower"] <= table["survival"]) & (table["survival"] <= table["ci_upper"])
    ).all()
    # Without censoring before the horizon, KM at the horizon is the fraction event-free.
    reference = arm_rows(chemo_result, "AC_T")
    at_20 = table[(table["arm"] == "AC_T") & (table["time_years"] == 20.0)]["survival"].iloc[0]
    assert at_20 == pytest.approx(1.0 - reference["rfs_event"].mean(), abs=1e-9)
    default = chemo_result.survival_table()
    assert set(default["endpoint"]) == {"rfs", "os", "distant_lung"}
    assert default["time_years"].max() == 20.0


def test_rmst_per_arm(chemo_result: TrialResult) -> None:
    table = chemo_result.rmst("os", tau_years=10).set_index("arm")
    assert table.loc["AC_T", "rmst_years"] == table.loc["AC_T_copy", "rmst_years"]
    assert 0 < table.loc["AC_T", "rmst_years"] <= 10.0
    assert (table["ci_lower_years"] <= table["rmst_years"]).all()
    reference = arm_rows(chemo_result, "AC_T")
    direct = np.minimum(reference["os_days"], 10 * 365.25).mean() / 365.25  # no censoring < tau
    assert table.loc["AC_T", "rmst_years"] == pytest.approx(direct, rel=1e-9)


def test_site_relapse_is_the_proportion_relapsed_at_the_site(chemo_result: TrialResult) -> None:
    table = chemo_result.site_relapse("lung", times_years=[5, 20])
    assert table["arm"].tolist() == [
        "AC_T",
        "AC_T",
        "AC_T_copy",
        "AC_T_copy",
        "AC_T_inert",
        "AC_T_inert",
    ]
    reference = arm_rows(chemo_result, "AC_T")
    lung = reference["distant_lung_days"]
    row_20 = table.iloc[1]
    assert row_20["events"] == lung.notna().sum() > 0
    assert row_20["proportion"] == pytest.approx(lung.notna().mean())
    assert table.iloc[0]["events"] == (lung <= 5 * 365.25).sum()
    assert (table["ci_lower"] <= table["proportion"]).all()
    assert (table["proportion"] <= table["ci_upper"]).all()
    assert set(chemo_result.site_relapse()["site"]) == {"breast", *METASTATIC_SITES}
    with pytest.raises(AnalysisError, match="unknown site 'lungs'"):
        chemo_result.site_relapse("lungs")


def test_site_endpoints_are_censored_at_death_or_horizon(chemo_result: TrialResult) -> None:
    data = chemo_result.endpoint_data("distant_bone")
    patients = chemo_result.patients
    bone = patients["distant_bone_days"]
    assert (data["event"] == bone.notna()).all()
    dead_no_bone = bone.isna() & patients["death_days"].notna()
    assert dead_no_bone.any()
    assert (data["duration_days"][dead_no_bone] == patients["death_days"][dead_no_bone]).all()
    alive = bone.isna() & patients["death_days"].isna()
    assert (data["duration_days"][alive] == chemo_result.horizon_days).all()


def test_hazard_ratios_against_another_reference(chemo_result: TrialResult) -> None:
    table = chemo_result.hazard_ratios("rfs", reference_arm="AC_T_inert")
    assert table["arm"].tolist() == ["AC_T", "AC_T_copy"]
    assert (table["reference_arm"] == "AC_T_inert").all()
    with pytest.raises(AnalysisError, match="no arm 'placebo'"):
        chemo_result.hazard_ratios("rfs", reference_arm="placebo")
    with pytest.raises(AnalysisError, match="unknown endpoint 'pfs'"):
        chemo_result.hazard_ratios("pfs")


def test_save_and_load_trial_results(chemo_result: TrialResult, tmp_path: Path) -> None:
    out = save_trial_results(chemo_result, tmp_path / "run")
    assert {p.name for p in out.iterdir()} == {"patients.parquet", *SUMMARY_FILES.values()}
    plain = load_results(out)  # an ordinary results directory, too
    assert len(plain.patients) == len(chemo_result.patients)
    again = load_trial_results(out)
    assert again.trial == chemo_result.trial
    pd.testing.assert_frame_equal(again.patients, chemo_result.patients)
    saved = pd.read_csv(out / "hazard_ratios.csv")
    assert len(saved) == 3 * 2  # endpoints x non-reference arms
    save_trial_results(chemo_result, out)  # a rerun replaces the previous trial


# --- the Trial model -------------------------------------------------------------------------


def test_trial_validation(chemo_trial: Trial) -> None:
    with pytest.raises(ValidationError, match="repeated: AC_T"):
        Trial(scenario=chemo_trial.scenario, arms=(chemo_trial.arms[0], chemo_trial.arms[0]))
    with pytest.raises(ValidationError):
        Trial(scenario=chemo_trial.scenario, arms=chemo_trial.arms, endpoints=("pfs",))  # type: ignore[arg-type]
    assert ENDPOINTS[4:] == tuple(f"distant_{site}" for site in METASTATIC_SITES)


def test_arm_exposures_default_to_the_scenario(chemo_trial: Trial) -> None:
    exposed = chemo_trial.scenario.with_changes(
        exposures={"arsenic": {"kind": "constant", "level": 10.0}}
    )
    trial = chemo_trial.with_scenario(exposed)
    assert trial.arm_scenario("AC_T").exposures == exposed.exposures
    clean = Arm(name="clean water", treatment=exposed.treatment, exposures={})  # type: ignore[arg-type]
    assert Trial(scenario=exposed, arms=(clean,)).arm_scenario(clean).exposures.arsenic is None


# --- trial files -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", TRIAL_EXAMPLES, ids=lambda p: p.name)
def test_trial_examples_load_and_start_with_a_question(path: Path) -> None:
    trial = load_trial(path)
    assert len(trial.arms) >= 2
    assert path.read_text(encoding="utf-8").startswith("# Question")
    assert 1 <= trial.scenario.cohort.patients <= 10_000


def test_cxcr2_example_merges_each_arm_onto_the_shared_plan() -> None:
    trial = load_trial(EXAMPLES / "trial_cxcr2.toml")
    base = load_scenario(EXAMPLES / "act_chemotherapy.toml")
    assert trial.arm_names == ("AC_T", "AC_T_CXCR2i")
    control, treated = trial.arms
    assert control.treatment == base.treatment
    assert treated.treatment.chemotherapy == base.treatment.chemotherapy
    assert treated.treatment.cxcr2_inhibitor is not None
    assert treated.treatment.cxcr2_inhibitor.inhibition == 0.9
    assert trial.scenario.population == base.population
    assert "distant_lung" in trial.endpoints


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            'name = "t"\n[arms.a]\n[arms.b.treatment.cxcr2_inhibitor]\ninhibition = 1.5\n',
            ["arms.b.treatment.cxcr2_inhibitor.inhibition = 1.5", "must be <= 1"],
        ),
        (
            'name = "t"\n[arms.a.parameters]\nx = 1\n',
            ["arms.a.parameters", "unknown key 'parameters'", "description, treatment, exposures"],
        ),
        (
            'name = "t"\n[trial]\nendpoints = ["rfs", "lung"]\n[arms.a]\n',
            ["trial.endpoints[1] = 'lung'", "'distant_lung'"],
        ),
        ('name = "t"\n', ["arms", "no trial arms", "[arms.<name>]"]),
        ('name = "t"\narms = 3\n', ["arms = 3", "expected a table"]),
        ('name = "t"\n[arms.a]\ncolour = "red"\n', ["arms.a.colour", "unknown key"]),
    ],
)
def test_trial_file_errors_are_one_line_naming_file_and_field(
    tmp_path: Path, text: str, parts: list[str]
) -> None:
    path = write(tmp_path, "bad_trial.toml", text)
    with pytest.raises(ScenarioError) as info:
        load_trial(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    for part in parts:
        assert part in message, (part, message)


def test_inherited_values_are_blamed_on_the_file_that_set_them(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", 'name = "p"\n[treatment.tamoxifen]\nadherence = 0.9\n')
    child = write(
        tmp_path,
        "child.toml",
        'extends = "parent.toml"\n[arms.a]\n[arms.b.treatment.tamoxifen]\nadherence = 1.5\n',
    )
    with pytest.raises(ScenarioError) as info:
        load_trial(child)
    assert str(info.value).startswith(f"{child}: arms.b.treatment.tamoxifen.adherence = 1.5")
    trial = load_trial(write(tmp_path, "ok.toml", 'extends = "parent.toml"\n[arms.a]\n'))
    assert trial.arms[0].treatment.tamoxifen is not None  # inherited from the parent


# --- command line ----------------------------------------------------------------------------


def test_cli_trial_writes_its_files_and_prints_hazard_ratios(tmp_path: Path) -> None:
    out = tmp_path / "cxcr2"
    args = [
        "trial",
        str(EXAMPLES / "trial_cxcr2.toml"),
        "--patients",
        "200",
        "--seed",
        "3",
        "--out",
        str(out),
        "--threads",
        "1",
        "--interval-replicates",
        "20",
    ]
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    # the default biology is the ensemble, so its intervals are written too
    assert {p.name for p in out.iterdir()} == {"patients.parquet", *SUMMARY_FILES.values(),
                                               INTERVALS_FILE}
    loaded = load_trial_results(out)
    assert loaded.seed == 3
    assert loaded.trial.scenario.cohort.patients == 200
    assert len(loaded.patients) == 400
    hazard_ratios = pd.read_csv(out / "hazard_ratios.csv")
    assert hazard_ratios["endpoint"].tolist() == ["rfs", "dmfs", "os", "distant_lung"]
    assert (hazard_ratios["arm"] == "AC_T_CXCR2i").all()
    for name in ("survival", "rmst", "site_relapse"):
        assert len(pd.read_csv(out / SUMMARY_FILES[name])) > 0
    assert "AC_T_CXCR2i" in result.stdout and "distant_lung" in result.stdout
    # A rerun replaces the directory; a bad option is one line, exit 2.
    assert CliRunner().invoke(app, args, terminal_width=200).exit_code == 0
    bad = CliRunner().invoke(app, [*args[:3], "0", *args[4:]], terminal_width=200)
    assert bad.exit_code == 2
    assert bad.stderr.strip().startswith("error: --patients = 0")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_cli_trial_refuses_a_plain_scenario(tmp_path: Path) -> None:
    args = ["trial", str(EXAMPLES / "act_chemotherapy.toml"), "--out", str(tmp_path / "x")]
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code == 2
    assert "no trial arms" in result.stderr
    assert not (tmp_path / "x").exists()
