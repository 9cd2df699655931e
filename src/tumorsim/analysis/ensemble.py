"""Intervals that include what we do not know: parameter uncertainty and Monte Carlo noise.

An ensemble run (:class:`tumorsim.model.ensemble.Ensemble`) gives each patient one
parameter draw (the ``draw`` column of the patients table). For any statistic of the table
(a hazard ratio, an RFS fraction, an effect), :func:`ensemble_interval` reports

* the **total** 95 % interval, from a two-stage bootstrap: resample the draws (parameter
  uncertainty), then the patients within each chosen draw (Monte Carlo noise);
* the **Monte Carlo** 95 % interval, from resampling patients within their own draws only;
* the **parameter share** of the uncertainty, ``1 - var_MC / var_total`` (clipped to
  [0, 1]).

The two stages use separate random streams, so a point run (one draw) gives exactly the
same total and Monte Carlo intervals, and a parameter share of 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tumorsim.analysis.intervals import Z95

__all__ = ["DrawDecomposition", "EnsembleInterval", "decompose_over_draws",
           "ensemble_interval", "mean_over_draws", "share_over_draws", "survival_fan"]

Statistic = Callable[[pd.DataFrame], float]


@dataclass(frozen=True)
class EnsembleInterval:
    """A statistic with its intervals.

    Attributes
    ----------
    estimate : float
        The statistic on the whole table.
    total_low, total_high : float
        95 % interval including parameter uncertainty and Monte Carlo noise.
    mc_low, mc_high : float
        95 % interval of Monte Carlo noise alone (draws held fixed).
    parameter_share : float
        Share of the total variance due to the parameters, in [0, 1].
    draws : int
        Parameter draws in the table (1 for a point run).
    method : str
        How the intervals were obtained, in words.
    """

    estimate: float
    total_low: float
    total_high: float
    mc_low: float
    mc_high: float
    parameter_share: float
    draws: int
    method: str

    def text(self, digits: int = 3) -> str:
        """``"0.72 [0.61, 0.85] (Monte Carlo only [0.68, 0.76]; parameters 71 %)"``."""
        f = f".{digits}g"
        return (f"{self.estimate:{f}} [{self.total_low:{f}}, {self.total_high:{f}}] "
                f"(Monte Carlo only [{self.mc_low:{f}}, {self.mc_high:{f}}]; parameters "
                f"{100 * self.parameter_share:.0f} %)")


def ensemble_interval(table: pd.DataFrame, statistic: Statistic, *, replicates: int = 200,
                      seed: int = 0, group: str = "patient_id") -> EnsembleInterval:
    """The statistic with its total and Monte Carlo intervals (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of patients (a trial has one row per patient and arm: all rows of one
        ``group`` value are resampled together, keeping paired arms paired). A ``draw``
        column gives each patient's parameter draw; without it the table is one draw.
    statistic : callable
        ``statistic(table) -> float``; NaN replicates are dropped.
    replicates : int, default 200
        Bootstrap replicates per interval.
    seed : int, default 0
    group : str, default "patient_id"
        The resampling unit.
    """
    draws = table["draw"].to_numpy() if "draw" in table else np.zeros(len(table), np.int64)
    units = table[group].to_numpy()
    # each draw's resampling units, and each unit's rows
    unit_rows = pd.Series(np.arange(len(table))).groupby(units).apply(np.asarray).to_dict()
    unit_draw = pd.Series(draws).groupby(units).first().to_dict()
    members: dict[int, list[object]] = {}
    for unit, d in unit_draw.items():
        members.setdefault(int(d), []).append(unit)
    draw_ids = sorted(members)
    by_draw = {d: np.asarray(members[d]) for d in draw_ids}

    def rows_of(chosen_draws: np.ndarray, rng_units: np.random.Generator) -> np.ndarray:
        picked = []
        for d in chosen_draws:
            units_of_draw = by_draw[int(d)]
            for unit in units_of_draw[rng_units.integers(0, len(units_of_draw),
                                                         len(units_of_draw))]:
                picked.append(unit_rows[unit])
        return np.concatenate(picked)

    def bootstrap(resample_draws: bool) -> np.ndarray:
        rng_draws = np.random.default_rng([seed, 1])
        rng_units = np.random.default_rng([seed, 2])
        values = []
        for _ in range(replicates):
            chosen = (np.asarray(draw_ids)[rng_draws.integers(0, len(draw_ids),
                                                              len(draw_ids))]
                      if resample_draws and len(draw_ids) > 1 else np.asarray(draw_ids))
            values.append(statistic(table.iloc[rows_of(chosen, rng_units)]))
        v = np.asarray(values, dtype=float)
        return v[np.isfinite(v)]

    total = bootstrap(True)
    mc = bootstrap(False)
    var_total = float(np.var(total)) if total.size > 1 else 0.0
    var_mc = float(np.var(mc)) if mc.size > 1 else 0.0
    share = 0.0 if var_total <= 0.0 else min(max(1.0 - var_mc / var_total, 0.0), 1.0)

    def percentile(values: np.ndarray, q: float) -> float:
        # no finite replicate (e.g. too few patients for any event): no interval
        return float(np.percentile(values, q)) if values.size else math.nan

    return EnsembleInterval(
        estimate=float(statistic(table)),
        total_low=percentile(total, 2.5), total_high=percentile(total, 97.5),
        mc_low=percentile(mc, 2.5), mc_high=percentile(mc, 97.5),
        parameter_share=share, draws=len(draw_ids),
        method=(f"two-stage bootstrap ({replicates} replicates): draws, then patients within "
                "draws (total); patients within their draws (Monte Carlo)"),
    )


@dataclass(frozen=True)
class DrawDecomposition:
    """Per-draw estimates combined: the mean over draws and what its spread is made of.

    Attributes
    ----------
    mean : float
        Mean of the per-draw estimates (draws are equally likely).
    parameter_var : float
        Between-draw variance beyond Monte Carlo noise, ``max(B - W, 0)``.
    mc_var : float
        Monte Carlo variance of the mean, ``W / D``.
    parameter_share : float
        ``parameter_var / (parameter_var + mc_var)`` (0 when both are 0).
    shrunk : ndarray
        Each draw's estimate shrunk towards the mean by ``V / (V + s_k^2)``.
    draws : int
    """

    mean: float
    parameter_var: float
    mc_var: float
    parameter_share: float
    shrunk: np.ndarray
    draws: int

    @property
    def total_sd(self) -> float:
        """Standard deviation of the statistic over parameters and Monte Carlo noise."""
        return float(np.sqrt(self.parameter_var + self.mc_var))

    @property
    def mc_sd(self) -> float:
        """Monte Carlo standard error of the mean."""
        return float(np.sqrt(self.mc_var))


def decompose_over_draws(estimates: np.ndarray, standard_errors: np.ndarray
                         ) -> DrawDecomposition:
    """A random-effects, method-of-moments decomposition of per-draw estimates.

    With ``theta_k`` the estimate of draw ``k`` (its Monte Carlo standard error ``s_k``),
    ``W`` the mean of ``s_k^2`` and ``B`` the between-draw variance of ``theta_k``: the
    parameter variance is ``max(B - W, 0)`` (Monte Carlo noise taken out of the spread
    between draws) and the Monte Carlo variance of the mean ``W / D``. With one draw the
    parameter variance is 0.

    Parameters
    ----------
    estimates, standard_errors : ndarray, shape (D,)
        Finite values, one per draw (on the scale the statistic is combined on).
    """
    theta = np.asarray(estimates, dtype=float)
    se = np.asarray(standard_errors, dtype=float)
    d = theta.size
    if d == 0:
        raise ValueError("no draw has an estimate")
    mean = float(theta.mean())
    within = float(np.mean(se**2))
    between = float(theta.var(ddof=1)) if d > 1 else 0.0
    parameter_var = max(between - within, 0.0)
    mc_var = within / d
    total = parameter_var + mc_var
    share = 0.0 if total <= 0 else parameter_var / total
    weight = np.where(parameter_var + se**2 > 0,
                      parameter_var / np.maximum(parameter_var + se**2, 1e-300), 1.0)
    return DrawDecomposition(mean, parameter_var, mc_var, share,
                             mean + weight * (theta - mean), d)


def mean_over_draws(values: np.ndarray, draws: np.ndarray | None = None, *,
                    binary: bool = False) -> DrawDecomposition:
    """The mean of a per-patient quantity over draws, decomposed.

    Each draw's estimate is the mean over its patients, its Monte Carlo standard error the
    standard error of that mean (for a 0/1 quantity the binomial one, with one success and
    one failure added so that a draw of few patients with no event is not certain; for
    any other quantity the sample standard deviation over the square root of the count,
    0 for a single patient). Without ``draws`` the patients are one draw.

    Parameters
    ----------
    values : ndarray, shape (n,)
        One number per patient (e.g. 1 if event-free at 10 years; a paired difference).
    draws : ndarray of int, shape (n,), optional
        Each patient's draw.
    binary : bool, default False
        The values are 0/1.
    """
    v = np.asarray(values, dtype=float)
    d = np.zeros(v.size, np.int64) if draws is None else np.asarray(draws)
    grouped = pd.DataFrame({"v": v, "d": d}).groupby("d")["v"]
    n = grouped.size().to_numpy(float)
    if binary:
        return share_over_draws(grouped.sum().to_numpy(float), n)
    sd = grouped.std(ddof=1).fillna(0.0).to_numpy(float)
    return decompose_over_draws(grouped.mean().to_numpy(float), sd / np.sqrt(n))


def share_over_draws(events: np.ndarray, patients: np.ndarray) -> DrawDecomposition:
    """A share (events / patients per draw) over draws, decomposed: each draw's Monte
    Carlo error is binomial, with one success and one failure added so that a draw of few
    patients with no event is not certain (:func:`mean_over_draws` with ``binary``)."""
    k = np.asarray(events, dtype=float)
    n = np.asarray(patients, dtype=float)
    smoothed = (k + 1.0) / (n + 2.0)
    return decompose_over_draws(k / n, np.sqrt(smoothed * (1.0 - smoothed) / n))


def survival_fan(days: np.ndarray, event: np.ndarray, draws: np.ndarray | None,
                 times_days: np.ndarray) -> pd.DataFrame:
    """Event-free share at each time, over draws: the mean with its total and Monte Carlo
    95 % intervals and the parameter share (patients followed to the horizon, uncensored).

    Returns
    -------
    pandas.DataFrame
        ``time_days``, ``survival``, ``total_low``, ``total_high``, ``mc_low``,
        ``mc_high``, ``parameter_share``.
    """
    days = np.asarray(days, dtype=float)
    event = np.asarray(event, dtype=bool)
    rows = []
    for t in np.asarray(times_days, dtype=float):
        parts = mean_over_draws(~(event & (days <= t)), draws, binary=True)
        rows.append({"time_days": t, "survival": parts.mean,
                     "total_low": parts.mean - Z95 * parts.total_sd,
                     "total_high": parts.mean + Z95 * parts.total_sd,
                     "mc_low": parts.mean - Z95 * parts.mc_sd,
                     "mc_high": parts.mean + Z95 * parts.mc_sd,
                     "parameter_share": parts.parameter_share})
    fan = pd.DataFrame(rows)
    for column in ("total_low", "total_high", "mc_low", "mc_high"):
        fan[column] = fan[column].clip(0.0, 1.0)
    return fan
