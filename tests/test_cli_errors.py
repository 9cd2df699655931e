"""The command line reports bad scenarios in one line on stderr, without a traceback.

Most cases run the CLI in-process through typer's ``CliRunner`` (fast); the tests marked
"real" run ``python -m tumorsim`` in a subprocess to cover the entry point end to end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_cli, run_real_cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- good input ------------------------------------------------------------------------------


def test_real_cli_validate_scenario_ok() -> None:
    result = run_real_cli("validate-scenario", EXAMPLES / "er_positive_tamoxifen_arsenic.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: ER+ tamoxifen, arsenic 10 ug/L"


def test_params_lists_parameters_sources_and_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[sites.lung]\nstiffness_kpa = 2.5\n[parameters]\nfission_hill_power = 3.5\n",
        "ok.toml",
    )
    result = run_cli("params", path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in (
        "fission_hill_power",
        "3.5*",
        "lung.stiffness_kpa",
        "2.5*",
        "ERneg.cxcl_secretion",
        "Acharyya",
        "kPa",
        "primary_doubling_time_days",
    ):
        assert text in out, text


def test_params_without_scenario_shows_defaults() -> None:
    result = run_cli("params")
    assert result.returncode == 0, result.stderr
    assert "primary_doubling_time_days" in result.stdout
    assert "157" in result.stdout


# --- bad input: one test per case -------------------------------------------------------------


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[cohort]\npatient = 10\n")
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "cohort.patient",
        "unknown key 'patient'",
        "allowed keys: patients, seed",
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, '[cohort]\npatients = "many"\n')
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "cohort.patients",
        "'many'",
        "expected an integer",
    )


def test_negative_dose(tmp_path: Path) -> None:
    path = write(tmp_path, '[exposures.arsenic]\nkind = "constant"\nlevel = -5\n')
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "exposures.arsenic.level",
        "-5",
        "must be >= 0",
    )


def test_real_cli_adherence_above_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[treatment.tamoxifen]\nadherence = 1.5\n")
    line = assert_one_line_error(run_real_cli("validate-scenario", path))
    assert line == f"error: {path}: treatment.tamoxifen.adherence = 1.5: must be <= 1"


def test_stiffness_not_positive(tmp_path: Path) -> None:
    path = write(tmp_path, "[sites.liver]\nstiffness_kpa = -1.0\n")
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "sites.liver.stiffness_kpa",
        "-1.0",
        "must be > 0",
    )


def test_unknown_site(tmp_path: Path) -> None:
    path = write(tmp_path, "[sites.lungs]\nstiffness_kpa = 1.0\n")
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "sites.lungs",
        "unknown site 'lungs'",
        "allowed: breast, bone, lung, liver, brain",
    )


def test_unknown_regimen(tmp_path: Path) -> None:
    path = write(tmp_path, '[treatment.chemotherapy]\nregimen = "FEC"\n')
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "treatment.chemotherapy.regimen",
        "'FEC'",
        "allowed: 'CMF', 'AC', 'AC_T', 'ddAC_T', 'cisplatin'",
    )


def test_unknown_drug(tmp_path: Path) -> None:
    path = write(tmp_path, "[treatment.letrozole]\nstart_day = 0.0\n")
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "bad.toml",
        "treatment.letrozole",
        "unknown key 'letrozole'",
        "allowed keys: surgery, tamoxifen",
    )


def test_extends_loop(tmp_path: Path) -> None:
    write(tmp_path, 'extends = "second.toml"\n', "first.toml")
    write(tmp_path, 'extends = "first.toml"\n', "second.toml")
    assert_one_line_error(
        run_cli("validate-scenario", tmp_path / "first.toml"),
        "second.toml",
        "extends",
        "'first.toml'",
        "extends loop",
        "first.toml -> second.toml -> first.toml",
        "a chain of files without cycles",
    )


def test_real_cli_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(
        run_real_cli("validate-scenario", tmp_path / "absent.toml"),
        "absent.toml",
        "file not found",
        "an existing TOML file",
    )


def test_missing_extends_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "absent_parent.toml"\n', "child.toml")
    assert_one_line_error(
        run_cli("validate-scenario", path),
        "child.toml",
        "extends",
        "'absent_parent.toml'",
        "file not found",
        "an existing TOML file",
    )


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[cohort\npatients = 3\n")
    assert_one_line_error(
        run_cli("validate-scenario", path), "bad.toml", "invalid TOML syntax at line 1, column"
    )


def test_bad_value_in_parent_names_the_parent(tmp_path: Path) -> None:
    write(tmp_path, "[sites.lung]\nstiffness_kpa = 0.0\n", "parent.toml")
    child = write(tmp_path, 'extends = "parent.toml"\nname = "child"\n', "child.toml")
    line = assert_one_line_error(
        run_cli("validate-scenario", child),
        "parent.toml",
        "sites.lung.stiffness_kpa",
        "0.0",
        "must be > 0",
    )
    assert "child.toml" not in line


@pytest.mark.parametrize("command", ["params", "validate-scenario"])
def test_every_command_uses_the_shared_handler(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, "[cohort]\npatients = 0\n")
    assert_one_line_error(run_cli(command, path), "bad.toml", "cohort.patients = 0", "must be >= 1")
