"""Bad input files get one line and exit status 2: never a traceback, a hang or a huge read.

Scenario files, the files they extend, column maps and patient tables (issue 16).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run_cli, run_real_cli

from tumorsim.io.scenario_file import MAX_DEPTH, MAX_FILE_BYTES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GBSG2_HEADER = "horTh,age,menostat,tsize,tgrade,pnodes,progrec,estrec,time,cens\n"
GBSG2_ROW = "no,70,Post,21,II,3,48,66,1814,1\n"


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- where the file is not a file --------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate-scenario", "params", "rules"])
def test_scenario_from_a_device_is_refused(command: str) -> None:
    assert_one_line_error(run_cli(command, "/dev/zero"), "/dev/zero",
                          "not a regular file (a device)")


def test_extends_a_device_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "/dev/zero"\n')
    assert_one_line_error(run_cli("validate-scenario", path), "bad.toml",
                          "extends = '/dev/zero'", "not a regular file (a device)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_extends_a_fifo_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    path = write(tmp_path, 'extends = "pipe.toml"\n')
    # a real process: a blocking open would hang here until the timeout
    assert_one_line_error(run_real_cli("validate-scenario", path), "bad.toml",
                          "not a regular file (a FIFO)")


def test_scenario_that_is_a_directory(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("params", tmp_path), str(tmp_path),
                          "not a regular file (a directory)")


def test_scenario_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert_one_line_error(run_cli("validate-scenario", path), "bad.toml",
                          f"larger than {MAX_FILE_BYTES:,} bytes")


def test_extends_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    path = write(tmp_path, 'extends = "a.toml"\n')
    assert_one_line_error(run_cli("validate-scenario", path), "bad.toml",
                          "extends = 'a.toml'", "a symbolic link loop")


def test_extends_with_a_nul_byte(tmp_path: Path) -> None:
    path = write(tmp_path, 'extends = "a\\u0000b.toml"\n')
    assert_one_line_error(run_cli("validate-scenario", path), "bad.toml",
                          "contains a NUL byte")


# --- what is inside ------------------------------------------------------------------------------


def test_deep_nesting(tmp_path: Path) -> None:
    path = write(tmp_path, "a = " + "[" * 400 + "]" * 400 + "\n")
    assert_one_line_error(run_cli("validate-scenario", path), "bad.toml",
                          "nested too deeply", f"at most {MAX_DEPTH} levels")
    tables = write(tmp_path, "[" + ".".join(["t"] * (MAX_DEPTH + 1)) + "]\n", "tables.toml")
    assert_one_line_error(run_cli("validate-scenario", tables), "nested too deeply")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "K\xf6ln"\n'.encode("latin-1"))
    assert_one_line_error(run_cli("validate-scenario", path), "latin1.toml", "not UTF-8")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_exposure_times_must_be_finite(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, '[exposures.arsenic]\nkind = "steps"\n'
                 f"times_days = [0.0, {value}]\nlevels = [1.0, 2.0]\n")
    assert_one_line_error(run_cli("validate-scenario", path),
                          f"exposures.arsenic.times_days[1] = {value.lstrip('+')}",
                          "must be a finite number")
    # it used to pass validation and then crash simulate while writing JSON
    assert_one_line_error(run_cli("simulate", path, "--patients", "2", "--out",
                                  tmp_path / "out"), "must be a finite number")


@pytest.mark.parametrize(("table", "key"), [
    ("[exposures.lead]\nkind = \"constant\"\n", "level"),
    ("[cohort]\n", "horizon_years"),
    ("[population]\n", "age_mean_years"),
    ("[treatment.tamoxifen]\n", "adherence"),
    ("[sites.lung]\n", "stiffness_kpa"),
    ("[parameters]\n", "fission_hill_power"),
])
def test_nan_is_refused_everywhere(tmp_path: Path, table: str, key: str) -> None:
    path = write(tmp_path, f"{table}{key} = nan\n")
    assert_one_line_error(run_cli("validate-scenario", path), f"{key} = nan")


def test_scenario_json_nested_too_deeply() -> None:
    from tumorsim.errors import ScenarioError
    from tumorsim.io.scenario_file import scenario_from_json

    with pytest.raises(ScenarioError, match="nested too deeply"):
        scenario_from_json("[" * 100_000 + "]" * 100_000)


# --- trial files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate-scenario", "params", "rules"])
def test_trial_files_are_accepted(command: str) -> None:
    result = run_cli(command, EXAMPLES / "trial_cxcr2.toml")
    assert result.returncode == 0, result.stderr
    if command == "validate-scenario":
        assert result.stdout.strip() == "ok: AC-T with vs without CXCR2 inhibitor"


def test_simulate_names_the_trial_command_for_a_trial_file(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cli("simulate", EXAMPLES / "trial_cxcr2.toml", "--patients", "2", "--out",
                tmp_path / "out"),
        "trial_cxcr2.toml", "a trial file ([arms] tables)", "tumorsim trial")


# --- column maps and patient tables --------------------------------------------------------------


def csv(tmp_path: Path, text: str, name: str = "patients.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def twin(*args: str | Path) -> list[str | Path]:
    return ["twin", *args, "--twins", "1", "--seed", "1"]


def test_column_map_from_a_device(tmp_path: Path) -> None:
    data = csv(tmp_path, GBSG2_HEADER + GBSG2_ROW)
    assert_one_line_error(run_cli(*twin(data, "--columns", "/dev/zero", "--out",
                                        tmp_path / "o")), "/dev/zero", "a device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_column_map_from_a_fifo(tmp_path: Path) -> None:
    data = csv(tmp_path, GBSG2_HEADER + GBSG2_ROW)
    os.mkfifo(tmp_path / "map.toml")
    assert_one_line_error(run_real_cli(*twin(data, "--columns", tmp_path / "map.toml",
                                             "--out", tmp_path / "o")), "a FIFO")


def test_header_only_csv(tmp_path: Path) -> None:
    data = csv(tmp_path, GBSG2_HEADER)
    assert_one_line_error(run_cli(*twin(data, "--out", tmp_path / "o")), "patients.csv",
                          "no patients (the table has no rows)")


def test_empty_csv(tmp_path: Path) -> None:
    data = csv(tmp_path, "")
    assert_one_line_error(run_cli(*twin(data, "--out", tmp_path / "o")), "patients.csv",
                          "empty file")


def test_repeated_csv_header(tmp_path: Path) -> None:
    data = csv(tmp_path, GBSG2_HEADER.replace("menostat", "age") + GBSG2_ROW)
    assert_one_line_error(run_cli(*twin(data, "--out", tmp_path / "o")), "patients.csv",
                          "column name repeated in the header: 'age'", "each column name once")


def test_repeated_column_in_a_dataframe() -> None:
    import pandas as pd

    from tumorsim.cohort.data import cohort_from_dataframe
    from tumorsim.errors import CohortError

    frame = pd.DataFrame([[1, 2]], columns=["age", "age"])
    with pytest.raises(CohortError, match="column names repeated: 'age'"):
        cohort_from_dataframe(frame, source="frame")


def test_nan_in_a_column_map(tmp_path: Path) -> None:
    data = csv(tmp_path, GBSG2_HEADER + GBSG2_ROW)
    text = (EXAMPLES / "gbsg2_columns.toml").read_text(encoding="utf-8")
    bad = write(tmp_path, text.replace("I = 1", "I = nan", 1), "map.toml")
    assert "I = nan" in bad.read_text(encoding="utf-8")
    assert_one_line_error(run_cli(*twin(data, "--columns", bad, "--out", tmp_path / "o")),
                          "map.toml", "nan")
