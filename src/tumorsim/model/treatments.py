"""Chemotherapy drugs and regimens (docs/model.md §2.6).

A regimen is a sequence of phases; each phase gives a set of drugs every ``interval_days``
for ``cycles`` cycles. Each dose starts a kill hazard on proliferating cells for
``chemo_kill_days`` days (Norton-Simon: scaled by the site's growth rate); the hazard of a
phase is the sum of its drugs' hazards and its ROS dependence the hazard-weighted mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Drug:
    """A cytotoxic drug.

    Attributes
    ----------
    name : str
    kill_hazard_per_day : float
        Kill hazard on proliferating cells growing at the reference rate, per day of the
        kill window (C, to calibrate against EBCTCG 2012 mortality ratios).
    ros_dependence : float
        rho_drug in 0..1: how much of the kill goes through ROS and is therefore blunted by
        antioxidant capacity (seed 002).
    source : str
    """

    name: str
    kill_hazard_per_day: float
    ros_dependence: float
    source: str


DRUGS: Final[dict[str, Drug]] = {
    d.name: d
    for d in (
        Drug("cyclophosphamide", 0.12, 0.4, "C; alkylating agent, partly ROS-mediated"),
        Drug("methotrexate", 0.08, 0.2, "C; antimetabolite, little ROS dependence"),
        Drug("fluorouracil", 0.08, 0.3, "C; antimetabolite"),
        Drug("doxorubicin", 0.25, 0.8, "C; redox-cycling anthracycline, high ROS dependence"),
        Drug("paclitaxel", 0.20, 0.3, "C; microtubule stabiliser"),
        Drug("cisplatin", 0.30, 0.9, "C; ROS-dependent kill resisted by NRF2 (Romani 2022)"),
    )
}


@dataclass(frozen=True)
class RegimenPhase:
    """``cycles`` doses of ``drugs`` every ``interval_days``."""

    drugs: tuple[str, ...]
    cycles: int
    interval_days: float


@dataclass(frozen=True)
class Regimen:
    """A named chemotherapy regimen and its source."""

    name: str
    phases: tuple[RegimenPhase, ...]
    description: str


REGIMENS: Final[dict[str, Regimen]] = {
    r.name: r
    for r in (
        Regimen("CMF", (RegimenPhase(("cyclophosphamide", "methotrexate", "fluorouracil"),
                                     6, 28.0),),
                "6 cycles of cyclophosphamide, methotrexate, fluorouracil every 4 weeks"),
        Regimen("AC", (RegimenPhase(("doxorubicin", "cyclophosphamide"), 4, 21.0),),
                "4 cycles of doxorubicin + cyclophosphamide every 3 weeks"),
        Regimen("AC_T", (RegimenPhase(("doxorubicin", "cyclophosphamide"), 4, 21.0),
                         RegimenPhase(("paclitaxel",), 4, 21.0)),
                "4 AC every 3 weeks, then 4 paclitaxel every 3 weeks"),
        Regimen("ddAC_T", (RegimenPhase(("doxorubicin", "cyclophosphamide"), 4, 14.0),
                           RegimenPhase(("paclitaxel",), 4, 14.0)),
                "dose-dense: AC then paclitaxel every 2 weeks (CALGB 9741)"),
        Regimen("cisplatin", (RegimenPhase(("cisplatin",), 4, 21.0),),
                "4 cycles of cisplatin every 3 weeks"),
    )
}

REGIMEN_NAMES: Final[tuple[str, ...]] = tuple(REGIMENS)

MAX_DOSES: Final[int] = 64
"""Largest number of chemotherapy doses one plan may hold."""


def phase_hazard(phase: RegimenPhase) -> tuple[float, float]:
    """Kill hazard per day and ROS dependence of one phase's dose.

    Returns
    -------
    kill_hazard_per_day : float
        Sum of the drugs' hazards.
    ros_dependence : float
        Hazard-weighted mean of the drugs' ROS dependence.
    """
    hazards = [DRUGS[d].kill_hazard_per_day for d in phase.drugs]
    total = sum(hazards)
    rho = sum(h * DRUGS[d].ros_dependence for h, d in zip(hazards, phase.drugs, strict=True))
    return total, rho / total
