"""Time courses the kernels follow exactly: exposures and the primary before diagnosis.

Both kernels and the SBML export read a metal exposure at any time from its compiled
course (:func:`exposure_level`), and follow the primary before diagnosis on the exact
solution of the capped Gompertz law (:func:`tumorsim.model.laws.capped_gompertz_rate`
with a constant rate): exponential at ``g_max`` up to the size where the Gompertz rate
falls below the cap, Gompertz after it (:func:`primary_path_cells`,
:func:`days_to_size`).
"""

from __future__ import annotations

import math

import numba as nb

from tumorsim.engine.plan import EXPOSURE_LINEAR, EXPOSURE_NONE

__all__ = ["days_to_size", "exposure_level", "primary_path_cells"]


@nb.njit
def primary_path_cells(tau, n0, g, gmax, k):
    """Deterministic primary size ``tau`` days after it had ``n0`` cells (capped Gompertz)."""
    n_cap = k * math.exp(-gmax / g)
    if n0 < n_cap:
        t1 = math.log(n_cap / n0) / gmax
        if tau <= t1:
            return n0 * math.exp(gmax * tau)
        tau -= t1
        n0 = n_cap
    return k * math.exp(math.log(n0 / k) * math.exp(-g * tau))


@nb.njit
def days_to_size(n0, n1, g, gmax, k):
    """Days the capped Gompertz primary needs to grow from ``n0`` to ``n1`` cells."""
    n_cap = k * math.exp(-gmax / g)
    t = 0.0
    if n0 < n_cap:
        if n1 <= n_cap:
            return math.log(n1 / n0) / gmax
        t = math.log(n_cap / n0) / gmax
        n0 = n_cap
    return t + math.log(math.log(k / n0) / math.log(k / n1)) / g


@nb.njit
def exposure_level(t, kind, times, levels, count, removal_day):
    """A compiled exposure course at day ``t``: steps or linear between breakpoints."""
    if kind == EXPOSURE_NONE or t >= removal_day:
        return 0.0
    if kind == EXPOSURE_LINEAR:
        if t <= times[0]:
            return levels[0]
        for j in range(1, count):
            if t < times[j]:
                w = (t - times[j - 1]) / (times[j] - times[j - 1])
                return levels[j - 1] + w * (levels[j] - levels[j - 1])
        return levels[count - 1]
    level = 0.0
    for j in range(count):
        if times[j] <= t:
            level = levels[j]
        else:
            break
    return level
