"""Fit the Gompertz-Makeham hazard of death from other causes to a female life table.

The hazard of a woman aged ``a`` years is ``h(a) = lambda + alpha * exp(beta * a)`` per
year (Makeham 1860; the registry's ``other_cause_makeham_per_year``,
``other_cause_gompertz_per_year`` and ``other_cause_gompertz_slope_per_year``). A life
table gives ``q(x)``, the probability of dying between ages ``x`` and ``x + 1``, so
``-ln(1 - q(x))`` is the hazard integrated over that year,

    H(x) = lambda + alpha / beta * exp(beta * x) * (exp(beta) - 1),

exactly (no mid-year approximation). The fit minimises the squared differences of
``ln H(x)`` over ages ``--min-age`` to ``--max-age`` (every age the same weight: the table
gives no exposures for a Poisson likelihood) with :func:`scipy.optimize.least_squares`.

Usage::

    python scripts/fit_life_table.py                # prints the fit and its check
    python scripts/fit_life_table.py --year 1987 --min-age 30 --max-age 100

The table is the Human Mortality Database's period life table of US women for ``--year``
(default 1987, the middle of the years GBSG2 and TRANSBIG recruited), read from the
installed ``lifetables`` package (:func:`tumorsim.io.life_table.female_life_table`). The
printed values are the registry defaults; a test (``tests/test_relapse_structure.py``)
reruns this fit and checks they agree.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

YEAR = 1987
"""Calendar year of the table the registry's values are fitted to."""


def read_table(year: int = YEAR) -> pd.DataFrame:
    """The life table: ``age_years`` and ``death_probability`` (q(x)), one row per age."""
    from tumorsim.io.life_table import female_life_table

    return female_life_table(year)


def year_hazard(age: np.ndarray, makeham: float, gompertz: float, slope: float
                ) -> np.ndarray:
    """Gompertz-Makeham hazard integrated from ``age`` to ``age + 1`` (years)."""
    return makeham + gompertz / slope * np.exp(slope * age) * math.expm1(slope)


def fit(table: pd.DataFrame, min_age: float = 30.0, max_age: float = 100.0
        ) -> dict[str, float]:
    """Gompertz-Makeham parameters (per year) fitted to ``table`` over the ages given.

    Returns
    -------
    dict
        ``makeham_per_year`` (lambda), ``gompertz_per_year`` (alpha, the Gompertz term at
        age 0), ``slope_per_year`` (beta) and ``rms_log_error`` (root mean square of the
        residuals of ``ln H``).
    """
    rows = table[(table["age_years"] >= min_age) & (table["age_years"] <= max_age)]
    age = rows["age_years"].to_numpy(float)
    observed = -np.log1p(-rows["death_probability"].to_numpy(float))

    def residuals(theta: np.ndarray) -> np.ndarray:
        makeham, log_gompertz, slope = theta
        return np.log(year_hazard(age, makeham, math.exp(log_gompertz), slope)) - np.log(
            observed)

    start = np.array([5e-4, math.log(2e-5), 0.1])
    result = least_squares(residuals, start, bounds=([0.0, -30.0, 0.01], [0.05, 0.0, 0.3]),
                           x_scale=[1e-4, 1.0, 0.01], xtol=1e-14, ftol=1e-14, gtol=1e-14)
    if not result.success:
        raise RuntimeError(f"the fit did not converge: {result.message}")
    makeham, log_gompertz, slope = result.x
    return {"makeham_per_year": float(makeham), "gompertz_per_year": math.exp(log_gompertz),
            "slope_per_year": float(slope),
            "rms_log_error": float(np.sqrt(np.mean(result.fun**2)))}


def probability_of_death(table: pd.DataFrame, age: int, years: int) -> float:
    """The table's own probability that a woman aged ``age`` dies within ``years``."""
    q = table.set_index("age_years")["death_probability"]
    return 1.0 - float(np.prod([1.0 - q[a] for a in range(age, age + years)]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=YEAR)
    parser.add_argument("--min-age", type=float, default=30.0)
    parser.add_argument("--max-age", type=float, default=100.0)
    args = parser.parse_args(argv)
    from tumorsim.io.life_table import LIFE_TABLE_SOURCE

    table = read_table(args.year)
    values = fit(table, args.min_age, args.max_age)
    print(f"Gompertz-Makeham fit to the {args.year} table of the {LIFE_TABLE_SOURCE}, "
          f"ages {args.min_age:g}-{args.max_age:g}:")
    print(f"  other_cause_makeham_per_year        = {values['makeham_per_year']:.6g}")
    print(f"  other_cause_gompertz_per_year       = {values['gompertz_per_year']:.6g}")
    print(f"  other_cause_gompertz_slope_per_year = {values['slope_per_year']:.6g}")
    print(f"  root mean square error of ln H      = {values['rms_log_error']:.4f}")
    print("check, probability of death within 10 years (table vs fit):")
    for age in (40, 50, 60, 70, 80):
        ages = np.arange(age, age + 10, dtype=float)
        fitted = 1.0 - math.exp(-float(np.sum(year_hazard(
            ages, values["makeham_per_year"], values["gompertz_per_year"],
            values["slope_per_year"]))))
        print(f"  age {age}: {probability_of_death(table, age, 10):.4f} vs {fitted:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
