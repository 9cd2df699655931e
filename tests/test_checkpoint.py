"""Checkpoint, resume and streaming: a killed run continued with --resume gives identical
results, written chunk by chunk without ever holding the whole result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_helpers import SRC, assert_one_line_error, run_cli

import tumorsim.engine.simulate as engine
import tumorsim.runner.simulate as in_process_runner
from tumorsim import Scenario, simulate
from tumorsim.errors import TumorsimError
from tumorsim.io import load_results, save_results
from tumorsim.io.checkpoint import checkpoint_dir
from tumorsim.io.results_file import RESULTS_FILES
from tumorsim.runner.directory import simulate_to_directory
from tumorsim.runner.simulate import ChunkedRun

SCENARIO = Scenario(biology="registry", treatment={"tamoxifen": {}},
                    cohort={"trajectory_patients": 40, "horizon_years": 10.0})


class Interrupted(Exception):
    pass


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.trajectories, b.trajectories)
    pd.testing.assert_frame_equal(a.site_environment, b.site_environment)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``save_results(simulate(...))``: what the streamed results must equal."""
    return save_results(simulate(SCENARIO, seed=4, patients=350),
                        tmp_path_factory.mktemp("saved") / "run")


def _assert_same_files(streamed: Path, saved: Path) -> None:
    """The same files, read back as the same frames, with the same tumorsim metadata."""
    assert sorted(p.name for p in streamed.iterdir()) == sorted(p.name for p in saved.iterdir())
    for name in RESULTS_FILES.values():
        pd.testing.assert_frame_equal(pd.read_parquet(streamed / name),
                                      pd.read_parquet(saved / name))
        a, b = pq.read_schema(streamed / name).metadata, pq.read_schema(saved / name).metadata
        assert {k: v for k, v in a.items() if k.startswith(b"tumorsim.")} == {
            k: v for k, v in b.items() if k.startswith(b"tumorsim.")}
    _same(load_results(streamed), load_results(saved))


def _row_groups(path: Path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.mark.parametrize("chunk_size", [100, 350])
def test_streamed_results_equal_saved_simulate_one_row_group_per_chunk(
        tmp_path, saved, chunk_size):
    out = simulate_to_directory(SCENARIO, tmp_path / "run", seed=4, patients=350,
                                chunk_size=chunk_size)
    assert out == tmp_path / "run"
    _assert_same_files(out, saved)
    # streamed: one row group per chunk (saved whole, the table is one row group)
    sizes = [100, 100, 100, 50] if chunk_size == 100 else [350]
    assert _row_groups(out / "patients.parquet") == sizes
    assert len(_row_groups(out / "trajectories.parquet")) == len(sizes)
    # the checkpoint is gone once the results are in place, and no staging is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_only_one_chunk_is_held_at_a_time(tmp_path, saved, monkeypatch):
    """Each chunk's rows are written as they come, and dropped before the next chunk."""
    alive: list[weakref.ref[pd.DataFrame]] = []
    held: list[int] = []  # chunks alive when a chunk is simulated, itself excluded
    real_simulate = ChunkedRun.simulate

    def spy_simulate(run, start, stop, **kwargs):
        held.append(sum(ref() is not None for ref in alive))
        part = real_simulate(run, start, stop, **kwargs)
        alive.append(weakref.ref(part.patients))
        return part

    writes: list[tuple[str, int]] = []  # into the results being written
    real_write = pq.ParquetWriter.write_table

    def spy_write(self, table, *args, **kwargs):
        where = Path(self.where)
        if where.parent.name.startswith(".run.partial-"):  # not the checkpoint's chunks
            writes.append((where.name, table.num_rows))
        real_write(self, table, *args, **kwargs)

    def combine_chunks(*args, **kwargs):
        raise AssertionError("the whole result is never assembled")

    monkeypatch.setattr(ChunkedRun, "simulate", spy_simulate)
    monkeypatch.setattr(engine, "combine_chunks", combine_chunks)
    monkeypatch.setattr(in_process_runner, "combine_chunks", combine_chunks)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", spy_write)
    out = simulate_to_directory(SCENARIO, tmp_path / "run", seed=4, patients=350,
                                chunk_size=100)
    assert held == [0, 0, 0, 0]
    # the results files got each chunk once, with only that chunk's rows
    patients = [rows for name, rows in writes if name == "patients.parquet"]
    assert patients == [100, 100, 100, 50]
    assert max(rows for _, rows in writes) < len(pd.read_parquet(out / "trajectories.parquet"))
    _assert_same_files(out, saved)


def test_interrupted_run_resumes_to_identical_results_and_ignores_partial_chunks(
        tmp_path, saved):
    out = tmp_path / "run"

    def stop_after_two(done: int, total: int) -> None:
        if done >= 200:
            raise Interrupted

    with pytest.raises(Interrupted):
        simulate_to_directory(SCENARIO, out, seed=4, patients=350, chunk_size=100,
                              progress=stop_after_two)
    ck = checkpoint_dir(out)
    assert sorted(p.name for p in ck.glob("chunk-*")) == ["chunk-000000", "chunk-000001"]
    # the results being written were dropped: nothing half-written is left
    assert sorted(p.name for p in tmp_path.iterdir()) == [ck.name]
    # a chunk cut off mid-write is never read: plant a broken one; and the staging
    # directory of results being written when a run was killed is deleted on resume
    broken = ck / ".chunk-000002.partial-dead"
    broken.mkdir()
    (broken / "patients.parquet").write_text("not parquet")
    (tmp_path / ".run.partial-killed").mkdir()
    # without --resume the checkpoint is not silently reused or overwritten
    with pytest.raises(TumorsimError, match="--resume"):
        simulate_to_directory(SCENARIO, out, seed=4, patients=350, chunk_size=100)
    # with another seed it is refused
    with pytest.raises(TumorsimError, match="seed was 4, now 5"):
        simulate_to_directory(SCENARIO, out, seed=5, patients=350, chunk_size=100,
                              resume=True)
    simulate_to_directory(SCENARIO, out, seed=4, patients=350, chunk_size=100, resume=True)
    _assert_same_files(out, saved)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _start_cli(*args: str | Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.Popen([sys.executable, "-m", "tumorsim", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            env=env)


def test_run_killed_with_sigkill_and_resumed_equals_uninterrupted(tmp_path):
    args = ["simulate", "--patients", "30000", "--chunk-size", "1000", "--seed", "8",
            "--trajectories", "20"]
    killed = tmp_path / "killed"
    process = _start_cli(*args, "--out", killed)
    ck = checkpoint_dir(killed)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(ck.glob("chunk-*"))) < 3:
        if process.poll() is not None:
            pytest.fail("the run finished before it could be killed; make it longer")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(ck.glob("chunk-*")))
    assert 3 <= finished < 30
    assert not killed.exists()  # nothing half-written where the results go
    assert list(tmp_path.glob(".killed.partial-*"))  # being written when killed
    assert_one_line_error(run_cli(*args, "--out", killed), "--resume")
    resumed = run_cli(*args, "--out", killed, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not ck.exists()
    straight = run_cli(*args, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    a, b = load_results(killed), load_results(tmp_path / "straight")
    _same(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed", "straight"]
