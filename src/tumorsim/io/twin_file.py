"""Twin results directories: a :class:`~tumorsim.results.TwinResult` as Parquet files.

::

    runs/gbsg2_twin/
        patients.parquet   one row per real patient, input order (table "twin_patients")
        twins.parquet      one row per twin, censored at the patient's follow-up ("twins")

Both carry the provenance keys of :mod:`tumorsim.io.results_file` (base scenario, seed,
tumorsim version, format version) plus ``tumorsim.twins_per_patient``, and are written
atomically in the same way. Read them with ``pandas.read_parquet``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tumorsim.io.results_file import save_tables

if TYPE_CHECKING:
    from tumorsim.results import TwinResult

__all__ = ["TWIN_FILES", "TWIN_PATIENTS_FILE", "TWINS_FILE", "save_twin_result"]

TWIN_PATIENTS_FILE: Final[str] = "patients.parquet"
TWINS_FILE: Final[str] = "twins.parquet"
TWIN_FILES: Final[dict[str, str]] = {"twin_patients": TWIN_PATIENTS_FILE, "twins": TWINS_FILE}
"""Table name (``tumorsim.table``) -> file name in a twin results directory."""


def save_twin_result(
    result: TwinResult,
    out_dir: str | os.PathLike[str],
    *,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write a twin result to a directory of Parquet files, atomically.

    Parameters
    ----------
    result : TwinResult
        What :func:`tumorsim.runner.twins.run_twin` returned.
    out_dir : str or os.PathLike
        The directory; if it exists it must be empty or hold a previous twin run.
    metadata : mapping of str to str, optional
        Further schema metadata (e.g. ``{"tumorsim.column_map": "GBSG2"}``).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    tumorsim.errors.ResultsError
        See :func:`tumorsim.io.results_file.save_results`.
    """
    tables = {
        TWIN_PATIENTS_FILE: ("twin_patients", result.patients),
        TWINS_FILE: ("twins", result.twins),
    }
    return save_tables(
        out_dir,
        tables,
        scenario=result.scenario,
        seed=result.seed,
        metadata={"tumorsim.twins_per_patient": str(result.twins_per_patient),
                  **(metadata or {})},
        expected="tables of a TwinResult",
    )
