"""Checkpoint, resume and streaming: a simulation that survives being killed.

:func:`simulate_to_directory` (``tumorsim simulate``) runs a scenario chunk by chunk and
writes the results directory ``out_dir`` as it goes, holding one chunk at a time, so its
memory does not grow with the cohort. Each finished chunk is first written into a
checkpoint directory beside the results directory (``.<name>.checkpoint/``), then
appended to the results files being written (one Parquet row group per chunk, see
:class:`~tumorsim.io.results_file.ResultsWriter`)::

    runs/.er.checkpoint/
        run.json             what is being simulated (scenario, seed, size, chunking)
        chunk-000000/        one finished chunk: patients.parquet (+ trajectories,
        chunk-000001/        site_environment when recorded)
        .chunk-000002.partial-<random>/   a chunk being written: never read
    runs/.er.partial-<random>/   the results files being written (staging)
    runs/er/                     the results, once every chunk is in them

A chunk is written into a hidden ``.partial`` directory and renamed into place only when
complete (a rename is atomic), so a run killed at any moment, even by ``SIGKILL``, leaves
only whole chunks. The results files are written into a staging directory renamed to
``out_dir`` once complete, so ``out_dir`` is never half-written; only then is the
checkpoint deleted. Rerun with ``resume=True`` (``tumorsim simulate ... --resume``) and
the finished chunks are read back, one at a time, instead of simulated (the staging
directory of the killed run is deleted); every patient has her own random streams, so
the results are identical to an uninterrupted run's, and to
``save_results(simulate(...))``.

With the dask backend (:mod:`tumorsim.engine.distributed`) the workers write the chunks
into the checkpoint; the client then reads them back in patient order into the results
files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tumorsim.errors import ResultsError, TumorsimError
from tumorsim.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from tumorsim.engine.simulate import ProgressCallback
    from tumorsim.model.scenario import Scenario
    from tumorsim.results import SimulationResult

__all__ = [
    "BACKENDS",
    "check_backend",
    "check_checkpoint",
    "checkpoint_dir",
    "remove_checkpoint",
    "simulate_to_directory",
]

RUN_FILE: Final[str] = "run.json"
_TABLES: Final[tuple[str, ...]] = ("patients", "trajectories", "site_environment")


def checkpoint_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The checkpoint directory of a results directory: ``.<name>.checkpoint`` beside it."""
    out = Path(out_dir)
    return out.parent / f".{out.name}.checkpoint"


def remove_checkpoint(out_dir: str | os.PathLike[str]) -> None:
    """Delete the checkpoint of ``out_dir``.

    :func:`simulate_to_directory` does so once the results are in place; call it to
    abandon an interrupted run instead of resuming it.
    """
    shutil.rmtree(checkpoint_dir(out_dir), ignore_errors=True)


def _run_record(scenario: Scenario, seed: int, patients: int, chunk_size: int) -> dict[str, Any]:
    from tumorsim.io.scenario_file import scenario_to_json
    from tumorsim.results import package_version

    return {"scenario": json.loads(scenario_to_json(scenario)), "seed": int(seed),
            "patients": int(patients), "chunk_size": int(chunk_size),
            "version": package_version()}


def check_checkpoint(out_dir: str | os.PathLike[str], resume: bool) -> None:
    """Raise unless a run into ``out_dir`` may start: no checkpoint, or ``resume``.

    Raises
    ------
    TumorsimError
        A checkpoint of an interrupted run exists and ``resume`` is false.
    """
    path = checkpoint_dir(out_dir)
    if path.exists() and not resume:
        raise TumorsimError(
            f"{path}: the checkpoint of an interrupted run is there; rerun with --resume "
            "to continue it, or delete it to start again")


BACKENDS: Final[tuple[str, ...]] = ("inprocess", "dask")
"""Where chunks run: here (numba threads) or as dask.distributed tasks."""


def check_backend(backend: str) -> None:
    """Raise :class:`TumorsimError` unless ``backend`` is one of :data:`BACKENDS`."""
    if backend not in BACKENDS:
        raise TumorsimError(f"--backend = {backend!r}: allowed: {', '.join(BACKENDS)}")


def _open_checkpoint(out_dir: str | os.PathLike[str], record: dict[str, Any],
                     resume: bool) -> Path:
    """Create the checkpoint of ``out_dir``, or check the existing one is this run's."""
    check_checkpoint(out_dir, resume)
    path = checkpoint_dir(out_dir)
    run_file = path / RUN_FILE
    if path.exists():
        try:
            saved = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ResultsError(run_file, "unreadable checkpoint record",
                               "a run.json written by tumorsim simulate") from exc
        for key in ("scenario", "seed", "patients", "chunk_size", "version"):
            if saved.get(key) != record[key]:
                shown = "(differs)" if key == "scenario" else repr(saved.get(key))
                raise TumorsimError(
                    f"{path}: --resume of a different run: {key} was {shown}, now "
                    f"{'(differs)' if key == 'scenario' else repr(record[key])}; resume with "
                    "the same scenario and options, or delete the checkpoint")
        for stale in path.glob(".chunk-*.partial-*"):  # a chunk cut off mid-write
            shutil.rmtree(stale, ignore_errors=True)
        return path
    path.mkdir(parents=True)
    write_text_atomic(run_file, json.dumps(record) + "\n")
    return path


def chunk_path(checkpoint: Path, k: int) -> Path:
    """Where finished chunk ``k`` of a checkpoint lives."""
    return checkpoint / f"chunk-{k:06d}"


def write_chunk(checkpoint: Path, k: int, part: SimulationResult) -> None:
    """Write chunk ``k`` atomically (staged in a hidden directory, then renamed).

    Writing the same chunk twice (a task retried after a worker was lost) is harmless:
    both copies are identical and the later rename is refused or replaces it whole.
    """
    path = chunk_path(checkpoint, k)
    staging = path.parent / f".{path.name}.partial-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        for name in _TABLES:
            frame = getattr(part, name)
            if frame is not None:
                frame.to_parquet(staging / f"{name}.parquet", index=False)
        try:
            os.replace(staging, path)
        except OSError:
            if not path.is_dir():  # another copy of the same chunk got there first: fine
                raise
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_chunk(checkpoint: Path, k: int, expected_patients: int, scenario: Scenario,
               seed: int) -> SimulationResult:
    """Read finished chunk ``k`` back, checking it holds the expected number of patients."""
    import pandas as pd

    from tumorsim.results import SimulationResult

    path = chunk_path(checkpoint, k)
    tables = {name: pd.read_parquet(path / f"{name}.parquet")
              if (path / f"{name}.parquet").is_file() else None for name in _TABLES}
    if tables["patients"] is None:
        raise ResultsError(path / "patients.parquet", "missing from a finished chunk",
                           "a chunk written by tumorsim simulate")
    if len(tables["patients"]) != expected_patients:
        raise ResultsError(path, f"{len(tables['patients'])} patients, expected "
                           f"{expected_patients}", "a chunk of this run")
    return SimulationResult(patients=tables["patients"], trajectories=tables["trajectories"],
                            site_environment=tables["site_environment"], scenario=scenario,
                            seed=seed)


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
        (:mod:`tumorsim.engine.distributed`), which write their chunks into the
        checkpoint themselves.
    scheduler : str, optional
        Address of a running dask scheduler (its workers must see ``out_dir``); without
        it an embedded ``LocalCluster`` of ``workers`` processes is started.
    workers : int, default 2
        Workers of the embedded cluster (one thread each).

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
    from tumorsim.io.results_file import ResultsWriter, check_results_dir, remove_stale_staging

    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    check_backend(backend)
    check_results_dir(out_dir)  # before a checkpoint is created for a run that cannot end
    seed = scenario.cohort.seed if seed is None else int(seed)
    n = scenario.cohort.patients if patients is None else int(patients)
    resuming = checkpoint_dir(out_dir).exists()
    path = _open_checkpoint(out_dir, _run_record(scenario, seed, n, chunk_size), resume)
    if resuming:  # the results being written when the run was killed
        remove_stale_staging(out_dir)
    parts = _chunk_results(scenario, path, seed=seed, n=n, chunk_size=chunk_size,
                           n_threads=n_threads, progress=progress, backend=backend,
                           scheduler=scheduler, workers=workers)
    with ResultsWriter(out_dir, scenario=scenario, seed=seed) as writer:
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
) -> Iterator[SimulationResult]:
    """The chunks of a run in patient order, one at a time, each kept in the checkpoint."""
    import numpy as np

    from tumorsim.cohort.population import Cohort
    from tumorsim.engine.simulate import prepare_run, run_chunk

    cohort = Cohort.sample(scenario.population, n, seed)
    run = prepare_run([scenario], np.zeros(n, dtype=np.int64), cohort, seed=seed,
                      arm_names=[scenario.name])
    chunks = [(k, start, min(start + chunk_size, n))
              for k, start in enumerate(range(0, n, chunk_size))]
    if not chunks:  # no patients: the tables without rows, with their dtypes
        yield run_chunk(run, 0, 0)
        return
    if backend == "dask":
        from tumorsim.engine.distributed import run_chunks_on_dask

        missing = [(k, start, stop) for k, start, stop in chunks
                   if not chunk_path(path, k).is_dir()]
        done = n - sum(stop - start for _, start, stop in missing)
        if progress is not None and done:
            progress(done, n)

        def report(patients_done: int) -> None:
            if progress is not None:
                progress(done + patients_done, n)

        run_chunks_on_dask(run, missing, str(path), scheduler=scheduler, workers=workers,
                           progress=report)
        for k, start, stop in chunks:
            yield read_chunk(path, k, stop - start, scenario, seed)
        return
    done = 0
    for k, start, stop in chunks:
        if chunk_path(path, k).is_dir():
            part = read_chunk(path, k, stop - start, scenario, seed)
        else:
            part = run_chunk(run, start, stop, n_threads=n_threads)
            write_chunk(path, k, part)
        done += stop - start
        if progress is not None:
            progress(done, n)
        yield part
        del part  # not held while the next chunk is simulated
