"""Scenario files: examples load, ``extends`` merges, JSON round-trips, bad input is named."""

from __future__ import annotations

import pickle
import tomllib
from pathlib import Path

import pytest

import tumorsim
from tumorsim.errors import ScenarioError, TumorsimError
from tumorsim.io.scenario_file import (
    load_default_scenario,
    load_scenario,
    scenario_from_json,
    scenario_to_json,
)
from tumorsim.model.scenario import Scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Column maps (``*_columns.toml``, for ``tumorsim twin --columns``) are not scenarios;
# trial files (``trial_*.toml``: a scenario with [arms.*] tables) are checked in test_trial.py.
EXAMPLE_FILES = sorted(
    p
    for p in EXAMPLES.glob("*.toml")
    if not p.name.endswith("_columns.toml") and not p.name.startswith("trial_")
)
EXPECTED_EXAMPLES = {
    "er_positive_tamoxifen.toml",
    "er_positive_tamoxifen_arsenic.toml",
    "act_chemotherapy.toml",
    "act_chemotherapy_cxcr2.toml",
    "cisplatin.toml",
    "cisplatin_drp1_nrf2.toml",
}


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and message
    return info.value


# --- good files -------------------------------------------------------------------------------


def test_all_expected_examples_exist() -> None:
    assert EXPECTED_EXAMPLES <= {p.name for p in EXAMPLE_FILES}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_loads_and_starts_with_a_question(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.name != "default"
    assert path.read_text(encoding="utf-8").startswith("#")
    assert 1 <= scenario.cohort.patients <= 10_000


def test_examples_say_what_they_add() -> None:
    tam = load_scenario(EXAMPLES / "er_positive_tamoxifen.toml")
    arsenic = load_scenario(EXAMPLES / "er_positive_tamoxifen_arsenic.toml")
    assert tam.treatment.tamoxifen is not None
    assert tam.population.er_positive_fraction == 1.0
    assert tam.exposures.arsenic is None
    assert arsenic.exposures.arsenic is not None
    assert arsenic.exposures.arsenic.kind == "constant"
    assert arsenic.exposures.arsenic.level == 10.0
    assert arsenic.treatment == tam.treatment
    assert arsenic.cohort == tam.cohort

    act = load_scenario(EXAMPLES / "act_chemotherapy.toml")
    cxcr2 = load_scenario(EXAMPLES / "act_chemotherapy_cxcr2.toml")
    assert act.treatment.chemotherapy is not None
    assert act.treatment.chemotherapy.regimen == "AC_T"
    assert act.population.er_positive_fraction == pytest.approx(0.3)
    assert act.treatment.cxcr2_inhibitor is None
    assert cxcr2.treatment.chemotherapy == act.treatment.chemotherapy
    assert cxcr2.treatment.cxcr2_inhibitor is not None

    cis = load_scenario(EXAMPLES / "cisplatin.toml")
    both = load_scenario(EXAMPLES / "cisplatin_drp1_nrf2.toml")
    assert cis.treatment.chemotherapy is not None
    assert cis.treatment.chemotherapy.regimen == "cisplatin"
    assert cis.population.er_positive_fraction == 0.0
    assert both.treatment.chemotherapy == cis.treatment.chemotherapy
    assert both.treatment.drp1_inhibitor is not None
    assert both.treatment.nrf2_inhibitor is not None


def test_default_scenario() -> None:
    scenario = load_default_scenario()
    assert scenario.cohort.patients == 1000
    assert scenario.cohort.seed == 12345
    assert scenario.population.er_positive_fraction == 1.0
    assert scenario.treatment.surgery is True
    tamoxifen = scenario.treatment.tamoxifen
    assert tamoxifen is not None
    assert tamoxifen.adherence == 0.9
    assert tamoxifen.duration_days == pytest.approx(5 * 365.25)
    assert scenario.treatment.chemotherapy is None
    # the biology is the GBSG2 calibration, every fitted value taken from its file
    from tumorsim.calibration import CALIBRATED_PARAMETERS, calibrated_value

    calibrated = tomllib.loads(
        (Path(tumorsim.__file__).parent / "data" / "calibrated_parameters.toml").read_text())
    for spec in CALIBRATED_PARAMETERS:
        section = calibrated["parameters"]
        key = spec.name
        if key.startswith("clones."):
            _, clone, key = key.split(".")
            section = calibrated["clones"][clone]
        assert calibrated_value(scenario, spec.name) == section[key]


def test_extends_child_overrides_parent_and_inherits_the_rest(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.toml",
        """
name = "parent"
[cohort]
patients = 100
seed = 7
[population]
grade_probabilities = [0.2, 0.5, 0.3]
[treatment.tamoxifen]
adherence = 0.9
duration_days = 1000
[parameters]
fission_hill_power = 3.0
""",
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    child = write(
        sub,
        "child.toml",
        """
extends = "../parent.toml"
name = "child"
[cohort]
seed = 8
[population]
grade_probabilities = [0.1, 0.1, 0.8]
[treatment.tamoxifen]
adherence = 0.5
[parameters]
fission_hill_power = 4.0
""",
    )
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert scenario.cohort.patients == 100  # inherited
    assert scenario.cohort.seed == 8  # overridden
    assert scenario.population.grade_probabilities == (0.1, 0.1, 0.8)  # arrays replace
    assert scenario.treatment.tamoxifen is not None
    assert scenario.treatment.tamoxifen.adherence == 0.5
    assert scenario.treatment.tamoxifen.duration_days == 1000  # sibling key kept
    assert scenario.parameter("fission_hill_power") == 4.0


def test_extends_chain_of_three(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'name = "a"\n[cohort]\npatients = 10\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\nname = "b"\n[cohort]\nseed = 3\n')
    c = write(tmp_path, "c.toml", 'extends = "b.toml"\n[cohort]\nhorizon_years = 5\n')
    scenario = load_scenario(c)
    assert scenario.name == "b"
    assert (scenario.cohort.patients, scenario.cohort.seed) == (10, 3)
    assert scenario.cohort.horizon_years == 5


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_json_round_trip(path: Path) -> None:
    scenario = load_scenario(path)
    text = scenario_to_json(scenario)
    assert scenario_from_json(text) == scenario
    assert scenario_to_json(scenario_from_json(text)) == text


def test_json_round_trip_of_a_rich_python_scenario() -> None:
    scenario = Scenario(
        name="rich",
        sites={"lung": {"stiffness_kpa": 2.5}},
        clones={"ERneg": {"growth_multiplier": 1.2}},
        parameters={"fission_hill_power": 3.0},
        exposures={"lead": {"kind": "steps", "times_days": [-100, 0], "levels": [2, 0]}},
        treatment={"chemotherapy": {"regimen": "ddAC_T"}, "ros_quencher": {}},
    )
    assert scenario_from_json(scenario_to_json(scenario, indent=None)) == scenario


def test_bad_json_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="invalid JSON"):
        scenario_from_json("{not json")
    with pytest.raises(ScenarioError, match=r"cohort\.patients = 0: must be >= 1"):
        scenario_from_json('{"cohort": {"patients": 0}}')


def test_scenario_error_is_a_tumorsim_error_and_pickles() -> None:
    err = ScenarioError("x.toml", "cohort.patients", 0, "must be >= 1")
    assert isinstance(err, TumorsimError)
    assert str(err) == "x.toml: cohort.patients = 0: must be >= 1"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err)
    assert (again.file, again.field, again.value, again.allowed) == (
        Path("x.toml"),
        "cohort.patients",
        0,
        "must be >= 1",
    )


# --- bad files: one test per case -----------------------------------------------------------


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[treatment]\ntamoxifn = { adherence = 0.9 }\n")
    err = load_error(path)
    assert err.file == path
    assert err.field == "treatment.tamoxifn"
    assert "unknown key 'tamoxifn'" in str(err)
    assert "allowed keys: surgery, tamoxifen, chemotherapy" in str(err)


def test_unknown_top_level_key_lists_extends(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", "patients = 5\n"))
    assert err.field == "patients"
    assert "extends" in err.allowed and "cohort" in err.allowed


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[treatment.tamoxifen]\nadherence = "high"\n')
    err = load_error(path)
    assert str(err) == (
        f"{path}: treatment.tamoxifen.adherence = 'high': wrong type: expected a number"
    )


def test_wrong_type_is_not_coerced_from_a_file(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", '[treatment]\nsurgery = "yes"\n'))
    assert err.field == "treatment.surgery"
    assert err.value == "yes"
    assert "expected true or false" in str(err)


def test_negative_arsenic_level(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[exposures.arsenic]\nkind = "constant"\nlevel = -5\n')
    err = load_error(path)
    assert (err.field, err.value) == ("exposures.arsenic.level", -5)
    assert str(err) == f"{path}: exposures.arsenic.level = -5: must be >= 0"


def test_adherence_above_one(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[treatment.tamoxifen]\nadherence = 1.5\n")
    assert str(load_error(path)) == f"{path}: treatment.tamoxifen.adherence = 1.5: must be <= 1"


def test_stiffness_not_positive(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[sites.lung]\nstiffness_kpa = 0.0\n")
    assert str(load_error(path)) == f"{path}: sites.lung.stiffness_kpa = 0.0: must be > 0"


def test_unknown_site(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[sites.lungs]\nstiffness_kpa = 1.0\n")
    err = load_error(path)
    assert str(err) == (
        f"{path}: sites.lungs: unknown site 'lungs'; allowed: breast, bone, lung, liver, brain"
    )


def test_unknown_clone(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", "[clones.ERplus]\ngrowth_multiplier = 1.0\n"))
    assert "unknown clone 'ERplus'; allowed: ERpos_PRpos, ERpos_PRneg, ERneg" in str(err)


def test_unknown_regimen(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[treatment.chemotherapy]\nregimen = "FEC"\n')
    err = load_error(path)
    assert str(err) == (
        f"{path}: treatment.chemotherapy.regimen = 'FEC': "
        "allowed: 'CMF', 'AC', 'AC_T', 'ddAC_T', 'cisplatin'"
    )


def test_unknown_drug(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", "[treatment.letrozole]\nstart_day = 0.0\n"))
    assert err.field == "treatment.letrozole"
    assert "unknown key 'letrozole'" in str(err)
    assert "cxcr2_inhibitor" in str(err)


def test_unknown_parameter(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", "[parameters]\nfission_power = 2.0\n"))
    assert err.field == "parameters.fission_power"
    assert "unknown parameter 'fission_power'" in str(err)


def test_parameter_out_of_range(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "bad.toml", "[parameters]\nfission_hill_power = 100\n"))
    assert str(err).endswith("parameters.fission_hill_power = 100: must be in [0.5, 10]")


def test_extends_loop(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "c.toml"\n')
    write(tmp_path, "c.toml", 'extends = "a.toml"\n')
    err = load_error(tmp_path / "a.toml")
    assert err.field == "extends"
    assert err.file == tmp_path / "c.toml"
    assert "extends loop" in str(err)
    for name in ("a.toml", "b.toml", "c.toml"):
        assert name in str(err)


def test_extends_itself(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "self.toml", 'extends = "self.toml"\n'))
    assert "extends loop" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    err = load_error(path)
    assert err.file == path
    assert err.value == str(path)
    assert err.allowed == "an existing TOML file"
    assert str(err) == f"{path}: file not found; expected: an existing TOML file"


def test_missing_extends_file(tmp_path: Path) -> None:
    path = write(tmp_path, "child.toml", 'extends = "missing_parent.toml"\n')
    err = load_error(path)
    assert (err.file, err.field, err.value) == (path, "extends", "missing_parent.toml")
    assert err.allowed == "an existing TOML file"
    assert "file not found" in str(err)


def test_invalid_toml_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", 'name = "x"\n[cohort]\npatients = = 3\n')
    err = load_error(path)
    assert str(err).startswith(f"{path}: invalid TOML syntax at line 3, column")


def test_error_names_the_file_that_gave_the_value(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.toml", "[treatment.tamoxifen]\nadherence = 1.5\n")
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\nname = "child"\n')
    err = load_error(child)
    assert err.file == parent
    assert err.field == "treatment.tamoxifen.adherence"


def test_child_override_of_a_bad_value_is_blamed_on_the_child(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", "[treatment.tamoxifen]\nadherence = 0.5\nstart_day = 0.0\n")
    child = write(
        tmp_path, "child.toml", 'extends = "parent.toml"\n[treatment.tamoxifen]\nadherence = 2.0\n'
    )
    assert load_error(child).file == child


def test_model_level_error_names_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", '[exposures.arsenic]\nkind = "constant"\n')
    err = load_error(path)
    assert err.field == "exposures.arsenic"
    assert "a constant exposure needs 'level'" in str(err)
