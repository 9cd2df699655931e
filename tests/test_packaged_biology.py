"""Packaged biology by name: copied examples run, and ``Scenario()`` is the files' biology.

``extends = "tumorsim:calibrated"`` (and ``tumorsim:default``, ``tumorsim:registry``)
are resolved inside the installed package, so an example copied anywhere still runs;
a scenario built in Python starts from the same calibrated biology as the files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_cli, run_real_cli

from tumorsim import Scenario
from tumorsim.io.scenario_file import (
    PACKAGED_SCENARIOS,
    load_default_scenario,
    load_scenario,
    scenario_from_json,
    scenario_to_json,
)
from tumorsim.model.anatomy import CLONES, SITES
from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_DEFAULTS
from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.sites import SITE_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCENARIO_EXAMPLES = sorted(
    p.name for p in EXAMPLES.glob("*.toml")
    if p.name != "gbsg2_columns.toml" and not p.name.startswith("trial_")
)
EXTENDS = re.compile(r'^extends = "([^"]+)"', re.MULTILINE)


def resolved_biology(scenario: Scenario) -> dict[str, float]:
    """Every parameter, site and clone value the engine would use."""
    values = {name: scenario.parameter(name) for name in PARAMETERS}
    for site in SITES:
        for attr in SITE_ATTRIBUTES:
            values[f"sites.{site}.{attr.name}"] = scenario.site_value(site, attr.name)
    for clone in CLONES:
        for attr in CLONE_ATTRIBUTES:
            values[f"clones.{clone}.{attr.name}"] = scenario.clone_value(clone, attr.name)
    return values


# --- Scenario() is the packaged biology -----------------------------------------------------


def test_scenario_in_python_equals_the_default_files_biology() -> None:
    python = resolved_biology(Scenario())
    packaged = resolved_biology(load_default_scenario())
    assert python == packaged
    # and that biology is the calibration, not the registry
    registry = resolved_biology(Scenario(biology="registry"))
    changed = {k for k in python if python[k] != registry[k]}
    assert "metastasis_growth_multiplier" in changed
    assert "clones.ERpos_PRneg.motility_multiplier" in changed
    assert registry["metastasis_growth_multiplier"] == PARAMETERS[
        "metastasis_growth_multiplier"].default


def test_readme_python_scenario_has_the_examples_biology() -> None:
    # the README's "built in Python, the same validated objects" example
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scenario = Scenario(" in readme
    python = Scenario(
        treatment={"tamoxifen": {"duration_days": 1826.25, "adherence": 0.9}},
        exposures={"arsenic": {"kind": "constant", "level": 10.0}},
    )
    from_file = load_scenario(EXAMPLES / "er_positive_tamoxifen_arsenic.toml")
    assert resolved_biology(python) == resolved_biology(from_file)
    assert python.treatment == from_file.treatment
    assert python.exposures == from_file.exposures


def test_own_values_are_merged_over_the_calibration() -> None:
    s = Scenario(parameters={"fission_hill_power": 3.5},
                 clones={"ERpos_PRneg": {"growth_multiplier": 1.5}})
    calibrated = resolved_biology(Scenario())
    assert s.parameter("fission_hill_power") == 3.5
    assert s.parameter("metastasis_growth_multiplier") == calibrated[
        "metastasis_growth_multiplier"]
    assert s.clone_value("ERpos_PRneg", "growth_multiplier") == 1.5
    assert s.clone_value("ERpos_PRneg", "motility_multiplier") == calibrated[
        "clones.ERpos_PRneg.motility_multiplier"]
    # a scenario's own value wins over the calibrated one
    own = Scenario(parameters={"metastasis_growth_multiplier": 2.0})
    assert own.parameter("metastasis_growth_multiplier") == 2.0


def test_registry_biology_is_reachable_by_name(tmp_path: Path) -> None:
    registry = Scenario(biology="registry")
    assert registry.parameter("metastasis_growth_multiplier") == PARAMETERS[
        "metastasis_growth_multiplier"].default
    assert registry.clone_value("ERpos_PRneg", "motility_multiplier") == CLONE_DEFAULTS[
        "ERpos_PRneg"]["motility_multiplier"]
    path = tmp_path / "registry.toml"
    path.write_text('extends = "tumorsim:registry"\nname = "r"\n', encoding="utf-8")
    assert resolved_biology(load_scenario(path)) == resolved_biology(registry)
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "bare"\n', encoding="utf-8")
    assert resolved_biology(load_scenario(bare)) == resolved_biology(registry)


def test_changes_and_json_keep_the_biology(tmp_path: Path) -> None:
    for biology in ("calibrated", "registry"):
        s = Scenario(biology=biology)
        changed = s.with_changes(cohort={"patients": 7})
        assert resolved_biology(changed) == resolved_biology(s)
        again = scenario_from_json(scenario_to_json(s))
        assert again == s
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "bare"\n', encoding="utf-8")
    loaded = load_scenario(bare)
    assert resolved_biology(loaded.with_changes(cohort={"seed": 3})) == resolved_biology(
        Scenario(biology="registry"))


def test_json_written_before_the_biology_field_reads_as_registry() -> None:
    # JSON of file scenarios (results, checkpoints, fingerprints) keeps its old form
    registry = json.loads(scenario_to_json(Scenario(biology="registry")))
    assert "biology" not in registry
    old = scenario_from_json(json.dumps(registry))
    assert resolved_biology(old) == resolved_biology(Scenario(biology="registry"))
    assert json.loads(scenario_to_json(Scenario()))["biology"] == "calibrated"


def test_files_may_not_set_biology(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('biology = "calibrated"\n', encoding="utf-8")
    assert_one_line_error(run_cli("validate-scenario", path), "b.toml", "biology",
                          'extends = "tumorsim:calibrated"')
    child = tmp_path / "child.toml"
    child.write_text('extends = "b.toml"\n', encoding="utf-8")
    assert_one_line_error(run_cli("validate-scenario", child), "b.toml: biology")


def test_unknown_packaged_name(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('extends = "tumorsim:calibratd"\n', encoding="utf-8")
    assert_one_line_error(run_cli("validate-scenario", path), "p.toml",
                          "extends = 'tumorsim:calibratd'", "unknown packaged scenario",
                          "allowed: tumorsim:calibrated, tumorsim:default, tumorsim:registry")


def test_packaged_default_extends_the_calibration_by_name() -> None:
    assert set(PACKAGED_SCENARIOS) == {"calibrated", "default", "registry"}
    text = (ROOT / "src" / "tumorsim" / "data" / "default.toml").read_text(encoding="utf-8")
    assert EXTENDS.findall(text) == ["tumorsim:calibrated"]


# --- every example uses the packaged biology by name and runs when copied -----------------------


def test_every_example_chain_starts_from_a_packaged_name() -> None:
    for path in sorted(EXAMPLES.glob("*.toml")):
        if path.name == "gbsg2_columns.toml":
            continue
        chain = [path.name]
        text = path.read_text(encoding="utf-8")
        while (found := EXTENDS.findall(text)) and not found[0].startswith("tumorsim:"):
            chain.append(found[0])
            assert not found[0].startswith(("..", "/")), chain
            text = (EXAMPLES / found[0]).read_text(encoding="utf-8")
        assert found == ["tumorsim:calibrated"], chain


@pytest.fixture(scope="module")
def copied_examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every example, copied away from the repository, each with one value edited."""
    folder = tmp_path_factory.mktemp("my_examples")
    for path in EXAMPLES.glob("*.toml"):
        shutil.copy(path, folder / path.name)
    for name in (*SCENARIO_EXAMPLES, "trial_cxcr2.toml"):
        copy = folder / name
        text = copy.read_text(encoding="utf-8")
        edited = re.sub(r'^name = "([^"]*)"', r'name = "my \1"', text, count=1,
                        flags=re.MULTILINE)
        assert edited != text, name
        copy.write_text(edited, encoding="utf-8")
    return folder


def test_copied_examples_validate_through_the_real_entry_point(copied_examples: Path) -> None:
    for name in (*SCENARIO_EXAMPLES, "trial_cxcr2.toml"):
        result = run_real_cli("validate-scenario", copied_examples / name)
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.startswith("ok: my "), (name, result.stdout)


@pytest.mark.parametrize("name", SCENARIO_EXAMPLES)
def test_copied_example_simulates(copied_examples: Path, tmp_path: Path, name: str) -> None:
    copy = copied_examples / name
    # the edit reaches the run: the copy's name is in the summary, its numbers are the
    # original's (the same biology, cohort and plan)
    out = tmp_path / "run"
    result = run_cli("simulate", copy, "--patients", "20", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "simulated: my " in result.stdout
    assert (out / "patients.parquet").exists()
    original = load_scenario(EXAMPLES / name)
    assert resolved_biology(load_scenario(copy)) == resolved_biology(original)


def test_copied_trial_example_runs(copied_examples: Path, tmp_path: Path) -> None:
    result = run_cli("trial", copied_examples / "trial_cxcr2.toml", "--patients", "10",
                     "--seed", "1", "--out", tmp_path / "trial")
    assert result.returncode == 0, result.stderr
    assert "my AC-T with vs without CXCR2 inhibitor" in result.stdout


def test_copied_column_map_runs(copied_examples: Path, tmp_path: Path) -> None:
    from lifelines.datasets import load_gbsg2

    data = tmp_path / "patients.csv"
    load_gbsg2().head(3).to_csv(data, index=False)
    result = run_cli("twin", data, "--columns", copied_examples / "gbsg2_columns.toml",
                     "--twins", "1", "--seed", "1", "--out", tmp_path / "twin")
    assert result.returncode == 0, result.stderr
