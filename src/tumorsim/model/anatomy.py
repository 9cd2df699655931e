"""Organ sites, clones and cell activities: the axes of the per-patient count array.

The cell state of one patient is ``n[site, clone, activity]`` (docs/model.md §1), a
5 x 3 x 2 array. The order of the names below is the order of the axes everywhere in
the package (engine arrays, result columns, trajectories).
"""

from __future__ import annotations

from typing import Final, Literal

SiteName = Literal["breast", "bone", "lung", "liver", "brain"]
CloneName = Literal["ERpos_PRpos", "ERpos_PRneg", "ERneg"]

SITES: Final[tuple[str, ...]] = ("breast", "bone", "lung", "liver", "brain")
"""Organ sites; ``breast`` is the primary, the others are metastatic sites."""

METASTATIC_SITES: Final[tuple[str, ...]] = SITES[1:]

CLONES: Final[tuple[str, ...]] = ("ERpos_PRpos", "ERpos_PRneg", "ERneg")
"""Receptor clones. ER-/PR+ (1.6 % in SEER) is folded into ``ERneg``."""

ACTIVITIES: Final[tuple[str, ...]] = ("proliferating", "dormant", "deep_dormant")
"""Proliferating, shallow dormant (awakens over years, endocrine-responsive) and deep
dormant (awakens over decades, insensitive to endocrine therapy)."""

BREAST: Final[int] = 0
ERPOS_PRPOS: Final[int] = 0
ERPOS_PRNEG: Final[int] = 1
ERNEG: Final[int] = 2
PROLIFERATING: Final[int] = 0
DORMANT: Final[int] = 1

N_SITES: Final[int] = len(SITES)
N_CLONES: Final[int] = len(CLONES)
N_ACTIVITIES: Final[int] = len(ACTIVITIES)
