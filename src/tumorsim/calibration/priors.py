"""The parameters the Bayesian calibration fits, with their priors.

Only parameters constrained by data are fitted (natural history, dormancy and awakening,
colonisation, endocrine sensitivity and tamoxifen's effect, grade's effect on growth and
dissemination, the growth of ER+/PR- cells, the tropism weights of sites and of ER- cells,
and spontaneous PR loss and regain). The mechanism parameters of M1-M3 have no human
dose-response data: they keep their documented ranges as priors and are never fitted
(docs/model.md section 6).

A prior is uniform on a scale: ``"linear"`` (uniform on [low, high]) or ``"log"``
(log-uniform, for rates and coefficients spanning orders of magnitude). A fitted value is
set on a scenario as a registry parameter, or as a site or clone attribute for every
metastatic site / every clone named.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from tumorsim.model.ensemble import with_values
from tumorsim.model.scenario import Scenario

__all__ = ["FITTED", "FittedParameter", "scenario_with"]

_LN2 = math.log(2.0)
_YEAR = 365.25


@dataclass(frozen=True)
class FittedParameter:
    """One fitted parameter and its prior.

    Attributes
    ----------
    name : str
        Registry parameter name, or ``"sites.<attribute>"`` / ``"sites.<site>.<attribute>"``
        for site attributes (the first sets every metastatic site but ``bone``).
    scale : {"linear", "log"}
    low, high : float
        The prior's support, in the parameter's unit.
    reason : str
        Why this range (the source of the prior).
    """

    name: str
    scale: Literal["linear", "log"]
    low: float
    high: float
    reason: str

    def from_unit(self, u: np.ndarray | float) -> np.ndarray:
        """Map ``u`` in [0, 1] to the parameter (the prior's quantile function)."""
        u = np.asarray(u, dtype=float)
        if self.scale == "log":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)

    def to_unit(self, value: np.ndarray | float) -> np.ndarray:
        """Inverse of :meth:`from_unit`."""
        v = np.asarray(value, dtype=float)
        if self.scale == "log":
            return (np.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)


def _per_day(half_life_years: float) -> float:
    return _LN2 / (half_life_years * _YEAR)


FITTED: Final[tuple[FittedParameter, ...]] = (
    FittedParameter("dissemination_coefficient", "log", 3e-10, 3e-8,
                    "spread per cell ~1 event per 1e8 cells (Michaelson 2005) and 1 "
                    "metastasis per 6e7 disseminated cells (Coumans 2013), each within 10x"),
    FittedParameter("awakening_rate_per_day", "log", _per_day(8.0), _per_day(1.0),
                    "shallow dormancy awakens over years 1-8 (docs/model.md 2.10 b)"),
    FittedParameter("dormant_death_rate_per_day", "log", _per_day(30.0), _per_day(1.0),
                    "most dormant cells never relapse (Willis 2010); half-life 1-30 years"),
    FittedParameter("colonisation_max_growth_rate_per_day", "log", _LN2 / 150.0,
                    _LN2 / 40.0, "micrometastases double every 40-150 days before "
                    "detection (docs/model.md 2.10 c)"),
    FittedParameter("colonisation_threshold_cells", "log", 1e3, 1e7,
                    "size below which a micrometastasis grows at most at the colonisation "
                    "cap (docs/model.md 2.10 c: ~1e6 cells); within 1,000x below and 10x "
                    "above; a lower threshold ended the slow phase earlier and bettered the "
                    "targets together (docs/posterior.md, what is next)"),
    FittedParameter("colonisation_growth_exponent", "linear", 0.0, 3.0,
                    "colonies of faster-growing tumours colonise faster (docs/model.md 2.10 "
                    "c): 0, one speed for every woman, at the edge; at 2 the posterior "
                    "median's K2 years 5-9 fell from +0.02 to -0.23 (docs/posterior.md)"),
    FittedParameter("dissemination_nodes_exponent", "linear", 0.25, 2.0,
                    "positive nodes mark a tumour that has spread (docs/model.md 2.2): "
                    "mu grows as (1 + nodes)^beta_n; 1, the registry's value, inside; "
                    "node-positive GBSG2 and node-negative TRANSBIG and GSE2034 set it"),
    FittedParameter("dissemination_size_mm_exponent", "linear", -2.0, 0.5,
                    "a larger tumour at diagnosis seeds more than the surface law alone "
                    "gives (> 0) or less (< 0): mu grows as (d / 20 mm)^beta_d; 0, no "
                    "correction, inside; the size targets of GBSG2 and TRANSBIG (Cox log "
                    "hazard ratio per mm) set it (since run20)"),
    FittedParameter("sites.bone.deep_dormancy_share", "linear", 0.2, 0.95,
                    "bone marrow favours deep dormancy (docs/model.md 2.10 b); up to "
                    "nearly all of it, as run7's median with 0.8 here, 0.5 elsewhere and "
                    "few ER- cells in deep dormancy met the ER crossover (K7) and bettered "
                    "the targets together (docs/posterior.md, run13)"),
    FittedParameter("sites.deep_dormancy_share", "linear", 0.0, 0.9,
                    "lung, liver, brain: deep dormancy, as a rule less than bone's; the "
                    "earlier upper end 0.5 was where that experiment went"),
    FittedParameter("deep_awakening_rate_per_day", "log", _per_day(30.0), _per_day(5.0),
                    "deep dormancy escape half-life 5-30 years (Willis 2010: >= 12); the "
                    "earlier lower end, 10 years, was where that experiment went, and "
                    "Colleoni 2016's ER+ hazards stay at 5.4 %/y in years 5-10"),
    FittedParameter("deep_dormancy_nodes_exponent", "linear", 0.0, 2.0,
                    "a woman's deep-dormancy share falls as (1 + nodes)^-kappa_n: "
                    "node-positive disease has the sharp early recurrence peak, "
                    "node-negative none (PMC1064084); 0, no node effect (every fit before "
                    "run15), at the edge; by hand 0.5 with higher site shares moved K3 T1N0 "
                    "from 0.066 to 0.084 (docs/posterior.md, what K3 asks)"),
    FittedParameter("clones.ERneg.deep_dormancy_multiplier", "log", 0.01, 1.0,
                    "ER- disseminated cells rarely enter deep dormancy (late relapse is an "
                    "ER+ pattern: Colleoni 2016; Dignam 2009); the registry's 0.2 inside, "
                    "1 (no difference) at the edge; at 0.05 with more deep dormancy the ER+ "
                    "hazard exceeded the ER- one from year 5 (docs/posterior.md, run13)"),
    FittedParameter("endocrine_insensitive_fraction_pr_pos", "linear", 0.1, 0.6,
                    "10-60 % of ER+/PR+ disease endocrine-insensitive (docs/model.md 2.10 a); "
                    "the K2 experiment (docs/posterior.md, why K2 and K7 failed with run7) "
                    "used 0.2, the old lower end, so the range reaches 0.1"),
    FittedParameter("endocrine_insensitive_fraction_pr_neg", "linear", 0.2, 0.8,
                    "more insensitive disease among PR- tumours"),
    FittedParameter("tamoxifen_effect_pr_neg", "linear", 0.0, 1.0,
                    "tamoxifen's effect on ER+/PR- cells: EBCTCG 2011 found PR status barely "
                    "changes tamoxifen's proportional benefit in ER+ disease, the Stockholm "
                    "trial a smaller benefit in PR- disease; from 0 (PR- cells resistant) to "
                    "1 (as sensitive as PR+ cells); the GBSG2 point fit's 0.36 inside "
                    "(docs/posterior.md, why K2 and K7 failed with run7)"),
    FittedParameter("pr_negative_primary_tamoxifen_share", "linear", 0.0, 1.0,
                    "ER+/PR- cells of a PR- primary respond to tamoxifen as cells that lost "
                    "PR (0, every fit before run16, at the edge) or as ER+/PR+ cells (1: "
                    "EBCTCG 2011, PR- primaries benefit about as much; PR lost under "
                    "treatment marks resistance, Cui 2005); by hand at run13's median, 1 "
                    "with tamoxifen_effect_pr_neg 0 and less insensitive disease met K2's "
                    "three periods within 2.3 SE (docs/posterior.md, PR- primaries and PR "
                    "lost under tamoxifen)"),
    FittedParameter("tamoxifen_kill_per_day", "log", 1e-4, 0.05,
                    "cytoreductive tamoxifen in sensitive disease: kill above the "
                    "remaining birth rate at the top of the range"),
    FittedParameter("tamoxifen_dormant_kill_per_day", "log", 1e-5, 5e-3,
                    "tamoxifen clears part of the shallow-dormant pool (EBCTCG carry-over)"),
    FittedParameter("tamoxifen_deep_dormant_kill_per_day", "log", 1e-5, 5e-3,
                    "tamoxifen reaching the cells that awaken late (the K2 experiments, "
                    "docs/validation.md): the same range as its shallow-dormant kill"),
    FittedParameter("pr_loss_baseline_per_day", "log", 1e-5, 1e-3,
                    "spontaneous PR loss of a cell, without metals: half-time 3 months to 270 "
                    "years; fitted to K5 (PR+ primaries with a PR- first metastasis)"),
    FittedParameter("pr_regain_baseline_per_day", "log", 1e-6, 1e-3,
                    "spontaneous PR regain: K5 needs a metastasis founded by PR- cells to stay "
                    "PR- (few regain) or not; 1 month of washout did not restore PR "
                    "(Mathison 2020) bounds it above"),
    FittedParameter("dissemination_fold_per_grade", "log", 0.5, 5.0,
                    "high grade an independent risk factor for distant relapse (the grade "
                    "targets); 1, no effect beyond growth, inside"),
    FittedParameter("grade_3_growth_multiplier", "linear", 1.0, 2.0,
                    "grade-3 tumours proliferate faster than grade-2 ones (the registry's "
                    "1.4, an assumption); 1, no difference, at the edge; faster growth also "
                    "speeds colonisation, so at run20's median the twins' log hazard ratio "
                    "per grade was 2 SE above GBSG2's (docs/posterior.md; since run21)"),
    FittedParameter("grade_1_growth_multiplier", "linear", 0.5, 1.0,
                    "grade-1 tumours proliferate slower than grade-2 ones (the registry's "
                    "0.7, an assumption); 1, no difference, at the edge (since run21)"),
    FittedParameter("clones.ERpos_PRneg.growth_multiplier", "linear", 1.0, 2.0,
                    "ER+/PR- cells grow faster than ER+/PR+ ones (the registry's 1.1; "
                    "ER+/PR- tumours are the more aggressive, Cui 2005); 1, no difference, "
                    "at the edge; at run20's median PR+ women's lower risk in GBSG2 was "
                    "too weak in their twins (z +2.7; since run21)"),
    *(FittedParameter(f"sites.{site}.tropism_weight", "log", 0.1, 10.0,
                      f"{site}'s weight relative to bone (1, the reference): no site "
                      "preference (1) inside, within 10x either way; fitted to K4's luminal "
                      "row, never set to it") for site in ("lung", "liver", "brain")),
    FittedParameter("clones.ERneg.growth_multiplier", "linear", 1.0, 3.0,
                    "ER- tumours grow faster than ER+ ones (the registry's 1.2); 1, no "
                    "difference, at the edge; it moved the ER crossover (docs/posterior.md, "
                    "why K2 and K7 failed with run7)"),
    FittedParameter("clones.ERneg.dormancy_entry_multiplier", "linear", 0.0, 1.0,
                    "ER- disseminated cells enter dormancy less often than ER+ ones (Kim "
                    "2012; Colleoni 2016: late relapse is an ER+ pattern); 1, no "
                    "difference, at the edge"),
    FittedParameter("clones.ERneg.dormant_death_multiplier", "log", 1.0, 10.0,
                    "ER- shallow-dormant cells die sooner than ER+ ones: few ER- relapses "
                    "after year 5 (Colleoni 2016; Hess 2003; the untreated node-negative "
                    "TRANSBIG and GSE2034 cohorts); 1, no difference (every fit before "
                    "run18), at the edge; by hand at run17's median 3 brought both "
                    "cohorts' ER- 10-year survival and K7 years 5-10 within 1 SE and "
                    "overshot K7 years 10-15 (docs/posterior.md, ER- relapses after "
                    "year 5)"),
    *(FittedParameter(f"clones.ERneg.tropism_multiplier_{site}", "log", 0.1, 10.0,
                      f"ER- cells' preference for {site} relative to bone beyond the site "
                      "weights: no clone preference (1) inside, within 10x either way; "
                      "fitted to K4's triple-negative row") for site in ("lung", "liver", "brain")),
    FittedParameter("chemo_kill_days", "log", 1.0, 14.0,
                    "days after each dose during which chemotherapy's kill hazard acts: the "
                    "registry's range, its 3 days (every fit before run22) inside; CMF's "
                    "effect against none (K6) and GBSG2's women, who all had CMF, set it "
                    "(since run22): at run20de's median 3 days gave K6 0.617 against "
                    "EBCTCG's 0.76, and 2 days with the nodes exponent at 1.2 gave 0.734 with "
                    "the other targets about as well met (docs/posterior.md, K6 and "
                    "chemotherapy's kill)"),
)
"""The fitted parameters, in the order of the calibration's parameter vector."""


def scenario_with(base: Scenario, values: Mapping[str, float]) -> Scenario:
    """``base`` with fitted values set (names as in :data:`FITTED`; see
    :func:`tumorsim.model.ensemble.with_values`)."""
    return with_values(base, values)


def values_from_unit(u: Sequence[float], fitted: Sequence[FittedParameter] = FITTED
                     ) -> dict[str, float]:
    """Parameter values of a point ``u`` of the unit cube."""
    return {p.name: float(p.from_unit(x)) for p, x in zip(fitted, u, strict=True)}
