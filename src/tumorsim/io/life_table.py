"""A standard female life table, read from an installed package (no network).

The Human Mortality Database's period life tables of US women, single years of age and
calendar year (``fltper_1x1``), as shipped by the ``lifetables`` package (MIT licence;
the HMD's data are CC BY 4.0: Human Mortality Database, University of California,
Berkeley, and Max Planck Institute for Demographic Research, www.mortality.org). Only the
text file is read: the package itself (and its polars dependency) is not imported.

It is used to fit the Gompertz-Makeham hazard of death from other causes
(``scripts/fit_life_table.py``, the registry's ``other_cause_*`` parameters) and by the
test that checks the fit; the engine needs only the fitted parameters.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final

import pandas as pd

from tumorsim.errors import TumorsimError

__all__ = ["LIFE_TABLE_SOURCE", "female_life_table"]

LIFE_TABLE_SOURCE: Final[str] = (
    "Human Mortality Database, United States of America, life tables (period 1x1), "
    "females (www.mortality.org; CC BY 4.0), as shipped by the lifetables package")

_FILE: Final[tuple[str, ...]] = ("data", "hmd", "fltper_1x1.txt")


def _table_path() -> Path:
    spec = importlib.util.find_spec("lifetables")
    if spec is None or not spec.submodule_search_locations:
        raise TumorsimError("the female life table needs the 'lifetables' package "
                            "(pip install -e '.[dev]' installs it)")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_FILE)


def female_life_table(year: int) -> pd.DataFrame:
    """Female death probabilities of one calendar year, ages 0-109.

    Parameters
    ----------
    year : int
        Calendar year of the period table (1933 onwards).

    Returns
    -------
    pandas.DataFrame
        ``age_years`` (int) and ``death_probability`` (q(x): the probability that a woman
        aged x dies before x + 1), one row per age; the open age group 110+ is left out.
    """
    lines = _table_path().read_text(encoding="utf-8").splitlines()
    header = lines[2].split()
    rows = [line.split() for line in lines[3:] if line.strip()]
    table = pd.DataFrame(rows, columns=header)
    table = table[(table["Year"] == str(int(year))) & table["Age"].str.isdigit()]
    if table.empty:
        raise TumorsimError(f"year = {year}: not in the life table; allowed: 1933-2022")
    return pd.DataFrame({"age_years": table["Age"].astype(int).to_numpy(),
                         "death_probability": table["qx"].astype(float).to_numpy()})
