"""Which covariate effects the model gets wrong, asked of the training parts only.

Usage (from the repository root)::

    .venv/bin/python scripts/covariate_effects.py \\
        docs/calibration/posterior_median_scenario.toml \\
        --cohort-effects src/tumorsim/data/posterior --twins 20 --seed 2026

For GBSG2's and TRANSBIG's **training** parts it fits the Cox model of the c-index
comparison (GBSG2: :data:`tumorsim.analysis.gbsg2.COX_COVARIATES`; TRANSBIG:
:data:`tumorsim.calibration.held_out.COX_COLUMNS`) twice: to the real women's relapses,
and to their twins' (each woman's twins under her recorded treatment, censored at her own
follow-up; GBSG2's endpoint is recurrence-free survival as claim K1 runs it, TRANSBIG's
distant-metastasis-free survival with the fit's TRANSBIG effect). It prints each
coefficient (log hazard ratio per unit) from both, the difference in units of the real
fit's standard error, and the c-index on the same training women of the twins' risk
score (their share relapsing by 5 years) and of the Cox model: in sample (optimistic) and
out of fold (:func:`tumorsim.analysis.survival.cox_out_of_fold_concordance`, a model
scored on women it was not fitted to). The twins' c-index rises with ``--twins`` (Monte
Carlo noise in the score); 300, the held-out check's precision, is the one to compare
runs by (docs/posterior.md, "The risk score's precision and the next structure").
A covariate whose effect in the twins differs from the real one is a covariate the model
orders women by wrongly. No held-out woman is simulated or read.

With ``--reference SCENARIO`` (and ``--reference-cohort-effects RUN``) it also simulates
the reference's twins of the same women with the same seed and prints, on each training
part, the twins' c-index minus the reference twins' with a 95 % paired bootstrap interval
over the women, and the two differences' precision-weighted mean (weights 1/SE^2, the SE
from each interval's width) with its 95 % interval: the ranking rule of a calibration's
pre-registration (docs/calibration/run21/PREREGISTRATION.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _cox(table: pd.DataFrame, columns: list[str], duration: str, event: str):  # type: ignore[no-untyped-def]
    from lifelines import CoxPHFitter

    frame = table[columns].assign(T=table[duration].to_numpy(float),
                                  E=table[event].to_numpy(bool))
    return CoxPHFitter().fit(frame, "T", "E")


def _risk(twins: pd.DataFrame, endpoint: str, n: int, k: int) -> np.ndarray:
    """Each woman's twins' share relapsing within the c-index comparison's risk horizon."""
    from tumorsim.calibration.held_out import DAYS_PER_YEAR, RISK_YEARS

    days = twins[f"{endpoint}_days_uncensored"].to_numpy(float).reshape(n, k)
    event = twins[f"{endpoint}_event_uncensored"].to_numpy(bool).reshape(n, k)
    return (event & (days <= RISK_YEARS * DAYS_PER_YEAR)).mean(axis=1)


def _compare(name: str, women: pd.DataFrame, twins: pd.DataFrame, columns: list[str],
             endpoint: str, k: int) -> pd.DataFrame:
    """Print the real and the twins' Cox coefficients side by side, and the c-indices;
    return the women's outcomes and risk scores (``T``, ``E``, ``risk``, ``cox``)."""
    from tumorsim.analysis.survival import concordance, cox_out_of_fold_concordance

    real = _cox(women, columns, "follow_up_days", "relapse_event")
    simulated = _cox(twins, columns, f"{endpoint}_days", f"{endpoint}_event")
    rows = []
    for column in columns:
        b_real, se_real = real.params_[column], real.standard_errors_[column]
        b_sim, se_sim = simulated.params_[column], simulated.standard_errors_[column]
        rows.append({"covariate": column, "real": b_real, "real_se": se_real,
                     "twins": b_sim, "twins_se": se_sim,
                     "z": (b_sim - b_real) / float(np.hypot(se_real, se_sim))})
    print(f"== {name}: Cox log hazard ratio per unit, {len(women)} training women "
          f"({int(women['relapse_event'].sum())} events) against their {k} twins each")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    scored = pd.DataFrame({"T": women["follow_up_days"].to_numpy(float),
                           "E": women["relapse_event"].to_numpy(bool),
                           "risk": _risk(twins, endpoint, len(women), k),
                           "cox": np.asarray(real.predict_partial_hazard(women[columns]))})
    out_of_fold = cox_out_of_fold_concordance(women, "follow_up_days", "relapse_event", columns)
    print(f"c-index on the training part: twins {concordance(scored, 'T', 'E', 'risk'):.3f}, "
          f"Cox in sample {concordance(scored, 'T', 'E', 'cox'):.3f}, "
          f"Cox out of fold {out_of_fold:.3f} (5 folds, 20 splits)")
    return scored


def _paired(name: str, scored: pd.DataFrame, reference_risk: np.ndarray, replicates: int
            ) -> tuple[float, float]:
    """Print the twins' c-index minus the reference twins' on the same women, with its 95 %
    paired bootstrap interval; return the difference and its standard error (the
    interval's width over 2 x 1.96)."""
    from tumorsim.analysis.survival import concordance_difference

    frame = scored.assign(reference=reference_risk)
    diff, low, high = concordance_difference(frame, "T", "E", "risk", "reference",
                                             replicates=replicates, seed=0)
    print(f"{name}: c-index minus the reference's {diff:+.4f} [{low:+.4f}, {high:+.4f}] "
          f"(95 % paired bootstrap, {replicates} resamples of the women)")
    return diff, (high - low) / (2 * 1.959964)


def _twins_with_covariates(result, women: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = result.twins["source_row"].to_numpy()
    covariates = women.reset_index(drop=True).iloc[rows].reset_index(drop=True)
    twins = result.twins.reset_index(drop=True)
    return pd.concat([twins, covariates.drop(columns=[c for c in covariates
                                                       if c in twins.columns])], axis=1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="scenario TOML (e.g. the posterior median)")
    parser.add_argument("--twins", type=int, default=20, help="twins per training woman")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cohort-effects", type=Path, default=None, metavar="RUN",
                        help="a calibration's posterior.json (or its directory) whose "
                        "TRANSBIG effect applies to TRANSBIG's twins")
    parser.add_argument("--reference", default=None, metavar="SCENARIO",
                        help="a second scenario TOML whose twins (same women, same seed) "
                        "the c-indices are compared with, by a paired bootstrap")
    parser.add_argument("--reference-cohort-effects", type=Path, default=None, metavar="RUN",
                        help="the reference's calibration (its TRANSBIG effect)")
    parser.add_argument("--replicates", type=int, default=1000,
                        help="bootstrap resamples of the paired comparison")
    args = parser.parse_args(argv)

    from tumorsim.analysis.gbsg2 import COX_COVARIATES, split_gbsg2
    from tumorsim.calibration.cohort_effects import read_cohort_effects, with_cohort_effect
    from tumorsim.calibration.held_out import COX_COLUMNS
    from tumorsim.calibration.targets import GBSG2_SPLIT_SEED
    from tumorsim.cohort.data import load_gbsg2
    from tumorsim.cohort.datasets import training_cohort
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.model.scenario import Scenario
    from tumorsim.runner.twins import run_twin

    started = time.perf_counter()
    scenario = load_scenario(args.scenario)
    effects = read_cohort_effects(args.cohort_effects) if args.cohort_effects else {}
    print(f"scenario {args.scenario}; cohort effects {effects or 'none'}; "
          f"{args.twins} twins per woman, seed {args.seed}")

    train, _ = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
    transbig = training_cohort("transbig")

    def transbig_base(scenario: Scenario, effects: dict[str, float]) -> Scenario:
        return with_cohort_effect(
            scenario.with_changes(cohort={"horizon_years": 15.0},
                                  mechanisms={"death_after_relapse": False}),
            "transbig", effects)

    result = run_twin(scenario, train, twins=args.twins, seed=args.seed)
    women = train.covariates.reset_index(drop=True)
    gbsg2 = _compare("GBSG2 (RFS)", women, _twins_with_covariates(result, women),
                     list(COX_COVARIATES), "rfs", args.twins)

    result = run_twin(transbig_base(scenario, effects), transbig, twins=args.twins,
                      seed=args.seed, chemotherapy_regimen=None)
    women = transbig.covariates.reset_index(drop=True)
    transbig_scored = _compare("TRANSBIG (DMFS)", women, _twins_with_covariates(result, women),
                               list(COX_COLUMNS), "dmfs", args.twins)

    if args.reference is not None:
        reference = load_scenario(args.reference)
        reference_effects = (read_cohort_effects(args.reference_cohort_effects)
                             if args.reference_cohort_effects else {})
        print(f"== paired comparison with {args.reference}; cohort effects "
              f"{reference_effects or 'none'}; the same women, twins and seed")
        gbsg2_ref = run_twin(reference, train, twins=args.twins, seed=args.seed).twins
        transbig_ref = run_twin(transbig_base(reference, reference_effects), transbig,
                                twins=args.twins, seed=args.seed,
                                chemotherapy_regimen=None).twins
        parts = [_paired("GBSG2", gbsg2, _risk(gbsg2_ref, "rfs", len(gbsg2), args.twins),
                         args.replicates),
                 _paired("TRANSBIG", transbig_scored,
                         _risk(transbig_ref, "dmfs", len(transbig_scored), args.twins),
                         args.replicates)]
        weights = np.array([1.0 / max(se, 1e-12) ** 2 for _, se in parts])  # 0: identical
        combined = float(np.dot(weights, [d for d, _ in parts]) / weights.sum())
        half = 1.959964 / float(np.sqrt(weights.sum()))
        print(f"precision-weighted difference (weights 1/SE^2: "
              f"{weights[0] / weights.sum():.2f} GBSG2, {weights[1] / weights.sum():.2f} "
              f"TRANSBIG): {combined:+.4f} [{combined - half:+.4f}, {combined + half:+.4f}]")
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
