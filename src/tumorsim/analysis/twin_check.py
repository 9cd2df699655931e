"""Twins against their patients, like with like: Kaplan-Meier at the same times.

A twin run's patients were followed until their relapse or censoring; their twins are
simulated to the horizon. Counting the twins' relapses before each woman's own follow-up
compares unlike things (a woman who relapsed is "followed" only until her relapse, so her
twins have less time to relapse). Both sides' Kaplan-Meier curves at fixed times compare
like with like: the observed one handles censoring, the twins' one is uncensored up to
the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tumorsim.analysis.ensemble import mean_over_draws
from tumorsim.analysis.intervals import Z95
from tumorsim.analysis.survival import kaplan_meier
from tumorsim.results import TwinResult

__all__ = ["observed_vs_twins"]

DAYS_PER_YEAR = 365.25


def observed_vs_twins(result: TwinResult, *, endpoint: str = "rfs",
                      years: Sequence[float] = (1.0, 3.0, 5.0)) -> pd.DataFrame:
    """Observed and twin survival (Kaplan-Meier) at ``years``.

    Parameters
    ----------
    result : TwinResult
        Its patients need ``follow_up_days`` and ``relapse_event`` (the data's event).
    endpoint : {"rfs", "dmfs"}
        The twins' endpoint matching the data's event.
    years : sequence of float

    Returns
    -------
    pandas.DataFrame
        ``years``, ``observed``, ``observed_ci_lower``, ``observed_ci_upper``, ``twins``,
        ``twins_ci_lower``, ``twins_ci_upper`` (95 %, over parameter draws and Monte Carlo
        noise), ``twins_parameter_share``, ``observed_at_risk``; empty when the data has
        no follow-up. NaN beyond the last observed follow-up or the horizon.
    """
    patients = result.patients
    if "follow_up_days" not in patients or "relapse_event" not in patients:
        return pd.DataFrame(columns=["years", "observed", "observed_ci_lower",
                                     "observed_ci_upper", "twins", "twins_ci_lower",
                                     "twins_ci_upper", "twins_parameter_share",
                                     "observed_at_risk"])
    times = [y * DAYS_PER_YEAR for y in years]
    observed = kaplan_meier(pd.DataFrame({
        "T": patients["follow_up_days"].to_numpy(float),
        "E": patients["relapse_event"].to_numpy(bool)}), "T", "E", times=times)
    twins = result.twins
    simulated = kaplan_meier(pd.DataFrame({
        "T": twins[f"{endpoint}_days_uncensored"].to_numpy(float),
        "E": twins[f"{endpoint}_event_uncensored"].to_numpy(bool)}), "T", "E", times=times)
    horizon = result.scenario.cohort.horizon_years
    spread = [_twin_survival_sd(twins, endpoint, t) for t in times]
    twin_values = np.where(np.asarray(years) <= horizon, simulated["survival"].to_numpy(float),
                           np.nan)
    sd = np.array([s for s, _ in spread])
    return pd.DataFrame({
        "years": list(years),
        "observed": observed["survival"].to_numpy(float),
        "observed_ci_lower": observed["ci_lower"].to_numpy(float),
        "observed_ci_upper": observed["ci_upper"].to_numpy(float),
        "twins": twin_values,
        "twins_ci_lower": np.clip(twin_values - Z95 * sd, 0.0, 1.0),
        "twins_ci_upper": np.clip(twin_values + Z95 * sd, 0.0, 1.0),
        "twins_parameter_share": [share for _, share in spread],
        "observed_at_risk": observed["at_risk"].to_numpy(np.int64),
    })


def _twin_survival_sd(twins: pd.DataFrame, endpoint: str, day: float) -> tuple[float, float]:
    """Total standard deviation of the twins' event-free share at ``day`` over parameter
    draws and Monte Carlo noise, and the parameter share of its variance.

    The twins are followed to the horizon (uncensored columns), so their survival at
    ``day`` is a share; per draw its Monte Carlo error is binomial (with one success and
    one failure added, so that a draw of few twins with no event is not certain), and the
    draws are combined by :func:`tumorsim.analysis.ensemble.mean_over_draws`.
    """
    free = ~(twins[f"{endpoint}_event_uncensored"].to_numpy(bool)
             & (twins[f"{endpoint}_days_uncensored"].to_numpy(float) <= day))
    draws = twins["draw"].to_numpy() if "draw" in twins else None
    parts = mean_over_draws(free, draws, binary=True)
    return parts.total_sd, parts.parameter_share
