"""The held-out check of a calibration: TRANSBIG and GSE2034, after a fit, never during one.

Usage (from the repository root)::

    .venv/bin/python scripts/held_out_check.py \\
        docs/calibration/posterior_median_scenario.toml --twins 300 --seed 2026
    # a fit with cohort effects: its TRANSBIG and GSE2034 multipliers apply
    .venv/bin/python scripts/held_out_check.py SCENARIO --cohort-effects RUN_DIR
    # the risk score's precision, chosen on the training part only
    .venv/bin/python scripts/held_out_check.py SCENARIO --part training --twins 100
    # one draw of TRANSBIG's missing covariates shared by all twins (up to the sixth look)
    .venv/bin/python scripts/held_out_check.py SCENARIO --part training --imputations 1
    # the answer the commands give: each twin under one draw of the default ensemble,
    # TRANSBIG's and GSE2034's with each draw's own cohort effect (the tenth look on)
    .venv/bin/python scripts/held_out_check.py src/tumorsim/data/default.toml \
        --ensemble tumorsim:ensemble --twins 300 --seed 2026
    # ... tried on the training parts first, against the ensemble's median point
    .venv/bin/python scripts/held_out_check.py src/tumorsim/data/default.toml \
        --ensemble tumorsim:ensemble --part training

prints, per data set, Kaplan-Meier distant-metastasis-free survival by ER at 1, 3, 5 and
10 years (observed with its 95 % interval against the simulation) and, for TRANSBIG, the
c-index of the twins' risk score against a Cox model fitted on the training part
(:func:`tumorsim.calibration.held_out.held_out_checks`). Every run is a look at the
held-out parts: docs/posterior.md counts them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="scenario TOML (e.g. the posterior median)")
    parser.add_argument("--twins", type=int, default=300,
                        help="twins per held-out TRANSBIG woman (the risk score's precision)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--population", type=int, default=4000,
                        help="simulated women for GSE2034 (population level)")
    parser.add_argument("--risk-years", type=float, default=None,
                        help="the risk score's horizon (default: RISK_YEARS of "
                        "tumorsim.calibration.held_out); with --part training, to choose it")
    parser.add_argument("--imputations", type=int, default=None,
                        help="groups of twins, each with its own draw of TRANSBIG's missing "
                        "covariates (default: RISK_IMPUTATIONS of "
                        "tumorsim.calibration.held_out; 1: one draw shared by all twins, as "
                        "up to the sixth look)")
    parser.add_argument("--first-draw", type=int, default=0,
                        help="with --part training: the first draw of the missing covariates "
                        "is DRAW_SEED + this (to see how a one-draw score varies)")
    parser.add_argument("--cohort-effects", type=Path, default=None, metavar="RUN",
                        help="a calibration's posterior.json (or its directory) whose cohort "
                        "effects, fitted on the training parts, apply to TRANSBIG and GSE2034 "
                        "(tumorsim.calibration.cohort_effects)")
    parser.add_argument("--ensemble", default=None, metavar="NAME",
                        help="parameter draws every twin lives under, one each, as the "
                        "commands run them ('tumorsim:ensemble', 'tumorsim:posterior' or a "
                        "draws file); SCENARIO is then the base, and TRANSBIG's and "
                        "GSE2034's twins carry each draw's own cohort effect where the "
                        "draws have one. With --part training the ensemble's median point "
                        "is scored beside it, on the same women")
    parser.add_argument("--part", choices=("held_out", "training"), default="held_out",
                        help="'training': only the c-indices on GBSG2's and TRANSBIG's "
                        "training parts (no look at the held-out parts)")
    args = parser.parse_args(argv)

    from tumorsim.calibration.held_out import (
        RISK_IMPUTATIONS,
        RISK_YEARS,
        held_out_checks,
        twin_risk_concordance,
    )
    from tumorsim.errors import TumorsimError
    from tumorsim.io.scenario_file import load_scenario

    started = time.perf_counter()
    risk_years = RISK_YEARS if args.risk_years is None else args.risk_years
    imputations = RISK_IMPUTATIONS if args.imputations is None else args.imputations
    if min(args.twins, imputations) < 1:
        print(f"--twins {args.twins} --imputations {imputations}: allowed: each at least 1",
              file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario)
        ensemble, effects = _biology(args.ensemble, args.cohort_effects)
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    if ensemble is not None:
        print(f"ensemble: {ensemble.source} ({len(ensemble)} draws) on {args.scenario}")
    for name, value in effects.items():
        print(f"cohort effect of {name} (dissemination multiplier, fitted on the training "
              f"parts): " + (f"{value:.3g}" if isinstance(value, float) else
                             f"one per draw, median {float(np.median(value)):.3g}"))
    if args.part == "training":
        if ensemble is not None:
            _compare_with_median(scenario, ensemble, effects, args.twins, args.seed,
                                 risk_years, imputations)
            print(f"wall time {time.perf_counter() - started:.0f} s")
            return 0
        risk = twin_risk_concordance(scenario, "training",
                                     seed=args.seed, twins=args.twins, risk_years=risk_years,
                                     imputations=imputations, first_draw=args.first_draw,
                                     cohort_effects=effects)
        print(f"TRANSBIG training part, {args.twins} twins per woman in "
              f"{min(imputations, args.twins)} draws of the missing covariates (first "
              f"DRAW_SEED + {args.first_draw}), risk by "
              f"{risk_years:g} years: c-index twins "
              f"{risk.c_index_twin:.3f}, Cox {risk.c_index_cox:.3f} (in sample)")
        from tumorsim.cohort.datasets import training_cohort

        covariates = training_cohort("transbig").covariates.reset_index(drop=True)
        spearman = {c: risk.scored["risk"].corr(covariates[c], method="spearman")
                    for c in ("tumour_size_mm", "pr_fmol", "er_fmol", "grade", "age_years")}
        print("Spearman correlation of the twins' risk with: " + ", ".join(
            f"{c} {v:+.2f}" for c, v in spearman.items()))
        print(f"wall time {time.perf_counter() - started:.0f} s")
        return 0
    checks = held_out_checks(scenario, seed=args.seed, twins=args.twins,
                             population=args.population, risk_years=risk_years,
                             imputations=imputations, cohort_effects=effects,
                             ensemble=ensemble)
    for name, check in checks.items():
        print(f"== {name}")
        print("\n".join(check.lines()))
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


def _biology(name: str | None, run: Path | None):  # type: ignore[no-untyped-def]
    """The ensemble ``--ensemble`` names (None without it) and the cohort effects: from
    ``--cohort-effects RUN`` (one number each), or, with an ensemble, each draw's own."""
    from tumorsim.calibration.cohort_effects import read_cohort_effects
    from tumorsim.errors import TumorsimError
    from tumorsim.io.ensemble_file import load_cohort_effect_draws, load_ensemble

    if name is None:
        return None, (read_cohort_effects(run) if run is not None else {})
    if run is not None:
        raise TumorsimError(f"--cohort-effects {str(run)!r} with --ensemble {name!r}: allowed: "
                            "one of them (an ensemble's twins carry its draws' own effects)")
    ensemble = load_ensemble(name)
    fitted = load_cohort_effect_draws(name)
    return ensemble, {c: fitted[c].to_numpy(float) for c in fitted.columns}


def _compare_with_median(scenario, ensemble, effects, twins: int, seed: int,  # type: ignore[no-untyped-def]
                         risk_years: float, imputations: int) -> None:
    """Print the training parts' c-indices of the ensemble's risk score and of its median
    point's (the median draw, and the median of each cohort effect, as ``tumorsim twin
    --point`` runs it), with the paired bootstrap of their difference on the same women."""
    from tumorsim.analysis.survival import concordance_difference
    from tumorsim.calibration.held_out import gbsg2_training_concordance, twin_risk_concordance

    point = ensemble.median()
    point_effects = {k: float(np.median(v)) for k, v in effects.items()}
    parts = {
        "GBSG2 (RFS)": (gbsg2_training_concordance(scenario, twins=twins, ensemble=ensemble),
                        gbsg2_training_concordance(scenario, twins=twins, ensemble=point)),
        "TRANSBIG (DMFS)": tuple(
            twin_risk_concordance(scenario, "training", seed=seed, twins=twins,
                                  risk_years=risk_years, imputations=imputations,
                                  cohort_effects=e, ensemble=d)
            for d, e in ((ensemble, effects), (point, point_effects))),
    }
    print(f"training parts, {twins} twins per woman (GBSG2's seeded by its split, "
          f"{seed} for TRANSBIG's); Cox scored in sample")
    for name, (over_draws, at_median) in parts.items():
        frame = over_draws.scored.assign(median=at_median.scored["risk"].to_numpy())
        diff, low, high = concordance_difference(frame, "T", "E", "risk", "median",
                                                 replicates=1000, seed=0)
        print(f"{name}: c-index over the draws {over_draws.c_index_twin:.3f}, at the "
              f"median point {at_median.c_index_twin:.3f}, Cox {over_draws.c_index_cox:.3f}; "
              f"draws minus median {diff:+.3f} [{low:+.3f}, {high:+.3f}] (95 % paired "
              f"bootstrap over the {len(frame)} women)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
