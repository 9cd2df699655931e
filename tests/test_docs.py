"""The documentation says what exists: README keys, links inside the repository, the
generated parameter page, ``--version``, and no reference to a specification outside it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from cli_helpers import run_cli

import tumorsim
from tumorsim.errors import _annotation_at
from tumorsim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

# Files still citing the old outside specification, being rewritten elsewhere (issue 16):
# remove an entry when its file no longer cites it; the test then keeps it clean.
NOT_YET_CLEAN: set[str] = set()
"""Files still pointing at the outside specification (none left)."""


def _readme_key_table() -> list[tuple[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Scenario files"):]
    table = section[section.index("| table | keys |"):]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        tables_cell, keys_cell = line.strip("|").split("|", 1)
        rows.append((tables_cell, re.findall(r"`([a-z_0-9]+)`", keys_cell)))
    return rows


def test_readme_scenario_keys_exist() -> None:
    rows = _readme_key_table()
    assert len(rows) >= 10
    checked = 0
    for tables_cell, keys in rows:
        names = re.findall(r"\[([a-z_.<>0-9]+)\]", tables_cell)
        if not names:
            assert tables_cell.strip() == "top level"
            allowed = {*Scenario.model_fields, "extends"} - {"biology"}
            assert set(keys) <= allowed, keys
            checked += len(keys)
            continue
        for name in names:
            if name == "parameters":  # any parameter by name: `tumorsim params`
                assert "parameters" in Scenario.model_fields
                continue
            # "<site>" stands for any key of a dict table: its value's model
            path = tuple("x" if part.startswith("<") else part for part in name.split("."))
            model = _annotation_at(Scenario, path)
            assert model is not None and hasattr(model, "model_fields"), name
            unknown = set(keys) - set(model.model_fields)
            assert not unknown, (name, unknown, sorted(model.model_fields))
            checked += len(keys)
    assert checked > 50


def test_readme_lists_every_key_of_the_main_tables() -> None:
    listed = {key for _, keys in _readme_key_table() for key in keys}
    from tumorsim.model.scenario import CohortSpec, PopulationSpec, TreatmentPlan

    for model in (CohortSpec, PopulationSpec):
        missing = set(model.model_fields) - listed
        assert not missing, (model.__name__, missing)
    assert set(TreatmentPlan.model_fields) <= listed | {
        "tamoxifen", "chemotherapy", "cxcr2_inhibitor", "drp1_inhibitor", "nrf2_inhibitor",
        "ros_quencher", "exposure_removal"}


def _markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def test_links_point_inside_the_repository() -> None:
    for page in _markdown_files():
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), (page, target)
            assert resolved.exists(), (page, target)


def test_no_reference_to_the_outside_specification() -> None:
    hits = []
    for path in [README, *DOCS.rglob("*.md"), *(ROOT / "src").rglob("*.py")]:
        relative = path.relative_to(ROOT).as_posix()
        if relative in NOT_YET_CLEAN:
            continue
        if "MODEL.md" in path.read_text(encoding="utf-8"):
            hits.append(relative)
    assert not hits, hits


def test_model_page_is_self_contained() -> None:
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    for heading in ("## 1. Scales and states", "### 2.1 Growth", "### 2.4 M1",
                    "### 2.5 M2", "### 2.7 M3", "## 3. Numerics", "## 4. Parameters",
                    "## 5. Validation targets", "## 6. Calibration"):
        assert heading in text, heading
    for claim in ("M1a", "M1b", "M1c", "M2a", "M2b", "M3a", "M3b", "K1", "K2", "K3", "K4",
                  "K5", "K6"):
        assert f"| {claim} |" in text, claim
    assert "seeds/" not in text


def _parameters_page() -> object:
    spec = importlib.util.spec_from_file_location(
        "parameters_page", DOCS / "tools" / "parameters_page.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_page_is_up_to_date() -> None:
    page = _parameters_page()
    expected = page.render()  # type: ignore[attr-defined]
    assert (DOCS / "parameters.md").read_text(encoding="utf-8") == expected, (
        "docs/parameters.md is out of date: run "
        "python docs/tools/parameters_page.py docs/parameters.md")
    from tumorsim.model.parameters import PARAMETERS

    for name in PARAMETERS:
        assert f"`{name}`" in expected, name


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tumorsim {tumorsim.__version__}"
