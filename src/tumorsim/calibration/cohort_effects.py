"""Cohort selection effects: how a calibration data set's women differ from the model's
reference population in ways the model is not given.

TRANSBIG and GSE2034 are both node-negative cohorts without adjuvant therapy, yet on their
training parts the model misses them in opposite directions at every time and in both ER
groups (run18's median: TRANSBIG's women relapse less often than simulated, GSE2034's
sooner; docs/posterior.md, "Cohort selection effects"). What sets them apart (how each
series was assembled, tissue banking, era, the tumour sizes GSE2034 does not record) is
not a covariate of the model. A cohort effect stands for it: one multiplier of the
dissemination coefficient for every woman of that data set, fitted with the biology
(``tumorsim calibrate-posterior --cohort-effects``). It applies to that data set's
simulations only (its training targets, its held-out check); GBSG2, whose covariates and
treatment are recorded, and the aggregate targets' populations are the reference (no
effect), and the commands' ensemble never carries one: a cohort effect describes a data
set, not the biology.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from tumorsim.calibration.priors import FittedParameter
from tumorsim.model.ensemble import (
    COHORT_EFFECT_ATTRIBUTE,
    COHORT_EFFECT_PREFIX,
    Ensemble,
    split_cohort_effects,
)
from tumorsim.model.scenario import Scenario

__all__ = ["COHORT_EFFECTS", "COHORT_EFFECT_DATA_SETS", "read_cohort_effects",
           "with_cohort_effect", "with_cohort_effect_draws"]

COHORT_EFFECT_DATA_SETS: Final[tuple[str, ...]] = ("transbig", "gse2034")
"""The data sets a calibration may fit a selection effect for (GBSG2 is the reference)."""

COHORT_EFFECTS: Final[tuple[FittedParameter, ...]] = tuple(
    FittedParameter(f"{COHORT_EFFECT_PREFIX}{name}.{COHORT_EFFECT_ATTRIBUTE}", "log", 0.25, 4.0,
                    f"{name}'s women spread disease 4x less to 4x more than the reference "
                    "population at the same recorded covariates (how the series was "
                    "selected; 1, no difference, inside)")
    for name in COHORT_EFFECT_DATA_SETS)
"""The fitted cohort effects (appended to the biology's parameters with
``--cohort-effects``)."""


def with_cohort_effect(scenario: Scenario, data_set: str,
                       effects: Mapping[str, float] | None) -> Scenario:
    """``scenario`` for the women of ``data_set``: its dissemination coefficient times the
    data set's effect (``scenario`` itself when it has none)."""
    factor = (effects or {}).get(data_set)
    if factor is None or factor == 1.0:
        return scenario
    value = scenario.parameter("dissemination_coefficient") * factor
    return scenario.with_changes(parameters={"dissemination_coefficient": value})


def with_cohort_effect_draws(ensemble: Ensemble, base: Scenario, data_set: str,
                             multipliers: Sequence[float] | np.ndarray) -> Ensemble:
    """``ensemble`` for the women of ``data_set``: each draw's dissemination coefficient
    (``base``'s where the draws do not set it) times that draw's multiplier, as
    :func:`with_cohort_effect` does for one scenario."""
    factors = np.asarray(multipliers, dtype=float)
    if factors.shape != (len(ensemble),):
        raise ValueError(f"{len(factors)} cohort effects for an ensemble of {len(ensemble)} "
                         "draws; allowed: one per draw")
    name = "dissemination_coefficient"
    draws = ensemble.draws.copy()
    own = (draws[name].to_numpy(float) if name in draws
           else np.full(len(draws), base.parameter(name)))
    draws[name] = own * factors
    return Ensemble(draws, f"{ensemble.source}; {data_set}'s cohort effect on "
                    f"dissemination (median x{float(np.median(factors)):.3g})")


def read_cohort_effects(run: str | Path) -> dict[str, float]:
    """The posterior medians of a calibration's cohort effects (data set -> multiplier),
    from its ``posterior.json`` (``run`` is the file or its directory); empty for a fit
    without them. A missing or unreadable record raises :class:`~tumorsim.errors.TumorsimError`
    naming it."""
    import json

    from tumorsim.errors import TumorsimError

    path = Path(run)
    if path.is_dir():
        path = path / "posterior.json"
    try:
        medians = json.loads(path.read_text(encoding="utf-8"))["posterior_median"]
        return split_cohort_effects({k: float(v) for k, v in medians.items()
                                     if str(k).startswith(COHORT_EFFECT_PREFIX)})[1]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise TumorsimError(f"{path}: not a calibration record ({type(err).__name__}); "
                            "allowed: the posterior.json of tumorsim calibrate-posterior, "
                            "or its directory") from None
