"""Receptor clones: ER+/PR+, ER+/PR-, ER- and their per-clone multipliers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tumorsim.model.anatomy import CLONES


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
    CloneAttribute("deep_dormancy_multiplier", "1", 0.0, 10.0,
                   "multiplies the site's deep-dormancy share for this clone"),
)

_DEFAULTS: Final[dict[str, dict[str, tuple[float, str, str]]]] = {
    "ERpos_PRpos": {
        "motility_multiplier": (1.0, "C", "reference clone"),
        "growth_multiplier": (1.0, "C", "reference clone"),
        "cxcl_secretion": (1.0, "C", "reference clone"),
        "deep_dormancy_multiplier": (1.0, "C", "reference clone"),
    },
    "ERpos_PRneg": {
        "motility_multiplier": (2.0, "C", "PR loss promotes metastasis (seed 000)"),
        "growth_multiplier": (1.1, "C", "ER+/PR- tumours are more aggressive (seed 000)"),
        "cxcl_secretion": (1.0, "C", "no evidence of a difference"),
        "deep_dormancy_multiplier": (1.0, "C", "no evidence of a difference"),
    },
    "ERneg": {
        "motility_multiplier": (2.0, "C", "ER- tumours metastasise early"),
        "growth_multiplier": (1.2, "C", "ER- tumours grow faster"),
        "cxcl_secretion": (2.0, "C", "CXCL1/2 high in aggressive, ER- lines (Acharyya 2012)"),
        "deep_dormancy_multiplier": (0.2, "C", "ER- cells rarely enter deep dormancy (late "
                                     "relapse is an ER+ pattern: Colleoni 2016)"),
    },
}

CLONE_DEFAULTS: Final[dict[str, dict[str, float]]] = {
    c: {a: v[0] for a, v in attrs.items()} for c, attrs in _DEFAULTS.items()
}
CLONE_SOURCES: Final[dict[str, dict[str, tuple[str, str]]]] = {
    c: {a: (v[1], v[2]) for a, v in attrs.items()} for c, attrs in _DEFAULTS.items()
}

assert tuple(_DEFAULTS) == CLONES
