"""Priors of the seed mechanisms' strengths (M1-M3): what we do not know about them.

The three seed mechanisms have no human dose-response data: their strengths come from cell
lines and mice (docs/model.md 2.3-2.8). They are never fitted (the calibration's data
cannot constrain them); an ensemble draws them from these priors, so that every what-if
answer carries that ignorance in its interval. Each prior is uniform on ``[low, high]``
and contains **no effect** (the value at which the mechanism does nothing to a patient)
unless a seed study rules it out; none does for humans at the modelled exposures, so every
range here starts at 0. Unbounded strengths reach about twice the package's default (the
default is then the middle of the range); fractions reach 0.9-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tumorsim.model.ensemble import PriorRange
from tumorsim.model.parameters import PARAMETERS

__all__ = ["MECHANISM_PRIORS", "MechanismPrior", "mechanism_prior_ranges"]


@dataclass(frozen=True)
class MechanismPrior:
    """The prior of one mechanism parameter.

    Attributes
    ----------
    name : str
        Registry parameter name (its unit is the registry's).
    mechanism : str
        ``"M1"`` (metals, ROS, PR), ``"M2"`` (chemotherapy, CXCL1/2, myeloid niche) or
        ``"M3"`` (soft tissue, DRP1, NRF2).
    prior : PriorRange
        Uniform prior on its scale.
    reason : str
        Why this range, and where "no effect" lies in it.
    """

    name: str
    mechanism: str
    prior: PriorRange
    reason: str

    def __post_init__(self) -> None:
        spec = PARAMETERS[self.name]
        if not spec.low <= self.prior.low <= self.prior.high <= spec.high:
            raise ValueError(f"prior of {self.name} outside its allowed range "
                             f"[{spec.low:g}, {spec.high:g}]")


_NO_HUMAN_DATA = "no human dose-response data; 0 (no effect) inside the range"

MECHANISM_PRIORS: Final[tuple[MechanismPrior, ...]] = (
    MechanismPrior("ros_per_arsenic_ug_per_l", "M1", PriorRange(0.0, 0.3),
                   "arsenite raised ROS in MCF-7 cells at 0.5-5 uM (Ruiz-Ramos 2009), above "
                   f"the 0.13 uM of 10 ug/L drinking water; {_NO_HUMAN_DATA}"),
    MechanismPrior("ros_per_lead_ug_per_dl", "M1", PriorRange(0.0, 0.2),
                   f"lead raises ROS in cell lines (seed 000); {_NO_HUMAN_DATA}"),
    MechanismPrior("pr_loss_max_per_day", "M1", PriorRange(0.0, 0.02),
                   "PR suppression took more than 6 months of chronic low-level arsenic in "
                   f"cells (Mathison 2020); {_NO_HUMAN_DATA}"),
    MechanismPrior("ros_quencher_reduction", "M1", PriorRange(0.0, 3.0),
                   "quenching ROS reversed PR suppression in cells (seed 000); 0: the "
                   "quencher does nothing in a patient"),
    MechanismPrior("cxcl_chemo_induction", "M2", PriorRange(0.0, 6.0),
                   "chemotherapy raised CXCL1/2 via TNF-alpha in mice (Acharyya 2012, "
                   f"qualitative); {_NO_HUMAN_DATA}"),
    MechanismPrior("myeloid_chemo_protection", "M2", PriorRange(0.0, 0.9),
                   "S100A8/9 from CD11b+Gr1+ cells kept cancer cells alive under "
                   f"chemotherapy in mice (Acharyya 2012); {_NO_HUMAN_DATA}"),
    MechanismPrior("myeloid_colonisation_boost", "M2", PriorRange(0.0, 2.0),
                   "the myeloid niche raised lung metastasis in mice (Acharyya 2012); "
                   f"{_NO_HUMAN_DATA}"),
    MechanismPrior("antioxidant_chemo_protection", "M3", PriorRange(0.0, 0.95),
                   "the NRF2 antioxidant programme let dormant cells in soft tissue resist "
                   f"chemotherapy in mice (Romani 2022); {_NO_HUMAN_DATA}"),
    MechanismPrior("antioxidant_dormant_protection", "M3", PriorRange(0.0, 0.95),
                   "antioxidant capacity lowered dormant-cell death (Romani 2022); "
                   f"{_NO_HUMAN_DATA}"),
    MechanismPrior("inhibitor_awakening_block", "M3", PriorRange(0.0, 1.0),
                   "DRP1 + NRF2 inhibition prevented awakening in mice (Romani 2022); 0: "
                   "the inhibitors do not hold cells dormant"),
)
"""The mechanism parameters an ensemble draws from priors (never fitted)."""


def mechanism_prior_ranges() -> dict[str, PriorRange]:
    """``{name: PriorRange}`` of :data:`MECHANISM_PRIORS`, for :meth:`Ensemble.from_priors`."""
    return {p.name: p.prior for p in MECHANISM_PRIORS}
