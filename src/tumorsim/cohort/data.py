"""Cohorts from real patient data: column maps, checks, the GBSG2 data set.

A data table (CSV, Parquet, a pandas DataFrame) becomes a :class:`~tumorsim.cohort.
population.Cohort` through a :class:`ColumnMap`, which says which source column gives each
tumorsim covariate and how categorical values translate to numbers::

    # gbsg2_columns.toml
    age_years = "age"
    postmenopausal = "menostat"
    ...
    [values.postmenopausal]
    Pre = 0
    Post = 1

Every value is checked; a missing or out-of-range value is a :class:`~tumorsim.errors.
CohortError` naming the data row (1-based, the header not counted), the patient's own id
when the map names an id column, the column, the value and what is allowed:

=====================  =====================================  =========================
covariate              allowed                                 notes
=====================  =====================================  =========================
``age_years``          18 to 100 years
``postmenopausal``     0 or 1                                  GBSG2 ``menostat``
``tumour_size_mm``     0.1 to 200 mm                           GBSG2 ``tsize``
``grade``              integer 1 to 3                          GBSG2 ``tgrade`` I-III
``positive_nodes``     integer 0 to 100                        GBSG2 ``pnodes``
``er_fmol``            0 to 10000 fmol/mg                      GBSG2 ``estrec``
``pr_fmol``            0 to 10000 fmol/mg                      GBSG2 ``progrec``
``hormone_therapy``    0 or 1 (optional)                       GBSG2 ``horTh``
``chemotherapy``       0 or 1 (optional)                       not in GBSG2 (all had CMF)
``follow_up_days``     0 to 36525 days (optional)              GBSG2 ``time``
``relapse_event``      0 or 1 (optional; stored as bool)       GBSG2 ``cens``
=====================  =====================================  =========================

Rows keep their input order. ``patient_id`` is the row position (0-based) unless the map
names an ``id_column``, whose values (unique integers >= 0) then become ``patient_id``
and are also kept, as given, in ``source_id``. Columns the map does not use are kept
unchanged (renamed ``source_<name>`` only if the name clashes with a tumorsim column)
and ignored by the engine.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tumorsim.cohort.population import COVARIATE_COLUMNS, Cohort
from tumorsim.errors import CohortError, ScenarioError
from tumorsim.io.scenario_file import _display, _read_toml

__all__ = [
    "COVARIATE_RULES",
    "GBSG2_COLUMNS",
    "MAPPABLE_COLUMNS",
    "OPTIONAL_COLUMNS",
    "ColumnMap",
    "CovariateRule",
    "cohort_from_dataframe",
    "guess_column_map",
    "load_column_map",
    "load_gbsg2",
    "read_cohort",
    "read_patient_table",
]

MappableColumn = Literal[
    "age_years",
    "postmenopausal",
    "tumour_size_mm",
    "grade",
    "positive_nodes",
    "er_fmol",
    "pr_fmol",
    "hormone_therapy",
    "chemotherapy",
    "follow_up_days",
    "relapse_event",
]

OPTIONAL_COLUMNS: Final[tuple[str, ...]] = (
    "hormone_therapy",
    "chemotherapy",
    "follow_up_days",
    "relapse_event",
)
"""Columns a data cohort may carry besides the covariates: the treatment recorded
(``hormone_therapy``, ``chemotherapy``: 0/1) and the observed outcome
(``follow_up_days``, ``relapse_event``)."""

_REQUIRED: Final[tuple[str, ...]] = COVARIATE_COLUMNS

MAPPABLE_COLUMNS: Final[tuple[str, ...]] = (*_REQUIRED, *OPTIONAL_COLUMNS)
"""Every tumorsim column a :class:`ColumnMap` can fill, in output order."""

_DAYS_PER_UNIT: Final[dict[str, float]] = {"days": 1.0, "months": 365.25 / 12, "years": 365.25}


@dataclass(frozen=True)
class CovariateRule:
    """What values a covariate may take.

    Attributes
    ----------
    low, high : float
        Inclusive range.
    unit : str
        Unit shown in messages (empty for flags and counts).
    integer : bool
        Whether the value must be a whole number (grade, nodes, flags).
    """

    low: float
    high: float
    unit: str = ""
    integer: bool = False

    @property
    def binary(self) -> bool:
        """A 0/1 flag."""
        return self.integer and self.low == 0 and self.high == 1

    def describe(self, scale: float = 1.0, unit: str | None = None) -> str:
        """The allowed values as text (``"0.1 to 200 mm"``, ``"0 or 1"``)."""
        if self.binary:
            return "0 or 1"
        unit = self.unit if unit is None else unit
        text = f"{self.low / scale:g} to {self.high / scale:g}" + (f" {unit}" if unit else "")
        return f"a whole number from {text}" if self.integer else text

    def check(self, value: float) -> str | None:
        """Why ``value`` is not allowed, or ``None`` when it is."""
        if not math.isfinite(value):
            return "not a finite number"
        if self.integer and value != round(value):
            return "not a whole number"
        if not self.low <= value <= self.high:
            return "out of range"
        return None


COVARIATE_RULES: Final[dict[str, CovariateRule]] = {
    "age_years": CovariateRule(18.0, 100.0, "years"),
    "postmenopausal": CovariateRule(0, 1, integer=True),
    "tumour_size_mm": CovariateRule(0.1, 200.0, "mm"),
    "grade": CovariateRule(1, 3, integer=True),
    "positive_nodes": CovariateRule(0, 100, integer=True),
    "er_fmol": CovariateRule(0.0, 10_000.0, "fmol/mg"),
    "pr_fmol": CovariateRule(0.0, 10_000.0, "fmol/mg"),
    "hormone_therapy": CovariateRule(0, 1, integer=True),
    "chemotherapy": CovariateRule(0, 1, integer=True),
    "follow_up_days": CovariateRule(0.0, 36_525.0, "days"),
    "relapse_event": CovariateRule(0, 1, integer=True),
}
"""Allowed values of every mappable column (checked after value maps and unit scaling)."""


class ColumnMap(BaseModel):
    """Which source column gives each tumorsim column, and how its values translate.

    Attributes
    ----------
    name : str
        A label for messages and results metadata (default: the map file's stem).
    id_column : str or None
        Source column with each patient's own id (unique integers >= 0). It becomes
        ``patient_id`` (and is kept in ``source_id``); without it ``patient_id`` is the
        row position.
    age_years, postmenopausal, tumour_size_mm, grade, positive_nodes, er_fmol, pr_fmol : str
        Source columns of the covariates (required).
    hormone_therapy, chemotherapy, follow_up_days, relapse_event : str or None
        Source columns of the recorded treatment and outcome (optional).
    follow_up_unit : {"days", "months", "years"}
        Unit of the follow-up column; converted to days (a month is 365.25 / 12 days).
    values : dict
        For categorical columns, source value (as text) -> number, e.g.
        ``{"grade": {"I": 1, "II": 2, "III": 3}}``. A column with a value map accepts only
        the listed values; numbers in the source are matched by their text (``2`` and
        ``2.0`` both match ``"2"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field("custom", min_length=1)
    id_column: str | None = Field(None, min_length=1)
    age_years: str = Field(min_length=1)
    postmenopausal: str = Field(min_length=1)
    tumour_size_mm: str = Field(min_length=1)
    grade: str = Field(min_length=1)
    positive_nodes: str = Field(min_length=1)
    er_fmol: str = Field(min_length=1)
    pr_fmol: str = Field(min_length=1)
    hormone_therapy: str | None = Field(None, min_length=1)
    chemotherapy: str | None = Field(None, min_length=1)
    follow_up_days: str | None = Field(None, min_length=1)
    follow_up_unit: Literal["days", "months", "years"] = "days"
    relapse_event: str | None = Field(None, min_length=1)
    values: dict[MappableColumn, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ColumnMap:
        mapped = self.mapped()
        for covariate, table in self.values.items():
            if covariate not in mapped:
                raise ValueError(
                    f"values.{covariate} is given but {covariate} names no source column"
                )
            if not table:
                raise ValueError(f"values.{covariate} is empty; give at least one value")
            rule = COVARIATE_RULES[covariate]
            for key, number in table.items():
                problem = rule.check(number)
                if problem is not None:
                    raise ValueError(
                        f"values.{covariate}.{key} = {number:g}: {problem}; "
                        f"allowed: {rule.describe()}"
                    )
        seen: dict[str, str] = {}
        for target, source in (("id_column", self.id_column), *mapped.items()):
            if source is None:
                continue
            if source in seen:
                raise ValueError(
                    f"source column {source!r} is mapped to both {seen[source]} and {target}"
                )
            seen[source] = target
        return self

    def mapped(self) -> dict[str, str]:
        """Tumorsim column -> source column, for every column the map fills, in output order."""
        out: dict[str, str] = {}
        for column in MAPPABLE_COLUMNS:
            source = getattr(self, column)
            if source is not None:
                out[column] = source
        return out

    def source_columns(self) -> tuple[str, ...]:
        """Every source column the map reads (the id column first, when named)."""
        ids = (self.id_column,) if self.id_column is not None else ()
        return (*ids, *self.mapped().values())

    @classmethod
    def identity(cls, columns: Any) -> ColumnMap:
        """The map of a table that already uses tumorsim's column names.

        Parameters
        ----------
        columns : iterable of str
            The table's columns; optional columns and ``patient_id`` (as the id column)
            are mapped when present.
        """
        present = set(columns)
        names: dict[str, Any] = {c: c for c in MAPPABLE_COLUMNS if c in present}
        if "patient_id" in present:
            names["id_column"] = "patient_id"
        return cls(name="tumorsim", **names)


GBSG2_COLUMNS: Final[ColumnMap] = ColumnMap(
    name="GBSG2",
    age_years="age",
    postmenopausal="menostat",
    tumour_size_mm="tsize",
    grade="tgrade",
    positive_nodes="pnodes",
    er_fmol="estrec",
    pr_fmol="progrec",
    hormone_therapy="horTh",
    follow_up_days="time",
    relapse_event="cens",
    values={
        "postmenopausal": {"Pre": 0, "Post": 1},
        "grade": {"I": 1, "II": 2, "III": 3},
        "hormone_therapy": {"yes": 1, "no": 0},
    },
)
"""The German Breast Cancer Study Group 2 trial as bundled with lifelines
(``lifelines.datasets.load_gbsg2``; also ``TH.data::GBSG2`` in R): 686 node-positive
women, follow-up ``time`` in days, ``cens`` = 1 for a recurrence-free-survival event.
There is no chemotherapy column: every woman had 3 or 6 cycles of CMF."""


# --- map files ---------------------------------------------------------------------------------


def load_column_map(path: str | os.PathLike[str]) -> ColumnMap:
    """Read and validate a column map TOML file.

    Parameters
    ----------
    path : str or os.PathLike
        The TOML file: top-level keys are the fields of :class:`ColumnMap`, with the value
        maps in ``[values.<column>]`` tables (see ``examples/gbsg2_columns.toml``).

    Returns
    -------
    ColumnMap
        With ``name`` set to the file's stem unless the file gives one.

    Raises
    ------
    tumorsim.errors.ScenarioError
        The file is missing or not TOML, a key is unknown, a value has the wrong type, a
        value map gives a number outside the column's range, or two columns share one
        source column. One line naming the file, the field, the value and what is allowed.
    """
    file = _display(Path(path))
    data = _read_toml(file, named_by=None)
    data.setdefault("name", file.stem or "custom")
    for key in data:
        if key not in ColumnMap.model_fields:
            # Reported before missing keys: a misspelt key also looks like a missing one.
            raise ScenarioError(file, key, key, ", ".join(ColumnMap.model_fields),
                                problem=f"unknown key {key!r}", label="allowed keys",
                                show_value=False)
    try:
        return ColumnMap.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(exc, file=file, model=ColumnMap) from None


# --- data -> cohort ----------------------------------------------------------------------------


def load_gbsg2() -> Cohort:
    """The GBSG2 trial (686 women) as a cohort, in the order lifelines gives it.

    Returns
    -------
    Cohort
        Covariates plus ``hormone_therapy``, ``follow_up_days`` and ``relapse_event``
        (see :data:`GBSG2_COLUMNS`); ``patient_id`` is the row position 0..685.
    """
    from lifelines.datasets import load_gbsg2 as lifelines_gbsg2

    return cohort_from_dataframe(lifelines_gbsg2(), GBSG2_COLUMNS, source="GBSG2 (lifelines)")


def read_cohort(
    path: str | os.PathLike[str],
    columns: ColumnMap | str | os.PathLike[str] | None = None,
) -> Cohort:
    """Read a CSV or Parquet file of patients into a cohort.

    Parameters
    ----------
    path : str or os.PathLike
        See :func:`read_patient_table`.
    columns : ColumnMap, path of a map TOML file, or None
        How to read the columns; see :func:`cohort_from_dataframe`.

    Returns
    -------
    Cohort

    Raises
    ------
    tumorsim.errors.CohortError
        The file cannot be read, or a column or value is missing or not allowed.
    tumorsim.errors.ScenarioError
        ``columns`` names a bad map file.
    """
    column_map = _resolve_map(columns)
    file = Path(path)
    return cohort_from_dataframe(read_patient_table(file), column_map, source=file)


def read_patient_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV or Parquet file of patients as it is, before any mapping or check.

    Parameters
    ----------
    path : str or os.PathLike
        ``.parquet`` / ``.pq`` files are read as Parquet, anything else as CSV (comma
        separated, a header row; empty cells and ``NA`` are missing values).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    tumorsim.errors.CohortError
        The file is missing or cannot be parsed.
    """
    file = Path(path)
    if not file.is_file():
        problem = "not a file" if file.exists() else "file not found"
        raise CohortError(file, problem, "a CSV or Parquet file of patients", label="expected")
    parquet = file.suffix.lower() in (".parquet", ".pq")
    try:
        if parquet:
            frame = pd.read_parquet(file)
        else:
            # pandas renames a repeated header ("age", "age.1"): read the header as it is
            header = pd.read_csv(file, header=None, nrows=1, dtype=str,
                                 keep_default_na=False).iloc[0].tolist()
            frame = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise CohortError(file, "empty file", "a CSV file with a header row and one row "
                          "per patient", label="expected") from None
    except (OSError, ValueError, UnicodeDecodeError, IndexError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CohortError(
            file, f"cannot read ({first})", "a CSV file with a header row, or Parquet",
            label="expected",
        ) from None
    names = [str(c) for c in frame.columns] if parquet else [str(c) for c in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CohortError(file, f"column {'names' if len(repeated) > 1 else 'name'} "
                          f"repeated in the header: {', '.join(map(repr, repeated))}",
                          "each column name once", label="expected")
    return frame


def guess_column_map(
    frame: pd.DataFrame, source: str | os.PathLike[str] | None = None
) -> ColumnMap:
    """The map used when none is given: GBSG2's, or tumorsim's own column names.

    Parameters
    ----------
    frame : pandas.DataFrame
        The patients table.
    source : str or os.PathLike, optional
        Named in the error message.

    Returns
    -------
    ColumnMap
        :data:`GBSG2_COLUMNS` if the frame has all of GBSG2's columns, else
        :meth:`ColumnMap.identity` if it has all covariates under tumorsim's names.

    Raises
    ------
    tumorsim.errors.CohortError
        Neither: the message lists both sets of names and points to column maps.
    """
    present = set(frame.columns)
    gbsg2 = GBSG2_COLUMNS.source_columns()
    if all(c in present for c in gbsg2):
        return GBSG2_COLUMNS
    if all(c in present for c in _REQUIRED):
        return ColumnMap.identity(frame.columns)
    raise CohortError(
        source,
        "columns not recognised",
        f"GBSG2's columns ({', '.join(gbsg2)}), tumorsim's ({', '.join(_REQUIRED)}), or a "
        "column map (--columns MAP.toml, see examples/gbsg2_columns.toml)",
        label="expected",
    )


def cohort_from_dataframe(
    frame: pd.DataFrame,
    columns: ColumnMap | str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
) -> Cohort:
    """Turn a table of real patients into a cohort, checking every value.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per patient. Its index is ignored; rows keep their order.
    columns : ColumnMap, path of a map TOML file, or None
        How to read the columns. ``None``: :data:`GBSG2_COLUMNS` if the frame has all of
        GBSG2's columns, else :meth:`ColumnMap.identity` if it has all of
        :data:`~tumorsim.cohort.population.COVARIATE_COLUMNS`.
    source : str or os.PathLike, optional
        Named at the start of error messages (the file the frame came from).

    Returns
    -------
    Cohort
        ``patient_id`` (row position, or the id column), ``source_id`` (only with an id
        column), the covariates, the optional columns the map names, then every column
        the map does not use, unchanged.

    Raises
    ------
    tumorsim.errors.CohortError
        The columns are not recognised (``columns=None``), a mapped column is missing, or
        a value is missing, unknown to the value map, not a number or out of range. The
        first offending row is reported (ties: the first column in map order).
    tumorsim.errors.ScenarioError
        ``columns`` names a bad map file.
    """
    column_map = _resolve_map(columns)
    if len(frame) == 0:
        raise CohortError(source, "no patients (the table has no rows)",
                          "a header row and at least one row per patient", label="expected")
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if repeated:
        raise CohortError(source, f"column names repeated: {', '.join(map(repr, repeated))}",
                          "each column name once", label="expected")
    if column_map is None:
        column_map = guess_column_map(frame, source)
    present = list(frame.columns)
    for covariate, column in (("id_column", column_map.id_column), *column_map.mapped().items()):
        if column is not None and column not in frame.columns:
            shown = ", ".join(str(c) for c in present[:20]) + (", ..." if len(present) > 20 else "")
            raise CohortError(source, "not found", shown or "(none)", column=column,
                              covariate=covariate, label="columns present")

    n = len(frame)
    id_labels = _id_labels(frame, column_map.id_column)
    out: dict[Any, Any] = {}
    first_error: tuple[int, CohortError] | None = None

    def note(position: int, error: CohortError) -> None:
        nonlocal first_error
        if first_error is None or position < first_error[0]:
            first_error = (position, error)

    if column_map.id_column is not None:
        ids, error = _ids(frame, column_map.id_column, source)
        if error is not None:
            note(*error)
        out["patient_id"] = ids
        out["source_id"] = frame[column_map.id_column].to_numpy()
    else:
        out["patient_id"] = np.arange(n, dtype=np.int64)

    value_maps = {str(k): v for k, v in column_map.values.items()}
    for covariate, column in column_map.mapped().items():
        scale = _DAYS_PER_UNIT[column_map.follow_up_unit] if covariate == "follow_up_days" else 1
        unit = column_map.follow_up_unit if covariate == "follow_up_days" else None
        values, error = _column(frame[column], column, covariate,
                                value_maps.get(covariate), scale, unit, source, id_labels)
        if error is not None:
            note(*error)
        out[covariate] = values
    if first_error is not None:
        raise first_error[1]

    for covariate in column_map.mapped():
        rule = COVARIATE_RULES[covariate]
        if covariate == "relapse_event":
            out[covariate] = out[covariate].astype(bool)
        elif rule.integer:
            out[covariate] = out[covariate].astype(np.int64)
    used = set(column_map.source_columns())
    for column in frame.columns:
        if column in used:
            continue
        name = column if column not in out else f"source_{column}"
        out[name] = frame[column].to_numpy()
    return Cohort(pd.DataFrame(out))


def _resolve_map(columns: ColumnMap | str | os.PathLike[str] | None) -> ColumnMap | None:
    if columns is None or isinstance(columns, ColumnMap):
        return columns
    return load_column_map(columns)


def _id_labels(frame: pd.DataFrame, id_column: str | None) -> Callable[[int], str | None]:
    """For a 0-based position, ``"pid = 1043"`` (shown after the row number in errors)."""
    if id_column is None:
        return lambda position: None
    raw = frame[id_column]

    def label(position: int) -> str:
        value = raw.iloc[position]
        return f"{id_column} missing" if _missing(value) else f"{id_column} = {_plain(value)!r}"

    return label


def _ids(
    frame: pd.DataFrame,
    column: str,
    source: str | os.PathLike[str] | None,
) -> tuple[np.ndarray, tuple[int, CohortError] | None]:
    allowed = "unique whole numbers >= 0 (leave id_column out of the map to number rows)"
    raw = frame[column]
    ids = np.zeros(len(raw), dtype=np.int64)
    first_row: dict[int, int] = {}
    for position, value in enumerate(raw):
        number = _as_number(value)
        problem = None
        if number is None:
            problem = "missing value" if _missing(value) else "not a whole number"
        elif number != round(number) or number < 0 or number > 2**62:
            problem = "not a whole number >= 0"
        elif int(number) in first_row:
            problem = f"duplicate id (also in row {first_row[int(number)] + 1})"
        if problem is not None:
            error = CohortError(source, problem, allowed, row=position + 1, column=column,
                                covariate="patient_id", value=_plain(value))
            return ids, (position, error)
        ids[position] = int(number)  # type: ignore[arg-type]
        first_row[int(number)] = position  # type: ignore[arg-type]
    return ids, None


def _column(
    raw: pd.Series,
    column: str,
    covariate: str,
    value_map: Mapping[str, float] | None,
    scale: float,
    unit: str | None,
    source: str | os.PathLike[str] | None,
    label_of: Callable[[int], str | None],
) -> tuple[np.ndarray, tuple[int, CohortError] | None]:
    """Values of one column as floats (in tumorsim units) and its first error, if any."""
    rule = COVARIATE_RULES[covariate]
    if value_map is not None:
        # Look up each distinct value once; -1 (missing) picks the trailing NaN.
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        lookup = [value_map.get(_as_key(u), math.nan) for u in uniques]
        values = np.asarray([*lookup, math.nan], dtype=float)[codes]
        ok = ~np.isnan(values)
    else:
        if pd.api.types.is_numeric_dtype(raw.dtype):
            values = raw.to_numpy(dtype=float) * scale
        else:
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float) * scale
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(values) & (values >= rule.low) & (values <= rule.high)
            if rule.integer:
                ok &= values == np.round(values)
    # The vectorised checks flag candidates; _value decides and explains each one.
    for position in np.flatnonzero(~ok).tolist():
        value = raw.iloc[position]
        number, problem, allowed = _value(value, rule, value_map, scale, unit)
        if problem is not None:
            error = CohortError(
                source, problem, allowed, row=position + 1,
                patient=label_of(position),
                column=column, covariate=covariate, value=_plain(value),
            )
            return values, (position, error)
        values[position] = number
    return values, None


def _value(
    value: Any,
    rule: CovariateRule,
    value_map: Mapping[str, float] | None,
    scale: float,
    unit: str | None,
) -> tuple[float, str | None, str]:
    """One source value in tumorsim units, why it is not allowed (or None), what is."""
    if value_map is not None:
        allowed = ", ".join(repr(k) for k in value_map)
        if _missing(value):
            return math.nan, "missing value", allowed
        number = value_map.get(_as_key(value))
        if number is None:
            return math.nan, "not in the column map's values", allowed
        return number, None, allowed
    allowed = rule.describe(scale, unit)
    if _missing(value):
        return math.nan, "missing value", allowed
    parsed = _as_number(value)
    if parsed is None:
        return math.nan, "not a number", allowed
    number = parsed * scale
    return number, rule.check(number), allowed


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_number(value: Any) -> float | None:
    """The value as a float, or ``None`` (missing, text that is not a number)."""
    value = _plain(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if not math.isnan(value) else None
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _as_key(value: Any) -> str:
    """The text a value-map key must have to match the value (``2.0`` -> ``"2"``)."""
    value = _plain(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
