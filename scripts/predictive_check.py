"""Posterior predictive checks of a calibration run at larger simulation sizes.

Usage (from the repository root)::

    .venv/bin/python scripts/predictive_check.py RUN_DIR --out CHECKS.parquet
        [--checks 20] [--scale 4] [--seed 2026] [--reference OTHER.parquet]

simulates the first ``--checks`` posterior draws of a ``tumorsim calibrate-posterior``
output directory (``posterior_draws.parquet`` and ``posterior.json``; the packaged
``src/tumorsim/data/posterior`` is one) exactly as the calibration's own predictive checks
do (draw ``k`` with simulation seed ``seed + 1 + k`` and, when the run was marginalised
over the M1-M3 mechanism priors, the mechanism values the calibration drew for check
``k``; ``--calibration-checks`` says how many checks it drew them for), but at
``--scale`` times the calibration's simulation sizes (those its ``posterior.json``
records, or with ``--sizes default`` the calibration's defaults, to compare runs made
with different ``--size`` options at one setting). The calibration's checks run at
the design's sizes, where the late-period ratio targets (K2 and K7, years 5-15) carry a
Monte Carlo noise of one to two and a half standard errors per simulation, so their sum
of squared misses measures the noise as much as the posterior; at 4x that noise is
halved. Each finished draw is written to ``--out`` at once (a rerun resumes).
Prints the sum of squared standardised misses over the training targets (smallest, lower
quartile, median) and each target's median z-score; with ``--reference`` (another run's
``--out`` file) also each run's median and their difference with 95 % bootstrap intervals
over the draws, which say how far a median over so few draws can be trusted. Held-out
parts are never touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--checks", type=int, default=20, help="posterior draws simulated")
    parser.add_argument("--scale", type=int, default=4,
                        help="multiple of the calibration's simulation sizes")
    parser.add_argument("--seed", type=int, default=2026,
                        help="the calibration's seed (checks use seed + 1 + k)")
    parser.add_argument("--sizes", choices=("run", "default"), default="run",
                        help="scale the run's own design sizes (posterior.json) or the "
                             "calibration's defaults (to compare runs made with different "
                             "--size options at one setting)")
    parser.add_argument("--targets-of", type=Path, default=None, metavar="PARQUET|RUN",
                        help="summarise over the targets of another run's check only (the "
                        "columns of its --out file), or over those a calibration was "
                        "fitted to (its posterior.json or directory), to compare with a "
                        "run judged on fewer targets")
    parser.add_argument("--reference", type=Path, default=None, metavar="PARQUET",
                        help="another run's --out file: print the median of its sums, and "
                        "of the difference, with 95 %% bootstrap intervals (over the "
                        "targets summarised here)")
    parser.add_argument("--calibration-checks", type=int, default=20,
                        help="how many checks the calibration ran (its mechanism values "
                             "are one Latin hypercube of that many)")
    args = parser.parse_args(argv)
    for name in ("posterior_draws.parquet", "posterior.json"):
        if not (args.run / name).is_file():
            print(f"{args.run / name}: no such file; allowed: a tumorsim calibrate-posterior "
                  "output directory", file=sys.stderr)
            return 2
    if args.reference is not None and not args.reference.is_file():
        print(f"--reference {args.reference}: no such file; allowed: another run's --out "
              "parquet", file=sys.stderr)
        return 2
    if min(args.checks, args.scale, args.calibration_checks) < 1:
        print(f"--checks {args.checks} --scale {args.scale} --calibration-checks "
              f"{args.calibration_checks}: allowed: each at least 1", file=sys.stderr)
        return 2

    import numpy as np
    import pandas as pd

    from tumorsim.calibration.posterior import (
        median_misses_difference,
        squared_misses,
        standardised_misses,
    )
    from tumorsim.calibration.priors import scenario_with
    from tumorsim.calibration.run import predictive_check_values
    from tumorsim.calibration.targets import (
        DEFAULT_SIZES,
        TrainingData,
        observed_targets,
        simulated_summaries,
    )
    from tumorsim.io.scenario_file import load_default_scenario

    started = time.perf_counter()
    record = json.loads((args.run / "posterior.json").read_text())
    check_values = predictive_check_values(args.run, args.checks, args.seed,
                                           args.calibration_checks)
    n = len(check_values)
    # the run's own design sizes (a run made with --size), or the defaults
    design_sizes = (replace(DEFAULT_SIZES, **record["diagnostics"].get("simulation_sizes", {}))
                    if args.sizes == "run" else DEFAULT_SIZES)
    sizes = design_sizes.scaled(args.scale)
    data = TrainingData.load()
    targets = observed_targets(data)
    if args.targets_of is not None:
        if args.targets_of.is_dir() or args.targets_of.suffix == ".json":
            from tumorsim.calibration.run import record_targets
            from tumorsim.errors import TumorsimError

            try:
                shared = set(record_targets(args.targets_of))
            except TumorsimError as err:
                print(err, file=sys.stderr)
                return 2
        else:
            shared = set(pd.read_parquet(args.targets_of).columns) - {"draw"}
        targets = targets[targets["target"].isin(shared)].reset_index(drop=True)
    other = None if args.reference is None else pd.read_parquet(args.reference)
    if other is not None:
        lacking = sorted(set(targets["target"]) - set(other.columns))
        if lacking:
            print(f"--reference {args.reference}: lacks {', '.join(lacking)}; allowed: a "
                  "check with every target summarised here (see --targets-of)",
                  file=sys.stderr)
            return 2
    base = load_default_scenario()
    done = (pd.read_parquet(args.out).to_dict("records") if args.out.is_file() else [])
    have = {int(r["draw"]) for r in done}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        if k in have:
            continue
        biology, effects = check_values[k]
        sim = simulated_summaries(scenario_with(base, biology), data, seed=args.seed + 1 + k,
                                  cohort_effects=effects,
                                  sizes=sizes)
        done.append({"draw": k, **sim})
        tmp = args.out.with_name(args.out.name + ".partial")
        pd.DataFrame(done).sort_values("draw").to_parquet(tmp, index=False)
        tmp.replace(args.out)
        print(f"draw {k + 1} of {n} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    table = pd.DataFrame(done).sort_values("draw").reset_index(drop=True)
    misses = squared_misses(table, targets)
    q = np.quantile(misses, [0.0, 0.25, 0.5])
    print("| run | draws | scale | smallest | lower quartile | median |\n"
          "|---|---|---|---|---|---|\n"
          f"| {args.run} | {len(table)} | {args.scale}x | {q[0]:.0f} | {q[1]:.0f} | {q[2]:.0f} |")
    if other is not None:
        compared = median_misses_difference(misses, squared_misses(other, targets),
                                            seed=args.seed)
        print("\n| median sum of z^2 (95 % bootstrap, 4000 resamples of the draws) | "
              "median | interval |\n|---|---|---|")
        names = {"run": f"{args.run} ({len(table)} draws)",
                 "reference": f"{args.reference} ({len(other)} draws)",
                 "difference": "difference, run minus reference"}
        for row, name in names.items():
            r = compared.loc[row]
            print(f"| {name} | {r['median']:.0f} | [{r['low']:.0f}, {r['high']:.0f}] |")
    z = standardised_misses(table, targets).median()
    print("\n| target | median z over the draws |\n|---|---|")
    for name, value in z.items():
        print(f"| {name} | {value:+.2f} |")
    print(f"\nsum of squared misses over {len(z)} training targets; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
