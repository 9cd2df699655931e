"""What hitting one training target costs the others, read from simulated design points.

Usage (from the repository root)::

    .venv/bin/python scripts/target_tradeoff.py DESIGN.parquet [DESIGN.parquet ...] \\
        --target k2:log_rate_ratio:5-10y [--below 200] [--within 1.5]

reads the ``design.parquet`` of one or more ``tumorsim calibrate-posterior`` runs made on
the same targets (points repeated across them, such as a shared Latin hypercube, count
once), keeps the points whose sum of squared standardised misses over the training
targets is below ``--below`` (the good points), and splits them by whether ``--target`` is
within ``--within`` standard errors of its observed value. It prints, as Markdown, the mean
standardised miss ((simulated - observed) / SE) of every target in the two groups, sorted
by their difference: the targets that move most when the chosen one is met are the ones it
trades against. It reads simulations only (no emulator): if no good point meets the
target, or those that do miss others, the model's structure, not the inference, stands
between it and the data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("designs", type=Path, nargs="+")
    parser.add_argument("--target", required=True, help="a training target's name")
    parser.add_argument("--below", type=float, default=200.0,
                        help="a good point's largest sum of squared misses")
    parser.add_argument("--within", type=float, default=1.5,
                        help="the target counts as met within this many SE")
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    from tumorsim.calibration.posterior import distinct_points, read_designs
    from tumorsim.calibration.targets import TrainingData, observed_targets
    from tumorsim.errors import TumorsimError

    try:
        frames = read_designs(args.designs)
    except TumorsimError as error:
        print(error, file=sys.stderr)
        return 2
    design, z = distinct_points(frames, observed_targets(TrainingData.load()))
    if args.target not in z.columns:
        print(f"--target {args.target!r}: not a training target of the design; allowed: "
              + ", ".join(z.columns), file=sys.stderr)
        return 2
    good = z[(z ** 2).sum(axis=1, skipna=False) < args.below]
    met = good[args.target].abs() <= args.within
    if not met.any() or met.all():
        print(f"{len(good)} of {len(design)} distinct points miss by less than "
              f"{args.below:g}; {int(met.sum())} of them meet {args.target} within "
              f"{args.within:g} SE: no split to compare")
        return 0
    table = pd.DataFrame({"met": good[met].mean(), "not met": good[~met].mean()})
    table["difference"] = table["met"] - table["not met"]
    table = table.reindex(table["difference"].abs().sort_values(ascending=False).index)
    print(f"{len(good)} of {len(design)} distinct design points miss by less than "
          f"{args.below:g} (sum of z^2); {int(met.sum())} of them have {args.target} within "
          f"{args.within:g} SE.\n")
    print(f"| target | mean z, {args.target} met | mean z, not met | difference |")
    print("|---|---|---|---|")
    for name, r in table.iterrows():
        print(f"| {name} | {r['met']:+.2f} | {r['not met']:+.2f} | {r['difference']:+.2f} |")
    print(f"\nsums of z^2, median: met {np.median((good[met] ** 2).sum(axis=1)):.0f}, "
          f"not met {np.median((good[~met] ** 2).sum(axis=1)):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
