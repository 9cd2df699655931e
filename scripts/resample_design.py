"""The posterior of a finished design, sampled again with the calibration's current
emulators and sampler (no new simulation).

Usage (from the repository root)::

    .venv/bin/python scripts/resample_design.py DESIGN.parquet --out DIR
        [--seed 2026] [--steps 3000] [--burn-in 1000] [--draws 200] [--at-least N]

reads a ``design.parquet`` written by ``tumorsim calibrate-posterior`` (every wave's
points with their simulated summaries), fits the emulators and samples the posterior as
the calibration's last step does (:mod:`tumorsim.calibration.posterior`), and writes
``posterior.json`` and ``posterior_draws.parquet`` into ``DIR``. It answers "what would
this design's posterior be under the current inference?", e.g. after a change to the
emulators. It is not a calibration: the design's later waves were placed by the inference
of the run that simulated them, so ``tumorsim calibrate-posterior`` is what reproduces a
shipped posterior. ``--at-least`` sets how many design points the emulators are fitted on
at the least (:data:`tumorsim.calibration.posterior.PLAUSIBLE_AT_LEAST` by default), to
try another value before changing it. The training targets are the current ones; a design
of fitted parameters other than the current ``FITTED`` is refused.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("design", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--burn-in", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--at-least", type=int, default=None,
                        help="fit the emulators on at least this many design points")
    args = parser.parse_args(argv)

    import pandas as pd

    from tumorsim.calibration.posterior import (
        PLAUSIBLE_AT_LEAST,
        fit_emulator,
        sample_posterior,
        write_posterior,
    )
    from tumorsim.calibration.priors import FITTED
    from tumorsim.calibration.targets import TrainingData, observed_targets

    design = pd.read_parquet(args.design)
    names = [p.name for p in FITTED]
    missing = [n for n in names if n not in design.columns]
    if missing or f"u_{len(FITTED)}" in design.columns:
        print(f"{args.design}: a design of other fitted parameters (missing {missing[:3]}); "
              f"allowed: a design of the current {len(FITTED)} fitted parameters",
              file=sys.stderr)
        return 2
    targets = observed_targets(TrainingData.load())
    started = time.perf_counter()
    emulator = fit_emulator(design, targets, len(FITTED), args.seed,
                            at_least=args.at_least or PLAUSIBLE_AT_LEAST)
    result = sample_posterior(emulator, targets, seed=args.seed, draws=args.draws,
                              steps=args.steps, burn_in=args.burn_in)
    result.diagnostics["design_points"] = len(design)
    result.diagnostics["wall_seconds"] = round(time.perf_counter() - started, 1)
    command = "python scripts/resample_design.py " + shlex.join(argv)
    for path in write_posterior(result, args.out, command=command):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
