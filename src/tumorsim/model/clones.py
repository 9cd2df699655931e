"""Receptor clones: ER+/PR+, ER+/PR-, ER- and their per-clone multipliers.

Tropism is a weight per clone and site (docs/model.md 2.10 d): a clone's weight at a
metastatic site is the site's ``tropism_weight`` times the clone's
``tropism_multiplier_<site>`` (the law :func:`tumorsim.model.laws.clone_tropism_weight`),
normalised over the metastatic sites for each clone. ER+/PR+ is the reference clone; with
every multiplier 1 (the default) every clone goes where the site weights say, as before
the weights depended on the clone. The packaged posterior fits the ER- clone's lung,
liver and brain multipliers to the triple-negative row of claim K4 (and the site weights
to its luminal row; docs/posterior.md); the ER+/PR- multipliers stay 1, as no row of K4
isolates that clone. The prior is log-uniform on 0.1-10 around 1 (no clone preference),
never K4's shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tumorsim.model.anatomy import CLONES, METASTATIC_SITES


@dataclass(frozen=True)
class CloneAttribute:
    """Metadata of one per-clone attribute (unit and allowed range)."""

    name: str
    unit: str
    low: float
    high: float
    description: str


CLONE_ATTRIBUTES: Final[tuple[CloneAttribute, ...]] = (
    CloneAttribute("motility_multiplier", "1", 0.0, 100.0,
                   "m_c: dissemination relative to ER+/PR+"),
    CloneAttribute("growth_multiplier", "1", 0.0, 10.0,
                   "growth rate relative to the patient's Gompertz rate"),
    CloneAttribute("cxcl_secretion", "1", 0.0, 100.0, "chi_c: CXCL1/2 secretion"),
    CloneAttribute("dormancy_entry_multiplier", "1", 0.0, 10.0,
                   "multiplies the site's dormancy-entry probability for this clone"),
    CloneAttribute("deep_dormancy_multiplier", "1", 0.0, 10.0,
                   "multiplies the site's deep-dormancy share for this clone"),
    CloneAttribute("awakening_multiplier", "1", 0.0, 100.0,
                   "multiplies the awakening rate of this clone's (shallow) dormant cells"),
    CloneAttribute("dormant_death_multiplier", "1", 0.0, 100.0,
                   "multiplies the baseline death rate of this clone's (shallow) dormant "
                   "cells"),
    *(CloneAttribute(f"tropism_multiplier_{site}", "1", 0.0, 1e3,
                     f"m_{site},c: multiplies {site}'s tropism weight for this clone")
      for site in METASTATIC_SITES),
)

_TROPISM_PRIOR: Final[str] = (
    "no clone preference (1); prior log-uniform 0.1-10; the ER- clone's fitted to the "
    "relapse-site shares of claim K4 (triple-negative row, PMC5040895) by the posterior "
    "fit run7 and held at its medians by the packaged posterior (docs/posterior.md), "
    "never set to them")

_DEFAULTS: Final[dict[str, dict[str, tuple[float, str, str]]]] = {
    "ERpos_PRpos": {
        "motility_multiplier": (1.0, "C", "reference clone"),
        "growth_multiplier": (1.0, "C", "reference clone"),
        "cxcl_secretion": (1.0, "C", "reference clone"),
        "dormancy_entry_multiplier": (1.0, "C", "reference clone"),
        "deep_dormancy_multiplier": (1.0, "C", "reference clone"),
        "awakening_multiplier": (1.0, "C", "reference clone"),
        "dormant_death_multiplier": (1.0, "C", "reference clone"),
        **{f"tropism_multiplier_{site}": (1.0, "C", "reference clone: the site's tropism "
                                          "weight itself") for site in METASTATIC_SITES},
    },
    "ERpos_PRneg": {
        "motility_multiplier": (2.0, "C", "PR loss promotes metastasis (seed 000)"),
        "growth_multiplier": (1.1, "C", "ER+/PR- tumours are more aggressive (seed 000)"),
        "cxcl_secretion": (1.0, "C", "no evidence of a difference"),
        "dormancy_entry_multiplier": (1.0, "C", "no evidence of a difference"),
        "deep_dormancy_multiplier": (1.0, "C", "no evidence of a difference"),
        "awakening_multiplier": (1.0, "C", "no evidence of a difference"),
        "dormant_death_multiplier": (1.0, "C", "no evidence of a difference"),
        **{f"tropism_multiplier_{site}": (1.0, "C", _TROPISM_PRIOR) for site in METASTATIC_SITES},
    },
    "ERneg": {
        "motility_multiplier": (2.0, "C", "ER- tumours metastasise early"),
        "growth_multiplier": (1.2, "C", "ER- tumours grow faster"),
        "cxcl_secretion": (2.0, "C", "CXCL1/2 high in aggressive, ER- lines (Acharyya 2012)"),
        "dormancy_entry_multiplier": (1.0, "C", "no clone difference until fitted; ER- "
                                      "disseminated cells may enter dormancy less often "
                                      "(Kim 2012; Colleoni 2016)"),
        "deep_dormancy_multiplier": (0.2, "C", "ER- cells rarely enter deep dormancy (late "
                                     "relapse is an ER+ pattern: Colleoni 2016); "
                                     "the posterior fit's prior: log-uniform 0.01-1"),
        "awakening_multiplier": (1.0, "C", "no clone difference until fitted; ER- relapses "
                                 "come early, their hazard falling below the ER+ one "
                                 "after years 4-5 (Colleoni 2016; Hess 2003): ER- dormancy "
                                 "may be shorter; not fitted: x3 by hand at run17's "
                                 "median overshot the early ER- relapses "
                                 "(docs/posterior.md)"),
        "dormant_death_multiplier": (1.0, "C", "no clone difference until fitted; few ER- "
                                     "relapses after year 5 (Colleoni 2016; the untreated "
                                     "node-negative TRANSBIG and GSE2034 cohorts): ER- "
                                     "dormant cells may die sooner; the posterior fit's "
                                     "prior: log-uniform 1-10"),
        **{f"tropism_multiplier_{site}": (1.0, "C", _TROPISM_PRIOR) for site in METASTATIC_SITES},
    },
}

CLONE_DEFAULTS: Final[dict[str, dict[str, float]]] = {
    c: {a: v[0] for a, v in attrs.items()} for c, attrs in _DEFAULTS.items()
}
CLONE_SOURCES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    c: {a: (v[1], v[2]) for a, v in attrs.items()} for c, attrs in _DEFAULTS.items()
}

assert tuple(_DEFAULTS) == CLONES
