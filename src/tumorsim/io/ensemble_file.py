"""Reading a parameter ensemble (the calibration's posterior draws, or any table of draws).

A Parquet or CSV file with one row per draw and one column per parameter name (see
:mod:`tumorsim.model.ensemble`); a ``draw`` column (the calibration writes one) is the
draw's number and is not a parameter, nor are a calibration's cohort selection effects
(columns ``cohort.*``; :mod:`tumorsim.calibration.cohort_effects`), which are left out.
Every bad input is one line naming what was given and what is allowed.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from tumorsim.errors import TumorsimError
from tumorsim.model.ensemble import COHORT_EFFECT_PREFIX, Ensemble

__all__ = ["DEFAULT_ENSEMBLE", "NO_ENSEMBLE", "PACKAGED_POSTERIOR", "ensemble_record",
           "load_ensemble"]

MAX_BYTES = 50_000_000


PACKAGED_POSTERIOR = "tumorsim:posterior"
"""Name of the posterior ensemble shipped with the package (docs/posterior.md)."""

DEFAULT_ENSEMBLE = "tumorsim:ensemble"
"""The default biology of the commands: the packaged posterior's draws, each with the M1-M3
mechanism parameters drawn from their priors (docs/uncertainty.md)."""

NO_ENSEMBLE = "none"
"""``--ensemble none``: the scenario's own parameter values, one set, as written."""

MECHANISM_PRIOR_SEED = 2026
"""Seed of the mechanism-prior draws joined to the posterior in :data:`DEFAULT_ENSEMBLE`."""


def load_ensemble(path: str | os.PathLike[str], *, option: str = "--ensemble") -> Ensemble:
    """The ensemble in ``path`` (``.parquet`` or ``.csv``), or a packaged one by name
    (:data:`DEFAULT_ENSEMBLE`, :data:`PACKAGED_POSTERIOR`)."""
    if str(path) == DEFAULT_ENSEMBLE:
        from tumorsim.model.mechanism_priors import mechanism_prior_ranges

        posterior = load_ensemble(PACKAGED_POSTERIOR, option=option)
        joined = posterior.with_priors(mechanism_prior_ranges(), seed=MECHANISM_PRIOR_SEED)
        return Ensemble(joined.draws, f"{DEFAULT_ENSEMBLE}: {len(joined)} draws of the "
                        "packaged posterior, M1-M3 mechanism parameters from their priors "
                        "(docs/uncertainty.md)")
    if str(path) == PACKAGED_POSTERIOR:
        from importlib import resources

        packaged = resources.files("tumorsim") / "data" / "posterior" / "posterior_draws.parquet"
        with resources.as_file(packaged) as file:
            ensemble = load_ensemble(file, option=option)
        return Ensemble(ensemble.draws, "the packaged posterior (docs/posterior.md)")
    p = Path(path)
    if not p.is_file():
        raise TumorsimError(f"{option} = {str(p)!r}: no such file; allowed: a Parquet or CSV "
                            "file of parameter draws")
    if p.stat().st_size > MAX_BYTES:
        raise TumorsimError(f"{option} = {str(p)!r}: larger than {MAX_BYTES} bytes")
    try:
        if p.suffix == ".parquet":
            table = pd.read_parquet(p, use_threads=False)
        elif p.suffix == ".csv":
            table = pd.read_csv(p)
        else:
            raise TumorsimError(f"{option} = {str(p)!r}: suffix {p.suffix!r}; allowed: "
                                "'.parquet' or '.csv'")
    except TumorsimError:
        raise
    except Exception as exc:  # pyarrow and pandas raise many kinds
        raise TumorsimError(f"{option} = {str(p)!r}: cannot read it ({type(exc).__name__})"
                            ) from None
    # the draw's number, and a calibration's cohort selection effects, are not the biology
    table = table.drop(columns=[c for c in table.columns
                                if c == "draw" or str(c).startswith(COHORT_EFFECT_PREFIX)])
    if table.empty or table.shape[1] == 0:
        raise TumorsimError(f"{option} = {str(p)!r}: no draws; allowed: at least one row and "
                            "one parameter column")
    for column in table.columns:
        values = pd.to_numeric(table[column], errors="coerce")
        if not all(math.isfinite(v) for v in values):
            raise TumorsimError(f"{option} = {str(p)!r}: column {column!r} holds a value that "
                                "is not a finite number")
        table[column] = values.astype(float)
    try:
        return Ensemble(table.reset_index(drop=True), f"draws of {p.name}")
    except ValueError as exc:
        raise TumorsimError(f"{option} = {str(p)!r}: {exc}") from None


def ensemble_record(ensemble: Ensemble) -> str:
    """The ensemble a run used, as JSON for results' metadata (``tumorsim.ensemble``): its
    source and its draws (one object per draw), so that results can be reproduced from
    their files."""
    import json

    return json.dumps({"source": ensemble.source,
                       "draws": ensemble.draws.to_dict(orient="records")})
