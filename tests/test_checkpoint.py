"""Checkpoint and resume: a killed run continued with --resume gives identical results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import SRC, assert_one_line_error, run_cli

from tumorsim import Scenario, simulate
from tumorsim.errors import TumorsimError
from tumorsim.io import load_results
from tumorsim.io.checkpoint import checkpoint_dir, remove_checkpoint, simulate_resumable

SCENARIO = Scenario(treatment={"tamoxifen": {}},
                    cohort={"trajectory_patients": 40, "horizon_years": 10.0})


class Interrupted(Exception):
    pass


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.trajectories, b.trajectories)
    pd.testing.assert_frame_equal(a.site_environment, b.site_environment)


def test_chunked_run_with_checkpoint_equals_plain_simulate(tmp_path):
    out = tmp_path / "run"
    resumable = simulate_resumable(SCENARIO, out, seed=4, patients=350, chunk_size=100)
    _same(resumable, simulate(SCENARIO, seed=4, patients=350))
    assert sorted(p.name for p in checkpoint_dir(out).glob("chunk-*")) == [
        "chunk-000000", "chunk-000001", "chunk-000002", "chunk-000003"]
    remove_checkpoint(out)
    assert not checkpoint_dir(out).exists()


def test_interrupted_run_resumes_to_identical_results_and_ignores_partial_chunks(tmp_path):
    out = tmp_path / "run"

    def stop_after_two(done: int, total: int) -> None:
        if done >= 200:
            raise Interrupted

    with pytest.raises(Interrupted):
        simulate_resumable(SCENARIO, out, seed=4, patients=350, chunk_size=100,
                           progress=stop_after_two)
    ck = checkpoint_dir(out)
    assert sorted(p.name for p in ck.glob("chunk-*")) == ["chunk-000000", "chunk-000001"]
    # a chunk cut off mid-write is never read: plant a broken one
    broken = ck / ".chunk-000002.partial-dead"
    broken.mkdir()
    (broken / "patients.parquet").write_text("not parquet")
    # without --resume the checkpoint is not silently reused or overwritten
    with pytest.raises(TumorsimError, match="--resume"):
        simulate_resumable(SCENARIO, out, seed=4, patients=350, chunk_size=100)
    # with another seed it is refused
    with pytest.raises(TumorsimError, match="seed was 4, now 5"):
        simulate_resumable(SCENARIO, out, seed=5, patients=350, chunk_size=100, resume=True)
    resumed = simulate_resumable(SCENARIO, out, seed=4, patients=350, chunk_size=100,
                                 resume=True)
    _same(resumed, simulate(SCENARIO, seed=4, patients=350))
    assert not broken.exists()


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
    assert_one_line_error(run_cli(*args, "--out", killed), "--resume")
    resumed = run_cli(*args, "--out", killed, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not ck.exists()
    straight = run_cli(*args, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    a, b = load_results(killed), load_results(tmp_path / "straight")
    _same(a, b)
