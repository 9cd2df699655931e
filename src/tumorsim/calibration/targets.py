"""What the Bayesian calibration fits to: training targets and the matching simulation.

Every target is one number with its standard error, named ``data:statistic:group:time``:

* **GBSG2** (training part of the stratified split, seed 2026): recurrence-free survival at
  1, 3 and 5 years per horTh x PR group and the horTh hazard ratio by PR (log scale),
  against K twins of every training woman under her recorded treatment;
* **TRANSBIG** (training part): distant-metastasis-free survival by ER at 1, 3, 5 and 10
  years, against twins of the training women without systemic therapy;
* **GSE2034** (training part, population level): the same by ER, against a simulated
  node-negative untreated population with the training part's ER mix;
* **K2** (EBCTCG 2011): the recurrence rate ratio of 5 years of tamoxifen vs none in ER+
  disease in years 0-4, 5-9 and 10-14 (log scale; the published 95 % CIs give the SEs);
* **K7** (Colleoni 2016): the ER+ / ER- ratio of annual recurrence hazards without
  endocrine therapy in years 0-5, 5-10 and 10-15 (log scale; a stated tolerance, SE 0.15,
  as the paper's rates are quoted without intervals in our sources).
* **K4** (PMC5040895): the share of luminal A and of triple-negative women with a distant
  relapse whose bone, lung, liver and brain are involved at the first, measured by claim
  K4 itself (one definition); a stated tolerance, SE 0.05, as the table gives no intervals
  (the scorecard's band of +- 10 points is 2 SE). It fits the tropism weights, and K4 is
  then a calibration target in the scorecard, never validation;
* **K5** (Schrijver 2018): the share of PR+ primaries whose first distant metastasis is
  PR-, measured by claim K5 on K4's luminal cohort (the published 95 % CI gives the SE). It
  fits the spontaneous PR loss and regain rates;
* **K6** (EBCTCG 2012): the breast-cancer death hazard ratio of CMF against no
  chemotherapy (log scale), measured by claim K6 itself; a stated tolerance, the
  scorecard's band [0.66, 0.86] as 2 SE, as the value we cite has no interval. Fitted only
  by runs that ask for it (``--add-target``; run22 on), with chemotherapy's kill
  (``chemo_kill_days``);
* **grade** (GBSG2 and TRANSBIG training parts): the Cox log hazard ratio per histological
  grade, adjusted for age, tumour size, ER and (GBSG2) nodes, PR and tamoxifen, with the
  Cox model's standard error; the same Cox model is fitted to the twins.

Held-out parts are never touched here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.analysis.dataset_targets import km_targets
from tumorsim.analysis.gbsg2 import observed_statistics, split_gbsg2, twin_statistics
from tumorsim.analysis.intervals import Z95
from tumorsim.analysis.survival import kaplan_meier
from tumorsim.calibration.cohort_effects import with_cohort_effect
from tumorsim.cohort.data import load_gbsg2
from tumorsim.cohort.datasets import gse2034_population, training_cohort
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.model.scenario import Scenario
from tumorsim.runner.simulate import run_plans, simulate
from tumorsim.runner.twins import run_twin
from tumorsim.validation import run_claims, select_claims
from tumorsim.validation.claim import Claim

__all__ = ["SimulationSizes", "TrainingData", "observed_targets", "period_rates",
           "simulated_summaries", "untreated_m0"]

DAYS_PER_YEAR = 365.25
KM_YEARS = (1.0, 3.0, 5.0, 10.0)
K2_PERIODS = ((0.0, 5.0), (5.0, 10.0), (10.0, 15.0))
K2_PUBLISHED = ((0.53, 0.48, 0.57), (0.68, 0.60, 0.78))
"""EBCTCG 2011 rate ratio with 95 % CI, years 0-4 and 5-9."""
K2_LATE = (0.97, 0.10)
"""EBCTCG 2011 years 10-14: rate ratio 0.97 with SE 0.10."""
K7_PERIODS = ((0.0, 5.0), (5.0, 10.0), (10.0, 15.0))
K7_HAZARDS = ((9.9, 11.5), (5.4, 3.3), (2.9, 1.3))
"""Colleoni 2016 (IBCSG I-V): annual recurrence hazard %/y, ER+ and ER-, per period."""
K7_SE_LOG = 0.15
K4_SE = 0.05
"""Stated tolerance of a K4 share (the table has no intervals): the scorecard's +- 10
points as 2 SE."""
K3_SE = 0.025
"""Stated tolerance of a K3 late-recurrence share (Pan 2017 as cited has no intervals):
the scorecard's +- 5 points as 2 SE."""
K6_TARGET = "k6:log_death_hazard_ratio:CMF"
SE_FLOOR = 0.01
"""Smallest standard error of a survival fraction (a KM point with no event has none)."""
TAMOXIFEN_DAYS = 5 * DAYS_PER_YEAR
GBSG2_SPLIT_SEED = 2026


@dataclass(frozen=True)
class SimulationSizes:
    """How many virtual patients each target's simulation uses."""

    gbsg2_twins: int = 3
    transbig_twins: int = 8
    gse2034_patients: int = 1500
    k2_patients_per_arm: int = 1500
    k7_er_negative_patients: int = 1500
    k4_patients_per_row: int = 1000
    k3_patients_per_group: int = 1000
    k6_patients_per_arm: int = 2000

    def scaled(self, factor: int) -> SimulationSizes:
        """Every size ``factor`` times larger (a factor of 4 halves the Monte Carlo noise)."""
        return replace(self, **{k: v * factor for k, v in self.__dict__.items()})


DEFAULT_SIZES = SimulationSizes()


@dataclass(frozen=True)
class TrainingData:
    """The training cohorts (loaded once)."""

    gbsg2: Cohort
    transbig: Cohort
    gse2034_er_positive_fraction: float

    @classmethod
    def load(cls) -> TrainingData:
        train, _ = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
        gse = training_cohort("gse2034")
        er_pos = float((gse.covariates["er_fmol"] >= RECEPTOR_POSITIVE_FMOL).mean())
        return cls(gbsg2=train, transbig=training_cohort("transbig"),
                   gse2034_er_positive_fraction=er_pos)


def _km_rows(name: str) -> list[dict[str, object]]:
    km = km_targets(name, years=KM_YEARS)
    rows = []
    for r in km.itertuples():
        if not np.isfinite(r.dmfs_fraction):
            continue
        se = max((r.ci_upper_95 - r.ci_lower_95) / (2 * Z95), SE_FLOOR)
        rows.append({"target": f"{name}:dmfs:{r.er_status}:{r.time_years:g}y",
                     "value": float(r.dmfs_fraction), "se": float(se),
                     "kind": "data (training part)"})
    return rows


def observed_targets(data: TrainingData) -> pd.DataFrame:
    """Every target's observed value and standard error (``target``, ``value``, ``se``,
    ``kind``)."""
    obs = observed_statistics(data.gbsg2)
    rows: list[dict[str, object]] = []
    for r in obs.rfs.itertuples():
        rows.append({"target": f"gbsg2:rfs:{r.group}:{r.years:g}y",
                     "value": float(r.survival), "se": max(float(r.se), SE_FLOOR),
                     "kind": "data (training part)"})
    for r in obs.hazard_ratios.itertuples():
        rows.append({"target": f"gbsg2:log_hr_horth:{r.pr}", "value": math.log(r.hr),
                     "se": float(r.se_log_hr), "kind": "data (training part)"})
    rows += _km_rows("transbig") + _km_rows("gse2034")
    for name, table, duration, event in (
            ("gbsg2", data.gbsg2.covariates, "follow_up_days", "relapse_event"),
            ("transbig", data.transbig.covariates, "follow_up_days", "relapse_event")):
        for covariate, (value, se) in cox_log_hazard_ratios(table, duration, event).items():
            rows.append({"target": f"{name}:{COX_TARGETS[covariate]}", "value": value,
                         "se": se, "kind": "data (training part; Cox SE)"})
    for (a, b), (rr, lo, hi) in zip(K2_PERIODS[:2], K2_PUBLISHED, strict=True):
        rows.append({"target": f"k2:log_rate_ratio:{a:g}-{b:g}y", "value": math.log(rr),
                     "se": (math.log(hi) - math.log(lo)) / (2 * Z95),
                     "kind": "published 95 % CI (EBCTCG 2011)"})
    a, b = K2_PERIODS[2]
    rows.append({"target": f"k2:log_rate_ratio:{a:g}-{b:g}y", "value": math.log(K2_LATE[0]),
                 "se": K2_LATE[1] / K2_LATE[0], "kind": "published SE (EBCTCG 2011)"})
    for (a, b), (pos, neg) in zip(K7_PERIODS, K7_HAZARDS, strict=True):
        rows.append({"target": f"k7:log_er_hazard_ratio:{a:g}-{b:g}y",
                     "value": math.log(pos / neg), "se": K7_SE_LOG,
                     "kind": "stated tolerance (Colleoni 2016 rates)"})
    (k3,) = select_claims(["K3"])
    for check in k3.checks:
        rows.append({"target": f"k3:late_distant_recurrence:{check.label}",
                     "value": check.published, "se": K3_SE,
                     "kind": "stated tolerance (Pan 2017)"})
    k4, k5 = _site_claims()
    for check in k4.checks:
        rows.append({"target": f"k4:share:{check.label}", "value": check.published,
                     "se": K4_SE, "kind": "stated tolerance (PMC5040895 table)"})
    (pr,) = k5.checks
    low, high = pr.published_ci  # type: ignore[misc]
    rows.append({"target": "k5:pr_loss_share", "value": pr.published,
                 "se": (high - low) / (2 * Z95), "kind": "published 95 % CI (Schrijver 2018)"})
    (k6,) = select_claims(["K6"])[0].checks
    low, high = k6.band.low, k6.band.high
    assert k6.published is not None and low is not None and high is not None  # an interval
    rows.append({"target": K6_TARGET, "value": math.log(k6.published),
                 "se": (math.log(high) - math.log(low)) / 4.0,
                 "kind": "stated tolerance (EBCTCG 2012; the scorecard's band as 2 SE)"})
    return pd.DataFrame(rows)


def _site_claims() -> tuple[Claim, Claim]:
    """Claims K4 and K5 (measured together: K5 reads K4's luminal cohort)."""
    k4, k5 = select_claims(["K4", "K5"])
    return k4, k5


TARGET_COX_COVARIATES = ("grade", "age_years", "tumour_size_mm", "er_positive",
                         "positive_nodes", "pr_positive", "hormone_therapy")
"""The Cox model behind the covariate targets (a column constant in a data set is left out:
TRANSBIG is node-negative and untreated, and has no PR)."""

COX_TARGETS: Final[dict[str, str]] = {"grade": "log_hr_per_grade",
                                      "tumour_size_mm": "log_hr_per_mm",
                                      "positive_nodes": "log_hr_per_node",
                                      "pr_positive": "log_hr_pr_positive"}
"""The Cox coefficients that are targets (covariate -> target suffix): per grade, per mm
of tumour size (since run20; the twins ranked women by size too steeply at run19's
median), per positive node and for PR+ against PR- (since run21; at run20's median the
twins ranked GBSG2's women too steeply by nodes and by grade, and too weakly by PR,
docs/posterior.md). A data set has the targets of the covariates that vary in it and are
data (TRANSBIG: grade and size)."""


def cox_design(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of :data:`TARGET_COX_COVARIATES` that ``table`` has, that are data (not
    drawn for every woman) and that vary, as float arrays."""
    out: dict[str, np.ndarray] = {}
    for column in TARGET_COX_COVARIATES:
        if column == "er_positive":
            values = (table["er_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL).astype(float)
        elif column == "pr_positive":
            if "drawn_covariates" in table and table["drawn_covariates"].astype(str).str.contains(
                    "pr_fmol").all():
                continue  # PR drawn for every woman (TRANSBIG): not data
            values = (table["pr_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL).astype(float)
        elif column in table:
            values = table[column].to_numpy(float)
        else:
            continue
        if np.ptp(values) > 0:
            out[column] = values
    return out


def cox_log_hazard_ratios(table: pd.DataFrame, duration: str, event: str
                          ) -> dict[str, tuple[float, float]]:
    """The Cox log hazard ratio and its standard error of each covariate of
    :data:`COX_TARGETS` in :func:`cox_design` of ``table``, adjusted for the other columns
    of that design."""
    from lifelines import CoxPHFitter

    frame = pd.DataFrame({"T": table[duration].to_numpy(float),
                          "E": table[event].to_numpy().astype(bool), **cox_design(table)})
    cox = CoxPHFitter().fit(frame, "T", "E")
    return {c: (float(cox.params_[c]), float(cox.standard_errors_[c]))
            for c in COX_TARGETS if c in frame}


def _km_by_er(table: pd.DataFrame, name: str, duration: str, event: str) -> dict[str, float]:
    df = pd.DataFrame({"T": table[duration].to_numpy(float),
                       "E": table[event].to_numpy().astype(bool),
                       "er": np.where(table["er_fmol"].to_numpy(float) >= RECEPTOR_POSITIVE_FMOL,
                                      "ER+", "ER-")})
    km = kaplan_meier(df, "T", "E", by="er", times=[y * DAYS_PER_YEAR for y in KM_YEARS])
    out = {}
    for r in km.itertuples():
        out[f"{name}:dmfs:{r.group}:{r.time / DAYS_PER_YEAR:g}y"] = float(r.survival)
    return out


def period_rates(table: pd.DataFrame, periods: Sequence[tuple[float, float]]
                 ) -> list[tuple[float, float]]:
    """(events, person-years) of recurrence in each period of years after diagnosis."""
    t = table["rfs_days"].to_numpy(float) / DAYS_PER_YEAR
    e = table["rfs_event"].to_numpy().astype(bool)
    out = []
    for a, b in periods:
        at_risk = t > a
        exposure = np.clip(np.minimum(t, b) - a, 0.0, None)[at_risk].sum()
        events = (e & (t > a) & (t <= b)).sum()
        out.append((float(events), float(exposure)))
    return out


def _log_ratio(num: tuple[float, float], den: tuple[float, float]) -> float:
    if num[0] <= 0 or den[0] <= 0 or num[1] <= 0 or den[1] <= 0:
        return math.nan
    return math.log((num[0] / num[1]) / (den[0] / den[1]))


def _followed_to_first_relapse(base: Scenario) -> Scenario:
    """``base`` followed for 15 years, a relapse never ending the follow-up by death."""
    return base.with_changes(cohort={"horizon_years": 15.0},
                             mechanisms={"death_after_relapse": False})


def untreated_m0(base: Scenario) -> Scenario:
    """The untreated M0 cohort of GSE2034, K2's control arm and K7: ``base`` with surgery
    alone, no metastasis at diagnosis, followed as :func:`simulated_summaries` follows it."""
    return _followed_to_first_relapse(base).with_changes(
        treatment={"surgery": True, "tamoxifen": None, "chemotherapy": None},
        cohort={"metastasis_free_at_diagnosis": True})


def simulated_summaries(base: Scenario, data: TrainingData, *, seed: int,
                        sizes: SimulationSizes = DEFAULT_SIZES,
                        cohort_effects: Mapping[str, float] | None = None
                        ) -> dict[str, float]:
    """Every target's simulated value under ``base`` (same names as
    :func:`observed_targets`); NaN where the simulation gives no value (no events).

    ``cohort_effects`` (data set -> dissemination multiplier;
    :mod:`tumorsim.calibration.cohort_effects`) apply to TRANSBIG's twins and GSE2034's
    population only.
    """
    out: dict[str, float] = {}
    horizon = _followed_to_first_relapse(base)
    gbsg2_twins = run_twin(horizon, data.gbsg2, twins=sizes.gbsg2_twins, seed=seed)
    sim = twin_statistics(gbsg2_twins, data.gbsg2)
    for r in sim.rfs.itertuples():
        out[f"gbsg2:rfs:{r.group}:{r.years:g}y"] = float(r.survival)
    for r in sim.hazard_ratios.itertuples():
        out[f"gbsg2:log_hr_horth:{r.pr}"] = math.log(r.hr) if r.hr > 0 else math.nan
    out.update(_twin_log_hrs("gbsg2", gbsg2_twins.twins, data.gbsg2, "rfs_days", "rfs_event"))

    twins = run_twin(with_cohort_effect(horizon, "transbig", cohort_effects), data.transbig,
                     twins=sizes.transbig_twins, seed=seed, chemotherapy_regimen=None).twins
    twins = twins.assign(er_fmol=data.transbig.covariates["er_fmol"].to_numpy()[
        twins["source_row"].to_numpy()])
    out.update(_km_by_er(twins, "transbig", "dmfs_days", "dmfs_event"))
    out.update(_twin_log_hrs("transbig", twins, data.transbig, "dmfs_days", "dmfs_event"))

    untreated = untreated_m0(base)
    pop = gse2034_population(sizes.gse2034_patients, seed,
                             er_positive_fraction=data.gse2034_er_positive_fraction)
    gse = run_plans([with_cohort_effect(untreated, "gse2034", cohort_effects)],
                    np.zeros(len(pop), dtype=np.int64), pop, seed=seed).patients
    out.update(_km_by_er(gse, "gse2034", "dmfs_days", "dmfs_event"))

    # K2 and K7: ER+ (and ER-) adjuvant M0 cohorts; both K2 arms are the same women on
    # the same random streams (common random numbers)
    n = sizes.k2_patients_per_arm
    er_pos = Cohort.sample(base.population.model_copy(update={"er_positive_fraction": 1.0}),
                           n, seed)
    tamoxifen = untreated.with_changes(
        treatment={"tamoxifen": {"start_day": 0.0, "duration_days": TAMOXIFEN_DAYS}})
    none_arm = simulate(untreated, er_pos, seed=seed).patients
    tam_arm = simulate(tamoxifen, er_pos, seed=seed).patients
    none_rates = period_rates(none_arm, K2_PERIODS)
    tam_rates = period_rates(tam_arm, K2_PERIODS)
    for (a, b), t, c in zip(K2_PERIODS, tam_rates, none_rates, strict=True):
        out[f"k2:log_rate_ratio:{a:g}-{b:g}y"] = _log_ratio(t, c)
    er_neg = Cohort.sample(base.population.model_copy(update={"er_positive_fraction": 0.0}),
                           sizes.k7_er_negative_patients, seed + 1)
    neg = simulate(untreated, er_neg, seed=seed + 1).patients
    neg_rates = period_rates(neg, K7_PERIODS)
    pos_rates = period_rates(none_arm, K7_PERIODS)
    for (a, b), p, q in zip(K7_PERIODS, pos_rates, neg_rates, strict=True):
        out[f"k7:log_er_hazard_ratio:{a:g}-{b:g}y"] = _log_ratio(p, q)

    card = run_claims(list(_site_claims()), base, seed=seed,
                      patients=sizes.k4_patients_per_row)
    for row in card.rows:
        name = f"k4:share:{row.label}" if row.claim_id == "K4" else "k5:pr_loss_share"
        out[name] = float(row.simulated)
    for row in run_claims(select_claims(["K3"]), base, seed=seed,
                          patients=sizes.k3_patients_per_group).rows:
        out[f"k3:late_distant_recurrence:{row.label}"] = float(row.simulated)
    # last, on its own seeded streams: the targets above do not depend on it
    (k6,) = run_claims(select_claims(["K6"]), base, seed=seed,
                       patients=sizes.k6_patients_per_arm).rows
    out[K6_TARGET] = math.log(k6.simulated) if k6.simulated > 0 else math.nan
    return out


def _twin_log_hrs(name: str, twins: pd.DataFrame, cohort: Cohort, duration: str, event: str
                  ) -> dict[str, float]:
    """:func:`cox_log_hazard_ratios` of the twins (each carries her woman's covariates), as
    targets of data set ``name``."""
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    table = cohort.covariates.iloc[twins["source_row"].to_numpy()].assign(
        **{duration: twins[duration].to_numpy(float), event: twins[event].to_numpy(bool)})
    design = cox_design(cohort.covariates)
    names = {c: f"{name}:{suffix}" for c, suffix in COX_TARGETS.items() if c in design}
    try:
        with warnings.catch_warnings():
            # a rare grade among few twins: the estimate stands, the emulator's noise
            # term absorbs its imprecision
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = cox_log_hazard_ratios(table, duration, event)
    except (ConvergenceError, ValueError, ZeroDivisionError, KeyError):
        # no events or a degenerate design: no value at this point
        return {target: math.nan for target in names.values()}
    return {names[c]: fitted[c][0] if c in fitted else math.nan for c in names}
