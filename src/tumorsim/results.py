"""What a run returns: tables with their own summaries.

:class:`SimulationResult` holds one row per patient, plus optional sampled trajectories.
Times are days from diagnosis. For each endpoint there is a ``<name>_days`` and a
``<name>_event`` column ready for lifelines (``rfs``: first local or distant relapse;
``dmfs``: first distant relapse; ``os``: death after relapse), censored at the horizon.
Per-site event times (``local_relapse_days``, ``distant_<site>_days``) are NaN where the
event did not happen. :class:`TwinResult` holds the stochastic twins of real patients.

A simulation's summary is :func:`simulation_summary` of :class:`SummaryCounts`, which
counts its numbers a batch of patients at a time (the median exactly, in a few bounded
passes): from the table in memory (:meth:`SimulationResult.summary`) or from a results
file of any size read a row group at a time (``tumorsim simulate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import Scenario
from tumorsim.text_table import TextTable

__all__ = ["FRACTION_YEARS", "SUMMARY_COLUMNS", "PatientBatches", "SimulationResult",
           "SummaryCounts", "TwinResult", "metastatic_at_diagnosis",
           "metastatic_at_diagnosis_reason", "package_version", "simulation_summary"]

SUMMARY_COLUMNS: Final[tuple[str, ...]] = ("rfs_event", "dmfs_event", "os_event",
                                           "first_event_days", "first_event_site")
"""The columns of ``patients`` that :meth:`SimulationResult.summary` reads."""

FRACTION_YEARS: Final[tuple[int, ...]] = (1, 3, 5, 10)
"""Years at which each patient's ``twins_relapsed_fraction_<t>y`` is reported."""

_DAYS_PER_YEAR: Final[float] = 365.25


def package_version() -> str:
    """The installed version of tumorsim."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tumorsim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from tumorsim import __version__

        return __version__


def _rate_text(count: int, wall_seconds: float, unit: str) -> str:
    return f"{wall_seconds:.2f} s ({count / max(wall_seconds, 1e-9):,.0f} {unit}/s)"


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation returns.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient: ``patient_id``, ``arm``, covariates, event times and sites,
        clone mix and myeloid / antioxidant state at the first event, endpoints.
    trajectories : pandas.DataFrame or None
        Long table ``patient_id, time_days, site, clone, activity, cells`` for the sampled
        patients, on the grid ``0, record_every_days, ...``; each row holds the state at
        the end of the first engine step reaching that time (at most one step later).
    site_environment : pandas.DataFrame or None
        Long table ``patient_id, time_days, site, myeloid_niche, antioxidant_capacity,
        ros_index, cxcl_signal`` for the sampled patients.
    scenario : Scenario
        The scenario simulated (for trials, the first arm's).
    seed : int
        Master seed.
    version : str
        tumorsim version that produced the result.
    """

    patients: pd.DataFrame
    trajectories: pd.DataFrame | None
    site_environment: pd.DataFrame | None
    scenario: Scenario
    seed: int
    version: str = field(default_factory=package_version)

    def summary(self, *, wall_seconds: float | None = None) -> TextTable:
        """Patients, speed, event fractions, median first-event time, first sites.

        Reads only the :data:`SUMMARY_COLUMNS` of ``patients`` (a result read back with
        those columns alone is enough); the same table as :func:`simulation_summary` of
        :meth:`SummaryCounts.from_frame`.

        Parameters
        ----------
        wall_seconds : float, optional
            How long the run took; adds a ``wall time`` row (and patients per second).
        """
        return simulation_summary(SummaryCounts.from_frame(self.patients),
                                  scenario=self.scenario, seed=self.seed,
                                  wall_seconds=wall_seconds)


PatientBatches = Callable[[Sequence[str]], Iterable[pd.DataFrame]]
"""``batches(columns)``: one pass over a patients table, those columns, a batch at a time.

Called once per pass, it must give the same rows in the same order each time (e.g. the
row groups of a results file, :func:`tumorsim.io.results_file.read_summary_counts`).
"""


@dataclass(frozen=True)
class SummaryCounts:
    """The numbers a simulation's summary prints, counted a batch of patients at a time.

    Attributes
    ----------
    patients : int
    rfs_events, dmfs_events, os_events : int
        Patients with an event of each endpoint within the horizon.
    metastatic_at_diagnosis : int
        Patients whose first event is a distant site on day 0.
    first_events : int
        Patients with a first event (a ``first_event_days`` that is not NaN).
    median_first_event_days : float
        The median of ``first_event_days`` over them, exactly as
        :meth:`pandas.Series.median` gives it; NaN without events.
    first_event_sites : tuple of (str, int)
        Patients per first-event site, every site of the column's categories in their
        order (zeros included).
    events_by_draw : tuple of (int, int, int, int, int)
        Per parameter draw of an ensemble run (``draw`` column): the draw, its patients
        and its rfs, dmfs and os events; empty for a run of one parameter set.
    """

    patients: int
    rfs_events: int
    dmfs_events: int
    os_events: int
    metastatic_at_diagnosis: int
    first_events: int
    median_first_event_days: float
    first_event_sites: tuple[tuple[str, int], ...]
    events_by_draw: tuple[tuple[int, int, int, int, int], ...] = ()

    @classmethod
    def from_frame(cls, patients: pd.DataFrame) -> SummaryCounts:
        """The counts of a patients table in memory (one batch)."""
        return cls.from_batches(lambda columns: [patients[list(columns)]],
                                max_held=max(len(patients), 1), by_draw="draw" in patients)

    @classmethod
    def from_batches(cls, batches: PatientBatches, *, max_held: int = 20_000,
                     by_draw: bool = False) -> SummaryCounts:
        """The counts of a patients table read in batches, in bounded memory.

        Parameters
        ----------
        batches : callable
            ``batches(columns)`` gives a fresh pass over the table (:data:`PatientBatches`).
        max_held : int, default 20000
            The most first-event times held at once to find the median (besides one
            batch and a 4,096-bin histogram per middle rank).
        by_draw : bool, default False
            The table has a ``draw`` column (an ensemble run): count events per draw too.

        Notes
        -----
        One pass counts; the median then takes a few passes over ``first_event_days``
        (a radix selection, :func:`_order_statistics`, at most seven): nothing held
        grows with the table. Nothing is approximated.
        """
        counter = _SummaryCounter()
        for frame in batches((*SUMMARY_COLUMNS, "draw") if by_draw else SUMMARY_COLUMNS):
            counter.add(frame)
        m = counter.first_events
        median = float("nan")
        if m:
            def first_event_days() -> Iterable[np.ndarray]:
                for frame in batches(("first_event_days",)):
                    values = frame["first_event_days"].to_numpy(np.float64)
                    yield values[~np.isnan(values)]

            middle = _order_statistics(first_event_days, sorted({(m - 1) // 2, m // 2}),
                                       count=m, max_held=max_held)
            median = float(np.mean(np.array([middle[0], middle[-1]])))  # as pandas does
        return cls(patients=counter.patients, rfs_events=counter.events["rfs_event"],
                   dmfs_events=counter.events["dmfs_event"],
                   os_events=counter.events["os_event"],
                   metastatic_at_diagnosis=counter.metastatic_at_diagnosis,
                   first_events=m, median_first_event_days=median,
                   first_event_sites=tuple(counter.sites.items()),
                   events_by_draw=tuple((d, int(c[0]), int(c[1]), int(c[2]), int(c[3]))
                                        for d, c in sorted(counter.by_draw.items())))


class _SummaryCounter:
    """Running counts of :class:`SummaryCounts` (all but the median) over batches."""

    def __init__(self) -> None:
        self.patients = 0
        self.events = {"rfs_event": 0, "dmfs_event": 0, "os_event": 0}
        self.metastatic_at_diagnosis = 0
        self.first_events = 0
        self.sites: dict[str, int] = {}
        self.by_draw: dict[int, np.ndarray] = {}

    def add(self, frame: pd.DataFrame) -> None:
        self.patients += len(frame)
        if "draw" in frame:
            grouped = frame.groupby("draw", sort=False)[list(self.events)]
            counts = grouped.sum()
            sizes = grouped.size()
            for d in counts.index:
                row = np.array([int(sizes[d]), *counts.loc[d].astype(int)], dtype=np.int64)
                self.by_draw[int(d)] = self.by_draw.get(int(d), 0) + row
        for column in self.events:
            self.events[column] += int(frame[column].sum())
        self.metastatic_at_diagnosis += _metastatic_at_diagnosis_count(frame)
        self.first_events += int(frame["first_event_days"].notna().sum())
        counts = frame["first_event_site"].value_counts(sort=False, dropna=True)
        for site, count in counts.items():
            self.sites[str(site)] = self.sites.get(str(site), 0) + int(count)


def simulation_summary(counts: SummaryCounts, *, scenario: Scenario, seed: int,
                       wall_seconds: float | None = None) -> TextTable:
    """The summary table of a simulation: patients, speed, event fractions, median
    first-event time, first sites (:meth:`SimulationResult.summary`).

    Parameters
    ----------
    counts : SummaryCounts
        From the patients in memory (:meth:`SummaryCounts.from_frame`) or from a results
        file read a row group at a time
        (:func:`tumorsim.io.results_file.read_summary_counts`).
    scenario : Scenario
        The scenario simulated (name, horizon, whether the cohort is M0).
    seed : int
        Master seed.
    wall_seconds : float, optional
        How long the run took; adds a ``wall time`` row (and patients per second).
    """
    n = counts.patients
    rows = [("patients", f"{n:,}")]
    if wall_seconds is not None:
        rows.append(("wall time", _rate_text(n, wall_seconds, "patients")))
    horizon = scenario.cohort.horizon_years
    for label, events in (
        ("any relapse", counts.rfs_events),
        ("distant relapse", counts.dmfs_events),
        ("death", counts.os_events),
    ):
        rows.append((f"{label} by {horizon:g} years",
                     f"{events / n:.1%} ({events:,} patients)" if n else "-"))
    rows.extend(_metastatic_at_diagnosis_rows(counts.metastatic_at_diagnosis, n, scenario))
    median = counts.median_first_event_days
    rows.append((
        "median first-event time",
        f"{median:.0f} days ({median / 365.25:.2f} years), "
        f"among {counts.first_events:,} with an event"
        if counts.first_events
        else "no events",
    ))
    rows.append(("first-event site",
                 ", ".join(f"{site} {count:,}" for site, count in counts.first_event_sites)
                 or "-"))
    return TextTable.summary(f"simulated: {scenario.name} (seed {seed})", rows)


_DIGIT_BITS: Final[int] = 12
"""Bits of a sort key settled per pass of :func:`_order_statistics` (4,096 bins; the
last pass of the 64 settles 4)."""

_SIGN_BIT: Final[int] = 1 << 63
_ALL_BITS: Final[int] = (1 << 64) - 1


def _order_statistics(passes: Callable[[], Iterable[np.ndarray]], ranks: Sequence[int],
                      *, count: int, max_held: int) -> list[float]:
    """The values at 0-based ``ranks`` of the sorted values, exactly, in bounded memory.

    Parameters
    ----------
    passes : callable
        ``passes()`` yields the values (float64, no NaN) in arrays, the same each call.
    ranks : sequence of int
        Each below ``count``.
    count : int
        How many values ``passes()`` yields.
    max_held : int
        Once at most this many values can hold a rank's value, they are kept and sorted;
        until then each pass settles 12 more bits of the rank's sort key (a radix
        selection: a 4,096-bin histogram of the values sharing the bits settled so far).
        At most seven passes; times in days over a horizon of years take three when
        ``max_held`` is a chunk of 20,000 and the cohort 100 million.

    Returns
    -------
    list of float
        One value per rank, in the order of ``ranks``.
    """
    searches = [_RankSearch(rank, count, max_held) for rank in ranks]
    while pending := [s for s in searches if s.key is None]:
        for search in pending:
            search.start_pass()
        for values in passes():
            keys = _sort_keys(values)
            for search in pending:
                search.add(keys)
        for search in pending:
            search.finish_pass()
    return [_value_of_key(s.key) for s in searches if s.key is not None]


def _sort_keys(values: np.ndarray) -> np.ndarray:
    """Unsigned 64-bit keys in the order of the float64 ``values`` (their IEEE 754 bits
    with the sign bit set for positives, every bit flipped for negatives)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    negative = bits >= np.uint64(_SIGN_BIT)
    return np.where(negative, ~bits, bits | np.uint64(_SIGN_BIT))


def _value_of_key(key: int) -> float:
    """The float64 whose :func:`_sort_keys` key is ``key``."""
    bits = key ^ _SIGN_BIT if key >= _SIGN_BIT else ~key & _ALL_BITS
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


class _RankSearch:
    """The key of one rank, found by :func:`_order_statistics` 12 bits per pass."""

    def __init__(self, rank: int, count: int, max_held: int) -> None:
        self.rank = int(rank)  # among the values whose key starts with ``prefix``
        self.max_held = max(int(max_held), 1)
        self.candidates = int(count)  # the values whose key starts with ``prefix``
        self.prefix = 0
        self.settled_bits = 0
        self.key: int | None = None
        self._histogram: np.ndarray | None = None
        self._held: list[np.ndarray] = []

    def _digit_bits(self) -> int:
        return min(_DIGIT_BITS, 64 - self.settled_bits)

    def start_pass(self) -> None:
        self._held = []
        self._histogram = None
        if self.candidates > self.max_held:
            self._histogram = np.zeros(1 << self._digit_bits(), dtype=np.int64)

    def add(self, keys: np.ndarray) -> None:
        if self.settled_bits:
            shift = 64 - self.settled_bits
            keys = keys[(keys >> np.uint64(shift)) == np.uint64(self.prefix >> shift)]
        if self._histogram is None:
            self._held.append(keys)
            return
        bits = self._digit_bits()
        digits = (keys >> np.uint64(64 - self.settled_bits - bits)) & np.uint64((1 << bits) - 1)
        self._histogram += np.bincount(digits.astype(np.intp), minlength=1 << bits)

    def finish_pass(self) -> None:
        if self._histogram is None:
            self.key = int(np.sort(np.concatenate(self._held))[self.rank])
            self._held = []
            return
        cumulative = np.cumsum(self._histogram)
        digit = int(np.searchsorted(cumulative, self.rank, side="right"))
        self.rank -= int(cumulative[digit - 1]) if digit else 0
        self.candidates = int(self._histogram[digit])
        self._histogram = None
        self.settled_bits += self._digit_bits()
        self.prefix |= digit << (64 - self.settled_bits)
        if self.settled_bits == 64:  # every bit settled: the candidates share one key
            self.key = self.prefix


def metastatic_at_diagnosis(patients: pd.DataFrame) -> np.ndarray:
    """Which patients had a distant metastasis at diagnosis (a relapse recorded on day 0).

    The engine records a distant metastasis already detectable at diagnosis as a relapse
    on day 0: the first event is at a metastatic site at ``first_event_days == 0``. This
    is the one definition the summaries and the report use.

    Parameters
    ----------
    patients : pandas.DataFrame
        One row per patient (or twin), with ``first_event_days`` and
        ``first_event_site``.

    Returns
    -------
    numpy.ndarray of bool
        One flag per row, true for a distant metastasis at diagnosis.
    """
    at_zero = patients["first_event_days"].to_numpy(float) == 0.0
    distant = patients["first_event_site"].isin(METASTATIC_SITES).to_numpy(bool)
    return np.asarray(at_zero & distant, dtype=bool)


def metastatic_at_diagnosis_reason(scenario: Scenario) -> str:
    """Why a run has women with a distant metastasis at diagnosis, in a few words.

    In a cohort conditioned on M0 (``cohort.metastasis_free_at_diagnosis``) these are
    women whose natural history could not be redrawn within the engine's limit; otherwise
    they are synchronous metastases.
    """
    if scenario.cohort.metastasis_free_at_diagnosis:
        return "not M0 after the engine's redraw limit"
    return "synchronous metastasis: the cohort is not conditioned on M0"


def _metastatic_at_diagnosis_count(patients: pd.DataFrame) -> int:
    """Patients whose first event is a distant site on day 0."""
    return int(metastatic_at_diagnosis(patients).sum())


def _metastatic_at_diagnosis_rows(count: int, total: int, scenario: Scenario,
                                  unit: str = "patients") -> list[tuple[str, str]]:
    """A summary row for the ``count`` of ``total`` women whose first event is a distant
    site on day 0, if any (:func:`metastatic_at_diagnosis`): the summary says so instead
    of letting them pass as early relapses.
    """
    if count == 0:
        return []
    why = metastatic_at_diagnosis_reason(scenario)
    return [("distant metastasis at diagnosis",
             f"{count / total:.1%} ({count:,} {unit}), counted as relapse "
             f"on day 0 ({why})")]


@dataclass(frozen=True)
class TwinResult:
    """What :func:`tumorsim.runner.twins.run_twin` returns.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per input patient, in input order: every input column (``patient_id``,
        covariates, recorded treatment and outcome, extra columns), then ``arm`` (her
        treatment plan), ``twins`` (K), ``twins_relapsed_fraction_1y`` / ``_3y`` /
        ``_5y`` / ``_10y`` (fraction of her twins with an RFS event by then, uncensored
        by follow-up; NaN beyond the horizon), ``median_simulated_rfs_days`` (the
        smallest time by which at least half of her twins relapsed; NaN when fewer than
        half relapse within the horizon), ``risk_score`` (predicted 5-year relapse
        probability) and, when the data has ``follow_up_days``,
        ``twins_relapsed_by_follow_up_fraction`` (fraction of twins relapsing by her own
        follow-up: its sum over patients is the expected count of observed events).
    twins : pandas.DataFrame
        The engine's table for the ``n * K`` twins (see
        :func:`tumorsim.runner.simulate.run_plans`) with ``source_row`` and
        ``twin_index`` after ``patient_id``. ``rfs_*``, ``dmfs_*`` and ``os_*`` are
        censored at the patient's ``follow_up_days`` (when the data has it); the
        simulation's own values stay in ``rfs_days_uncensored``,
        ``rfs_event_uncensored`` and likewise for dmfs and os. Event-time detail columns
        (``first_event_days``, ``distant_<site>_days``, ...) are not censored.
    scenario : Scenario
        The base scenario (biology, horizon) the twins ran under.
    plans : tuple of Scenario
        The treatment plans used (see :func:`tumorsim.cohort.twins.twin_plans`).
    seed : int
        Master seed.
    twins_per_patient : int
        K.
    """

    patients: pd.DataFrame
    twins: pd.DataFrame
    scenario: Scenario
    plans: tuple[Scenario, ...]
    seed: int
    twins_per_patient: int

    def summary(self, source: str, *, wall_seconds: float | None = None) -> TextTable:
        """Patients, twins, speed, plans, predicted and observed relapse.

        Parameters
        ----------
        source : str
            Where the real patients come from (a file name, "GBSG2").
        wall_seconds : float, optional
            How long the run took; adds a ``wall time`` row (and twins per second).
        """
        patients = self.patients
        n = len(patients)
        k = self.twins_per_patient
        rows = [("patients", f"{n:,} x {k} twins = {n * k:,} simulated")]
        if wall_seconds is not None:
            rows.append(("wall time", _rate_text(n * k, wall_seconds, "twins")))
        plans = patients["arm"].value_counts(sort=False)
        rows.append(("treatment", "; ".join(f"{a}: {c:,}" for a, c in plans.items())))
        for years in FRACTION_YEARS:
            mean = patients[f"twins_relapsed_fraction_{years}y"].mean()
            shown = f"{mean:.1%}" if n and mean == mean else "-"
            rows.append((f"simulated relapse by {years} y", f"{shown} (mean over patients)"))
        if {"first_event_days", "first_event_site"} <= set(self.twins.columns):
            rows.extend(_metastatic_at_diagnosis_rows(
                _metastatic_at_diagnosis_count(self.twins), len(self.twins), self.scenario,
                "twins"))
        return TextTable.summary(
            f"twins: {source} under {self.scenario.name} (seed {self.seed})", rows)
