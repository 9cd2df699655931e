"""Running stochastic twins of real patients (``tumorsim twin``, the GBSG2 twin).

:func:`run_twin` gives each real woman K twins (:func:`tumorsim.cohort.twins.make_twins`),
treats each as her data records (:func:`tumorsim.cohort.twins.twin_plans`), runs them
(:func:`tumorsim.runner.simulate.run_plans`) and summarises each woman's twins (module
docstring of :mod:`tumorsim.cohort.twins`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.cohort.population import Cohort
from tumorsim.cohort.twins import GBSG2_HORMONE_DURATION_DAYS, make_twins, twin_plans
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import RegimenName, Scenario
from tumorsim.results import FRACTION_YEARS, TwinResult
from tumorsim.runner.simulate import run_plans

__all__ = ["run_twin"]

_DAYS_PER_YEAR: Final[float] = 365.25
_RISK_YEARS: Final[int] = 5
_ENDPOINTS: Final[tuple[str, ...]] = ("rfs", "dmfs", "os")


def run_twin(
    base_scenario: Scenario,
    cohort: Cohort,
    *,
    twins: int,
    seed: int | None = None,
    hormone_duration_days: float = GBSG2_HORMONE_DURATION_DAYS,
    chemotherapy_regimen: RegimenName | None = "CMF",
    metastasis_free_at_diagnosis: bool = True,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    ensemble: Ensemble | None = None,
) -> TwinResult:
    """Simulate K twins of every patient under her recorded treatment.

    Parameters
    ----------
    base_scenario : Scenario
        Biology and horizon (``cohort.horizon_years``; at least 10 years for every
        fraction to be defined). Its population and cohort size are not used.
    cohort : Cohort
        Real patients, e.g. :func:`tumorsim.cohort.data.load_gbsg2` or
        :func:`tumorsim.cohort.data.cohort_from_dataframe`.
    twins : int
        Twins per patient (K), >= 1.
    seed : int, optional
        Master seed; default ``base_scenario.cohort.seed``.
    hormone_duration_days, chemotherapy_regimen
        See :func:`tumorsim.cohort.twins.twin_plans`.
    metastasis_free_at_diagnosis : bool, default True
        Condition every twin on no detectable distant metastasis at diagnosis, as the
        real patients of an adjuvant cohort had none (see
        ``CohortSpec.metastasis_free_at_diagnosis``); this overrides the base scenario.
    chunk_size, n_threads, progress
        See :func:`tumorsim.runner.simulate.run_plans` (``progress`` counts twins).
    ensemble : Ensemble, optional
        Parameter draws: each twin lives under one, chosen on her own stream (the twins
        table gains a ``draw`` column). Default: the base scenario's one biology.

    Returns
    -------
    TwinResult
        The per-patient table and the twins' event table.
    """
    seed = base_scenario.cohort.seed if seed is None else int(seed)
    base_scenario = base_scenario.with_changes(
        cohort={"metastasis_free_at_diagnosis": metastasis_free_at_diagnosis})
    twin_cohort = make_twins(cohort, twins)
    plans, plan_of_twin = twin_plans(base_scenario, twin_cohort, hormone_duration_days,
                                     chemotherapy_regimen)
    result = run_plans(plans, plan_of_twin, twin_cohort, seed=seed, chunk_size=chunk_size,
                       n_threads=n_threads, progress=progress, ensemble=ensemble)
    table = result.patients
    twin_cov = twin_cohort.covariates
    table.insert(1, "twin_index", twin_cov["twin_index"].to_numpy())
    table.insert(1, "source_row", twin_cov["source_row"].to_numpy())
    follow_up = (twin_cov["follow_up_days"].to_numpy(float)
                 if "follow_up_days" in twin_cov else None)
    if follow_up is not None:
        table["follow_up_days"] = follow_up
    for endpoint in _ENDPOINTS:
        days = table[f"{endpoint}_days"].to_numpy(float)
        event = table[f"{endpoint}_event"].to_numpy(bool)
        table[f"{endpoint}_days_uncensored"] = days
        table[f"{endpoint}_event_uncensored"] = event
        if follow_up is not None:
            table[f"{endpoint}_event"] = event & (days <= follow_up)
            table[f"{endpoint}_days"] = np.minimum(days, follow_up)

    horizon_days = base_scenario.cohort.horizon_years * _DAYS_PER_YEAR
    patients = _patient_table(cohort, table, twins, horizon_days, follow_up)
    return TwinResult(patients=patients, twins=table, scenario=base_scenario,
                      plans=tuple(plans), seed=seed, twins_per_patient=int(twins))


def _patient_table(
    cohort: Cohort,
    twins_table: pd.DataFrame,
    k: int,
    horizon_days: float,
    follow_up: np.ndarray | None,
) -> pd.DataFrame:
    """One row per input patient from her twins' uncensored RFS times."""
    n = len(cohort)
    # Twins come row by row (make_twins), so a reshape groups each patient's twins.
    days = twins_table["rfs_days_uncensored"].to_numpy(float).reshape(n, k)
    event = twins_table["rfs_event_uncensored"].to_numpy(bool).reshape(n, k)
    event_days = np.where(event, days, np.inf)
    out = cohort.covariates.copy()
    out["arm"] = twins_table["arm"].to_numpy()[::k] if n else np.array([], dtype=object)
    out["twins"] = k
    for years in FRACTION_YEARS:
        t = years * _DAYS_PER_YEAR
        fraction = (event_days <= t).mean(axis=1) if k else np.full(n, np.nan)
        out[f"twins_relapsed_fraction_{years}y"] = np.where(t <= horizon_days + 1e-9,
                                                            fraction, np.nan)
    median_rank = (k + 1) // 2 - 1  # the first time at least half have relapsed
    median = np.sort(event_days, axis=1)[:, median_rank] if n else np.zeros(0)
    out["median_simulated_rfs_days"] = np.where(np.isfinite(median), median, np.nan)
    out["risk_score"] = out[f"twins_relapsed_fraction_{_RISK_YEARS}y"]
    if follow_up is not None:
        own = follow_up.reshape(n, k)
        out["twins_relapsed_by_follow_up_fraction"] = (event_days <= own).mean(axis=1)
    return out
