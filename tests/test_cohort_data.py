"""Cohorts from data (GBSG2, CSV + column map), stochastic twins, samplers, ``tumorsim twin``.

Simulations are kept small (at most a few hundred twins); the first engine call in a
process compiles the numba kernel unless its on-disk cache is warm.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from lifelines.datasets import load_gbsg2 as lifelines_gbsg2
from pydantic import ValidationError
from typer.testing import CliRunner

from tumorsim.cli import app
from tumorsim.cohort.data import (
    GBSG2_COLUMNS,
    ColumnMap,
    cohort_from_dataframe,
    load_column_map,
    load_gbsg2,
    read_cohort,
)
from tumorsim.cohort.population import COVARIATE_COLUMNS, Cohort
from tumorsim.cohort.samplers import sample_empirical, select_virtual_population
from tumorsim.cohort.twins import make_twins, twin_plans
from tumorsim.errors import CohortError, ScenarioError
from tumorsim.model.scenario import PopulationSpec, Scenario
from tumorsim.results import FRACTION_YEARS
from tumorsim.runner.twins import run_twin

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FRACTION_COLUMNS = [f"twins_relapsed_fraction_{y}y" for y in FRACTION_YEARS]


@pytest.fixture(scope="module")
def gbsg2_frame() -> pd.DataFrame:
    return lifelines_gbsg2()


@pytest.fixture(scope="module")
def gbsg2(gbsg2_frame: pd.DataFrame) -> Cohort:
    return cohort_from_dataframe(gbsg2_frame)


def cohort_error(frame: pd.DataFrame, columns: object = None, source: str = "data.csv") -> str:
    with pytest.raises(CohortError) as info:
        cohort_from_dataframe(frame, columns, source=source)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


# --- GBSG2 ------------------------------------------------------------------------------------


def test_gbsg2_loads_without_a_map_in_input_order(
    gbsg2: Cohort, gbsg2_frame: pd.DataFrame
) -> None:
    cov = gbsg2.covariates
    assert len(gbsg2) == 686
    assert list(cov["patient_id"]) == list(range(686))
    assert list(cov.columns[:8]) == ["patient_id", *COVARIATE_COLUMNS]
    # Row 0: 70-year-old, Post, 21 mm, grade II, 3 nodes, PR 48, ER 66, no horTh, event.
    first = cov.iloc[0]
    assert (first.age_years, first.postmenopausal, first.tumour_size_mm, first.grade,
            first.positive_nodes, first.pr_fmol, first.er_fmol) == (70, 1, 21, 2, 3, 48, 66)
    assert (first.hormone_therapy, first.follow_up_days, first.relapse_event) == (0, 1814, True)
    # Row 5: 32, Pre, 57 mm, grade III, 24 nodes; row 1 had hormone therapy.
    sixth = cov.iloc[5]
    assert (sixth.age_years, sixth.postmenopausal, sixth.tumour_size_mm, sixth.grade,
            sixth.positive_nodes) == (32, 0, 57, 3, 24)
    assert cov.iloc[1].hormone_therapy == 1
    assert cov.iloc[6].relapse_event == False  # noqa: E712 - numpy bool
    # Whole columns, against the raw table.
    np.testing.assert_array_equal(cov["tumour_size_mm"], gbsg2_frame["tsize"])
    np.testing.assert_array_equal(cov["pr_fmol"], gbsg2_frame["progrec"])
    np.testing.assert_array_equal(cov["grade"],
                                  gbsg2_frame["tgrade"].map({"I": 1, "II": 2, "III": 3}))
    np.testing.assert_array_equal(cov["hormone_therapy"], gbsg2_frame["horTh"] == "yes")
    # docs/model.md §5: 299 RFS events; 246 women with hormone therapy.
    assert cov["relapse_event"].sum() == 299
    assert cov["hormone_therapy"].sum() == 246
    assert cov["grade"].dtype == np.int64 and cov["relapse_event"].dtype == bool
    assert "chemotherapy" not in cov  # not recorded: all had CMF


def test_load_gbsg2_and_the_example_map_equal_the_builtin(gbsg2: Cohort) -> None:
    pd.testing.assert_frame_equal(load_gbsg2().covariates, gbsg2.covariates)
    assert load_column_map(EXAMPLES / "gbsg2_columns.toml") == GBSG2_COLUMNS


def test_extra_columns_are_kept_and_ignored(gbsg2_frame: pd.DataFrame) -> None:
    frame = gbsg2_frame.head(5).copy()
    frame["hospital"] = list("ABCAB")
    frame["grade"] = ["x"] * 5  # clashes with a tumorsim column: kept under another name
    cov = cohort_from_dataframe(frame).covariates
    assert list(cov["hospital"]) == list("ABCAB")
    assert list(cov["source_grade"]) == ["x"] * 5
    assert list(cov["grade"]) == [2, 2, 2, 2, 2]
    assert "tsize" not in cov  # mapped source columns are consumed


def test_tumorsim_names_round_trip() -> None:
    sampled = Cohort.sample(PopulationSpec(), 50, seed=3)
    again = cohort_from_dataframe(sampled.covariates.iloc[::-1])
    assert list(again.patient_ids) == list(sampled.patient_ids[::-1])  # ids kept, order too
    np.testing.assert_allclose(again.covariates["tumour_size_mm"],
                               sampled.covariates["tumour_size_mm"].iloc[::-1])


# --- a CSV with its own column map ----------------------------------------------------------------

CUSTOM_CSV = """pid,age,meno,size_mm,grade_text,nodes,er,pr,tam,chemo,months,relapsed,hospital
1043,61,post,22.5,G2,3,120,40,1,1,60,0,Leeds
7,44,pre,15,G3,0,2,0,0,1,12.5,1,York
20,70,post,31,G1,12,300,250,1,0,30,1,Leeds
"""

CUSTOM_MAP = """# a test map
id_column = "pid"
age_years = "age"
postmenopausal = "meno"
tumour_size_mm = "size_mm"
grade = "grade_text"
positive_nodes = "nodes"
er_fmol = "er"
pr_fmol = "pr"
hormone_therapy = "tam"
chemotherapy = "chemo"
follow_up_days = "months"
follow_up_unit = "months"
relapse_event = "relapsed"

[values.postmenopausal]
pre = 0
post = 1

[values.grade]
G1 = 1
G2 = 2
G3 = 3
"""


@pytest.fixture
def custom(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "patients.csv"
    data.write_text(CUSTOM_CSV)
    columns = tmp_path / "map.toml"
    columns.write_text(CUSTOM_MAP)
    return data, columns


def test_custom_csv_with_a_toml_map(custom: tuple[Path, Path]) -> None:
    data, columns = custom
    cohort = read_cohort(data, columns)
    cov = cohort.covariates
    assert list(cov["patient_id"]) == [1043, 7, 20]  # the id column, in input order
    assert list(cov["source_id"]) == [1043, 7, 20]
    assert list(cov["postmenopausal"]) == [1, 0, 1]
    assert list(cov["grade"]) == [2, 3, 1]
    assert list(cov["tumour_size_mm"]) == [22.5, 15, 31]
    assert list(cov["chemotherapy"]) == [1, 1, 0]
    np.testing.assert_allclose(cov["follow_up_days"], np.array([60, 12.5, 30]) * 365.25 / 12)
    assert list(cov["relapse_event"]) == [False, True, True]
    assert list(cov["hospital"]) == ["Leeds", "York", "Leeds"]
    assert load_column_map(columns).name == "map"  # the file's stem


def test_missing_column_is_named(custom: tuple[Path, Path]) -> None:
    data, columns = custom
    frame = pd.read_csv(data).drop(columns=["size_mm"])
    message = cohort_error(frame, load_column_map(columns))
    assert message.startswith("data.csv: column 'size_mm' (tumour_size_mm): not found")
    assert "columns present: pid, age" in message
    gbsg = lifelines_gbsg2().drop(columns=["tsize"])
    assert "columns not recognised" in cohort_error(gbsg)  # no map: neither GBSG2 nor ours


@pytest.mark.parametrize(
    ("column", "row", "value", "parts"),
    [
        ("size_mm", 2, 250, ["row 2 (pid = 7)", "column 'size_mm' (tumour_size_mm) = 250",
                             "out of range", "0.1 to 200 mm"]),
        ("age", 3, 12, ["row 3 (pid = 20)", "column 'age' (age_years) = 12", "18 to 100 years"]),
        ("nodes", 1, 2.5, ["row 1 (pid = 1043)", "(positive_nodes) = 2.5", "not a whole number"]),
        ("er", 2, None, ["row 2", "column 'er' (er_fmol)", "missing value"]),
        ("pr", 1, "lots", ["row 1", "'lots'", "not a number"]),
        ("grade_text", 3, "G4", ["row 3", "= 'G4'", "not in the column map's values",
                                 "'G1', 'G2', 'G3'"]),
        ("tam", 2, 2, ["row 2", "(hormone_therapy) = 2", "0 or 1"]),
        ("months", 1, -1, ["row 1", "(follow_up_days) = -1", "0 to 1200 months"]),
    ],
)
def test_bad_value_names_row_and_column(
    custom: tuple[Path, Path], column: str, row: int, value: object, parts: list[str]
) -> None:
    data, columns = custom
    frame = pd.read_csv(data).astype({column: object})
    frame.loc[row - 1, column] = value
    message = cohort_error(frame, load_column_map(columns))
    for part in parts:
        assert part in message, (part, message)


def test_first_bad_row_is_reported_and_ids_are_checked(custom: tuple[Path, Path]) -> None:
    data, columns = custom
    frame = pd.read_csv(data)
    frame.loc[2, "age"] = 5
    frame.loc[1, "size_mm"] = 0
    assert "row 2 (pid = 7), column 'size_mm'" in cohort_error(frame, load_column_map(columns))
    frame = pd.read_csv(data)
    frame.loc[2, "pid"] = 7
    assert "row 3, column 'pid' (patient_id) = 7: duplicate id (also in row 2)" in cohort_error(
        frame, load_column_map(columns))


def test_gbsg2_error_without_an_id_column(gbsg2_frame: pd.DataFrame) -> None:
    frame = gbsg2_frame.copy()
    frame.loc[9, "tsize"] = 0
    message = cohort_error(frame, source="gbsg2.csv")
    assert message == ("gbsg2.csv: row 10, column 'tsize' (tumour_size_mm) = 0: out of range; "
                       "allowed: 0.1 to 200 mm")
    error = pickle.loads(pickle.dumps(CohortError("x", "bad", row=1, column="c", value=2)))
    assert str(error) == "x: row 1, column 'c' = 2: bad"


def test_bad_column_maps_are_one_line_scenario_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(CUSTOM_MAP.replace("G3 = 3", "G4 = 4"))
    with pytest.raises(ScenarioError, match=r"bad.toml: values.grade.G4 = 4: out of range"):
        load_column_map(path)
    path.write_text(CUSTOM_MAP.replace('age_years = "age"', 'age_yrs = "age"'))
    with pytest.raises(ScenarioError, match=r"bad.toml: age_yrs: unknown key 'age_yrs'"):
        load_column_map(path)
    with pytest.raises(ScenarioError, match="file not found"):
        load_column_map(tmp_path / "none.toml")
    with pytest.raises(ValidationError, match="mapped to both"):  # built in Python
        ColumnMap.model_validate({**GBSG2_COLUMNS.model_dump(), "pr_fmol": "estrec"})


# --- twins ------------------------------------------------------------------------------------


def test_twins_have_row_based_ids_and_their_patient_covariates(gbsg2: Cohort) -> None:
    real = gbsg2.slice(0, 5)
    twins = make_twins(real, 4)
    cov = twins.covariates
    assert len(twins) == 20
    assert list(cov["patient_id"]) == list(range(20))  # row * K + j
    assert list(cov["source_row"]) == [r for r in range(5) for _ in range(4)]
    assert list(cov["twin_index"]) == [0, 1, 2, 3] * 5
    for column in (*COVARIATE_COLUMNS, "hormone_therapy", "follow_up_days"):
        np.testing.assert_array_equal(cov[column], np.repeat(real.covariates[column], 4))
    later = make_twins(gbsg2.slice(3, 5), 2)  # ids follow the row in the cohort given
    assert list(later.patient_ids) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        make_twins(real, 0)


def test_twin_plans_follow_the_recorded_treatment(gbsg2: Cohort) -> None:
    plans, plan_of = twin_plans(Scenario(biology="registry"), gbsg2)
    assert len(plans) == 2
    horth = gbsg2.covariates["hormone_therapy"].to_numpy() == 1
    for k in range(len(gbsg2)):
        treatment = plans[plan_of[k]].treatment
        assert treatment.chemotherapy is not None and treatment.chemotherapy.regimen == "CMF"
        if horth[k]:
            assert treatment.tamoxifen is not None
            assert treatment.tamoxifen.duration_days == 730.5
        else:
            assert treatment.tamoxifen is None
    # With a chemotherapy column, CMF only where it is 1.
    frame = gbsg2.covariates.head(4).assign(chemotherapy=[1, 0, 1, 0])
    plans, plan_of = twin_plans(Scenario(biology="registry"), Cohort(frame))
    chemo = [plans[p].treatment.chemotherapy is not None for p in plan_of]
    assert chemo == [True, False, True, False]


def high_risk_cohort() -> Cohort:
    """Eight women likely to relapse within 20 years; half followed for 2 years only."""
    n = 8
    frame = pd.DataFrame({
        "age_years": np.linspace(35, 70, n),
        "postmenopausal": [0, 0, 0, 1, 1, 1, 1, 1],
        "tumour_size_mm": [60.0, 45, 80, 50, 70, 40, 55, 90],
        "grade": [3, 3, 2, 3, 3, 2, 3, 3],
        "positive_nodes": [30, 20, 25, 15, 40, 10, 35, 28],
        "er_fmol": [0.0, 5, 40, 100, 0, 300, 2, 50],
        "pr_fmol": [0.0, 0, 20, 50, 0, 100, 0, 5],
        "hormone_therapy": [0, 0, 1, 1, 0, 1, 0, 1],
        "follow_up_days": [730.5, 7300, 730.5, 7300, 730.5, 7300, 730.5, 7300],
        "relapse_event": [1, 0, 1, 0, 1, 1, 0, 0],
        "note": list("abcdefgh"),
    })
    return cohort_from_dataframe(frame)


@pytest.fixture(scope="module")
def twin_result():  # type: ignore[no-untyped-def]
    return run_twin(Scenario(biology="registry"), high_risk_cohort(), twins=6, seed=11)


def test_per_patient_table_one_row_per_input_row(twin_result) -> None:  # type: ignore[no-untyped-def]
    real = high_risk_cohort().covariates
    patients = twin_result.patients
    assert len(patients) == len(real)
    pd.testing.assert_frame_equal(patients[real.columns], real)  # input order and columns
    fractions = patients[FRACTION_COLUMNS].to_numpy()
    assert ((fractions >= 0) & (fractions <= 1)).all()
    assert (np.diff(fractions, axis=1) >= 0).all()  # monotone over 1, 3, 5, 10 years
    assert (fractions * 6 == np.round(fractions * 6)).all()  # counts of 6 twins
    np.testing.assert_array_equal(patients["risk_score"], patients["twins_relapsed_fraction_5y"])
    assert (patients["twins"] == 6).all()
    # The fractions come from the uncensored simulation.
    twins = twin_result.twins
    relapsed = twins["rfs_event_uncensored"] & (twins["rfs_days_uncensored"] <= 10 * 365.25)
    np.testing.assert_allclose(relapsed.groupby(twins["source_row"]).mean(),
                               patients["twins_relapsed_fraction_10y"])
    assert patients["twins_relapsed_fraction_10y"].sum() > 0  # high-risk women do relapse
    median = patients["median_simulated_rfs_days"]
    half = patients["twins_relapsed_fraction_10y"] >= 0.5
    assert (median[half] <= 10 * 365.25).all()


def test_twins_censored_at_their_patient_follow_up(twin_result) -> None:  # type: ignore[no-untyped-def]
    twins = twin_result.twins
    follow_up = twins["follow_up_days"].to_numpy()
    assert list(twins["patient_id"]) == list(range(48))
    np.testing.assert_array_equal(follow_up, np.repeat(high_risk_cohort().covariates[
        "follow_up_days"], 6))
    for endpoint in ("rfs", "dmfs", "os"):
        days = twins[f"{endpoint}_days"].to_numpy()
        event = twins[f"{endpoint}_event"].to_numpy()
        full_days = twins[f"{endpoint}_days_uncensored"].to_numpy()
        full_event = twins[f"{endpoint}_event_uncensored"].to_numpy()
        assert (days <= follow_up).all()
        np.testing.assert_array_equal(event, full_event & (full_days <= follow_up))
        np.testing.assert_array_equal(days, np.minimum(full_days, follow_up))
    late = twins["rfs_event_uncensored"] & (twins["rfs_days_uncensored"] > follow_up)
    assert late.any()  # the check above was exercised: events after follow-up are censored
    assert not twins.loc[late, "rfs_event"].any()
    np.testing.assert_array_equal(twins.loc[late, "rfs_days"], twins.loc[late, "follow_up_days"])
    by_follow_up = (twins["rfs_event"]).groupby(twins["source_row"]).mean()
    np.testing.assert_allclose(by_follow_up,
                               twin_result.patients["twins_relapsed_by_follow_up_fraction"])


def test_twin_run_is_reproducible(twin_result) -> None:  # type: ignore[no-untyped-def]
    again = run_twin(Scenario(biology="registry"), high_risk_cohort(), twins=6, seed=11,
                     chunk_size=7)
    pd.testing.assert_frame_equal(again.twins, twin_result.twins)
    pd.testing.assert_frame_equal(again.patients, twin_result.patients)


# --- command line -------------------------------------------------------------------------------


def run_cli(*args: str | Path):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, [str(a) for a in args], terminal_width=200)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_cli_twin_on_a_gbsg2_subset(gbsg2_frame: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "gbsg2_40.csv"
    gbsg2_frame.head(40).to_csv(data, index=False)
    out = tmp_path / "twin"
    result = run_cli("twin", data, "--columns", EXAMPLES / "gbsg2_columns.toml", "--twins", "3",
                     "--seed", "5", "--out", out)
    assert result.exit_code == 0, result.output
    assert "120/120" in result.stderr  # the progress bar counts twins
    assert "observed" in result.stdout and "patients.parquet" in result.stdout
    patients = pd.read_parquet(out / "patients.parquet")
    twins = pd.read_parquet(out / "twins.parquet")
    assert list(patients["patient_id"]) == list(range(40))
    np.testing.assert_array_equal(patients["age_years"], gbsg2_frame["age"].head(40))
    assert len(twins) == 120
    metadata = pq.read_schema(out / "twins.parquet").metadata
    assert metadata[b"tumorsim.table"] == b"twins"
    assert metadata[b"tumorsim.seed"] == b"5"
    assert metadata[b"tumorsim.twins_per_patient"] == b"3"
    assert metadata[b"tumorsim.column_map"] == b"GBSG2"
    # A second run replaces the first; a directory of other files is refused.
    again = run_cli("twin", data, "--twins", "3", "--seed", "5", "--out", out)
    assert again.exit_code == 0, again.output
    pd.testing.assert_frame_equal(pd.read_parquet(out / "patients.parquet"), patients)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep")
    refused = run_cli("twin", data, "--twins", "3", "--out", tmp_path / "other")
    assert refused.exit_code == 2 and "holds files tumorsim did not write" in refused.stderr


def test_cli_twin_builtin_gbsg2(tmp_path: Path) -> None:
    result = run_cli("twin", "--gbsg2", "--twins", "1", "--seed", "2", "--out", tmp_path / "g")
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "g" / "patients.parquet")) == 686


@pytest.mark.parametrize(
    ("args", "part"),
    [
        (["--twins", "2"], "missing DATA"),
        (["gbsg2", "--gbsg2"], "not both"),
        (["gbsg2", "--twins", "0"], "--twins = 0: must be >= 1"),
        (["nope.csv"], "nope.csv: file not found"),
        (["bad.csv"], "row 2, column 'tsize' (tumour_size_mm) = 500: out of range"),
    ],
)
def test_cli_twin_errors_are_one_line(
    args: list[str], part: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    gbsg2_frame: pd.DataFrame,
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = gbsg2_frame.head(3).copy()
    bad.loc[1, "tsize"] = 500
    bad.to_csv(tmp_path / "bad.csv", index=False)
    result = run_cli("twin", *args, "--out", tmp_path / "out")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and part in lines[0], lines


# --- samplers ---------------------------------------------------------------------------------


def test_empirical_sampler_is_reproducible_and_keeps_the_joint_distribution(
    gbsg2: Cohort,
) -> None:
    sample = sample_empirical(gbsg2, 20_000, seed=4)
    cov = sample.covariates
    pd.testing.assert_frame_equal(sample_empirical(gbsg2, 20_000, seed=4).covariates, cov)
    assert not cov["source_row"].equals(sample_empirical(gbsg2, 20_000, seed=5)
                                        .covariates["source_row"])
    # The first patients do not depend on how many are drawn.
    pd.testing.assert_frame_equal(sample_empirical(gbsg2, 10, seed=4).covariates, cov.head(10))
    assert list(cov["patient_id"]) == list(range(20_000))
    # Whole rows are copied.
    source = gbsg2.covariates.iloc[cov["source_row"]].reset_index(drop=True)
    for column in (*COVARIATE_COLUMNS, "relapse_event"):
        np.testing.assert_array_equal(cov[column], source[column])
    # Marginals and a joint frequency match the data within 0.02 (about 6 standard errors
    # of a proportion at n = 20,000).
    data = gbsg2.covariates
    for g in (1, 2, 3):
        assert abs((cov["grade"] == g).mean() - (data["grade"] == g).mean()) < 0.02
    both = (cov["er_fmol"] >= 10) & (cov["pr_fmol"] >= 10)
    data_both = (data["er_fmol"] >= 10) & (data["pr_fmol"] >= 10)
    assert abs(both.mean() - data_both.mean()) < 0.02


def test_virtual_population_selection_matches_target_marginals() -> None:
    plausible = Cohort.sample(PopulationSpec(), 20_000, seed=8)
    target = {
        "tumour_size_mm": {"edges": [0, 20, 50, 200], "weights": [0.6, 0.3, 0.1]},
        "grade": {"edges": [0.5, 1.5, 2.5, 3.5], "weights": [1, 5, 4]},
    }
    selected = select_virtual_population(plausible, target, seed=2)
    cov = selected.covariates
    assert 2_000 < len(selected) < 20_000
    # Reproducible; the kept patients keep their ids (and so their random streams).
    pd.testing.assert_frame_equal(select_virtual_population(plausible, target, seed=2)
                                  .covariates, cov)
    assert not select_virtual_population(plausible, target, seed=3).covariates.equals(cov)
    assert set(cov["patient_id"]) <= set(plausible.patient_ids)
    # Marginals within 0.03 of the target (about 4 standard errors at n ~ 5,000); the
    # plausible population is far from it in size (0.51 / 0.46 / 0.03).
    sizes = np.histogram(cov["tumour_size_mm"], [0, 20, 50, 200])[0] / len(cov)
    np.testing.assert_allclose(sizes, [0.6, 0.3, 0.1], atol=0.03)
    grades = np.bincount(cov["grade"], minlength=4)[1:] / len(cov)
    np.testing.assert_allclose(grades, [0.1, 0.5, 0.4], atol=0.03)


def test_virtual_population_selection_errors() -> None:
    plausible = Cohort.sample(PopulationSpec(), 500, seed=8)
    with pytest.raises(CohortError, match="no patient in target bin"):
        select_virtual_population(
            plausible, {"age_years": {"edges": [0, 10, 120], "weights": [1, 1]}}, seed=1)
    with pytest.raises(CohortError, match="column 'size'"):
        select_virtual_population(plausible, {"size": {"edges": [0, 1], "weights": [1]}}, 1)
    with pytest.raises(CohortError, match="weights were given"):
        select_virtual_population(
            plausible, {"grade": {"edges": [0, 1, 2], "weights": [1]}}, seed=1)
