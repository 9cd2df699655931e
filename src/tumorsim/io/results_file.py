"""Results directories: a :class:`~tumorsim.results.SimulationResult` as Parquet files.

A results directory holds up to three Parquet files, one per table of the result::

    runs/er_tamoxifen/
        patients.parquet           one row per patient (always present)
        trajectories.parquet       sampled trajectories (when recorded)
        site_environment.parquet   sampled site environments (when recorded)

Every file carries in its Parquet schema metadata what is needed to read it on its own:
the scenario as JSON (:func:`~tumorsim.io.scenario_file.scenario_to_json`), the master
seed, the tumorsim version that simulated it and the results format version (keys
``tumorsim.scenario``, ``tumorsim.seed``, ``tumorsim.version``,
``tumorsim.format_version``, plus ``tumorsim.table`` naming the table). Any Parquet
reader sees them, e.g. ``pyarrow.parquet.read_schema(path).metadata``.

Writing is atomic: the files are written into a hidden staging directory next to the
target (``.<name>.partial-<random>``) and renamed into place at the end, so a reader
never sees a half-written directory, and a failed write leaves the previous results (if
any) untouched.

Writing is also streamed: :class:`ResultsWriter` appends a table chunk by chunk, one
Parquet row group per chunk (``pyarrow.parquet.ParquetWriter``), so only one chunk is in
memory however large the cohort. :func:`save_results` writes a whole
:class:`~tumorsim.results.SimulationResult` through it as a single chunk;
:func:`tumorsim.runner.directory.simulate_to_directory` (``tumorsim simulate``) writes each
chunk of a simulation as it is finished. Either way the files are laid out and read back
the same: :func:`load_results` gives the concatenated tables with a fresh ``RangeIndex``
and the same categorical columns. :func:`patient_batches` reads the patients back a
batch at a time instead, and :func:`read_summary_counts` counts what a simulation's
summary prints that way, so a file of any size is summarised in bounded memory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tumorsim.errors import ResultsError, ScenarioError
from tumorsim.io.atomic import make_staging_dir, replace_dir

if TYPE_CHECKING:  # pandas and pyarrow are imported on use: keeps the CLI quick to start
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tumorsim.model.scenario import Scenario
    from tumorsim.results import SimulationResult, SummaryCounts

__all__ = [
    "PATIENTS_FILE",
    "RESULTS_FILES",
    "RESULTS_FORMAT_VERSION",
    "ResultsWriter",
    "SITE_ENVIRONMENT_FILE",
    "TRAJECTORIES_FILE",
    "check_results_dir",
    "load_results",
    "patient_batches",
    "read_summary_counts",
    "remove_stale_staging",
    "save_results",
    "save_tables",
]

RESULTS_FORMAT_VERSION: Final[int] = 1
"""Version of the layout of results files; bumped when a reader must change."""

PATIENTS_FILE: Final[str] = "patients.parquet"
TRAJECTORIES_FILE: Final[str] = "trajectories.parquet"
SITE_ENVIRONMENT_FILE: Final[str] = "site_environment.parquet"

RESULTS_FILES: Final[dict[str, str]] = {
    "patients": PATIENTS_FILE,
    "trajectories": TRAJECTORIES_FILE,
    "site_environment": SITE_ENVIRONMENT_FILE,
}
"""Table name (attribute of ``SimulationResult``) -> file name in a results directory."""

_KEY_FORMAT: Final[bytes] = b"tumorsim.format_version"
_KEY_VERSION: Final[bytes] = b"tumorsim.version"
_KEY_SEED: Final[bytes] = b"tumorsim.seed"
_KEY_SCENARIO: Final[bytes] = b"tumorsim.scenario"
_KEY_TABLE: Final[bytes] = b"tumorsim.table"
_SHARED_KEYS: Final[tuple[bytes, ...]] = (_KEY_FORMAT, _KEY_VERSION, _KEY_SEED, _KEY_SCENARIO)

_EXPECTED_DIR: Final[str] = (
    "a results directory written by tumorsim.save_results (tumorsim simulate --out)"
)
_EXPECTED_FILE: Final[str] = (
    "a Parquet file written by tumorsim.save_results (tumorsim simulate --out)"
)


# --- writing -------------------------------------------------------------------------------------


def save_results(result: SimulationResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write a simulation result to a directory of Parquet files, atomically.

    Parameters
    ----------
    result : SimulationResult
        What :func:`tumorsim.simulate` returned. ``patients`` is always written;
        ``trajectories`` and ``site_environment`` when they are not ``None``.
    out_dir : str or os.PathLike
        The results directory. Missing parent directories are created. If it exists it
        must be empty or hold only results files (a previous run), which are replaced.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    tumorsim.errors.ResultsError
        ``out_dir`` is a file or a directory holding other files (nothing is written),
        or writing failed (disk full, permissions); then neither a partial directory nor
        a staging directory remains, and previous results in ``out_dir`` are untouched.

    Notes
    -----
    The files go into a hidden sibling directory ``.<name>.partial-<random>`` that is
    renamed to ``out_dir`` when complete; previous results are moved aside first and
    deleted only after the rename succeeded. A result too large to hold in memory is
    written chunk by chunk with :class:`ResultsWriter` instead (what
    :func:`tumorsim.runner.directory.simulate_to_directory` does).
    """
    with ResultsWriter(out_dir, scenario=result.scenario, seed=result.seed,
                       version=result.version) as writer:
        writer.write_result(result)
    return writer.path


def save_tables(
    out_dir: str | os.PathLike[str],
    tables: Mapping[str, tuple[str, pd.DataFrame]],
    *,
    scenario: Scenario,
    seed: int,
    version: str | None = None,
    metadata: Mapping[str, str] | None = None,
    replaceable: Collection[str] = (),
    expected: str = "tables that Parquet can store",
) -> Path:
    """Write tables as Parquet files of one directory, atomically, with their provenance.

    The generic writer behind ``tumorsim twin`` and trial results (each table written
    whole by a :class:`ResultsWriter`): every file carries the scenario, seed, tumorsim
    version and results format version in its schema metadata (module docstring), plus
    ``tumorsim.table`` and ``metadata``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The directory. Missing parents are created. If it exists it must be empty or hold
        only files named in ``tables`` or ``replaceable`` (a previous run), which are
        replaced as a whole.
    tables : mapping of str to (str, pandas.DataFrame)
        File name -> (table name stored as ``tumorsim.table``, the table).
    scenario : Scenario
        Stored as JSON under ``tumorsim.scenario``.
    seed : int
        Master seed, under ``tumorsim.seed``.
    version : str, optional
        tumorsim version; default: the installed one.
    metadata : mapping of str to str, optional
        Further schema metadata for every file (keys should start with ``tumorsim.``).
    replaceable : collection of str, optional
        Further file names a previous run may have left in ``out_dir``.
    expected : str, optional
        What the tables should be, for the error raised when Arrow cannot store one.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    tumorsim.errors.ResultsError
        As :func:`save_results`.
    """
    with ResultsWriter(out_dir, scenario=scenario, seed=seed, version=version,
                       metadata=metadata, replaceable={*tables, *replaceable},
                       expected=expected) as writer:
        for file_name, (table_name, frame) in tables.items():
            writer.write(file_name, table_name, frame)
    return writer.path


class ResultsWriter:
    """Parquet files of one results directory, written chunk by chunk and atomically.

    Used as a context manager: the files are written into a hidden staging directory
    beside ``out_dir``; leaving the ``with`` block normally closes them and renames the
    staging directory into place (replacing previous results), leaving it by an exception
    deletes the staging directory and leaves ``out_dir`` untouched. Each call of
    :meth:`write` appends one chunk of rows to a file as a Parquet row group, so a table
    of any size is written while only one chunk of it is in memory; the file reads back
    (``pandas.read_parquet``, :func:`load_results`) as the row-wise concatenation of the
    chunks with a fresh ``RangeIndex``, identical to the same table written whole.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The directory. Missing parents are created. If it exists it must be empty or hold
        only files named in ``replaceable`` (a previous run), which are replaced.
    scenario : Scenario
        Stored as JSON under ``tumorsim.scenario`` in every file.
    seed : int
        Master seed, under ``tumorsim.seed``.
    version : str, optional
        tumorsim version; default: the installed one.
    metadata : mapping of str to str, optional
        Further schema metadata for every file (keys should start with ``tumorsim.``).
    replaceable : collection of str, default the files of :data:`RESULTS_FILES`
        File names a previous run may have left in ``out_dir`` (the files this writer
        writes should be among them).
    expected : str, optional
        What the tables should be, for the error raised when Arrow cannot store one.

    Attributes
    ----------
    path : pathlib.Path
        The results directory (complete once the ``with`` block is left normally).

    Raises
    ------
    tumorsim.errors.ResultsError
        As :func:`save_results`: from the constructor when ``out_dir`` cannot be used
        (nothing is written), from :meth:`write` or on leaving the block when writing
        fails.

    Notes
    -----
    The schema of a file is taken from its first chunk with rows. Chunks without rows
    are skipped (they carry only dtypes, which Parquet does not keep for empty object or
    categorical columns); the first is written only when every chunk is empty. Every
    chunk with rows must have the same columns and the same categories in its
    categorical columns. A default ``RangeIndex`` (unnamed, from 0, step 1) is not
    stored, any other index is stored as columns.

    Examples
    --------
    >>> with ResultsWriter(out, scenario=scenario, seed=seed) as writer:  # doctest: +SKIP
    ...     for part in chunks:
    ...         writer.write_result(part)
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        scenario: Scenario,
        seed: int,
        version: str | None = None,
        metadata: Mapping[str, str] | None = None,
        replaceable: Collection[str] = tuple(RESULTS_FILES.values()),
        expected: str = "tables of a SimulationResult",
    ) -> None:
        from tumorsim.io.scenario_file import scenario_to_json
        from tumorsim.results import package_version

        out = _target(out_dir)
        self.path: Path = out
        self._known = set(replaceable)
        self._expected = expected
        check_results_dir(out, known=self._known)
        self._metadata = {
            **{k.encode(): v.encode() for k, v in (metadata or {}).items()},
            _KEY_FORMAT: str(RESULTS_FORMAT_VERSION).encode(),
            _KEY_VERSION: str(version if version is not None else package_version()).encode(),
            _KEY_SEED: str(int(seed)).encode(),
            _KEY_SCENARIO: scenario_to_json(scenario, indent=None).encode(),
        }
        self._files: dict[str, _ParquetFile] = {}
        self._staging: Path | None = _make_staging_dir(out)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if exc_type is None:
            self._commit()
        else:
            self._abort()

    def write(self, file_name: str, table_name: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` (one chunk of table ``table_name``) to ``file_name``.

        Parameters
        ----------
        file_name : str
            File in the results directory, e.g. :data:`PATIENTS_FILE`.
        table_name : str
            Stored as ``tumorsim.table`` (the same for every chunk of a file).
        frame : pandas.DataFrame
            The rows; same columns, dtypes and categories as the file's earlier chunks.
        """
        if self._staging is None:
            raise ValueError(f"{self.path}: results writer already closed")
        file = self._files.get(file_name)
        if file is None:
            file = self._files[file_name] = _ParquetFile(self._staging / file_name, table_name,
                                                         self._metadata)
        elif file.table_name != table_name:
            raise ValueError(f"{file_name}: chunks of table {file.table_name!r} and "
                             f"{table_name!r} in one file")
        with self._errors():
            file.append(frame)

    def write_result(self, result: SimulationResult) -> None:
        """Append the tables of ``result`` (one chunk of a simulation) to their files."""
        for name, file_name in RESULTS_FILES.items():
            frame = getattr(result, name)
            if frame is not None:
                self.write(file_name, name, frame)

    def _commit(self) -> None:
        staging = self._staging
        assert staging is not None, "results writer already closed"
        try:
            with self._errors():
                for file in self._files.values():
                    file.close()
                known = self._known | set(self._files)
                replace_dir(staging, self.path,
                            lambda out: check_results_dir(out, known=known))
        except BaseException:
            self._abort()
            raise
        self._staging = None

    def _abort(self) -> None:
        for file in self._files.values():
            file.discard()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Disk and Arrow errors as :class:`ResultsError` naming the results directory."""
        import pyarrow as pa

        try:
            yield
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ResultsError(
                self.path, f"cannot write results: {reason}",
                "a writable directory with free space"
            ) from exc
        except pa.ArrowException as exc:
            raise ResultsError(self.path, f"cannot write results: {exc}",
                               self._expected) from exc


class _ParquetFile:
    """One Parquet file of a :class:`ResultsWriter`, opened at its first chunk with rows."""

    def __init__(self, path: Path, table_name: str, metadata: Mapping[bytes, bytes]) -> None:
        self.path = path
        self.table_name = table_name
        self._metadata = {**metadata, _KEY_TABLE: table_name.encode()}
        self._writer: pq.ParquetWriter | None = None
        self._columns: list[object] = []
        self._categories: dict[object, pd.CategoricalDtype] = {}
        self._empty: pd.DataFrame | None = None  # the first chunk, while all were empty

    def append(self, frame: pd.DataFrame) -> None:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            if not len(frame):
                if self._empty is None:
                    self._empty = frame
                return
            self._empty = None
            table = _arrow_table(frame)
            schema = table.schema.with_metadata({**(table.schema.metadata or {}),
                                                 **self._metadata})
            self._columns = list(frame.columns)
            self._categories = {c: frame[c].dtype for c in frame.columns
                                if isinstance(frame[c].dtype, pd.CategoricalDtype)}
            self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")
        else:
            if not len(frame):  # no rows: its dtypes do not matter (nor survive Parquet)
                return
            self._check_same_columns(frame)
            table = pa.Table.from_pandas(frame, schema=self._writer.schema,
                                         preserve_index=_preserve_index(frame))
        self._writer.write_table(table)

    def _check_same_columns(self, frame: pd.DataFrame) -> None:
        if list(frame.columns) != self._columns:
            raise ValueError(f"{self.path.name}: a chunk with other columns than the first")
        for column, dtype in self._categories.items():
            other = frame[column].dtype
            if not (isinstance(other, type(dtype)) and other.ordered == dtype.ordered
                    and other.categories.equals(dtype.categories)):
                raise ValueError(f"{self.path.name}: column {column!r} of a chunk has other "
                                 f"categories than the first ({frame[column].dtype})")

    def close(self) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:  # every chunk was empty: the first one's dtypes are kept
            assert self._empty is not None, "a file is opened by its first chunk"
            table = _arrow_table(self._empty)
            pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                          **self._metadata}),
                           self.path, compression="zstd")
        else:
            self._writer.close()
            self._writer = None

    def discard(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the file is deleted with the staging directory
                pass
            self._writer = None


def _preserve_index(frame: pd.DataFrame) -> bool:
    """Whether the index is worth storing: anything but a default ``RangeIndex``."""
    import pandas as pd

    index = frame.index
    default = (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
               and index.name is None)
    return not default


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=_preserve_index(frame))


def check_results_dir(
    out_dir: str | os.PathLike[str], *, known: Collection[str] | None = None
) -> None:
    """Check that :func:`save_results` may write to ``out_dir``, before a long simulation.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The intended results directory.
    known : collection of str, optional
        File names that may be replaced; default the files of :data:`RESULTS_FILES`
        (:func:`save_tables` passes its own).

    Raises
    ------
    tumorsim.errors.ResultsError
        ``out_dir`` exists and is not a directory, cannot be listed, or holds files other
        than results files (which :func:`save_results` refuses to delete).
    """
    out = Path(out_dir)
    if not out.exists():
        return
    if not out.is_dir():
        raise ResultsError(out, "exists and is not a directory", "a new or results directory")
    try:
        names = sorted(entry.name for entry in out.iterdir())
    except OSError as exc:
        raise ResultsError(out, f"cannot list directory: {exc.strerror or exc}") from exc
    known = set(RESULTS_FILES.values()) if known is None else set(known)
    others = [n for n in names if n not in known]
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise ResultsError(
            out,
            f"exists and holds files that are not tumorsim results ({shown}); not replacing it",
            "a new path, an empty directory or a previous results directory",
        )


def remove_stale_staging(out_dir: str | os.PathLike[str]) -> None:
    """Delete the staging directories of writes into ``out_dir`` that were killed.

    A write stopped by ``SIGKILL`` (or a power cut) cannot clean up after itself and
    leaves its hidden ``.<name>.partial-<random>`` directory beside ``out_dir``. Call this
    only when no other write into ``out_dir`` is under way, e.g. when resuming the run
    that was killed.
    """
    out = _target(out_dir)
    for stale in out.parent.glob(f".{out.name}.partial-*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def _target(out_dir: str | os.PathLike[str]) -> Path:
    """The directory a write into ``out_dir`` replaces."""
    out = Path(out_dir)
    if out.is_symlink() or out.name in ("", ".."):
        # Replace the directory a link points to, not the link; "." and ".." have no name.
        out = out.resolve()
    return out


def _make_staging_dir(out: Path) -> Path:
    """A new hidden directory next to ``out`` (same file system, so renames are atomic)."""
    try:
        return make_staging_dir(out)
    except OSError as exc:
        raise ResultsError(
            out.parent, f"cannot create directory: {exc.strerror or exc}", "a writable location"
        ) from exc


# --- reading -------------------------------------------------------------------------------------


def load_results(out_dir: str | os.PathLike[str]) -> SimulationResult:
    """Read a results directory written by :func:`save_results`.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The results directory.

    Returns
    -------
    SimulationResult
        Equal to the saved one: the same tables (categorical columns stay categorical,
        with the same categories), scenario, seed and version.
        ``trajectories`` / ``site_environment`` are ``None`` when their files are absent.

    Raises
    ------
    tumorsim.errors.ResultsError
        The directory or ``patients.parquet`` is missing; a file is not Parquet, lacks the
        tumorsim metadata, was written by a newer results format, holds another table than
        its name says, or comes from a different simulation than ``patients.parquet``; or
        the embedded scenario is not valid for this version of tumorsim. The message names
        the file and what was expected.
    """
    from tumorsim.io.scenario_file import scenario_from_json
    from tumorsim.results import SimulationResult

    directory = Path(out_dir)
    if not directory.exists():
        raise ResultsError(directory, "no such directory", _EXPECTED_DIR)
    if not directory.is_dir():
        raise ResultsError(directory, "not a directory", _EXPECTED_DIR)
    patients_path = directory / PATIENTS_FILE
    if not patients_path.is_file():
        raise ResultsError(
            patients_path,
            "file not found",
            f"{PATIENTS_FILE} in {_EXPECTED_DIR}",
        )
    patients, metadata = _read_table(patients_path, "patients")
    optional: dict[str, pd.DataFrame | None] = {}
    for name in ("trajectories", "site_environment"):
        path = directory / RESULTS_FILES[name]
        if not path.exists():
            optional[name] = None
            continue
        frame, other = _read_table(path, name)
        if any(other.get(k) != metadata.get(k) for k in _SHARED_KEYS):
            raise ResultsError(
                path,
                f"comes from a different simulation than {PATIENTS_FILE} "
                "(scenario, seed or version differ)",
                "all files of one results directory written together by save_results",
            )
        optional[name] = frame
    try:
        scenario = scenario_from_json(metadata[_KEY_SCENARIO])
    except ScenarioError as exc:
        raise ResultsError(
            patients_path,
            f"the embedded scenario is not valid for this tumorsim: {exc}",
            "a results file written by a compatible tumorsim version",
        ) from exc
    return SimulationResult(
        patients=patients,
        trajectories=optional["trajectories"],
        site_environment=optional["site_environment"],
        scenario=scenario,
        seed=int(metadata[_KEY_SEED]),
        version=metadata[_KEY_VERSION].decode(),
    )


def _read_table(path: Path, name: str) -> tuple[pd.DataFrame, Mapping[bytes, bytes]]:
    """One results file as a DataFrame and its (checked) schema metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultsError(
            path, f"not a readable Parquet file ({first_line})", _EXPECTED_FILE
        ) from None
    missing = [k.decode() for k in (*_SHARED_KEYS, _KEY_TABLE) if k not in metadata]
    if missing:
        raise ResultsError(
            path,
            f"no tumorsim metadata in the Parquet schema (missing {', '.join(missing)})",
            _EXPECTED_FILE,
        )
    try:
        file_format = int(metadata[_KEY_FORMAT])
        int(metadata[_KEY_SEED])
    except ValueError:
        raise ResultsError(
            path, "malformed tumorsim metadata (format version or seed)", _EXPECTED_FILE
        ) from None
    if file_format > RESULTS_FORMAT_VERSION:
        raise ResultsError(
            path,
            f"written in results format {file_format} by tumorsim "
            f"{metadata[_KEY_VERSION].decode()}; this tumorsim reads up to format "
            f"{RESULTS_FORMAT_VERSION}",
            "a newer tumorsim to read it",
        )
    table_name = metadata[_KEY_TABLE].decode()
    if table_name != name:
        raise ResultsError(
            path,
            f"holds the {table_name!r} table, not {name!r}",
            f"{name} in {RESULTS_FILES[name]}",
        )
    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise ResultsError(path, f"cannot read Parquet data: {exc}", _EXPECTED_FILE) from exc
    return frame, metadata


def patient_batches(out_dir: str | os.PathLike[str], columns: Sequence[str], *,
                    batch_rows: int = 20_000) -> Iterator[pd.DataFrame]:
    """The patients table of a results directory, ``columns`` only, a batch at a time.

    Parameters
    ----------
    out_dir : str or os.PathLike
        A results directory (:func:`save_results`, ``tumorsim simulate --out``).
    columns : sequence of str
        The columns to read.
    batch_rows : int, default 20000
        Rows per batch (at most): memory holds one batch and the row group it comes from
        (``tumorsim simulate`` writes one row group per chunk).

    Yields
    ------
    pandas.DataFrame
        The rows in order, with their dtypes (categorical columns stay categorical); one
        frame without rows when the table has none.

    Raises
    ------
    tumorsim.errors.ResultsError
        ``patients.parquet`` is missing or cannot be read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(out_dir) / PATIENTS_FILE
    try:
        with pq.ParquetFile(path) as file:
            any_rows = False
            # one thread: a threaded pyarrow read here made about one run in six abort at
            # exit ("terminate called without an active exception", numba's OpenMP loaded)
            for batch in file.iter_batches(batch_size=batch_rows, columns=list(columns),
                                           use_threads=False):
                any_rows = True
                yield batch.to_pandas(use_threads=False)
            if not any_rows:
                empty = file.schema_arrow.empty_table().select(list(columns))
                yield empty.to_pandas(use_threads=False)
    except (OSError, pa.ArrowException) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultsError(path, f"cannot read results ({first_line})", _EXPECTED_FILE
                           ) from None


def read_summary_counts(out_dir: str | os.PathLike[str], *, batch_rows: int = 20_000
                        ) -> SummaryCounts:
    """What a simulation's summary prints, counted from its results directory.

    Reads the :data:`~tumorsim.results.SUMMARY_COLUMNS` of ``patients.parquet`` a batch
    at a time, a few times (:meth:`~tumorsim.results.SummaryCounts.from_batches`): the
    numbers are those of ``load_results(out_dir).summary()``, in memory that does not
    grow with the table (a batch of ``batch_rows`` rows, at most ``batch_rows``
    first-event times and two 4,096-bin histograms).

    Raises
    ------
    tumorsim.errors.ResultsError
        As :func:`patient_batches`.
    """
    import pyarrow.parquet as pq

    from tumorsim.results import SummaryCounts

    path = Path(out_dir) / PATIENTS_FILE
    by_draw = path.is_file() and "draw" in pq.read_schema(path).names
    return SummaryCounts.from_batches(
        lambda columns: patient_batches(out_dir, columns, batch_rows=batch_rows),
        max_held=batch_rows, by_draw=by_draw)
