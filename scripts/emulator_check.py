"""How well a calibration's emulator foresaw the simulator at the posterior draws it checked.

Usage (from the repository root)::

    .venv/bin/python scripts/emulator_check.py RUN_DIR [--checks FILE] [--out FILE]

refits the run's emulator from its ``design.parquet`` exactly as ``tumorsim
calibrate-posterior`` did (:func:`tumorsim.calibration.run.run_emulator`: the priors, held
values, targets and seed its ``posterior.json`` records; scikit-learn's fit is seeded, so
the emulator is the same), predicts every target
at the posterior draws of ``--checks`` (default: the run's own ``predictive_checks.parquet``;
``scripts/predictive_check.py``'s output at larger sizes also works) and prints, per target,
the share of draws whose simulated value lies within two emulator standard deviations of
the emulated one and the median z-score, worst first. A target the emulator misses there
is one whose posterior the sampler could not see: the fit traded it away unknowingly.
``--out`` writes the per-draw table (Parquet). Held-out parts are never touched. Refitting
the emulators is the slow part (one Gaussian process per target on a few hundred points;
16-33 minutes for runs 16 and 17 with other jobs on the cores); a run made by
``tumorsim calibrate-posterior`` since this check exists writes ``emulator_check.parquet``
itself, at no extra cost.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--checks", type=Path, default=None,
                        help="predictive checks (draw and one column per target); default: "
                             "RUN/predictive_checks.parquet")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the per-draw table here (Parquet)")
    args = parser.parse_args(argv)
    checks = args.checks or args.run / "predictive_checks.parquet"
    for path in (args.run / "design.parquet", args.run / "posterior.json",
                 args.run / "posterior_draws.parquet", checks):
        if not path.is_file():
            print(f"{path}: no such file; allowed: a tumorsim calibrate-posterior output "
                  "directory with design.parquet, posterior.json, posterior_draws.parquet "
                  "and predictive checks", file=sys.stderr)
            return 2
    if args.out is not None and args.out.suffix != ".parquet":
        print(f"--out {args.out}: allowed: a .parquet path", file=sys.stderr)
        return 2

    import pandas as pd

    from tumorsim.calibration.posterior import emulator_check, emulator_coverage
    from tumorsim.calibration.run import run_emulator
    from tumorsim.errors import TumorsimError

    started = time.perf_counter()
    try:
        refit = run_emulator(args.run)
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    table = emulator_check(refit.emulator,
                           pd.read_parquet(args.run / "posterior_draws.parquet",
                                           use_threads=False),
                           pd.read_parquet(checks, use_threads=False), refit.fitted)
    coverage = emulator_coverage(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".partial")
        table.to_parquet(tmp, index=False)
        tmp.replace(args.out)
    print(f"Emulator against simulator at {table['draw'].nunique()} posterior draws of "
          f"{args.run} (checks: {checks}); worst first\n")
    print("| target | within 2 SD | median z |")
    print("|---|---|---|")
    for row in coverage.itertuples(index=False):
        print(f"| {row.target} | {row.within_2_sd:.0%} | {row.median_z:+.1f} |")
    overall = float((table["z"].abs() <= 2.0).mean())
    print(f"\nall targets: {overall:.0%} of (draw, target) pairs within 2 SD; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
