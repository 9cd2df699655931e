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
from tumorsim.model.ensemble import COHORT_EFFECT_PREFIX, Ensemble, split_cohort_effects

__all__ = ["DEFAULT_ENSEMBLE", "NO_ENSEMBLE", "PACKAGED_POSTERIOR", "ensemble_record",
           "load_cohort_effect_draws", "load_ensemble", "packaged_posterior_dir"]

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
        ensemble = load_ensemble(_packaged_draws_file(), option=option)
        return Ensemble(ensemble.draws, "the packaged posterior (docs/posterior.md)")
    p = Path(path)
    table = _read_draws(p, option)
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


def load_cohort_effect_draws(path: str | os.PathLike[str], *,
                             option: str = "--ensemble") -> pd.DataFrame:
    """The cohort selection effects carried by the draws in ``path`` (named as for
    :func:`load_ensemble`): one row per draw, in the ensemble's order, one column per data
    set (``"transbig"``), the dissemination multiplier fitted for it
    (:mod:`tumorsim.calibration.cohort_effects`). No columns when the draws carry none."""
    packaged = str(path) in (DEFAULT_ENSEMBLE, PACKAGED_POSTERIOR)
    table = _read_draws(_packaged_draws_file() if packaged else Path(path), option)
    columns = [c for c in table.columns if str(c).startswith(COHORT_EFFECT_PREFIX)]
    rows = []
    for record in table[columns].to_dict("records"):
        try:
            rows.append(split_cohort_effects(record)[1])
        except ValueError as exc:
            raise TumorsimError(f"{option} = {str(path)!r}: {exc}") from None
    frame = pd.DataFrame(rows, index=range(len(table)))
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise TumorsimError(f"{option} = {str(path)!r}: cohort effect of {column!r} holds "
                                "a value that is not a positive number")
        frame[column] = values.astype(float)
    return frame


def packaged_posterior_dir() -> Path:
    """The packaged posterior's directory (``posterior.json``, ``posterior_draws.parquet``,
    ``predictive_checks.parquet``; installed files, the package is not zipped)."""
    from importlib import resources

    return Path(str(resources.files("tumorsim") / "data" / "posterior"))


def _packaged_draws_file() -> Path:
    """The packaged posterior's draws."""
    return packaged_posterior_dir() / "posterior_draws.parquet"


def _read_draws(p: Path, option: str) -> pd.DataFrame:
    """Every column of the draws file ``p``; a missing, oversized or unreadable file is one
    line naming it."""
    if not p.is_file():
        raise TumorsimError(f"{option} = {str(p)!r}: no such file; allowed: a Parquet or CSV "
                            "file of parameter draws")
    if p.stat().st_size > MAX_BYTES:
        raise TumorsimError(f"{option} = {str(p)!r}: larger than {MAX_BYTES} bytes")
    try:
        if p.suffix == ".parquet":
            return pd.read_parquet(p, use_threads=False)
        if p.suffix == ".csv":
            return pd.read_csv(p)
    except Exception as exc:  # pyarrow and pandas raise many kinds
        raise TumorsimError(f"{option} = {str(p)!r}: cannot read it ({type(exc).__name__})"
                            ) from None
    raise TumorsimError(f"{option} = {str(p)!r}: suffix {p.suffix!r}; allowed: "
                        "'.parquet' or '.csv'")


def ensemble_record(ensemble: Ensemble) -> str:
    """The ensemble a run used, as JSON for results' metadata (``tumorsim.ensemble``): its
    source and its draws (one object per draw), so that results can be reproduced from
    their files."""
    import json

    return json.dumps({"source": ensemble.source,
                       "draws": ensemble.draws.to_dict(orient="records")})
