"""Which parameters move the training targets, read from simulated design points.

Usage (from the repository root)::

    .venv/bin/python scripts/parameter_effects.py DESIGN.parquet [DESIGN.parquet ...] \\
        [--bins 10] [--shuffles 200] [--seed 2026] [--hypercube 200]

reads the ``design.parquet`` of one or more ``tumorsim calibrate-posterior`` runs made on
the same targets (points repeated across them count once) and, for every parameter that
varies across the points (the fitted ones and, in a run with ``--mechanism-priors``, the
M1-M3 mechanism parameters drawn from their priors), measures its first-order effect on
each target: the points are cut into ``--bins`` equal-count bins of the parameter, and
the effect is the variance, across the bins, of the mean standardised miss
((simulated - observed) / SE) in each bin. Summed over the targets it is in units of z^2.

The noise floor is what the same statistic gives when the points are binned in a random
order (``--shuffles`` orders, seeded): the 95th percentile of those sums. It is one floor
for every parameter (a shuffled column carries no trace of the parameter it came from). A
parameter whose effect is within the floor moves no target on its own more than chance
does over these points
(interactions are not measured). ``--hypercube N`` keeps only each design's first ``N``
points (the Latin hypercube, where the parameters are independent; later waves
concentrate where the posterior is, which ties the parameters together).

It prints, as Markdown, one row per parameter sorted by effect: the summed effect, its
floor, and the target it moves most with that target's share. It reads simulations only
(no emulator).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("designs", type=Path, nargs="+")
    parser.add_argument("--bins", type=int, default=10, help="equal-count bins per parameter")
    parser.add_argument("--shuffles", type=int, default=200,
                        help="random orders of the points for the noise floor")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the shuffles")
    parser.add_argument("--hypercube", type=int, default=None,
                        help="keep only each design's first N points")
    args = parser.parse_args(argv)
    if args.bins < 2 or args.shuffles < 1:
        print(f"--bins {args.bins} / --shuffles {args.shuffles}: allowed: --bins at least "
              "2 and --shuffles at least 1", file=sys.stderr)
        return 2

    import numpy as np

    from tumorsim.calibration.posterior import distinct_points, read_designs
    from tumorsim.calibration.targets import TrainingData, observed_targets
    from tumorsim.errors import TumorsimError

    try:
        frames = read_designs(args.designs)
    except TumorsimError as error:
        print(error, file=sys.stderr)
        return 2
    if args.hypercube is not None:
        frames = [f[f["point"] < args.hypercube] for f in frames]
    design, z = distinct_points(frames, observed_targets(TrainingData.load()))
    simulated = z.notna().all(axis=1)
    design, z = design[simulated].reset_index(drop=True), z[simulated].reset_index(drop=True)
    if len(design) < 2 * args.bins:
        print(f"{len(design)} distinct points with every target simulated: too few for "
              f"--bins {args.bins}; allowed: at least 2 points per bin", file=sys.stderr)
        return 2
    names = [c for c in design.columns
             if c not in z.columns and c not in ("point", "fingerprint")
             and not c.startswith("u_") and design[c].nunique() > args.bins]
    zv = z.to_numpy(float)

    def effect(order: np.ndarray) -> np.ndarray:
        """Variance across the bins of each target's mean miss, points taken in ``order``."""
        bins = np.array_split(order, args.bins)
        means = np.stack([zv[b].mean(axis=0) for b in bins])
        return means.var(axis=0)

    rng = np.random.default_rng(args.seed)
    floor = np.quantile([effect(rng.permutation(len(design))).sum()
                         for _ in range(args.shuffles)], 0.95)
    rows = []
    for name in names:
        per_target = effect(np.argsort(design[name].to_numpy(float), kind="stable"))
        top = int(np.argmax(per_target))
        rows.append((name, per_target.sum(), floor, z.columns[top],
                     per_target[top] / per_target.sum()))
    rows.sort(key=lambda r: r[1], reverse=True)
    print(f"{len(design)} distinct points, {len(z.columns)} targets, {args.bins} bins; "
          f"floor {floor:.2f}: 95th percentile of {args.shuffles} random orders\n")
    print("| parameter | effect (z^2) | floor | above floor | moves most | share |")
    print("|---|---|---|---|---|---|")
    for name, total, floor, target, share in rows:
        print(f"| {name} | {total:.2f} | {floor:.2f} | {'yes' if total > floor else 'no'} "
              f"| {target} | {share:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
