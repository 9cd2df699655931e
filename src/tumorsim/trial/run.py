"""Running a trial: every virtual patient under every arm, and the trial's summaries.

:func:`run_trial` simulates the trial's cohort once per arm with the same seed, so patient
``k`` has the same covariates and the same random streams in every arm (common random
numbers): differences between arms come from the arms, not from chance differences
between the patients. :class:`TrialResult` holds the combined patients table (one row per
patient and arm, column ``arm``) and the usual summaries per arm: Kaplan-Meier survival,
Cox hazard ratios against the reference arm, restricted mean survival time and the
cumulative incidence of relapse at a site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from scipy.stats import norm

from tumorsim.analysis.intervals import wilson_interval
from tumorsim.analysis.survival import (
    cox_hazard_ratios,
    kaplan_meier,
    restricted_mean_survival_time,
)
from tumorsim.cohort.population import Cohort
from tumorsim.errors import AnalysisError
from tumorsim.model.anatomy import SITES
from tumorsim.model.ensemble import Ensemble
from tumorsim.results import SimulationResult, package_version
from tumorsim.runner.simulate import run_plans, sample_cohort
from tumorsim.text_table import Column, TextTable
from tumorsim.trial.design import Trial
from tumorsim.trial.endpoints import endpoint_table, site_endpoint

__all__ = ["DEFAULT_TIMES_YEARS", "DAYS_PER_YEAR", "TrialResult", "run_trial"]

DAYS_PER_YEAR: Final[float] = 365.25
DEFAULT_TIMES_YEARS: Final[tuple[float, ...]] = (1.0, 3.0, 5.0, 10.0, 15.0, 20.0)
"""Times of :meth:`TrialResult.survival_table` by default (those within the horizon)."""

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(patient_runs_done, patient_runs_total)``; total = patients x arms."""

_HAZARD_RATIO_COLUMNS: Final[tuple[str, ...]] = (
    "endpoint", "arm", "reference_arm", "hr", "ci_lower", "ci_upper", "p", "events",
    "events_reference", "patients",
)


def run_trial(
    trial: Trial,
    cohort: Cohort | None = None,
    *,
    seed: int | None = None,
    patients: int | None = None,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    ensemble: Ensemble | None = None,
) -> TrialResult:
    """Simulate every patient of a cohort under every arm of a trial.

    Parameters
    ----------
    trial : Trial
        Arms, endpoints and the scenario giving biology and cohort settings.
    cohort : Cohort, optional
        Who is simulated; by default ``patients`` women sampled from
        ``trial.scenario.population`` with ``seed``.
    seed : int, optional
        Master seed; defaults to ``trial.scenario.cohort.seed``. The same seed gives the
        same numbers, whatever ``chunk_size`` and ``n_threads``.
    patients : int, optional
        Cohort size when no cohort is given; defaults to ``trial.scenario.cohort.patients``.
    chunk_size : int, default 20000
        Patients per kernel call (memory versus overhead; results do not depend on it).
    n_threads : int, optional
        Numba threads; default: numba's current setting.
    progress : callable, optional
        ``progress(done, total)`` after each chunk, counting patient-arm runs
        (``total = len(cohort) * len(trial.arms)``).
    ensemble : Ensemble, optional
        Parameter draws; a patient lives under the same draw in every arm.

    Returns
    -------
    TrialResult
        One row per patient and arm; arms in the trial's order.

    Notes
    -----
    Each arm is one call of :func:`tumorsim.runner.simulate.run_plans` with the same
    cohort and seed. A patient's random streams are keyed by her ``patient_id`` and the
    seed, so she meets the same random world in every arm; where arms do not differ in
    what she receives her outcomes are identical.
    """
    base = trial.scenario
    seed = base.cohort.seed if seed is None else int(seed)
    if cohort is None:
        cohort = sample_cohort(base, seed=seed, patients=patients)
    n = len(cohort)
    total = n * len(trial.arms)
    results = []
    for i, arm in enumerate(trial.arms):

        def arm_progress(done: int, _n: int, offset: int = i * n) -> None:
            if progress is not None:
                progress(offset + done, total)

        results.append(
            run_plans(
                [trial.arm_scenario(arm)],
                np.zeros(n, dtype=np.int64),
                cohort,
                seed=seed,
                chunk_size=chunk_size,
                n_threads=n_threads,
                progress=arm_progress,
                arm_names=[arm.name],
                ensemble=ensemble,
            )
        )
    return TrialResult(
        trial=trial,
        seed=seed,
        patients=_combine([r.patients for r in results], trial.arm_names),
        trajectories=_combine_optional([r.trajectories for r in results], trial.arm_names),
        site_environment=_combine_optional([r.site_environment for r in results], trial.arm_names),
    )


def _combine(frames: Sequence[pd.DataFrame], arms: Sequence[str]) -> pd.DataFrame:
    """Stack per-arm tables; ``arm`` becomes a categorical in the trial's arm order."""
    combined = pd.concat(frames, ignore_index=True)
    combined["arm"] = pd.Categorical(combined["arm"].astype(str), categories=list(arms))
    return combined


def _combine_optional(
    frames: Sequence[pd.DataFrame | None], arms: Sequence[str]
) -> pd.DataFrame | None:
    """Stack per-arm trajectory tables, adding the ``arm`` column after ``patient_id``."""
    if any(f is None for f in frames):
        return None
    labelled = []
    for frame, arm in zip(frames, arms, strict=True):
        assert frame is not None
        frame = frame.copy()
        frame.insert(1, "arm", arm)
        labelled.append(frame)
    return _combine(labelled, arms)


@dataclass(frozen=True)
class TrialResult:
    """What :func:`run_trial` returns: the combined tables and summaries per arm.

    Attributes
    ----------
    trial : Trial
        The trial simulated (with the cohort settings used).
    seed : int
        Master seed.
    patients : pandas.DataFrame
        One row per patient and arm: the columns of
        :attr:`tumorsim.SimulationResult.patients`, with ``arm`` a categorical in the
        trial's arm order. ``patient_id`` repeats once per arm.
    trajectories, site_environment : pandas.DataFrame or None
        Sampled trajectories (the same patients in every arm), with an ``arm`` column.
    version : str
        tumorsim version that produced the result.
    """

    trial: Trial
    seed: int
    patients: pd.DataFrame
    trajectories: pd.DataFrame | None = None
    site_environment: pd.DataFrame | None = None
    version: str = field(default_factory=package_version)

    # --- basics ------------------------------------------------------------------------------

    @property
    def arms(self) -> tuple[str, ...]:
        """Arm names in order; the first is the reference arm."""
        return self.trial.arm_names

    @property
    def horizon_days(self) -> float:
        """End of follow-up, days."""
        return self.trial.scenario.cohort.horizon_years * DAYS_PER_YEAR

    def endpoint_data(self, endpoint: str) -> pd.DataFrame:
        """One endpoint as ``patient_id, arm, duration_days, event`` (one row per patient-arm).

        Parameters
        ----------
        endpoint : str
            ``"rfs"``, ``"dmfs"``, ``"os"``, ``"local_relapse"`` or ``"distant_<site>"``.

        Returns
        -------
        pandas.DataFrame
        """
        return endpoint_table(self.patients, endpoint, self.horizon_days)

    def to_simulation_result(self) -> SimulationResult:
        """The combined tables as a :class:`SimulationResult` (scenario: the first arm's).

        This is what :func:`tumorsim.io.save_results` writes and
        :func:`tumorsim.io.load_results` reads back.
        """
        return SimulationResult(
            patients=self.patients,
            trajectories=self.trajectories,
            site_environment=self.site_environment,
            scenario=self.trial.arm_scenario(self.trial.arms[0]),
            seed=self.seed,
            version=self.version,
        )

    def _endpoints(self, endpoint: str | Sequence[str] | None) -> list[str]:
        if endpoint is None:
            return list(self.trial.endpoints)
        return [endpoint] if isinstance(endpoint, str) else list(endpoint)

    def _each_endpoint(
        self,
        endpoint: str | Sequence[str] | None,
        table: Callable[[str, pd.DataFrame], pd.DataFrame],
    ) -> pd.DataFrame:
        """``table(name, endpoint_data(name))`` of each endpoint, stacked in order."""
        return pd.concat([table(name, self.endpoint_data(name))
                          for name in self._endpoints(endpoint)], ignore_index=True)

    def _pairs(self, data: pd.DataFrame, reference: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """Each non-reference arm with its rows and the reference's, ``treated`` 0/1."""
        ref_rows = data[data["arm"] == reference]
        for arm in self.arms:
            if arm == reference:
                continue
            pair = pd.concat([ref_rows, data[data["arm"] == arm]], ignore_index=True)
            pair["treated"] = (pair["arm"] == arm).astype(np.int64)
            yield arm, pair

    def _reference(self, reference_arm: str | None) -> str:
        if reference_arm is None:
            return self.arms[0]
        if reference_arm not in self.arms:
            raise AnalysisError(
                f"no arm {reference_arm!r} in the trial", f"one of {', '.join(self.arms)}"
            )
        return reference_arm

    # --- summaries ---------------------------------------------------------------------------

    def survival_curves(self, endpoint: str) -> pd.DataFrame:
        """Kaplan-Meier curve per arm (for plotting).

        Returns
        -------
        pandas.DataFrame
            Columns ``arm``, ``time_days``, ``survival``, ``ci_lower``, ``ci_upper``,
            ``at_risk``; one row per distinct observed time per arm.
        """
        km = kaplan_meier(self.endpoint_data(endpoint), "duration_days", "event", by="arm")
        return km.rename(columns={"group": "arm", "time": "time_days"})

    def survival_table(
        self,
        endpoint: str | Sequence[str] | None = None,
        times_years: Sequence[float] | None = None,
        *,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Kaplan-Meier survival per arm at given times, with confidence intervals.

        Parameters
        ----------
        endpoint : str or sequence of str, optional
            Endpoint(s); default: the trial's endpoints.
        times_years : sequence of float, optional
            Years after diagnosis; default :data:`DEFAULT_TIMES_YEARS` within the horizon.
        alpha : float, default 0.05
            ``1 - alpha`` intervals (exponential Greenwood).

        Returns
        -------
        pandas.DataFrame
            Columns ``endpoint``, ``arm``, ``time_years``, ``survival`` (for a site
            endpoint: probability of no relapse at that site), ``ci_lower``, ``ci_upper``,
            ``at_risk``.
        """
        horizon_years = self.trial.scenario.cohort.horizon_years
        if times_years is None:
            times_years = [t for t in DEFAULT_TIMES_YEARS if t <= horizon_years]
        years = np.asarray(times_years, dtype=float)

        def survival(name: str, data: pd.DataFrame) -> pd.DataFrame:
            km = kaplan_meier(data, "duration_days", "event", by="arm",
                              times=years * DAYS_PER_YEAR, alpha=alpha)
            km.insert(0, "endpoint", name)
            km["time"] = km["time"] / DAYS_PER_YEAR
            return km.rename(columns={"group": "arm", "time": "time_years"})

        return self._each_endpoint(endpoint, survival)

    def hazard_ratios(
        self,
        endpoint: str | Sequence[str] | None = None,
        reference_arm: str | None = None,
        *,
        paired: bool = True,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Cox hazard ratio of each arm against the reference arm.

        Parameters
        ----------
        endpoint : str or sequence of str, optional
            Endpoint(s); default: the trial's endpoints.
        reference_arm : str, optional
            Default: the first arm.
        paired : bool, default True
            Use the cluster-robust (sandwich) variance with ``patient_id`` as cluster:
            every patient appears in both arms (common random numbers), and the robust
            interval accounts for that pairing; it is usually much narrower than the
            naive one. With ``False`` the rows are treated as independent patients, as in
            a real two-arm trial of twice the size (a conservative interval).
        alpha : float, default 0.05
            ``1 - alpha`` intervals.

        Returns
        -------
        pandas.DataFrame
            One row per endpoint and non-reference arm: ``endpoint``, ``arm``,
            ``reference_arm``, ``hr``, ``ci_lower``, ``ci_upper``, ``p``, ``events``,
            ``events_reference``, ``patients`` (per arm). HR < 1: fewer events than the
            reference. When neither arm has an event the HR is NaN.

        Notes
        -----
        One :class:`lifelines.CoxPHFitter` per comparison, on the rows of the two arms,
        with a 0/1 indicator of the arm (Efron ties).
        """
        reference = self._reference(reference_arm)

        def hazard_ratios(name: str, data: pd.DataFrame) -> pd.DataFrame:
            rows = []
            for arm, pair in self._pairs(data, reference):
                events = int(pair.loc[pair["treated"] == 1, "event"].sum())
                events_ref = int(pair.loc[pair["treated"] == 0, "event"].sum())
                hr = ci_lower = ci_upper = p = float("nan")
                if events + events_ref > 0:
                    fit = cox_hazard_ratios(
                        pair,
                        "duration_days",
                        "event",
                        ["treated"],
                        cluster="patient_id" if paired else None,
                        alpha=alpha,
                    ).iloc[0]
                    hr, ci_lower, ci_upper, p = (
                        float(fit["hr"]),
                        float(fit["ci_lower"]),
                        float(fit["ci_upper"]),
                        float(fit["p"]),
                    )
                rows.append(
                    {
                        "endpoint": name,
                        "arm": arm,
                        "reference_arm": reference,
                        "hr": hr,
                        "ci_lower": ci_lower,
                        "ci_upper": ci_upper,
                        "p": p,
                        "events": events,
                        "events_reference": events_ref,
                        "patients": int((pair["treated"] == 1).sum()),
                    }
                )
            return pd.DataFrame(rows, columns=_HAZARD_RATIO_COLUMNS)

        return self._each_endpoint(endpoint, hazard_ratios)

    def hazard_ratio_intervals(self, endpoint: str | Sequence[str] | None = None,
                               reference_arm: str | None = None, *, replicates: int = 100,
                               seed: int = 0) -> pd.DataFrame:
        """Each arm's hazard ratio with intervals that include parameter uncertainty.

        The Cox hazard ratio (no cluster variance) of each arm against the reference, with
        the total 95 % interval (bootstrap over parameter draws, then patients, each
        patient keeping both arms: she is paired) and the Monte Carlo interval (patients
        only), and the parameter share of the variance
        (:func:`tumorsim.analysis.ensemble.ensemble_interval`). For a point run the two
        intervals are the same and the share is 0.

        Returns
        -------
        pandas.DataFrame
            ``endpoint``, ``arm``, ``reference_arm``, ``hr``, ``total_low``, ``total_high``,
            ``mc_low``, ``mc_high``, ``parameter_share``, ``draws``.
        """
        from tumorsim.analysis.ensemble import ensemble_interval

        reference = self._reference(reference_arm)
        draw = (self.patients.groupby("patient_id", observed=True)["draw"].first()
                if "draw" in self.patients else None)

        def statistic(pair: pd.DataFrame) -> float:
            if not pair["event"].any():
                return float("nan")
            fit = cox_hazard_ratios(pair, "duration_days", "event", ["treated"])
            return float(fit["hr"].iloc[0])

        def intervals(name: str, data: pd.DataFrame) -> pd.DataFrame:
            rows = []
            for arm, pair in self._pairs(data, reference):
                if draw is not None:
                    pair["draw"] = pair["patient_id"].map(draw).to_numpy()
                ci = ensemble_interval(pair[["patient_id", "duration_days", "event", "treated",
                                             *(["draw"] if draw is not None else [])]],
                                       statistic, replicates=replicates, seed=seed)
                rows.append({"endpoint": name, "arm": arm, "reference_arm": reference,
                             "hr": ci.estimate, "total_low": ci.total_low,
                             "total_high": ci.total_high, "mc_low": ci.mc_low,
                             "mc_high": ci.mc_high, "parameter_share": ci.parameter_share,
                             "draws": ci.draws})
            return pd.DataFrame(rows)

        return self._each_endpoint(endpoint, intervals)

    def rmst(
        self,
        endpoint: str | Sequence[str] | None = None,
        tau_years: float | None = None,
        *,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Restricted mean survival time per arm, up to ``tau_years``.

        Parameters
        ----------
        endpoint : str or sequence of str, optional
            Endpoint(s); default: the trial's endpoints.
        tau_years : float, optional
            Restriction time in years; default the horizon.
        alpha : float, default 0.05
            ``1 - alpha`` intervals (analytic standard error, see
            :func:`tumorsim.analysis.survival.restricted_mean_survival_time`).

        Returns
        -------
        pandas.DataFrame
            Columns ``endpoint``, ``arm``, ``tau_years``, ``rmst_years``, ``se_years``,
            ``ci_lower_years``, ``ci_upper_years``, ``patients``, ``events``.
        """
        tau = self.trial.scenario.cohort.horizon_years if tau_years is None else tau_years

        def rmst(name: str, data: pd.DataFrame) -> pd.DataFrame:
            table = restricted_mean_survival_time(data, "duration_days", "event",
                                                  tau=float(tau) * DAYS_PER_YEAR, by="arm",
                                                  alpha=alpha)
            return pd.DataFrame(
                {
                    "endpoint": name,
                    "arm": table["group"],
                    "tau_years": float(tau),
                    "rmst_years": table["rmst"] / DAYS_PER_YEAR,
                    "se_years": table["se"] / DAYS_PER_YEAR,
                    "ci_lower_years": table["ci_lower"] / DAYS_PER_YEAR,
                    "ci_upper_years": table["ci_upper"] / DAYS_PER_YEAR,
                    "patients": table["patients"],
                    "events": table["events"],
                }
            )

        return self._each_endpoint(endpoint, rmst)

    def site_relapse(
        self,
        site: str | Sequence[str] | None = None,
        times_years: Sequence[float] | None = None,
        *,
        alpha: float = 0.05,
    ) -> pd.DataFrame:
        """Cumulative incidence of relapse at a site per arm: the proportion relapsed by a time.

        Parameters
        ----------
        site : str or sequence of str, optional
            ``"breast"`` (local relapse), ``"bone"``, ``"lung"``, ``"liver"``,
            ``"brain"``; default: every site.
        times_years : sequence of float, optional
            Years after diagnosis; default: the horizon.
        alpha : float, default 0.05
            ``1 - alpha`` Wilson score intervals.

        Returns
        -------
        pandas.DataFrame
            Columns ``site``, ``arm``, ``time_years``, ``patients``, ``events`` (patients
            with a relapse at the site by then), ``proportion``, ``ci_lower``,
            ``ci_upper``.

        Notes
        -----
        Simulated patients are followed to the horizon unless they die, and death
        (which only follows a distant relapse) is a competing event. Without other
        censoring the proportion relapsed at the site by ``t`` is exactly the
        Aalen-Johansen cumulative incidence; unlike ``1 - KM`` it does not pretend
        that dead patients could still relapse.
        """
        sites = list(SITES) if site is None else ([site] if isinstance(site, str) else site)
        horizon_years = self.trial.scenario.cohort.horizon_years
        years = [horizon_years] if times_years is None else [float(t) for t in times_years]
        z = float(norm.ppf(1.0 - alpha / 2.0))
        rows = []
        for s in sites:
            name = site_endpoint(s)
            data = self.endpoint_data(name)
            label = "breast" if name == "local_relapse" else name.removeprefix("distant_")
            for arm in self.arms:
                arm_rows = data[data["arm"] == arm]
                n = len(arm_rows)
                for t in years:
                    k = int(
                        (arm_rows["event"] & (arm_rows["duration_days"] <= t * DAYS_PER_YEAR)).sum()
                    )
                    p, lo, hi = _clipped_wilson(k, n, z)
                    rows.append(
                        {
                            "site": label,
                            "arm": arm,
                            "time_years": t,
                            "patients": n,
                            "events": k,
                            "proportion": p,
                            "ci_lower": lo,
                            "ci_upper": hi,
                        }
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "site",
                "arm",
                "time_years",
                "patients",
                "events",
                "proportion",
                "ci_lower",
                "ci_upper",
            ],
        )

    def summary_tables(self) -> dict[str, pd.DataFrame]:
        """The trial's summaries with default settings, by name (as written by the CLI).

        Returns
        -------
        dict of str to pandas.DataFrame
            ``hazard_ratios`` (:meth:`hazard_ratios`), ``survival``
            (:meth:`survival_table`), ``rmst`` (:meth:`rmst`) and ``site_relapse``
            (:meth:`site_relapse`), for the trial's endpoints and every site.
        """
        return {
            "hazard_ratios": self.hazard_ratios(),  # no rows for a one-arm trial
            "survival": self.survival_table(),
            "rmst": self.rmst(),
            "site_relapse": self.site_relapse(),
        }

    def summary(self, hazard_ratios: pd.DataFrame | None = None) -> TextTable:
        """Hazard ratio with 95 % CI of each arm against the reference, per endpoint.

        Parameters
        ----------
        hazard_ratios : pandas.DataFrame, optional
            :meth:`hazard_ratios` if already computed (it fits a Cox model per row).

        Returns
        -------
        TextTable
            One section per endpoint; no rows for a one-arm trial.
        """
        table = self.hazard_ratios() if hazard_ratios is None else hazard_ratios
        arms = self.arms
        n = len(self.patients) // max(len(arms), 1)
        rows = []
        section_starts = set()
        endpoint = None
        for row in table.itertuples(index=False):
            if endpoint is not None and row.endpoint != endpoint:
                section_starts.add(len(rows))
            endpoint = row.endpoint
            has_hr = row.hr == row.hr  # NaN when neither arm has an event
            rows.append((
                str(row.endpoint),
                str(row.arm),
                f"{row.hr:.3f}" if has_hr else "-",
                f"{row.ci_lower:.3f}-{row.ci_upper:.3f}" if has_hr else "-",
                f"{row.p:.3g}" if row.p == row.p else "-",
                f"{row.events:,} / {row.events_reference:,}",
            ))
        return TextTable(
            f"trial: {self.trial.name} (seed {self.seed}, {n:,} patients x {len(arms)} arms, "
            f"reference: {arms[0]})",
            (Column("endpoint", no_wrap=True, key=True), Column("arm", no_wrap=True),
             Column("HR", "right", no_wrap=True), Column("95 % CI", "right", no_wrap=True),
             Column("p", "right", no_wrap=True),
             Column("events (arm / reference)", "right", no_wrap=True)),
            tuple(rows), frozenset(section_starts),
            caption="Cox HR vs the reference arm; 95 % CI robust to the pairing of each "
            "patient across arms")


def _clipped_wilson(k: int, n: int, z: float) -> tuple[float, float, float]:
    """Proportion ``k/n`` and its Wilson score interval within [0, 1] (exact 0 or 1 at
    ``k = 0`` or ``k = n``); NaN without patients."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p, lower, upper = wilson_interval(k, n, z)
    return p, 0.0 if k == 0 else max(0.0, lower), 1.0 if k == n else min(1.0, upper)
