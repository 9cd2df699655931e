"""The PhysiCell export parses against the cell-rules grammar (CBHG, rules CSV v3).

Checks on the written files, not on the code that writes them: 8 columns in order, every
behavior and signal one PhysiCell's dictionary accepts (its built-in names, the names it
derives from the declared substrates and cell types, or a declared custom variable),
positive half-max and Hill power, no rule stated twice (PhysiCell stops on that), and
every tumorsim law present — as rows, or as a note saying why it has none.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET

import pytest
from cli_helpers import run_cli

from tumorsim.export.physicell import COLUMNS, CUSTOM_VARIABLES, SUBSTRATES
from tumorsim.model.laws import LAWS

BUILT_IN_SIGNALS = {"pressure", "volume", "damage", "dead", "time", "apoptotic", "necrotic"}
BUILT_IN_BEHAVIORS = {"cycle entry", "apoptosis", "necrosis", "migration speed",
                      "migration bias", "migration persistence time"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("physicell")
    result = run_cli("rules", "--format", "physicell", "--out", out)
    assert result.returncode == 0, result.stderr
    lines = (out / "cell_rules.csv").read_text().splitlines()
    fragment = ET.fromstring("<root>" + "\n".join(
        (out / "PhysiCell_settings_fragment.xml").read_text().splitlines()[1:]) + "</root>")
    return lines, fragment


def _rows(lines):
    return list(csv.reader(line for line in lines if line and not line.startswith("//")))


def test_rows_have_the_v3_columns_and_valid_numbers(exported):
    lines, _ = exported
    rows = _rows(lines)
    assert len(COLUMNS) == 8
    assert rows
    for row in rows:
        assert len(row) == 8, row
        cell, signal, direction, behavior, saturation, half_max, hill, dead = row
        assert direction in ("increases", "decreases")
        assert float(saturation) >= 0.0, row
        assert float(half_max) > 0.0, row
        assert float(hill) > 0.0, row
        assert dead in ("0", "1")


def test_every_name_is_in_physicell_dictionary_or_declared(exported):
    lines, fragment = exported
    cell_types = {d.get("name") for d in fragment.iter("cell_definition")}
    substrates = {v.get("name") for v in fragment.iter("variable")}
    assert substrates == set(SUBSTRATES)
    signals = BUILT_IN_SIGNALS | substrates | {f"custom:{c}" for c in CUSTOM_VARIABLES} | {
        f"contact with {c}" for c in cell_types}
    behaviors = (BUILT_IN_BEHAVIORS | {f"{x} secretion" for x in substrates}
                 | {f"chemotactic response to {x}" for x in substrates}
                 | {f"transform to {c}" for c in cell_types}
                 | {f"custom:{c}" for c in CUSTOM_VARIABLES})
    for cell, signal, _, behavior, *_ in _rows(lines):
        assert cell in cell_types, cell
        assert signal in signals, signal
        assert behavior in behaviors, behavior
    for definition in fragment.iter("cell_definition"):
        for rate in definition.iter("transformation_rate"):
            assert rate.get("name") in cell_types


def test_no_rule_is_stated_twice(exported):
    lines, _ = exported
    keys = [tuple(row[:4]) for row in _rows(lines)]
    assert len(keys) == len(set(keys))


def test_every_law_appears_with_rows_or_a_note(exported):
    lines, _ = exported
    text = "\n".join(lines)
    for name, law in LAWS.items():
        header = f"// {name} ({law.mechanism}, {law.process}): {law.sentence()}"
        assert header in lines, name
        block = text.split(header, 1)[1].split("\n// ", 1)[0]
        has_rows = any(line and not line.startswith("//") for line in block.splitlines())
        has_note = re.search(r"^//   note: \S", text.split(header, 1)[1], re.M) is not None
        assert has_rows or has_note, name


def test_pr_loss_row_is_the_hill_law_in_per_minute_units(exported):
    from tumorsim.io.scenario_file import load_default_scenario

    s = load_default_scenario()
    lines, _ = exported
    row = next(r for r in _rows(lines)
               if r[0] == "ERpos_PRpos" and r[3] == "transform to ERpos_PRneg")
    assert row[1] == "custom:ros_index"
    per_day = s.parameter("pr_loss_baseline_per_day") + s.parameter("pr_loss_max_per_day")
    assert float(row[4]) == pytest.approx(per_day / 1440.0, rel=1e-5)
    assert float(row[5]) == pytest.approx(s.parameter("pr_loss_ros_half_max"), rel=1e-5)
    assert float(row[6]) == pytest.approx(s.parameter("pr_loss_hill_power"), rel=1e-5)


def test_bad_format_is_one_line(tmp_path):
    result = run_cli("rules", "--format", "xml")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --format: 'xml' given; allowed: 'text' or 'physicell'"
    result = run_cli("rules", "--format", "physicell")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--out" in result.stderr
