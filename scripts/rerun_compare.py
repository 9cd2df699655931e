"""Did a rerun of a calibration give the same fit? Every file of the two runs, compared.

Usage (from the repository root)::

    .venv/bin/python scripts/rerun_compare.py docs/calibration/run20 results/posterior_run20

compares RERUN (a finished ``tumorsim calibrate-posterior`` directory) with RUN, file by
file, over what RUN has: ``design.parquet`` (every point's unit-cube coordinates,
mechanism draws and the summaries of RUN's targets), ``posterior_draws.parquet`` (RUN's
parameter columns; a rerun made with extra ``--hold`` options carries them as constant
columns, which are listed and left out), ``predictive_checks.parquet`` (RUN's targets)
and ``posterior.json``'s diagnostics (acceptance, effective sample size, the
autocorrelation time of each parameter, the emulated fit of each target). For each it
prints the number of values compared and the largest absolute difference; exit status 0
when every value is equal, 1 when some differ, 2 on a missing or unreadable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("posterior.json", "design.parquet", "posterior_draws.parquet",
         "predictive_checks.parquet")


def _largest_difference(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> float:
    """The largest |a - b| over ``columns`` (rows in order; NaN equal to NaN)."""
    x = a[columns].to_numpy(float)
    y = b[columns].to_numpy(float)
    diff = np.abs(x - y)
    diff[np.isnan(x) & np.isnan(y)] = 0.0
    diff[np.isnan(diff)] = np.inf  # a value against a NaN
    return float(diff.max()) if diff.size else 0.0


def _compare_table(name: str, a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> bool:
    missing = [c for c in columns if c not in b.columns]
    if len(a) != len(b) or missing:
        print(f"{name}: DIFFER (rows {len(a)} against {len(b)}; columns missing from the "
              f"rerun: {missing or 'none'})")
        return False
    worst = _largest_difference(a, b, columns)
    print(f"{name}: {len(a)} rows x {len(columns)} columns, largest |difference| "
          f"{worst:.3g}" + (" (equal)" if worst == 0.0 else ""))
    return worst == 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the calibration that was shipped or judged")
    parser.add_argument("rerun", type=Path, help="its rerun's directory")
    args = parser.parse_args(argv)
    try:
        records = [json.loads((d / "posterior.json").read_text(encoding="utf-8"))
                   for d in (args.run, args.rerun)]
        tables = {f: [pd.read_parquet(d / f, use_threads=False)
                      for d in (args.run, args.rerun)] for f in FILES[1:]}
    except (OSError, ValueError) as err:
        print(f"{err}; allowed: two finished calibration directories, each with "
              f"{', '.join(FILES)}", file=sys.stderr)
        return 2
    run, rerun = records
    targets = [t["target"] for t in run["targets"]]
    names = [p["name"] for p in run["priors"]]
    design_a, design_b = tables["design.parquet"]
    design_columns = (["point"] + [c for c in design_a.columns
                                   if c.startswith(("u_", "nuisance."))] + targets)
    equal = _compare_table("design.parquet", design_a, design_b, design_columns)
    draws_a, draws_b = tables["posterior_draws.parquet"]
    extra = sorted(set(draws_b.columns) - set(draws_a.columns))
    constant = [c for c in extra if draws_b[c].nunique() == 1]
    print(f"posterior_draws.parquet: the rerun's extra columns {extra or 'none'}"
          + (f" (constant: {constant})" if extra else ""))
    equal &= _compare_table("posterior_draws.parquet", draws_a, draws_b, list(draws_a.columns))
    checks_a, checks_b = tables["predictive_checks.parquet"]
    equal &= _compare_table("predictive_checks.parquet", checks_a, checks_b,
                            ["draw"] + [t for t in targets if t in checks_a.columns])
    d_a, d_b = run["diagnostics"], rerun["diagnostics"]
    scalars = pd.DataFrame([
        {"acceptance": d["acceptance_fraction"], "ess": d["effective_sample_size"],
         **{f"tau.{n}": d["autocorrelation_steps"].get(n, np.nan) for n in names},
         **{f"emulated.{t['target']}": t["emulated_at_median"] for t in r["targets"]
            if t["target"] in targets}}
        for d, r in ((d_a, run), (d_b, rerun))])
    equal &= _compare_table("posterior.json diagnostics", scalars.iloc[[0]],
                            scalars.iloc[[1]].reset_index(drop=True), list(scalars.columns))
    print(f"wall time: run {d_a.get('wall_seconds', float('nan')):.0f} s, rerun "
          f"{d_b.get('wall_seconds', float('nan')):.0f} s (design "
          f"{d_a.get('design_wall_seconds', float('nan')):.0f} s and "
          f"{d_b.get('design_wall_seconds', float('nan')):.0f} s)")
    print("the rerun is the same fit" if equal else "the rerun DIFFERS")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
