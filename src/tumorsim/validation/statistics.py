"""Simulated statistics with 95 % confidence intervals, for claims.

Each function turns simulated outcomes into an :class:`~tumorsim.validation.claim.Estimate`
whose interval reflects the Monte Carlo uncertainty of a finite virtual cohort. Arms of a
claim are simulated on the same patients with the same seed (common random numbers), so
comparisons between arms are *paired*: differences use per-patient differences, and the
bootstrap resamples patients, keeping each patient's outcomes in every arm together.

A statistic without Monte Carlo variation (every simulated woman gives the same number,
as in expected-value runs or for a large deterministic tumour) has no confidence
interval: :func:`bootstrap` and :func:`mean_difference` then return an exact,
parameter-conditional :class:`~tumorsim.validation.claim.Estimate` instead of a
zero-width "interval".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.analysis.intervals import wilson_interval
from tumorsim.analysis.survival import cox_hazard_ratios, kaplan_meier
from tumorsim.validation.claim import Z95, Estimate

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "EXACT_RELATIVE_SPREAD",
    "as_exact",
    "bootstrap",
    "cox_hazard_ratio",
    "mean_difference",
    "proportion",
    "rate_ratio",
    "rfs_free_distant_incidence",
]

BOOTSTRAP_RESAMPLES: Final[int] = 2000
DAYS_PER_YEAR: Final[float] = 365.25
EXACT_RELATIVE_SPREAD: Final[float] = 1e-6
"""A resampling spread below this (relative to the value, or absolute below 1) means no
Monte Carlo variation: it is the default relative tolerance of the expected-value (ODE)
mode, so what is left is integration error, not sampling."""

_EXACT_NOTE: Final[str] = "exact given the parameters (no Monte Carlo variation)"


def _exact_note(note: str) -> str:
    return f"{note}; {_EXACT_NOTE}" if note else _EXACT_NOTE


def as_exact(estimate: Estimate, why: str) -> Estimate:
    """``estimate``'s value as an exact, parameter-conditional value (no interval).

    For statistics of expected values (deterministic mode), where a resampling interval
    would describe integration error or the mix of women, not Monte Carlo uncertainty.
    """
    if estimate.exact:
        return estimate
    note = f"{estimate.note}; {why}" if estimate.note else why
    return Estimate.exact_value(estimate.value, note)


def mean_difference(a: np.ndarray, b: np.ndarray, note: str = "") -> Estimate:
    """Mean of the per-patient differences ``a - b`` (paired), with a normal interval."""
    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[~np.isnan(d)]
    if d.size < 2:
        return Estimate(math.nan, math.nan, math.nan, note or "fewer than 2 patients")
    if np.ptp(d) <= EXACT_RELATIVE_SPREAD * max(1.0, abs(float(d.mean()))):
        return Estimate.exact_value(float(d.mean()), _exact_note(note))
    return Estimate.from_se(float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)), note)


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    n_patients: int,
    *,
    seed: int,
    note: str = "",
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Estimate:
    """Percentile bootstrap over patients.

    Parameters
    ----------
    statistic : callable
        ``statistic(rows)`` where ``rows`` are patient indices (with repeats); returns the
        statistic on those patients. Called once with ``arange(n_patients)`` for the point
        estimate and ``resamples`` times with resampled indices.
    n_patients : int
    seed : int
        Seeds the resampling (``numpy.random.default_rng(seed)``).
    note : str
    resamples : int

    Returns
    -------
    Estimate
        The point estimate and the 2.5 and 97.5 percentiles of the resampled statistics
        (resamples giving ``nan`` are dropped); an exact estimate when the resampled
        statistics do not vary.
    """
    value = float(statistic(np.arange(n_patients)))
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(rng.integers(0, n_patients, n_patients))
                      for _ in range(resamples)], dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size < resamples // 2 or not math.isfinite(value):
        return Estimate(value, math.nan, math.nan, note)
    low, high = np.percentile(draws, [2.5, 97.5])
    if np.ptp(draws) <= EXACT_RELATIVE_SPREAD * max(1.0, abs(value)):
        return Estimate.exact_value(value, _exact_note(note))
    return Estimate(value, float(low), float(high), note)


def proportion(k: int, n: int, note: str = "") -> Estimate:
    """Proportion ``k / n`` with a Wilson score interval."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, note or "no patients")
    p, lower, upper = wilson_interval(k, n, Z95)
    return Estimate(p, lower, upper, note)


def rate_ratio(events: Sequence[float], person_years: Sequence[float], note: str = ""
               ) -> Estimate:
    """Event-rate ratio of arm 1 to arm 0 (``events[i] / person_years[i]``).

    The log ratio's standard error is ``sqrt(1/d1 + 1/d0)`` (Poisson counts). Arms
    simulated on the same patients are positively correlated, so this interval is
    conservative (too wide), never too narrow.
    """
    d0, d1 = float(events[0]), float(events[1])
    if min(d0, d1) <= 0:
        return Estimate(math.nan, math.nan, math.nan, note or "no events in an arm")
    log_rr = math.log((d1 / person_years[1]) / (d0 / person_years[0]))
    return Estimate.from_log_se(log_rr, math.sqrt(1 / d0 + 1 / d1), note)


def cox_hazard_ratio(df: pd.DataFrame, duration: str, event: str, term: str, *,
                     formula: str | None = None, note: str = "") -> Estimate:
    """Hazard ratio of one ``term`` of a Cox model (lifelines), with its 95 % interval.

    ``formula`` is a lifelines right-hand side (default: just ``term``), e.g.
    ``"tamoxifen * arsenic"`` for the interaction term ``tamoxifen:arsenic``. Rows of
    the same virtual patient in several arms are paired: the variance is the
    cluster-robust (sandwich) one, clustered on ``patient_id``.
    """
    table = cox_hazard_ratios(df, duration, event, formula=formula or term,
                              cluster="patient_id")
    row = table[table["term"] == term].iloc[0]
    return Estimate(float(row["hr"]), float(row["ci_lower"]), float(row["ci_upper"]), note)


def rfs_free_distant_incidence(patients: pd.DataFrame, start_years: float,
                               end_years: float, note: str = "") -> Estimate:
    """Cumulative distant recurrence from ``start_years`` to ``end_years`` (Pan 2017 style).

    Among women free of any recurrence at ``start_years``, one minus the Kaplan-Meier
    distant-metastasis-free survival at ``end_years``, counted from ``start_years``;
    the interval is lifelines' (log-log transform).
    """
    start, end = start_years * DAYS_PER_YEAR, end_years * DAYS_PER_YEAR
    at_risk = patients[patients["rfs_days"] > start]
    if at_risk.empty:
        return Estimate(math.nan, math.nan, math.nan, note or "nobody recurrence-free")
    df = pd.DataFrame({"T": at_risk["dmfs_days"].to_numpy(float) - start,
                       "E": at_risk["dmfs_event"].to_numpy(bool)})
    km = kaplan_meier(df, "T", "E", times=[end - start]).iloc[0]
    text = f"{len(at_risk)} recurrence-free at {start_years:g} y"
    return Estimate(1.0 - float(km["survival"]), 1.0 - float(km["ci_upper"]),
                    1.0 - float(km["ci_lower"]), f"{text}; {note}" if note else text)
