"""What a run returns: tables with their own summaries.

:class:`SimulationResult` holds one row per patient, plus optional sampled trajectories.
Times are days from diagnosis. For each endpoint there is a ``<name>_days`` and a
``<name>_event`` column ready for lifelines (``rfs``: first local or distant relapse;
``dmfs``: first distant relapse; ``os``: death after relapse), censored at the horizon.
Per-site event times (``local_relapse_days``, ``distant_<site>_days``) are NaN where the
event did not happen. :class:`TwinResult` holds the stochastic twins of real patients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import Scenario
from tumorsim.text_table import TextTable

__all__ = ["FRACTION_YEARS", "SUMMARY_COLUMNS", "SimulationResult", "TwinResult",
           "metastatic_at_diagnosis", "metastatic_at_diagnosis_reason", "package_version"]

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
        those columns alone is enough).

        Parameters
        ----------
        wall_seconds : float, optional
            How long the run took; adds a ``wall time`` row (and patients per second).
        """
        patients = self.patients
        n = len(patients)
        rows = [("patients", f"{n:,}")]
        if wall_seconds is not None:
            rows.append(("wall time", _rate_text(n, wall_seconds, "patients")))
        horizon = self.scenario.cohort.horizon_years
        for label, column in (
            ("any relapse", "rfs_event"),
            ("distant relapse", "dmfs_event"),
            ("death", "os_event"),
        ):
            events = int(patients[column].sum())
            rows.append((f"{label} by {horizon:g} years",
                         f"{events / n:.1%} ({events:,} patients)" if n else "-"))
        rows.extend(_metastatic_at_diagnosis_rows(patients, self.scenario))
        first = patients["first_event_days"].dropna()
        rows.append((
            "median first-event time",
            f"{first.median():.0f} days ({first.median() / 365.25:.2f} years), "
            f"among {len(first):,} with an event"
            if len(first)
            else "no events",
        ))
        sites = patients["first_event_site"].value_counts(sort=False, dropna=True)
        rows.append(("first-event site",
                     ", ".join(f"{site} {count:,}" for site, count in sites.items()) or "-"))
        return TextTable.summary(f"simulated: {self.scenario.name} (seed {self.seed})", rows)


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

    Parameters
    ----------
    scenario : Scenario
        The scenario the patients were simulated under.

    Returns
    -------
    str
    """
    if scenario.cohort.metastasis_free_at_diagnosis:
        return "not M0 after the engine's redraw limit"
    return "synchronous metastasis: the cohort is not conditioned on M0"


def _metastatic_at_diagnosis_rows(patients: pd.DataFrame, scenario: Scenario,
                                  unit: str = "patients") -> list[tuple[str, str]]:
    """A summary row for women whose first event is a distant site on day 0, if any.

    See :func:`metastatic_at_diagnosis`: the summary says so instead of letting them pass
    as early relapses.
    """
    count = int(metastatic_at_diagnosis(patients).sum())
    if count == 0:
        return []
    why = metastatic_at_diagnosis_reason(scenario)
    return [("distant metastasis at diagnosis",
             f"{count / len(patients):.1%} ({count:,} {unit}), counted as relapse "
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
            rows.extend(_metastatic_at_diagnosis_rows(self.twins, self.scenario, "twins"))
        return TextTable.summary(
            f"twins: {source} under {self.scenario.name} (seed {self.seed})", rows)
