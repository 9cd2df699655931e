"""Mechanisms as readable rules: one sentence per active process of a scenario.

In the spirit of PhysiCell's cell rules (Johnson et al., Cell 2025), every process the
engine simulates is stated as a sentence a biologist can read, print and check, e.g.::

    In ER+/PR+ cells, ROS increases the transition to ER+/PR− from h0 = 3e-05/day towards
    h_max = 0.01/day with half-max R50 = 2 and Hill power n = 4 — source: ... (C)

The sentences are generated from the scenario's resolved values
(:meth:`~tumorsim.model.scenario.Scenario.parameter`, ``site_value``, ``clone_value``,
the treatment plan and the exposures), so changing a parameter in a scenario changes
the printed rule. Nothing here simulates; the equations are those of docs/model.md
sections 2.1-2.8.

Numbers are printed with three significant digits (``f"{x:.3g}"``); day counts of 100 or
more are printed as whole days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from tumorsim.model.anatomy import CLONES, METASTATIC_SITES, SITES
from tumorsim.model.clones import CLONE_SOURCES
from tumorsim.model.laws import LAWS
from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.scenario import ExposureCourse, InhibitorSpec, Scenario
from tumorsim.model.sites import SITE_SOURCES, fission_level
from tumorsim.model.treatments import DRUGS, REGIMENS, RegimenPhase, phase_hazard

__all__ = ["MECHANISMS", "Rule", "format_rules", "rules_for"]


MECHANISMS: Final[dict[str, str]] = {
    "growth": "Growth (docs/model.md 2.1, 2.9)",
    "dissemination": "Dissemination (docs/model.md 2.2)",
    "dormancy": "Dormancy and awakening (docs/model.md 2.3)",
    "M1": "M1: heavy metals → ROS → PR loss (seed 000; docs/model.md 2.4)",
    "M2": "M2: chemotherapy → CXCL1/2 → myeloid cells → S100A8/9 (seed 001; docs/model.md 2.5)",
    "M3": "M3: soft tissue → DRP1 fission → NRF2 → antioxidant (seed 002; docs/model.md 2.7)",
    "treatment": "Treatments (docs/model.md 2.6)",
    "detection": "Detection and events (docs/model.md 2.8)",
}
"""Mechanism ids in printing order, with their headings."""

_CLONE_LABEL: Final[dict[str, str]] = {
    "ERpos_PRpos": "ER+/PR+",
    "ERpos_PRneg": "ER+/PR−",
    "ERneg": "ER−",
}

_TAG_ORDER: Final[str] = "VSDC"

_UNIT_TEXT: Final[dict[str, str]] = {
    "1": "",
    "1/day": "/day",
    "1/year": "/year",
    "day": " days",
    "month": " months",
    "cells": " cells",
    "kPa": " kPa",
    "cells/mm^3": " cells/mm³",
    "fmol/mg": " fmol/mg",
    "1/(ug/L)": " per µg/L",
    "1/(ug/dL)": " per µg/dL",
    "cells^(1-gamma)/day": " cells^(1−γ)/day",
}

_YEAR_DAYS: Final[float] = 365.25


@dataclass(frozen=True)
class Rule:
    """One process of the model stated as a sentence.

    Attributes
    ----------
    mechanism : str
        Mechanism id, a key of :data:`MECHANISMS`: ``"growth"``, ``"dissemination"``,
        ``"dormancy"``, ``"M1"``, ``"M2"``, ``"M3"``, ``"treatment"`` or ``"detection"``.
    process : str
        Short name of the process, e.g. ``"PR loss"``.
    sentence : str
        The rule in words, with the scenario's resolved values.
    parameters : tuple of str
        What the sentence uses: names of scalar parameters
        (:data:`tumorsim.model.parameters.PARAMETERS`) and dotted paths of per-site,
        per-clone, per-drug, exposure and treatment settings, e.g.
        ``"sites.lung.stiffness_kpa"``, ``"clones.ERneg.motility_multiplier"``,
        ``"drugs.cisplatin.ros_dependence"``, ``"exposures.arsenic"``,
        ``"treatment.tamoxifen.adherence"``.
    source : str
        Citation, followed in brackets by the source tags (V, S, D, C) of the default
        values used and by the names of any the scenario overrides.
    laws : tuple of str
        The laws of :data:`tumorsim.model.laws.LAWS` the sentence states; their equations
        in the sentence are printed from the law records (:func:`_eq`), so the text is the
        equation the kernels evaluate.
    """

    mechanism: str
    process: str
    sentence: str
    parameters: tuple[str, ...]
    source: str
    laws: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.process}: {self.sentence} — source: {self.source}"


# --- formatting helpers -------------------------------------------------------------------


def _g(x: float) -> str:
    """Three significant digits."""
    return f"{x:.3g}"


def _day(x: float) -> str:
    """A day on the scenario's time axis (day 0 = diagnosis)."""
    return f"{x:.0f}" if abs(x) >= 100 else _g(x)


def _days(x: float) -> str:
    """A duration in days, with years added for long ones."""
    if x >= 2 * _YEAR_DAYS:
        return f"{x:.0f} days ({_g(x / _YEAR_DAYS)} years)"
    return f"{_day(x)} days"


def _q(scenario: Scenario, name: str) -> str:
    """``symbol = value unit`` of a scalar parameter."""
    spec = PARAMETERS[name]
    unit = _UNIT_TEXT.get(spec.unit, f" {spec.unit}")
    return f"{spec.symbol} = {_g(scenario.parameter(name))}{unit}"


def _eq(law: str) -> str:
    """A law's equation with the model's symbols, e.g. ``h = h0 + h_max · R^n / ...``."""
    return LAWS[law].sentence()


def _join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _tag_and_override(scenario: Scenario, name: str) -> tuple[str | None, bool]:
    """Source tag of a name's default value and whether the scenario overrides it."""
    if name in PARAMETERS:
        return PARAMETERS[name].source_tag, name in scenario.parameters
    parts = name.split(".")
    if parts[0] == "sites" and len(parts) == 3:
        spec = scenario.sites.get(parts[1])  # type: ignore[call-overload]
        overridden = spec is not None and getattr(spec, parts[2]) is not None
        return SITE_SOURCES[parts[1]][parts[2]][0], overridden
    if parts[0] == "clones" and len(parts) == 3:
        spec = scenario.clones.get(parts[1])  # type: ignore[call-overload]
        overridden = spec is not None and getattr(spec, parts[2]) is not None
        return CLONE_SOURCES[parts[1]][parts[2]][0], overridden
    if parts[0] == "drugs" and len(parts) == 3:
        return DRUGS[parts[1]].source.split(";")[0].strip(), False
    # treatment.* and exposures.* are the scenario's own inputs, not defaults
    return None, False


def _rule(
    scenario: Scenario,
    mechanism: str,
    process: str,
    sentence: str,
    parameters: Iterable[str],
    citation: str,
    laws: Sequence[str] = (),
) -> Rule:
    names = tuple(dict.fromkeys([*parameters, *(p for x in laws for p in LAWS[x].parameters)]))
    tags: set[str] = set()
    overridden: list[str] = []
    for name in names:
        tag, over = _tag_and_override(scenario, name)
        if tag:
            tags.add(tag)
        if over:
            overridden.append(name)
    notes = []
    if tags:
        notes.append(", ".join(t for t in _TAG_ORDER if t in tags))
    if overridden:
        notes.append("scenario sets " + ", ".join(overridden))
    source = f"{citation} ({'; '.join(notes)})" if notes else citation
    return Rule(mechanism, process, sentence, names, source, tuple(laws))


def _off(scenario: Scenario, mechanism: str, switch: str, what: str, consequence: str) -> Rule:
    return _rule(
        scenario,
        mechanism,
        f"{switch} off",
        f"{what} is switched off in this scenario (mechanisms.{switch} = false): "
        f"{consequence}.",
        (),
        f"scenario switch mechanisms.{switch}",
    )


def _fission(scenario: Scenario, site: str) -> float:
    """F_s without inhibitor: E50^n / (E50^n + E_s^n) (docs/model.md 2.7)."""
    return fission_level(scenario.site_value(site, "stiffness_kpa"),
                         scenario.parameter("fission_half_max_stiffness_kpa"),
                         scenario.parameter("fission_hill_power"))


def _inhibitor_text(spec: InhibitorSpec, symbol: str) -> str:
    return (f"from day {_day(spec.start_day)} for {_days(spec.duration_days)} at "
            f"{symbol} = {_g(spec.inhibition)}")


def _phases(scenario: Scenario) -> list[RegimenPhase]:
    """The plan's chemotherapy phases with its cycle and interval overrides applied."""
    chemo = scenario.treatment.chemotherapy
    if chemo is None:
        return []
    return [
        RegimenPhase(p.drugs, chemo.cycles or p.cycles, chemo.interval_days or p.interval_days)
        for p in REGIMENS[chemo.regimen].phases
    ]


def _metal_peak_ros(scenario: Scenario) -> float | None:
    """ROS index at the peak level of the scenario's exposures once dose has caught up."""
    ex = scenario.exposures
    terms = []
    for course, k in ((ex.arsenic, "ros_per_arsenic_ug_per_l"),
                      (ex.lead, "ros_per_lead_ug_per_dl")):
        if course is not None:
            terms.append(scenario.parameter(k) * _peak(course))
    if not terms:
        return None
    return 1.0 + sum(terms)


def _peak(course: ExposureCourse) -> float:
    return course.level if course.level is not None else max(course.levels)


def _course_text(course: ExposureCourse, unit: str) -> str:
    if course.kind == "constant":
        assert course.level is not None
        return f"{_g(course.level)} {unit} at all times"
    points = list(zip(course.times_days, course.levels, strict=True))
    if course.kind == "steps":
        parts = [f"0 {unit} before day {_day(points[0][0])}"]
        parts += [f"{_g(v)} {unit} from day {_day(t)}" for t, v in points]
        return _join(parts)
    through = _join([f"{_g(v)} {unit} on day {_day(t)}" for t, v in points])
    return f"changes linearly through {through}, and stays constant outside that span"


# --- rules per mechanism --------------------------------------------------------------------


def _growth(s: Scenario) -> list[Rule]:
    plateaus = [f"{site} {_g(s.site_value(site, 'carrying_capacity_cells'))}" for site in SITES]
    multipliers = [f"{_CLONE_LABEL[c]} × {_g(s.clone_value(c, 'growth_multiplier'))}"
                   for c in CLONES]
    return [
        _rule(
            s, "growth", "Gompertz growth",
            "At every site, proliferating cells grow at the capped Gompertz rate "
            f"{_eq('capped_gompertz_rate')}, N_s counting all cells at the site, with the cap "
            f"{_q(s, 'max_growth_rate_per_day')} and plateaus K_s of {_join(plateaus)} cells; "
            f"the site's rate is {_eq('site_gompertz_rate')} with "
            f"{_q(s, 'metastasis_growth_multiplier')}; the cap is {_eq('growth_cap')}, "
            f"slowing colonies below {_q(s, 'colonisation_threshold_cells')} to "
            f"{_q(s, 'colonisation_max_growth_rate_per_day')}"
            + (" (no slower than any small colony: the default)"
               if s.parameter("colonisation_max_growth_rate_per_day")
               >= s.parameter("max_growth_rate_per_day") else "")
            + (f", times the woman's growth factor f_p to the power "
               f"{_q(s, 'colonisation_growth_exponent')}"
               if s.parameter("colonisation_growth_exponent") != 0.0
               else f" for every woman ({_q(s, 'colonisation_growth_exponent')})") + ".",
            [*(f"sites.{x}.carrying_capacity_cells" for x in SITES)],
            "Norton 1988 (Gompertz plateau); cap for small colonies; slow colonisation",
            ["capped_gompertz_rate", "site_gompertz_rate", "growth_cap"],
        ),
        _rule(
            s, "growth", "baseline turnover",
            f"Proliferating cells grow net at {_eq('proliferation_rate')}: they are born at "
            "that rate plus the turnover d0 and die at d0 plus the kill hazard k_P of "
            f"treatment, with {_q(s, 'baseline_turnover_per_day')}; a single founding cell "
            "makes a lasting colony with probability about 1 − d/b.",
            ["baseline_turnover_per_day"],
            "metastatic inefficiency (Coumans 2013)",
            ["proliferation_rate"],
        ),
        _rule(
            s, "growth", "clone growth",
            f"Each clone grows at {_eq('clone_growth_rate')}, its multiplier m_g,c being "
            f"{_join(multipliers)}.",
            [f"clones.{c}.growth_multiplier" for c in CLONES],
            "seed 000 (ER+/PR− more aggressive)",
            ["clone_growth_rate"],
        ),
        _rule(
            s, "growth", "doubling time at diagnosis",
            "The patient's rate g_p is lognormal "
            f"({_q(s, 'growth_rate_lognormal_sigma')}) around ln 2 / DT, with the primary "
            f"doubling time DT = {_g(s.parameter('primary_doubling_time_days'))} days at age "
            f"50 and over and {_q(s, 'primary_doubling_time_under_50_days')} under 50, "
            f"multiplied by {_q(s, 'grade_1_growth_multiplier')} for grade 1 and "
            f"{_q(s, 'grade_3_growth_multiplier')} for grade 3.",
            ["primary_doubling_time_days", "primary_doubling_time_under_50_days",
             "growth_rate_lognormal_sigma", "grade_1_growth_multiplier",
             "grade_3_growth_multiplier"],
            "Peer 1993 Cancer",
        ),
        _rule(
            s, "growth", "clone mix at diagnosis",
            "At diagnosis, an ER+ primary holds a share "
            f"{_q(s, 'er_negative_cell_fraction_in_er_positive')} of ER− cells; of the rest, "
            f"a share {_eq('pr_positive_cell_fraction')} is ER+/PR+ and the remainder "
            "ER+/PR−, PR being the tumour's progesterone receptor level, with "
            f"{_q(s, 'pr_fmol_half_max')} and {_q(s, 'pr_fmol_hill_power')}; an ER− "
            "primary is all ER−.",
            ["er_negative_cell_fraction_in_er_positive"],
            "intratumour heterogeneity; GBSG2 PR+ cut-off 10 fmol/mg",
            ["pr_positive_cell_fraction"],
        ),
        _rule(
            s, "growth", "natural history",
            f"Before diagnosis, the primary grows from {_q(s, 'natural_history_start_cells')} "
            "towards the Gompertz plateau "
            f"K_breast = {_g(s.site_value('breast', 'carrying_capacity_cells'))} cells "
            "until it holds "
            f"N_dx = rho_cells · (π/6) · d³ cells (d the diameter at diagnosis, mm) with "
            f"{_q(s, 'cells_per_cubic_mm')}; it disseminates all the while.",
            ["natural_history_start_cells", "sites.breast.carrying_capacity_cells",
             "cells_per_cubic_mm"],
            "Norton 1988; Del Monte 2009",
        ),
    ]


def _dissemination(s: Scenario) -> list[Rule]:
    if not s.mechanisms.dissemination:
        return [_off(s, "dissemination", "dissemination", "Dissemination",
                     "no cell leaves any site")]
    m2 = s.mechanisms.chemo_cxcl_myeloid
    boost = (f"; B_src = {_eq('colonisation_boost').split(' = ', 1)[1]} raises it by the "
             f"myeloid niche of the source site (M2), {_q(s, 'myeloid_colonisation_boost')}"
             ) if m2 else "; B_src = 1 (M2 off)"
    weights = {site: s.site_value(site, "tropism_weight") for site in METASTATIC_SITES}
    total = sum(weights.values())
    shares = [f"{site} {_g(w)} ({_g(100 * w / total)} %)" for site, w in weights.items()]
    by_clone = []
    for c in CLONES:
        multipliers = {site: s.clone_value(c, f"tropism_multiplier_{site}")
                       for site in METASTATIC_SITES}
        if all(m == 1.0 for m in multipliers.values()):
            continue
        own = {site: weights[site] * m for site, m in multipliers.items()}
        own_total = sum(own.values())
        by_clone.append(f"{_CLONE_LABEL[c]} " + ", ".join(
            f"{site} × {_g(m)} ({_g(100 * own[site] / own_total)} %)"
            for site, m in multipliers.items()))
    clone_text = ("; the clone multipliers m_d,c are 1 for every clone and site, so every "
                  "clone goes where the site weights say" if not by_clone
                  else "; the clone multipliers m_d,c are " + "; ".join(by_clone)
                  + " (1 where not named)")
    motility = [f"{_CLONE_LABEL[c]} × {_g(s.clone_value(c, 'motility_multiplier'))}"
                for c in CLONES]
    rules = [
        _rule(
            s, "dissemination", "dissemination rate",
            f"From each site with proliferating cells, {_eq('dissemination_rate')} cells "
            "leave per day (m̄ the motility of its proliferating clones, W the summed weight "
            f"of the destinations){boost}, with μ_p = μ0 · (1 + positive nodes)^β_n · "
            "(diameter / 20 mm)^β_d · f_grade^(grade − 2) · exp(σ_μ · z), "
            f"{_q(s, 'dissemination_coefficient')}, {_q(s, 'dissemination_size_exponent')}, "
            f"{_q(s, 'dissemination_nodes_exponent')}, "
            f"{_q(s, 'dissemination_size_mm_exponent')}, "
            f"{_q(s, 'dissemination_fold_per_grade')} and "
            f"{_q(s, 'dissemination_lognormal_sigma')}.",
            ["dissemination_coefficient", "dissemination_size_exponent",
             "dissemination_nodes_exponent", "dissemination_size_mm_exponent",
             "dissemination_fold_per_grade", "dissemination_lognormal_sigma",
             *(["myeloid_colonisation_boost"] if m2 else [])],
            "Michaelson 2005; Coumans 2013; Iwata 2000 (exponent)",
            ["dissemination_rate"],
        ),
        _rule(
            s, "dissemination", "tropism",
            "Each disseminated cell goes to a metastatic site in proportion to its weight "
            f"{_eq('destination_weight')}"
            + (" (B_d the myeloid colonisation boost there, M2)" if m2 else " (B_d = 1, M2 off)")
            + f", the clone's tropism weight there being {_eq('clone_tropism_weight')}, "
            "normalised over the metastatic sites for each clone; the site weights w_d are "
            f"{_join(shares)}{clone_text}. When the weights differ by clone, the clones' "
            "shares of the arrivals are weighted by their summed weights, and W is their "
            "motility-weighted mean.",
            [*(f"sites.{site}.tropism_weight" for site in METASTATIC_SITES),
             *(f"clones.{c}.tropism_multiplier_{site}" for c in CLONES
               for site in METASTATIC_SITES)],
            "relapse sites by subtype (PMC5040895): the packaged posterior fits the weights "
            "to them (claim K4), never sets them to them",
            ["destination_weight", "clone_tropism_weight"],
        ),
        _rule(
            s, "dissemination", "clone motility",
            f"Relative to ER+/PR+ cells, clones disseminate {_join(motility)} "
            "(PR loss promotes metastasis).",
            [f"clones.{c}.motility_multiplier" for c in CLONES],
            "seed 000",
        ),
    ]
    if s.mechanisms.secondary_seeding:
        seeding = ("Metastases with proliferating cells disseminate too (secondary seeding), "
                   "by the same rule as the primary, to the other metastatic sites.")
    else:
        seeding = ("Secondary seeding is switched off: only the primary disseminates "
                   "(mechanisms.secondary_seeding = false).")
    rules.append(_rule(s, "dissemination", "secondary seeding", seeding, (),
                       "docs/model.md 2.2, modelling choice"))
    return rules


def _per_clone(s: Scenario, attribute: str) -> list[str]:
    """``"<clone label> <value>"`` of a clone attribute for every clone, for rule text."""
    return [f"{_CLONE_LABEL[c]} {_g(s.clone_value(c, attribute))}" for c in CLONES]


def _dormancy(s: Scenario) -> list[Rule]:
    if not s.mechanisms.dormancy:
        return [_off(s, "dormancy", "dormancy", "Dormancy", "every arriving cell proliferates")]
    entry = [f"{site} {_g(s.site_value(site, 'dormancy_entry_probability'))}"
             for site in METASTATIC_SITES]
    deep = [f"{site} {_g(s.site_value(site, 'deep_dormancy_share'))}"
            for site in METASTATIC_SITES]
    deep_mult = _per_clone(s, "deep_dormancy_multiplier")
    entry_mult = _per_clone(s, "dormancy_entry_multiplier")
    wake_mult = _per_clone(s, "awakening_multiplier")
    death_mult = _per_clone(s, "dormant_death_multiplier")
    w0 = s.parameter("awakening_rate_per_day")
    delta0 = s.parameter("dormant_death_rate_per_day")
    m3 = s.mechanisms.stiffness_drp1_nrf2

    def half_life(rate: float) -> str:
        return f"half-life {_g(math.log(2) / rate / _YEAR_DAYS)} years" if rate > 0 else "never"

    clone_death = f", the clone's multiplier m_δ,c being {_join(death_mult)}"
    death_clones = [f"clones.{c}.dormant_death_multiplier" for c in CLONES]
    if m3:
        death = (f"{_eq('dormant_death_rate')}, {_q(s, 'dormant_death_rate_per_day')} "
                 f"({half_life(delta0)}){clone_death} and "
                 f"{_q(s, 'antioxidant_dormant_protection')}, so "
                 "the antioxidant capacity A_s of soft sites (M3) keeps them alive")
        death_params = ["dormant_death_rate_per_day", *death_clones,
                        "antioxidant_dormant_protection"]
    else:
        death = (f"{_eq('dormant_death_rate')}, {_q(s, 'dormant_death_rate_per_day')} "
                 f"({half_life(delta0)}){clone_death}; with M3 off, A_s = 0 and P_A = 1")
        death_params = ["dormant_death_rate_per_day", *death_clones]
    return [
        _rule(
            s, "dormancy", "dormancy entry",
            f"An arriving cell enters dormancy with probability "
            f"{_eq('dormancy_entry_fraction')}, the site's q_s being {_join(entry)} and the "
            f"clone's multiplier {_join(entry_mult)}; dormant cells do not divide. Of "
            "those, a fraction "
            f"{_eq('deep_dormancy_fraction')} enters deep dormancy, the site's share φ_s "
            f"being {_join(deep)}, the clone's multiplier {_join(deep_mult)} and the "
            f"woman's d_p = (1 + positive nodes)^-kappa_n with "
            f"{_q(s, 'deep_dormancy_nodes_exponent')}"
            + (" (no node effect)." if s.parameter("deep_dormancy_nodes_exponent") == 0
               else " (node-negative disease dormant deeper)."),
            [*(f"sites.{site}.dormancy_entry_probability" for site in METASTATIC_SITES),
             *(f"sites.{site}.deep_dormancy_share" for site in METASTATIC_SITES),
             *(f"clones.{c}.dormancy_entry_multiplier" for c in CLONES),
             *(f"clones.{c}.deep_dormancy_multiplier" for c in CLONES),
             "deep_dormancy_nodes_exponent"],
            "Willis 2010; Kim 2012; PMC1064084 (recurrence peaks by nodal status)",
            ["dormancy_entry_fraction", "deep_dormancy_fraction"],
        ),
        _rule(
            s, "dormancy", "deep dormancy",
            f"Deep-dormant cells awaken at {_eq('deep_awakening_rate')} with "
            f"{_q(s, 'deep_awakening_rate_per_day')} "
            f"({half_life(s.parameter('deep_awakening_rate_per_day'))}) and die at "
            f"{_eq('deep_dormant_death_rate')} with "
            f"{_q(s, 'deep_dormant_death_rate_per_day')}"
            + (": endocrine therapy does not reach them"
               if s.parameter("tamoxifen_deep_dormant_kill_per_day") == 0.0 else
               f" and {_q(s, 'tamoxifen_deep_dormant_kill_per_day')} at full tamoxifen "
               "effect (a hypothesis: late-awakening cells reached by endocrine therapy)")
            + ", chemotherapy only through the small dormant kill.",
            [],
            "Willis 2010 (>= 12 years); Pan 2017 (steady late hazard)",
            ["deep_awakening_rate", "deep_dormant_death_rate"],
        ),
        _rule(
            s, "dormancy", "awakening",
            f"Dormant cells awaken at {_eq('awakening_rate')}, with "
            f"{_q(s, 'awakening_rate_per_day')} ({half_life(w0)}) without treatment and "
            f"the clone's multiplier m_w,c {_join(wake_mult)}.",
            ["awakening_rate_per_day", *(f"clones.{c}.awakening_multiplier" for c in CLONES)],
            "Willis 2010 (dormancy escape half-life >= 12 years); Colleoni 2016, Hess 2003 "
            "(ER- relapses come early)",
            ["awakening_rate"],
        ),
        _rule(
            s, "dormancy", "tamoxifen holds dormancy",
            "In ER+ dormant cells, tamoxifen lowers awakening by the factor "
            f"(1 − a_tam · E_tam) with {_q(s, 'tamoxifen_dormancy_hold')}, and adds a death "
            f"hazard k_tam,D · E_tam with {_q(s, 'tamoxifen_dormant_kill_per_day')}"
            + (", so the occult reservoir shrinks while it acts."
               if s.parameter("tamoxifen_dormant_kill_per_day") > 0 else
               ": tamoxifen kills none of the cells it holds."),
            ["tamoxifen_dormancy_hold", "tamoxifen_dormant_kill_per_day"],
            "EBCTCG 2011 (carry-over benefit after tamoxifen stops)",
        ),
        _rule(
            s, "dormancy", "DRP1 + NRF2 inhibition blocks awakening",
            "While DRP1 and NRF2 inhibitors act together, awakening is lowered by the factor "
            "(1 − a_inh · I_DRP1NRF2), I_DRP1NRF2 = I_DRP1 · I_NRF2, with "
            f"{_q(s, 'inhibitor_awakening_block')}"
            + ("." if m3 else "; the inhibitors act through M3, which is off here."),
            ["inhibitor_awakening_block"],
            "seed 002; Romani 2022",
        ),
        _rule(
            s, "dormancy", "dormant death",
            f"Dormant cells die at {death}.",
            death_params,
            "Willis 2010; seed 002; Romani 2022",
            ["dormant_death_rate"],
        ),
    ]


def _m1(s: Scenario) -> list[Rule]:
    ex = s.exposures
    if not s.mechanisms.metal_ros_pr:
        ignored = "; the scenario's metal exposures have no effect" if (
            ex.arsenic is not None or ex.lead is not None) else ""
        return [_off(s, "M1", "metal_ros_pr", "M1 (metals → ROS → PR loss)",
                     f"cells neither lose nor regain PR{ignored}")]
    m3 = s.mechanisms.stiffness_drp1_nrf2
    rules = [
        _rule(
            s, "M1", "internal dose",
            f"Each metal's internal dose m follows its exposure E(t) as "
            f"{_eq('internal_dose_rate')} with {_q(s, 'metal_internal_dose_time_constant_days')}.",
            ["metal_internal_dose_time_constant_days"],
            "seed 000 (effects build over months: Mathison 2020)",
            ["internal_dose_rate"],
        ),
        _rule(
            s, "M1", "ROS index",
            f"At every site, the ROS index is {_eq('ros_index')}, with "
            f"{_q(s, 'ros_per_arsenic_ug_per_l')}, {_q(s, 'ros_per_lead_ug_per_dl')}, "
            f"{_q(s, 'ros_per_chemotherapy')} (C_on = 1 for "
            f"{_q(s, 'chemo_signal_window_days')} after each chemotherapy dose), "
            f"{_q(s, 'ros_antioxidant_reduction')}"
            f"{'' if m3 else ' (A_s = 0 while M3 is off)'} and "
            f"{_q(s, 'ros_quencher_reduction')} for a ROS quencher Q.",
            ["ros_per_arsenic_ug_per_l", "ros_per_lead_ug_per_dl", "ros_per_chemotherapy",
             "chemo_signal_window_days", "ros_antioxidant_reduction", "ros_quencher_reduction"],
            "Ruiz-Ramos 2009 (arsenite raises ROS); seed 000; seed 002",
            ["ros_index"],
        ),
    ]
    h0 = s.parameter("pr_loss_baseline_per_day")
    h_max = s.parameter("pr_loss_max_per_day")
    r50 = s.parameter("pr_loss_ros_half_max")
    n = s.parameter("pr_loss_hill_power")

    def hazard(r: float) -> float:
        return h0 + h_max * r**n / (r50**n + r**n)

    at = f"at baseline R = 1 the hazard is {_g(hazard(1.0))}/day"
    peak = _metal_peak_ros(s)
    if peak is not None:
        at += (f", at this scenario's peak metal exposure (R = {_g(peak)} once the dose has "
               f"caught up) {_g(hazard(peak))}/day")
    rules.append(_rule(
        s, "M1", "PR loss",
        "In ER+/PR+ cells, ROS increases the transition to ER+/PR− from "
        f"{_q(s, 'pr_loss_baseline_per_day')} towards {_q(s, 'pr_loss_max_per_day')} with "
        f"half-max {_q(s, 'pr_loss_ros_half_max')} and Hill power "
        f"{_q(s, 'pr_loss_hill_power')} ({_eq('pr_loss_hazard')}); {at}.",
        ["pr_loss_baseline_per_day", "pr_loss_max_per_day", "pr_loss_ros_half_max",
         "pr_loss_hill_power"],
        "Mathison 2020 (PR suppression after > 6 months of arsenic); Schrijver 2018",
        ["pr_loss_hazard"],
    ))
    rules.append(_rule(
        s, "M1", "PR regain",
        f"In ER+/PR− cells, the transition back to ER+/PR+ runs at {_eq('pr_regain_hazard')} "
        f"with {_q(s, 'pr_regain_baseline_per_day')} and "
        f"{_q(s, 'pr_regain_quencher_per_day')}, so a ROS quencher Q reverses PR loss.",
        ["pr_regain_baseline_per_day", "pr_regain_quencher_per_day"],
        "Mathison 2020 (washout of 1 month did not restore PR); seed 000 grant abstract",
        ["pr_regain_hazard"],
    ))
    for name, course, unit, label, k, scale in (
        ("arsenic", ex.arsenic, "µg/L", "Arsenic in drinking water", "ros_per_arsenic_ug_per_l",
         "EPA drinking-water limit 10 µg/L"),
        ("lead", ex.lead, "µg/dL", "Blood lead", "ros_per_lead_ug_per_dl",
         "US geometric mean 0.82 µg/dL (NHANES)"),
    ):
        if course is None:
            continue
        rise = s.parameter(k) * _peak(course)
        rules.append(_rule(
            s, "M1", f"{name} exposure",
            f"{label} is {_course_text(course, unit)}; at its peak it adds up to "
            f"{PARAMETERS[k].symbol} × E = {_g(rise)} to the ROS index.",
            [f"exposures.{name}", k],
            f"scenario exposure; scale: {scale}",
        ))
    removal = s.treatment.exposure_removal
    if removal is not None:
        rules.append(_rule(
            s, "M1", "exposure removal",
            f"From day {_day(removal.day)}, all metal exposures drop to zero (chelation or a "
            "new water source); the internal dose then decays with tau_m = "
            f"{_g(s.parameter('metal_internal_dose_time_constant_days'))} days.",
            ["treatment.exposure_removal.day", "metal_internal_dose_time_constant_days"],
            "seed 000",
        ))
    return rules


def _m2(s: Scenario) -> list[Rule]:
    if not s.mechanisms.chemo_cxcl_myeloid:
        return [_off(s, "M2", "chemo_cxcl_myeloid",
                     "M2 (chemotherapy → CXCL1/2 → myeloid cells → S100A8/9)",
                     "there is no myeloid niche, protection or colonisation boost")]
    secretion = _per_clone(s, "cxcl_secretion")
    cxcr2 = s.treatment.cxcr2_inhibitor
    in_plan = (f"in this plan {_inhibitor_text(cxcr2, 'I_CXCR2')}" if cxcr2 is not None
               else "none in this plan")
    return [
        _rule(
            s, "M2", "CXCL1/2 signal",
            f"At each site with cancer cells, the CXCL1/2 signal is {_eq('cxcl_signal')} "
            "(χ_p the patient's multiplier, χ̄_s the cell-weighted mean secretion χ_c of the "
            "clones there; below one cell that fraction of one cell's signal), with "
            f"{_q(s, 'cxcl_reference_cells')}, {_q(s, 'cxcl_size_exponent')}, "
            f"{_q(s, 'cxcl_chemo_induction')}, C_on = 1 for "
            f"{_q(s, 'chemo_signal_window_days')} after each chemotherapy dose, and secretion "
            f"χ_c of {_join(secretion)}.",
            ["cxcl_reference_cells", "cxcl_size_exponent", "cxcl_chemo_induction",
             "chemo_signal_window_days", *(f"clones.{c}.cxcl_secretion" for c in CLONES)],
            "Acharyya 2012 Cell 150:165 (TNF-α from chemotherapy induces CXCL1/2)",
            ["cxcl_signal"],
        ),
        _rule(
            s, "M2", "CXCL1/2-high trait",
            f"A share {_q(s, 'cxcl_high_prevalence')} of patients carries the CXCL1/2-high "
            f"trait (4q21 amplification), multiplying χ_c by {_q(s, 'cxcl_high_multiplier')}.",
            ["cxcl_high_prevalence", "cxcl_high_multiplier"],
            "Acharyya 2012",
        ),
        _rule(
            s, "M2", "myeloid recruitment",
            "CXCL1/2 recruits CD11b+Gr1+ myeloid cells into the niche M_s (0..1) at "
            f"{_eq('myeloid_recruitment')} per day, with "
            f"{_q(s, 'myeloid_recruitment_per_day')} and {_q(s, 'myeloid_half_max_signal')}.",
            ["myeloid_recruitment_per_day", "myeloid_half_max_signal"],
            "Acharyya 2012",
            ["myeloid_recruitment"],
        ),
        _rule(
            s, "M2", "myeloid decay",
            f"The myeloid niche follows {_eq('myeloid_niche_rate')} with "
            f"{_q(s, 'myeloid_decay_per_day')}.",
            ["myeloid_decay_per_day"],
            "myeloid turnover",
            ["myeloid_niche_rate"],
        ),
        _rule(
            s, "M2", "S100A8/9 protection",
            "In proliferating cells, myeloid S100A8/9 lowers the chemotherapy kill hazard by "
            f"the factor {_eq('myeloid_protection')} with {_q(s, 'myeloid_chemo_protection')}.",
            ["myeloid_chemo_protection"],
            "Acharyya 2012",
            ["myeloid_protection"],
        ),
        _rule(
            s, "M2", "colonisation",
            "The myeloid niche raises a site's pull on disseminated cells and the seeding "
            f"from it by {_eq('colonisation_boost')} with "
            f"{_q(s, 'myeloid_colonisation_boost')}.",
            ["myeloid_colonisation_boost"],
            "Acharyya 2012 (myeloid cells support lung metastasis)",
            ["colonisation_boost"],
        ),
        _rule(
            s, "M2", "CXCR2 blockade",
            "A CXCR2 inhibitor multiplies myeloid recruitment by (1 − I_CXCR2), I_CXCR2 being "
            f"its inhibition while it is given ({in_plan}).",
            ["treatment.cxcr2_inhibitor"] if cxcr2 is not None else [],
            "Acharyya 2012 (CXCR2 blockade with chemotherapy shrinks tumours and lung "
            "metastasis)",
        ),
    ]


def _m3(s: Scenario) -> list[Rule]:
    if not s.mechanisms.stiffness_drp1_nrf2:
        return [_off(s, "M3", "stiffness_drp1_nrf2",
                     "M3 (soft tissue → DRP1 → NRF2 → antioxidant)",
                     "the antioxidant capacity A_s is 0 at every site")]
    per_site = [
        f"{site} ({_g(s.site_value(site, 'stiffness_kpa'))} kPa): fission "
        f"{_g(_fission(s, site))}"
        for site in SITES
    ]
    rules = [
        _rule(
            s, "M3", "DRP1 fission",
            "In soft tissue, cells raise DRP1-driven mitochondrial fission "
            f"{_eq('fission_level')} with "
            f"{_q(s, 'fission_half_max_stiffness_kpa')} and {_q(s, 'fission_hill_power')}; "
            f"without inhibitor: {_join(per_site)}.",
            ["fission_half_max_stiffness_kpa", "fission_hill_power",
             *(f"sites.{site}.stiffness_kpa" for site in SITES)],
            "Romani 2022 Nat Cell Biol (soft ECM → F-actin → DRP1/MIEF fission)",
            ["fission_level"],
        ),
        _rule(
            s, "M3", "NRF2 antioxidant",
            "Fission's mitochondrial ROS activates NRF2, giving the antioxidant capacity "
            f"{_eq('antioxidant_capacity')} (equal to the fission above without inhibitors), "
            "which lowers dormant-cell death, the ROS index and ROS-dependent chemotherapy "
            "kill.",
            [],
            "Romani 2022 (NRF2 → cystine uptake and glutathione)",
            ["antioxidant_capacity"],
        ),
    ]
    rho = sorted(DRUGS.values(), key=lambda d: -d.ros_dependence)
    drugs = [f"{d.name} {_g(d.ros_dependence)}" for d in rho]
    a_max = s.parameter("antioxidant_chemo_protection")
    sentence = (
        "Antioxidant capacity blunts ROS-dependent drugs: their kill hazard is multiplied by "
        f"{_eq('antioxidant_protection')} with {_q(s, 'antioxidant_chemo_protection')} and ROS "
        f"dependence ρ of {_join(drugs)}"
    )
    phases = _phases(s)
    if phases:
        kept = []
        for phase in phases:
            _, phase_rho = phase_hazard(phase)
            keep = {site: 1 - a_max * _fission(s, site) * phase_rho for site in METASTATIC_SITES}
            low = min(keep, key=keep.__getitem__)
            high = max(keep, key=keep.__getitem__)
            kept.append(f"{' + '.join(phase.drugs)} (ρ = {_g(phase_rho)}) keeps "
                        f"{_g(keep[low])} of its kill in {low} and {_g(keep[high])} in {high}")
        sentence += f"; in this plan, without inhibitors, {_join(kept)}"
    rules.append(_rule(
        s, "M3", "chemotherapy blunted",
        sentence + ".",
        ["antioxidant_chemo_protection", *(f"drugs.{d.name}.ros_dependence" for d in rho)],
        "Romani 2022 (resistance to ROS-dependent chemotherapy such as cisplatin)",
        ["antioxidant_protection"],
    ))
    return rules


def _treatments(s: Scenario) -> list[Rule]:
    plan = s.treatment
    rules: list[Rule] = []
    if plan.surgery:
        rules.append(_rule(
            s, "treatment", "surgery",
            "At day 0, surgery removes the primary, leaving a fraction "
            f"{_q(s, 'residual_fraction_after_surgery')} of its cells in the breast (the "
            "source of local recurrence).",
            ["residual_fraction_after_surgery"],
            "modelling choice",
        ))
    else:
        rules.append(_rule(
            s, "treatment", "no surgery",
            "There is no surgery: the primary stays and keeps disseminating.",
            ["treatment.surgery"],
            "scenario treatment plan",
        ))
    tam = plan.tamoxifen
    if tam is not None:
        e_pos = s.parameter("tamoxifen_effect_pr_pos")
        e_neg = s.parameter("tamoxifen_effect_pr_neg")
        omega = s.parameter("pr_negative_primary_tamoxifen_share")
        # the ER+/PR- cells' effect in a woman with a PR- primary, from the law itself
        pr_negative_primary_effect = LAWS["patient_clone_tamoxifen_effect"].evaluate({
            "clone_tamoxifen_effect": e_neg, "clone_er_positive": 1.0,
            "patient_pr_negative_primary": 1.0, "tamoxifen_effect_pr_pos": e_pos,
            "pr_negative_primary_tamoxifen_share": omega})
        rules.append(_rule(
            s, "treatment", "tamoxifen effect",
            f"Tamoxifen blocks a fraction {_eq('tamoxifen_effect')} of the growth of ER+ cells "
            "(s_p = 1 in endocrine-sensitive disease; in insensitive disease, a patient trait "
            f"with probability {_q(s, 'endocrine_insensitive_fraction_pr_pos')} for PR+ and "
            f"{_q(s, 'endocrine_insensitive_fraction_pr_neg')} for PR− tumours, "
            f"s_p = {_q(s, 'endocrine_insensitive_effect_fraction')}), e_c being "
            f"{_q(s, 'tamoxifen_effect_pr_pos')} in ER+/PR+ and "
            f"{_q(s, 'tamoxifen_effect_pr_neg')} in ER+/PR− cells, none in ER− cells; at "
            f"adherence {_g(tam.adherence)} that is {_g(e_pos * tam.adherence)} and "
            f"{_g(e_neg * tam.adherence)}. In a woman whose primary was PR− the ER+/PR− cells' "
            f"effect is {_eq('patient_clone_tamoxifen_effect')} with "
            f"{_q(s, 'pr_negative_primary_tamoxifen_share')}"
            + (": ER+/PR− cells respond alike whatever the primary."
               if omega == 0.0 else
               f" ({_g(pr_negative_primary_effect)}: PR− primaries respond more than "
               "cells that lost PR in a PR+ tumour)."),
            ["tamoxifen_effect_pr_pos", "tamoxifen_effect_pr_neg", "treatment.tamoxifen.adherence",
             "endocrine_insensitive_fraction_pr_pos", "endocrine_insensitive_fraction_pr_neg",
             "endocrine_insensitive_effect_fraction", "pr_negative_primary_tamoxifen_share"],
            "EBCTCG 2011 (recurrence RR 0.53; PR- primaries benefit about as much); "
            "Nordenskjöld 2016 (0.43 PR+, 0.87 PR−); Cui 2005 (PR loss and endocrine "
            "resistance)",
            ["tamoxifen_effect", "patient_clone_tamoxifen_effect"],
        ))
        k_tam = s.parameter("tamoxifen_kill_per_day")
        rules.append(_rule(
            s, "treatment", "tamoxifen kill",
            "Tamoxifen adds a death hazard k_tam · E_tam to proliferating ER+ cells, with "
            f"{_q(s, 'tamoxifen_kill_per_day')}"
            + (f" ({_g(k_tam * e_pos * tam.adherence)} per day in ER+/PR+ and "
               f"{_g(k_tam * e_neg * tam.adherence)} in ER+/PR− cells at this adherence), so "
               "occult lesions shrink while it acts and the benefit outlasts it."
               if k_tam > 0 else ": tamoxifen only slows growth here."),
            ["tamoxifen_kill_per_day", "tamoxifen_effect_pr_pos", "tamoxifen_effect_pr_neg"],
            "EBCTCG 2011 (carry-over: recurrence RR 0.68 in years 5-9)",
        ))
        rules.append(_rule(
            s, "treatment", "tamoxifen schedule",
            f"Tamoxifen is taken from day {_day(tam.start_day)} for "
            f"{_days(tam.duration_days)} at adherence {_g(tam.adherence)}; its level follows "
            f"{_eq('tamoxifen_level')}, with {_q(s, 'tamoxifen_ramp_days')}: it approaches "
            "full strength over weeks and fades the same way after it stops.",
            ["treatment.tamoxifen.start_day", "treatment.tamoxifen.duration_days",
             "treatment.tamoxifen.adherence", "tamoxifen_ramp_days"],
            "scenario treatment plan; tamoxifen pharmacokinetics",
            ["tamoxifen_level"],
        ))
    chemo = plan.chemotherapy
    if chemo is not None:
        phases = _phases(s)
        described = [f"{p.cycles} cycles of {' + '.join(p.drugs)} every "
                     f"{_g(p.interval_days)} days" for p in phases]
        rules.append(_rule(
            s, "treatment", "chemotherapy regimen",
            f"Chemotherapy {chemo.regimen} starts on day {_day(chemo.start_day)}: "
            f"{', then '.join(described)} ({sum(p.cycles for p in phases)} doses).",
            ["treatment.chemotherapy.regimen", "treatment.chemotherapy.start_day",
             *(["treatment.chemotherapy.cycles"] if chemo.cycles else []),
             *(["treatment.chemotherapy.interval_days"] if chemo.interval_days else [])],
            "scenario treatment plan; EBCTCG 2012"
            + ("; CALGB 9741 (dose-dense)" if chemo.regimen.startswith("dd") else ""),
        ))
        kill_days = s.parameter("chemo_kill_days")
        seen: set[tuple[str, ...]] = set()
        for phase in phases:
            if phase.drugs in seen:
                continue
            seen.add(phase.drugs)
            hazard, rho = phase_hazard(phase)
            rules.append(_rule(
                s, "treatment", f"kill by {' + '.join(phase.drugs)}",
                f"Each dose of {' + '.join(phase.drugs)} gives proliferating cells a kill "
                f"hazard of {_g(hazard)}/day for {_q(s, 'chemo_kill_days')} (a surviving "
                f"fraction of {_g(math.exp(-hazard * kill_days))} per dose at the reference "
                f"growth rate), with ROS dependence ρ = {_g(rho)}.",
                ["chemo_kill_days",
                 *(f"drugs.{d}.kill_hazard_per_day" for d in phase.drugs),
                 *(f"drugs.{d}.ros_dependence" for d in phase.drugs)],
                "to calibrate against EBCTCG 2012 mortality ratios",
            ))
        g_ref = s.parameter("chemo_reference_growth_per_day")
        g_max = s.parameter("max_growth_rate_per_day")
        nu = s.parameter("chemo_growth_exponent")
        top = [f"{_g((g_max * s.clone_value(c, 'growth_multiplier') / g_ref) ** nu)} in "
               f"{_CLONE_LABEL[c]}" for c in CLONES]
        rules.append(_rule(
            s, "treatment", "Norton-Simon scaling",
            "The kill hazard on proliferating cells is scaled by their growth rate "
            f"(Norton-Simon): {_eq('proliferating_kill_rate')}, C(t) the hazard of the dose, "
            "with "
            f"{_q(s, 'chemo_reference_growth_per_day')} (a "
            f"{_g(math.log(2) / g_ref)}-day doubling) and {_q(s, 'chemo_growth_exponent')}: "
            f"small colonies growing at {_q(s, 'max_growth_rate_per_day')} are hit up to "
            f"× {_join(top)}, a colony at its plateau not at all.",
            ["chemo_reference_growth_per_day", "max_growth_rate_per_day",
             "chemo_growth_exponent", *(f"clones.{c}.growth_multiplier" for c in CLONES)],
            "Norton-Simon hypothesis; Peer 1993 (reference doubling time)",
            ["proliferating_kill_rate"],
        ))
        if s.mechanisms.dormancy:
            rules.append(_rule(
                s, "treatment", "dormant cells spared",
                "Dormant cells receive the unscaled chemotherapy hazard × "
                f"{_q(s, 'dormant_chemo_factor')}.",
                ["dormant_chemo_factor"],
                "dormant cells lack the targets of chemotherapy (seed 002)",
            ))
    for key, label, symbol, effect, mech, citation in (
        ("cxcr2_inhibitor", "A CXCR2 inhibitor", "I_CXCR2", "blocks myeloid recruitment",
         "chemo_cxcl_myeloid", "seed 001; Acharyya 2012"),
        ("drp1_inhibitor", "A DRP1 inhibitor (mdivi-1)", "I_DRP1",
         "lowers mitochondrial fission F_s", "stiffness_drp1_nrf2", "seed 002; Romani 2022"),
        ("nrf2_inhibitor", "An NRF2 inhibitor (ML385)", "I_NRF2",
         "lowers antioxidant capacity A_s", "stiffness_drp1_nrf2", "seed 002; Romani 2022"),
        ("ros_quencher", "A ROS quencher", "Q",
         "lowers ROS by k_Q · Q and restores PR at r_Q · Q", "metal_ros_pr",
         "seed 000 grant abstract"),
    ):
        spec: InhibitorSpec | None = getattr(plan, key)
        if spec is None:
            continue
        inert = "" if getattr(s.mechanisms, mech) else (
            f"; it has no effect here because mechanisms.{mech} is off")
        rules.append(_rule(
            s, "treatment", key.replace("_", " "),
            f"{label} is given {_inhibitor_text(spec, symbol)}; it {effect}{inert}.",
            [f"treatment.{key}.start_day", f"treatment.{key}.duration_days",
             f"treatment.{key}.inhibition"],
            citation,
        ))
    if plan.drp1_inhibitor is not None and plan.nrf2_inhibitor is not None:
        block = (s.parameter("inhibitor_awakening_block") * plan.drp1_inhibitor.inhibition
                 * plan.nrf2_inhibitor.inhibition)
        rules.append(_rule(
            s, "treatment", "DRP1 + NRF2 together",
            "While DRP1 and NRF2 inhibitors overlap, they also block awakening of dormant "
            f"cells by a_inh · I_DRP1 · I_NRF2 = {_g(block)}"
            + ("." if s.mechanisms.dormancy and s.mechanisms.stiffness_drp1_nrf2
               else "; this has no effect here because mechanisms.dormancy or "
               "mechanisms.stiffness_drp1_nrf2 is off."),
            ["inhibitor_awakening_block", "treatment.drp1_inhibitor.inhibition",
             "treatment.nrf2_inhibitor.inhibition"],
            "seed 002; Romani 2022 (DRP1 + NRF2 inhibition prevented DTC awakening)",
        ))
    return rules


def _detection(s: Scenario) -> list[Rule]:
    sizes = [f"{site} {_g(s.site_value(site, 'detection_cells'))}" for site in SITES]
    rules = [
        _rule(
            s, "detection", "detection",
            "A relapse is detected when a site holds its detection size: "
            f"{_join(sizes)} cells (breast: local recurrence); the recurrence-free survival "
            "event is the first of them.",
            [f"sites.{site}.detection_cells" for site in SITES],
            "Del Monte 2009 (~1e8 cells per cm³); GBSG2 endpoint",
        ),
    ]
    if s.mechanisms.death_after_relapse:
        rules.append(_rule(
            s, "detection", "death after relapse",
            "After distant relapse, time to death is drawn with median "
            f"{_q(s, 'survival_after_relapse_er_pos_months')} for ER+ and "
            f"{_q(s, 'survival_after_relapse_er_neg_months')} for ER− disease.",
            ["survival_after_relapse_er_pos_months", "survival_after_relapse_er_neg_months"],
            "Savci-Heijink 2015",
        ))
    else:
        rules.append(_off(s, "detection", "death_after_relapse", "Death after relapse",
                          "overall survival is not simulated"))
    if s.mechanisms.competing_mortality:
        beta = s.parameter("other_cause_gompertz_slope_per_year")
        risks = [f"{_g(100 * _other_cause_risk(s, age, 10.0))} % at {age}"
                 for age in (50, 70)]
        rules.append(_rule(
            s, "detection", "death from other causes",
            "Each woman may die of other causes, at the hazard "
            f"{_eq('other_cause_death_hazard')} per year at age a, with "
            f"{_q(s, 'other_cause_makeham_per_year')}, {_q(s, 'other_cause_gompertz_per_year')} "
            f"and {_q(s, 'other_cause_gompertz_slope_per_year')} (mortality doubling every "
            f"{_g(math.log(2) / beta)} years of age): she dies when "
            f"{_eq('other_cause_cumulative_hazard')} reaches −ln u, u uniform on her own "
            "random stream (in the deterministic mode, ln 2: the median), so within 10 "
            f"years of diagnosis {_join(risks)}. Overall survival is the first of cancer "
            "death and other death; no relapse is observed after it, and relapse-free and "
            "distant-metastasis-free survival are censored at it.",
            [],
            "Gompertz-Makeham fit to the US female period life table 1987 (Human Mortality "
            "Database; scripts/fit_life_table.py)",
            ["other_cause_death_hazard", "other_cause_cumulative_hazard"],
        ))
    else:
        rules.append(_off(s, "detection", "competing_mortality", "Death from other causes",
                          "women die only of breast cancer, and overall survival counts no "
                          "other death"))
    return rules


def _other_cause_risk(s: Scenario, age: float, years: float) -> float:
    """Probability that a woman aged ``age`` dies of other causes within ``years``."""
    law = LAWS["other_cause_cumulative_hazard"]
    values = {p: s.parameter(p) for p in law.parameters}
    values.update(age_at_diagnosis_years=age, years_since_diagnosis=years)
    return 1.0 - math.exp(-law.evaluate(values))


# --- public API -----------------------------------------------------------------------------


def rules_for(scenario: Scenario) -> list[Rule]:
    """The model's processes for one scenario, each as a readable sentence.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its resolved parameter, site and clone values, mechanism switches,
        exposures and treatment plan fill the sentences.

    Returns
    -------
    list of Rule
        In the order of :data:`MECHANISMS`. A mechanism switched off in
        ``scenario.mechanisms`` contributes one sentence saying so; treatments appear only
        when the plan contains them, exposures only when the scenario sets them.

    Examples
    --------
    >>> from tumorsim.model.scenario import Scenario
    >>> rules = rules_for(Scenario(parameters={"pr_loss_max_per_day": 0.05}))
    >>> next(r for r in rules if r.process == "PR loss").sentence.count("h_max = 0.05/day")
    1
    """
    return [
        *_growth(scenario),
        *_dissemination(scenario),
        *_dormancy(scenario),
        *_m1(scenario),
        *_m2(scenario),
        *_m3(scenario),
        *_treatments(scenario),
        *_detection(scenario),
    ]


def format_rules(rules: Sequence[Rule]) -> str:
    """Plain text of rules, grouped by mechanism, one line per rule ending with its source.

    Parameters
    ----------
    rules : sequence of Rule
        Typically ``rules_for(scenario)``.

    Returns
    -------
    str
        For each mechanism (in the order of :data:`MECHANISMS`, unknown ids last), a
        heading line and then ``"  - process: sentence — source: citation"`` lines;
        groups are separated by a blank line. Ends with a newline unless ``rules`` is
        empty.
    """
    order = {m: i for i, m in enumerate(MECHANISMS)}
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.mechanism, []).append(rule)
    blocks = []
    for mechanism in sorted(groups, key=lambda m: order.get(m, len(order))):
        lines = [MECHANISMS.get(mechanism, mechanism)]
        lines += [f"  - {rule}" for rule in groups[mechanism]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""
