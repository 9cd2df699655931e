"""Scalar model parameters with unit, allowed range, default, source and reason.

Every number the engine uses is declared here once (docs/model.md §4). Source tags:
``V`` the number is in the cited paper's abstract or an official page; ``S`` quoted by a
secondary source; ``D`` derived by arithmetic from V/S numbers; ``C`` a modelling choice
to calibrate. A scenario may override any value inside its allowed range.

Per-site and per-clone attributes live in :mod:`tumorsim.model.sites` and
:mod:`tumorsim.model.clones`; chemotherapy drugs in :mod:`tumorsim.model.treatments`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ParameterSpec:
    """Metadata of one scalar parameter.

    Attributes
    ----------
    name : str
        Identifier, with the unit in the name where it has one (``_per_day``, ``_kpa``).
    default : float
        Value used when the scenario does not override it.
    unit : str
        Physical unit, ``"1"`` for dimensionless numbers.
    low, high : float
        Inclusive allowed range.
    source_tag : str
        One of ``V``, ``S``, ``D``, ``C`` (see module docstring).
    source : str
        Citation, or the reason for a modelling choice.
    symbol : str
        Symbol used in docs/model.md.
    group : str
        Which process the parameter belongs to (``growth``, ``metal_ros_pr``...).
    """

    name: str
    default: float
    unit: str
    low: float
    high: float
    source_tag: str
    source: str
    symbol: str
    group: str

    def check(self, value: float) -> str | None:
        """Return ``None`` if ``value`` is allowed, else a sentence saying what is allowed."""
        unit = "" if self.unit == "1" else f" {self.unit}"
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"must be a number in [{self.low:g}, {self.high:g}]{unit}"
        if math.isnan(value) or value < self.low or value > self.high:
            return f"must be in [{self.low:g}, {self.high:g}]{unit}"
        return None


def _p(
    name: str,
    default: float,
    unit: str,
    low: float,
    high: float,
    tag: str,
    source: str,
    symbol: str,
    group: str,
) -> ParameterSpec:
    spec = ParameterSpec(name, default, unit, low, high, tag, source, symbol, group)
    if not low <= default <= high:
        raise AssertionError(f"default of {name} outside its range")
    return spec


_LN2 = math.log(2.0)
_LIFE_TABLE_FIT = (
    "Gompertz-Makeham hazard lambda + alpha exp(beta age) fitted (least squares on the log "
    "of each year's integrated hazard, ages 30-100: python scripts/fit_life_table.py) to "
    "the female period life table of the United States, 1987 (Human Mortality Database, "
    "as shipped by the lifetables package; 1987: the middle of GBSG2's and TRANSBIG's "
    "recruitment)")

PARAMETER_SPECS: Final[tuple[ParameterSpec, ...]] = (
    # --- growth (docs/model.md §2.1, §2.9) ------------------------------------------------
    _p("primary_doubling_time_days", 157.0, "day", 20.0, 1000.0, "V",
       "Peer 1993 Cancer: median 157 d (121-204) at age 50-70", "DT", "growth"),
    _p("primary_doubling_time_under_50_days", 80.0, "day", 20.0, 1000.0, "V",
       "Peer 1993 Cancer: median 80 d (44-147) under age 50", "DT_<50", "growth"),
    _p("growth_rate_lognormal_sigma", 0.5, "1", 0.0, 2.0, "C",
       "spread of patient growth rates; Peer 1993 ranges span about 0.5 on the log scale",
       "sigma_g", "growth"),
    _p("grade_1_growth_multiplier", 0.7, "1", 0.1, 3.0, "C",
       "low grade grows slower than the age-median doubling time", "g_grade1", "growth"),
    _p("grade_3_growth_multiplier", 1.4, "1", 0.1, 3.0, "C",
       "high grade grows faster than the age-median doubling time", "g_grade3", "growth"),
    _p("metastasis_growth_multiplier", 1.0, "1", 0.1, 10.0, "C",
       "metastases grow on their own Gompertz curve at this multiple of the patient's rate; "
       "Peer 1993 doubling times come from screen-detected primaries", "m_met", "growth"),
    _p("max_growth_rate_per_day", 0.035, "1/day", 0.001, 0.5, "C",
       "cap on small-colony Gompertz rate: about a 20-day doubling, the fastest plausible",
       "g_max", "growth"),
    _p("colonisation_max_growth_rate_per_day", 0.035, "1/day", 0.001, 0.5, "C",
       "cap on the growth of a micrometastasis below colonisation_threshold_cells: "
       "outgrowth from an awakened cell to detection takes years (prior: doubling 40-150 "
       "days, 0.0046-0.017/day); the default, equal to g_max, leaves colonisation as fast "
       "as any small colony until it is calibrated", "g_col", "growth"),
    _p("colonisation_threshold_cells", 1e6, "cells", 1.0, 1e9, "C",
       "size below which a metastatic colony grows at most at g_col (a colonisation "
       "phase before it has its own niche)", "N_col", "growth"),
    _p("colonisation_growth_exponent", 0.0, "1", 0.0, 3.0, "C",
       "colonies of faster-growing tumours colonise faster: the colonisation cap is "
       "g_col f_p^k_col, f_p the patient's growth factor (her net growth at diagnosis over "
       "the grade-2, age-50+ median); 0, the default, gives every woman the same cap "
       "(a modelling choice, fitted)", "k_col", "growth"),
    _p("baseline_turnover_per_day", 0.01, "1/day", 0.0, 0.5, "C",
       "cell turnover that makes small colonies go extinct by chance", "d0", "growth"),
    _p("cells_per_cubic_mm", 1e5, "cells/mm^3", 1e4, 1e6, "D",
       "Del Monte 2009: ~1e8 cells per cm^3 of epithelial tumour", "rho_cells", "growth"),
    _p("natural_history_start_cells", 1e4, "cells", 1.0, 1e7, "C",
       "primary size at which the simulated natural history starts", "N_start", "growth"),
    _p("pr_fmol_half_max", 10.0, "fmol/mg", 0.1, 1000.0, "C",
       "PR fmol at which half the ER+ cells are PR+; 10 fmol is GBSG2's PR+ cut-off",
       "PR50", "growth"),
    _p("pr_fmol_hill_power", 1.0, "1", 0.25, 8.0, "C",
       "steepness of the PR fmol -> PR+ cell fraction map; above 1 a PR+ primary "
       "(>= 10 fmol/mg) is mostly PR+ cells (docs/model.md 2.10 e); 1 until calibrated",
       "n_PR", "growth"),
    _p("er_negative_cell_fraction_in_er_positive", 0.002, "1", 0.0, 0.5, "C",
       "minor ER- subclone in ER+ tumours (intratumour heterogeneity)", "f_ERneg",
       "growth"),
    # --- dissemination (2.2) ------------------------------------------------------------------
    _p("dissemination_coefficient", 2e-9, "cells^(1-gamma)/day", 0.0, 1e-3, "C",
       "scaled so a 2 cm primary seeds a handful of surviving cells (Michaelson 2005: ~1 spread "
       "event per 1e8 cells; Coumans 2013: 1 metastasis per 6e7 disseminated cells)",
       "mu0", "dissemination"),
    _p("dissemination_size_exponent", 2.0 / 3.0, "1", 0.0, 1.0, "S",
       "Iwata 2000 colonisation exponent alpha = 2/3 (cells on the tumour surface)",
       "gamma", "dissemination"),
    _p("dissemination_nodes_exponent", 1.0, "1", 0.0, 3.0, "C",
       "more positive nodes, more dissemination: mu_p = mu0 (1 + nodes)^beta_n", "beta_n",
       "dissemination"),
    _p("dissemination_size_mm_exponent", 0.0, "1", -3.0, 1.0, "C",
       "dissemination multiplied by (d / 20 mm)^beta_d, d the tumour's diameter at "
       "diagnosis: a correction of the covariate map on top of the surface law, which "
       "already makes a larger tumour seed more (its cells shed N^gamma over a longer "
       "history). 0 (no correction) by default; on the GBSG2 and TRANSBIG training parts "
       "the twins' Cox log hazard ratio per mm of size was 2-4 times the real one at run19's "
       "median (positive nodes already carry much of the spread a larger tumour has "
       "done), so the calibration fits it (docs/posterior.md)", "beta_d", "dissemination"),
    _p("dissemination_lognormal_sigma", 1.0, "1", 0.0, 3.0, "C",
       "between-patient spread of dissemination", "sigma_mu", "dissemination"),
    _p("dissemination_fold_per_grade", 1.0, "1", 0.1, 10.0, "C",
       "dissemination multiplied by this per histological grade above 2 (divided per grade "
       "below): mu_p x f_grade^(grade - 2). 1 (no effect beyond growth) by default; high "
       "grade is an independent risk factor for distant relapse in node-negative disease "
       "(TRANSBIG and GBSG2 training parts: Cox log HR per grade > 0), which the growth "
       "multipliers alone do not give (a faster tumour of the same size has had less time "
       "to seed); fitted by the calibration (docs/posterior.md)", "f_grade", "dissemination"),
    # --- dormancy and awakening (2.3) -----------------------------------------------------------
    _p("awakening_rate_per_day", _LN2 / (13.0 * 365.25), "1/day", 0.0, 0.1, "C",
       "dormancy escape half-life >= 12 years for pre-resection seeds (Willis 2010); 13 y used",
       "w0", "dormancy"),
    _p("dormant_death_rate_per_day", _LN2 / (8.0 * 365.25), "1/day", 0.0, 0.1, "C",
       "most dormant cells never relapse (Willis 2010: <= ~6 dangerous micrometastases)",
       "delta0", "dormancy"),
    _p("deep_awakening_rate_per_day", _LN2 / (20.0 * 365.25), "1/day", 0.0, 0.01, "C",
       "deep-dormant cells awaken over years to decades (prior half-life 5-30 "
       "years; Willis 2010: >= 12 years); 20 y used", "w_deep", "dormancy"),
    _p("deep_dormant_death_rate_per_day", _LN2 / (20.0 * 365.25), "1/day", 0.0, 0.1, "C",
       "deep-dormant cells persist for decades (late relapses 5-20 years on: Pan 2017)",
       "delta_deep", "dormancy"),
    _p("deep_dormancy_nodes_exponent", 0.0, "1", 0.0, 2.0, "C",
       "a woman's share of deep dormancy falls with positive nodes, (1 + nodes)^-kappa_n: "
       "node-positive disease has the sharp early recurrence peak and node-negative none "
       "(1,173 women after mastectomy alone, Breast Cancer Res 2005, PMC1064084); in "
       "node-negative ER+ disease the hazard persists beyond year 5 (Dignam 2009); 0, no "
       "node effect, by default (docs/posterior.md, what K3 asks)", "kappa_n", "dormancy"),
    _p("tamoxifen_dormancy_hold", 0.8, "1", 0.0, 1.0, "C",
       "endocrine therapy holds ER+ cells dormant (EBCTCG 2011 carry-over benefit)",
       "a_tam", "dormancy"),
    _p("inhibitor_awakening_block", 0.7, "1", 0.0, 1.0, "C",
       "DRP1 + NRF2 inhibition prevented DTC awakening (seed 002; Romani 2022)",
       "a_inh", "dormancy"),
    _p("antioxidant_dormant_protection", 0.8, "1", 0.0, 1.0, "C",
       "antioxidant capacity lowers dormant-cell death (seed 002; Romani 2022)", "a_AO",
       "dormancy"),
    # --- mechanism 1: metals -> ROS -> PR loss (2.4) ---------------------------------------------
    _p("metal_internal_dose_time_constant_days", 90.0, "day", 1.0, 3650.0, "C",
       "internal dose follows exposure over months", "tau_m", "metal_ros_pr"),
    _p("ros_per_arsenic_ug_per_l", 0.15, "1/(ug/L)", 0.0, 10.0, "C",
       "arsenite raises ROS in MCF-7 at 0.5-5 uM (Ruiz-Ramos 2009); 10 ug/L = 0.133 uM",
       "k_As", "metal_ros_pr"),
    _p("ros_per_lead_ug_per_dl", 0.1, "1/(ug/dL)", 0.0, 10.0, "C",
       "lead raises ROS (seed 000); US mean blood lead 0.82 ug/dL (NHANES)", "k_Pb",
       "metal_ros_pr"),
    _p("ros_per_chemotherapy", 0.5, "1", 0.0, 10.0, "C",
       "cytotoxic chemotherapy raises cellular ROS", "k_chemo", "metal_ros_pr"),
    _p("ros_antioxidant_reduction", 0.5, "1", 0.0, 10.0, "C",
       "NRF2 antioxidant programme lowers ROS (seed 002)", "k_AO", "metal_ros_pr"),
    _p("ros_quencher_reduction", 1.5, "1", 0.0, 10.0, "C",
       "quenching ROS reverses PR suppression (seed 000 grant abstract)", "k_Q",
       "metal_ros_pr"),
    _p("pr_loss_baseline_per_day", 3e-5, "1/day", 0.0, 0.1, "C",
       "spontaneous PR loss; with PR- motility makes 49.4 % PR+ -> PR- metastases reachable "
       "(Schrijver 2018)", "h0", "metal_ros_pr"),
    _p("pr_loss_max_per_day", 0.01, "1/day", 0.0, 1.0, "C",
       "PR suppression needed > 6 months of chronic low-level arsenic (Mathison 2020)",
       "h_max", "metal_ros_pr"),
    _p("pr_loss_ros_half_max", 2.5, "1", 0.1, 20.0, "C",
       "ROS index giving half-maximal PR loss", "R50", "metal_ros_pr"),
    _p("pr_loss_hill_power", 6.0, "1", 0.5, 10.0, "C",
       "steep ROS dependence: baseline ROS loses PR slowly", "n", "metal_ros_pr"),
    _p("pr_regain_baseline_per_day", 2e-4, "1/day", 0.0, 0.1, "C",
       "1 month of washout did not fully reverse PR loss (Mathison 2020)", "r0",
       "metal_ros_pr"),
    _p("pr_regain_quencher_per_day", 0.02, "1/day", 0.0, 1.0, "C",
       "ROS quenching reverses PR suppression substantially (seed 000)", "r_Q",
       "metal_ros_pr"),
    # --- mechanism 2: chemo -> CXCL1/2 -> myeloid -> S100A8/9 (2.5) ------------------------------
    _p("cxcl_reference_cells", 1e7, "cells", 1.0, 1e13, "C",
       "site size at which the CXCL1/2 signal equals the clone's secretion", "N_ref",
       "chemo_cxcl_myeloid"),
    _p("cxcl_size_exponent", 0.25, "1", 0.0, 2.0, "C",
       "CXCL1/2 signal grows with site size", "beta_X", "chemo_cxcl_myeloid"),
    _p("cxcl_chemo_induction", 3.0, "1", 0.0, 50.0, "C",
       "chemotherapy raises CXCL1/2 via TNF-alpha (Acharyya 2012, qualitative)", "tau_TNF",
       "chemo_cxcl_myeloid"),
    _p("cxcl_high_prevalence", 0.2, "1", 0.0, 1.0, "C",
       "share of patients with the CXCL1/2-high trait (4q21 amplification)", "p_CXCLhigh",
       "chemo_cxcl_myeloid"),
    _p("cxcl_high_multiplier", 3.0, "1", 1.0, 100.0, "C",
       "CXCL1/2-high tumours secrete more (Acharyya 2012)", "x_high", "chemo_cxcl_myeloid"),
    _p("myeloid_recruitment_per_day", 0.1, "1/day", 0.0, 10.0, "C",
       "CD11b+Gr1+ myeloid recruitment by CXCL1/2 via CXCR2", "k_M", "chemo_cxcl_myeloid"),
    _p("myeloid_half_max_signal", 3.0, "1", 1e-6, 1e3, "C",
       "CXCL1/2 signal giving half-maximal recruitment", "X50", "chemo_cxcl_myeloid"),
    _p("myeloid_decay_per_day", 0.1, "1/day", 1e-4, 10.0, "C",
       "myeloid niche turnover (must be >= recruitment so M stays in 0..1)", "d_M",
       "chemo_cxcl_myeloid"),
    _p("myeloid_chemo_protection", 0.6, "1", 0.0, 1.0, "C",
       "S100A8/9 from myeloid cells keeps cancer cells alive under chemotherapy "
       "(Acharyya 2012)", "s_max", "chemo_cxcl_myeloid"),
    _p("myeloid_colonisation_boost", 1.0, "1", 0.0, 20.0, "C",
       "myeloid niche helps arriving cells survive and lung metastasis (Acharyya 2012)",
       "c_M", "chemo_cxcl_myeloid"),
    _p("chemo_signal_window_days", 7.0, "day", 1.0, 60.0, "C",
       "C_on(t) = 1 while a chemotherapy dose was given within this window", "w_chemo",
       "chemo_cxcl_myeloid"),
    # --- mechanism 3: stiffness -> DRP1 -> NRF2 -> antioxidant (2.7) ------------------------------
    _p("fission_half_max_stiffness_kpa", 3.0, "kPa", 0.01, 100.0, "C",
       "between lung (1.4 kPa) and stiff tumour stroma; soft ECM drives DRP1 fission "
       "(Romani 2022)", "E50", "stiffness_drp1_nrf2"),
    _p("fission_hill_power", 2.0, "1", 0.5, 10.0, "C",
       "steepness of the stiffness response", "n_E", "stiffness_drp1_nrf2"),
    _p("antioxidant_chemo_protection", 0.8, "1", 0.0, 1.0, "C",
       "NRF2 antioxidant programme resists ROS-dependent chemotherapy (Romani 2022)", "a_max",
       "stiffness_drp1_nrf2"),
    # --- treatments (2.6) ----------------------------------------------------------------------
    _p("residual_fraction_after_surgery", 3e-10, "1", 0.0, 1.0, "C",
       "cells left in the breast after surgery: the local recurrence source; a 2 cm "
       "tumour leaves a viable cell in about 1 woman in 10", "r_res",
       "treatment"),
    _p("tamoxifen_effect_pr_pos", 0.9, "1", 0.0, 1.0, "C",
       "fraction of ER+/PR+ growth blocked; tuned towards recurrence RR 0.43-0.53 "
       "(EBCTCG 2011; Nordenskjold 2016)", "e_PRpos", "treatment"),
    _p("tamoxifen_effect_pr_neg", 0.5, "1", 0.0, 1.0, "C",
       "smaller in ER+/PR- cells; PR- recurrence RR 0.53-0.87 is contested "
       "(EBCTCG 2011 vs Stockholm trial)", "e_PRneg", "treatment"),
    _p("pr_negative_primary_tamoxifen_share", 0.0, "1", 0.0, 1.0, "C",
       "share of the gap between tamoxifen's effect on ER+/PR+ and on ER+/PR- cells that "
       "ER+/PR- cells close in a woman whose primary was PR- (< 10 fmol/mg): PR- primaries "
       "benefit from tamoxifen about as much as PR+ ones (EBCTCG 2011), while PR lost by "
       "cells of a PR+ tumour marks growth-factor-driven endocrine resistance (Cui et al. "
       "2005 JCO 23:7721); 0 (ER+/PR- cells alike whatever the primary) by default",
       "omega_PR-", "treatment"),
    _p("endocrine_insensitive_fraction_pr_pos", 0.0, "1", 0.0, 1.0, "C",
       "share of patients with ER+/PR+ disease that is endocrine-insensitive (a patient "
       "trait); prior 20-60 %; 0 (every ER+ tumour sensitive) until calibrated",
       "p_ins,PR+", "treatment"),
    _p("endocrine_insensitive_fraction_pr_neg", 0.0, "1", 0.0, 1.0, "C",
       "share of patients with ER+/PR- disease that is endocrine-insensitive; prior above "
       "the PR+ share (PR loss marks endocrine resistance); 0 until calibrated",
       "p_ins,PR-", "treatment"),
    _p("endocrine_insensitive_effect_fraction", 0.1, "1", 0.0, 1.0, "C",
       "fraction of tamoxifen's effect left in endocrine-insensitive disease", "s_ins",
       "treatment"),
    _p("tamoxifen_kill_per_day", 0.0, "1/day", 0.0, 0.1, "C",
       "death hazard of proliferating ER+ cells at full tamoxifen effect (x E_tam): "
       "tamoxifen induces apoptosis in ER+ cells, so the benefit can outlast it (EBCTCG 2011 "
       "carry-over); 0 by default: GBSG2 cannot identify it, and the joint fit with K2 and "
       "K3 (tumorsim calibrate --claims K2,K3) does not keep K1 (docs/validation.md)",
       "k_tam", "treatment"),
    _p("tamoxifen_dormant_kill_per_day", 0.0, "1/day", 0.0, 0.1, "C",
       "death hazard of dormant ER+ cells at full tamoxifen effect (x E_tam): the occult "
       "reservoir shrinks while tamoxifen acts, so relapses are prevented, not deferred "
       "(EBCTCG 2011: RR 0.68 in years 5-9); 0 by default, as tamoxifen_kill_per_day",
       "k_tam,D", "treatment"),
    _p("tamoxifen_deep_dormant_kill_per_day", 0.0, "1/day", 0.0, 0.1, "C",
       "death hazard of deep-dormant ER+ cells at full tamoxifen effect (x E_tam): a "
       "hypothesis, not a finding: late relapses are endocrine-sensitive (extended "
       "tamoxifen lowers them, ATLAS 2013), so the cells that awaken late may be reached "
       "too; 0 by default (deep dormancy insensitive, docs/model.md 2.10 b); tested "
       "against K2 in docs/validation.md", "k_tam,deep", "treatment"),
    _p("tamoxifen_ramp_days", 28.0, "day", 0.0, 365.0, "C",
       "tamoxifen reaches steady state over weeks (half-life 5-7 days)", "tau_tam",
       "treatment"),
    _p("chemo_kill_days", 3.0, "day", 1.0, 14.0, "C",
       "days after each dose during which the kill hazard acts", "d_kill", "treatment"),
    _p("chemo_reference_growth_per_day", _LN2 / 157.0, "1/day", 1e-4, 1.0, "D",
       "Norton-Simon scaling: kill hazard x g_eff / g_ref, g_ref = ln2 / 157 d (Peer 1993)",
       "g_ref", "treatment"),
    _p("chemo_growth_exponent", 1.0, "1", 0.0, 2.0, "C",
       "how strongly the kill follows growth: hazard x (g_eff / g_ref)^nu; nu = 1 is "
       "Norton-Simon proportionality, nu = 0 a growth-independent kill", "nu", "treatment"),
    _p("dormant_chemo_factor", 0.05, "1", 0.0, 1.0, "C",
       "dormant cells are largely spared by chemotherapy", "kappa_D", "treatment"),
    # --- detection and death (2.8) -------------------------------------------------------------
    _p("survival_after_relapse_er_pos_months", 77.5, "month", 1.0, 600.0, "V",
       "median 76-79 months after distant relapse, ER+/HER2- (Savci-Heijink 2015)", "OS_ER+",
       "death"),
    _p("survival_after_relapse_er_neg_months", 27.0, "month", 1.0, 600.0, "V",
       "median 27 months after distant relapse, ER-/HER2- (Savci-Heijink 2015)", "OS_ER-",
       "death"),
    # death from other causes: a Gompertz-Makeham hazard (mechanisms.competing_mortality)
    _p("other_cause_makeham_per_year", 2.22435e-4, "1/year", 0.0, 0.01, "D",
       _LIFE_TABLE_FIT + "; the age-independent term; range 0-0.01/year, wide around the "
       "fit (which is the prior: not calibrated)",
       "λ_oc", "death"),
    _p("other_cause_gompertz_per_year", 2.72221e-5, "1/year", 1e-7, 1e-3, "D",
       _LIFE_TABLE_FIT + "; the Gompertz term at age 0; range 1e-7-1e-3/year, two orders "
       "of magnitude either side of the fit (which is the prior: not calibrated)", "α_oc",
       "death"),
    _p("other_cause_gompertz_slope_per_year", 0.0951189, "1/year", 0.05, 0.2, "D",
       _LIFE_TABLE_FIT + "; mortality doubles every ln 2 / β_oc = 7.3 years of age; range "
       "0.05-0.2/year (doubling every 3.5-14 years) around the fit (which is the prior: "
       "not calibrated)",
       "β_oc", "death"),
    # --- observation: how a simulated metastasis is called (claims K4, K5) ----------------------
    # appended at the end: the engine indexes this tuple; the kernel does not read these
    _p("involved_site_cells", 1e7, "cells", 1e5, 1e9, "C",
       "a distant site counts as involved at first distant relapse when it holds at least "
       "this many cells then (imaging finds lesions of a few mm, 1e6-1e8 cells at 1e8 "
       "cells/cm^3, Del Monte 2009), not when it is detected within a time window",
       "N_involved", "observation"),
    _p("pr_negative_ihc_cut_fraction", 0.01, "1", 0.01, 0.10, "C",
       "a metastasis is called PR- when fewer than this share of all its cells (ER- cells "
       "included) are PR+: the 1 % immunohistochemistry cut of ASCO/CAP; 10 % is the other "
       "cut in use among the studies Schrijver 2018 pooled", "c_PR", "observation"),
)

PARAMETERS: Final[Mapping[str, ParameterSpec]] = {p.name: p for p in PARAMETER_SPECS}
PARAMETER_INDEX: Final[Mapping[str, int]] = {p.name: i for i, p in enumerate(PARAMETER_SPECS)}
