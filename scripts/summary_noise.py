"""How noisy each calibration summary is at one parameter set, in standard errors.

Usage (from the repository root)::

    .venv/bin/python scripts/summary_noise.py SCENARIO.toml [--seeds 8]
        [--mechanism-draws 8] [--scale 1] [--seed 2026]

simulates the Bayesian calibration's training summaries (:mod:`tumorsim.calibration.targets`)
at one scenario ``--seeds`` times with different seeds (its own mechanism values), and
``--mechanism-draws`` times with the M1-M3 mechanism parameters drawn from their priors
(:mod:`tumorsim.model.mechanism_priors`) and the one seed ``--seed``, at ``--scale`` times
the calibration's simulation sizes. It prints, per target, the standard deviation over the
seeds (the Monte Carlo noise of one simulation) and over the mechanism draws (what
marginalising over the mechanism priors adds, with whatever noise a changed parameter
brings through the random streams), each divided by the target's standard error. A target
whose noise is near or above its SE is measured by one simulation little better than by
none: its emulator's white noise carries it, and a single simulation's sum of squared
misses mostly measures it. Held-out parts are never touched.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--mechanism-draws", type=int, default=8)
    parser.add_argument("--scale", type=int, default=1,
                        help="multiple of the calibration's simulation sizes")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if min(args.seeds, args.mechanism_draws) < 2 or args.scale < 1:
        print(f"--seeds {args.seeds} --mechanism-draws {args.mechanism_draws} --scale "
              f"{args.scale}: allowed: at least 2 seeds and 2 draws, scale at least 1",
              file=sys.stderr)
        return 2

    import numpy as np
    import pandas as pd

    from tumorsim.calibration.priors import scenario_with
    from tumorsim.calibration.targets import (
        DEFAULT_SIZES,
        TrainingData,
        observed_targets,
        simulated_summaries,
    )
    from tumorsim.errors import TumorsimError
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.model.ensemble import Ensemble
    from tumorsim.model.mechanism_priors import mechanism_prior_ranges

    try:
        scenario = load_scenario(args.scenario)
    except TumorsimError as exc:
        print(exc, file=sys.stderr)
        return 2
    started = time.perf_counter()
    sizes = DEFAULT_SIZES.scaled(args.scale)
    data = TrainingData.load()
    targets = observed_targets(data).set_index("target")
    by_seed = pd.DataFrame([simulated_summaries(scenario, data, seed=args.seed + k, sizes=sizes)
                            for k in range(args.seeds)])
    drawn = Ensemble.from_priors(mechanism_prior_ranges(), args.mechanism_draws,
                                 args.seed + 2).draws
    by_draw = pd.DataFrame([simulated_summaries(
        scenario_with(scenario, {n: float(x) for n, x in drawn.loc[k].items()}), data,
        seed=args.seed, sizes=sizes) for k in range(args.mechanism_draws)])
    names = [t for t in targets.index if t in by_seed.columns]
    se = targets.loc[names, "se"]
    seeds = by_seed[names].std() / se
    draws = by_draw[names].std() / se
    print(f"| target | SE | sd over {args.seeds} seeds, in SE | sd over "
          f"{args.mechanism_draws} mechanism draws (one seed), in SE |")
    print("|---|---|---|---|")
    for t in names:
        print(f"| {t} | {se[t]:.3f} | {seeds[t]:.2f} | {draws[t]:.2f} |")
    ratio = float(np.median((draws / seeds) ** 2))
    print(f"\n{args.scenario}, {args.scale}x the calibration's sizes; sum over the targets "
          f"of the seed variance in SE^2: {float((seeds ** 2).sum()):.1f}; median ratio of "
          f"the mechanism draws' variance to the seeds': {ratio:.2f}; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
