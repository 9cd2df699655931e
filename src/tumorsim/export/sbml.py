"""SBML export of the deterministic mode: one virtual patient as an SBML Level 3 model.

The model written is the ODE system of :mod:`tumorsim.engine.ode` for one patient of a
scenario (its treatment plan, exposures, switches and parameter values), so any SBML
tool — libRoadRunner, COPASI, AMICI — solves the same model as ``numerics.mode =
"deterministic"``. ``tests/test_sbml.py`` checks libRoadRunner's solution against ours.

What is in the file:

* **Time** is days since the natural history started; diagnosis is at
  ``natural_history_days`` (the patient's parameter), so a treatment day ``d`` of the
  scenario is ``time = natural_history_days + d``.
* **State** (parameters with rate rules): cells ``n_<site>_<clone>_<activity>``, the
  myeloid niche ``myeloid_<site>``, the internal doses ``arsenic_internal_ug_per_l`` and
  ``lead_internal_ug_per_dl``, and ``disseminated_cells``. Before diagnosis the primary
  grows on its capped Gompertz path (``dn/dt = n min(g_max, g_P ln(K/N))``).
* **Readable intermediate quantities** as assignment rules: ``cells_<site>``,
  ``growth_rate_<site>``, ``ros_<site>``, ``cxcl_<site>``, ``tamoxifen_level``,
  ``seeding_<site>`` (cells leaving a site per day)...
* **Events**: ``diagnosis`` (primary set to its size at diagnosis, surgery applied), one
  per boundary of the compiled treatment plan (dose days, ends of kill and signal
  windows, starts and ends of drugs, exposure steps) setting the treatment drivers, and
  one ``detect_<site>`` per site recording ``relapse_<site>_days`` (days from diagnosis,
  -1 until it happens) and, with death after relapse on, ``death_days``; with
  competing mortality on, ``other_cause_death`` recording ``other_cause_death_days`` when
  the cumulative other-cause hazard from the patient's age at diagnosis
  (``age_at_diagnosis_years``) reaches ln 2 (the median, as in the deterministic mode),
  after which nothing is detected.
* **Tropism by clone and site**: ``tropism_<site>_<clone>``, each clone's weights
  normalised over the metastatic sites (the site weights ``tropism_<site>`` when the
  clone multipliers are 1).
* **Units**: model time is in days (unit ``day``), and every registry parameter carries
  its unit as an SBML unit definition (:data:`SBML_UNITS`; cells are ``item``), except
  ``dissemination_coefficient`` (cells^(1-gamma)/day: its exponent is a parameter, which
  SBML units cannot express). Unit consistency is not checked: the model mixes cells,
  doses and dimensionless signals in the ways docs/model.md describes.
* **Per-patient parameters** (``PATIENT_PARAMETERS``) can be changed on a loaded model to
  simulate another patient of the same scenario without rebuilding it
  (:func:`patient_values`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from tumorsim.cohort.population import Cohort
from tumorsim.engine import ode
from tumorsim.engine import structures as K
from tumorsim.engine.courses import exposure_level
from tumorsim.engine.plan import (
    DRIVER_CHEMO_HAZARD,
    DRIVER_CHEMO_ON,
    DRIVER_CHEMO_RHO,
    DRIVER_CXCR2,
    DRIVER_DRP1,
    DRIVER_NRF2,
    DRIVER_QUENCHER,
    EXPOSURE_LINEAR,
    EXPOSURE_NONE,
)
from tumorsim.engine.simulate import prepare_run
from tumorsim.errors import TumorsimError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.model.anatomy import ACTIVITIES, CLONES, SITES
from tumorsim.model.laws import LAWS
from tumorsim.model.parameters import PARAMETER_SPECS

if TYPE_CHECKING:
    from tumorsim.engine.simulate import PreparedRun
    from tumorsim.model.scenario import Scenario

__all__ = [
    "PATIENT_PARAMETERS",
    "SBML_UNITS",
    "cell_id",
    "patient_values",
    "scenario_sbml",
    "write_sbml",
]

PATIENT_PARAMETERS: Final[tuple[str, ...]] = (
    "gompertz_rate_per_day",
    "patient_dissemination_coefficient",
    "cxcl_multiplier",
    "diagnosis_cells",
    "start_cells",
    "primary_growth_rate_per_day",
    "natural_history_days",
    "endocrine_sensitivity",
    "patient_growth_factor",
    "patient_deep_dormancy_factor",
    "patient_pr_negative_primary",
    "clone_fraction_ERpos_PRpos",
    "clone_fraction_ERpos_PRneg",
    "clone_fraction_ERneg",
)
"""SBML parameters that differ between patients of one scenario, in ``PAT_*`` order."""


def cell_id(site: str, clone: str, activity: str) -> str:
    """SBML identifier of a cell compartment, e.g. ``n_lung_ERpos_PRneg_dormant``."""
    return f"n_{site}_{clone}_{activity}"


def patient_values(run: PreparedRun, index: int) -> dict[str, float]:
    """SBML values of patient ``index`` of a prepared run (``PATIENT_PARAMETERS`` and
    the initial internal metal doses).

    Set them on a loaded model (and reset it) to simulate that patient.
    """
    pp, arrays, compiled = run.parameters, run.arrays, run.compiled
    pat = ode.patient_vector(
        float(pp.gompertz_rate_per_day[index]), float(pp.dissemination_coefficient[index]),
        float(pp.cxcl_multiplier[index]), float(pp.diagnosis_cells[index]),
        np.ascontiguousarray(pp.clone_fractions[index]),
        float(pp.endocrine_sensitivity[index]), float(pp.growth_factor[index]),
        float(pp.deep_dormancy_factor[index]), float(pp.pr_negative_primary[index]),
        int(run.draw_of_patient[index]), arrays)
    values = {name: float(v) for name, v in zip(PATIENT_PARAMETERS, pat[:ode.PAT_DRAW],
                                                strict=True)}
    plan = int(run.compiled_row[index])
    for m, name in enumerate(("arsenic_internal_ug_per_l", "lead_internal_ug_per_dl")):
        values[name] = float(exposure_level(
            -values["natural_history_days"], compiled.exposure_kind[plan, m],
            compiled.exposure_times[plan, m], compiled.exposure_levels[plan, m],
            compiled.exposure_count[plan, m], compiled.exposure_removal_day[plan]))
    return values


def write_sbml(scenario: Scenario, path: str | os.PathLike[str], *, patient: int = 0,
               seed: int | None = None) -> Path:
    """Write the SBML model of one patient of ``scenario``'s cohort to ``path`` (atomic).

    Parameters
    ----------
    scenario : Scenario
    path : str or os.PathLike
    patient : int, default 0
        Which patient of the sampled cohort (``cohort.seed`` or ``seed``).
    seed : int, optional

    Returns
    -------
    Path
    """
    seed = scenario.cohort.seed if seed is None else int(seed)
    if patient < 0:
        raise TumorsimError(f"patient: {patient} given; allowed: an index >= 0")
    # every patient has her own random streams, keyed by (seed, patient id): patient k
    # sampled and prepared alone is patient k of the whole cohort
    cohort = Cohort.sample(scenario.population, 1, seed, first_id=patient)
    run = prepare_run([scenario], np.zeros(1, dtype=np.int64), cohort, seed=seed)
    text = scenario_sbml(run, 0)
    out = Path(path)
    write_text_atomic(out, text)
    return out


def scenario_sbml(run: PreparedRun, index: int = 0) -> str:
    """SBML Level 3 Version 2 text of patient ``index`` of a prepared run.

    The run's first plan (arm) gives the treatment; the patient's own values become the
    defaults of ``PATIENT_PARAMETERS``.
    """
    import libsbml

    builder = _Builder(run, index)
    doc = builder.build()
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errors = [doc.getError(k) for k in range(doc.getNumErrors())
              if doc.getError(k).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    if errors:
        raise TumorsimError("SBML export produced an invalid model: "
                            + "; ".join(e.getMessage().strip() for e in errors[:3]))
    return str(libsbml.writeSBMLToString(doc))


_SECONDS_PER_DAY: Final[float] = 86400.0
_YEAR_DAYS: Final[float] = 365.25

SBML_UNITS: Final[dict[str, tuple[str, tuple[tuple[str, int, int, float], ...]]]] = {
    "1/day": ("per_day", (("second", -1, 0, _SECONDS_PER_DAY),)),
    "1/year": ("per_year", (("second", -1, 0, _YEAR_DAYS * _SECONDS_PER_DAY),)),
    "year": ("year", (("second", 1, 0, _YEAR_DAYS * _SECONDS_PER_DAY),)),
    "day": ("day", (("second", 1, 0, _SECONDS_PER_DAY),)),
    "month": ("month", (("second", 1, 0, 30.4375 * _SECONDS_PER_DAY),)),
    "cells": ("cells", (("item", 1, 0, 1.0),)),
    "cells/mm^3": ("cells_per_mm3", (("item", 1, 0, 1.0), ("metre", -3, -3, 1.0))),
    "fmol/mg": ("fmol_per_mg", (("mole", 1, -15, 1.0), ("gram", -1, -3, 1.0))),
    "1/(ug/L)": ("litre_per_ug", (("litre", 1, 0, 1.0), ("gram", -1, -6, 1.0))),
    "1/(ug/dL)": ("decilitre_per_ug", (("litre", 1, -1, 1.0), ("gram", -1, -6, 1.0))),
    "kPa": ("kilopascal", (("pascal", 1, 3, 1.0),)),
}
"""Registry unit text -> (SBML unit id, units as (kind, exponent, scale, multiplier)).

A unit is ``(multiplier * 10**scale * kind) ** exponent``, as in SBML Level 3. Unit
``"1"`` is SBML's ``dimensionless``; a registry unit not listed here is left undeclared.
"""


class _Builder:
    """Writes the model into a libsbml document, one rule or event at a time."""

    def __init__(self, run: PreparedRun, index: int) -> None:
        import libsbml

        self.sbml = libsbml
        self.run = run
        self.index = index
        self.plan = int(run.compiled_row[index])
        self.doc = libsbml.SBMLDocument(3, 2)
        self.model = self.doc.createModel()
        self.model.setId("tumorsim_patient")
        patient_id = int(run.cohort.patient_ids[index])
        self.model.setName(f"tumorsim deterministic mode: {run.base.name}, patient {patient_id}")
        for unit_id, parts in SBML_UNITS.values():
            definition = self.model.createUnitDefinition()
            definition.setId(unit_id)
            for kind, exponent, scale, multiplier in parts:
                unit = definition.createUnit()
                unit.setKind(libsbml.UnitKind_forName(kind))
                unit.setExponent(exponent)
                unit.setScale(scale)
                unit.setMultiplier(multiplier)
        self.model.setTimeUnits(SBML_UNITS["day"][0])

    # --- primitives -------------------------------------------------------------------------
    def _math(self, formula: str):
        ast = self.sbml.parseL3Formula(formula)
        if ast is None:
            raise TumorsimError(f"SBML export: cannot parse {formula!r}: "
                                f"{self.sbml.getLastParseL3Error()}")
        return ast

    def constant(self, pid: str, value: float, name: str = "", unit: str = "") -> None:
        p = self.model.createParameter()
        p.setId(pid)
        p.setValue(float(value))
        p.setConstant(True)
        if name:
            p.setName(name)
        if unit == "1":
            p.setUnits("dimensionless")
        elif unit in SBML_UNITS:
            p.setUnits(SBML_UNITS[unit][0])

    def variable(self, pid: str, value: float) -> None:
        p = self.model.createParameter()
        p.setId(pid)
        p.setValue(float(value))
        p.setConstant(False)

    def assign(self, pid: str, formula: str) -> None:
        self.variable(pid, 0.0)
        rule = self.model.createAssignmentRule()
        rule.setVariable(pid)
        rule.setMath(self._math(formula))

    def rate(self, pid: str, formula: str) -> None:
        rule = self.model.createRateRule()
        rule.setVariable(pid)
        rule.setMath(self._math(formula))

    def event(self, eid: str, trigger: str, assignments: Sequence[tuple[str, str]]) -> None:
        ev = self.model.createEvent()
        ev.setId(eid)
        ev.setUseValuesFromTriggerTime(True)
        tr = ev.createTrigger()
        tr.setInitialValue(False)
        tr.setPersistent(True)
        tr.setMath(self._math(trigger))
        for var, formula in assignments:
            ea = ev.createEventAssignment()
            ea.setVariable(var)
            ea.setMath(self._math(formula))

    def law(self, name: str, **inputs: str) -> str:
        """SBML formula of law ``name`` with its inputs given as SBML expressions.

        The law's parameters keep their registry names, which are the model's
        parameter ids.
        """
        law = LAWS[name]
        missing = sorted(set(law.inputs) - set(inputs))
        if missing:
            raise AssertionError(f"SBML export: law {name} needs {missing}")
        return law.expression("sbml", {a: _operand(e) for a, e in inputs.items()})

    # --- the model ----------------------------------------------------------------------------
    def build(self):
        run, plan = self.run, self.plan
        arrays, compiled = run.arrays, run.compiled
        draw = int(run.draw_of_patient[self.index])
        params = {spec.name: float(arrays.params[draw, i])
                  for i, spec in enumerate(PARAMETER_SPECS)}
        sw = arrays.switches
        m1 = bool(sw[K.SWITCH_METAL_ROS_PR])
        m2 = bool(sw[K.SWITCH_CHEMO_CXCL_MYELOID])
        m3 = bool(sw[K.SWITCH_STIFFNESS_DRP1_NRF2])
        spread = bool(sw[K.SWITCH_DISSEMINATION])
        secondary = bool(sw[K.SWITCH_SECONDARY_SEEDING])
        dormancy = bool(sw[K.SWITCH_DORMANCY])
        mortal = bool(sw[K.SWITCH_DEATH_AFTER_RELAPSE])
        site_t, clone_t = arrays.site_table[draw], arrays.clone_table[draw]

        # scenario-wide constants (the parameter table, by name)
        units = {spec.name: spec.unit for spec in PARAMETER_SPECS}
        for name, value in params.items():
            self.constant(name, value, unit=units[name])
        for s, site in enumerate(SITES):
            self.constant(f"carrying_capacity_{site}", site_t[s, K.SITE_CARRYING_CAPACITY])
            self.constant(f"tropism_{site}", site_t[s, K.SITE_TROPISM])
            self.constant(f"dormancy_entry_{site}", site_t[s, K.SITE_DORMANCY_ENTRY])
            self.constant(f"detection_cells_{site}", site_t[s, K.SITE_DETECTION])
            self.constant(f"fission_{site}", site_t[s, K.SITE_FISSION])
            self.constant(f"deep_share_{site}", site_t[s, K.SITE_DEEP_SHARE])
        for c, clone in enumerate(CLONES):
            self.constant(f"motility_{clone}", clone_t[c, K.CLONE_MOTILITY])
            self.constant(f"growth_{clone}", clone_t[c, K.CLONE_GROWTH])
            self.constant(f"cxcl_secretion_{clone}", clone_t[c, K.CLONE_CXCL])
            self.constant(f"tamoxifen_effect_{clone}", clone_t[c, K.CLONE_TAMOXIFEN_EFFECT])
            self.constant(f"er_positive_{clone}", clone_t[c, K.CLONE_ER_POSITIVE])
            self.constant(f"deep_multiplier_{clone}", clone_t[c, K.CLONE_DEEP_MULTIPLIER])
            self.constant(f"dormancy_entry_multiplier_{clone}",
                          clone_t[c, K.CLONE_DORMANCY_ENTRY_MULTIPLIER])
            self.constant(f"awakening_multiplier_{clone}",
                          clone_t[c, K.CLONE_AWAKENING_MULTIPLIER])
            self.constant(f"dormant_death_multiplier_{clone}",
                          clone_t[c, K.CLONE_DORMANT_DEATH_MULTIPLIER])
            for s, site in enumerate(SITES):
                # the clone's weight w_d,c (law clone_tropism_weight), normalised over the
                # metastatic sites for the clone
                self.constant(f"tropism_{site}_{clone}", clone_t[c, K.CLONE_TROPISM + s])
        values = patient_values(run, self.index)
        for name in PATIENT_PARAMETERS:
            self.constant(name, values[name])

        # treatment drivers (set by the plan's events) and the phase
        driver_cols = {"chemo_hazard_per_day": DRIVER_CHEMO_HAZARD,
                       "chemo_rho": DRIVER_CHEMO_RHO, "chemo_on": DRIVER_CHEMO_ON,
                       "cxcr2_inhibition": DRIVER_CXCR2, "drp1_inhibition": DRIVER_DRP1,
                       "nrf2_inhibition": DRIVER_NRF2, "ros_quencher": DRIVER_QUENCHER}
        for name in driver_cols:
            self.variable(name, 0.0)
        self.variable("diagnosed", 0.0)
        days = "(time - natural_history_days)"

        # exposures, tamoxifen
        for m, (metal, internal) in enumerate((("arsenic_ug_per_l", "arsenic_internal_ug_per_l"),
                                               ("lead_ug_per_dl", "lead_internal_ug_per_dl"))):
            self.assign(metal, _exposure_formula(
                int(compiled.exposure_kind[plan, m]), compiled.exposure_times[plan, m],
                compiled.exposure_levels[plan, m], int(compiled.exposure_count[plan, m]),
                float(compiled.exposure_removal_day[plan]), days))
            self.variable(internal, values[internal])
            self.rate(internal, self.law("internal_dose_rate", exposure=metal,
                                         internal_dose=internal))
        start, end, adherence = (float(x) for x in compiled.tamoxifen[plan])
        self.assign("tamoxifen_level", self.law(
            "tamoxifen_level", days=days, start_day=_number(start), end_day=_number(end),
            adherence=_number(adherence)))
        self.assign("chemo_hazard_now", "chemo_hazard_per_day * diagnosed")
        self.assign("chemo_on_now", "chemo_on * diagnosed")

        # states
        for s, site in enumerate(SITES):
            for clone in CLONES:
                for a, act in enumerate(ACTIVITIES):
                    init = (values["start_cells"] * values[f"clone_fraction_{clone}"]
                            if (s == 0 and a == 0) else 0.0)
                    self.variable(cell_id(site, clone, act), init)
            self.variable(f"myeloid_{site}", 0.0)
        self.variable("disseminated_cells", 0.0)

        inflow: dict[str, list[str]] = {cell_id(st, cl, ac): [] for st in SITES
                                         for cl in CLONES for ac in ACTIVITIES}
        # with M1 off ROS does not act on PR: the laws at R = 0 and Q = 0
        self.assign("pr_regain_per_day", self.law(
            "pr_regain_hazard", ros_quencher="ros_quencher" if m1 else "0"))
        for clone in CLONES:
            self.assign(f"tamoxifen_effect_{clone}_patient", self.law(
                "patient_clone_tamoxifen_effect",
                clone_tamoxifen_effect=f"tamoxifen_effect_{clone}",
                clone_er_positive=f"er_positive_{clone}",
                patient_pr_negative_primary="patient_pr_negative_primary"))
            self.assign(f"tamoxifen_effect_now_{clone}", self.law(
                "tamoxifen_effect",
                patient_clone_tamoxifen_effect=f"tamoxifen_effect_{clone}_patient",
                tamoxifen_level="tamoxifen_level",
                endocrine_sensitivity="endocrine_sensitivity"))
        for s, site in enumerate(SITES):
            cells = [cell_id(site, cl, ac) for cl in CLONES for ac in ACTIVITIES]
            self.assign(f"cells_{site}", " + ".join(cells))
            n_site = f"cells_{site}"
            g_site = self.law("site_gompertz_rate", patient_gompertz_rate="gompertz_rate_per_day",
                              is_metastatic_site="true" if s > 0 else "false")
            self.assign(f"growth_cap_{site}", self.law(
                "growth_cap", site_cells=n_site,
                is_metastatic_site="true" if s > 0 else "false",
                patient_growth_factor="patient_growth_factor"))
            self.assign(f"growth_rate_{site}", self.law(
                "capped_gompertz_rate", site_cells=n_site,
                carrying_capacity_cells=f"carrying_capacity_{site}", site_gompertz_rate=g_site,
                growth_cap=f"growth_cap_{site}"))
            self.assign(f"antioxidant_{site}", self.law(
                "antioxidant_capacity", fission=f"fission_{site}",
                drp1_inhibition="drp1_inhibition", nrf2_inhibition="nrf2_inhibition")
                if m3 else "0")
            if m1:
                self.assign(f"ros_{site}", self.law(
                    "ros_index", internal_arsenic="arsenic_internal_ug_per_l",
                    internal_lead="lead_internal_ug_per_dl", chemo_signal="chemo_on_now",
                    antioxidant_capacity=f"antioxidant_{site}", ros_quencher="ros_quencher"))
            else:
                self.assign(f"ros_{site}", "1")
            self.assign(f"pr_loss_{site}_per_day", self.law(
                "pr_loss_hazard", ros_index=f"ros_{site}" if m1 else "0"))
            if m2:
                secretion = " + ".join(
                    f"cxcl_secretion_{cl} * ({cell_id(site, cl, 'proliferating')} + "
                    f"{cell_id(site, cl, 'dormant')})" for cl in CLONES)
                cx = self.law("cxcl_signal", patient_cxcl_multiplier="cxcl_multiplier",
                              mean_cxcl_secretion=f"({secretion}) / {n_site}",
                              site_cells=n_site, chemo_signal="chemo_on_now")
                self.assign(f"cxcl_{site}", f"piecewise({cx}, {n_site} > 0, 0)")
                recruitment = self.law("myeloid_recruitment", cxcl_signal=f"cxcl_{site}",
                                       cxcr2_inhibition="cxcr2_inhibition")
                protect_m = f"myeloid_protection_{site}"
                self.assign(protect_m, self.law("myeloid_protection",
                                                myeloid_niche=f"myeloid_{site}"))
            else:
                self.assign(f"cxcl_{site}", "0")
                recruitment = "0"
                protect_m = "1"
            self.rate(f"myeloid_{site}", self.law(
                "myeloid_niche_rate", myeloid_recruitment=recruitment,
                myeloid_niche=f"myeloid_{site}"))
            if m3:
                protect_a = f"antioxidant_protection_{site}"
                self.assign(protect_a, self.law(
                    "antioxidant_protection", antioxidant_capacity=f"antioxidant_{site}",
                    chemo_ros_dependence="chemo_rho"))
            else:
                protect_a = "1"
            for clone in CLONES:
                p_id = cell_id(site, clone, "proliferating")
                d_id = cell_id(site, clone, "dormant")
                deep_id = cell_id(site, clone, "deep_dormant")
                g_c = f"growth_rate_{site}_{clone}"
                self.assign(g_c, self.law("clone_growth_rate",
                                          site_growth_rate=f"growth_rate_{site}",
                                          clone_growth_multiplier=f"growth_{clone}"))
                e_tam = f"tamoxifen_effect_now_{clone}"
                self.assign(f"kill_{site}_{clone}_per_day", self.law(
                    "proliferating_kill_rate", tamoxifen_effect=e_tam,
                    chemo_hazard="chemo_hazard_now", clone_growth_rate=g_c,
                    myeloid_protection=protect_m, antioxidant_protection=protect_a))
                self.assign(f"awakening_{site}_{clone}_per_day", self.law(
                    "awakening_rate", tamoxifen_effect=e_tam, drp1_inhibition="drp1_inhibition",
                    nrf2_inhibition="nrf2_inhibition",
                    clone_awakening_multiplier=f"awakening_multiplier_{clone}"))
                self.assign(f"dormant_death_{site}_{clone}_per_day", self.law(
                    "dormant_death_rate", antioxidant_capacity=f"antioxidant_{site}",
                    tamoxifen_effect=e_tam, chemo_hazard="chemo_hazard_now",
                    antioxidant_protection=protect_a,
                    clone_dormant_death_multiplier=f"dormant_death_multiplier_{clone}"))
                growth = self.law("proliferation_rate", clone_growth_rate=g_c,
                                  tamoxifen_effect=e_tam)
                inflow[p_id].append(f"({growth}) * {p_id}")
                inflow[p_id].append(f"- kill_{site}_{clone}_per_day * {p_id}")
                inflow[p_id].append(f"+ awakening_{site}_{clone}_per_day * {d_id}")
                inflow[d_id].append(f"- (awakening_{site}_{clone}_per_day + "
                                    f"dormant_death_{site}_{clone}_per_day) * {d_id}")
                self.assign(f"deep_awakening_{site}_{clone}_per_day", self.law(
                    "deep_awakening_rate", drp1_inhibition="drp1_inhibition",
                    nrf2_inhibition="nrf2_inhibition"))
                self.assign(f"deep_dormant_death_{site}_{clone}_per_day", self.law(
                    "deep_dormant_death_rate", antioxidant_capacity=f"antioxidant_{site}",
                    tamoxifen_effect=e_tam, chemo_hazard="chemo_hazard_now",
                    antioxidant_protection=protect_a))
                inflow[p_id].append(f"+ deep_awakening_{site}_{clone}_per_day * {deep_id}")
                inflow[deep_id].append(f"- (deep_awakening_{site}_{clone}_per_day + "
                                       f"deep_dormant_death_{site}_{clone}_per_day) * {deep_id}")
            for act in ACTIVITIES:
                pos = cell_id(site, CLONES[0], act)
                neg = cell_id(site, CLONES[1], act)
                inflow[pos].append(f"- pr_loss_{site}_per_day * {pos} + pr_regain_per_day * {neg}")
                inflow[neg].append(f"+ pr_loss_{site}_per_day * {pos} - pr_regain_per_day * {neg}")

        # dissemination
        seeding = []
        if spread:
            for s, src in enumerate(SITES):
                if s > 0 and not secondary:
                    continue
                prolif = [cell_id(src, cl, "proliferating") for cl in CLONES]
                self.assign(f"proliferating_{src}", " + ".join(prolif))
                self.assign(f"motile_{src}", " + ".join(
                    f"motility_{cl} * {cell_id(src, cl, 'proliferating')}" for cl in CLONES))
                dests = [d for d in SITES[1:] if d != src]
                # each clone's destination weights; W is their motility-weighted mean
                weight = {(d, cl): (self.law("destination_weight",
                                             tropism_weight=f"tropism_{d}_{cl}",
                                             colonisation_boost=self.law(
                                                 "colonisation_boost",
                                                 myeloid_niche=f"myeloid_{d}"))
                                    if m2 else f"tropism_{d}_{cl}")
                          for d in dests for cl in CLONES}
                for cl in CLONES:
                    self.assign(f"destinations_{src}_{cl}",
                                " + ".join(f"({weight[d, cl]})" for d in dests))
                self.assign(f"destinations_{src}", " + ".join(
                    f"share_{src}_{cl} * destinations_{src}_{cl}" for cl in CLONES))
                boost = (self.law("colonisation_boost", myeloid_niche=f"myeloid_{src}")
                         if m2 else "1")
                rate = self.law("dissemination_rate",
                                patient_dissemination_coefficient=(
                                    "patient_dissemination_coefficient"),
                                proliferating_cells=f"proliferating_{src}",
                                motile_share=f"motile_{src} / proliferating_{src}",
                                source_colonisation_boost=boost,
                                destination_weight_total=f"destinations_{src}")
                self.assign(f"seeding_{src}",
                            f"piecewise({rate}, proliferating_{src} > 0 && "
                            f"motile_{src} > 0 && destinations_{src} > 0, 0)")
                seeding.append(f"seeding_{src}")
                for cl in CLONES:
                    share = (f"piecewise(motility_{cl} * {cell_id(src, cl, 'proliferating')} / "
                             f"motile_{src}, motile_{src} > 0, 0)")
                    self.assign(f"share_{src}_{cl}", share)
                    for d in dests:
                        q = (self.law("dormancy_entry_fraction",
                                      dormancy_entry_probability=f"dormancy_entry_{d}",
                                      dormancy_entry_multiplier=(
                                          f"dormancy_entry_multiplier_{cl}"))
                             if dormancy else "0")
                        deep = self.law("deep_dormancy_fraction",
                                        deep_dormancy_share=f"deep_share_{d}",
                                        deep_dormancy_multiplier=f"deep_multiplier_{cl}",
                                        patient_deep_dormancy_factor=(
                                            "patient_deep_dormancy_factor"))
                        to = (f"piecewise(seeding_{src} * share_{src}_{cl} * "
                              f"({weight[d, cl]}) / destinations_{src}, "
                              f"destinations_{src} > 0, 0)")
                        inflow[cell_id(d, cl, "proliferating")].append(f"+ {to} * (1 - {q})")
                        inflow[cell_id(d, cl, "dormant")].append(
                            f"+ {to} * ({q} * (1 - ({deep})))")
                        inflow[cell_id(d, cl, "deep_dormant")].append(
                            f"+ {to} * ({q} * ({deep}))")
        self.rate("disseminated_cells", " + ".join(seeding) if seeding else "0")

        # rate rules of the cells; the primary follows its path before diagnosis
        primary_rate = self.law("capped_gompertz_rate", site_cells=f"cells_{SITES[0]}",
                                carrying_capacity_cells=f"carrying_capacity_{SITES[0]}",
                                site_gompertz_rate="primary_growth_rate_per_day",
                                growth_cap="max_growth_rate_per_day")
        for site in SITES:
            for clone in CLONES:
                for act in ACTIVITIES:
                    cid = cell_id(site, clone, act)
                    terms = " ".join(inflow[cid]) or "0"
                    if site == SITES[0]:
                        pre = f"{cid} * ({primary_rate})" if act == "proliferating" else "0"
                        terms = f"piecewise({pre}, diagnosed < 0.5, {terms})"
                    self.rate(cid, terms)

        # events: diagnosis and surgery, treatment boundaries, detection and death
        residual = " * residual_fraction_after_surgery" if compiled.surgery[plan] else ""
        self.event("diagnosis", "time >= natural_history_days",
                   [("diagnosed", "1")]
                   + [(cell_id(SITES[0], cl, "proliferating"),
                       f"diagnosis_cells * clone_fraction_{cl}{residual}") for cl in CLONES])
        bounds = compiled.boundaries[plan]
        for j, b in enumerate(float(x) for x in bounds[np.isfinite(bounds)]):
            row = compiled.drivers[plan, j]
            self.event(f"plan_boundary_{j}", f"time >= natural_history_days + {b!r}",
                       [(name, repr(float(row[col]))) for name, col in driver_cols.items()])
        first = 0 if compiled.surgery[plan] else 1
        self.variable("death_days", -1.0)
        alive = f"(death_days < 0 || {days} < death_days)"
        if run.base.mechanisms.competing_mortality:
            # death from other causes at the median of her own time (cumulative hazard
            # ln 2), as in the deterministic mode; nothing is detected after it
            age = float(run.cohort.covariates["age_years"].iloc[self.index])
            self.constant("age_at_diagnosis_years", age, unit="year")
            years = f"({days} / {_YEAR_DAYS!r})"
            self.assign("other_cause_hazard_per_year", self.law(
                "other_cause_death_hazard", age_years=f"age_at_diagnosis_years + {years}"))
            self.assign("other_cause_cumulative_hazard", "piecewise(" + self.law(
                "other_cause_cumulative_hazard", age_at_diagnosis_years="age_at_diagnosis_years",
                years_since_diagnosis=years) + ", diagnosed > 0.5, 0)")
            self.variable("other_cause_death_days", -1.0)
            self.event("other_cause_death",
                       f"diagnosed > 0.5 && other_cause_cumulative_hazard >= {math.log(2.0)!r} "
                       "&& other_cause_death_days < 0", [("other_cause_death_days", days)])
            alive = f"({alive} && other_cause_death_days < 0)"
        for s, site in enumerate(SITES):
            self.variable(f"relapse_{site}_days", -1.0)
            if s < first:
                continue
            assignments = [(f"relapse_{site}_days", days)]
            if mortal and s > 0:
                er = " + ".join(f"er_positive_{cl} * ({cell_id(site, cl, 'proliferating')} + "
                                f"{cell_id(site, cl, 'dormant')})" for cl in CLONES)
                median = (f"piecewise(survival_after_relapse_er_pos_months, {er} >= 0.5 * "
                          f"cells_{site}, survival_after_relapse_er_neg_months) * "
                          f"{365.25 / 12.0!r}")
                assignments.append(("death_days",
                                    f"piecewise(death_days, death_days >= 0, {days} + {median})"))
            self.event(f"detect_{site}",
                       f"diagnosed > 0.5 && cells_{site} >= detection_cells_{site} && "
                       f"relapse_{site}_days < 0 && {alive}", assignments)
        return self.doc


def _exposure_formula(kind: int, times: np.ndarray, levels: np.ndarray, count: int,
                      removal_day: float, days: str) -> str:
    """An exposure course as a function of ``days`` since diagnosis (plan.EXPOSURE_*)."""
    if kind == EXPOSURE_NONE or count == 0:
        return "0"
    ts = [float(t) for t in times[:count]]
    ls = [float(v) for v in levels[:count]]
    if kind == EXPOSURE_LINEAR:
        pieces = [f"{ls[0]!r}, {days} <= {ts[0]!r}"]
        for j in range(1, count):
            slope = (ls[j] - ls[j - 1]) / (ts[j] - ts[j - 1])
            pieces.append(f"{ls[j - 1]!r} + {slope!r} * ({days} - {ts[j - 1]!r}), "
                          f"{days} < {ts[j]!r}")
        body = f"piecewise({', '.join(pieces)}, {ls[-1]!r})"
    else:
        body = "0"
        for t, v in zip(ts, ls, strict=True):
            if math.isinf(t):
                body = repr(v)
            else:
                body = f"piecewise({v!r}, {days} >= {t!r}, {body})"
    if math.isfinite(removal_day):
        body = f"piecewise(0, {days} >= {removal_day!r}, {body})"
    return body


def _operand(expression: str) -> str:
    """``expression`` ready to stand as an operand: bracketed unless it is one name."""
    return expression if expression.replace("_", "").isalnum() else f"({expression})"


def _number(x: float) -> str:
    """A number in SBML formula syntax (``INF`` for infinity)."""
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    return repr(float(x))
