"""A simulation that survives being killed: chunk by chunk into a results directory.

:func:`simulate_to_directory` (``tumorsim simulate``) runs a scenario chunk by chunk and
writes the results directory ``out_dir`` as it goes, holding one chunk at a time, so its
memory does not grow with the cohort. Each finished chunk is first written into the run's
checkpoint beside the results directory (the files: :mod:`tumorsim.io.checkpoint`), then
appended to the results files being written (one Parquet row group per chunk, see
:class:`~tumorsim.io.results_file.ResultsWriter`). Rerun with ``resume=True``
(``tumorsim simulate ... --resume``) and the finished chunks are read back, one at a
time, instead of simulated; every patient has her own random streams, so the results are
identical to an uninterrupted run's, and to ``save_results(simulate(...))``.

With the dask backend (:mod:`tumorsim.runner.dask_backend`) the workers write the chunks
into the checkpoint; the client then reads them back in patient order into the results
files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from tumorsim.errors import TumorsimError
from tumorsim.io.checkpoint import (
    checkpoint_dir,
    chunk_path,
    open_checkpoint,
    read_chunk,
    remove_checkpoint,
    run_record,
    write_chunk,
)
from tumorsim.io.ensemble_file import ensemble_record
from tumorsim.io.results_file import ResultsWriter, check_results_dir, remove_stale_staging
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult
from tumorsim.runner.dask_backend import run_chunks_on_dask
from tumorsim.runner.simulate import ChunkedRun, ProgressCallback, check_chunk_size, chunk_bounds

__all__ = ["BACKENDS", "check_backend", "simulate_to_directory"]

BACKENDS: Final[tuple[str, ...]] = ("inprocess", "dask")
"""Where chunks run: here (numba threads) or as dask.distributed tasks."""


def check_backend(backend: str) -> None:
    """Raise :class:`TumorsimError` unless ``backend`` is one of :data:`BACKENDS`."""
    if backend not in BACKENDS:
        raise TumorsimError(f"--backend = {backend!r}: allowed: {', '.join(BACKENDS)}")


def simulate_to_directory(
    scenario: Scenario,
    out_dir: str | os.PathLike[str],
    *,
    seed: int | None = None,
    patients: int | None = None,
    chunk_size: int = 20_000,
    resume: bool = False,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    backend: str = "inprocess",
    scheduler: str | None = None,
    workers: int = 2,
    ensemble: Ensemble | None = None,
) -> Path:
    """Simulate a scenario into a results directory, chunk by chunk, resumably.

    The results are never all in memory: each chunk is simulated (or read back from the
    checkpoint), kept in the checkpoint and appended to the results files, then dropped
    (module docstring).

    Parameters
    ----------
    scenario : Scenario
    out_dir : str or os.PathLike
        The results directory to write (as :func:`~tumorsim.io.results_file.save_results`
        would: it must be new, empty or hold previous results, which are replaced); the
        checkpoint goes beside it.
    seed, patients : int, optional
        Defaults: the scenario's ``cohort.seed`` and ``cohort.patients``.
    chunk_size : int, default 20000
        Patients per chunk (the unit of work kept on disk and in memory).
    resume : bool, default False
        Continue from the checkpoint of an interrupted run of the same scenario, seed,
        size and chunking. Without it an existing checkpoint is an error (it is never
        silently overwritten or reused).
    n_threads : int, optional
        Numba threads (in-process backend).
    progress : callable, optional
        ``progress(patients_done, patients_total)`` after each chunk (read or simulated).
    backend : {"inprocess", "dask"}
        Where chunks are simulated: here, or as tasks of a dask.distributed cluster
        (:mod:`tumorsim.runner.dask_backend`), which write their chunks into the
        checkpoint themselves.
    scheduler : str, optional
        Address of a running dask scheduler (its workers must see ``out_dir``); without
        it an embedded ``LocalCluster`` of ``workers`` processes is started.
    workers : int, default 2
        Workers of the embedded cluster (one thread each).
    ensemble : Ensemble, optional
        Parameter draws: each patient lives under one (see
        :func:`tumorsim.runner.simulate.simulate`); the checkpoint records the draws, so a
        resume with other draws is refused.

    Returns
    -------
    pathlib.Path
        The results directory. :func:`~tumorsim.io.results_file.load_results` reads it
        back identical to ``simulate(scenario, seed=seed, patients=patients)``, whatever
        the backend, chunk size, workers or interruptions; each file holds one row group
        per chunk.

    Raises
    ------
    TumorsimError
        A checkpoint exists and ``resume`` is false, or it belongs to another run.
    tumorsim.errors.ResultsError
        ``out_dir`` cannot be used or written (as ``save_results``); the checkpoint is
        kept.
    """
    check_chunk_size(chunk_size)
    check_backend(backend)
    check_results_dir(out_dir)  # before a checkpoint is created for a run that cannot end
    seed = scenario.cohort.seed if seed is None else int(seed)
    n = scenario.cohort.patients if patients is None else int(patients)
    resuming = checkpoint_dir(out_dir).exists()
    record = run_record(scenario, seed, n, chunk_size)
    if ensemble is not None:
        record["ensemble"] = {"source": ensemble.source, "draws_sha256": ensemble.sha256()}
    path = open_checkpoint(out_dir, record, resume)
    if resuming:  # the results being written when the run was killed
        remove_stale_staging(out_dir)
    parts = _chunk_results(scenario, path, seed=seed, n=n, chunk_size=chunk_size,
                           n_threads=n_threads, progress=progress, backend=backend,
                           scheduler=scheduler, workers=workers, ensemble=ensemble)
    metadata = None if ensemble is None else {"tumorsim.ensemble": ensemble_record(ensemble)}
    with ResultsWriter(out_dir, scenario=scenario, seed=seed, metadata=metadata) as writer:
        for part in parts:
            writer.write_result(part)
            del part  # not held while the next chunk is simulated
    remove_checkpoint(out_dir)
    return writer.path


def _chunk_results(
    scenario: Scenario,
    path: Path,
    *,
    seed: int,
    n: int,
    chunk_size: int,
    n_threads: int | None,
    progress: ProgressCallback | None,
    backend: str,
    scheduler: str | None,
    workers: int,
    ensemble: Ensemble | None = None,
) -> Iterator[SimulationResult]:
    """The chunks of a run in patient order, one at a time, each kept in the checkpoint.

    Each chunk's women are sampled, prepared and simulated on their own
    (:class:`~tumorsim.runner.simulate.ChunkedRun`): nothing here grows with ``n``.
    """
    run = ChunkedRun.sampled(scenario, seed=seed, patients=n, ensemble=ensemble)
    if not n:  # no patients: the tables without rows, with their dtypes
        yield run.simulate(0, 0)
        return
    if backend == "dask":
        yield from _dask_chunk_results(run, path, chunk_size=chunk_size, progress=progress,
                                       scheduler=scheduler, workers=workers)
        return
    for k, (start, stop) in enumerate(chunk_bounds(n, chunk_size)):
        if chunk_path(path, k).is_dir():
            part = read_chunk(path, k, stop - start, scenario, seed)
        else:
            part = run.simulate(start, stop, n_threads=n_threads)
            write_chunk(path, k, part)
        if progress is not None:
            progress(stop, n)
        yield part
        del part  # not held while the next chunk is simulated


def _dask_chunk_results(
    run: ChunkedRun,
    path: Path,
    *,
    chunk_size: int,
    progress: ProgressCallback | None,
    scheduler: str | None,
    workers: int,
) -> Iterator[SimulationResult]:
    """The chunks simulated by Dask workers into the checkpoint, read back in order.

    The workers are sent the run (its shared model only: each task samples its own
    women); the client lists the chunks still to do (three integers each) and reads
    the finished chunks back one at a time.
    """
    n = run.n_patients
    missing = [(k, start, stop) for k, (start, stop) in enumerate(chunk_bounds(n, chunk_size))
               if not chunk_path(path, k).is_dir()]
    done = n - sum(stop - start for _, start, stop in missing)
    if progress is not None and done:
        progress(done, n)

    def report(patients_done: int) -> None:
        if progress is not None:
            progress(done + patients_done, n)

    run_chunks_on_dask(run, missing, str(path), scheduler=scheduler, workers=workers,
                       progress=report)
    for k, (start, stop) in enumerate(chunk_bounds(n, chunk_size)):
        yield read_chunk(path, k, stop - start, run.model.base, run.model.seed)
