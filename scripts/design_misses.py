"""How far a calibration run's simulations are from the training targets.

Usage (from the repository root)::

    .venv/bin/python scripts/design_misses.py RUN_DIR [--first-wave 200]

reads ``design.parquet`` and, when present, ``predictive_checks.parquet`` from a
``tumorsim calibrate-posterior`` output directory and prints, as Markdown, the sum of
squared standardised misses ((simulated - observed) / SE, squared, summed over the
training targets; :func:`tumorsim.calibration.posterior.squared_misses`) of the design's
points (by wave: the first ``--first-wave`` points are the Latin hypercube, later waves
follow in blocks of the second wave's size, taken from ``posterior.json`` when it is there)
and of the real simulator at the posterior draws of the predictive checks. If the
posterior is where the data say, its draws miss by about as little as the design's best
points. It also says how many points the emulators are fitted on
(:func:`tumorsim.calibration.posterior.plausible_points`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--first-wave", type=int, default=None,
                        help="points of the Latin hypercube (default: from posterior.json)")
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    from tumorsim.calibration.posterior import plausible_points, squared_misses
    from tumorsim.calibration.targets import TrainingData, observed_targets

    design_path = args.run / "design.parquet"
    if not design_path.is_file():
        print(f"{design_path}: no such file; allowed: a tumorsim calibrate-posterior output "
              "directory", file=sys.stderr)
        return 2
    design = pd.read_parquet(design_path)
    targets = observed_targets(TrainingData.load())
    misses = squared_misses(design, targets)
    waves = [len(design)]
    meta = args.run / "posterior.json"
    if meta.is_file():
        record = json.loads(meta.read_text())
        waves = [int(w["points"]) for w in record["diagnostics"].get("design_waves", [])] or waves
    if args.first_wave is not None:
        waves = [args.first_wave, *([] if len(design) == args.first_wave
                                    else [len(design) - args.first_wave])]

    def row(label: str, values: np.ndarray) -> str:
        finite = values[np.isfinite(values)]
        q = np.quantile(finite, [0.0, 0.25, 0.5]) if len(finite) else [np.nan] * 3
        return (f"| {label} | {len(values)} | {q[0]:.0f} | {q[1]:.0f} | {q[2]:.0f} | "
                f"{len(values) - len(finite)} |")

    print("| simulations | n | smallest | lower quartile | median | no value for some "
          "target |")
    print("|---|---|---|---|---|---|")
    start = 0
    for k, n in enumerate(waves, start=1):
        print(row(f"design, wave {k}", misses[start:start + n]))
        start += n
    checks = args.run / "predictive_checks.parquet"
    if checks.is_file():
        print(row("posterior draws (predictive checks)",
                  squared_misses(pd.read_parquet(checks), targets)))
    keep = plausible_points(misses)
    print(f"\nsum of squared misses over {targets['target'].isin(design.columns).sum()} "
          f"targets; the emulators are fitted on {int(keep.sum())} of {len(design)} design "
          f"points (the best design point misses by {np.min(misses):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
