"""Confidence intervals of simple statistics."""

from __future__ import annotations

import math
from typing import Final

__all__ = ["Z95", "wilson_interval"]

Z95: Final[float] = 1.959963984540054
"""The standard normal's 97.5 % quantile: a two-sided 95 % interval is ``+- Z95`` SE."""


def wilson_interval(k: int, n: int, z: float) -> tuple[float, float, float]:
    """Proportion ``k / n`` and its Wilson score interval.

    Parameters
    ----------
    k : int
        Events.
    n : int
        Trials, > 0.
    z : float
        Normal quantile of the interval (1.959964 for 95 %).

    Returns
    -------
    (float, float, float)
        The proportion, the lower and the upper bound, as the formula gives them (not
        clipped to [0, 1]).
    """
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, centre - half, centre + half
