"""Running the chunks of a simulation as tasks of a dask.distributed cluster.

Each task samples, prepares and simulates one chunk
(:meth:`tumorsim.runner.simulate.ChunkedRun.simulate`) and writes it into the run's
checkpoint directory itself (atomically, see :mod:`tumorsim.io.checkpoint`), returning
only its patient count; the client reads the finished chunks back. The workers are sent
the run's shared model once, not its patients, so neither the client nor a worker holds
more than a chunk's patients, whatever the cohort size. Because every patient has her
own random streams, a chunk gives the same rows on any worker, and a task rerun after a
worker was lost writes the same chunk again: results are identical to the in-process
backend, whatever the number of workers and whatever was lost. The workers must see the
checkpoint directory (an embedded ``LocalCluster`` always does; a remote cluster needs a
shared file system).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tumorsim.io.checkpoint import chunk_path, write_chunk
from tumorsim.runner.simulate import ChunkedRun

__all__ = ["run_chunks_on_dask"]


def _chunk_task(run: ChunkedRun, k: int, start: int, stop: int, checkpoint: str) -> int:
    path = Path(checkpoint)
    if not chunk_path(path, k).is_dir():  # a retried task may find its chunk written
        write_chunk(path, k, run.simulate(start, stop, n_threads=1))
    return stop - start


def run_chunks_on_dask(
    run: ChunkedRun,
    chunks: Sequence[tuple[int, int, int]],
    checkpoint: str,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Simulate ``chunks`` (``(k, start, stop)``) on a cluster, writing each to disk.

    Parameters
    ----------
    run : ChunkedRun
        Sent once to every worker (a sampled run: its shared model, no patients).
    chunks : sequence of (int, int, int)
    checkpoint : str
        The checkpoint directory the tasks write into.
    scheduler : str, optional
        Address of a running scheduler; without it an embedded ``LocalCluster`` of
        ``workers`` single-threaded worker processes is started and closed.
    workers : int, default 2
    progress : callable, optional
        ``progress(patients_done)`` as chunks finish.
    """
    from dask.distributed import Client, LocalCluster, as_completed  # heavy: on use only

    if not chunks:
        return
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        shared = client.scatter(run, broadcast=True)
        futures = [client.submit(_chunk_task, shared, k, start, stop, checkpoint,
                                 key=f"tumorsim-chunk-{k}-{Path(checkpoint).name}",
                                 retries=3)
                   for k, start, stop in chunks]
        done = 0
        for future in as_completed(futures):
            done += int(future.result())
            if progress is not None:
                progress(done)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
