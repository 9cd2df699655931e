"""Covariates -> per-patient model parameters (the covariate map).

=====================  ====================================================================
covariate              what it sets, and why
=====================  ====================================================================
tumour size (mm)       cells at diagnosis ``N_dx = rho_cells * pi/6 * d^3`` (docs/model.md §2.9)
age, grade             growth: the net doubling time *at diagnosis* is Peer 1993's median
                       for the age band (80 d under 50, 157 d otherwise), divided by a
                       grade multiplier, times a lognormal patient factor; the Gompertz
                       rate follows as ``g_p = ln2 / DT / ln(K / N_dx)``, and the growth
                       factor ``f_p`` (that net growth over the grade-2, age-50+ median)
                       sets her colonisation speed
positive nodes, grade, dissemination ``mu_p = mu0 (1 + nodes)^beta_n (d / 20 mm)^beta_d
tumour size            f_grade^(grade - 2) exp(sigma_mu z)``
ER, PR (fmol/mg)       clone mix at diagnosis: ER- (< 10 fmol) tumours are all ``ERneg``;
                       ER+ tumours carry a small ER- subclone and a PR+ share of
                       ``PR / (PR + PR50)`` among ER+ cells
(random trait)         CXCL1/2-high (4q21 amplification) with prevalence ``p_CXCLhigh``
=====================  ====================================================================

Random factors come from each patient's ``PURPOSE_TRAITS`` stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.engine.random import PURPOSE_TRAITS, patient_uniforms
from tumorsim.model.laws import pr_positive_cell_fraction
from tumorsim.model.scenario import Scenario

DISSEMINATION_REFERENCE_SIZE_MM = 20.0
"""The diameter at which ``dissemination_size_mm_exponent`` leaves dissemination alone (the
package population's median tumour)."""


@dataclass(frozen=True)
class PatientParameters:
    """Per-patient parameter arrays, shape (n,) unless stated.

    Attributes
    ----------
    diagnosis_cells : ndarray
        Primary cells at diagnosis.
    gompertz_rate_per_day : ndarray
        ``g_p``.
    dissemination_coefficient : ndarray
        ``mu_p``.
    cxcl_multiplier : ndarray
        1, or ``cxcl_high_multiplier`` for CXCL1/2-high patients.
    clone_fractions : ndarray, shape (n, 3)
        Clone mix at diagnosis (ER+/PR+, ER+/PR-, ER-), rows sum to 1.
    endocrine_sensitivity : ndarray
        1 in endocrine-sensitive disease; ``endocrine_insensitive_effect_fraction`` in
        insensitive disease, drawn with probability ``endocrine_insensitive_fraction_pr_pos``
        or ``_pr_neg`` by the patient's PR status (>= 10 fmol/mg is PR+).
    growth_factor : ndarray
        ``f_p``: net growth rate at diagnosis over that of the grade-2 median tumour of a
        woman aged 50 or more (``ln2 / primary_doubling_time_days``); it scales her
        colonisation cap by ``f_p ** colonisation_growth_exponent``.
    deep_dormancy_factor : ndarray
        ``d_p = (1 + positive nodes) ** -deep_dormancy_nodes_exponent``: her multiplier of
        every site's share of dormancy that is deep (1 when the exponent is 0).
    pr_negative_primary : ndarray
        1.0 when her primary was PR- (< 10 fmol/mg), else 0.0: with
        ``pr_negative_primary_tamoxifen_share`` above 0 her ER+/PR- cells respond to
        tamoxifen more like ER+/PR+ ones (law ``patient_clone_tamoxifen_effect``).
    """

    diagnosis_cells: np.ndarray
    gompertz_rate_per_day: np.ndarray
    dissemination_coefficient: np.ndarray
    cxcl_multiplier: np.ndarray
    clone_fractions: np.ndarray
    endocrine_sensitivity: np.ndarray
    growth_factor: np.ndarray
    deep_dormancy_factor: np.ndarray
    pr_negative_primary: np.ndarray


def clone_fractions_at_diagnosis(
    er_fmol: np.ndarray, pr_fmol: np.ndarray, scenario: Scenario
) -> np.ndarray:
    """Clone mix at diagnosis from ER and PR in fmol/mg; shape (n, 3)."""
    er_pos = np.asarray(er_fmol) >= RECEPTOR_POSITIVE_FMOL
    pr = np.asarray(pr_fmol, dtype=float)
    er_neg_share = scenario.parameter("er_negative_cell_fraction_in_er_positive")
    pr_share = pr_positive_cell_fraction(pr, scenario.parameter("pr_fmol_half_max"),
                                         scenario.parameter("pr_fmol_hill_power"))
    out = np.zeros((er_pos.size, 3))
    out[:, 0] = np.where(er_pos, (1.0 - er_neg_share) * pr_share, 0.0)
    out[:, 1] = np.where(er_pos, (1.0 - er_neg_share) * (1.0 - pr_share), 0.0)
    out[:, 2] = np.where(er_pos, er_neg_share, 1.0)
    return out


def patient_parameters(scenario: Scenario, cohort: Cohort, seed: int) -> PatientParameters:
    """Map each patient's covariates to her model parameters.

    Parameters
    ----------
    scenario : Scenario
    cohort : Cohort
    seed : int
        Master seed (the traits stream of patient ``k`` is ``(seed, k, PURPOSE_TRAITS)``).

    Returns
    -------
    PatientParameters
    """
    cov = cohort.covariates
    # the stream is sequential: a trait added at the end leaves the earlier draws alone
    u = patient_uniforms(seed, cohort.patient_ids, 4, PURPOSE_TRAITS)
    size_mm = cov["tumour_size_mm"].to_numpy(float)
    diagnosis_cells = scenario.parameter("cells_per_cubic_mm") * math.pi / 6.0 * size_mm**3
    k_primary = scenario.site_value("breast", "carrying_capacity_cells")
    diagnosis_cells = np.minimum(diagnosis_cells, 0.5 * k_primary)

    age = cov["age_years"].to_numpy(float)
    doubling = np.where(age < 50.0, scenario.parameter("primary_doubling_time_under_50_days"),
                        scenario.parameter("primary_doubling_time_days"))
    grade = cov["grade"].to_numpy()
    grade_multiplier = np.select(
        [grade == 1, grade == 3],
        [scenario.parameter("grade_1_growth_multiplier"),
         scenario.parameter("grade_3_growth_multiplier")],
        1.0,
    )
    noise = np.exp(scenario.parameter("growth_rate_lognormal_sigma") * ndtri(u[:, 0]))
    growth_at_diagnosis = math.log(2.0) / doubling * grade_multiplier * noise

    fractions = clone_fractions_at_diagnosis(cov["er_fmol"].to_numpy(float),
                                             cov["pr_fmol"].to_numpy(float), scenario)
    clone_growth = np.array([scenario.clone_value(c, "growth_multiplier")
                             for c in ("ERpos_PRpos", "ERpos_PRneg", "ERneg")])
    mean_clone_growth = fractions @ clone_growth
    gompertz = growth_at_diagnosis / (mean_clone_growth * np.log(k_primary / diagnosis_cells))

    nodes = cov["positive_nodes"].to_numpy(float)
    dissemination = (scenario.parameter("dissemination_coefficient")
                     * (1.0 + nodes) ** scenario.parameter("dissemination_nodes_exponent")
                     * (size_mm / DISSEMINATION_REFERENCE_SIZE_MM)
                     ** scenario.parameter("dissemination_size_mm_exponent")
                     * scenario.parameter("dissemination_fold_per_grade") ** (grade - 2.0)
                     * np.exp(scenario.parameter("dissemination_lognormal_sigma")
                              * ndtri(u[:, 1])))
    cxcl = np.where(u[:, 2] < scenario.parameter("cxcl_high_prevalence"),
                    scenario.parameter("cxcl_high_multiplier"), 1.0)
    pr_positive = cov["pr_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL
    insensitive_share = np.where(pr_positive,
                                 scenario.parameter("endocrine_insensitive_fraction_pr_pos"),
                                 scenario.parameter("endocrine_insensitive_fraction_pr_neg"))
    sensitivity = np.where(u[:, 3] < insensitive_share,
                           scenario.parameter("endocrine_insensitive_effect_fraction"), 1.0)
    growth_factor = (growth_at_diagnosis * scenario.parameter("primary_doubling_time_days")
                     / math.log(2.0))
    deep_dormancy_factor = (1.0 + nodes) ** -scenario.parameter("deep_dormancy_nodes_exponent")
    return PatientParameters(diagnosis_cells, gompertz, dissemination, cxcl, fractions,
                             sensitivity, growth_factor, deep_dormancy_factor,
                             np.where(pr_positive, 0.0, 1.0))
