"""Clinical claims K1-K6 (MODEL.md section 5): numbers from trials and cohorts.

Cohorts
-------
K2, K4, K5 and K6 use the scenario's parametric population (ER+ only for K2, K4, K5; K6
adds ER- women, see its design). K3 needs women of given T and N make-up: they are drawn
from the same population with :func:`tumorsim.cohort.samplers.sample_stage`
(acceptance-rejection on tumour size and positive nodes). K1 reuses the GBSG2 twin on the
held-out split of the calibration recorded in ``calibrated_parameters.json``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

import numpy as np
import pandas as pd

from tumorsim.analysis.gbsg2 import RFS_YEARS, held_out_fit, observed_statistics, split_gbsg2
from tumorsim.cohort.data import load_gbsg2
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL
from tumorsim.cohort.samplers import sample_stage
from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult
from tumorsim.validation.arms import arm_scenario, simulate_arms, stacked_patients
from tumorsim.validation.claim import Band, Check, Claim, ClaimContext, Estimate
from tumorsim.validation.statistics import (
    cox_hazard_ratio,
    proportion,
    rate_ratio,
    rfs_free_distant_incidence,
)

DAYS_PER_YEAR: Final[float] = 365.25
_TAMOXIFEN_DAYS: Final[float] = 5 * DAYS_PER_YEAR


def _tamoxifen(scenario: Scenario) -> dict[str, Any]:
    """Five years of tamoxifen at the scenario's adherence (1 if it gives none)."""
    spec = scenario.treatment.tamoxifen
    adherence = 1.0 if spec is None else spec.adherence
    return {"start_day": 0.0, "duration_days": _TAMOXIFEN_DAYS, "adherence": adherence}


def _er_positive_adjuvant_tamoxifen(scenario: Scenario) -> Scenario:
    """ER+ women after surgery and 5 years of tamoxifen, followed 20 years (K3, K4, K5)."""
    return arm_scenario(scenario, treatment={"surgery": True, "tamoxifen": _tamoxifen(scenario)},
                        cohort={"horizon_years": 20.0},
                        population={"er_positive_fraction": 1.0})


# --- K1 ---------------------------------------------------------------------------------------
def _calibration_record() -> dict[str, Any]:
    text = (resources.files("tumorsim") / "data" / "calibrated_parameters.json").read_text()
    record: dict[str, Any] = json.loads(text)
    return record


_K1_GROUPS: Final[tuple[str, ...]] = ("horTh no, PR-", "horTh yes, PR-", "horTh no, PR+",
                                      "horTh yes, PR+")


def _measure_k1(context: ClaimContext) -> dict[str, Estimate]:
    record = _calibration_record()
    fit = held_out_fit(context.scenario, load_gbsg2(), seed=int(record["seed"]),
                       twins=context.patients, train_fraction=float(record["train_fraction"]))
    out = {}
    for row in fit.rfs.itertuples():
        out[f"{row.group} RFS {row.years:g} y"] = Estimate(
            row.survival_simulated, row.simulated_ci_lower, row.simulated_ci_upper,
            f"held-out observed {row.survival_observed:.3f} "
            f"[{row.observed_ci_lower:.3f}-{row.observed_ci_upper:.3f}]")
    for row in fit.hazard_ratios.itertuples():
        out[f"horTh HR {row.pr}"] = Estimate(
            row.hr_simulated, row.ci_lower_simulated, row.ci_upper_simulated,
            f"held-out observed {row.hr_observed:.3f} "
            f"[{row.ci_lower_observed:.3f}-{row.ci_upper_observed:.3f}]")
    return out


def _k1_checks() -> tuple[Check, ...]:
    """One check per held-out RFS point and hazard ratio; bands are the observed 95 % CIs
    of the held-out split (computed from lifelines' GBSG2 at import of this claim)."""
    record = _calibration_record()
    _, held_out = split_gbsg2(load_gbsg2(), seed=int(record["seed"]),
                              train_fraction=float(record["train_fraction"]))
    observed = observed_statistics(held_out)
    checks = []
    rfs = observed.rfs.set_index(["group", "years"])
    for group in _K1_GROUPS:
        for years in RFS_YEARS:
            r = rfs.loc[(group, years)]
            checks.append(Check(
                f"{group} RFS {years:g} y", f"recurrence-free survival at {years:g} years",
                float(r["survival"]), Band(float(r["ci_lower"]), float(r["ci_upper"]),
                                           reason="observed held-out 95 % CI"),
                (float(r["ci_lower"]), float(r["ci_upper"]))))
    for row in observed.hazard_ratios.itertuples():
        checks.append(Check(
            f"horTh HR {row.pr}", f"Cox hazard ratio of tamoxifen (horTh) in {row.pr} women",
            float(row.hr), Band(float(row.ci_lower), float(row.ci_upper),
                                reason="observed held-out 95 % CI"),
            (float(row.ci_lower), float(row.ci_upper))))
    return tuple(checks)


# --- K2 ---------------------------------------------------------------------------------------
_K2_PERIODS: Final[tuple[tuple[float, float], ...]] = ((0.0, 5.0), (5.0, 10.0))


def _period_events(patients: pd.DataFrame, start_years: float, end_years: float
                   ) -> tuple[int, float]:
    """Recurrences and woman-years at risk within ``[start, end)`` years."""
    t = patients["rfs_days"].to_numpy(float) / DAYS_PER_YEAR
    e = patients["rfs_event"].to_numpy(bool)
    at_risk = np.clip(np.minimum(t, end_years) - start_years, 0.0, None)
    events = e & (t >= start_years) & (t < end_years)
    return int(events.sum()), float(at_risk.sum())


def _measure_k2(context: ClaimContext) -> dict[str, Estimate]:
    common: dict[str, Any] = {"cohort": {"horizon_years": 10.0},
                              "population": {"er_positive_fraction": 1.0}}
    arms = {
        "no tamoxifen": arm_scenario(context.scenario, treatment={"surgery": True}, **common),
        "tamoxifen 5 y": arm_scenario(context.scenario, treatment={
            "surgery": True, "tamoxifen": _tamoxifen(context.scenario)}, **common),
    }
    results = simulate_arms(context, arms)
    out = {}
    for start, end in _K2_PERIODS:
        counts = [_period_events(results[a].patients, start, end)
                  for a in ("no tamoxifen", "tamoxifen 5 y")]
        out[f"years {start:g}-{end - 1:g}"] = rate_ratio(
            [c[0] for c in counts], [c[1] for c in counts],
            note=f"{counts[1][0]} vs {counts[0][0]} recurrences")
    return out


# --- K3 ---------------------------------------------------------------------------------------
_K3_GROUPS: Final[dict[str, tuple[tuple[int, int], float]]] = {
    # label: (positive nodes range, Pan 2017 distant recurrence years 5-20)
    "T1N0": ((0, 0), 0.13),
    "T1N1-3": ((1, 3), 0.20),
    "T1N4-9": ((4, 9), 0.34),
}
_K3_TOLERANCE: Final[float] = 0.05


def _measure_k3(context: ClaimContext) -> dict[str, Estimate]:
    out = {}
    plan = _er_positive_adjuvant_tamoxifen(context.scenario)
    for label, (nodes, _) in _K3_GROUPS.items():
        cohort = sample_stage(plan.population, context.patients, context.seed,
                              tumour_size_mm=(0.0, 20.0), positive_nodes=nodes)
        result = simulate_arms(context, {label: plan}, cohort)[label]
        out[label] = rfs_free_distant_incidence(result.patients, 5.0, 20.0)
    return out


# --- K4, K5 (one simulated ER+ cohort) --------------------------------------------------------
_K4_PUBLISHED: Final[dict[str, float]] = {"bone": 0.66, "lung": 0.30, "liver": 0.25,
                                          "brain": 0.10}
_K4_TOLERANCE: Final[float] = 0.10


def _luminal_cohort(context: ClaimContext) -> SimulationResult:
    """ER+ women, surgery and 5 years of tamoxifen, 20 years (shared by K4 and K5)."""
    key = ("luminal adjuvant", context.patients, context.seed)
    cached = context.cache.get(key)
    if isinstance(cached, SimulationResult):
        return cached
    plan = _er_positive_adjuvant_tamoxifen(context.scenario)
    result = simulate_arms(context, {"luminal": plan})["luminal"]
    context.cache[key] = result
    return result


_K4_WINDOW_DAYS: Final[float] = 90.0
"""Sites detected within this many days of the first distant relapse count as first sites."""


def _measure_k4(context: ClaimContext) -> dict[str, Estimate]:
    patients = _luminal_cohort(context).patients
    relapsed = patients[patients["dmfs_event"].to_numpy(bool)]
    first = relapsed["dmfs_days"].to_numpy(float)
    n = len(relapsed)
    out = {}
    for site in _K4_PUBLISHED:
        days = relapsed[f"distant_{site}_days"].to_numpy(float)
        involved = int(np.sum(days <= first + _K4_WINDOW_DAYS))
        ever = int(np.sum(~np.isnan(days)))
        out[site] = proportion(involved, n, note=f"of {n} women with a distant relapse; "
                                                 f"{ever} relapse there at any time")
    return out


def _pr_positive_cut(scenario: Scenario) -> float:
    """PR+ share of ER+ cells at the clinical cut-off of 10 fmol/mg (see the covariate map)."""
    half_max = scenario.parameter("pr_fmol_half_max")
    return RECEPTOR_POSITIVE_FMOL / (RECEPTOR_POSITIVE_FMOL + half_max)


_IHC_PR_POSITIVE_SHARE: Final[float] = 0.10


def _measure_k5(context: ClaimContext) -> dict[str, Estimate]:
    patients = _luminal_cohort(context).patients
    pr_pos = patients["pr_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL
    relapsed = patients[pr_pos & patients["dmfs_event"].to_numpy(bool)]
    times = np.column_stack([relapsed[f"distant_{s}_days"].to_numpy(float)
                             for s in METASTATIC_SITES])
    first = np.nanargmin(np.where(np.isnan(times), np.inf, times), axis=1)
    share = np.empty(len(relapsed))
    for k, site in enumerate(METASTATIC_SITES):
        rows = first == k
        pos = relapsed[f"{site}_event_fraction_ERpos_PRpos"].to_numpy(float)[rows]
        neg = relapsed[f"{site}_event_fraction_ERpos_PRneg"].to_numpy(float)[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            share[rows] = pos / (pos + neg)
    converted = int(np.sum(share < _pr_positive_cut(context.scenario)))
    n = int(np.sum(~np.isnan(share)))
    # the same metastases called by an immunohistochemistry-like cut (Schrijver 2018 pooled
    # IHC studies: PR+ when at least 1-10 % of cells stain); shown, not used to pass
    ihc = int(np.sum(share < _IHC_PR_POSITIVE_SHARE))
    return {"": proportion(converted, n, note=f"{converted} of {n} PR+ primaries with a "
                                              f"distant relapse; with a 10 %-of-cells cut "
                                              f"{ihc} ({ihc / max(n, 1):.1%})")}


# --- K6 ---------------------------------------------------------------------------------------
_K6_ER_POSITIVE_FRACTION: Final[float] = 0.7


def _measure_k6(context: ClaimContext) -> dict[str, Estimate]:
    common: dict[str, Any] = {
        "cohort": {"horizon_years": 10.0},
        "population": {"er_positive_fraction": _K6_ER_POSITIVE_FRACTION},
        "mechanisms": {"death_after_relapse": True},
    }
    arms = {
        "no chemotherapy": arm_scenario(context.scenario, treatment={"surgery": True},
                                        **common),
        "CMF": arm_scenario(context.scenario, treatment={
            "surgery": True, "chemotherapy": {"regimen": "CMF", "start_day": 28.0}}, **common),
    }
    results = simulate_arms(context, arms)
    table = stacked_patients(results, {"no chemotherapy": {"cmf": 0}, "CMF": {"cmf": 1}})
    deaths = table.groupby("cmf")["os_event"].sum()
    return {"": cox_hazard_ratio(table, "os_days", "os_event", "cmf",
                                 note=f"{int(deaths[1])} vs {int(deaths[0])} deaths in 10 "
                                      "years")}


def clinical_claims() -> tuple[Claim, ...]:
    """K1-K6 (K1's bands need the GBSG2 held-out split, computed here)."""
    k2_published = {"years 0-4": (0.53, 0.03), "years 5-9": (0.68, 0.06)}
    return (
        Claim(
            id="K1", kind="clinical",
            statement="GBSG2 twin: held-out RFS at 1, 3, 5 years per horTh x PR group and the "
                      "horTh hazard ratio in PR+ and PR- women lie within the observed 95 % CI.",
            citation="GBSG2 (Schumacher et al. 1994; lifelines.datasets.load_gbsg2); MODEL.md 5",
            checks=_k1_checks(), measure=_measure_k1, patients=100, fast_patients=40,
            size_unit="twins per woman",
            design="Twins of the held-out third of GBSG2 (the split of the recorded "
                   "calibration, its seed) treated as recorded and censored at each woman's "
                   "follow-up; Kaplan-Meier RFS and Cox horTh hazard ratios against the "
                   "held-out women's own. The run's seed is not used: the split must be the "
                   "calibration's."),
        Claim(
            id="K2", kind="clinical",
            statement="Tamoxifen for 5 years vs none in ER+ disease: recurrence rate ratio "
                      "about 0.53 in years 0-4 and 0.68 in years 5-9.",
            citation="EBCTCG 2011 Lancet 378:771 (RR 0.53, SE 0.03; 0.68, SE 0.06)",
            checks=tuple(Check(label, "recurrence rate ratio, tamoxifen / none", value,
                               Band(value - 1.96 * se, value + 1.96 * se,
                                    reason="published 95 % CI (value +- 1.96 SE)"),
                               (value - 1.96 * se, value + 1.96 * se))
                         for label, (value, se) in k2_published.items()),
            measure=_measure_k2, patients=20000, fast_patients=4000,
            design="ER+ women of the scenario's population after surgery, 10 years, 5 years "
                   "of tamoxifen (the scenario's adherence) or none; recurrences per "
                   "woman-year at risk in each period (Poisson interval)."),
        Claim(
            id="K3", kind="clinical",
            statement="Late relapse in ER+ disease after 5 years of endocrine therapy: distant "
                      "recurrence in years 5-20 of 13 % (T1N0), 20 % (T1N1-3), 34 % (T1N4-9).",
            citation="Pan et al. 2017 NEJM 377:1836",
            checks=tuple(Check(label, "distant recurrence, years 5-20, among women "
                                      "recurrence-free at 5 years", value,
                               Band(value - _K3_TOLERANCE, value + _K3_TOLERANCE,
                                    reason="our tolerance: +- 5 percentage points"))
                         for label, (_, value) in _K3_GROUPS.items()),
            measure=_measure_k3, patients=6000, fast_patients=1500,
            size_unit="women per stage group",
            design="ER+ women with T1 tumours (<= 20 mm) and 0, 1-3 or 4-9 positive nodes, "
                   "drawn from the scenario's population by acceptance-rejection "
                   "(sample_stage); surgery and 5 years of tamoxifen; 20 years; "
                   "1 - Kaplan-Meier distant-metastasis-free survival from year 5 among "
                   "women recurrence-free at 5 years."),
        Claim(
            id="K4", kind="clinical",
            statement="First distant sites among luminal relapses close to the published "
                      "table: bone 66 %, lung 30 %, liver 25 %, brain 10 % (not exclusive).",
            citation="PMC5040895 (luminal A relapse sites); MODEL.md 4",
            checks=tuple(Check(site, f"share of women with a distant relapse whose first "
                                     f"distant relapse involves {site}", value,
                               Band(max(0.0, value - _K4_TOLERANCE), value + _K4_TOLERANCE,
                                    reason="our tolerance: +- 10 percentage points"))
                         for site, value in _K4_PUBLISHED.items()),
            measure=_measure_k4, patients=20000, fast_patients=4000,
            design="ER+ women after surgery and 5 years of tamoxifen, 20 years; among those "
                   "with a distant relapse, the share whose first distant relapse involves "
                   "each site (detected within 90 days of the first; Wilson interval)."),
        Claim(
            id="K5", kind="clinical",
            statement="PR positive-to-negative conversion from primary to metastasis in "
                      "40-58 % of cases.",
            citation="Schrijver et al. 2018 JNCI 110:568 (49.4 %, 40.5-58.2)",
            checks=(Check("", "share of PR+ primaries whose first distant metastasis is "
                              "PR- (PR+ share of ER+ cells below the 10 fmol/mg cut)", 0.494,
                          Band(0.405, 0.582, reason="published 95 % CI"), (0.405, 0.582)),),
            measure=_measure_k5, patients=20000, fast_patients=4000,
            design="The K4 cohort; among women with a PR+ primary (>= 10 fmol/mg) and a "
                   "distant relapse, the first distant metastasis is called PR- when its "
                   "PR+ share of ER+ cells is below the share the covariate map gives "
                   "10 fmol/mg (Wilson interval)."),
        Claim(
            id="K6", kind="clinical",
            statement="Chemotherapy vs none: CMF breast-cancer mortality rate ratio about 0.76.",
            citation="EBCTCG 2012 Lancet 379:432",
            checks=(Check("", "breast-cancer death hazard ratio, CMF / none", 0.76,
                          Band(0.66, 0.86, reason="our tolerance: +- 0.10")),),
            measure=_measure_k6, patients=20000, fast_patients=4000,
            design="Women of the scenario's population with 70 % ER+ (the trials were mixed), "
                   "surgery, no endocrine therapy, CMF from day 28 or none; 10 years; every "
                   "death in the model follows a distant relapse, so all deaths are "
                   "breast-cancer deaths; Cox hazard ratio, robust variance."),
    )


__all__ = ["clinical_claims"]
