"""The mechanisms as PhysiCell cell rules (CBHG grammar, rules CSV version 3).

PhysiCell (Johnson et al., Cell 2025) states a hypothesis as one CSV row::

    cell type, signal, direction, behavior, saturation value, half-max, Hill power,
    applies to dead

meaning "in <cell type>, <signal> increases/decreases <behavior> from its base value
(set in the cell definition) towards <saturation value> with a Hill response of that
half-max and power". This module writes every law of :mod:`tumorsim.model.laws` that has
such a counterpart as rows, from the same records ``tumorsim rules`` prints, with the
scenario's values converted to PhysiCell's units (rates per minute, not per day); a law
with no exact counterpart gets the closest rows and a note saying how they differ, and a
law with none (organ-to-organ dissemination, the internal metal dose...) a note saying
why. :func:`write_physicell` also writes the cell definitions, custom variables and
substrates the rows need, as a fragment of ``PhysiCell_settings.xml``.

Cell types are the clones (``ERpos_PRpos``, ``ERpos_PRneg``, ``ERneg``), each also as a
dormant type (``<clone>_dormant``, no cycle entry), and ``myeloid_cell`` (CD11b+Gr1+).
Signals: the substrates of :data:`SUBSTRATES` (drugs and exposures normalised to 0..1 =
the plan's level, CXCL1/2 and S100A8/9 in the model's signal units) and the custom cell
variables of :data:`CUSTOM_VARIABLES` (ROS index, tissue stiffness, fission, antioxidant
capacity).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from xml.sax.saxutils import escape

from tumorsim.errors import TumorsimError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.model.anatomy import CLONES
from tumorsim.model.laws import LAWS
from tumorsim.model.scenario import Scenario
from tumorsim.model.treatments import DRUGS, REGIMENS, phase_hazard

__all__ = [
    "COLUMNS",
    "CUSTOM_VARIABLES",
    "SUBSTRATES",
    "PhysiCellRule",
    "physicell_rules",
    "rules_csv",
    "settings_fragment",
    "write_physicell",
]

MINUTES_PER_DAY: Final[float] = 1440.0

COLUMNS: Final[tuple[str, ...]] = (
    "cell type", "signal", "direction", "behavior", "saturation value", "half-max",
    "Hill power", "applies to dead",
)
"""The columns of a rules CSV (version 3), in order; the file itself has no header."""

SUBSTRATES: Final[dict[str, str]] = {
    "arsenic": "internal arsenic dose, µg/L of drinking water equivalent",
    "lead": "internal lead dose, µg/dL of blood equivalent",
    "chemotherapy": "chemotherapy exposure, 1 = a dose's kill window",
    "tamoxifen": "tamoxifen exposure, 0..1 (PK ramp and adherence)",
    "ros_quencher": "ROS quencher, 0..1",
    "cxcr2_inhibitor": "CXCR2 inhibition, 0..1",
    "drp1_inhibitor": "DRP1 inhibition (mdivi-1), 0..1",
    "nrf2_inhibitor": "NRF2 inhibition (ML385), 0..1",
    "cxcl1_2": "CXCL1/2 signal, tumorsim signal units (X_s)",
    "s100a8_9": "S100A8/9 from myeloid cells, as the myeloid niche level 0..1 (M_s)",
}
"""Substrates (PhysiCell microenvironment variables) the rules use."""

CUSTOM_VARIABLES: Final[dict[str, str]] = {
    "ros_index": "ROS index, 1 = baseline (tumorsim R)",
    "stiffness_kpa": "stiffness of the tissue around the cell, kPa (E_s)",
    "fission": "DRP1 fission level without inhibitor, 0..1 (F_s)",
    "antioxidant_capacity": "NRF2 antioxidant capacity, 0..1 (A_s)",
}
"""Custom cell variables (signals ``custom:<name>``; behaviors of the same name)."""

DORMANT_SUFFIX: Final[str] = "_dormant"
DEEP_SUFFIX: Final[str] = "_deep_dormant"
MYELOID: Final[str] = "myeloid_cell"
_ER_POSITIVE: Final[tuple[str, ...]] = ("ERpos_PRpos", "ERpos_PRneg")

Direction = Literal["increases", "decreases"]


@dataclass(frozen=True)
class PhysiCellRule:
    """One CSV row, with the tumorsim law it states.

    Attributes
    ----------
    cell_type, signal, behavior : str
    direction : {"increases", "decreases"}
    saturation : float
        Value the behavior approaches as the signal rises (PhysiCell units: 1/min for
        rates).
    half_max, hill_power : float
        Of the Hill response; both > 0.
    law : str
        The law of :data:`tumorsim.model.laws.LAWS` the row comes from.
    exact : bool
        Whether the Hill response reproduces the law (with the base value of the
        settings fragment).
    note : str
        How the row differs from the law when it is not exact.
    """

    cell_type: str
    signal: str
    direction: Direction
    behavior: str
    saturation: float
    half_max: float
    hill_power: float
    law: str
    exact: bool
    note: str = ""
    applies_to_dead: bool = False

    def row(self) -> list[str]:
        """The CSV row (``COLUMNS`` order)."""
        return [self.cell_type, self.signal, self.direction, self.behavior,
                _num(self.saturation), _num(self.half_max), _num(self.hill_power),
                "1" if self.applies_to_dead else "0"]


def _num(x: float) -> str:
    return f"{x:.6g}"


def _per_minute(rate_per_day: float) -> float:
    return rate_per_day / MINUTES_PER_DAY


def _linear(base: float, slope: float, signal_max: float = 1.0) -> tuple[float, float]:
    """Saturation and half-max of a Hill curve of power 1 standing in for a line.

    The line ``base + slope * s`` on ``0 <= s <= signal_max``. Rising: half-max ten times
    ``signal_max`` and the saturation that matches the line at both ends (in between the
    curve bends below it by at most 5 %). Falling to a positive value: saturation 0 and
    the half-max that matches both ends (a hyperbola below the line in between). Falling
    to zero or below: saturation 0, half-max ``signal_max / 2`` (halved at mid-range).
    """
    if slope >= 0.0:
        half_max = 10.0 * signal_max
        return base + slope * (half_max + signal_max), half_max
    end = base + slope * signal_max
    if end > 0.0:
        return 0.0, base / -slope - signal_max
    return 0.0, 0.5 * signal_max


_LINEAR_NOTE = ("the law is linear in the signal; the Hill curve of power 1 matches it at 0 "
                "and at the top of the signal's range (a rise within 5 % between, a fall "
                "below the line between)")


def _proliferating(clones: Sequence[str] = CLONES) -> list[str]:
    return list(clones)


def _dormant(clones: Sequence[str] = CLONES) -> list[str]:
    return [c + DORMANT_SUFFIX for c in clones]


def _clone_of(cell: str) -> str:
    """The clone a dormant or deep-dormant cell type belongs to."""
    return cell.removesuffix(DEEP_SUFFIX).removesuffix(DORMANT_SUFFIX)


def _all_dormant(clones: Sequence[str] = CLONES) -> list[str]:
    return [*_dormant(clones), *(c + DEEP_SUFFIX for c in clones)]


def _reference_chemo_hazard(s: Scenario) -> tuple[float, float, str]:
    """Kill hazard (1/day) and ROS dependence of the plan's first chemotherapy phase."""
    chemo = s.treatment.chemotherapy
    if chemo is not None:
        hazard, rho = phase_hazard(REGIMENS[chemo.regimen].phases[0])
        return hazard, rho, f"the first phase of {chemo.regimen}"
    drug = max(DRUGS.values(), key=lambda d: d.kill_hazard_per_day)
    return drug.kill_hazard_per_day, drug.ros_dependence, f"{drug.name} (no chemotherapy " \
        "in this plan; the strongest drug as reference)"


# --- one mapping per law ---------------------------------------------------------------------

Mapping = Callable[[Scenario], tuple[list[PhysiCellRule], str]]


def _pr_loss(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    h0 = s.parameter("pr_loss_baseline_per_day")
    h_max = s.parameter("pr_loss_max_per_day")
    rows = [PhysiCellRule(src, "custom:ros_index", "increases", f"transform to {dst}",
                          _per_minute(h0 + h_max), s.parameter("pr_loss_ros_half_max"),
                          s.parameter("pr_loss_hill_power"), "pr_loss_hazard", True)
            for src, dst in (("ERpos_PRpos", "ERpos_PRneg"),
                             ("ERpos_PRpos_dormant", "ERpos_PRneg_dormant"),
                             ("ERpos_PRpos_deep_dormant", "ERpos_PRneg_deep_dormant"))]
    return rows, ""


def _pr_regain(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    r0 = _per_minute(s.parameter("pr_regain_baseline_per_day"))
    sat, hm = _linear(r0, _per_minute(s.parameter("pr_regain_quencher_per_day")))
    rows = [PhysiCellRule(src, "ros_quencher", "increases", f"transform to {dst}", sat, hm,
                          1.0, "pr_regain_hazard", False, _LINEAR_NOTE)
            for src, dst in (("ERpos_PRneg", "ERpos_PRpos"),
                             ("ERpos_PRneg_dormant", "ERpos_PRpos_dormant"),
                             ("ERpos_PRneg_deep_dormant", "ERpos_PRpos_deep_dormant"))]
    return rows, ""


def _ros(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    note = (_LINEAR_NOTE + "; PhysiCell combines the signals that raise (lower) a behavior "
            "in one Hill function, tumorsim adds them, so each row matches its signal "
            "acting alone")
    rows = []
    signals: tuple[tuple[str, str, float, Direction], ...] = (
            ("arsenic", "ros_per_arsenic_ug_per_l", 50.0, "increases"),
            ("lead", "ros_per_lead_ug_per_dl", 10.0, "increases"),
            ("chemotherapy", "ros_per_chemotherapy", 1.0, "increases"),
            ("custom:antioxidant_capacity", "ros_antioxidant_reduction", 1.0, "decreases"),
            ("ros_quencher", "ros_quencher_reduction", 1.0, "decreases"))
    for signal, slope_name, top, direction in signals:
        slope = s.parameter(slope_name) * (1.0 if direction == "increases" else -1.0)
        sat, hm = _linear(1.0, slope, top)
        for cell in _proliferating() + _all_dormant():
            rows.append(PhysiCellRule(cell, signal, direction, "custom:ros_index",
                                      max(sat, 0.0), hm, 1.0, "ros_index", False, note))
    return rows, ""


def _fission(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    rows = [PhysiCellRule(cell, "custom:stiffness_kpa", "decreases", "custom:fission", 0.0,
                          s.parameter("fission_half_max_stiffness_kpa"),
                          s.parameter("fission_hill_power"), "fission_level", True)
            for cell in _proliferating() + _dormant()]
    return rows, ""


def _antioxidant(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    note = ("A_s = F_s (1 - I_DRP1)(1 - I_NRF2) multiplies its factors; PhysiCell combines "
            "down-regulating signals in one Hill function, so each row matches its "
            "inhibitor acting alone (full inhibition gives 0 either way)")
    rows = []
    for cell in _proliferating() + _all_dormant():
        sat, hm = _linear(0.0, 1.0)
        rows.append(PhysiCellRule(cell, "custom:fission", "increases",
                                  "custom:antioxidant_capacity", sat, hm, 1.0,
                                  "antioxidant_capacity", False,
                                  "A_s equals F_s without inhibitors; " + _LINEAR_NOTE))
        for inhibitor in ("drp1_inhibitor", "nrf2_inhibitor"):
            sat, hm = _linear(1.0, -1.0)
            rows.append(PhysiCellRule(cell, inhibitor, "decreases",
                                      "custom:antioxidant_capacity", sat, hm, 1.0,
                                      "antioxidant_capacity", False, note))
    return rows, ""


def _kill(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    hazard, _, which = _reference_chemo_hazard(s)
    d0 = s.parameter("baseline_turnover_per_day")
    g_ref = s.parameter("chemo_reference_growth_per_day")
    nu = s.parameter("chemo_growth_exponent")
    g_max = s.parameter("max_growth_rate_per_day")
    k_tam = s.parameter("tamoxifen_kill_per_day")
    effects = {"ERpos_PRpos": s.parameter("tamoxifen_effect_pr_pos"),
               "ERpos_PRneg": s.parameter("tamoxifen_effect_pr_neg"), "ERneg": 0.0}
    note = (f"kill at the reference dose ({which}) of a colony growing at g_max: the "
            "Norton-Simon factor (g_c / g_ref)^nu is evaluated there, since PhysiCell "
            "has no growth-scaled response")
    rows = []
    for clone in CLONES:
        g_c = g_max * s.clone_value(clone, "growth_multiplier")
        kill = hazard * (g_c / g_ref) ** nu
        sat, hm = _linear(_per_minute(d0), _per_minute(kill))
        rows.append(PhysiCellRule(clone, "chemotherapy", "increases", "apoptosis", sat, hm,
                                  1.0, "proliferating_kill_rate", False,
                                  note + "; " + _LINEAR_NOTE))
        if effects[clone] > 0.0 and k_tam > 0.0:
            sat, hm = _linear(_per_minute(d0), _per_minute(k_tam * effects[clone]))
            rows.append(PhysiCellRule(clone, "tamoxifen", "increases", "apoptosis", sat, hm,
                                      1.0, "proliferating_kill_rate", False, _LINEAR_NOTE))
    text = "" if k_tam > 0.0 else ("tamoxifen kills no proliferating cell in this scenario "
                                   "(k_tam = 0): no tamoxifen-apoptosis row")
    return rows, text


def _myeloid_protection(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    s_max = s.parameter("myeloid_chemo_protection")
    rows = [PhysiCellRule(clone, "s100a8_9", "decreases", "apoptosis", 0.0, 0.5, 1.0,
                          "myeloid_protection", False,
                          f"S100A8/9 multiplies the chemotherapy kill by (1 - {s_max:.3g} "
                          "M_s); PhysiCell lowers all of apoptosis (turnover included) "
                          "towards the saturation, so this row is qualitative")
            for clone in CLONES]
    return rows, ""


def _antioxidant_protection(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    _, rho, which = _reference_chemo_hazard(s)
    a_max = s.parameter("antioxidant_chemo_protection")
    rows = [PhysiCellRule(clone, "custom:antioxidant_capacity", "decreases", "apoptosis",
                          0.0, 0.5, 1.0, "antioxidant_protection", False,
                          f"antioxidants multiply the ROS-dependent kill by (1 - {a_max:.3g} "
                          f"A_s rho), rho = {rho:.3g} for {which}; PhysiCell lowers all of "
                          "apoptosis, so this row is qualitative")
            for clone in CLONES]
    return rows, ""


def _dormant_death(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    return _death_rows(s, _dormant(), "dormant_death_rate_per_day", "dormant_death_rate",
                       clone_multiplier="dormant_death_multiplier"), ""


def _death_rows(s: Scenario, cells: Sequence[str], rate: str, law: str,
                clone_multiplier: str | None = None) -> list[PhysiCellRule]:
    """Apoptosis of dormant cells: lowered by antioxidants, raised by chemotherapy.

    ``clone_multiplier`` names the clone attribute that scales the baseline rate (the
    shallow-dormant cells' ``dormant_death_multiplier``); ``None`` for none.
    """
    a_ao = s.parameter("antioxidant_dormant_protection")
    hazard, _, which = _reference_chemo_hazard(s)
    kappa = s.parameter("dormant_chemo_factor")
    rows = []
    for cell in cells:
        delta = _per_minute(s.parameter(rate)) * (
            s.clone_value(_clone_of(cell), clone_multiplier) if clone_multiplier else 1.0)
        sat, hm = _linear(delta, -delta * a_ao)
        rows.append(PhysiCellRule(cell, "custom:antioxidant_capacity", "decreases",
                                  "apoptosis", max(sat, 0.0), hm, 1.0, law, False,
                                  _LINEAR_NOTE))
        sat, hm = _linear(delta, _per_minute(hazard * kappa))
        rows.append(PhysiCellRule(cell, "chemotherapy", "increases", "apoptosis", sat, hm,
                                  1.0, law, False, f"reference dose: {which}; " + _LINEAR_NOTE))
    return rows


def _awakening(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    a_tam = s.parameter("tamoxifen_dormancy_hold")
    a_inh = s.parameter("inhibitor_awakening_block")
    effects = {"ERpos_PRpos": s.parameter("tamoxifen_effect_pr_pos"),
               "ERpos_PRneg": s.parameter("tamoxifen_effect_pr_neg"), "ERneg": 0.0}
    rows = []
    for clone in CLONES:
        w0 = (_per_minute(s.parameter("awakening_rate_per_day"))
              * s.clone_value(clone, "awakening_multiplier"))
        cell = clone + DORMANT_SUFFIX
        if effects[clone] > 0.0:
            sat, hm = _linear(w0, -w0 * a_tam * effects[clone])
            rows.append(PhysiCellRule(cell, "tamoxifen", "decreases", f"transform to {clone}",
                                      max(sat, 0.0), hm, 1.0, "awakening_rate", False,
                                      _LINEAR_NOTE))
        for inhibitor in ("drp1_inhibitor", "nrf2_inhibitor"):
            rows.append(PhysiCellRule(
                cell, inhibitor, "decreases", f"transform to {clone}", w0 * (1.0 - a_inh),
                0.5, 1.0, "awakening_rate", False,
                "tumorsim blocks awakening by the product I_DRP1 I_NRF2 (both inhibitors "
                "together); PhysiCell has no product of signals, so each inhibitor lowers "
                "it alone and the rows overstate a single inhibitor's effect"))
    return rows, ""


def _deep_awakening(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    w = _per_minute(s.parameter("deep_awakening_rate_per_day"))
    a_inh = s.parameter("inhibitor_awakening_block")
    rows = [PhysiCellRule(f"{clone}{DEEP_SUFFIX}", inhibitor, "decreases",
                          f"transform to {clone}", w * (1.0 - a_inh), 0.5, 1.0,
                          "deep_awakening_rate", False,
                          "the block acts through the product I_DRP1 I_NRF2; each inhibitor "
                          "alone here (see awakening_rate)")
            for clone in CLONES for inhibitor in ("drp1_inhibitor", "nrf2_inhibitor")]
    return rows, ""


def _deep_death(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    cells = [f"{clone}{DEEP_SUFFIX}" for clone in CLONES]
    return _death_rows(s, cells, "deep_dormant_death_rate_per_day",
                       "deep_dormant_death_rate"), ""


def _proliferation(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    d0 = s.parameter("baseline_turnover_per_day")
    g_max = s.parameter("max_growth_rate_per_day")
    effects = {"ERpos_PRpos": s.parameter("tamoxifen_effect_pr_pos"),
               "ERpos_PRneg": s.parameter("tamoxifen_effect_pr_neg")}
    rows = []
    for clone in _ER_POSITIVE:
        birth = g_max * s.clone_value(clone, "growth_multiplier") + d0
        sat, hm = _linear(_per_minute(birth),
                          -_per_minute(g_max * s.clone_value(clone, "growth_multiplier")
                                       * effects[clone]))
        rows.append(PhysiCellRule(clone, "tamoxifen", "decreases", "cycle entry",
                                  max(sat, 0.0), hm, 1.0, "proliferation_rate", False,
                                  "cycle entry = birth rate b = g_c (1 - E_tam) + d0 of a "
                                  "colony growing at g_max; " + _LINEAR_NOTE))
    return rows, ""


def _capped_gompertz(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    rows = [PhysiCellRule(clone, "pressure", "decreases", "cycle entry", 0.0, 1.0, 2.0,
                          "capped_gompertz_rate", False,
                          "Gompertz slowing by the cells at the site (N_s / K_s) has no "
                          "PhysiCell counterpart; mechanical pressure slowing cycle entry is "
                          "the agent-based analogue")
            for clone in CLONES]
    return rows, ""


def _cxcl(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    tnf = s.parameter("cxcl_chemo_induction")
    rows = []
    for clone in CLONES:
        base = s.clone_value(clone, "cxcl_secretion")
        sat, hm = _linear(base, base * tnf)
        rows.append(PhysiCellRule(clone, "chemotherapy", "increases", "cxcl1_2 secretion", sat,
                                  hm, 1.0, "cxcl_signal", False,
                                  "secretion rate in the settings fragment's units (chi_c per "
                                  "cell); the size scaling (N_s / N_ref)^beta_X emerges from "
                                  "the number of secreting cells; " + _LINEAR_NOTE))
    return rows, ""


def _recruitment(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    k_m = s.parameter("myeloid_recruitment_per_day")
    x50 = s.parameter("myeloid_half_max_signal")
    rows = [
        PhysiCellRule(MYELOID, "cxcl1_2", "increases", "chemotactic response to cxcl1_2", 1.0,
                      x50, 1.0, "myeloid_recruitment", False,
                      f"tumorsim recruits myeloid cells into the niche at k_M X/(X50 + X), "
                      f"k_M = {k_m:.3g}/day: the same Hill curve (power 1, half-max X50) "
                      "drives the myeloid cells' chemotaxis up the CXCL1/2 gradient here"),
        PhysiCellRule(MYELOID, "cxcr2_inhibitor", "decreases",
                      "chemotactic response to cxcl1_2", 0.0, 0.5, 1.0,
                      "myeloid_recruitment", False,
                      "recruitment is multiplied by (1 - I_CXCR2); " + _LINEAR_NOTE),
    ]
    return rows, ""


def _niche(s: Scenario) -> tuple[list[PhysiCellRule], str]:
    d_m = _per_minute(s.parameter("myeloid_decay_per_day"))
    return [], (f"the niche decays at d_M M_s: myeloid cells die at apoptosis rate "
                f"{d_m:.3g}/min in the settings fragment and secrete S100A8/9 "
                "(s100a8_9 secretion), which stands for M_s")


def _no_counterpart(reason: str) -> Mapping:
    def mapping(s: Scenario) -> tuple[list[PhysiCellRule], str]:
        return [], reason
    return mapping


_MAPPINGS: Final[dict[str, Mapping]] = {
    "site_gompertz_rate": _no_counterpart(
        "a PhysiCell domain is one site; set each site's cycle entry in its own settings "
        "(metastases grow at m_met times the patient's rate)"),
    "pr_positive_cell_fraction": _no_counterpart(
        "the PR+ share of a primary at diagnosis is an initial condition: seed the "
        "ERpos_PRpos and ERpos_PRneg cell types in that proportion"),
    "growth_cap": _no_counterpart(
        "the cap on the growth rate (g_max, slower while a metastatic colony is below "
        "N_col) is the cycle entry base value of the settings fragment"),
    "capped_gompertz_rate": _capped_gompertz,
    "clone_growth_rate": _no_counterpart(
        "the clone multipliers are the cycle entry base values of the cell definitions in "
        "the settings fragment"),
    "proliferation_rate": _proliferation,
    "tamoxifen_level": _no_counterpart(
        "tamoxifen's PK ramp and adherence set the 'tamoxifen' substrate's level over time "
        "(a Dirichlet condition or a custom function), not a rule"),
    "patient_clone_tamoxifen_effect": _no_counterpart(
        "the rows use each clone's own effect e_c; ER+/PR- cells of a woman whose primary "
        "was PR- (pr_negative_primary_tamoxifen_share above 0) are a separate cell line "
        "with e_c,p in their tamoxifen rows"),
    "tamoxifen_effect": _no_counterpart(
        "the clone's effect e_c is folded into the tamoxifen rows of 'proliferation_rate' "
        "and 'awakening_rate'; an endocrine-insensitive patient (s_p < 1) is a separate "
        "cell line with those rows scaled by s_p"),
    "proliferating_kill_rate": _kill,
    "awakening_rate": _awakening,
    "dormant_death_rate": _dormant_death,
    "dormancy_entry_fraction": _no_counterpart(
        "whether an arriving cell enters dormancy (q_s times the clone's multiplier) happens "
        "on arrival in an organ (see dissemination_rate); seed a domain's dormant and "
        "proliferating cell types of each clone in that proportion"),
    "deep_dormancy_fraction": _no_counterpart(
        "the split of arriving cells between shallow and deep dormancy happens on arrival "
        "in an organ (see dissemination_rate); seed a domain's dormant cell types in that "
        "proportion"),
    "deep_awakening_rate": _deep_awakening,
    "deep_dormant_death_rate": _deep_death,
    "dissemination_rate": _no_counterpart(
        "dissemination carries cells between organs, which a single PhysiCell domain does "
        "not hold; seed a lung or bone domain with the cells tumorsim sends there"),
    "destination_weight": _no_counterpart("tropism between organs: see dissemination_rate"),
    "clone_tropism_weight": _no_counterpart(
        "the tropism weight of a clone at an organ decides where its disseminated cells go, "
        "between organs (see dissemination_rate); seed each organ's domain with the clone "
        "mix tumorsim sends there"),
    "other_cause_death_hazard": _no_counterpart(
        "death from other causes ends the patient, not a cell: stop the PhysiCell run at "
        "the patient's other_cause_death_days"),
    "other_cause_cumulative_hazard": _no_counterpart(
        "the patient's time of death from other causes (see other_cause_death_hazard)"),
    "internal_dose_rate": _no_counterpart(
        "the internal metal dose follows exposure with tau_m; set the 'arsenic' and 'lead' "
        "substrates to the internal dose"),
    "ros_index": _ros,
    "pr_loss_hazard": _pr_loss,
    "pr_regain_hazard": _pr_regain,
    "cxcl_signal": _cxcl,
    "myeloid_recruitment": _recruitment,
    "myeloid_niche_rate": _niche,
    "myeloid_protection": _myeloid_protection,
    "colonisation_boost": _no_counterpart(
        "the myeloid boost of colonisation weights the organs a disseminated cell goes to "
        "and the seeding from a site (see dissemination_rate); inside one domain S100A8/9 "
        "acts through the myeloid_protection row"),
    "fission_level": _fission,
    "antioxidant_capacity": _antioxidant,
    "antioxidant_protection": _antioxidant_protection,
}


def physicell_rules(scenario: Scenario) -> tuple[list[PhysiCellRule], dict[str, str]]:
    """The scenario's laws as PhysiCell rules, with a note per law where needed.

    Returns
    -------
    rules : list of PhysiCellRule
    notes : dict of str to str
        Per law name, what has no exact counterpart (empty when its rows are exact).
    """
    missing = sorted(set(LAWS) - set(_MAPPINGS))
    if missing:
        raise AssertionError(f"PhysiCell export: no mapping for laws {missing}")
    rules: list[PhysiCellRule] = []
    notes: dict[str, str] = {}
    for name in LAWS:
        rows, note = _MAPPINGS[name](scenario)
        rules.extend(rows)
        inexact = sorted({r.note for r in rows if not r.exact and r.note})
        notes[name] = "; ".join([note, *inexact] if note else inexact)
    return rules, notes


def rules_csv(scenario: Scenario) -> str:
    """The rules CSV (version 3): for each law a comment line, then its rows."""
    rules, notes = physicell_rules(scenario)
    out = io.StringIO()
    out.write(f"// tumorsim {scenario.name}: PhysiCell cell rules (CBHG v3); columns: "
              f"{' | '.join(COLUMNS)}\n")
    writer = csv.writer(out, lineterminator="\n")
    for name, law in LAWS.items():
        out.write(f"// {name} ({law.mechanism}, {law.process}): {law.sentence()}\n")
        if notes[name]:
            out.write(f"//   note: {notes[name]}\n")
        for rule in rules:
            if rule.law == name:
                writer.writerow(rule.row())
    return out.getvalue()


def _cell_types() -> list[str]:
    return [*CLONES, *_dormant(), *(c + DEEP_SUFFIX for c in CLONES), MYELOID]


def settings_fragment(scenario: Scenario) -> str:
    """Substrates, custom variables and cell definitions the rules need (XML fragment).

    Base values: cycle entry = birth rate of a colony growing at ``g_max`` (proliferating
    types; 0 for dormant ones), apoptosis = turnover ``d0`` (dormant: ``delta0``),
    transformation rates = the laws' baseline hazards, all per minute.
    """
    d0 = _per_minute(scenario.parameter("baseline_turnover_per_day"))
    g_max = scenario.parameter("max_growth_rate_per_day")
    h0 = _per_minute(scenario.parameter("pr_loss_baseline_per_day"))
    r0 = _per_minute(scenario.parameter("pr_regain_baseline_per_day"))
    w0 = _per_minute(scenario.parameter("awakening_rate_per_day"))
    delta0 = _per_minute(scenario.parameter("dormant_death_rate_per_day"))
    lines = ['<!-- tumorsim: PhysiCell_settings.xml fragment for cell_rules.csv -->',
             "<microenvironment_setup>"]
    for i, (name, meaning) in enumerate(SUBSTRATES.items()):
        lines.append(f'  <variable name="{name}" units="dimensionless" ID="{i}">'
                     f"<!-- {escape(meaning)} --></variable>")
    lines += ["</microenvironment_setup>", "<cell_definitions>"]
    w_deep = _per_minute(scenario.parameter("deep_awakening_rate_per_day"))
    delta_deep = _per_minute(scenario.parameter("deep_dormant_death_rate_per_day"))
    for k, cell in enumerate(_cell_types()):
        suffix = (DEEP_SUFFIX if cell.endswith(DEEP_SUFFIX)
                  else DORMANT_SUFFIX if cell.endswith(DORMANT_SUFFIX) else "")
        clone = cell.removesuffix(suffix) if suffix else cell
        dormant = bool(suffix)
        lines.append(f'  <cell_definition name="{cell}" ID="{k}">')
        if cell == MYELOID:
            death = _per_minute(scenario.parameter("myeloid_decay_per_day"))
            lines.append('    <cycle_entry units="1/min">0</cycle_entry>')
            lines.append(f'    <apoptosis_rate units="1/min">{_num(death)}</apoptosis_rate>')
            lines.append('    <secretion substrate="s100a8_9">1</secretion>')
        else:
            birth = 0.0 if dormant else _per_minute(
                g_max * scenario.clone_value(clone, "growth_multiplier")) + d0
            death = {"": d0, DORMANT_SUFFIX: delta0 * scenario.clone_value(
                clone, "dormant_death_multiplier"), DEEP_SUFFIX: delta_deep}[suffix]
            lines.append(f'    <cycle_entry units="1/min">{_num(birth)}</cycle_entry>')
            lines.append(f'    <apoptosis_rate units="1/min">{_num(death)}</apoptosis_rate>')
            lines.append(f'    <secretion substrate="cxcl1_2">'
                         f"{_num(scenario.clone_value(clone, 'cxcl_secretion'))}</secretion>")
            if clone == "ERpos_PRpos":
                lines.append(f'    <transformation_rate name="ERpos_PRneg{suffix}" '
                             f'units="1/min">{_num(h0)}</transformation_rate>')
            if clone == "ERpos_PRneg":
                lines.append(f'    <transformation_rate name="ERpos_PRpos{suffix}" '
                             f'units="1/min">{_num(r0)}</transformation_rate>')
            if dormant:
                wake = (w_deep if suffix == DEEP_SUFFIX
                        else w0 * scenario.clone_value(clone, "awakening_multiplier"))
                lines.append(f'    <transformation_rate name="{clone}" units="1/min">'
                             f"{_num(wake)}</transformation_rate>")
            lines.append("    <custom_data>")
            for name, meaning in CUSTOM_VARIABLES.items():
                value = {"ros_index": 1.0, "stiffness_kpa": 1.4}.get(name, 0.0)
                lines.append(f'      <{name} units="dimensionless" description='
                             f'"{escape(meaning)}">{_num(value)}</{name}>')
            lines.append("    </custom_data>")
        lines.append("  </cell_definition>")
    lines += ["</cell_definitions>", "<cell_rules>", "  <rulesets>",
              '    <ruleset protocol="CBHG" version="3.0" format="csv" enabled="true">',
              "      <folder>./config</folder>", "      <filename>cell_rules.csv</filename>",
              "    </ruleset>", "  </rulesets>", "</cell_rules>"]
    return "\n".join(lines) + "\n"


def write_physicell(scenario: Scenario, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``cell_rules.csv`` and ``PhysiCell_settings_fragment.xml`` into ``out_dir``.

    Returns
    -------
    list of Path
        The files written (each atomically).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise TumorsimError(f"--out: {out} is a file; allowed: a directory (new or existing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TumorsimError(f"--out: cannot create {out} ({exc.strerror}); allowed: a "
                            "writable directory") from None
    files = [(out / "cell_rules.csv", rules_csv(scenario)),
             (out / "PhysiCell_settings_fragment.xml", settings_fragment(scenario))]
    for path, text in files:
        write_text_atomic(path, text)
    return [p for p, _ in files]
