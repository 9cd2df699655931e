"""GBSG2 fit statistics: the horTh x PR split, RFS and hazard ratios, the held-out fit (K1).

What both the calibration (:mod:`tumorsim.calibration`) and claim K1
(:mod:`tumorsim.validation.clinical_claims`) measure on GBSG2's women and on their twins:

- :func:`split_gbsg2`: a training and a held-out part (2/3 and 1/3 by default),
  stratified by horTh x PR (PR+ = at least 10 fmol/mg), with a seeded permutation;
- :func:`fit_statistics`: per horTh x PR group, Kaplan-Meier RFS at 1, 3 and 5 years, and
  the Cox hazard ratio of horTh in PR+ and in PR- women, with 95 % intervals, of the real
  patients (:func:`observed_statistics`) or of K twins each, treated as recorded and
  censored at her own follow-up (:func:`simulated_statistics`);
- :func:`held_out_fit`: target K1 on the held-out part, and the c-index of the twins'
  risk score against a Cox model fitted on the training part.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.analysis.intervals import Z95
from tumorsim.analysis.survival import concordance, cox_hazard_ratios, kaplan_meier
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.errors import AnalysisError
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import Scenario
from tumorsim.results import TwinResult
from tumorsim.runner.twins import run_twin
from tumorsim.text_table import Cell, Column, TextTable

__all__ = [
    "COX_COVARIATES",
    "DAYS_PER_YEAR",
    "RFS_YEARS",
    "FitStatistics",
    "HeldOutFit",
    "fit_statistics",
    "group_labels",
    "held_out_fit",
    "horth_pr_groups",
    "observed_statistics",
    "simulated_statistics",
    "twin_statistics",
    "split_gbsg2",
    "training_risk_scores",
]

RFS_YEARS: Final[tuple[float, ...]] = (1.0, 3.0, 5.0)
"""Times (years) at which RFS is compared (docs/model.md §5, target K1)."""

DAYS_PER_YEAR: Final[float] = 365.25


def horth_pr_groups(hormone_therapy: np.ndarray, pr_fmol: np.ndarray) -> list[str]:
    """``"horTh yes, PR+"``-style labels (PR+ = at least 10 fmol/mg), one per patient."""
    return [f"horTh {'yes' if h == 1 else 'no'}, PR{'+' if p >= RECEPTOR_POSITIVE_FMOL else '-'}"
            for h, p in zip(hormone_therapy, pr_fmol, strict=True)]


def group_labels(cohort: Cohort) -> pd.Series:
    """:func:`horth_pr_groups` of a cohort's patients, indexed like its covariates."""
    cov = cohort.covariates
    return pd.Series(horth_pr_groups(cov["hormone_therapy"].to_numpy(),
                                     cov["pr_fmol"].to_numpy()), index=cov.index)


def split_gbsg2(cohort: Cohort, *, seed: int, train_fraction: float = 2 / 3
                ) -> tuple[Cohort, Cohort]:
    """Split a cohort into training and held-out parts, stratified by horTh x PR.

    Within each stratum the rows are permuted with ``numpy.random.default_rng(seed)`` and
    the first ``round(train_fraction * n)`` go to training. Both parts keep input order.
    """
    labels = group_labels(cohort)
    rng = np.random.default_rng(seed)
    train_rows: list[int] = []
    for label in sorted(labels.unique()):
        rows = np.flatnonzero(labels.to_numpy() == label)
        chosen = rng.permutation(rows)[: int(round(train_fraction * rows.size))]
        train_rows.extend(chosen.tolist())
    train = np.zeros(len(cohort), dtype=bool)
    train[train_rows] = True
    cov = cohort.covariates
    return (Cohort(cov[train].reset_index(drop=True)),
            Cohort(cov[~train].reset_index(drop=True)))


@dataclass(frozen=True)
class FitStatistics:
    """RFS per horTh x PR group at :data:`RFS_YEARS` and the horTh hazard ratio by PR.

    Attributes
    ----------
    rfs : pandas.DataFrame
        Columns ``group``, ``years``, ``survival``, ``ci_lower``, ``ci_upper``, ``se``.
    hazard_ratios : pandas.DataFrame
        Columns ``pr`` ("PR+", "PR-"), ``hr``, ``ci_lower``, ``ci_upper``, ``se_log_hr``.
    """

    rfs: pd.DataFrame
    hazard_ratios: pd.DataFrame


def fit_statistics(table: pd.DataFrame, *, duration: str, event: str) -> FitStatistics:
    """RFS by group and horTh hazard ratios by PR from a table of patients or twins.

    ``table`` needs ``hormone_therapy``, ``pr_fmol``, ``duration`` (days) and ``event``.
    """
    df = pd.DataFrame({
        "T": table[duration].to_numpy(float),
        "E": table[event].to_numpy().astype(bool),
        "hormone_therapy": table["hormone_therapy"].to_numpy().astype(int),
        "pr_positive": table["pr_fmol"].to_numpy() >= RECEPTOR_POSITIVE_FMOL,
    })
    df["group"] = horth_pr_groups(df["hormone_therapy"].to_numpy(),
                                  table["pr_fmol"].to_numpy())
    km = kaplan_meier(df, "T", "E", by="group",
                      times=[y * DAYS_PER_YEAR for y in RFS_YEARS])
    km = km.assign(years=km["time"] / DAYS_PER_YEAR)
    # Greenwood-type standard error recovered from the 95 % interval width
    km["se"] = (km["ci_upper"] - km["ci_lower"]) / (2 * Z95)
    rows = []
    for label, positive in (("PR+", True), ("PR-", False)):
        sub = df[df["pr_positive"] == positive][["T", "E", "hormone_therapy"]]
        try:
            row = cox_hazard_ratios(sub, "T", "E", ["hormone_therapy"]).iloc[0]
            separated = not (0 < row["ci_lower"] <= row["ci_upper"] < math.inf)
        except AnalysisError:
            separated = True
        if separated:
            # e.g. no event in one arm of a small simulated cohort: no usable hazard ratio
            rows.append({"pr": label, "hr": math.nan, "ci_lower": math.nan,
                         "ci_upper": math.nan, "se_log_hr": math.nan})
            continue
        se = (math.log(row["ci_upper"]) - math.log(row["ci_lower"])) / (2 * Z95)
        rows.append({"pr": label, "hr": float(row["hr"]), "ci_lower": float(row["ci_lower"]),
                     "ci_upper": float(row["ci_upper"]), "se_log_hr": se})
    return FitStatistics(
        rfs=km[["group", "years", "survival", "ci_lower", "ci_upper", "se"]].reset_index(
            drop=True),
        hazard_ratios=pd.DataFrame(rows),
    )


def observed_statistics(cohort: Cohort) -> FitStatistics:
    """:func:`fit_statistics` of the real patients (``follow_up_days``, ``relapse_event``)."""
    return fit_statistics(cohort.covariates, duration="follow_up_days", event="relapse_event")


def simulated_statistics(scenario: Scenario, cohort: Cohort, *, twins: int, seed: int,
                         progress: Callable[[int, int], None] | None = None) -> FitStatistics:
    """:func:`fit_statistics` of K twins per patient, censored at their follow-up."""
    result = run_twin(scenario, cohort, twins=twins, seed=seed, progress=progress)
    return twin_statistics(result, cohort)


def twin_statistics(result: TwinResult, cohort: Cohort) -> FitStatistics:
    """:func:`fit_statistics` of the twins of ``cohort``'s patients (censored RFS)."""
    twins_table = result.twins.assign(hormone_therapy=cohort.covariates["hormone_therapy"]
                                      .to_numpy()[result.twins["source_row"].to_numpy()])
    return fit_statistics(twins_table, duration="rfs_days", event="rfs_event")


@dataclass(frozen=True)
class HeldOutFit:
    """Target K1 on held-out patients, and the risk score's c-index against Cox.

    Attributes
    ----------
    rfs : pandas.DataFrame
        Per group and year: observed survival with its 95 % CI, simulated survival with
        its 95 % CI (Monte Carlo, over twins), and ``inside`` (simulated within the
        observed CI).
    hazard_ratios : pandas.DataFrame
        Per PR group: observed HR with CI, simulated HR with CI, ``inside``.
    c_index_twin : float
        Harrell's c-index of the twins' ``risk_score`` (predicted 5-year relapse
        probability) on held-out patients.
    c_index_cox : float
        The same for a Cox model with the same covariates fitted on the training split.
    passed : bool
        Every RFS point and both hazard ratios inside the observed CIs.
    scored : pandas.DataFrame
        Per held-out woman: ``T`` (follow-up, days), ``E`` (relapse), ``risk`` (the twins'
        risk score) and ``cox`` (the Cox model's partial hazard), behind both c-indices.
    """

    rfs: pd.DataFrame
    hazard_ratios: pd.DataFrame
    c_index_twin: float
    c_index_cox: float
    passed: bool
    scored: pd.DataFrame

    def rfs_table(self) -> TextTable:
        """Held-out RFS per group and year: observed with its 95 % CI, simulated, inside."""
        columns = ("group", "years", "observed", "95 % CI", "simulated", "inside")
        rows = tuple(
            (str(row.group), f"{row.years:g}", f"{row.survival_observed:.3f}",
             f"{row.observed_ci_lower:.3f}-{row.observed_ci_upper:.3f}",
             f"{row.survival_simulated:.3f}", _inside(row.inside))
            for row in self.rfs.itertuples())
        return TextTable("K1 on held-out patients: RFS (observed 95 % CI vs simulated)",
                         tuple(Column(c) for c in columns), rows)

    def hazard_ratio_table(self) -> TextTable:
        """Held-out horTh hazard ratio per PR group: observed with its CI, simulated."""
        columns = ("PR", "observed", "95 % CI", "simulated", "inside")
        rows = tuple(
            (str(row.pr), f"{row.hr_observed:.3f}",
             f"{row.ci_lower_observed:.3f}-{row.ci_upper_observed:.3f}",
             f"{row.hr_simulated:.3f}", _inside(row.inside))
            for row in self.hazard_ratios.itertuples())
        return TextTable("K1 on held-out patients: horTh hazard ratio",
                         tuple(Column(c) for c in columns), rows)

    def record(self) -> dict[str, object]:
        """The fit as JSON-ready data (the ``held_out`` entry of a calibration record)."""
        return {
            "rfs": self.rfs.to_dict(orient="records"),
            "hazard_ratios": self.hazard_ratios.to_dict(orient="records"),
            "c_index_twin": self.c_index_twin,
            "c_index_cox": self.c_index_cox,
            "k1_passed": self.passed,
        }


def _inside(inside: bool) -> Cell:
    return Cell("yes", "pass") if inside else Cell("NO", "fail")


COX_COVARIATES: Final[tuple[str, ...]] = (
    "age_years", "postmenopausal", "tumour_size_mm", "grade", "positive_nodes", "er_fmol",
    "pr_fmol", "hormone_therapy",
)
"""Covariates of the Cox comparator (the same the twin uses)."""


def held_out_fit(scenario: Scenario, cohort: Cohort, *, seed: int, twins: int,
                 train_fraction: float = 2 / 3,
                 progress: Callable[[int, int], None] | None = None,
                 ensemble: Ensemble | None = None) -> HeldOutFit:
    """Check target K1 on the held-out split and compare c-indices with a Cox model.

    With ``ensemble`` each twin lives under one of its draws (as the commands run twins,
    :func:`tumorsim.runner.twins.run_twin`), so the curves and the risk score are the
    ensemble's answer; without it, ``scenario``'s one parameter set."""
    train, held_out = split_gbsg2(cohort, seed=seed, train_fraction=train_fraction)
    observed = observed_statistics(held_out)
    result = run_twin(scenario, held_out, twins=twins, seed=seed, progress=progress,
                      ensemble=ensemble)
    simulated = twin_statistics(result, held_out)

    sim_rfs = simulated.rfs.rename(columns={"ci_lower": "simulated_ci_lower",
                                            "ci_upper": "simulated_ci_upper"})
    rfs = observed.rfs.merge(
        sim_rfs[["group", "years", "survival", "simulated_ci_lower", "simulated_ci_upper"]],
        on=["group", "years"], suffixes=("_observed", "_simulated"))
    rfs = rfs.rename(columns={"ci_lower": "observed_ci_lower", "ci_upper": "observed_ci_upper"})
    rfs = rfs.drop(columns="se")
    rfs["inside"] = ((rfs["survival_simulated"] >= rfs["observed_ci_lower"])
                     & (rfs["survival_simulated"] <= rfs["observed_ci_upper"]))
    hr = observed.hazard_ratios.merge(simulated.hazard_ratios, on="pr",
                                      suffixes=("_observed", "_simulated"))
    hr = hr.drop(columns=["se_log_hr_observed", "se_log_hr_simulated"])
    hr["inside"] = ((hr["hr_simulated"] >= hr["ci_lower_observed"])
                    & (hr["hr_simulated"] <= hr["ci_upper_observed"]))

    scored = _scored(held_out, result, train)
    c_twin = concordance(scored, "T", "E", "risk")
    c_cox = concordance(scored, "T", "E", "cox")
    passed = bool(rfs["inside"].all() and hr["inside"].all())
    return HeldOutFit(rfs=rfs, hazard_ratios=hr, c_index_twin=c_twin, c_index_cox=c_cox,
                      passed=passed, scored=scored)


def _scored(women: Cohort, result: TwinResult, train: Cohort) -> pd.DataFrame:
    """Per woman of ``women``: ``T``, ``E``, her twins' ``risk`` (``risk_score``) and the
    partial hazard ``cox`` of a Cox model with :data:`COX_COVARIATES` fitted on ``train``."""
    from lifelines import CoxPHFitter  # lifelines loads slowly: on use, as in survival.py

    scored = pd.DataFrame({"T": women.covariates["follow_up_days"].to_numpy(float),
                           "E": women.covariates["relapse_event"].to_numpy().astype(bool),
                           "risk": result.patients["risk_score"].to_numpy(float)})
    columns = list(COX_COVARIATES)
    fit_table = train.covariates[columns].assign(
        T=train.covariates["follow_up_days"].to_numpy(float),
        E=train.covariates["relapse_event"].to_numpy().astype(bool))
    cox = CoxPHFitter().fit(fit_table, "T", "E")
    scored["cox"] = np.asarray(cox.predict_partial_hazard(women.covariates[columns]))
    return scored


def training_risk_scores(scenario: Scenario, cohort: Cohort, *, seed: int, twins: int,
                         train_fraction: float = 2 / 3,
                         ensemble: Ensemble | None = None) -> pd.DataFrame:
    """:func:`held_out_fit`'s risk scores on the **training** split instead: per training
    woman ``T``, ``E``, her twins' ``risk`` and the Cox model's ``cox`` (fitted on the
    same women, so scored in sample, an optimistic reference). No held-out woman is
    simulated or read; this is how a change to the risk score is tried before a look."""
    train, _ = split_gbsg2(cohort, seed=seed, train_fraction=train_fraction)
    result = run_twin(scenario, train, twins=twins, seed=seed, ensemble=ensemble)
    return _scored(train, result, train)
