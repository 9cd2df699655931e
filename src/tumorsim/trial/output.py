"""Trial results directories: the combined tables as Parquet plus summary CSV files.

A trial directory is a results directory (:mod:`tumorsim.io.results_file`; read it with
:func:`tumorsim.io.load_results`, the scenario being the first arm's) whose Parquet
metadata also holds the trial as JSON (key ``tumorsim.trial``), plus one CSV per summary::

    runs/cxcr2/
        patients.parquet           one row per patient and arm (column ``arm``)
        trajectories.parquet       when recorded (column ``arm``)
        site_environment.parquet   when recorded
        hazard_ratios.csv          TrialResult.hazard_ratios()
        survival.csv               TrialResult.survival_table()
        rmst.csv                   TrialResult.rmst()
        site_relapse.csv           TrialResult.site_relapse()
        hazard_ratio_intervals.csv with an ensemble: TrialResult.hazard_ratio_intervals()

The Parquet files are written atomically (see :func:`tumorsim.io.results_file.save_tables`),
then each CSV file atomically on its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pandas as pd

from tumorsim.errors import ResultsError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.io.results_file import (
    PATIENTS_FILE,
    RESULTS_FILES,
    check_results_dir,
    load_results,
    save_tables,
)
from tumorsim.trial.design import Trial
from tumorsim.trial.run import TrialResult

__all__ = [
    "INTERVALS_FILE",
    "SUMMARY_FILES",
    "TRIAL_FILES",
    "TRIAL_METADATA_KEY",
    "check_trial_dir",
    "load_trial_results",
    "save_hazard_ratio_intervals",
    "save_trial_results",
]

TRIAL_METADATA_KEY: Final[str] = "tumorsim.trial"
"""Parquet schema metadata key holding the trial as JSON."""

SUMMARY_FILES: Final[dict[str, str]] = {
    "hazard_ratios": "hazard_ratios.csv",
    "survival": "survival.csv",
    "rmst": "rmst.csv",
    "site_relapse": "site_relapse.csv",
}
"""Summary name (key of :meth:`TrialResult.summary_tables`) -> CSV file name."""

INTERVALS_FILE: Final[str] = "hazard_ratio_intervals.csv"
"""The hazard ratios with their ensemble intervals (written by a run over an ensemble)."""

TRIAL_FILES: Final[tuple[str, ...]] = (*RESULTS_FILES.values(), *SUMMARY_FILES.values(),
                                       INTERVALS_FILE)
"""Every file a trial directory may hold (a rerun replaces them)."""


def check_trial_dir(out_dir: str | os.PathLike[str]) -> None:
    """Check that :func:`save_trial_results` may write to ``out_dir`` (before a long run).

    Raises
    ------
    tumorsim.errors.ResultsError
        ``out_dir`` is a file, or a directory holding files other than trial files.
    """
    check_results_dir(out_dir, known=TRIAL_FILES)


def save_trial_results(
    result: TrialResult,
    out_dir: str | os.PathLike[str],
    summaries: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write a trial's tables (Parquet) and summaries (CSV) to a directory.

    Parameters
    ----------
    result : TrialResult
        What :func:`tumorsim.trial.run_trial` returned.
    out_dir : str or os.PathLike
        The directory; created if missing; a previous trial or results directory there is
        replaced, any other content is refused.
    summaries : mapping of str to pandas.DataFrame, optional
        Summary tables by name (keys of :data:`SUMMARY_FILES`); default
        ``result.summary_tables()``.

    Returns
    -------
    pathlib.Path
        The directory written.

    Raises
    ------
    tumorsim.errors.ResultsError
        The directory cannot be used or written; an unknown summary name.
    """
    tables = summaries if summaries is not None else result.summary_tables()
    unknown = [name for name in tables if name not in SUMMARY_FILES]
    if unknown:
        raise ResultsError(
            Path(out_dir), f"unknown summary {unknown[0]!r}", ", ".join(SUMMARY_FILES)
        )
    simulation = result.to_simulation_result()
    parquet = {
        RESULTS_FILES[name]: (name, frame)
        for name in RESULTS_FILES
        if (frame := getattr(simulation, name)) is not None
    }
    out = save_tables(
        out_dir,
        parquet,
        scenario=simulation.scenario,
        seed=simulation.seed,
        version=simulation.version,
        metadata={TRIAL_METADATA_KEY: result.trial.model_dump_json()},
        replaceable=TRIAL_FILES,
        expected="tables of a TrialResult",
    )
    # the intervals belong to the run over an ensemble that wrote them; this run writes
    # its own (save_hazard_ratio_intervals) or none
    (out / INTERVALS_FILE).unlink(missing_ok=True)
    for name, frame in tables.items():
        _write_csv(frame, out / SUMMARY_FILES[name])
    return out


def _write_csv(frame: pd.DataFrame, target: Path) -> None:
    """``frame`` as CSV at ``target``, atomically; an OS error as a ResultsError."""
    try:
        write_text_atomic(target, frame.to_csv(index=False))
    except OSError as exc:
        raise ResultsError(
            target, f"cannot write: {exc.strerror or exc}", "a writable directory"
        ) from exc


def save_hazard_ratio_intervals(intervals: pd.DataFrame,
                                out_dir: str | os.PathLike[str]) -> Path:
    """Write :meth:`TrialResult.hazard_ratio_intervals` to ``out_dir`` (after
    :func:`save_trial_results`) as :data:`INTERVALS_FILE`, atomically.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    tumorsim.errors.ResultsError
        The file cannot be written.
    """
    target = Path(out_dir) / INTERVALS_FILE
    _write_csv(intervals, target)
    return target


def load_trial_results(out_dir: str | os.PathLike[str]) -> TrialResult:
    """Read a directory written by :func:`save_trial_results` back as a :class:`TrialResult`.

    Raises
    ------
    tumorsim.errors.ResultsError
        As :func:`tumorsim.io.load_results`, or the files hold no trial (written by
        ``tumorsim simulate`` rather than ``tumorsim trial``).
    """
    import pyarrow.parquet as pq

    simulation = load_results(out_dir)
    path = Path(out_dir) / PATIENTS_FILE
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(TRIAL_METADATA_KEY.encode())
    if raw is None:
        raise ResultsError(
            path,
            "holds no trial (no tumorsim.trial metadata)",
            "a directory written by tumorsim.trial.save_trial_results (tumorsim trial --out)",
        )
    document = json.loads(raw)
    if isinstance(document.get("scenario"), dict):
        # written before Scenario.biology existed: every value written out (issue 16)
        document["scenario"].setdefault("biology", "registry")
    return TrialResult(
        trial=Trial.model_validate(document),
        seed=simulation.seed,
        patients=simulation.patients,
        trajectories=simulation.trajectories,
        site_environment=simulation.site_environment,
        version=simulation.version,
    )
