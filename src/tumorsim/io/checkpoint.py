"""Checkpoint files: the finished chunks of a run, kept on disk until its results are in place.

The run itself (chunking, resume, backends) is
:func:`tumorsim.runner.directory.simulate_to_directory`; this module only reads and writes
the checkpoint of a results directory ``out_dir``::

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
checkpoint deleted.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Final

import pandas as pd

from tumorsim.errors import ResultsError, TumorsimError
from tumorsim.io.atomic import make_staging_dir, write_text_atomic
from tumorsim.io.scenario_file import scenario_to_json
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult, package_version

__all__ = [
    "check_checkpoint",
    "checkpoint_dir",
    "chunk_path",
    "open_checkpoint",
    "read_chunk",
    "remove_checkpoint",
    "run_record",
    "write_chunk",
]

RUN_FILE: Final[str] = "run.json"
_TABLES: Final[tuple[str, ...]] = ("patients", "trajectories", "site_environment")


def checkpoint_dir(out_dir: str | os.PathLike[str]) -> Path:
    """The checkpoint directory of a results directory: ``.<name>.checkpoint`` beside it."""
    out = Path(out_dir)
    return out.parent / f".{out.name}.checkpoint"


def remove_checkpoint(out_dir: str | os.PathLike[str]) -> None:
    """Delete the checkpoint of ``out_dir``.

    :func:`tumorsim.runner.directory.simulate_to_directory` does so once the results are
    in place; call it to abandon an interrupted run instead of resuming it.
    """
    shutil.rmtree(checkpoint_dir(out_dir), ignore_errors=True)


def run_record(scenario: Scenario, seed: int, patients: int, chunk_size: int) -> dict[str, Any]:
    """What a checkpoint records of its run, compared on ``--resume``."""
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


def open_checkpoint(out_dir: str | os.PathLike[str], record: dict[str, Any],
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
    try:
        staging = make_staging_dir(path)
    except OSError as exc:
        raise _write_error(checkpoint, exc) from exc
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
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):  # disk full, permissions: one line, not a traceback
            raise _write_error(checkpoint, exc) from exc
        raise


def _write_error(checkpoint: Path, exc: OSError) -> ResultsError:
    """A checkpoint chunk could not be written; the chunks written before are kept."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return ResultsError(checkpoint, f"cannot write the checkpoint: {reason}",
                        "a writable directory with free space (the finished chunks are "
                        "kept: rerun with --resume once there is room)")


def read_chunk(checkpoint: Path, k: int, expected_patients: int, scenario: Scenario,
               seed: int) -> SimulationResult:
    """Read finished chunk ``k`` back, checking it holds the expected number of patients."""
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
