"""Relapse hazards by interval in GBSG2's training groups: the real women against their twins.

Usage (from the repository root)::

    .venv/bin/python scripts/interval_hazards.py docs/calibration/posterior_median_scenario.toml \\
        [--twins 20] [--seed 2026] [--years 0,1,3,5] [--groups horth-pr|pr]

For each of the horTh x PR groups of GBSG2's **training** part (claim K1's groups, PR+ at
least 10 fmol/mg; with ``--groups pr`` PR+ and PR- with both treatments pooled) and each
interval between consecutive ``--years``, it prints the real women's recurrence-free-
survival events and person-years at risk in the interval (from
their recorded follow-up), the same for their twins (each woman's ``--twins`` twins under
her recorded treatment, censored at her own follow-up, as claim K1 runs them), both
hazards (events per 100 person-years), the number of real events expected at the twins'
hazard over the real women's person-years, and the two-sided exact Poisson p-value of the
observed count under that expectation (the twins' own Monte Carlo noise is ignored; with
20 twins a woman it is small beside the real counts'). A survival curve that falls
faster than the model's in one interval shows there as more events than expected: this
tells a missing law (a hazard the structure cannot shape) from the scatter of a small
group. No held-out woman is simulated or read.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _exposure(days: np.ndarray, event: np.ndarray, start: float, stop: float
              ) -> tuple[int, float]:
    """Events in ``(start, stop]`` and person-years at risk in it (times in years)."""
    from tumorsim.analysis.gbsg2 import DAYS_PER_YEAR

    years = days / DAYS_PER_YEAR
    at_risk = np.clip(np.minimum(years, stop) - start, 0.0, None)
    events = int(np.sum(event & (years > start) & (years <= stop)))
    return events, float(at_risk.sum())


def _poisson_two_sided(k: int, mu: float) -> float:
    """Exact two-sided p-value (the summed probability of counts no likelier than ``k``)."""
    from scipy.stats import poisson

    if mu <= 0.0:
        return 1.0 if k == 0 else 0.0
    top = int(max(k, mu) * 4 + 50)
    pmf = poisson.pmf(np.arange(top), mu)
    return float(min(1.0, pmf[pmf <= poisson.pmf(k, mu) * (1 + 1e-9)].sum()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="scenario TOML (e.g. the posterior median)")
    parser.add_argument("--twins", type=int, default=20, help="twins per woman")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--years", default="0,1,3,5",
                        help="interval edges in years, increasing, comma-separated")
    parser.add_argument("--groups", choices=("horth-pr", "pr"), default="horth-pr",
                        help="claim K1's horTh x PR groups, or PR alone")
    args = parser.parse_args(argv)
    try:
        edges = [float(x) for x in args.years.split(",")]
    except ValueError:
        edges = []
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) \
            or edges[0] < 0:
        print(f"--years {args.years}: allowed: at least two increasing non-negative numbers, "
              "comma-separated (e.g. 0,1,3,5)", file=sys.stderr)
        return 2
    if args.twins < 1:
        print(f"--twins {args.twins}: allowed: at least 1", file=sys.stderr)
        return 2

    from tumorsim.analysis.gbsg2 import horth_pr_groups, split_gbsg2
    from tumorsim.calibration.targets import GBSG2_SPLIT_SEED
    from tumorsim.cohort.data import load_gbsg2
    from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL
    from tumorsim.errors import TumorsimError
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.runner.twins import run_twin

    started = time.perf_counter()
    try:
        scenario = load_scenario(args.scenario)
    except TumorsimError as error:
        print(error, file=sys.stderr)
        return 2
    train, _ = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
    women = train.covariates.reset_index(drop=True)
    pr_fmol = women["pr_fmol"].to_numpy()
    groups = (np.asarray(horth_pr_groups(women["hormone_therapy"].to_numpy(), pr_fmol))
              if args.groups == "horth-pr"
              else np.where(pr_fmol >= RECEPTOR_POSITIVE_FMOL, "PR+", "PR-"))
    twins = run_twin(scenario, train, twins=args.twins, seed=args.seed).twins
    twin_groups = groups[twins["source_row"].to_numpy()]
    print(f"scenario {args.scenario}; GBSG2 training part, {len(women)} women, "
          f"{args.twins} twins each, seed {args.seed}; hazards per 100 person-years\n")
    print("| group | years | real events / person-years | real hazard | twins' hazard | "
          "expected real events | Poisson p |\n|---|---|---|---|---|---|---|")
    real_days = women["follow_up_days"].to_numpy(float)
    real_event = women["relapse_event"].to_numpy(bool)
    twin_days = twins["rfs_days"].to_numpy(float)
    twin_event = twins["rfs_event"].to_numpy(bool)
    for group in sorted(set(groups)):
        mine, theirs = groups == group, twin_groups == group
        for start, stop in zip(edges, edges[1:], strict=False):
            k, py = _exposure(real_days[mine], real_event[mine], start, stop)
            kt, pyt = _exposure(twin_days[theirs], twin_event[theirs], start, stop)
            rate = kt / pyt if pyt > 0 else float("nan")
            expected = rate * py
            p = _poisson_two_sided(k, expected) if np.isfinite(expected) else float("nan")
            print(f"| {group} (n {int(mine.sum())}) | {start:g}-{stop:g} | {k} / {py:.1f} | "
                  f"{100 * k / py if py > 0 else float('nan'):.1f} | {100 * rate:.1f} | "
                  f"{expected:.1f} | {p:.3f} |")
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
