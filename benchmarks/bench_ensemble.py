"""What an ensemble costs: a two-arm what-if over the default ensemble against a point run.

Target (the uncertainty issue): the CXCR2 what-if (``examples/trial_cxcr2.toml``) with the
ensemble, 20,000 women per arm, 20 years, in under a minute on the two-core machine. Both
runs are measured in one process, in this order, after a small warm-up run of each that
compiles the kernel: the point run (``--point``: the ensemble's median), then the ensemble
run (the commands' default, ``tumorsim:ensemble``: every woman under one of its 200 draws,
the packaged posterior with the M1-M3 mechanism parameters from their priors). Timed is
the simulation of both arms (:func:`tumorsim.trial.run_trial`); the ensemble intervals of
the hazard ratios (a bootstrap of Cox fits) are timed apart, with
``--interval-replicates``.

Usage::

    .venv/bin/python benchmarks/bench_ensemble.py [--patients 20000] [--years 20]
        [--interval-replicates 0] [--out docs/performance.md]

With ``--out`` the section between ``<!-- bench_ensemble:start -->`` and
``<!-- bench_ensemble:end -->`` of that file is replaced by this run's table.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START = "<!-- bench_ensemble:start -->"
END = "<!-- bench_ensemble:end -->"
TARGET_WALL_S = 60.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--years", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--interval-replicates", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, load_ensemble
    from tumorsim.trial import load_trial, run_trial

    trial = load_trial(REPO / "examples" / "trial_cxcr2.toml")
    trial = trial.with_scenario(trial.scenario.with_changes(
        cohort={"horizon_years": args.years}))
    ensemble = load_ensemble(DEFAULT_ENSEMBLE)
    point = ensemble.median()
    for warm in (point, ensemble):
        run_trial(trial, patients=20, seed=args.seed, ensemble=warm)
    rows = []
    for name, draws in (("point (ensemble median)", point),
                        (f"ensemble ({len(ensemble)} draws, {DEFAULT_ENSEMBLE})", ensemble)):
        started = time.perf_counter()
        result = run_trial(trial, patients=args.patients, seed=args.seed, ensemble=draws)
        wall = time.perf_counter() - started
        hr = result.hazard_ratios("distant_lung")
        interval = ""
        if args.interval_replicates:
            started = time.perf_counter()
            ci = result.hazard_ratio_intervals("distant_lung",
                                               replicates=args.interval_replicates,
                                               seed=args.seed).iloc[0]
            interval = (f"[{ci.total_low:.3g}, {ci.total_high:.3g}] "
                        f"({time.perf_counter() - started:.0f} s)")
        rows.append((name, wall, 2 * args.patients / wall, float(hr["hr"].iloc[0]), interval))
    command = "benchmarks/bench_ensemble.py " + shlex.join(argv)
    lines = [START, "", f"`.venv/bin/python {command}`", "",
             f"Two arms x {args.patients:,} women, {args.years:g} years "
             f"(target for the ensemble: under {TARGET_WALL_S:.0f} s).", "",
             "| run | wall time (both arms) | patients/s | distant-lung HR | ensemble interval "
             "(bootstrap time) |",
             "|---|---|---|---|---|"]
    for name, wall, rate, hr, interval in rows:
        lines.append(f"| {name} | {wall:.1f} s | {rate:,.0f} | {hr:.3g} | {interval or '-'} |")
    verdict = "PASS" if rows[1][1] < TARGET_WALL_S else "MISS"
    lines += ["", f"Ensemble run against the target: **{verdict}** ({rows[1][1]:.1f} s); "
              f"ensemble / point wall time {rows[1][1] / rows[0][1]:.2f}.", "", END]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        page = args.out.read_text()
        if START in page and END in page:
            head, rest = page.split(START, 1)
            page = head + text + rest.split(END, 1)[1]
        else:
            page = page.rstrip("\n") + "\n\n## Ensemble vs point run\n\n" + text + "\n"
        args.out.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
