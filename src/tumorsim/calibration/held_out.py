"""The final check of a calibration on the held-out parts of GBSG2, TRANSBIG and GSE2034.

Called once, after a fit, never while choosing structure or parameters. For each data set:
Kaplan-Meier distant-metastasis-free survival by ER at 1, 3, 5 and 10 years, observed (with
its 95 % interval) against the simulation (twins of the held-out TRANSBIG women; a
node-negative untreated population with GSE2034's held-out ER mix), and for TRANSBIG, the
individual-level part, the c-index of the twins' risk score (their share relapsing by
:data:`RISK_YEARS` years, over :data:`RISK_TWINS` twins each, with the covariates TRANSBIG
lacks drawn afresh for each of :data:`RISK_IMPUTATIONS` groups of them) on the held-out
women next to a Cox model (age, size, grade, ER) fitted on the training part. GBSG2's
held-out part is claim K1 of the scorecard (recurrence-free survival by tamoxifen and PR);
here it adds the c-index of its twins' risk score (the share relapsing by 5 years) next to
a Cox model with the twins' covariates fitted on its training part
(:func:`tumorsim.analysis.gbsg2.held_out_fit`, the split of the calibration's seed).

Every check runs at one parameter set or, with ``ensemble``, each twin under one of its
draws, as the commands answer (the tenth look on). :func:`nki70_check` is the same check
on an external cohort no calibration has used (NKI70), against a Cox model trained on
GBSG2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tumorsim.analysis.gbsg2 import held_out_fit, training_risk_scores
from tumorsim.analysis.survival import concordance, concordance_difference, kaplan_meier
from tumorsim.calibration.cohort_effects import with_cohort_effect, with_cohort_effect_draws
from tumorsim.calibration.targets import GBSG2_SPLIT_SEED
from tumorsim.cohort.data import load_gbsg2
from tumorsim.cohort.datasets import (
    DRAW_SEED,
    gse2034_population,
    held_out_cohort,
    training_cohort,
)
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL, Cohort
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import RegimenName, Scenario
from tumorsim.runner.simulate import run_plans
from tumorsim.runner.twins import run_twin

__all__ = ["RISK_IMPUTATIONS", "RISK_TWINS", "RISK_YEARS", "CohortEffects",
           "EXTERNAL_COX_COLUMNS", "HeldOutDataCheck", "RiskConcordance",
           "gbsg2_training_concordance", "held_out_checks", "nki70_check",
           "twin_risk_concordance"]

DAYS_PER_YEAR = 365.25
YEARS = (1.0, 3.0, 5.0, 10.0)
COX_COLUMNS = ("age_years", "tumour_size_mm", "grade", "er_fmol")

CohortEffects = Mapping[str, float | np.ndarray]
"""A fit's cohort effects: data set -> its dissemination multiplier, one number (a point
run) or one per draw of the ensemble the twins live under
(:mod:`tumorsim.calibration.cohort_effects`)."""


@dataclass(frozen=True)
class HeldOutDataCheck:
    """Held-out results of one data set.

    Attributes
    ----------
    km : pandas.DataFrame
        ``data_set``, ``group`` (ER status; for GBSG2 tamoxifen x PR), ``years``,
        ``observed``, ``ci_lower``, ``ci_upper``, ``simulated``, ``inside``.
    c_index_twin, c_index_cox : float
        NaN for GSE2034 (population level).
    c_index_difference : tuple of float, optional
        Twins minus Cox, with its 95 % paired bootstrap interval over women (GBSG2 and
        TRANSBIG).
    """

    km: pd.DataFrame
    c_index_twin: float
    c_index_cox: float
    c_index_difference: tuple[float, float, float] | None = None

    def lines(self) -> list[str]:
        """The check as printed by the scripts: the Kaplan-Meier table, how many points
        lie inside, and (where there is one) the c-index against Cox with its interval."""
        out = [self.km.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
               f"inside: {int(self.km['inside'].sum())} of {len(self.km)}"]
        if self.c_index_twin == self.c_index_twin:  # not NaN
            out.append(f"c-index: twins {self.c_index_twin:.3f}, Cox {self.c_index_cox:.3f}")
        if self.c_index_difference is not None:
            d, low, high = self.c_index_difference
            out.append(f"twins - Cox: {d:+.3f} (95 % paired bootstrap over women "
                       f"[{low:+.3f}, {high:+.3f}])")
        return out


def _km_by_er(table: pd.DataFrame, duration: str, event: str) -> pd.DataFrame:
    df = pd.DataFrame({"T": table[duration].to_numpy(float),
                       "E": table[event].to_numpy().astype(bool),
                       "er": np.where(table["er_fmol"].to_numpy(float)
                                      >= RECEPTOR_POSITIVE_FMOL, "ER+", "ER-")})
    return kaplan_meier(df, "T", "E", by="er", times=[y * DAYS_PER_YEAR for y in YEARS])


def _compare(name: str, observed: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    merged = observed.merge(simulated[["group", "time", "survival"]], on=["group", "time"],
                            suffixes=("", "_simulated"))
    out = pd.DataFrame({
        "data_set": name, "group": merged["group"].astype(str),
        "years": merged["time"] / DAYS_PER_YEAR, "observed": merged["survival"],
        "ci_lower": merged["ci_lower"], "ci_upper": merged["ci_upper"],
        "simulated": merged["survival_simulated"]})
    out["inside"] = (out["simulated"] >= out["ci_lower"]) & (out["simulated"] <= out["ci_upper"])
    return out


RISK_YEARS = 5.0
"""The risk score's horizon: a woman's risk is her twins' share with a distant relapse by
this many years. Chosen on TRANSBIG's training part only
(``scripts/held_out_check.py SCENARIO --part training --risk-years Y``)."""

RISK_TWINS = 300
"""Twins per woman behind the risk score; chosen on TRANSBIG's training part, where the
c-index rose with the twins (0.616 with 20, 0.652 with 100, 0.666 with 300 at the posterior
median; ``scripts/held_out_check.py SCENARIO --part training --twins K``): with few twins
the score is mostly Monte Carlo noise."""

RISK_IMPUTATIONS = 10
"""Groups of a woman's twins with their own draw of the covariates TRANSBIG lacks (PR for
every woman, grade for two; draw seeds ``DRAW_SEED + m``, m = 0..9). Her risk score then
averages over what the data do not say about her. With one draw shared by all her twins
(the sixth look and before) a drawn PR, which moves the twins' risk strongly, ranked her
as if it had been measured."""


@dataclass(frozen=True)
class RiskConcordance:
    """The twins' risk score against a Cox model on one part of TRANSBIG.

    Attributes
    ----------
    scored : pandas.DataFrame
        Per woman: ``T`` (follow-up, days), ``E`` (distant relapse), ``risk`` (her twins'
        share relapsing by :data:`RISK_YEARS` years, over every draw of the missing
        covariates) and ``cox`` (the Cox model's partial hazard).
    twins : pandas.DataFrame
        The twins' table, with each twin's ``er_fmol`` and ``covariate_draw`` (the group
        ``m`` whose draw of the missing covariates she carries).
    """

    scored: pd.DataFrame
    twins: pd.DataFrame

    @property
    def c_index_twin(self) -> float:
        return concordance(self.scored, "T", "E", "risk")

    @property
    def c_index_cox(self) -> float:
        return concordance(self.scored, "T", "E", "cox")

    def difference_interval(self, replicates: int = 1000, seed: int = 0
                            ) -> tuple[float, float, float]:
        """Twins minus Cox c-index, with a 95 % paired bootstrap interval over women."""
        return concordance_difference(self.scored, "T", "E", "risk", "cox",
                                      replicates=replicates, seed=seed)


def twin_risk_concordance(scenario: Scenario, part: str, *, seed: int,
                          twins: int = RISK_TWINS, risk_years: float = RISK_YEARS,
                          imputations: int = RISK_IMPUTATIONS,
                          first_draw: int = 0,
                          cohort_effects: CohortEffects | None = None,
                          ensemble: Ensemble | None = None) -> RiskConcordance:
    """The twins' risk score (their share relapsing by ``risk_years``) on a part of
    TRANSBIG, next to a Cox model (age, size, grade, ER) fitted on the training part.

    ``part`` is ``"training"`` (the Cox model is then scored in sample, an optimistic
    reference) or ``"held_out"``. A woman's ``twins`` twins are split into
    ``min(imputations, twins)`` groups; group ``m`` carries the draw ``DRAW_SEED +
    first_draw + m`` of the covariates the data lack and is simulated with seed ``seed +
    m``, so the risk score averages over the missing covariates instead of ranking by one
    draw of them (``first_draw`` only to show how a score from one draw varies with it).
    The Cox model sees the data set's default draw (``DRAW_SEED``), as every other check
    does. A fit's TRANSBIG effect in ``cohort_effects``
    (:mod:`tumorsim.calibration.cohort_effects`) applies to the twins. With ``ensemble``
    each twin lives under one of its draws, as the commands run twins, and a TRANSBIG
    effect may then be one per draw.
    """
    from lifelines import CoxPHFitter

    cohort_of = training_cohort if part == "training" else held_out_cohort
    base, draws = _data_set_biology(_held_out_base(scenario), "transbig", cohort_effects,
                                    ensemble)
    women = cohort_of("transbig")
    risk, twins_table = _risk_over_covariate_draws(
        base, draws, lambda m: cohort_of("transbig", seed=DRAW_SEED + first_draw + m),
        women, twins=twins, imputations=imputations, seed=seed, risk_years=risk_years,
        chemotherapy_regimen=None)
    scored = pd.DataFrame({"T": women.covariates["follow_up_days"].to_numpy(float),
                           "E": women.covariates["relapse_event"].to_numpy(bool),
                           "risk": risk})
    train = training_cohort("transbig").covariates
    columns = list(COX_COLUMNS)
    cox = CoxPHFitter().fit(train[columns].assign(
        T=train["follow_up_days"].to_numpy(float),
        E=train["relapse_event"].to_numpy(bool)), "T", "E")
    scored["cox"] = np.asarray(cox.predict_partial_hazard(women.covariates[columns]))
    return RiskConcordance(scored, twins_table)


def _risk_over_covariate_draws(base: Scenario, draws: Ensemble | None,
                               drawn_cohort: Callable[[int], Cohort], women: Cohort, *,
                               twins: int, imputations: int, seed: int, risk_years: float,
                               chemotherapy_regimen: RegimenName | None
                               ) -> tuple[np.ndarray, pd.DataFrame]:
    """Each woman's twins' share with a distant relapse by ``risk_years``, her ``twins``
    twins split into ``min(imputations, twins)`` groups, group ``m`` with the cohort
    ``drawn_cohort(m)`` (its own draw of the covariates the data lack) and seed ``seed +
    m``; and the twins' table with each twin's ``er_fmol`` and ``covariate_draw``."""
    groups = max(1, min(imputations, twins))
    sizes = [twins // groups + (1 if m < twins % groups else 0) for m in range(groups)]
    relapsed = np.zeros(len(women))
    tables = []
    for m, size in enumerate(sizes):
        drawn = drawn_cohort(m)
        if not np.array_equal(drawn.covariates["patient_id"], women.covariates["patient_id"]):
            raise RuntimeError("the women differ between draws of their missing covariates")
        result = run_twin(base, drawn, twins=size, seed=seed + m,
                          chemotherapy_regimen=chemotherapy_regimen, ensemble=draws)
        tw = result.twins.assign(er_fmol=women.covariates["er_fmol"].to_numpy()[
            result.twins["source_row"].to_numpy()], covariate_draw=m)
        days = tw["dmfs_days_uncensored"].to_numpy(float).reshape(len(women), size)
        event = tw["dmfs_event_uncensored"].to_numpy(bool).reshape(len(women), size)
        relapsed += (event & (days <= risk_years * DAYS_PER_YEAR)).sum(axis=1)
        tables.append(tw)
    return relapsed / twins, pd.concat(tables, ignore_index=True)


EXTERNAL_COX_COLUMNS = ("age_years", "size_over_20_mm", "nodes_4_or_more", "grade",
                        "er_positive")
"""The Cox comparator of the external check: what NKI70 records, as GBSG2's training
women carry it (size above 20 mm, 4 or more positive nodes, ER positive as indicators)."""


def _external_cox_design(covariates: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "age_years": covariates["age_years"].to_numpy(float),
        "size_over_20_mm": (covariates["tumour_size_mm"].to_numpy(float) > 20.0).astype(float),
        "nodes_4_or_more": (covariates["positive_nodes"].to_numpy(float) >= 4).astype(float),
        "grade": covariates["grade"].to_numpy(float),
        "er_positive": (covariates["er_fmol"].to_numpy(float)
                        >= RECEPTOR_POSITIVE_FMOL).astype(float)})


def nki70_check(scenario: Scenario, *, seed: int, twins: int = RISK_TWINS,
                risk_years: float = RISK_YEARS, imputations: int = RISK_IMPUTATIONS,
                chemotherapy: bool = True, ensemble: Ensemble | None = None
                ) -> HeldOutDataCheck:
    """The external check on NKI70 (:func:`tumorsim.cohort.datasets.load_nki70`), a cohort
    no fit has used: Kaplan-Meier metastasis-free survival by ER at 1, 3, 5 and 10 years
    against the twins (censored at their woman's follow-up), and the c-index of the twins'
    risk score against a Cox model with :data:`EXTERNAL_COX_COLUMNS` fitted on GBSG2's
    training part (both models external to NKI70), with the paired bootstrap of the
    difference. PR, which NKI70 lacks, is drawn afresh for each of ``imputations`` groups
    of a woman's twins; ``chemotherapy`` is the treatment assumption (CMF for every woman,
    or no adjuvant therapy)."""
    from lifelines import CoxPHFitter

    from tumorsim.analysis.gbsg2 import split_gbsg2
    from tumorsim.cohort.datasets import load_nki70

    women = load_nki70(chemotherapy=chemotherapy).cohort
    risk, twins_table = _risk_over_covariate_draws(
        _held_out_base(scenario), ensemble,
        lambda m: load_nki70(seed=DRAW_SEED + m, chemotherapy=chemotherapy).cohort,
        women, twins=twins, imputations=imputations, seed=seed, risk_years=risk_years,
        chemotherapy_regimen="CMF")
    train, _ = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
    fit_table = _external_cox_design(train.covariates).assign(
        T=train.covariates["follow_up_days"].to_numpy(float),
        E=train.covariates["relapse_event"].to_numpy(bool))
    cox = CoxPHFitter().fit(fit_table, "T", "E")
    scored = pd.DataFrame({"T": women.covariates["follow_up_days"].to_numpy(float),
                           "E": women.covariates["relapse_event"].to_numpy(bool),
                           "risk": risk,
                           "cox": np.asarray(cox.predict_partial_hazard(
                               _external_cox_design(women.covariates)))})
    km = _compare("nki70", _km_by_er(women.covariates, "follow_up_days", "relapse_event"),
                  _km_by_er(twins_table, "dmfs_days", "dmfs_event"))
    return HeldOutDataCheck(km, concordance(scored, "T", "E", "risk"),
                            concordance(scored, "T", "E", "cox"),
                            concordance_difference(scored, "T", "E", "risk", "cox"))


def gbsg2_training_concordance(scenario: Scenario, *, twins: int = RISK_TWINS,
                               ensemble: Ensemble | None = None) -> RiskConcordance:
    """The held-out check's GBSG2 risk score and Cox model on GBSG2's **training** part
    (the calibration's split, seed :data:`GBSG2_SPLIT_SEED`, which also seeds the twins,
    as in the held-out check): the Cox model is scored in sample, an optimistic reference.
    No held-out woman is simulated or read. ``twins`` of the result holds no twins (the
    GBSG2 comparison keeps only the scores)."""
    scored = training_risk_scores(scenario, load_gbsg2(), seed=GBSG2_SPLIT_SEED,
                                  twins=twins, ensemble=ensemble)
    return RiskConcordance(scored, pd.DataFrame())


def _data_set_biology(base: Scenario, data_set: str, cohort_effects: CohortEffects | None,
                      ensemble: Ensemble | None) -> tuple[Scenario, Ensemble | None]:
    """``base`` and ``ensemble`` for the women of ``data_set``, with its cohort effect on
    dissemination: one multiplier on ``base`` (no ensemble), or one per draw (a single
    number is every draw's)."""
    factor = (cohort_effects or {}).get(data_set)
    if ensemble is None:
        if factor is not None and np.ndim(factor) != 0:
            raise ValueError(f"{data_set}: a cohort effect per draw needs an ensemble; "
                             "allowed without one: a single multiplier")
        single = None if factor is None else {data_set: float(np.asarray(factor))}
        return with_cohort_effect(base, data_set, single), None
    if factor is None:
        return base, ensemble
    factors = np.broadcast_to(np.asarray(factor, dtype=float), (len(ensemble),))
    return base, with_cohort_effect_draws(ensemble, base, data_set, factors)


def _held_out_base(scenario: Scenario) -> Scenario:
    """The scenario as the held-out checks run it: 15 years, relapse the endpoint."""
    return scenario.with_changes(cohort={"horizon_years": 15.0},
                                 mechanisms={"death_after_relapse": False})


def held_out_checks(scenario: Scenario, *, seed: int, twins: int = RISK_TWINS,
                    population: int = 4000, risk_years: float = RISK_YEARS,
                    imputations: int = RISK_IMPUTATIONS,
                    cohort_effects: CohortEffects | None = None,
                    ensemble: Ensemble | None = None) -> dict[str, HeldOutDataCheck]:
    """Held-out checks of ``scenario`` (e.g. the posterior median) on GBSG2, TRANSBIG and
    GSE2034 (GBSG2's twins as claim K1 runs them, ``twins`` per woman); a fit's cohort
    effects (``cohort_effects``, data set -> dissemination multiplier, fitted on the
    training parts) apply to TRANSBIG's twins and GSE2034's population.

    With ``ensemble`` every twin and simulated woman lives under one of its draws (on
    ``scenario`` as the base, as the commands run them), and the cohort effects may be
    one per draw: the check then measures the ensemble's answer, not one parameter set.
    """
    base = _held_out_base(scenario)
    out: dict[str, HeldOutDataCheck] = {}

    gbsg2 = held_out_fit(scenario, load_gbsg2(), seed=GBSG2_SPLIT_SEED, twins=twins,
                         ensemble=ensemble)
    rfs = gbsg2.rfs
    out["gbsg2"] = HeldOutDataCheck(
        pd.DataFrame({"data_set": "gbsg2", "group": rfs["group"].astype(str),
                      "years": rfs["years"], "observed": rfs["survival_observed"],
                      "ci_lower": rfs["observed_ci_lower"], "ci_upper": rfs["observed_ci_upper"],
                      "simulated": rfs["survival_simulated"], "inside": rfs["inside"]}),
        gbsg2.c_index_twin, gbsg2.c_index_cox,
        concordance_difference(gbsg2.scored, "T", "E", "risk", "cox"))

    held = held_out_cohort("transbig")
    risk = twin_risk_concordance(scenario, "held_out", seed=seed, twins=twins,
                                 risk_years=risk_years, imputations=imputations,
                                 cohort_effects=cohort_effects, ensemble=ensemble)
    km = _compare("transbig", _km_by_er(held.covariates, "follow_up_days", "relapse_event"),
                  _km_by_er(risk.twins, "dmfs_days_uncensored", "dmfs_event_uncensored"))
    out["transbig"] = HeldOutDataCheck(km, risk.c_index_twin, risk.c_index_cox,
                                       risk.difference_interval())

    gse = held_out_cohort("gse2034")
    er_pos = float((gse.covariates["er_fmol"] >= RECEPTOR_POSITIVE_FMOL).mean())
    untreated = base.with_changes(
        treatment={"surgery": True, "tamoxifen": None, "chemotherapy": None},
        cohort={"metastasis_free_at_diagnosis": True})
    pop = gse2034_population(population, seed, er_positive_fraction=er_pos)
    gse_base, gse_draws = _data_set_biology(untreated, "gse2034", cohort_effects, ensemble)
    sim = run_plans([gse_base], np.zeros(len(pop), dtype=np.int64), pop, seed=seed,
                    ensemble=gse_draws).patients
    out["gse2034"] = HeldOutDataCheck(
        _compare("gse2034", _km_by_er(gse.covariates, "follow_up_days", "relapse_event"),
                 _km_by_er(sim, "dmfs_days", "dmfs_event")),
        float("nan"), float("nan"))
    return out
