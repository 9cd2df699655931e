"""Results directories: Parquet files that load back into the same SimulationResult."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tumorsim import Scenario, SimulationResult, simulate
from tumorsim.errors import ResultsError, TumorsimError
from tumorsim.io import load_results, save_results, scenario_from_json
from tumorsim.io.results_file import (
    PATIENTS_FILE,
    RESULTS_FORMAT_VERSION,
    ResultsWriter,
    remove_stale_staging,
)

SEED = 11


@pytest.fixture(scope="module")
def result() -> SimulationResult:
    scenario = Scenario(biology="registry",
                        cohort={"patients": 200, "trajectory_patients": 3, "horizon_years": 5})
    return simulate(scenario, seed=SEED)


def assert_same_result(loaded: SimulationResult, saved: SimulationResult) -> None:
    pd.testing.assert_frame_equal(loaded.patients, saved.patients)
    for name in ("trajectories", "site_environment"):
        got, want = getattr(loaded, name), getattr(saved, name)
        if want is None:
            assert got is None
        else:
            pd.testing.assert_frame_equal(got, want)
    assert loaded.scenario == saved.scenario
    assert loaded.seed == saved.seed
    assert loaded.version == saved.version


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_round_trip(result: SimulationResult, tmp_path: Path) -> None:
    out = save_results(result, tmp_path / "run")
    assert out == tmp_path / "run"
    assert entries(out) == ["patients.parquet", "site_environment.parquet", "trajectories.parquet"]
    loaded = load_results(out)
    assert_same_result(loaded, result)
    assert isinstance(loaded.patients["first_event_site"].dtype, pd.CategoricalDtype)
    assert len(loaded.patients) == 200
    assert loaded.trajectories is not None
    assert loaded.trajectories["patient_id"].nunique() == 3


def test_every_file_carries_scenario_seed_and_versions(
    result: SimulationResult, tmp_path: Path
) -> None:
    out = save_results(result, tmp_path / "run")
    for file in sorted(out.iterdir()):
        meta = pq.read_schema(file).metadata
        assert meta[b"tumorsim.format_version"] == str(RESULTS_FORMAT_VERSION).encode()
        assert meta[b"tumorsim.version"] == result.version.encode()
        assert int(meta[b"tumorsim.seed"]) == SEED
        assert meta[b"tumorsim.table"].decode() + ".parquet" == file.name
        assert json.loads(meta[b"tumorsim.scenario"])["cohort"]["patients"] == 200
        assert scenario_from_json(meta[b"tumorsim.scenario"]) == result.scenario


def test_result_without_trajectories(result: SimulationResult, tmp_path: Path) -> None:
    bare = dataclasses.replace(result, trajectories=None, site_environment=None)
    out = save_results(bare, tmp_path / "run")
    assert entries(out) == ["patients.parquet"]
    assert_same_result(load_results(out), bare)


def test_previous_results_are_replaced(result: SimulationResult, tmp_path: Path) -> None:
    out = tmp_path / "run"
    save_results(result, out)
    second = dataclasses.replace(
        result,
        patients=result.patients.head(50),
        trajectories=None,
        site_environment=None,
        seed=SEED + 1,
    )
    save_results(second, out)
    assert_same_result(load_results(out), second)
    # Old trajectory files do not survive, and no staging or backup folders remain.
    assert entries(out) == ["patients.parquet"]
    assert entries(tmp_path) == ["run"]


def test_missing_parents_are_created(result: SimulationResult, tmp_path: Path) -> None:
    out = save_results(result, tmp_path / "a" / "b" / "run")
    assert_same_result(load_results(out), result)


def test_a_directory_with_other_files_is_not_replaced(
    result: SimulationResult, tmp_path: Path
) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    with pytest.raises(ResultsError, match=r"notes: exists and holds files .*thesis\.txt"):
        save_results(result, out)
    assert entries(out) == ["thesis.txt"]
    assert (out / "thesis.txt").read_text() == "precious"
    assert entries(tmp_path) == ["notes"]


def test_a_file_is_not_replaced(result: SimulationResult, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.write_text("x")
    with pytest.raises(ResultsError, match="exists and is not a directory"):
        save_results(result, out)
    assert out.read_text() == "x"


def fail_on_second_write(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Make the second Parquet write fail after the first file was written."""
    written: list[Path] = []
    real_write = pq.ParquetWriter.write_table

    def write_then_fail(self, table, *args, **kwargs):
        if written:
            raise OSError(28, "No space left on device")
        real_write(self, table, *args, **kwargs)
        written.append(Path(self.where))

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_then_fail)
    return written


def test_failed_write_leaves_nothing_behind(
    result: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = fail_on_second_write(monkeypatch)
    with pytest.raises(ResultsError) as info:
        save_results(result, tmp_path / "run")
    assert written, "the first file should have been written before the failure"
    message = str(info.value)
    assert "\n" not in message
    assert "run: cannot write results: No space left on device" in message
    assert isinstance(info.value.__cause__, OSError)
    assert entries(tmp_path) == []


def test_failed_write_keeps_previous_results(
    result: SimulationResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = save_results(result, tmp_path / "run")
    fail_on_second_write(monkeypatch)
    other = dataclasses.replace(result, seed=SEED + 1)
    with pytest.raises(ResultsError):
        save_results(other, out)
    assert entries(tmp_path) == ["run"]
    assert_same_result(load_results(out), result)


# --- reading what is not a results directory ----------------------------------------------------


def test_load_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"nowhere: no such directory; expected: a results"):
        load_results(tmp_path / "nowhere")


def test_load_directory_without_patients_table(tmp_path: Path) -> None:
    with pytest.raises(
        ResultsError, match=r"patients\.parquet: file not found; expected: patients\.parquet in"
    ):
        load_results(tmp_path)


def test_load_parquet_without_tumorsim_metadata(tmp_path: Path) -> None:
    pd.DataFrame({"x": [1, 2]}).to_parquet(tmp_path / "patients.parquet")
    with pytest.raises(ResultsError) as info:
        load_results(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'patients.parquet'}: no tumorsim metadata")
    assert "tumorsim.scenario" in message
    assert "expected: a Parquet file written by tumorsim.save_results" in message


def test_load_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "patients.parquet").write_text("patient_id,age\n1,50\n")
    with pytest.raises(ResultsError, match=r"patients\.parquet: not a readable Parquet file"):
        load_results(tmp_path)


def test_load_rejects_files_of_different_runs(result: SimulationResult, tmp_path: Path) -> None:
    first = save_results(result, tmp_path / "first")
    second = save_results(dataclasses.replace(result, seed=SEED + 1), tmp_path / "second")
    (first / "trajectories.parquet").unlink()
    (second / "trajectories.parquet").rename(first / "trajectories.parquet")
    with pytest.raises(ResultsError, match=r"trajectories\.parquet: comes from a different"):
        load_results(first)


def test_load_rejects_a_newer_format(result: SimulationResult, tmp_path: Path) -> None:
    out = save_results(
        dataclasses.replace(result, trajectories=None, site_environment=None), tmp_path / "run"
    )
    table = pq.read_table(out / "patients.parquet")
    meta = {**table.schema.metadata, b"tumorsim.format_version": b"99"}
    pq.write_table(table.replace_schema_metadata(meta), out / "patients.parquet")
    with pytest.raises(ResultsError, match="written in results format 99"):
        load_results(out)


def test_results_error_is_a_tumorsim_error_and_pickles() -> None:
    error = ResultsError("runs/a/patients.parquet", "file not found", "a results file")
    assert isinstance(error, TumorsimError)
    copy = pickle.loads(pickle.dumps(error))
    assert (
        str(copy)
        == str(error)
        == ("runs/a/patients.parquet: file not found; expected: a results file")
    )


# --- writing chunk by chunk ----------------------------------------------------------------------


def _chunk(ids: list[int], sites: list[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": np.asarray(ids, dtype=np.int64),
        "arm": np.asarray(["a"] * len(ids), dtype=object),
        "site": pd.Categorical.from_codes(sites, categories=["breast", "bone", "lung"]),
    })


def test_results_writer_streams_chunks_as_row_groups(
    result: SimulationResult, tmp_path: Path
) -> None:
    chunks = [_chunk([], []), _chunk([1, 2, 3], [1, 1, -1]), _chunk([], []), _chunk([4], [0])]
    with ResultsWriter(tmp_path / "run", scenario=result.scenario, seed=SEED) as writer:
        assert not writer.path.exists()  # nothing where the results go until the end
        for part in chunks:
            writer.write(PATIENTS_FILE, "patients", part)
    assert entries(tmp_path) == ["run"]
    # chunks with rows are row groups; an empty chunk (whose object column has no type)
    # neither fixes the schema nor adds a row group
    file = pq.ParquetFile(writer.path / PATIENTS_FILE)
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == [3, 1]
    expected = pd.concat([c for c in chunks if len(c)], ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_parquet(writer.path / PATIENTS_FILE), expected)
    assert list(expected["site"].cat.categories) == ["breast", "bone", "lung"]
    # read back as one written whole
    whole = tmp_path / "whole"
    with ResultsWriter(whole, scenario=result.scenario, seed=SEED) as writer:
        writer.write(PATIENTS_FILE, "patients", expected)
    assert pq.read_schema(whole / PATIENTS_FILE).metadata == file.schema_arrow.metadata
    # a table all of whose chunks are empty is the first of them, as Parquet keeps it
    with ResultsWriter(tmp_path / "empty", scenario=result.scenario, seed=SEED) as writer:
        writer.write(PATIENTS_FILE, "patients", _chunk([], []))
        writer.write(PATIENTS_FILE, "patients", _chunk([], []))
    _chunk([], []).to_parquet(tmp_path / "plain.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "empty" / PATIENTS_FILE),
                                  pd.read_parquet(tmp_path / "plain.parquet"))


def test_results_writer_refuses_chunks_that_do_not_match(
    result: SimulationResult, tmp_path: Path
) -> None:
    out = save_results(result, tmp_path / "run")
    other = _chunk([5], [0])
    other["site"] = other["site"].cat.reorder_categories(["bone", "breast", "lung"])
    with pytest.raises(ValueError, match="other categories"):
        with ResultsWriter(out, scenario=result.scenario, seed=SEED) as writer:
            writer.write(PATIENTS_FILE, "patients", _chunk([1], [1]))
            writer.write(PATIENTS_FILE, "patients", other)
    with pytest.raises(ValueError, match="other columns"):
        with ResultsWriter(out, scenario=result.scenario, seed=SEED) as writer:
            writer.write(PATIENTS_FILE, "patients", _chunk([1], [1]))
            writer.write(PATIENTS_FILE, "patients", _chunk([2], [1]).drop(columns="arm"))
    # the previous results are untouched and no staging directory remains
    assert entries(tmp_path) == ["run"]
    assert_same_result(load_results(out), result)


def test_remove_stale_staging_deletes_only_the_staging_of_that_directory(tmp_path: Path) -> None:
    for name in (".run.partial-0123456789ab", ".run.partial-killed", ".other.partial-x"):
        (tmp_path / name).mkdir()
    (tmp_path / "run").mkdir()
    remove_stale_staging(tmp_path / "run")
    assert entries(tmp_path) == [".other.partial-x", "run"]
