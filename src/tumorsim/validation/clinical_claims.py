"""Clinical claims K1-K7: numbers from trials and cohorts.

Cohorts
-------
K2, K4, K5, K6 and K7 use the scenario's parametric population (ER+ only for K2 and the
luminal row of K4 and K5; ER- only for K4's triple-negative row; K6 and K7 mix ER+ and
ER- women, see their designs). K3 needs women of given T and N make-up: they are drawn
from the same population with :func:`tumorsim.cohort.samplers.sample_stage`
(acceptance-rejection on tumour size and positive nodes). K1 reuses the GBSG2 twin on the
held-out split of the calibration recorded in ``calibrated_parameters.json``.

Every cohort of K2-K7 is an adjuvant cohort: conditioned on no detectable distant
metastasis at diagnosis (M0), as the trials' women were; women the engine could not
condition within its redraw limit are removed from every arm and counted in the note.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any, Final

import numpy as np
import pandas as pd

from tumorsim.analysis.gbsg2 import RFS_YEARS, held_out_fit, observed_statistics, split_gbsg2
from tumorsim.cohort.data import load_gbsg2
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.cohort.samplers import sample_stage
from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import Scenario
from tumorsim.validation.arms import (
    arm_scenario,
    m0_note,
    m0_patients,
    simulate_arms,
    stacked_patients,
)
from tumorsim.validation.claim import Z95, Band, Check, Claim, ClaimContext, Estimate
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
    """ER+ M0 women after surgery and 5 years of tamoxifen, followed 20 years (K3, K4, K5)."""
    return arm_scenario(scenario, treatment={"surgery": True, "tamoxifen": _tamoxifen(scenario)},
                        cohort={"horizon_years": 20.0},
                        population={"er_positive_fraction": 1.0}, adjuvant=True)


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
                f"{group} RFS {years:g} y",
                f"recurrence-free survival at {years:g} year{'' if years == 1 else 's'}",
                float(r["survival"]), Band(float(r["ci_lower"]), float(r["ci_upper"]),
                                           reason="observed held-out 95 % CI"),
                (float(r["ci_lower"]), float(r["ci_upper"])),
                mechanisms=("natural_history", "tamoxifen", "chemotherapy")))
    for row in observed.hazard_ratios.itertuples():
        checks.append(Check(
            f"horTh HR {row.pr}", f"Cox hazard ratio of tamoxifen (horTh) in {row.pr} women",
            float(row.hr), Band(float(row.ci_lower), float(row.ci_upper),
                                reason="observed held-out 95 % CI"),
            (float(row.ci_lower), float(row.ci_upper)), mechanisms=("tamoxifen",)))
    return tuple(checks)


# --- K2 ---------------------------------------------------------------------------------------
_K2_PERIODS: Final[tuple[tuple[float, float], ...]] = ((0.0, 5.0), (5.0, 10.0), (10.0, 15.0))
_K2_HORIZON_YEARS: Final[float] = 15.0
_K2_YEARS_10_14_SE: Final[float] = 0.10
_K2_PUBLISHED: Final[dict[str, tuple[float, tuple[float, float], str]]] = {
    # label: (rate ratio, 95 % CI, how the CI was obtained)
    "years 0-4": (0.53, (0.48, 0.57), ""),
    "years 5-9": (0.68, (0.60, 0.78), ""),
    "years 10-14": (0.97, (
        round(0.97 * math.exp(-Z95 * _K2_YEARS_10_14_SE / 0.97), 2),
        round(0.97 * math.exp(Z95 * _K2_YEARS_10_14_SE / 0.97), 2)),
        "no CI published for years 10-14, only RR 0.97 (SE 0.10); derived as "
        "exp(ln 0.97 +- 1.96 x 0.10 / 0.97) = 0.79-1.19 (rate ratios are estimated on the "
        "log scale; the SE of ln RR is SE/RR by the delta method). The published SEs of the "
        "other periods give intervals slightly wider than their published CIs, so this "
        "band is if anything generous"),
}


def _period_events(patients: pd.DataFrame, start_years: float, end_years: float
                   ) -> tuple[int, float]:
    """Recurrences and woman-years at risk within ``[start, end)`` years."""
    t = patients["rfs_days"].to_numpy(float) / DAYS_PER_YEAR
    e = patients["rfs_event"].to_numpy(bool)
    at_risk = np.clip(np.minimum(t, end_years) - start_years, 0.0, None)
    events = e & (t >= start_years) & (t < end_years)
    return int(events.sum()), float(at_risk.sum())


def k2_arms(scenario: Scenario) -> dict[str, Scenario]:
    """K2's arms: ER+ M0 women after surgery, 5 years of tamoxifen or none, 15 years."""
    common: dict[str, Any] = {"cohort": {"horizon_years": _K2_HORIZON_YEARS},
                              "population": {"er_positive_fraction": 1.0}}
    return {
        "no tamoxifen": arm_scenario(scenario, treatment={"surgery": True}, adjuvant=True,
                                     **common),
        "tamoxifen 5 y": arm_scenario(scenario, treatment={
            "surgery": True, "tamoxifen": _tamoxifen(scenario)}, adjuvant=True, **common),
    }


def _measure_k2(context: ClaimContext) -> dict[str, Estimate]:
    tables, excluded = m0_patients(simulate_arms(context, k2_arms(context.scenario)))
    out = {}
    for start, end in _K2_PERIODS:
        counts = [_period_events(tables[a], start, end) for a in ("no tamoxifen", "tamoxifen 5 y")]
        out[f"years {start:g}-{end - 1:g}"] = rate_ratio(
            [c[0] for c in counts], [c[1] for c in counts],
            note=f"{counts[1][0]} vs {counts[0][0]} recurrences in "
                 f"{counts[1][1]:.0f} vs {counts[0][1]:.0f} woman-years{m0_note(excluded)}")
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
        tables, excluded = m0_patients(simulate_arms(context, {label: plan}, cohort))
        out[label] = rfs_free_distant_incidence(tables[label], 5.0, 20.0,
                                                note=m0_note(excluded).lstrip("; "))
    return out


# --- K4, K5 (first distant relapse: sites and PR status) ----------------------------------------
_K4_PUBLISHED: Final[dict[str, dict[str, float]]] = {
    "luminal A": {"bone": 0.662, "lung": 0.302, "liver": 0.245, "brain": 0.101},
    "triple-negative": {"bone": 0.451, "lung": 0.414, "liver": 0.275, "brain": 0.231},
}
_K4_TOLERANCE: Final[float] = 0.10
_FITTED_BY_POSTERIOR: Final[str] = (
    "a training target of the packaged posterior (tumorsim.calibration.targets): the default "
    "ensemble is fitted to it, so it shows the fit, and is never counted as validation")
_RECORD_EVERY_DAYS: Final[float] = 30.0
"""Trajectory interval of the second pass that reads site sizes at first distant relapse."""
_SECOND_PASS_CHUNK: Final[int] = 500


def _triple_negative_adjuvant_chemotherapy(scenario: Scenario) -> Scenario:
    """ER- (hence PR-) M0 women after surgery and AC chemotherapy, followed 20 years."""
    return arm_scenario(scenario, treatment={"surgery": True, "chemotherapy": {
        "regimen": "AC", "start_day": 28.0}}, cohort={"horizon_years": 20.0},
        population={"er_positive_fraction": 0.0}, adjuvant=True)


def site_cells_at_first_distant_relapse(context: ClaimContext, scenario: Scenario,
                                        cohort: Cohort, patients: pd.DataFrame
                                        ) -> pd.DataFrame:
    """Cells at every metastatic site at each woman's first distant relapse.

    The engine records each site's detection time, not every site's size at another
    site's detection. So the women with a distant relapse are simulated again (the same
    patient ids and seed give the same random streams, hence the same histories) with
    their trajectories recorded every 30 days, and each site's size at the first distant
    relapse is interpolated log-linearly between the two records around it.

    Parameters
    ----------
    context : ClaimContext
    scenario : Scenario
        The arm that produced ``patients``.
    cohort : Cohort
        The cohort it was run on.
    patients : DataFrame
        Its patient table (rows in cohort order; M0 exclusions allowed).

    Returns
    -------
    DataFrame
        One row per woman with a distant relapse: ``patient_id``, ``dmfs_days`` and
        ``cells_<site>`` for each metastatic site.
    """
    relapsed = patients[patients["dmfs_event"].to_numpy(bool)]
    ids = relapsed["patient_id"].to_numpy(np.int64)
    covariates = cohort.covariates.set_index("patient_id", drop=False).loc[ids]
    recorded = scenario.with_changes(cohort={**scenario.cohort.model_dump(),
                                             "trajectory_patients": _SECOND_PASS_CHUNK,
                                             "record_every_days": _RECORD_EVERY_DAYS})
    parts = []
    for start in range(0, len(ids), _SECOND_PASS_CHUNK):
        sub = Cohort(covariates.iloc[start:start + _SECOND_PASS_CHUNK].reset_index(drop=True))
        result = simulate_arms(context, {"second pass": recorded}, sub)["second pass"]
        again = result.patients.set_index("patient_id")["dmfs_days"]
        first = relapsed.set_index("patient_id")["dmfs_days"].loc[again.index]
        if not np.allclose(again.to_numpy(float), first.to_numpy(float)):
            raise RuntimeError("the second pass did not reproduce the first distant relapses")
        traj = result.trajectories
        assert traj is not None
        cells = (traj[traj["site"].isin(METASTATIC_SITES)]
                 .groupby(["patient_id", "time_days", "site"], observed=True)["cells"].sum()
                 .unstack("site"))
        for pid, t_first in first.items():
            own = cells.loc[pid]
            times = own.index.to_numpy(float)
            k = int(np.searchsorted(times, t_first, side="right")) - 1
            k_next = min(k + 1, len(times) - 1)
            row: dict[str, float] = {"patient_id": float(pid), "dmfs_days": float(t_first)}
            for site in METASTATIC_SITES:
                a = math.log(max(float(own[site].iloc[k]), 1.0))
                b = math.log(max(float(own[site].iloc[k_next]), 1.0))
                w = 0.0 if k_next == k else (t_first - times[k]) / (times[k_next] - times[k])
                row[f"cells_{site}"] = math.exp(a + w * (b - a))
            parts.append(row)
    return pd.DataFrame(parts, columns=["patient_id", "dmfs_days",
                                        *(f"cells_{s}" for s in METASTATIC_SITES)])


def _relapse_cohort(context: ClaimContext, row: str) -> tuple[Scenario, Cohort,
                                                                pd.DataFrame, int]:
    """The arm, cohort, M0 patient table and M0 exclusions of one K4 row (cached: K5
    uses the luminal one)."""
    key = ("K4 cohort", row, context.patients, context.seed)
    cached = context.cache.get(key)
    if isinstance(cached, tuple):
        return cached  # type: ignore[return-value]
    plan = (_er_positive_adjuvant_tamoxifen(context.scenario) if row == "luminal A"
            else _triple_negative_adjuvant_chemotherapy(context.scenario))
    cohort = Cohort.sample(plan.population, context.patients, context.seed)
    tables, excluded = m0_patients(simulate_arms(context, {row: plan}, cohort))
    value = (plan, cohort, tables[row], excluded)
    context.cache[key] = value
    return value


def _measure_k4(context: ClaimContext) -> dict[str, Estimate]:
    threshold = context.scenario.parameter("involved_site_cells")
    out = {}
    for row in _K4_PUBLISHED:
        plan, cohort, patients, excluded = _relapse_cohort(context, row)
        if row == "luminal A":  # luminal A: ER+ and PR+ primaries
            patients = patients[patients["pr_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL]
        sizes = site_cells_at_first_distant_relapse(context, plan, cohort, patients)
        n = len(sizes)
        for site in _K4_PUBLISHED[row]:
            involved = int(np.sum(sizes[f"cells_{site}"].to_numpy(float) >= threshold))
            ever = int(patients[f"distant_{site}_days"].notna().sum())
            out[f"{row} {site}"] = proportion(
                involved, n, note=f"{involved} of {n} women with a distant relapse hold "
                                  f">= {threshold:.0e} cells there at the first; {ever} "
                                  f"relapse there at any time{m0_note(excluded)}")
    return out


def _measure_k5(context: ClaimContext) -> dict[str, Estimate]:
    cut = context.scenario.parameter("pr_negative_ihc_cut_fraction")
    _, _, patients, excluded = _relapse_cohort(context, "luminal A")
    pr_pos = patients["pr_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL
    relapsed = patients[pr_pos & patients["dmfs_event"].to_numpy(bool)]
    times = np.column_stack([relapsed[f"distant_{s}_days"].to_numpy(float)
                             for s in METASTATIC_SITES])
    first = np.argmin(np.where(np.isnan(times), np.inf, times), axis=1)
    # PR+ share of *all* cells of the first metastasis (ER- cells included), at its detection
    share = np.empty(len(relapsed))
    for k, site in enumerate(METASTATIC_SITES):
        rows = first == k
        share[rows] = relapsed[f"{site}_event_fraction_ERpos_PRpos"].to_numpy(float)[rows]
    n = int(np.sum(~np.isnan(share)))
    converted = int(np.sum(share < cut))
    er_negative = 0
    for k, site in enumerate(METASTATIC_SITES):
        rows = first == k
        er_negative += int(np.sum(
            relapsed[f"{site}_event_fraction_ERneg"].to_numpy(float)[rows] > 0.5))
    other = 0.10 if cut < 0.05 else 0.01
    at_other = int(np.sum(share < other))
    return {"": proportion(
        converted, n,
        note=f"{converted} of {n} PR+ primaries with a distant relapse have a PR- first "
             f"metastasis (fewer than {cut:.0%} of its cells PR+); {er_negative} of those "
             f"metastases are mostly ER- cells; at a {other:.0%} cut {at_other} "
             f"({at_other / max(n, 1):.1%}){m0_note(excluded)}")}


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
                                        adjuvant=True, **common),
        "CMF": arm_scenario(context.scenario, treatment={
            "surgery": True, "chemotherapy": {"regimen": "CMF", "start_day": 28.0}},
            adjuvant=True, **common),
    }
    tables, excluded = m0_patients(simulate_arms(context, arms))
    table = stacked_patients(tables, {"no chemotherapy": {"cmf": 0}, "CMF": {"cmf": 1}})
    deaths = table.groupby("cmf")["os_event"].sum()
    return {"": cox_hazard_ratio(table, "os_days", "os_event", "cmf",
                                 note=f"{int(deaths[1])} vs {int(deaths[0])} deaths in 10 "
                                      f"years{m0_note(excluded)}")}


# --- K7 ---------------------------------------------------------------------------------------
_K7_ER_POSITIVE_FRACTION: Final[float] = 0.5
_K7_HORIZON_YEARS: Final[float] = 15.0
_K7_PERIODS: Final[dict[str, tuple[tuple[float, float], float | None, Band]]] = {
    # label: (period in years, Colleoni 2016 ER-/ER+ annual hazard ratio, band)
    "years 0-2": ((0.0, 3.0), None, Band(low=1.0, whole_interval=True,
                                         reason="ER- higher in years 0-3: whole CI above 1")),
    "years 5-9": ((5.0, 10.0), round(3.3 / 5.4, 3), Band(
        high=1.0, whole_interval=True, reason="ER- lower from year 5 on: whole CI below 1")),
    "years 10-14": ((10.0, 15.0), round(1.3 / 2.9, 3), Band(
        high=1.0, whole_interval=True, reason="ER- lower from year 5 on: whole CI below 1")),
}


def _measure_k7(context: ClaimContext) -> dict[str, Estimate]:
    plan = arm_scenario(context.scenario, treatment={"surgery": True},
                        cohort={"horizon_years": _K7_HORIZON_YEARS},
                        population={"er_positive_fraction": _K7_ER_POSITIVE_FRACTION},
                        adjuvant=True)
    tables, excluded = m0_patients(simulate_arms(context, {"no endocrine therapy": plan}))
    patients = tables["no endocrine therapy"]
    er_pos = patients["er_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL
    groups = {"ER+": patients[er_pos], "ER-": patients[~er_pos]}
    out = {}
    for label, ((start, end), _, _) in _K7_PERIODS.items():
        counts = {g: _period_events(t, start, end) for g, t in groups.items()}
        rates = {g: 100 * d / max(py, 1e-12) for g, (d, py) in counts.items()}
        out[label] = rate_ratio(
            [counts["ER+"][0], counts["ER-"][0]], [counts["ER+"][1], counts["ER-"][1]],
            note=f"annual recurrence hazard ER+ {rates['ER+']:.1f} vs ER- {rates['ER-']:.1f} "
                 f"%/y ({counts['ER+'][0]} vs {counts['ER-'][0]} recurrences){m0_note(excluded)}")
    return out


def clinical_claims() -> tuple[Claim, ...]:
    """K1-K7 (K1's bands need the GBSG2 held-out split, computed here)."""
    return (
        Claim(
            id="K1", family="clinical",
            statement="GBSG2 twin: held-out RFS at 1, 3, 5 years per horTh x PR group and the "
                      "horTh hazard ratio in PR+ and PR- women lie within the observed 95 % CI.",
            citation="GBSG2 (Schumacher et al. 1994; lifelines.datasets.load_gbsg2)",
            checks=_k1_checks(), measure=_measure_k1, patients=100, fast_patients=40,
            size_unit="twins per woman",
            design="Twins of the held-out third of GBSG2 (the split of the recorded "
                   "calibration, its seed) treated as recorded and censored at each woman's "
                   "follow-up; Kaplan-Meier RFS and Cox horTh hazard ratios against the "
                   "held-out women's own. The run's seed is not used: the split must be the "
                   "calibration's. The training split is the calibration's target; the "
                   "held-out split checked here is not."),
        Claim(
            id="K2", family="clinical",
            statement="Tamoxifen for 5 years vs none in ER+ disease: recurrence rate ratio "
                      "0.53 in years 0-4, 0.68 in years 5-9 and 0.97 in years 10-14.",
            citation="EBCTCG 2011 Lancet 378:771 (RR 0.53, 95 % CI 0.48-0.57; 0.68, "
                     "0.60-0.78; 0.97, SE 0.10)",
            checks=tuple(
                Check(label, "recurrence rate ratio, tamoxifen / none", value,
                      Band(ci[0], ci[1], reason="published 95 % CI" if not how else
                           "95 % CI derived from the published SE (see published_ci_note)"),
                      ci, published_ci_note=how,
                      mechanisms=("tamoxifen",) if not how else ("tamoxifen",
                                                                 "natural_history"),
                      kind="calibration target", why_kind=_FITTED_BY_POSTERIOR)
                for label, (value, ci, how) in _K2_PUBLISHED.items()),
            measure=_measure_k2, patients=20000, fast_patients=4000,
            design="ER+ women of the scenario's population, M0 at diagnosis, after surgery, "
                   "15 years, 5 years of tamoxifen (the scenario's adherence) or none; "
                   "recurrences per woman-year at risk in years 0-4, 5-9 and 10-14 "
                   "(Poisson interval); the simulated value must lie in the published CI."),
        Claim(
            id="K3", family="clinical",
            statement="Late relapse in ER+ disease after 5 years of endocrine therapy: distant "
                      "recurrence in years 5-20 of 13 % (T1N0), 20 % (T1N1-3), 34 % (T1N4-9).",
            citation="Pan et al. 2017 NEJM 377:1836",
            checks=tuple(Check(label, "distant recurrence, years 5-20, among women "
                                      "recurrence-free at 5 years", value,
                               Band(value - _K3_TOLERANCE, value + _K3_TOLERANCE,
                                    reason="our tolerance: +- 5 percentage points (no CI "
                                           "recorded with the values we cite)"),
                               mechanisms=("natural_history", "tamoxifen"),
                               kind="calibration target", why_kind=_FITTED_BY_POSTERIOR)
                         for label, (_, value) in _K3_GROUPS.items()),
            measure=_measure_k3, patients=6000, fast_patients=1500,
            size_unit="women per stage group",
            design="ER+ women, M0 at diagnosis, with T1 tumours (<= 20 mm) and 0, 1-3 or 4-9 "
                   "positive nodes, drawn from the scenario's population by "
                   "acceptance-rejection (sample_stage); surgery and 5 years of tamoxifen; "
                   "20 years; 1 - Kaplan-Meier distant-metastasis-free survival from year 5 "
                   "among women recurrence-free at 5 years."),
        Claim(
            id="K4", family="clinical",
            statement="Sites of first distant relapse (not exclusive): luminal A bone 66.2 %, "
                      "lung 30.2 %, liver 24.5 %, brain 10.1 %; triple-negative bone 45.1 %, "
                      "lung 41.4 %, liver 27.5 %, brain 23.1 %.",
            citation="J Breast Cancer 2016 (PMC5040895), relapse sites by subtype",
            checks=tuple(
                Check(f"{row} {site}", f"share of {row} women with a distant relapse whose "
                      f"{site} holds at least involved_site_cells at the first", value,
                      Band(max(0.0, value - _K4_TOLERANCE), value + _K4_TOLERANCE,
                           reason="our tolerance: +- 10 percentage points (no CI recorded)"),
                      kind="calibration target",
                      why_kind="the tropism weights are fitted to this table; its "
                               "rows are never counted as validation",
                      mechanisms=("tropism",))
                for row, sites in _K4_PUBLISHED.items() for site, value in sites.items()),
            measure=_measure_k4, patients=20000, fast_patients=4000,
            design="Luminal A: ER+ women with a PR+ primary (>= 10 fmol/mg), M0, surgery "
                   "and 5 years of tamoxifen; triple-negative: ER- women, M0, surgery and AC "
                   "from day 28 (the model has no HER2); 20 years. A site is involved at "
                   "the first distant relapse when it holds at least involved_site_cells "
                   "(a parameter, default 1e7) then, read from a second run of the women "
                   "with a distant relapse recording their site sizes every 30 days "
                   "(log-linear interpolation); Wilson interval."),
        Claim(
            id="K5", family="clinical",
            statement="PR positive-to-negative conversion from primary to metastasis in "
                      "49.4 % (40.5-58.2) of cases.",
            citation="Schrijver et al. 2018 JNCI 110:568 (49.4 %, 95 % CI 40.5-58.2)",
            checks=(Check("", "share of PR+ primaries whose first distant metastasis is "
                              "PR- (fewer than pr_negative_ihc_cut_fraction of all its cells "
                              "PR+)", 0.494,
                          Band(0.405, 0.582, reason="published 95 % CI"), (0.405, 0.582),
                          mechanisms=("pr_biology", "metal_ros_pr"),
                          kind="calibration target", why_kind=_FITTED_BY_POSTERIOR),),
            measure=_measure_k5, patients=20000, fast_patients=4000,
            design="The luminal cohort of K4 (ER+ women, M0, surgery, 5 years of "
                   "tamoxifen, 20 years); among women with a PR+ primary (>= 10 fmol/mg) "
                   "and a distant relapse, the first distant metastasis is called PR- when "
                   "fewer than pr_negative_ihc_cut_fraction (a parameter, default 1 %, the "
                   "ASCO/CAP immunohistochemistry cut) of all its cells are PR+; metastases "
                   "of ER- cells count (as PR-); Wilson interval."),
        Claim(
            id="K6", family="clinical",
            statement="Chemotherapy vs none: CMF breast-cancer mortality rate ratio about 0.76.",
            citation="EBCTCG 2012 Lancet 379:432",
            checks=(Check("", "breast-cancer death hazard ratio, CMF / none", 0.76,
                          Band(0.66, 0.86, reason="our tolerance: +- 0.10 (no CI recorded "
                                                  "with the value we cite)"),
                          mechanisms=("chemotherapy",), kind="calibration target",
                          why_kind=_FITTED_BY_POSTERIOR),),
            measure=_measure_k6, patients=20000, fast_patients=4000,
            design="Women of the scenario's population with 70 % ER+ (the trials were mixed), "
                   "M0, surgery, no endocrine therapy, CMF from day 28 or none; 10 years; "
                   "every death in the model follows a distant relapse, so all deaths are "
                   "breast-cancer deaths; Cox hazard ratio, robust variance."),
        Claim(
            id="K7", family="clinical",
            statement="The ER crossover: without endocrine therapy, the annual recurrence "
                      "hazard of ER- disease is higher than ER+ in years 0-3 and lower from "
                      "year 5 on (IBCSG I-V: ER+ vs ER- 9.9 vs 11.5 %/y in years 0-5, 5.4 vs "
                      "3.3 in 5-10, 2.9 vs 1.3 in 10-15; NSABP: ER+ above ER- after about "
                      "48 months).",
            citation="Colleoni et al. 2016 J Clin Oncol (IBCSG trials I-V, 4,105 women, 24 "
                     "years); Dignam et al. 2009 Breast Cancer Res Treat (NSABP node-negative "
                     "trials)",
            checks=tuple(
                Check(label, f"annual recurrence hazard ER- / ER+, {label}", published, band,
                      mechanisms=("natural_history",), kind="calibration target",
                      why_kind=_FITTED_BY_POSTERIOR)
                for label, (_, published, band) in _K7_PERIODS.items()),
            measure=_measure_k7, patients=20000, fast_patients=4000,
            design="Women of the scenario's population, half ER+ (the ratio does not depend "
                   "on the mix), M0, surgery alone (no chemotherapy, no endocrine therapy, as "
                   "in the NSABP surgery-only arms), 15 years; recurrences per woman-year at "
                   "risk by ER status (>= 10 fmol/mg) in years 0-2, 5-9 and 10-14; ratio "
                   "ER- / ER+ with a Poisson interval; direction only, whole interval. The "
                   "published ratios (Colleoni 2016 hazards, 5-year periods) are shown, not "
                   "used as bands."),
    )


__all__ = ["clinical_claims"]
