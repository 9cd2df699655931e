"""Every calibration target at one scenario: simulated value, observed value, z-score.

Usage (from the repository root)::

    .venv/bin/python scripts/target_check.py SCENARIO.toml [SCENARIO.toml ...]
        [--seeds 3] [--scale 4] [--seed 2026] [--cohort-effects RUN_DIR ...]
        [--targets-of RUN_DIR]

simulates the training targets of the Bayesian calibration (GBSG2, TRANSBIG and GSE2034
training parts, K2 and K7; :mod:`tumorsim.calibration.targets`) at each scenario with its
own values (no ensemble), ``--scale`` times the calibration's simulation sizes, averaged
over ``--seeds`` seeds, and prints one Markdown table: each target's observed value with
its standard error and, per scenario, the simulated value and the z-score
(simulated - observed) / SE. The last rows count the targets with |z| < 2 and sum z^2,
over all targets and over those other than TRANSBIG's and GSE2034's survival points (the
ones a fit's cohort effects move; ``--cohort-effects`` applies a run's).
``--targets-of RUN_DIR`` restricts the table and its sums to the targets that run was
fitted to (``tumorsim calibrate-posterior --targets-of`` does the same for a fit), so a run
made before targets were added is measured on its own list.
Held-out parts are never touched.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

COHORT_SURVIVAL = ("transbig:dmfs:", "gse2034:dmfs:")
"""The survival points of the two cohorts that carry cohort selection effects; the last row
sums z^2 over the other targets (run19's rule (c))."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+", type=Path)
    parser.add_argument("--seeds", type=int, default=3, help="seeds averaged over")
    parser.add_argument("--scale", type=int, default=4,
                        help="multiple of the calibration's simulation sizes")
    parser.add_argument("--seed", type=int, default=2026, help="first seed")
    parser.add_argument("--cohort-effects", type=Path, action="append", default=None,
                        metavar="RUN", help="a calibration's posterior.json (or its "
                        "directory) whose cohort effects apply to the scenario in the same "
                        "place (tumorsim.calibration.cohort_effects); once per scenario, or "
                        "not at all")
    parser.add_argument("--targets-of", type=Path, default=None, metavar="RUN",
                        help="only the targets of this calibration's posterior.json (or its "
                        "directory), in the current code's order")
    args = parser.parse_args(argv)
    for path in args.scenarios:
        if not path.is_file():
            print(f"{path}: no such file; allowed: a scenario TOML", file=sys.stderr)
            return 2

    import numpy as np

    from tumorsim.calibration.cohort_effects import read_cohort_effects
    from tumorsim.calibration.run import record_targets, selected_targets
    from tumorsim.errors import TumorsimError

    runs_given = args.cohort_effects or []
    if runs_given and len(runs_given) != len(args.scenarios):
        print(f"--cohort-effects given {len(runs_given)} times for {len(args.scenarios)} "
              "scenarios; allowed: once per scenario, in their order, or not at all",
              file=sys.stderr)
        return 2
    try:
        effects = [read_cohort_effects(r) for r in runs_given] or [{} for _ in args.scenarios]
        names = record_targets(args.targets_of) if args.targets_of is not None else None
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2

    from tumorsim.calibration.targets import (
        DEFAULT_SIZES,
        TrainingData,
        observed_targets,
        simulated_summaries,
    )
    from tumorsim.io.scenario_file import load_scenario

    started = time.perf_counter()
    data = TrainingData.load()
    try:
        targets = selected_targets(observed_targets(data), names)
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    sizes = DEFAULT_SIZES.scaled(args.scale)
    columns = {}
    stems = [path.stem for path in args.scenarios]
    for path, cohort_effects in zip(args.scenarios, effects, strict=True):
        # two scenarios of one file name (e.g. two runs' posterior_median_scenario.toml)
        # are told apart by their folder, so neither column overwrites the other
        label = path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}/{path.stem}"
        scenario = load_scenario(path)
        if cohort_effects:
            label += " (cohort effects " + ", ".join(
                f"{k} {v:.3g}" for k, v in cohort_effects.items()) + ")"
        runs = [simulated_summaries(scenario, data, seed=args.seed + k, sizes=sizes,
                                    cohort_effects=cohort_effects)
                for k in range(args.seeds)]
        columns[label] = {t: float(np.nanmean([r.get(t, math.nan) for r in runs]))
                          for t in targets["target"]}
    print("| target | observed (SE) | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    z_all = {name: [] for name in columns}
    for r in targets.itertuples():
        cells = []
        for name, sim in columns.items():
            z = (sim[r.target] - r.value) / r.se
            z_all[name].append(z)
            flag = "" if abs(z) < 2 else " **"
            cells.append(f"{sim[r.target]:.3f} ({z:+.1f}){flag}")
        print(f"| {r.target} | {r.value:.3f} ({r.se:.3f}) | " + " | ".join(cells) + " |")
    print("| within 2 SE | | " + " | ".join(
        f"{sum(abs(z) < 2 for z in zs)} of {len(zs)}" for zs in z_all.values()) + " |")
    print("| sum of z^2 | | " + " | ".join(
        f"{np.nansum(np.square(zs)):.0f}" for zs in z_all.values()) + " |")
    shared = [not t.startswith(COHORT_SURVIVAL) for t in targets["target"]]
    print(f"| sum of z^2, the {sum(shared)} shared targets (not {' or '.join(COHORT_SURVIVAL)}"
          ") | | " + " | ".join(
              f"{np.nansum(np.square(np.asarray(zs)[shared])):.0f}" for zs in z_all.values())
          + " |")
    print(f"\n{args.seeds} seeds from {args.seed}, {args.scale}x the calibration's sizes; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
