"""Organ sites: stiffness, carrying capacity, tropism, dormancy entry and detection size.

Defaults and their sources follow docs/model.md §2.7, §2.8 and §4. Stiffness values are
compared within one measurement method only (indentation for lung, elastography for liver).

Tropism weights are parameters, not data: the default is the no-preference prior (every
metastatic site the same weight, the engine normalises them), a modelling choice that is
independent of any relapse-site table. A clone's weight at a site is the site's weight
times the clone's ``tropism_multiplier_<site>`` (:mod:`tumorsim.model.clones`), so the
weights are one per clone and site. The published share of relapses by site (claim K4,
luminal A and triple-negative rows) is what the packaged posterior fits them to (lung,
liver and brain against bone; docs/posterior.md), and is never copied into them: copying
it made K4 check its own input. A scenario's own values stay the no-preference prior;
the default ensemble carries the fitted ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tumorsim.model.anatomy import SITES
from tumorsim.model.laws import fission_level as fission_law


@dataclass(frozen=True)
class SiteAttribute:
    """Metadata of one per-site attribute (unit and allowed range)."""

    name: str
    unit: str
    low: float
    high: float
    low_exclusive: bool
    description: str


SITE_ATTRIBUTES: Final[tuple[SiteAttribute, ...]] = (
    SiteAttribute("stiffness_kpa", "kPa", 0.0, 1e3, True, "tissue stiffness E_s"),
    SiteAttribute("carrying_capacity_cells", "cells", 1.0, 1e14, False,
                  "Gompertz plateau K_s"),
    SiteAttribute("tropism_weight", "1", 0.0, 1e3, False,
                  "relative share of disseminated cells arriving here (ignored for breast); "
                  "a clone's weight is this times its tropism_multiplier_<site>"),
    SiteAttribute("dormancy_entry_probability", "1", 0.0, 1.0, False,
                  "probability q_s that an arriving cell enters dormancy"),
    SiteAttribute("detection_cells", "cells", 1.0, 1e13, False,
                  "cells at which a relapse at this site is detected"),
    SiteAttribute("deep_dormancy_share", "1", 0.0, 1.0, False,
                  "share of the cells entering dormancy here that enter deep dormancy"),
)

_NO_PREFERENCE: Final[float] = 1.0
_NO_PREFERENCE_REASON: Final[str] = (
    "no-preference prior: the same weight for every metastatic site (range 0-1e3; prior "
    "log-uniform 0.1-10 around it); fitted to the relapse-site shares of claim K4 "
    "(PMC5040895; the luminal row, with the ER- multipliers for the triple-negative row; "
    "bone the reference) by the posterior fit run7 and held at its medians by the "
    "packaged posterior (docs/posterior.md), never set to them")

# value, source tag, source, for each site and attribute
_DEFAULTS: Final[dict[str, dict[str, tuple[float, str, str]]]] = {
    "breast": {
        "stiffness_kpa": (10.0, "C", "malignant stroma 3-6x fibroglandular, up to 13x "
                          "high-grade (V); ~10 kPa used"),
        "carrying_capacity_cells": (3.1e12, "S", "Norton 1988 Gompertz plateau"),
        "tropism_weight": (0.0, "C", "the primary receives no disseminated cells"),
        "dormancy_entry_probability": (0.0, "C", "residual primary cells proliferate"),
        "detection_cells": (1e8, "C", "local recurrence found at ~1 cm^3 (Del Monte 2009: "
                            "1e8 cells/cm^3)"),
        "deep_dormancy_share": (0.0, "C", "residual primary cells proliferate"),
    },
    "bone": {
        "stiffness_kpa": (10.0, "C", "bone marrow 0.25-24.7 kPa (V); ~10 used"),
        "carrying_capacity_cells": (1e12, "C", "metastatic plateau, scale of Iwata 2000 b"),
        "tropism_weight": (_NO_PREFERENCE, "C", _NO_PREFERENCE_REASON),
        "dormancy_entry_probability": (0.9, "C", "most disseminated cells arrive dormant"),
        "detection_cells": (1e9, "C", "distant relapse at 1e8-1e9 cells (docs/model.md §2.8)"),
        "deep_dormancy_share": (0.0, "C", "bone marrow favours deep dormancy (prior "
                                "0.2-0.95); 0 until calibrated"),
    },
    "lung": {
        "stiffness_kpa": (1.4, "V", "lung 1.4 kPa by indentation (3.3 by rheology)"),
        "carrying_capacity_cells": (1e12, "C", "metastatic plateau, scale of Iwata 2000 b"),
        "tropism_weight": (_NO_PREFERENCE, "C", _NO_PREFERENCE_REASON),
        "dormancy_entry_probability": (0.9, "C", "most disseminated cells arrive dormant"),
        "detection_cells": (1e9, "C", "distant relapse at 1e8-1e9 cells (docs/model.md §2.8)"),
        "deep_dormancy_share": (0.0, "C", "prior 0-0.9, as a rule below bone; 0 until calibrated"),
    },
    "liver": {
        "stiffness_kpa": (4.1, "V", "liver 4.1 kPa (2.3-5.9) by elastography"),
        "carrying_capacity_cells": (1e12, "C", "metastatic plateau, scale of Iwata 2000 b"),
        "tropism_weight": (_NO_PREFERENCE, "C", _NO_PREFERENCE_REASON),
        "dormancy_entry_probability": (0.9, "C", "most disseminated cells arrive dormant"),
        "detection_cells": (1e9, "C", "distant relapse at 1e8-1e9 cells (docs/model.md §2.8)"),
        "deep_dormancy_share": (0.0, "C", "prior 0-0.9, as a rule below bone; 0 until calibrated"),
    },
    "brain": {
        "stiffness_kpa": (1.0, "C", "brain ~1 kPa (uncertain)"),
        "carrying_capacity_cells": (1e11, "C", "smaller space in the skull"),
        "tropism_weight": (_NO_PREFERENCE, "C", _NO_PREFERENCE_REASON),
        "dormancy_entry_probability": (0.9, "C", "most disseminated cells arrive dormant"),
        "detection_cells": (1e9, "C", "distant relapse at 1e8-1e9 cells (docs/model.md §2.8)"),
        "deep_dormancy_share": (0.0, "C", "prior 0-0.9, as a rule below bone; 0 until calibrated"),
    },
}

SITE_DEFAULTS: Final[dict[str, dict[str, float]]] = {
    site: {attr: v[0] for attr, v in attrs.items()} for site, attrs in _DEFAULTS.items()
}
SITE_SOURCES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    site: {attr: (v[1], v[2]) for attr, v in attrs.items()} for site, attrs in _DEFAULTS.items()
}

assert tuple(_DEFAULTS) == SITES


def fission_level(stiffness_kpa: float, half_max_kpa: float, hill_power: float) -> float:
    """DRP1 fission without inhibitor, ``E50^n / (E50^n + E_s^n)``: the law
    :func:`tumorsim.model.laws.fission_level` (docs/model.md §2.7).

    Soft tissue gives values near 1, stiff tissue near 0.
    """
    return float(fission_law(stiffness_kpa, half_max_kpa, hill_power))
