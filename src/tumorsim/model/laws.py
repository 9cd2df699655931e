"""The laws of the model, each written once.

A *law* is one rate or response of the biology — the capped Gompertz growth rate, the
ROS → PR-loss Hill curve, the myeloid recruitment by CXCL1/2 — written as a small pure
Python function of named arguments. Every other view of the law is derived from that one
function:

* the **stochastic kernel** and the **deterministic ODE mode** call it, compiled with
  numba (``tumorsim.engine.rates`` binds each argument named after a registry parameter
  to the scenario's parameter array, so the kernels pass only the state it depends on);
* the **SBML export** writes its kinetic laws with :meth:`Law.expression` in SBML's
  formula syntax (``style="sbml"``), from the function's own syntax tree;
* ``tumorsim rules`` prints :meth:`Law.expression` with the model's symbols
  (``style="text"``), e.g. ``h = h0 + h_max · R^n / (R50^n + R^n)``, next to the
  scenario's values of its parameters;
* :meth:`Law.evaluate` evaluates it in plain Python (tests hold the four views in
  agreement: ``tests/test_laws.py``).

Argument names are the contract: an argument named after a parameter of
:data:`tumorsim.model.parameters.PARAMETERS` is that parameter; every other argument is an
input (a state or driver of the model, described in :data:`INPUTS`). A law's function has
one ``return`` of one expression, built from ``+ - * / **``, ``min``, ``max``,
``math.exp``, ``math.log``, comparisons, ``and`` and conditional expressions
(``a if c else b``) — what numba, SBML and a sentence can all say.

To add a term to a law, edit its function here (adding a parameter to the registry if
the term needs one); the kernel, the ODE mode, SBML and ``tumorsim rules`` follow
(docs/architecture.md walks through an example).
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final, Literal

from tumorsim.model.parameters import PARAMETERS

__all__ = ["INPUTS", "LAWS", "Input", "Law", "law"]


@dataclass(frozen=True)
class Input:
    """A state or driver a law depends on (not a scalar parameter).

    Attributes
    ----------
    symbol : str
        How the rules print it.
    meaning : str
        What it is, with its unit.
    """

    symbol: str
    meaning: str


INPUTS: Final[dict[str, Input]] = {
    "site_cells": Input("N_s", "cells at the site, all clones and activities (cells)"),
    "carrying_capacity_cells": Input("K_s", "carrying capacity of the site (cells)"),
    "patient_gompertz_rate": Input("g_p", "the patient's Gompertz rate (1/day)"),
    "patient_growth_factor": Input("f_p", "the patient's net growth at diagnosis over the "
                                   "grade-2, age-50+ median (age band, grade and her "
                                   "lognormal factor; 1)"),
    "is_metastatic_site": Input("s is metastatic", "true at a metastatic site, false at the "
                                "breast"),
    "site_gompertz_rate": Input("g_s", "the Gompertz rate at the site (1/day)"),
    "site_growth_rate": Input("g_eff", "capped Gompertz rate at the site (1/day)"),
    "pr_fmol": Input("PR", "the tumour's progesterone receptor level (fmol/mg)"),
    "growth_cap": Input("g_cap", "cap on the Gompertz rate at the site (1/day)"),
    "dormancy_entry_probability": Input("q_s", "the site's probability that an arriving "
                                        "cell enters dormancy"),
    "dormancy_entry_multiplier": Input("m_q,c", "the clone's multiplier of that probability"),
    "deep_dormancy_share": Input("φ_s", "the site's share of dormancy that is deep"),
    "deep_dormancy_multiplier": Input("m_deep,c", "the clone's multiplier of that share"),
    "clone_awakening_multiplier": Input("m_w,c", "the clone's multiplier of the awakening "
                                        "rate (1)"),
    "clone_dormant_death_multiplier": Input("m_δ,c", "the clone's multiplier of the "
                                            "dormant cells' baseline death rate (1)"),
    "patient_deep_dormancy_factor": Input("d_p", "the patient's multiplier of that share, "
                                          "(1 + positive nodes)^-kappa_n (1)"),
    "endocrine_sensitivity": Input("s_p", "1 in endocrine-sensitive disease, s_ins in "
                                   "insensitive disease (a patient trait)"),
    "clone_growth_multiplier": Input("m_g,c", "the clone's growth multiplier (1)"),
    "clone_growth_rate": Input("g_c", "the clone's growth rate at the site (1/day)"),
    "clone_tamoxifen_effect": Input("e_c", "the clone's full tamoxifen effect (1)"),
    "clone_er_positive": Input("ER_c", "1 for an ER+ clone, 0 for the ER- clone"),
    "patient_pr_negative_primary": Input("p_PR-", "1 when the woman's primary was PR- "
                                         "(< 10 fmol/mg), else 0"),
    "patient_clone_tamoxifen_effect": Input("e_c,p", "the clone's full tamoxifen effect in "
                                            "this woman (1)"),
    "tamoxifen_level": Input("L_tam", "tamoxifen exposure, 0..1, PK ramp and adherence"),
    "tamoxifen_effect": Input("E_tam,c", "tamoxifen effect on the clone now (1)"),
    "chemo_hazard": Input("C(t)", "chemotherapy kill hazard of the current dose (1/day)"),
    "chemo_signal": Input("C_on", "1 for the signal window after a chemotherapy dose"),
    "chemo_ros_dependence": Input("ρ_drug", "ROS dependence of the drugs given (1)"),
    "myeloid_niche": Input("M_s", "myeloid niche at the site, 0..1"),
    "myeloid_protection": Input("P_M", "chemotherapy kill left by S100A8/9 (1)"),
    "antioxidant_capacity": Input("A_s", "NRF2 antioxidant capacity at the site, 0..1"),
    "antioxidant_protection": Input("P_A", "ROS-dependent kill left by antioxidants (1)"),
    "fission": Input("F_s", "DRP1 fission level without inhibitor, 0..1"),
    "stiffness_kpa": Input("E_s", "tissue stiffness (kPa)"),
    "drp1_inhibition": Input("I_DRP1", "DRP1 inhibition (mdivi-1), 0..1"),
    "nrf2_inhibition": Input("I_NRF2", "NRF2 inhibition (ML385), 0..1"),
    "cxcr2_inhibition": Input("I_CXCR2", "CXCR2 inhibition, 0..1"),
    "ros_quencher": Input("Q", "ROS quencher, 0..1"),
    "ros_index": Input("R", "ROS index, 1 = baseline"),
    "arsenic_exposure": Input("E_As", "arsenic in drinking water now (µg/L)"),
    "lead_exposure": Input("E_Pb", "blood lead now (µg/dL)"),
    "exposure": Input("E", "a metal's exposure now"),
    "internal_dose": Input("m", "a metal's internal dose"),
    "internal_arsenic": Input("m_As", "internal arsenic dose (µg/L equivalent)"),
    "internal_lead": Input("m_Pb", "internal lead dose (µg/dL equivalent)"),
    "patient_cxcl_multiplier": Input("χ_p", "the patient's CXCL1/2 multiplier (1)"),
    "mean_cxcl_secretion": Input("χ̄_s", "cell-weighted mean CXCL1/2 secretion of the clones"),
    "cxcl_signal": Input("X_s", "CXCL1/2 signal at the site"),
    "myeloid_recruitment": Input("k_M(X)", "myeloid recruitment now (1/day)"),
    "patient_dissemination_coefficient": Input("μ_p", "the patient's dissemination "
                                               "coefficient (cells^(1−γ)/day)"),
    "proliferating_cells": Input("N_P", "proliferating cells at the source site (cells)"),
    "motile_share": Input("m̄", "proliferating-cell-weighted mean clone motility (1)"),
    "source_colonisation_boost": Input("B_src", "myeloid boost at the source site (1)"),
    "destination_weight_total": Input("W", "sum of the destinations' tropism weights (its "
                                      "motility-weighted mean over the clones when the "
                                      "weights differ by clone)"),
    "tropism_weight": Input("w_d,c", "tropism weight of the destination site for the clone ("
                            "w_d,c normalised over the metastatic sites)"),
    "site_tropism_weight": Input("w_d", "the site's tropism weight (sites.<site>.tropism_weight)"),
    "clone_tropism_multiplier": Input("m_d,c", "the clone's multiplier of the site's "
                                      "tropism weight (clones.<clone>.tropism_multiplier_<site>)"),
    "age_years": Input("a", "the woman's age (years)"),
    "age_at_diagnosis_years": Input("a_dx", "the woman's age at diagnosis (years)"),
    "years_since_diagnosis": Input("t_y", "years since diagnosis"),
    "colonisation_boost": Input("B_d", "myeloid colonisation boost at the destination"),
    "days": Input("t", "days since diagnosis"),
    "start_day": Input("t_start", "first day of tamoxifen"),
    "end_day": Input("t_end", "day tamoxifen stops"),
    "adherence": Input("a", "share of doses taken, 0..1"),
}
"""Every input a law may take, by argument name."""


Style = Literal["text", "sbml", "python"]


@dataclass(frozen=True)
class Law:
    """One law of the model: its function, what it computes, and where it comes from.

    Attributes
    ----------
    function : callable
        The law, a pure function of named arguments returning one float.
    mechanism : str
        ``"growth"``, ``"dissemination"``, ``"dormancy"``, ``"M1"``, ``"M2"``, ``"M3"``,
        ``"treatment"`` or ``"detection"`` (death from other causes).
    process : str
        Short name, e.g. ``"PR loss"``.
    symbol : str
        The symbol of the quantity it computes, e.g. ``"h"``.
    unit : str
        Unit of the result.
    source : str
        Citation for the form of the law.
    """

    function: Callable[..., float]
    mechanism: str
    process: str
    symbol: str
    unit: str
    source: str

    @property
    def name(self) -> str:
        """The function's name, e.g. ``"pr_loss_hazard"``."""
        return self.function.__name__

    @cached_property
    def arguments(self) -> tuple[str, ...]:
        """Argument names, in order."""
        return tuple(inspect.signature(self.function).parameters)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Arguments that are registry parameters."""
        return tuple(a for a in self.arguments if a in PARAMETERS)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Arguments that are states or drivers (:data:`INPUTS`)."""
        return tuple(a for a in self.arguments if a not in PARAMETERS)

    @cached_property
    def _tree(self) -> ast.expr:
        source = textwrap.dedent(inspect.getsource(self.function))
        fn = ast.parse(source).body[0]
        assert isinstance(fn, ast.FunctionDef)
        body = [s for s in fn.body if not (isinstance(s, ast.Expr)
                                           and isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            raise TypeError(f"law {self.name}: the body must be one return of an expression")
        return body[0].value

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The law's value for ``values`` (every argument by name)."""
        return float(self.function(**{a: values[a] for a in self.arguments}))

    def expression(self, style: Style = "text", names: Mapping[str, str] | None = None
                   ) -> str:
        """The law's expression as text.

        Parameters
        ----------
        style : {"text", "sbml", "python"}
            ``"text"``: the model's symbols (parameters' ``symbol``, :data:`INPUTS`), ``·``
            and ``^``; ``"sbml"``: SBML Level 3 formula syntax (``^``, ``ln``,
            ``piecewise``), for ``libsbml.parseL3Formula``; ``"python"``: a Python
            expression of the argument names.
        names : mapping, optional
            Replacement for argument names (e.g. an input's SBML id at one site). By
            default: symbols for ``"text"``, the argument names otherwise.
        """
        if names is None:
            names = {}
        if style == "text":
            full = {a: _symbol(a) for a in self.arguments}
            full.update(names)
            names = full
        return _Printer(style, names).expr(self._tree)

    def sentence(self) -> str:
        """``process: symbol = expression`` with the model's symbols."""
        return f"{self.symbol} = {self.expression('text')}"


def _symbol(argument: str) -> str:
    spec = PARAMETERS.get(argument)
    if spec is not None:
        return spec.symbol
    return INPUTS[argument].symbol


# --- printing an expression tree -------------------------------------------------------------

_BINARY: Final[dict[type, tuple[str, int]]] = {
    ast.Add: ("+", 1), ast.Sub: ("-", 1), ast.Mult: ("*", 2), ast.Div: ("/", 2),
    ast.Pow: ("^", 4),
}
_COMPARE: Final[dict[type, str]] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
}


class _Printer:
    def __init__(self, style: Style, names: Mapping[str, str]) -> None:
        self.style = style
        self.names = names

    def expr(self, node: ast.expr, parent: int = 0, right: bool = False) -> str:
        text, prec = self._node(node)
        # parentheses where the parent binds tighter, and for the right operand of
        # - / ^ at equal precedence
        if prec < parent or (prec == parent and right and parent in (1, 2)) or (
                prec == parent == 4 and not right):
            return f"({text})"
        return text

    def _op(self, sym: str) -> str:
        if self.style == "text":
            return {"*": "·", "-": "−", "<=": "≤", ">=": "≥", "!=": "≠"}.get(sym, sym)
        if self.style == "python" and sym == "^":
            return "**"
        return sym

    def _node(self, node: ast.expr) -> tuple[str, int]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            v = float(node.value)
            return (f"{v:g}" if self.style == "text" else repr(v)), 9
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id), 9
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            sym, prec = _BINARY[type(node.op)]
            left = self.expr(node.left, prec, False)
            r = self.expr(node.right, prec, True)
            op = self._op(sym)
            if op in ("^", "**"):
                return f"{left}{op}{r}", prec
            return f"{left} {op} {r}", prec
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"{self._op('-')}{self.expr(node.operand, 3)}", 3
        if isinstance(node, ast.Call):
            return self._call(node), 9
        if isinstance(node, ast.IfExp):
            # a conditional in the body or the condition is bracketed; one in the
            # else-branch reads as "else ... if ..."
            plain_test = isinstance(node.test, ast.Compare | ast.BoolOp)
            body, test, other = (self.expr(node.body, 1),
                                 self.expr(node.test, 0 if plain_test else 1),
                                 self.expr(node.orelse))
            if self.style == "sbml":
                return f"piecewise({body}, {test}, {other})", 9
            if self.style == "python":
                return f"{body} if {test} else {other}", 0
            return f"{body} if {test}, else {other}", 0
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            sym = _COMPARE[type(node.ops[0])]
            return (f"{self.expr(node.left, 1)} {self._op(sym)} "
                    f"{self.expr(node.comparators[0], 1)}"), 0
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            joiner = {"sbml": " && ", "python": " and ", "text": " and "}[self.style]
            return joiner.join(self.expr(v, 1) for v in node.values), 0
        raise TypeError(f"laws: cannot print {ast.dump(node)}")

    def _call(self, node: ast.Call) -> str:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = [self.expr(a) for a in node.args]
        if name == "exp":
            return f"math.exp({args[0]})" if self.style == "python" else f"exp({args[0]})"
        if name == "log":
            return f"math.log({args[0]})" if self.style == "python" else f"ln({args[0]})"
        if name in ("min", "max") and len(args) == 2:
            if self.style == "sbml":
                cmp = "<" if name == "min" else ">"
                return f"piecewise({args[0]}, {args[0]} {cmp} {args[1]}, {args[1]})"
            return f"{name}({args[0]}, {args[1]})"
        raise TypeError(f"laws: function {name!r} is not allowed in a law")


# --- the laws ----------------------------------------------------------------------------------

_LAWS: list[Law] = []


def law(mechanism: str, process: str, symbol: str, unit: str, source: str
        ) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Register a function as a law (decorator); the function itself is returned."""

    def register(function: Callable[..., float]) -> Callable[..., float]:
        _LAWS.append(Law(function, mechanism, process, symbol, unit, source))
        return function

    return register


# growth (docs/model.md 2.1)


@law("growth", "site Gompertz rate", "g_s", "1/day",
     "metastases grow on their own Gompertz curve (a modelling choice)")
def site_gompertz_rate(patient_gompertz_rate, is_metastatic_site,
                       metastasis_growth_multiplier):
    return (patient_gompertz_rate * metastasis_growth_multiplier if is_metastatic_site
            else patient_gompertz_rate)


@law("growth", "growth cap", "g_cap", "1/day",
     "the fastest plausible doubling (about 20 days); slow colonisation of micrometastases "
     "(outgrowth to detection takes years: Willis 2010; Demicheli 2005), faster for "
     "faster-growing tumours when k_col > 0 (a modelling choice)")
def growth_cap(site_cells, is_metastatic_site, patient_growth_factor, max_growth_rate_per_day,
               colonisation_max_growth_rate_per_day, colonisation_growth_exponent,
               colonisation_threshold_cells):
    return (min(max_growth_rate_per_day, colonisation_max_growth_rate_per_day
                * patient_growth_factor ** colonisation_growth_exponent)
            if is_metastatic_site and site_cells < colonisation_threshold_cells
            else max_growth_rate_per_day)


@law("growth", "capped Gompertz growth", "g_eff", "1/day",
     "Norton 1988 (Gompertz); the cap keeps one-cell rates finite")
def capped_gompertz_rate(site_cells, carrying_capacity_cells, site_gompertz_rate,
                         growth_cap):
    return (growth_cap if site_cells <= 0.0
            else (min(growth_cap, site_gompertz_rate
                      * (math.log(carrying_capacity_cells) - math.log(site_cells)))
                  if site_cells < carrying_capacity_cells else 0.0))


@law("growth", "clone growth", "g_c", "1/day", "clone growth multipliers (modelling choice)")
def clone_growth_rate(site_growth_rate, clone_growth_multiplier):
    return site_growth_rate * clone_growth_multiplier


@law("growth", "net proliferation", "b − d0", "1/day",
     "EBCTCG 2011 (tamoxifen holds ER+ growth); the turnover d0 adds to birth and death")
def proliferation_rate(clone_growth_rate, tamoxifen_effect):
    return clone_growth_rate * (1.0 - tamoxifen_effect)


@law("growth", "PR+ cells at diagnosis", "f_PR+", "1",
     "immunohistochemistry: PR fmol/mg measures the tumour's mean PR; a Hill map of it gives "
     "the share of PR+ cells (GBSG2 PR+ cut-off 10 fmol/mg)")
def pr_positive_cell_fraction(pr_fmol, pr_fmol_half_max, pr_fmol_hill_power):
    return pr_fmol**pr_fmol_hill_power / (pr_fmol**pr_fmol_hill_power
                                          + pr_fmol_half_max**pr_fmol_hill_power)


# treatment (docs/model.md 2.6)


@law("treatment", "tamoxifen exposure", "L_tam", "1",
     "PK ramp of weeks (tamoxifen's half-life); adherence")
def tamoxifen_level(days, start_day, end_day, adherence, tamoxifen_ramp_days):
    return (0.0 if days < start_day
            else ((adherence if days < end_day else 0.0) if tamoxifen_ramp_days <= 0.0
                  else (adherence * (1.0 - math.exp(-(days - start_day)
                                                    / tamoxifen_ramp_days))
                        if days < end_day
                        else adherence * (1.0 - math.exp(-(end_day - start_day)
                                                         / tamoxifen_ramp_days))
                        * math.exp(-(days - end_day) / tamoxifen_ramp_days))))


@law("treatment", "tamoxifen effect by the primary's PR", "e_c,p", "1",
     "EBCTCG 2011 (PR- primaries benefit about as much as PR+ ones); Cui 2005 (PR lost "
     "under treatment marks growth-factor-driven endocrine resistance)")
def patient_clone_tamoxifen_effect(clone_tamoxifen_effect, clone_er_positive,
                                   patient_pr_negative_primary, tamoxifen_effect_pr_pos,
                                   pr_negative_primary_tamoxifen_share):
    return clone_tamoxifen_effect + (pr_negative_primary_tamoxifen_share * clone_er_positive
                                     * patient_pr_negative_primary
                                     * (tamoxifen_effect_pr_pos - clone_tamoxifen_effect))


@law("treatment", "tamoxifen effect", "E_tam,c", "1",
     "EBCTCG 2011; Nordenskjöld 2016 (smaller effect in PR− disease); endocrine "
     "sensitivity as a patient trait")
def tamoxifen_effect(patient_clone_tamoxifen_effect, tamoxifen_level, endocrine_sensitivity):
    return patient_clone_tamoxifen_effect * tamoxifen_level * endocrine_sensitivity


@law("treatment", "kill of proliferating cells", "k_P", "1/day",
     "Norton-Simon (kill scaled by growth); EBCTCG 2012; Acharyya 2012; Romani 2022")
def proliferating_kill_rate(tamoxifen_effect, chemo_hazard, clone_growth_rate,
                            myeloid_protection, antioxidant_protection, tamoxifen_kill_per_day,
                            chemo_reference_growth_per_day, chemo_growth_exponent):
    return tamoxifen_kill_per_day * tamoxifen_effect + (
        chemo_hazard * (clone_growth_rate / chemo_reference_growth_per_day)
        ** chemo_growth_exponent * myeloid_protection * antioxidant_protection
        if chemo_hazard > 0.0 else 0.0)


# dormancy (docs/model.md 2.3)


@law("dormancy", "awakening", "w", "1/day",
     "EBCTCG carry-over (a_tam); Romani 2022 (DRP1 + NRF2 inhibition prevented awakening); "
     "ER- relapses come early (Colleoni 2016; Hess 2003), so m_w,c may exceed 1 for ER- "
     "cells (1 by default)")
def awakening_rate(tamoxifen_effect, drp1_inhibition, nrf2_inhibition,
                   clone_awakening_multiplier, awakening_rate_per_day,
                   tamoxifen_dormancy_hold, inhibitor_awakening_block):
    return (awakening_rate_per_day * clone_awakening_multiplier
            * (1.0 - tamoxifen_dormancy_hold * tamoxifen_effect)
            * (1.0 - inhibitor_awakening_block * drp1_inhibition * nrf2_inhibition))


@law("dormancy", "dormant-cell death", "δ_D", "1/day",
     "Romani 2022 (antioxidant protection of dormant cells); dormant chemo kill small; few "
     "ER- relapses after year 5 (Colleoni 2016), so m_δ,c may exceed 1 for ER- cells "
     "(1 by default)")
def dormant_death_rate(antioxidant_capacity, tamoxifen_effect, chemo_hazard,
                       antioxidant_protection, clone_dormant_death_multiplier,
                       dormant_death_rate_per_day, antioxidant_dormant_protection,
                       tamoxifen_dormant_kill_per_day, dormant_chemo_factor):
    return (dormant_death_rate_per_day * clone_dormant_death_multiplier
            * (1.0 - antioxidant_dormant_protection * antioxidant_capacity)
            + tamoxifen_dormant_kill_per_day * tamoxifen_effect
            + chemo_hazard * dormant_chemo_factor * antioxidant_protection)


@law("dormancy", "dormancy entry", "q_s,c", "1",
     "most disseminated cells arrive dormant (Willis 2010); ER- disseminated cells may "
     "enter dormancy less often (Kim 2012 dormancy signatures; Colleoni 2016: late "
     "relapse is an ER+ pattern); m_q,c = 1, no clone difference, by default")
def dormancy_entry_fraction(dormancy_entry_probability, dormancy_entry_multiplier):
    return min(dormancy_entry_probability * dormancy_entry_multiplier, 1.0)


@law("dormancy", "deep dormancy entry", "f_deep", "1",
     "Willis 2010 (dormancy for decades); bone marrow favours deep dormancy; ER- cells "
     "rarely (Colleoni 2016: late relapse is an ER+ pattern); node-negative disease has "
     "no early recurrence peak (PMC1064084), so d_p may fall with nodes (1 by default)")
def deep_dormancy_fraction(deep_dormancy_share, deep_dormancy_multiplier,
                           patient_deep_dormancy_factor):
    return min(deep_dormancy_share * deep_dormancy_multiplier * patient_deep_dormancy_factor,
               1.0)


@law("dormancy", "deep awakening", "w_deep", "1/day",
     "Willis 2010 (escape half-life >= 12 years); Pan 2017 (steady 5-20-year hazard); "
     "Romani 2022 (DRP1 + NRF2 inhibition prevented awakening)")
def deep_awakening_rate(drp1_inhibition, nrf2_inhibition, deep_awakening_rate_per_day,
                        inhibitor_awakening_block):
    return (deep_awakening_rate_per_day
            * (1.0 - inhibitor_awakening_block * drp1_inhibition * nrf2_inhibition))


@law("dormancy", "deep-dormant death", "δ_deep", "1/day",
     "deep-dormant cells are reached by chemotherapy only through the small dormant kill, "
     "lowered by antioxidants (Romani 2022); by endocrine therapy not at all by default "
     "(k_tam,deep = 0), or at k_tam,deep x E_tam (a hypothesis tested against K2)")
def deep_dormant_death_rate(antioxidant_capacity, tamoxifen_effect, chemo_hazard,
                            antioxidant_protection, deep_dormant_death_rate_per_day,
                            antioxidant_dormant_protection, tamoxifen_deep_dormant_kill_per_day,
                            dormant_chemo_factor):
    return (deep_dormant_death_rate_per_day * (1.0 - antioxidant_dormant_protection
                                               * antioxidant_capacity)
            + tamoxifen_deep_dormant_kill_per_day * tamoxifen_effect
            + chemo_hazard * dormant_chemo_factor * antioxidant_protection)


# dissemination (docs/model.md 2.2)


@law("dissemination", "cells leaving a site", "D", "cells/day",
     "Iwata 2000 (N^gamma); Michaelson 2005; Coumans 2013")
def dissemination_rate(patient_dissemination_coefficient, proliferating_cells, motile_share,
                       source_colonisation_boost, destination_weight_total,
                       dissemination_size_exponent):
    # below one cell a site seeds as that fraction of one cell (the expectation over
    # whether the cell is there), which keeps the deterministic right-hand side continuous
    return (patient_dissemination_coefficient
            * math.exp(dissemination_size_exponent * max(math.log(proliferating_cells), 0.0))
            * min(proliferating_cells, 1.0) * motile_share * source_colonisation_boost
            * destination_weight_total)


@law("dissemination", "destination weight", "W_d", "1", "PMC5040895 site pattern; Acharyya 2012")
def destination_weight(tropism_weight, colonisation_boost):
    return tropism_weight * colonisation_boost


@law("dissemination", "tropism by clone and site", "w_d,c", "1",
     "a weight per clone and site, fitted to the relapse sites by subtype "
     "(PMC5040895, claim K4), never set to them; normalised over the metastatic sites "
     "for each clone")
def clone_tropism_weight(site_tropism_weight, clone_tropism_multiplier):
    return site_tropism_weight * clone_tropism_multiplier


# death from other causes (docs/model.md 2.8)


@law("detection", "death from other causes", "h_oc", "1/year",
     "Gompertz-Makeham hazard (Makeham 1860) fitted to the US female period life table "
     "1987 (Human Mortality Database)")
def other_cause_death_hazard(age_years, other_cause_makeham_per_year,
                             other_cause_gompertz_per_year,
                             other_cause_gompertz_slope_per_year):
    return other_cause_makeham_per_year + other_cause_gompertz_per_year * math.exp(
        other_cause_gompertz_slope_per_year * age_years)


@law("detection", "cumulative hazard of death from other causes", "H_oc", "1",
     "the integral of h_oc from the age at diagnosis; a woman dies of other causes when "
     "it reaches −ln u, u uniform on her own stream")
def other_cause_cumulative_hazard(age_at_diagnosis_years, years_since_diagnosis,
                                  other_cause_makeham_per_year,
                                  other_cause_gompertz_per_year,
                                  other_cause_gompertz_slope_per_year):
    return (other_cause_makeham_per_year * years_since_diagnosis
            + other_cause_gompertz_per_year / other_cause_gompertz_slope_per_year
            * (math.exp(other_cause_gompertz_slope_per_year
                        * (age_at_diagnosis_years + years_since_diagnosis))
               - math.exp(other_cause_gompertz_slope_per_year * age_at_diagnosis_years)))


# M1: metals -> ROS -> PR loss (docs/model.md 2.4)


@law("M1", "internal dose", "dm/dt", "dose/day",
     "seed 000: effects build over months (Mathison 2020)")
def internal_dose_rate(exposure, internal_dose, metal_internal_dose_time_constant_days):
    return (exposure - internal_dose) * (1.0 / metal_internal_dose_time_constant_days)


@law("M1", "ROS index", "R", "1", "Ruiz-Ramos 2009 (arsenite raises ROS); seeds 000 and 002")
def ros_index(internal_arsenic, internal_lead, chemo_signal, antioxidant_capacity,
              ros_quencher, ros_per_arsenic_ug_per_l, ros_per_lead_ug_per_dl,
              ros_per_chemotherapy, ros_antioxidant_reduction, ros_quencher_reduction):
    return max(1.0 + ros_per_arsenic_ug_per_l * internal_arsenic
               + ros_per_lead_ug_per_dl * internal_lead + ros_per_chemotherapy * chemo_signal
               - ros_antioxidant_reduction * antioxidant_capacity
               - ros_quencher_reduction * ros_quencher, 0.0)


@law("M1", "PR loss", "h", "1/day",
     "Mathison 2020 (PR suppression after > 6 months of arsenic); Schrijver 2018")
def pr_loss_hazard(ros_index, pr_loss_baseline_per_day, pr_loss_max_per_day,
                   pr_loss_ros_half_max, pr_loss_hill_power):
    return pr_loss_baseline_per_day + pr_loss_max_per_day * ros_index**pr_loss_hill_power / (
        pr_loss_ros_half_max**pr_loss_hill_power + ros_index**pr_loss_hill_power)


@law("M1", "PR regain", "r", "1/day",
     "Mathison 2020 (1 month of washout did not restore PR); seed 000 (quenching reverses)")
def pr_regain_hazard(ros_quencher, pr_regain_baseline_per_day, pr_regain_quencher_per_day):
    return pr_regain_baseline_per_day + pr_regain_quencher_per_day * ros_quencher


# M2: chemotherapy -> CXCL1/2 -> myeloid niche -> S100A8/9 (docs/model.md 2.5)


@law("M2", "CXCL1/2 signal", "X_s", "1",
     "Acharyya 2012 Cell 150:165 (TNF-α from chemotherapy induces CXCL1/2)")
def cxcl_signal(patient_cxcl_multiplier, mean_cxcl_secretion, site_cells, chemo_signal,
                cxcl_reference_cells, cxcl_size_exponent, cxcl_chemo_induction):
    # below one cell the signal is that fraction of one cell's (see dissemination_rate)
    return (patient_cxcl_multiplier * mean_cxcl_secretion
            * math.exp(cxcl_size_exponent * (max(math.log(site_cells), 0.0)
                                             - math.log(cxcl_reference_cells)))
            * min(site_cells, 1.0) * (1.0 + cxcl_chemo_induction * chemo_signal))


@law("M2", "myeloid recruitment", "k_M(X)", "1/day", "Acharyya 2012 (CXCR2 on CD11b+Gr1+ cells)")
def myeloid_recruitment(cxcl_signal, cxcr2_inhibition, myeloid_recruitment_per_day,
                        myeloid_half_max_signal):
    return (myeloid_recruitment_per_day * cxcl_signal / (myeloid_half_max_signal + cxcl_signal)
            * (1.0 - cxcr2_inhibition))


@law("M2", "myeloid niche", "dM_s/dt", "1/day", "Acharyya 2012; myeloid turnover")
def myeloid_niche_rate(myeloid_recruitment, myeloid_niche, myeloid_decay_per_day):
    return myeloid_recruitment - myeloid_decay_per_day * myeloid_niche


@law("M2", "S100A8/9 protection", "P_M", "1", "Acharyya 2012 (S100A8/9 keeps cells alive)")
def myeloid_protection(myeloid_niche, myeloid_chemo_protection):
    return 1.0 - myeloid_chemo_protection * myeloid_niche


@law("M2", "colonisation boost", "B", "1", "Acharyya 2012 (myeloid cells support metastasis)")
def colonisation_boost(myeloid_niche, myeloid_colonisation_boost):
    return 1.0 + myeloid_colonisation_boost * myeloid_niche


# M3: soft tissue -> DRP1 fission -> NRF2 -> antioxidant protection (docs/model.md 2.7)


@law("M3", "DRP1 fission", "F_s", "1", "Romani 2022 Nat Cell Biol (soft ECM drives fission)")
def fission_level(stiffness_kpa, fission_half_max_stiffness_kpa, fission_hill_power):
    return fission_half_max_stiffness_kpa**fission_hill_power / (
        fission_half_max_stiffness_kpa**fission_hill_power + stiffness_kpa**fission_hill_power)


@law("M3", "NRF2 antioxidant capacity", "A_s", "1",
     "Romani 2022 (fission → mtROS → NRF2 → glutathione)")
def antioxidant_capacity(fission, drp1_inhibition, nrf2_inhibition):
    return fission * (1.0 - drp1_inhibition) * (1.0 - nrf2_inhibition)


@law("M3", "antioxidant protection from chemotherapy", "P_A", "1",
     "Romani 2022 (resistance to ROS-dependent chemotherapy)")
def antioxidant_protection(antioxidant_capacity, chemo_ros_dependence,
                           antioxidant_chemo_protection):
    return 1.0 - antioxidant_chemo_protection * antioxidant_capacity * chemo_ros_dependence


LAWS: Final[dict[str, Law]] = {x.name: x for x in _LAWS}
"""Every law, by function name, in the order above."""


def _check_laws() -> None:
    for x in LAWS.values():
        unknown = [a for a in x.inputs if a not in INPUTS]
        if unknown:
            raise AssertionError(f"law {x.name}: arguments {unknown} are neither parameters "
                                 "nor declared inputs")
        x.expression("python")  # the body is printable


_check_laws()
