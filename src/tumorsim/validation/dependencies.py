"""Which what-ifs and examples depend on which mechanism, so a failing check says what it touches.

A check names the mechanisms it tests (``Check.mechanisms``). When it fails, the scorecard
lists the demo what-ifs (:data:`tumorsim.demo.WHAT_IFS`, by name) and the example scenario
files (``examples/*.toml``) whose answer rests on the same mechanism: their numbers inherit
the failure. ``tests/test_claims.py`` keeps these lists in step with the demo and the
examples directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

__all__ = ["EXAMPLES", "MECHANISMS", "WHAT_IFS", "depending_on", "failing_checks_for"]

WHAT_IFS: Final[tuple[str, ...]] = (
    "as recorded", "arsenic 10 ug/L", "CMF + CXCR2 inhibitor", "cisplatin",
    "cisplatin + DRP1/NRF2 inhibitors",
)
"""Names of the demo's what-if arms."""

EXAMPLES: Final[tuple[str, ...]] = (
    "act_chemotherapy.toml", "act_chemotherapy_cxcr2.toml", "cisplatin.toml",
    "cisplatin_drp1_nrf2.toml", "er_positive_tamoxifen.toml",
    "er_positive_tamoxifen_arsenic.toml", "trial_cxcr2.toml",
)
"""Example scenario and trial files under ``examples/`` (the column map is not a model)."""

_ALL: Final[tuple[str, ...]] = WHAT_IFS + EXAMPLES

MECHANISMS: Final[Mapping[str, tuple[str, ...]]] = {
    # relapse timing: growth, dormancy and awakening, outgrowth, the ER contrast; every
    # relapse count of every what-if and example rests on it
    "natural_history": _ALL,
    # where relapses happen: every lung-relapse and site answer
    "tropism": ("as recorded", "arsenic 10 ug/L", "CMF + CXCR2 inhibitor", "cisplatin",
                "cisplatin + DRP1/NRF2 inhibitors", "act_chemotherapy.toml",
                "act_chemotherapy_cxcr2.toml", "cisplatin.toml", "cisplatin_drp1_nrf2.toml",
                "er_positive_tamoxifen.toml", "trial_cxcr2.toml"),
    # tamoxifen's effect by period and PR status; the arsenic what-if acts through it
    "tamoxifen": ("as recorded", "arsenic 10 ug/L", "er_positive_tamoxifen.toml",
                  "er_positive_tamoxifen_arsenic.toml"),
    # chemotherapy kill (every regimen)
    "chemotherapy": ("as recorded", "CMF + CXCR2 inhibitor", "cisplatin",
                     "cisplatin + DRP1/NRF2 inhibitors", "act_chemotherapy.toml",
                     "act_chemotherapy_cxcr2.toml", "cisplatin.toml",
                     "cisplatin_drp1_nrf2.toml", "trial_cxcr2.toml"),
    # M1: metals -> ROS -> PR loss, and the PR status of metastases
    "metal_ros_pr": ("arsenic 10 ug/L", "er_positive_tamoxifen_arsenic.toml"),
    "pr_biology": ("as recorded", "arsenic 10 ug/L", "er_positive_tamoxifen_arsenic.toml"),
    # M2: chemotherapy -> CXCL1/2 -> myeloid niche
    "chemo_cxcl_myeloid": ("CMF + CXCR2 inhibitor", "act_chemotherapy.toml",
                           "act_chemotherapy_cxcr2.toml", "trial_cxcr2.toml"),
    # M3: stiffness -> DRP1 -> NRF2 antioxidant protection
    "stiffness_drp1_nrf2": ("cisplatin", "cisplatin + DRP1/NRF2 inhibitors",
                            "cisplatin.toml", "cisplatin_drp1_nrf2.toml"),
}
"""For each mechanism, the what-ifs and examples whose answer depends on it."""


def depending_on(mechanisms: Iterable[str]) -> tuple[str, ...]:
    """The what-ifs and examples that depend on any of ``mechanisms``, in a fixed order.

    Raises
    ------
    KeyError
        For a mechanism not in :data:`MECHANISMS` (a typo in a claim).
    """
    wanted: set[str] = set()
    for mechanism in mechanisms:
        if mechanism not in MECHANISMS:
            raise KeyError(f"unknown mechanism {mechanism!r}; known: {sorted(MECHANISMS)}")
        wanted.update(MECHANISMS[mechanism])
    return tuple(name for name in _ALL if name in wanted)


def failing_checks_for(name: str, claims: Iterable[Mapping[str, object]]) -> list[str]:
    """Ids of the failing checks (rows of ``claims.json``) whose failure touches ``name``."""
    out = []
    for c in claims:
        affects = c.get("affects") or ()
        if not c.get("passed") and isinstance(affects, list | tuple) and name in affects:
            out.append(str(c["id"]))
    return out
