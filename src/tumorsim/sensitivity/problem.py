"""What a sensitivity analysis varies: factors with ranges and scales, and their groups.

A factor is a scalar parameter of the registry (:mod:`tumorsim.model.parameters`), a site
attribute (``lung.stiffness_kpa``) or a clone attribute (``ERneg.cxcl_secretion``), named
as ``tumorsim params`` prints it. It is varied over its documented allowed range unless
a narrower one is given, on one of two scales:

- **log** (log-uniform) when the range is positive and spans at least
  :data:`LOG_SCALE_MIN_RATIO` (100x, two decades): cell counts, half-maximal signals,
  rates spanning decades;
- **linear** (uniform) otherwise, including every range that starts at 0 (a log scale
  cannot reach 0) and dimensionless fractions in [0, 1].

A selection may name factors, registry groups (``chemo_cxcl_myeloid``, ``dormancy``...)
and the mechanisms ``M1``, ``M2``, ``M3`` (:data:`MECHANISM_FACTORS`). Groups of factors
(e.g. ``"M2 niche"`` = the M2 parameters) get one index each (SALib's group indices).

One constraint of the model couples two parameters: the myeloid niche stays in 0..1 only
if ``myeloid_recruitment_per_day <= myeloid_decay_per_day``. When recruitment is varied
its range is cut at each sample's decay (its unit coordinate is a fraction of the range
``[low, min(high, decay)]``), and when decay is varied without recruitment its range
starts at the scenario's recruitment. Factors stay independent, as Sobol's and Morris'
estimators need.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd

from tumorsim.errors import AnalysisError

if TYPE_CHECKING:
    from tumorsim.model.scenario import Scenario

__all__ = [
    "DUMMY_FACTOR",
    "LOG_SCALE_MIN_RATIO",
    "MECHANISM_FACTORS",
    "Factor",
    "FactorScale",
    "SensitivityProblem",
    "define_problem",
    "scenario_changes",
]

FactorScale = Literal["linear", "log"]

LOG_SCALE_MIN_RATIO: Final[float] = 100.0
"""A positive range with ``high / low`` at least this is sampled log-uniformly."""

DUMMY_FACTOR: Final[str] = "dummy (no effect)"
"""Name of the factor the model ignores, added with ``dummy=True``: its indices show how
large an index the estimator gives to a factor without effect."""

MECHANISM_FACTORS: Final[dict[str, tuple[str, ...]]] = {
    # M1 (seed 000): every parameter of the metal -> ROS -> PR-loss process
    "M1": ("metal_internal_dose_time_constant_days", "ros_per_arsenic_ug_per_l",
           "ros_per_lead_ug_per_dl", "ros_per_chemotherapy", "ros_quencher_reduction",
           "pr_loss_baseline_per_day", "pr_loss_max_per_day", "pr_loss_ros_half_max",
           "pr_loss_hill_power", "pr_regain_baseline_per_day", "pr_regain_quencher_per_day"),
    # M2 (seed 001): CXCL1/2 signal and the myeloid niche it recruits
    "M2": ("cxcl_reference_cells", "cxcl_size_exponent", "cxcl_chemo_induction",
           "cxcl_high_prevalence", "cxcl_high_multiplier", "myeloid_recruitment_per_day",
           "myeloid_half_max_signal", "myeloid_decay_per_day", "myeloid_chemo_protection",
           "myeloid_colonisation_boost", "chemo_signal_window_days"),
    # M3 (seed 002): stiffness -> DRP1 -> NRF2, and what the antioxidant programme does
    "M3": ("fission_half_max_stiffness_kpa", "fission_hill_power",
           "antioxidant_chemo_protection", "antioxidant_dormant_protection",
           "inhibitor_awakening_block", "ros_antioxidant_reduction"),
}
"""Parameters of each seed mechanism, selectable as ``M1``, ``M2``, ``M3``."""

_RECRUITMENT: Final[str] = "myeloid_recruitment_per_day"
_DECAY: Final[str] = "myeloid_decay_per_day"


@dataclass(frozen=True)
class Factor:
    """One varied input.

    Attributes
    ----------
    name : str
        Parameter name, ``<site>.<attribute>`` or ``<clone>.<attribute>``.
    low, high : float
        Sampled range, in ``unit``.
    scale : {"linear", "log"}
        Uniform or log-uniform over ``[low, high]``.
    unit : str
        Physical unit (``"1"`` for dimensionless numbers).
    nominal : float
        The scenario's value (clipped to the range).
    kind : {"parameter", "site", "clone", "dummy"}
        Where the value goes in a scenario.
    low_exclusive : bool
        Whether ``low`` itself is not allowed (a stiffness must be > 0).
    """

    name: str
    low: float
    high: float
    scale: FactorScale
    unit: str
    nominal: float
    kind: Literal["parameter", "site", "clone", "dummy"]
    low_exclusive: bool = False

    def from_unit(self, u: np.ndarray, high: np.ndarray | float | None = None) -> np.ndarray:
        """Values for unit coordinates ``u`` in [0, 1] (shape kept), optionally another top.

        Parameters
        ----------
        u : ndarray of float
            Coordinates in the unit interval, any shape.
        high : ndarray or float, optional
            Per-sample upper end replacing ``self.high`` (the recruitment/decay coupling).

        Returns
        -------
        ndarray of float
            Values in ``unit``, inside the range.
        """
        top = np.asarray(self.high if high is None else high, dtype=float)
        if self.scale == "log":
            values = np.exp(np.log(self.low) + u * (np.log(top) - np.log(self.low)))
        else:
            values = self.low + u * (top - self.low)
        values = np.clip(values, self.low, top)
        if self.low_exclusive:
            values = np.maximum(values, np.nextafter(self.low, math.inf))
        return values


@dataclass(frozen=True)
class SensitivityProblem:
    """The factors of an analysis, their groups, and SALib's problem built from them.

    Attributes
    ----------
    factors : tuple of Factor
        In the order of the sample columns.
    groups : tuple of str
        Per factor, the name of its group (its own name when ungrouped).
    """

    factors: tuple[Factor, ...]
    groups: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Factor names, in order."""
        return tuple(f.name for f in self.factors)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Distinct groups in order of first appearance (the rows of the indices)."""
        return tuple(dict.fromkeys(self.groups))

    @property
    def grouped(self) -> bool:
        """Whether any group holds more than one factor (indices are then per group)."""
        return len(self.group_names) < len(self.factors)

    def members(self, group: str) -> tuple[str, ...]:
        """The factors of a group."""
        return tuple(f.name for f, g in zip(self.factors, self.groups, strict=True) if g == group)

    def salib_problem(self) -> dict[str, Any]:
        """SALib's problem dictionary: every factor on the unit interval (scales applied later)."""
        problem: dict[str, Any] = {
            "num_vars": len(self.factors),
            "names": list(self.names),
            "bounds": [[0.0, 1.0]] * len(self.factors),
        }
        if self.grouped:
            problem["groups"] = list(self.groups)
        return problem

    def values(self, unit_samples: np.ndarray) -> pd.DataFrame:
        """Factor values of unit-cube samples.

        Parameters
        ----------
        unit_samples : ndarray, shape (n_samples, n_factors)
            SALib's samples on the unit cube.

        Returns
        -------
        pandas.DataFrame
            One row per sample, one column per factor, in the factors' units.
        """
        unit = np.asarray(unit_samples, dtype=float)
        columns: dict[str, np.ndarray] = {}
        index = {f.name: i for i, f in enumerate(self.factors)}
        for i, factor in enumerate(self.factors):
            if factor.name == _RECRUITMENT:
                continue  # after decay, whose value caps it
            columns[factor.name] = factor.from_unit(unit[:, i])
        if _RECRUITMENT in index:
            factor = self.factors[index[_RECRUITMENT]]
            decay = columns.get(_DECAY, factor.high)
            columns[_RECRUITMENT] = factor.from_unit(unit[:, index[_RECRUITMENT]],
                                                     high=np.minimum(factor.high, decay))
        return pd.DataFrame({name: columns[name] for name in self.names})

    def nominal(self) -> pd.DataFrame:
        """One row: every factor at its nominal value."""
        return pd.DataFrame({f.name: [f.nominal] for f in self.factors})

    def table(self) -> pd.DataFrame:
        """The factors as a table: ``factor, group, kind, unit, low, high, scale, nominal``."""
        return pd.DataFrame({
            "factor": list(self.names),
            "group": list(self.groups),
            "kind": [f.kind for f in self.factors],
            "unit": [f.unit for f in self.factors],
            "low": [f.low for f in self.factors],
            "high": [f.high for f in self.factors],
            "scale": [f.scale for f in self.factors],
            "nominal": [f.nominal for f in self.factors],
        })


def _scale_of(low: float, high: float) -> FactorScale:
    return "log" if low > 0.0 and high / low >= LOG_SCALE_MIN_RATIO else "linear"


def _allowed_names() -> dict[str, tuple[float, float, str, bool, str]]:
    """Every factor name -> (low, high, unit, low_exclusive, kind)."""
    from tumorsim.model.anatomy import CLONES, SITES
    from tumorsim.model.clones import CLONE_ATTRIBUTES
    from tumorsim.model.parameters import PARAMETER_SPECS
    from tumorsim.model.sites import SITE_ATTRIBUTES

    names: dict[str, tuple[float, float, str, bool, str]] = {
        p.name: (p.low, p.high, p.unit, False, "parameter") for p in PARAMETER_SPECS}
    for site in SITES:
        for a in SITE_ATTRIBUTES:
            names[f"{site}.{a.name}"] = (a.low, a.high, a.unit, a.low_exclusive, "site")
    for clone in CLONES:
        for c in CLONE_ATTRIBUTES:
            names[f"{clone}.{c.name}"] = (c.low, c.high, c.unit, False, "clone")
    return names


def _registry_groups() -> dict[str, tuple[str, ...]]:
    from tumorsim.model.parameters import PARAMETER_SPECS

    groups: dict[str, list[str]] = {}
    for p in PARAMETER_SPECS:
        groups.setdefault(p.group, []).append(p.name)
    return {g: tuple(v) for g, v in groups.items()}


def _selection_help() -> str:
    groups = ", ".join([*MECHANISM_FACTORS, *_registry_groups()])
    return (f"a parameter name (tumorsim params), <site>.<attribute>, <clone>.<attribute>, "
            f"or a group: {groups}")


def _expand(token: str, where: str) -> tuple[str, ...]:
    """The factor names a selection token stands for."""
    allowed = _allowed_names()
    name = token.strip()
    if name in allowed:
        return (name,)
    if name in MECHANISM_FACTORS:
        return MECHANISM_FACTORS[name]
    registry = _registry_groups()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, [*allowed, *MECHANISM_FACTORS, *registry], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise AnalysisError(f"{where}: unknown parameter or group {name!r}{hint}", _selection_help())


def _nominal(name: str, kind: str, scenario: Scenario | None) -> float:
    from tumorsim.model.clones import CLONE_DEFAULTS
    from tumorsim.model.parameters import PARAMETERS
    from tumorsim.model.sites import SITE_DEFAULTS

    if kind == "parameter":
        return scenario.parameter(name) if scenario is not None else PARAMETERS[name].default
    owner, attribute = name.split(".", 1)
    if kind == "site":
        return (scenario.site_value(owner, attribute) if scenario is not None
                else SITE_DEFAULTS[owner][attribute])
    return (scenario.clone_value(owner, attribute) if scenario is not None
            else CLONE_DEFAULTS[owner][attribute])


def define_problem(
    parameters: Sequence[str],
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, FactorScale]] | None = None,
    scenario: Scenario | None = None,
    dummy: bool = False,
) -> SensitivityProblem:
    """Factors, ranges, scales and groups of an analysis.

    Parameters
    ----------
    parameters : sequence of str
        Factor names, registry groups or ``M1``/``M2``/``M3`` (module docstring); members
        of ``groups`` are added.
    groups : mapping of str to sequence of str, optional
        Group name -> its members (names or groups as in ``parameters``). A factor belongs
        to at most one group; selected factors outside every group form their own.
    ranges : mapping of str to (low, high) or (low, high, scale), optional
        Narrower ranges, inside the allowed ones, and optionally the scale; by default the
        allowed range and the scale of the module docstring.
    scenario : Scenario, optional
        Gives the nominal values (its own or the defaults).
    dummy : bool, default False
        Add :data:`DUMMY_FACTOR`, which the model never sees.

    Returns
    -------
    SensitivityProblem

    Raises
    ------
    tumorsim.errors.AnalysisError
        An unknown name or group, a factor in two groups, a range outside the allowed one,
        an empty selection, a group with a reserved name.
    """
    allowed = _allowed_names()
    chosen: list[str] = []
    for token in parameters:
        chosen.extend(_expand(token, "parameters"))
    group_of: dict[str, str] = {}
    for group, members in (groups or {}).items():
        if not group or not isinstance(group, str):
            raise AnalysisError(f"group name {group!r} is empty", "a non-empty name")
        if group in allowed or group == DUMMY_FACTOR:
            raise AnalysisError(f"group name {group!r} is a factor's name",
                                "a name that is not a parameter (e.g. 'M2 niche')")
        expanded: list[str] = []
        for token in members:
            expanded.extend(_expand(token, f"group {group!r}"))
        if not expanded:
            raise AnalysisError(f"group {group!r} has no members", _selection_help())
        for name in expanded:
            if group_of.get(name, group) != group:
                raise AnalysisError(f"group {group!r}: {name!r} is already in group "
                                    f"{group_of[name]!r}", "each factor in at most one group")
            group_of[name] = group
        chosen.extend(expanded)
    names = list(dict.fromkeys(chosen))
    if not names:
        raise AnalysisError("no parameters selected", _selection_help())
    for name in ranges or {}:
        if name not in names:
            raise AnalysisError(f"range for {name!r}, which is not selected",
                                f"a range for one of {', '.join(names)}")
    factors = []
    for name in names:
        low, high, unit, low_exclusive, kind = allowed[name]
        scale = _scale_of(low, high)
        if ranges and name in ranges:
            given = ranges[name]
            r_low, r_high = float(given[0]), float(given[1])
            below = r_low <= low if low_exclusive else r_low < low
            if not (math.isfinite(r_low) and math.isfinite(r_high)) or below or r_high > high \
                    or r_low >= r_high:
                bracket = "(" if low_exclusive else "["
                raise AnalysisError(f"range of {name} = {r_low:g}:{r_high:g}",
                                    f"low < high inside {bracket}{low:g}, {high:g}] {unit}")
            low, high = r_low, r_high
            low_exclusive = low_exclusive and r_low == allowed[name][0]
            scale = given[2] if len(given) == 3 else _scale_of(low, high)  # type: ignore[misc]
            if scale not in ("linear", "log"):
                raise AnalysisError(f"range of {name}: scale {scale!r}", "linear or log")
            if scale == "log" and low <= 0.0:
                raise AnalysisError(f"range of {name} = {low:g}:{high:g} on a log scale",
                                    "a range with low > 0 for a log scale")
        nominal = float(np.clip(_nominal(name, kind, scenario), low, high))
        factors.append(Factor(name, low, high, scale, unit, nominal, kind,  # type: ignore[arg-type]
                              low_exclusive))
    by_name = {f.name: f for f in factors}
    if _DECAY in by_name and _RECRUITMENT not in by_name:
        recruitment = (scenario.parameter(_RECRUITMENT) if scenario is not None
                       else _nominal(_RECRUITMENT, "parameter", None))
        decay = by_name[_DECAY]
        if recruitment > decay.high:
            raise AnalysisError(f"range of {_DECAY} ends at {decay.high:g}, below "
                                f"{_RECRUITMENT} = {recruitment:g}",
                                f"a range reaching at least {recruitment:g} 1/day")
        low = max(decay.low, recruitment)
        scale = decay.scale if low > 0 else "linear"
        by_name[_DECAY] = Factor(decay.name, low, decay.high, scale, decay.unit,
                                 max(decay.nominal, low), "parameter")
    factors = [by_name[n] for n in names]
    if dummy:
        factors.append(Factor(DUMMY_FACTOR, 0.0, 1.0, "linear", "1", 0.5, "dummy"))
    return SensitivityProblem(
        factors=tuple(factors),
        groups=tuple(group_of.get(f.name, f.name) for f in factors),
    )


def scenario_changes(row: Mapping[str, float], problem: SensitivityProblem) -> dict[str, Any]:
    """The ``Scenario.with_changes`` arguments that set one sample's factor values."""
    changes: dict[str, dict[str, Any]] = {}
    for factor in problem.factors:
        if factor.kind == "dummy":
            continue  # the model never sees it
        value = float(row[factor.name])
        if factor.kind == "parameter":
            changes.setdefault("parameters", {})[factor.name] = value
        elif factor.kind in ("site", "clone"):
            owner, attribute = factor.name.split(".", 1)
            section = "sites" if factor.kind == "site" else "clones"
            changes.setdefault(section, {}).setdefault(owner, {})[attribute] = value
    return changes
