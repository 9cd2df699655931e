"""The dask backend gives the in-process results, also when a worker is killed."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pyarrow.parquet as pq
from cli_helpers import run_cli

from tumorsim import Scenario, simulate
from tumorsim.io import load_results
from tumorsim.io.checkpoint import checkpoint_dir
from tumorsim.runner.directory import simulate_to_directory


def test_dask_two_workers_equals_in_process_whatever_the_chunking(tmp_path):
    common = ["simulate", "--patients", "3000", "--seed", "6", "--trajectories", "20"]
    assert run_cli(*common, "--out", tmp_path / "local").returncode == 0
    dask_run = run_cli(*common, "--chunk-size", "1000", "--backend", "dask", "--workers", "2",
                       "--out", tmp_path / "dask")
    assert dask_run.returncode == 0, dask_run.stderr
    a, b = load_results(tmp_path / "local"), load_results(tmp_path / "dask")
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.trajectories, b.trajectories)
    assert not checkpoint_dir(tmp_path / "dask").exists()


def test_killing_a_worker_midway_still_gives_identical_results(tmp_path):
    from dask.distributed import Client, LocalCluster

    scenario = Scenario(biology="registry", treatment={"tamoxifen": {}},
                        cohort={"horizon_years": 20.0})
    out = tmp_path / "run"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        holder: dict[str, object] = {}

        def work() -> None:
            try:
                holder["out"] = simulate_to_directory(
                    scenario, out, seed=12, patients=24_000, chunk_size=1000, backend="dask",
                    scheduler=cluster.scheduler_address)
            except BaseException as exc:  # re-raised in the test thread
                holder["error"] = exc

        thread = threading.Thread(target=work)
        thread.start()
        ck = checkpoint_dir(out)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not list(ck.glob("chunk-*")):
            time.sleep(0.05)
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)
        killed_while_running = len(list(ck.glob("chunk-*"))) < 24
        thread.join(timeout=300)
    assert "error" not in holder, holder.get("error")
    assert killed_while_running
    assert holder["out"] == out
    assert not checkpoint_dir(out).exists()
    pd.testing.assert_frame_equal(load_results(out).patients,
                                  simulate(scenario, seed=12, patients=24_000).patients)
    # the client wrote the chunks into the results in patient order, one row group each
    meta = pq.ParquetFile(out / "patients.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000] * 24
