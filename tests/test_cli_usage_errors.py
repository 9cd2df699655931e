"""A malformed command line (wrong type, unknown option, missing argument, unknown
command) is one line on stderr naming the command and what was given, exit status 2, and
no usage box or traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli

CASES = {
    "not a whole number": (["simulate", "--patients", "1e9", "--out", "OUT"],
                           ["tumorsim simulate", "--patients", "'1e9'"]),
    "not a number": (["validate", "--draws", "many", "--out", "OUT"],
                     ["tumorsim validate", "--draws", "'many'"]),
    "unknown option": (["simulate", "--bogus"], ["tumorsim simulate", "--bogus"]),
    "missing argument": (["trial"], ["tumorsim trial", "SCENARIO"]),
    "unknown command": (["simulat"], ["tumorsim", "simulat"]),
    "below its least": (["calibrate-posterior", "--check-scale", "0", "--out", "OUT"],
                        ["--check-scale = 0", ">= 1"]),
    "not a sampler move": (["calibrate-posterior", "--moves", "gibbs", "--out", "OUT"],
                           ["--moves 'gibbs'", "stretch", "differential-evolution"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_command_line_is_one_line(case: str, tmp_path: Path) -> None:
    args, named = CASES[case]
    out = tmp_path / "out"
    result = run_cli(*[str(out) if a == "OUT" else a for a in args])
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in named:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in result.stderr and "╭" not in result.stderr
    assert not out.exists()


HOLD_CASES = {
    "not NAME=VALUE": ("awakening_rate_per_day", ["--hold 'awakening_rate_per_day'",
                                                  "NAME=VALUE"]),
    "not a number": ("awakening_rate_per_day=slow", ["awakening_rate_per_day=slow",
                                                     "finite number"]),
    "not a fitted parameter": ("growth_rate=1", ["--hold growth_rate", "not a fitted",
                                                 "awakening_rate_per_day"]),
    "outside its prior": ("sites.bone.deep_dormancy_share=0.99",
                          ["sites.bone.deep_dormancy_share=0.99", "0.2 to 0.95"]),
}


SIZE_CASES = {
    "not NAME=N": ("k2_patients_per_arm", ["--size 'k2_patients_per_arm'", "NAME=N"]),
    "not a whole number": ("k2_patients_per_arm=1e4", ["k2_patients_per_arm=1e4",
                                                     "whole number"]),
    "below one": ("k7_er_negative_patients=0", ["k7_er_negative_patients=0", ">= 1"]),
    "not a size": ("patients=100", ["--size 'patients=100'", "k4_patients_per_row"]),
}


OPTION_CASES = {("--hold", case): given for case, given in HOLD_CASES.items()} | {
    ("--size", case): given for case, given in SIZE_CASES.items()}


@pytest.mark.parametrize("option, case", sorted(OPTION_CASES))
def test_a_wrong_held_parameter_or_size_is_one_line(option: str, case: str,
                                                    tmp_path: Path) -> None:
    given, named = OPTION_CASES[option, case]
    out = tmp_path / "out"
    result = run_cli("calibrate-posterior", "--points", "4", "--out", out, option, given)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in named:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()


@pytest.mark.parametrize("case", ["missing file", "not a record", "unknown target"])
def test_a_wrong_targets_of_is_one_line(case: str, tmp_path: Path) -> None:
    # --targets-of names an earlier run whose targets the fit is restricted to
    import json

    record = tmp_path / "posterior.json"
    if case == "not a record":
        record.write_text("{}")
    elif case == "unknown target":
        record.write_text(json.dumps({"targets": [{"target": "k9:nothing"}]}))
    out = tmp_path / "out"
    result = run_cli("calibrate-posterior", "--points", "4", "--out", out,
                     "--targets-of", tmp_path / ("absent.json" if case == "missing file"
                                                 else "posterior.json"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "--targets-of" in lines[0] and ("k9:nothing" in lines[0]
                                           if case == "unknown target" else True)
    assert not out.exists()


@pytest.mark.parametrize("case", ["without --targets-of", "unknown target"])
def test_a_wrong_add_target_is_one_line(case: str, tmp_path: Path) -> None:
    # --add-target fits a current target besides an earlier run's (--targets-of)
    import json

    record = tmp_path / "posterior.json"
    record.write_text(json.dumps({"targets": [{"target": "k5:pr_loss_share"}]}))
    out = tmp_path / "out"
    given = ["--add-target", "k9:nothing" if case == "unknown target"
             else "k6:log_death_hazard_ratio:CMF"]
    if case == "unknown target":
        given += ["--targets-of", record]
    result = run_cli("calibrate-posterior", "--points", "4", "--out", out, *given)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "--add-target" in lines[0]
    assert ("k9:nothing" in lines[0] if case == "unknown target"
            else "--targets-of" in lines[0])
    assert not out.exists()
