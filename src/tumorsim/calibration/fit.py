"""Calibration of the model's C parameters to GBSG2 (docs/model.md §5, target K1), alone or
jointly with the tamoxifen claims K2 and K3.

What is fitted, and why
-----------------------
=====================================  ==============================================
parameter                              what pins it
=====================================  ==============================================
``metastasis_growth_multiplier``       *when* relapses happen: half of GBSG2's RFS
                                       events fall within 5 years
``dissemination_coefficient``          *how many* patients relapse (RFS at 5 years)
``tamoxifen_effect_pr_pos``            the horTh hazard ratio in PR+ women (0.655)
``tamoxifen_effect_pr_neg``            the horTh hazard ratio in PR- women (0.824)
``residual_fraction_after_surgery``    local recurrences, a share of the early events
``chemo_growth_exponent``              how much CMF delays relapse from small,
                                       fast-growing metastases (curve shape, years 0-3)
``clones.ERpos_PRneg.                  how much more PR- tumours relapse without
motility_multiplier``                  tamoxifen: the PR gap of the no-horTh groups,
                                       and the continuous PR fmol gradient of risk
=====================================  ==============================================

GBSG2 alone (2 years of tamoxifen, about 5 years of follow-up) cannot tell a tamoxifen
that defers relapses from one that prevents them, nor say how long dormant cells wait.
``claim_sizes`` (``tumorsim calibrate --claims K2,K3``) adds claims of docs/model.md §5
to the objective, measured by the claims' own functions at the sizes of
:data:`CLAIM_TARGETS` (K2: EBCTCG 2011, tamoxifen 5 years vs none, recurrence rate ratio
by period; K3: Pan 2017, distant recurrence in years 5-20 after 5 years of endocrine
therapy), and fits three more parameters (:data:`CLAIM_PARAMETERS`):

=====================================  ==============================================
``tamoxifen_kill_per_day``             how much of tamoxifen's benefit lasts after it
                                       stops (EBCTCG: RR 0.53 in years 0-4, claim K2)
``tamoxifen_dormant_kill_per_day``     the carry-over in years 5-9 (EBCTCG RR 0.68,
                                       claim K2): relapses prevented, not deferred
``awakening_rate_per_day``             how many relapses come late, after 5 years of
                                       tamoxifen (Pan 2017, claim K3)
=====================================  ==============================================

Those claims are then calibration targets, not independent checks. The packaged
calibration is the GBSG2-only fit; ``docs/validation.md`` says what the joint fit gave and
why it is not the default.

A name ``clones.<clone>.<attribute>`` is a clone attribute (``[clones.<clone>]`` in a
scenario file); every other name is a model parameter (``[parameters]``).

Every twin is conditioned on no detectable distant metastasis at diagnosis (GBSG2 women
had none; see ``run_twin``). The other C parameters either act only through a mechanism
GBSG2 does not exercise
(metals, CXCR2 inhibition, DRP1/NRF2 inhibition) or are not identifiable from these
targets given the ones above; they keep their stated defaults.

How
---
GBSG2 is split (:func:`tumorsim.analysis.gbsg2.split_gbsg2`) into a training and a held-out
part (2/3 and 1/3 by default), stratified by horTh x PR (PR+ = at least 10 fmol/mg), with a
seeded permutation. On the training part, every patient gets K twins treated as recorded
(CMF for all, 2 years of tamoxifen if horTh) and censored at her own follow-up. The
objective compares, per horTh x PR group, the twins' Kaplan-Meier RFS at 1, 3 and 5 years
with the observed one, each difference divided by the observed standard error, plus the
log hazard ratio of horTh in PR+ and in PR- women (Cox model on the twins) against the
observed one, divided by its standard error; in a joint fit, for every check of the
added claims, the simulated value against the published one, divided by the standard
error its band implies (band width / 3.92). It is minimised with SciPy's Nelder-Mead in
log (positive parameters) or logit (fractions) coordinates, starting from the registry
defaults (or a parameter's stated start), with common random numbers: every evaluation
uses the same seed, so the objective is a deterministic function of the parameters and a
rerun with the same seed gives the same parameters.
"""

from __future__ import annotations

import datetime
import json
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from tumorsim.analysis.gbsg2 import (
    FitStatistics,
    HeldOutFit,
    observed_statistics,
    simulated_statistics,
    split_gbsg2,
)
from tumorsim.cohort.population import Cohort
from tumorsim.io.atomic import write_text_atomic
from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_DEFAULTS
from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.scenario import Scenario
from tumorsim.text_table import Column, TextTable
from tumorsim.validation.claim import Z95, ClaimContext
from tumorsim.validation.registry import select_claims

MISSING_STATISTIC_PENALTY: Final[float] = 100.0


@dataclass(frozen=True)
class CalibratedParameter:
    """A parameter the calibration fits: its name, coordinate scale and the reason."""

    name: str
    scale: str  # "log" or "logit"
    reason: str
    start: float | None = None  # None: the registry default


CALIBRATED_PARAMETERS: Final[tuple[CalibratedParameter, ...]] = (
    CalibratedParameter("metastasis_growth_multiplier", "log",
                        "when relapses happen: half of GBSG2's RFS events fall within 5 years"),
    CalibratedParameter("dissemination_coefficient", "log",
                        "how many patients relapse (RFS at 5 years)"),
    CalibratedParameter("tamoxifen_effect_pr_pos", "logit",
                        "the horTh hazard ratio in PR+ women"),
    CalibratedParameter("tamoxifen_effect_pr_neg", "logit",
                        "the horTh hazard ratio in PR- women"),
    CalibratedParameter("residual_fraction_after_surgery", "log",
                        "local recurrences, a share of the early RFS events"),
    CalibratedParameter("chemo_growth_exponent", "log",
                        "how much CMF delays relapse from small, fast-growing metastases: "
                        "the shape of the RFS curves in the first years"),
    CalibratedParameter("clones.ERpos_PRneg.motility_multiplier", "log",
                        "how much more PR- tumours relapse without tamoxifen: the PR gap of "
                        "the no-horTh groups and the PR fmol gradient of risk"),
)

CLAIM_PARAMETERS: Final[tuple[CalibratedParameter, ...]] = (
    # the kill hazards are 0 in the registry (off); a log-scaled fit starts them here
    CalibratedParameter("tamoxifen_kill_per_day", "log",
                        "how much of tamoxifen's benefit lasts after it stops: EBCTCG RR "
                        "0.53 in years 0-4 (claim K2)", start=0.01),
    CalibratedParameter("tamoxifen_dormant_kill_per_day", "log",
                        "the carry-over benefit in years 5-9, EBCTCG RR 0.68 (claim K2): "
                        "relapses prevented, not deferred", start=8e-4),
    CalibratedParameter("awakening_rate_per_day", "log",
                        "how many relapses come late, years 5-20 after 5 years of "
                        "tamoxifen (Pan 2017, claim K3)"),
)
"""Parameters added to :data:`CALIBRATED_PARAMETERS` in a joint fit with claims."""

CLAIM_TARGETS: Final[dict[str, int]] = {"K2": 3000, "K3": 1500}
"""Claims a joint fit may add to GBSG2, with their size per evaluation (patients per arm
for K2, women per stage group for K3; see :mod:`tumorsim.validation.clinical_claims`)."""


def claim_sizes(ids: Sequence[str] | None) -> dict[str, int]:
    """The claims named in ``ids`` (``--claims K2,K3``) with their sizes from
    :data:`CLAIM_TARGETS`, in registry order; empty for ``None`` (GBSG2 only).

    Raises
    ------
    tumorsim.errors.TumorsimError
        An id that is not a claim a joint fit may add, naming the allowed ones.
    """
    if ids is None:
        return {}
    return {c.id: CLAIM_TARGETS[c.id]
            for c in select_claims(ids, select_claims(list(CLAIM_TARGETS)))}


def clone_attribute(name: str) -> tuple[str, str] | None:
    """``(clone, attribute)`` for a name ``clones.<clone>.<attribute>``; ``None`` for a
    model parameter."""
    if not name.startswith("clones."):
        return None
    _, clone, attribute = name.split(".")
    return clone, attribute


def registry_entry(name: str) -> tuple[float, float, float]:
    """``(default, low, high)`` of a calibrated name (a parameter or a clone attribute)."""
    if (target := clone_attribute(name)) is not None:
        clone, attribute = target
        spec = next(a for a in CLONE_ATTRIBUTES if a.name == attribute)
        return CLONE_DEFAULTS[clone][attribute], spec.low, spec.high
    p = PARAMETERS[name]
    return p.default, p.low, p.high


def calibrated_value(scenario: Scenario, name: str) -> float:
    """The scenario's value of a calibrated name (a parameter or a clone attribute)."""
    if (target := clone_attribute(name)) is not None:
        return scenario.clone_value(*target)
    return scenario.parameter(name)


def scenario_changes(values: dict[str, float]) -> dict[str, dict[str, object]]:
    """``Scenario.with_changes`` arguments setting calibrated values (see the docstring)."""
    parameters: dict[str, object] = {}
    clones: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        if (target := clone_attribute(name)) is not None:
            clones.setdefault(target[0], {})[target[1]] = value
        else:
            parameters[name] = value
    return {"parameters": parameters, "clones": dict(clones)}


def objective(simulated: FitStatistics, observed: FitStatistics) -> float:
    """Sum of squared standardised differences (see the module docstring)."""
    merged = observed.rfs.merge(simulated.rfs, on=["group", "years"], suffixes=("_obs", "_sim"))
    se = np.maximum(merged["se_obs"].to_numpy(), 0.01)
    terms = ((merged["survival_sim"] - merged["survival_obs"]) / se) ** 2
    hr = observed.hazard_ratios.merge(simulated.hazard_ratios, on="pr", suffixes=("_obs", "_sim"))
    hr_terms = ((np.log(hr["hr_sim"]) - np.log(hr["hr_obs"])) / hr["se_log_hr_obs"]) ** 2
    # a statistic the simulation cannot produce (no events, no hazard ratio) costs as much
    # as a difference of 10 standard errors
    all_terms = np.concatenate([terms.to_numpy(float), hr_terms.to_numpy(float)])
    return float(np.sum(np.where(np.isnan(all_terms), MISSING_STATISTIC_PENALTY, all_terms)))


def claim_objective(scenario: Scenario, *, seed: int,
                    sizes: Mapping[str, int] = CLAIM_TARGETS) -> float:
    """Sum of squared standardised differences over the checks of the claims in ``sizes``.

    Each claim is measured by its own function at its size in ``sizes`` (by default
    :data:`CLAIM_TARGETS`), with ``seed`` (common random numbers); a check's standard
    error is its band's width / 3.92 (the band is the published 95 % CI, or a stated
    tolerance read as one).
    """
    total = 0.0
    for claim in select_claims(list(sizes)):
        estimates = claim.measure(ClaimContext(scenario=scenario, seed=seed,
                                               patients=sizes[claim.id]))
        for check in claim.checks:
            band = check.band
            if check.published is None or band.low is None or band.high is None:
                raise RuntimeError(f"claim {claim.id} check {check.label!r} has no "
                                   "two-sided band to fit to")
            se = (band.high - band.low) / (2 * Z95)
            value = estimates[check.label].value
            total += (MISSING_STATISTIC_PENALTY if math.isnan(value)
                      else ((value - check.published) / se) ** 2)
    return total


def _to_coordinates(specs: Sequence[CalibratedParameter], values: Sequence[float]
                    ) -> np.ndarray:
    out = []
    for spec, v in zip(specs, values, strict=True):
        out.append(math.log(v) if spec.scale == "log" else math.log(v / (1.0 - v)))
    return np.array(out)


def _from_coordinates(specs: Sequence[CalibratedParameter], x: np.ndarray
                      ) -> dict[str, float]:
    out = {}
    for spec, xi in zip(specs, x, strict=True):
        value = math.exp(xi) if spec.scale == "log" else 1.0 / (1.0 + math.exp(-xi))
        _, low, high = registry_entry(spec.name)
        out[spec.name] = float(min(max(value, low), high))
    return out


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted parameters and how the fit went.

    Attributes
    ----------
    parameters : dict
        Fitted value of each of :data:`CALIBRATED_PARAMETERS` (and of
        :data:`CLAIM_PARAMETERS` in a joint fit).
    objective : float
        Objective at the fitted values (training split).
    evaluations : pandas.DataFrame
        Every evaluation: its parameters and objective, in order.
    seed, twins, train_fraction : int, int, float
    training_patients, held_out_patients : int
    start : dict
        Starting value of each fitted parameter.
    claim_sizes : dict
        Claims fitted alongside GBSG2 and their sizes (empty: GBSG2 only).
    """

    parameters: dict[str, float]
    objective: float
    evaluations: pd.DataFrame
    seed: int
    twins: int
    train_fraction: float
    training_patients: int
    held_out_patients: int
    start: dict[str, float] = field(default_factory=dict)
    claim_sizes: dict[str, int] = field(default_factory=dict)

    def parameter_table(self) -> TextTable:
        """Each fitted parameter: its starting and fitted value."""
        rows = tuple((name, f"{self.start[name]:.4g}", f"{value:.4g}")
                     for name, value in self.parameters.items())
        return TextTable("Calibrated parameters (training split)",
                         (Column("parameter"), Column("start"), Column("fitted")), rows)

    def record(self, held_out: HeldOutFit, *, command: str, version: str,
               wall_seconds: float) -> dict[str, object]:
        """The fit as JSON-ready data: how it was run, every evaluation, the held-out fit.

        What ``tumorsim calibrate`` writes beside the parameter file
        (:func:`write_record`).
        """
        return {
            "command": command,
            "version": version,
            "seed": self.seed,
            "twins": self.twins,
            "train_fraction": self.train_fraction,
            "parameters": self.parameters,
            "start": self.start,
            "claims": self.claim_sizes,
            "objective": self.objective,
            "evaluations": self.evaluations.to_dict(orient="records"),
            "held_out": held_out.record(),
            "wall_seconds": wall_seconds,
        }


def calibrate(
    base_scenario: Scenario,
    cohort: Cohort,
    *,
    seed: int,
    twins: int = 8,
    max_evaluations: int = 60,
    train_fraction: float = 2 / 3,
    on_evaluation: Callable[[int, float, dict[str, float]], None] | None = None,
    claim_sizes: Mapping[str, int] | None = None,
) -> CalibrationResult:
    """Fit :data:`CALIBRATED_PARAMETERS` to the training split of a GBSG2-like cohort
    (with ``claim_sizes``, also :data:`CLAIM_PARAMETERS`, jointly with those claims).

    Parameters
    ----------
    base_scenario : Scenario
        Biology to start from; the fitted parameters override its values. The starting
        point is the registry default of each fitted parameter (or its stated ``start``),
        so the result does not depend on a previous calibration.
    cohort : Cohort
        Real patients with ``hormone_therapy``, ``follow_up_days``, ``relapse_event``.
    seed : int
        Seeds the split and every simulation (common random numbers).
    twins : int, default 8
        Twins per training patient.
    max_evaluations : int, default 60
        Budget of objective evaluations (simulations of the training twins).
    train_fraction : float, default 2/3
    on_evaluation : callable, optional
        Called as ``on_evaluation(k, objective, parameters)`` after each evaluation.
    claim_sizes : mapping, optional
        Claims fitted alongside GBSG2 and their sizes per evaluation (e.g.
        :data:`CLAIM_TARGETS`); they add :data:`CLAIM_PARAMETERS` to the fit. None or
        empty: GBSG2 only.

    Returns
    -------
    CalibrationResult
    """
    train, held_out = split_gbsg2(cohort, seed=seed, train_fraction=train_fraction)
    observed = observed_statistics(train)
    claim_sizes = dict(claim_sizes or {})
    specs = CALIBRATED_PARAMETERS + (CLAIM_PARAMETERS if claim_sizes else ())
    start = {p.name: registry_entry(p.name)[0] if p.start is None else p.start
             for p in specs}
    records: list[dict[str, float]] = []
    cache: dict[tuple[float, ...], float] = {}

    def f(x: np.ndarray) -> float:
        key = tuple(np.round(x, 12))
        if key in cache:
            return cache[key]
        params = _from_coordinates(specs, x)
        scenario = base_scenario.with_changes(**scenario_changes(params))
        value = objective(simulated_statistics(scenario, train, twins=twins, seed=seed),
                          observed)
        record = {**params, "objective": value}
        if claim_sizes:
            claims = claim_objective(scenario, seed=seed, sizes=claim_sizes)
            record.update(objective=value + claims, objective_gbsg2=value,
                          objective_claims=claims)
            value += claims
        cache[key] = value
        records.append(record)
        if on_evaluation is not None:
            on_evaluation(len(records), value, params)
        return value

    x0 = _to_coordinates(specs, [start[p.name] for p in specs])
    # a simplex of half a unit in every coordinate (x1.65 for log-scaled parameters)
    simplex = np.vstack([x0] + [x0 + 0.5 * np.eye(x0.size)[i] for i in range(x0.size)])
    result = minimize(f, x0, method="Nelder-Mead",
                      options={"maxfev": max_evaluations, "initial_simplex": simplex,
                               "xatol": 0.02, "fatol": 0.01})
    best = min(records, key=lambda r: r["objective"])
    parameters = {p.name: best[p.name] for p in specs}
    del result
    return CalibrationResult(
        parameters=parameters,
        objective=best["objective"],
        evaluations=pd.DataFrame(records),
        seed=seed,
        twins=twins,
        train_fraction=train_fraction,
        training_patients=len(train),
        held_out_patients=len(held_out),
        start=start,
        claim_sizes=claim_sizes,
    )


def write_parameter_file(result: CalibrationResult, path: str | Path, *, command: str,
                         version: str) -> Path:
    """Write the fitted parameters as a scenario fragment other scenarios can ``extends``.

    The file records the command that produced it, the seed and the objective in its
    comments; it is written atomically.
    """
    path = Path(path)
    lines = [
        "# Parameters calibrated to the GBSG2 training split"
        + (f" and the claims {', '.join(result.claim_sizes)}" if result.claim_sizes else "")
        + " (tumorsim.calibration).",
        f"# Produced by: {command}",
        f"# tumorsim {version}; seed {result.seed}; {result.twins} twins per patient; "
        f"{result.training_patients} training / {result.held_out_patients} held-out patients;",
        f"# {len(result.evaluations)} evaluations; objective {result.objective:.4g}; "
        f"{datetime.date.today().isoformat()}.",
        "# Rerunning the command with the same seed reproduces these values.",
        "",
        'name = "calibrated"',
        'description = "GBSG2-calibrated parameters (see the header for the command)"',
        "",
        "[parameters]",
    ]
    clone_lines: dict[str, list[str]] = {}
    for spec in CALIBRATED_PARAMETERS + CLAIM_PARAMETERS:
        if spec.name not in result.parameters:
            continue
        value = result.parameters[spec.name]
        if (target := clone_attribute(spec.name)) is not None:
            clone, attribute = target
            clone_lines.setdefault(clone, []).append(
                f"{attribute} = {value!r}   # {spec.reason}")
        else:
            lines.append(f"{spec.name} = {value!r}   # {spec.reason}")
    for clone, entries in clone_lines.items():
        lines += ["", f"[clones.{clone}]", *entries]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never write a file we could not read back
    return write_text_atomic(path, text)


def write_record(record: Mapping[str, object], path: str | Path) -> Path:
    """Write a calibration record (:meth:`CalibrationResult.record`) as JSON, atomically."""
    return write_text_atomic(path, json.dumps(record, indent=2, default=float) + "\n")
