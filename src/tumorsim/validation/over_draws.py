"""A claim judged over parameter draws: its statistic's interval, and in how many draws it holds.

Under an ensemble (:class:`tumorsim.model.ensemble.Ensemble`) a claim is measured once per
draw, each draw on its own share of the claim's patients and its own seed (patients are
spread over draws, so the cost is that of one point run). Per check, with ``theta_k`` the
estimate of draw ``k`` and ``s_k`` its Monte Carlo standard error (from its 95 % CI; on
the log scale when the CI is symmetric there, as for hazard and rate ratios):

* **estimate**: the mean over draws, ``theta_bar`` (draws are equally likely);
* **Monte Carlo variance** of ``theta_bar``: ``W / D``, with ``W`` the mean of ``s_k^2``
  over the ``D`` draws with an estimate;
* **parameter variance**: ``V = max(B - W, 0)``, with ``B`` the between-draw variance of
  ``theta_k`` (a random-effects, method-of-moments decomposition: Monte Carlo noise is
  taken out of the spread between draws);
* **total 95 % interval**: ``theta_bar +- 1.96 sqrt(V + W / D)``, the Monte Carlo one
  ``theta_bar +- 1.96 sqrt(W / D)``; the **parameter share** ``V / (V + W / D)``;
* **share of draws in which the check holds**: each draw's estimate is first shrunk
  towards ``theta_bar`` by ``V / (V + s_k^2)`` (its best estimate given the others, so a
  draw's Monte Carlo noise does not count as disagreement), then tested against the
  check's band as a point value.

How a check is judged over draws:

* a **mechanism** check (M1-M3, whose strengths are drawn from priors that contain "no
  effect") passes when it holds in at least 95 % of draws (:data:`HOLDS_IN_DRAWS`) and
  its band holds on the Monte Carlo interval of the mean (so that noise cannot pass it);
  it is **uncertain** when it holds in some draws but not so, and fails when it holds in
  none;
* any other check is judged by its band on the total interval (a whole-interval rule) or
  on ``theta_bar`` (a value rule), as a point run is on its Monte Carlo interval.

The margin is always the band's, on the total interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from tumorsim.analysis.ensemble import decompose_over_draws
from tumorsim.validation.claim import Z95, Band, Check, CheckResult, Estimate

__all__ = ["HOLDS_IN_DRAWS", "DrawSummary", "combine_draws", "judge_over_draws"]

HOLDS_IN_DRAWS: Final[float] = 0.95
"""A mechanism check must hold in at least this share of draws to count as passed."""

METHOD: Final[str] = (
    "mean over draws; total interval from a random-effects decomposition of the spread "
    "between draws into parameter variance and Monte Carlo noise")


@dataclass(frozen=True)
class DrawSummary:
    """A check's estimates over draws, combined (see the module docstring).

    Attributes
    ----------
    estimate : Estimate
        ``theta_bar`` with the total 95 % interval.
    mc_low, mc_high : float
        The Monte Carlo 95 % interval.
    parameter_share : float
        Share of the total variance due to the parameters, in [0, 1].
    shrunk : ndarray
        Each draw's shrunk estimate (draws without an estimate left out).
    draws : int
        Draws with an estimate.
    """

    estimate: Estimate
    mc_low: float
    mc_high: float
    parameter_share: float
    shrunk: np.ndarray
    draws: int


def _on_log_scale(estimates: Sequence[Estimate]) -> bool:
    """True when every estimate is positive and every CI is symmetric on the log scale."""
    for e in estimates:
        if not e.value > 0:
            return False
        if e.exact:
            continue
        if not (e.ci_low > 0 and e.ci_high > 0):
            return False
        lower, upper = math.log(e.value / e.ci_low), math.log(e.ci_high / e.value)
        if abs(lower - upper) > 1e-6 * max(1.0, abs(lower) + abs(upper)):
            return False
    return True


def combine_draws(estimates: Sequence[Estimate]) -> DrawSummary:
    """Combine one check's per-draw estimates (NaN estimates are left out)."""
    usable = [e for e in estimates if math.isfinite(e.value)
              and (e.exact or (math.isfinite(e.ci_low) and math.isfinite(e.ci_high)))]
    if not usable:
        nan = math.nan
        return DrawSummary(Estimate(nan, nan, nan), nan, nan, nan, np.empty(0), 0)
    log = _on_log_scale(usable)
    to = np.log if log else np.asarray
    back = np.exp if log else (lambda x: x)
    theta = np.asarray(to(np.array([e.value for e in usable])), dtype=float)
    se = np.array([0.0 if e.exact else
                   (float(to(e.ci_high)) - float(to(e.ci_low))) / (2.0 * Z95)
                   for e in usable])
    parts = decompose_over_draws(theta, se)
    mean, total_sd, mc_sd = parts.mean, parts.total_sd, parts.mc_sd
    exact = all(e.exact for e in usable) and parts.draws == 1
    estimate = (Estimate.exact_value(float(back(mean))) if exact else
                Estimate(float(back(mean)), float(back(mean - Z95 * total_sd)),
                         float(back(mean + Z95 * total_sd))))
    return DrawSummary(estimate, float(back(mean - Z95 * mc_sd)),
                       float(back(mean + Z95 * mc_sd)), parts.parameter_share,
                       np.asarray(back(parts.shrunk), float), parts.draws)


def share_holding(band: Band, shrunk: np.ndarray) -> float:
    """Share of draws whose (shrunk) estimate lies in the band, as a point value."""
    if shrunk.size == 0:
        return math.nan
    holds = [band.margin(Estimate.exact_value(float(v))) >= 0 for v in shrunk]
    return float(np.mean(holds))


def judge_over_draws(check: Check, row: CheckResult, per_draw: Sequence[Estimate],
                     draws_run: int, patients_per_draw: int) -> CheckResult:
    """``row`` (the check judged at the first draw) judged over all draws instead."""
    from tumorsim.validation.dependencies import depending_on

    summary = combine_draws(per_draw)
    est = summary.estimate
    margin = check.band.margin(est)
    band_passed = bool(margin >= 0) if not math.isnan(margin) else False
    holding = share_holding(check.band, summary.shrunk)
    if row.family == "mechanism":
        # a mechanism claim is judged by the share of draws it holds in (what we do not
        # know about M1-M3 is whether the effect is there at all), and its mean must be
        # inside the band beyond Monte Carlo noise
        mc_margin = check.band.margin(Estimate(est.value, summary.mc_low, summary.mc_high))
        clear = bool(mc_margin >= 0) if not math.isnan(mc_margin) else False
        status = ("pass" if holding >= HOLDS_IN_DRAWS and clear else
                  "uncertain" if holding > 0 else "fail")
    else:
        status = "pass" if band_passed else "fail"
    passed = status == "pass"
    note = (f"{row.note}; over {summary.draws} of {draws_run} draws with an estimate, "
            f"{patients_per_draw} {row.size_unit} each (the first draw's counts above)")
    return replace(
        row, simulated=est.value, ci_low=est.ci_low, ci_high=est.ci_high, exact=est.exact,
        rule=check.band.describe(est.exact), margin=margin, passed=passed, status=status,
        note=note, patients=patients_per_draw * draws_run, draws=draws_run,
        mc_low=summary.mc_low, mc_high=summary.mc_high,
        parameter_share=summary.parameter_share, draws_holding=holding,
        interval_method=METHOD, affects=() if passed else depending_on(check.mechanisms))
