"""Each law is written once and its four views agree.

For every law of :mod:`tumorsim.model.laws`, at random points inside the parameters'
allowed ranges: the compiled function the kernels call (:mod:`tumorsim.engine.rates`, with
parameters read from a parameter array), the plain Python function, the SBML formula
solved by libRoadRunner, and the printed text (read back as an expression) give the same
number; and ``tumorsim rules`` prints every law's equation.
"""

from __future__ import annotations

import math
import re
import zlib

import libsbml
import numpy as np
import pytest
import roadrunner

from tumorsim.engine import rates
from tumorsim.model.laws import LAWS, Law
from tumorsim.model.parameters import PARAMETER_SPECS, PARAMETERS
from tumorsim.model.rules import format_rules, rules_for
from tumorsim.model.scenario import Scenario

POINTS = 3

# inputs drawn from ranges where the biology lives (cells span orders of magnitude)
_LOG_UNIFORM = {"site_cells": (-1.0, 12.0), "carrying_capacity_cells": (9.0, 12.5),
                "proliferating_cells": (-1.0, 11.0)}
_SIGNED = {"days": (-500.0, 5000.0), "start_day": (0.0, 400.0)}
_BOOLEAN = {"is_metastatic_site"}


def _point(law: Law, rng: np.random.Generator) -> dict[str, float]:
    values: dict[str, float] = {}
    for a in law.arguments:
        if a in PARAMETERS:
            spec = PARAMETERS[a]
            values[a] = float(rng.uniform(spec.low, spec.high))
        elif a in _LOG_UNIFORM:
            lo, hi = _LOG_UNIFORM[a]
            values[a] = float(10 ** rng.uniform(lo, hi))
        elif a in _SIGNED:
            values[a] = float(rng.uniform(*_SIGNED[a]))
        elif a in _BOOLEAN:
            values[a] = float(rng.integers(0, 2))
        elif a == "end_day":
            values[a] = float(rng.uniform(400.0, 3000.0))
        else:
            values[a] = float(rng.uniform(0.0, 1.0))
    return values


def _kernel_value(law: Law, values: dict[str, float]) -> float:
    params = np.array([values.get(p.name, p.default) for p in PARAMETER_SPECS])
    compiled = rates.compiled_law(law.name)
    args = [bool(values[a]) if a in _BOOLEAN else values[a] for a in law.inputs]
    return float(compiled(params, *args))


def _sbml_value(law: Law, values: dict[str, float]) -> float:
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    for a in law.arguments:
        if a in _BOOLEAN:
            continue
        p = model.createParameter()
        p.setId(a)
        p.setValue(values[a])
        p.setConstant(True)
    out = model.createParameter()
    out.setId("law_value")
    out.setConstant(False)
    out.setValue(0.0)
    rule = model.createAssignmentRule()
    rule.setVariable("law_value")
    names = {a: ("true" if values[a] else "false") for a in law.arguments if a in _BOOLEAN}
    formula = law.expression("sbml", names)
    ast = libsbml.parseL3Formula(formula)
    assert ast is not None, f"{law.name}: SBML cannot parse {formula!r}"
    rule.setMath(ast)
    rr = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
    return float(rr["law_value"])


_TEXT_TO_PYTHON = [("·", "*"), ("−", "-"), ("≤", "<="), ("≥", ">="), ("≠", "!="),
                   ("^", "**"), ("ln(", "log("), (", else", " else")]


def _text_value(law: Law, values: dict[str, float]) -> float:
    """The printed text, with argument names for symbols, evaluated as Python."""
    text = law.expression("text", {a: a for a in law.arguments})
    for glyph, python in _TEXT_TO_PYTHON:
        text = text.replace(glyph, python)
    namespace = {"exp": math.exp, "log": math.log, "min": min, "max": max, **values}
    return float(eval(text, {"__builtins__": {}}, namespace))  # noqa: S307


@pytest.mark.parametrize("name", sorted(LAWS))
def test_the_four_views_of_a_law_agree(name: str) -> None:
    law = LAWS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for _ in range(POINTS):
        values = _point(law, rng)
        python = law.evaluate(values)
        assert math.isfinite(python), (name, values)
        assert _kernel_value(law, values) == pytest.approx(python, rel=1e-12, abs=1e-300)
        assert _text_value(law, values) == pytest.approx(python, rel=1e-12, abs=1e-300)
        assert _sbml_value(law, values) == pytest.approx(python, rel=1e-9, abs=1e-300)


def test_every_law_is_printed_by_tumorsim_rules() -> None:
    # every mechanism on and every treatment in the plan, so every law is in use
    scenario = Scenario(
        mechanisms={"metal_ros_pr": True, "chemo_cxcl_myeloid": True,
                    "stiffness_drp1_nrf2": True, "dormancy": True, "dissemination": True,
                    "competing_mortality": True},
        treatment={"tamoxifen": {"start_day": 0.0, "duration_days": 1826.0},
                   "chemotherapy": {"regimen": "AC_T", "start_day": 28.0}},
    )
    text = format_rules(rules_for(scenario))
    attached = {x for rule in rules_for(scenario) for x in rule.laws}
    assert attached == set(LAWS)
    for law in LAWS.values():
        assert law.sentence() in text, law.name


def test_a_parameter_of_a_law_is_read_from_the_scenario_array() -> None:
    # the compiled law reads its parameter by registry index: changing that entry alone
    # changes the value as the law says
    law = LAWS["pr_loss_hazard"]
    values = {"ros_index": 3.0, **{p: PARAMETERS[p].default for p in law.parameters}}
    before = _kernel_value(law, values)
    values["pr_loss_max_per_day"] *= 2.0
    after = _kernel_value(law, values)
    assert after == pytest.approx(law.evaluate(values), rel=1e-12)
    assert after > before


def test_law_text_uses_the_model_symbols() -> None:
    assert LAWS["pr_loss_hazard"].sentence() == "h = h0 + h_max · R^n / (R50^n + R^n)"
    assert re.fullmatch(r"R = max\(1 \+ k_As · m_As .*, 0\)", LAWS["ros_index"].sentence())
