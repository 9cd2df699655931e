"""The scenario: a validated, immutable description of what to simulate.

A scenario holds the virtual population, sites, clones, mechanism switches, parameter
overrides, metal exposures, the treatment plan and the cohort size and seed. It is built
from a TOML file (:func:`tumorsim.io.scenario_file.load_scenario`) or directly in Python::

    from tumorsim import Scenario
    s = Scenario(name="arsenic", exposures={"arsenic": {"kind": "constant", "level": 10}})

Both start from the same packaged biology. A file names it with ``extends =
"tumorsim:calibrated"`` (the GBSG2 calibration, what the examples and the built-in
default use) or ``extends = "tumorsim:default"`` (the built-in default scenario). A
scenario built in Python starts from the calibration unless it says otherwise:
``biology="calibrated"`` (the default) merges the packaged calibrated values under the
scenario's own ``parameters``, ``sites`` and ``clones`` (the scenario's values win);
``biology="registry"`` keeps the registry defaults of :mod:`tumorsim.model.parameters`,
:mod:`tumorsim.model.sites` and :mod:`tumorsim.model.clones` (the calibration's starting
point). Scenario files always validate with ``biology="registry"``: every value a file
chain gives is written out, and a file without ``extends`` starts from the registry
defaults (``extends = "tumorsim:registry"`` says so explicitly).

Times are days relative to diagnosis (day 0 = diagnosis and surgery); exposure time
courses may start before diagnosis (negative days).
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tumorsim.model.anatomy import CLONES, SITES, CloneName, SiteName
from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_DEFAULTS
from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.sites import SITE_ATTRIBUTES, SITE_DEFAULTS
from tumorsim.model.treatments import MAX_DOSES, REGIMENS

RegimenName = Literal["CMF", "AC", "AC_T", "ddAC_T", "cisplatin"]

_DAY_LIMIT = 365.25 * 100

Biology = Literal["calibrated", "registry"]
"""The packaged parameter set under a scenario's own values (see the module docstring)."""

CALIBRATED_RESOURCE: Final[tuple[str, ...]] = ("data", "calibrated_parameters.toml")
"""Where the packaged calibration lives inside the ``tumorsim`` package."""

_BIOLOGY_SECTIONS: Final[tuple[str, ...]] = ("parameters", "sites", "clones")
"""The sections of a scenario that hold biology (what ``biology`` fills in)."""


class _Frozen(BaseModel):
    # Every number must be finite: NaN or inf would pass range checks that compare
    # (NaN compares false) and break the engine or the JSON written with results.
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


NonNegDay = Annotated[float, Field(ge=0.0, le=_DAY_LIMIT)]


class CohortSpec(_Frozen):
    """How many patients, which seed, how long, and what to record."""

    patients: int = Field(1000, ge=1, le=100_000_000, description="virtual patients")
    seed: int = Field(12345, ge=0, le=2**63 - 1, description="master random seed")
    horizon_years: float = Field(20.0, gt=0.0, le=60.0, description="follow-up, years")
    trajectory_patients: int = Field(
        0, ge=0, le=100_000, description="patients whose trajectories are recorded"
    )
    record_every_days: float = Field(
        30.0, ge=1.0, le=3650.0, description="trajectory sampling interval, days"
    )
    metastasis_free_at_diagnosis: bool = Field(
        False,
        description="condition every patient on no detectable distant metastasis at "
        "diagnosis (an adjuvant population): a natural history that ends with one is drawn "
        "again (at most 100 times; the count is in natural_history_redraws)",
    )


class PopulationSpec(_Frozen):
    """Parametric distributions of the covariates of a virtual population.

    Ages are normal and clipped; tumour size lognormal and clipped; nodes are zero with
    ``node_negative_fraction`` and otherwise 1 + geometric with the given mean; ER and PR
    in fmol/mg are lognormal above 10 fmol when positive and uniform in 0-9 when negative.
    """

    age_mean_years: float = Field(58.0, ge=18.0, le=100.0)
    age_sd_years: float = Field(11.0, ge=0.0, le=50.0)
    age_min_years: float = Field(25.0, ge=18.0, le=100.0)
    age_max_years: float = Field(85.0, ge=18.0, le=110.0)
    menopause_age_years: float = Field(51.0, ge=30.0, le=70.0)
    tumour_size_median_mm: float = Field(20.0, gt=0.0, le=200.0)
    tumour_size_log_sd: float = Field(0.5, ge=0.0, le=3.0)
    tumour_size_min_mm: float = Field(2.0, gt=0.0, le=200.0)
    tumour_size_max_mm: float = Field(120.0, gt=0.0, le=300.0)
    grade_probabilities: tuple[float, float, float] = (0.2, 0.5, 0.3)
    node_negative_fraction: float = Field(0.6, ge=0.0, le=1.0)
    nodes_mean_if_positive: float = Field(4.0, ge=1.0, le=50.0)
    er_positive_fraction: float = Field(1.0, ge=0.0, le=1.0)
    pr_positive_fraction_if_er_positive: float = Field(0.85, ge=0.0, le=1.0)
    receptor_fmol_log_median: float = Field(
        4.5, ge=2.31, le=9.0, description="log of median fmol/mg when positive"
    )
    receptor_fmol_log_sd: float = Field(1.0, ge=0.0, le=3.0)

    @field_validator("grade_probabilities")
    @classmethod
    def _sums_to_one(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(p < 0 for p in v) or not math.isclose(sum(v), 1.0, abs_tol=1e-6):
            raise ValueError("must be three non-negative numbers summing to 1")
        return v

    @model_validator(mode="after")
    def _ordered_bounds(self) -> PopulationSpec:
        if self.age_min_years > self.age_max_years:
            raise ValueError("age_min_years must not exceed age_max_years")
        if self.tumour_size_min_mm > self.tumour_size_max_mm:
            raise ValueError("tumour_size_min_mm must not exceed tumour_size_max_mm")
        return self


def _site_field(attr: str) -> Any:
    meta = next(a for a in SITE_ATTRIBUTES if a.name == attr)
    if meta.low_exclusive:
        return Field(None, gt=meta.low, le=meta.high, description=f"{meta.description}, "
                     f"{meta.unit}")
    return Field(None, ge=meta.low, le=meta.high, description=f"{meta.description}, {meta.unit}")


class SiteSpec(_Frozen):
    """Overrides of one site's attributes; an omitted attribute keeps its default."""

    stiffness_kpa: float | None = _site_field("stiffness_kpa")
    carrying_capacity_cells: float | None = _site_field("carrying_capacity_cells")
    tropism_weight: float | None = _site_field("tropism_weight")
    dormancy_entry_probability: float | None = _site_field("dormancy_entry_probability")
    detection_cells: float | None = _site_field("detection_cells")
    deep_dormancy_share: float | None = _site_field("deep_dormancy_share")


def _clone_field(attr: str) -> Any:
    meta = next(a for a in CLONE_ATTRIBUTES if a.name == attr)
    return Field(None, ge=meta.low, le=meta.high, description=f"{meta.description}, {meta.unit}")


class CloneSpec(_Frozen):
    """Overrides of one clone's attributes; an omitted attribute keeps its default."""

    motility_multiplier: float | None = _clone_field("motility_multiplier")
    growth_multiplier: float | None = _clone_field("growth_multiplier")
    cxcl_secretion: float | None = _clone_field("cxcl_secretion")
    dormancy_entry_multiplier: float | None = _clone_field("dormancy_entry_multiplier")
    deep_dormancy_multiplier: float | None = _clone_field("deep_dormancy_multiplier")
    awakening_multiplier: float | None = _clone_field("awakening_multiplier")
    dormant_death_multiplier: float | None = _clone_field("dormant_death_multiplier")
    tropism_multiplier_bone: float | None = _clone_field("tropism_multiplier_bone")
    tropism_multiplier_lung: float | None = _clone_field("tropism_multiplier_lung")
    tropism_multiplier_liver: float | None = _clone_field("tropism_multiplier_liver")
    tropism_multiplier_brain: float | None = _clone_field("tropism_multiplier_brain")


class MechanismSwitches(_Frozen):
    """Which processes are simulated. Each can be switched off for comparison."""

    metal_ros_pr: bool = Field(True, description="M1: metals -> ROS -> PR loss (seed 000)")
    chemo_cxcl_myeloid: bool = Field(
        True, description="M2: chemotherapy -> CXCL1/2 -> myeloid -> S100A8/9 (seed 001)"
    )
    stiffness_drp1_nrf2: bool = Field(
        True, description="M3: soft tissue -> DRP1 -> NRF2 -> antioxidant (seed 002)"
    )
    dissemination: bool = Field(True, description="cells leave proliferating sites")
    secondary_seeding: bool = Field(True, description="metastases seed other sites")
    dormancy: bool = Field(True, description="arriving cells may enter dormancy")
    death_after_relapse: bool = Field(True, description="death drawn after distant relapse")
    competing_mortality: bool = Field(
        False, description="death from other causes, drawn from the woman's age at "
        "diagnosis (a Gompertz-Makeham hazard fitted to a female life table); overall "
        "survival is then the first of cancer death and other death, and no relapse is "
        "observed after it")


class ExposureCourse(_Frozen):
    """A metal exposure time course.

    ``constant``: ``level`` at all times. ``steps``: ``levels[i]`` from ``times_days[i]``
    until the next time (0 before the first). ``piecewise``: linear between the points,
    constant outside them.
    """

    kind: Literal["constant", "steps", "piecewise"] = "constant"
    level: float | None = Field(None, ge=0.0)
    times_days: tuple[float, ...] = ()
    levels: tuple[Annotated[float, Field(ge=0.0)], ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ExposureCourse:
        if self.kind == "constant":
            if self.level is None:
                raise ValueError("a constant exposure needs 'level'")
            if self.times_days or self.levels:
                raise ValueError("a constant exposure takes 'level', not times_days/levels")
        else:
            if self.level is not None:
                raise ValueError(f"a {self.kind} exposure takes times_days and levels, "
                                 "not 'level'")
            if not self.times_days or len(self.times_days) != len(self.levels):
                raise ValueError("times_days and levels must be non-empty and equally long")
            if len(self.times_days) > 32:
                raise ValueError("at most 32 time points")
            if any(b <= a for a, b in zip(self.times_days, self.times_days[1:], strict=False)):
                raise ValueError("times_days must increase strictly")
        return self


class Exposures(_Frozen):
    """Arsenic in drinking water (ug/L) and blood lead (ug/dL)."""

    arsenic: ExposureCourse | None = Field(
        None, description="arsenic in drinking water, ug/L (EPA limit 10 ug/L)"
    )
    lead: ExposureCourse | None = Field(
        None, description="blood lead, ug/dL (US geometric mean 0.82 ug/dL)"
    )

    @model_validator(mode="after")
    def _ranges(self) -> Exposures:
        for name, course, high, unit in (("arsenic", self.arsenic, 10_000.0, "ug/L"),
                                         ("lead", self.lead, 1_000.0, "ug/dL")):
            if course is None:
                continue
            values = (course.level,) if course.level is not None else course.levels
            for v in values:
                if v is not None and v > high:
                    raise ValueError(f"{name} level {v} above {high:g} {unit}")
        return self


class TamoxifenSpec(_Frozen):
    """Adjuvant tamoxifen; adherence is the fraction of the prescribed dose taken."""

    start_day: NonNegDay = 0.0
    duration_days: float = Field(5 * 365.25, gt=0.0, le=_DAY_LIMIT)
    adherence: float = Field(1.0, ge=0.0, le=1.0)


class ChemotherapySpec(_Frozen):
    """A chemotherapy regimen; ``cycles``/``interval_days`` override every phase's values."""

    regimen: RegimenName
    start_day: NonNegDay = 28.0
    cycles: int | None = Field(None, ge=1, le=24)
    interval_days: float | None = Field(None, ge=1.0, le=365.0)

    @model_validator(mode="after")
    def _few_enough_doses(self) -> ChemotherapySpec:
        doses = sum(self.cycles or p.cycles for p in REGIMENS[self.regimen].phases)
        if doses > MAX_DOSES:
            raise ValueError(f"{doses} doses; at most {MAX_DOSES}")
        return self


class InhibitorSpec(_Frozen):
    """A targeted drug given from ``start_day`` for ``duration_days`` at ``inhibition``."""

    start_day: NonNegDay = 0.0
    duration_days: float = Field(180.0, gt=0.0, le=_DAY_LIMIT)
    inhibition: float = Field(0.9, ge=0.0, le=1.0, description="fraction of activity blocked")


class ExposureRemovalSpec(_Frozen):
    """Exposure removal (chelation or a new water source) from ``day`` on."""

    day: float = Field(0.0, ge=-_DAY_LIMIT, le=_DAY_LIMIT)


class TreatmentPlan(_Frozen):
    """Surgery, endocrine therapy, chemotherapy, targeted drugs and exposure removal."""

    surgery: bool = True
    tamoxifen: TamoxifenSpec | None = None
    chemotherapy: ChemotherapySpec | None = None
    cxcr2_inhibitor: InhibitorSpec | None = None
    drp1_inhibitor: InhibitorSpec | None = None
    nrf2_inhibitor: InhibitorSpec | None = None
    ros_quencher: InhibitorSpec | None = None
    exposure_removal: ExposureRemovalSpec | None = None


class NumericsSpec(_Frozen):
    """How the engine integrates: stochastic hybrid (default) or expected values.

    These are settings of the numerical method, not biology: they are not in the
    parameter registry, and results are checked not to depend on them beyond the
    stated tolerances (tests/test_engine.py, tests/test_sbml.py).
    """

    mode: Literal["stochastic", "deterministic"] = "stochastic"
    stochastic_threshold_cells: float = Field(
        1e4, ge=10.0, le=1e8,
        description="cells; compartments below it move by integer draws (n_switch)")
    untreated_step_days: float = Field(
        7.0, ge=1.0, le=30.0,
        description="days; stochastic time step while no treatment acts (checked against "
                    "the 1-day step by a test)")
    treated_step_days: float = Field(
        1.0, ge=0.25, le=7.0, description="days; stochastic time step while a treatment acts")
    relative_tolerance: float = Field(
        1e-6, ge=1e-10, le=1e-2,
        description="local relative error allowed per step in the deterministic mode "
                    "(checked against libRoadRunner/CVODE by a test)")
    absolute_tolerance_cells: float = Field(
        1e-15, ge=1e-30, le=1.0,
        description="cells; absolute error floor per compartment in the deterministic "
                    "mode, far below one cell: expected counts of a tiny fraction of a "
                    "cell, seeded years before diagnosis, grow by many orders of magnitude "
                    "(1e-9 shifted diagnosis counts by 3 % in the SBML test)")


@cache
def packaged_calibration() -> dict[str, dict[str, Any]]:
    """The biology of the packaged GBSG2 calibration (``tumorsim:calibrated``).

    Returns
    -------
    dict
        ``{"parameters": {...}, "sites": {...}, "clones": {...}}`` as written in
        ``tumorsim/data/calibrated_parameters.toml`` (read through
        :mod:`importlib.resources`, so it works from an installed package). Do not
        modify the result: it is cached.
    """
    resource = resources.files("tumorsim").joinpath(*CALIBRATED_RESOURCE)
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return {section: data.get(section, {}) for section in _BIOLOGY_SECTIONS}


def _plain(value: Any) -> Any:
    """A section value as plain dicts (models dumped without unset entries)."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Scenario(_Frozen):
    """Everything needed to simulate one virtual cohort under one treatment plan.

    ``Scenario()`` is the packaged calibrated biology with registry defaults for
    everything else; ``Scenario(biology="registry")`` the registry defaults alone.
    """

    biology: Biology = Field(
        "calibrated",
        description="packaged values under this scenario's parameters, sites and clones: "
        "'calibrated' (the GBSG2 calibration, tumorsim:calibrated) or 'registry' (the "
        "registry defaults); scenario files always use 'registry' and name their base "
        "with extends",
    )
    name: str = Field("default", min_length=1, max_length=200)
    description: str = ""
    cohort: CohortSpec = CohortSpec()
    population: PopulationSpec = PopulationSpec()
    sites: dict[SiteName, SiteSpec] = Field(default_factory=dict)
    clones: dict[CloneName, CloneSpec] = Field(default_factory=dict)
    mechanisms: MechanismSwitches = MechanismSwitches()
    parameters: dict[str, float] = Field(default_factory=dict)
    exposures: Exposures = Exposures()
    treatment: TreatmentPlan = TreatmentPlan()
    numerics: NumericsSpec = NumericsSpec()

    @model_validator(mode="before")
    @classmethod
    def _packaged_biology(cls, data: Any) -> Any:
        """Merge the packaged calibration under the scenario's own biology."""
        if not isinstance(data, dict) or data.get("biology", "calibrated") != "calibrated":
            return data
        merged = dict(data)
        for section, packaged in packaged_calibration().items():
            own = merged.get(section)
            if own is None:
                own = {}
            elif not isinstance(own, dict):
                continue  # a wrong type: reported by field validation
            merged[section] = deep_merge(_plain(packaged), _plain(own))
        return merged

    @field_validator("parameters", mode="before")
    @classmethod
    def _known_parameters(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        for name, value in v.items():
            spec = PARAMETERS.get(name)
            if spec is None:
                raise ValueError(
                    f"unknown parameter {name!r}; see `tumorsim params` for the "
                    f"{len(PARAMETERS)} allowed names"
                )
            problem = spec.check(value)
            if problem is not None:
                raise ValueError(f"{name} = {value!r}: {problem}")
        return v

    @model_validator(mode="after")
    def _myeloid_bounded(self) -> Scenario:
        if self.parameter("myeloid_recruitment_per_day") > self.parameter(
            "myeloid_decay_per_day"
        ):
            raise ValueError(
                "myeloid_recruitment_per_day must not exceed myeloid_decay_per_day "
                "(keeps the myeloid niche M in 0..1)"
            )
        if sum(self.site_value(s, "tropism_weight") for s in SITES[1:]) <= 0:
            raise ValueError("at least one metastatic site needs a tropism_weight > 0")
        for clone in CLONES:
            if sum(self.site_value(s, "tropism_weight")
                   * self.clone_value(clone, f"tropism_multiplier_{s}") for s in SITES[1:]) <= 0:
                raise ValueError(f"clone {clone}: at least one metastatic site needs "
                                 "tropism_weight x tropism_multiplier > 0")
        return self

    # --- resolved values -------------------------------------------------------------------
    def parameter(self, name: str) -> float:
        """The value of a scalar parameter: the override if given, else the default."""
        return float(self.parameters.get(name, PARAMETERS[name].default))

    def site_value(self, site: str, attribute: str) -> float:
        """The value of a site attribute: the override if given, else the default."""
        spec = self.sites.get(site)  # type: ignore[call-overload]
        value = getattr(spec, attribute) if spec is not None else None
        return float(SITE_DEFAULTS[site][attribute] if value is None else value)

    def clone_value(self, clone: str, attribute: str) -> float:
        """The value of a clone attribute: the override if given, else the default."""
        spec = self.clones.get(clone)  # type: ignore[call-overload]
        value = getattr(spec, attribute) if spec is not None else None
        return float(CLONE_DEFAULTS[clone][attribute] if value is None else value)

    def with_changes(self, **changes: Any) -> Scenario:
        """A new validated scenario with top-level sections replaced (dicts are merged)."""
        data = self.model_dump(exclude_none=True)
        for key, value in changes.items():
            if isinstance(value, BaseModel):
                value = value.model_dump(exclude_none=True)
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = deep_merge(data[key], value)
            else:
                data[key] = value
        return Scenario.model_validate(data)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` merged in: nested dicts merge, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


__all__ = [
    "CLONES",
    "Biology",
    "ChemotherapySpec",
    "CloneSpec",
    "CohortSpec",
    "ExposureCourse",
    "ExposureRemovalSpec",
    "Exposures",
    "InhibitorSpec",
    "MechanismSwitches",
    "NumericsSpec",
    "PopulationSpec",
    "Scenario",
    "SiteSpec",
    "TamoxifenSpec",
    "TreatmentPlan",
    "packaged_calibration",
]
