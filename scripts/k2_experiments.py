"""Why K2 fails: tamoxifen's rate ratios by period under one structure change at a time.

Usage (from the repository root)::

    .venv/bin/python scripts/k2_experiments.py [--patients 8000] [--seed 2026] [--clones-only]
        [--base docs/calibration/posterior_median_scenario.toml]
        [--scenario SCENARIO] [--claim K3] [--also SCENARIO ...] [--only-also]

runs claim K2 (EBCTCG 2011: recurrence rate ratio of 5 years of tamoxifen against none in
years 0-4, 5-9 and 10-14) at the posterior median (docs/calibration/
posterior_median_scenario.toml) and at each scenario of docs/calibration/k2_experiments/
(the posterior median with one change each), with the scenario's own values (no
ensemble), and prints one Markdown table row per scenario (docs/validation.md, K2).
A second table splits the posterior median's recurrences by arm, period and the clone
that holds most of the first recurrence's cells (docs/posterior.md: where the deferred
relapses come from). ``--scenario`` replaces the posterior median in that second table
(with ``--clones-only``: the split of another scenario, e.g. an unadopted run's median).
``--claim K3`` measures claim K3 (late distant recurrence by size and nodes after five
years of endocrine therapy) instead of K2 under the same scenarios, without the second
table; ``--also`` adds whole scenarios (e.g. an unadopted run's median) after the
posterior median; ``--only-also`` measures only the median and those. ``--base`` names the
median measured in the first row (default the shipped posterior's; the scenarios of
docs/calibration/k2_experiments/ extend run13's median, where their table was made, so
that table is ``--base docs/calibration/run13/posterior_median_scenario.toml``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "docs" / "calibration" / "posterior_median_scenario.toml"
EXPERIMENTS = REPO / "docs" / "calibration" / "k2_experiments"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=8000, help="women per arm")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--clones-only", action="store_true",
                        help="print only the split of the median's recurrences by clone")
    parser.add_argument("--base", type=Path, default=BASE,
                        help="the posterior median measured in the first row")
    parser.add_argument("--scenario", type=Path, default=None,
                        help="the scenario whose recurrences are split by clone "
                             "(default: --base)")
    parser.add_argument("--claim", choices=("K2", "K3"), default="K2",
                        help="the claim measured under each scenario")
    parser.add_argument("--also", type=Path, nargs="*", default=[],
                        help="more scenarios, measured after the posterior median")
    parser.add_argument("--only-also", action="store_true",
                        help="measure the posterior median and the --also scenarios only "
                             "(not docs/calibration/k2_experiments/, no split by clone)")
    args = parser.parse_args(argv)
    if args.scenario is None:
        args.scenario = args.base
    for path in [args.base, args.scenario, *args.also]:
        if not path.is_file():
            print(f"{path}: no such file; allowed: a scenario TOML", file=sys.stderr)
            return 2

    from tumorsim.io.scenario_file import load_scenario

    if args.clones_only:
        _by_clone(load_scenario(args.scenario), args.patients, args.seed)
        return 0

    from tumorsim.validation import run_claims, select_claims

    started = time.perf_counter()
    (claim,) = select_claims([args.claim])
    print("| scenario | what changes | " + " | ".join(c.label for c in claim.checks) + " |")
    print("|---|---|" + "---|" * len(claim.checks))
    # the published row, read from the claim (K2 with its published 95 % intervals)
    source = "EBCTCG 2011" if args.claim == "K2" else claim.citation.split(";")[0]
    published = [f"{c.published:.2f} [{c.published_ci[0]:.2f}-{c.published_ci[1]:.2f}]"
                 if args.claim == "K2" and c.published_ci is not None else f"{c.published:g}"
                 for c in claim.checks]
    print(f"| {source} (published) | | " + " | ".join(published) + " |")
    experiments = [] if args.only_also else sorted(EXPERIMENTS.glob("*.toml"))
    for path in [args.base, *args.also, *experiments]:
        scenario = load_scenario(path)
        first = path.read_text(encoding="utf-8").splitlines()[0]
        what = ("the posterior median itself" if path == args.base
                else first.split("with ", 1)[1] if "with " in first
                else "the whole scenario")
        card = run_claims([claim], scenario, seed=args.seed, patients=args.patients)
        digits = 2 if args.claim == "K2" else 3
        cells = [f"{r.simulated:.{digits}f} [{r.ci_low:.{digits}f}, {r.ci_high:.{digits}f}]"
                 for r in card.rows]
        name = f"{path.parent.name}/{path.stem}" if path in args.also else path.stem
        print(f"| `{name}` | {what} | " + " | ".join(cells) + " |")
    if args.claim == "K2" and not args.only_also:
        print()
        _by_clone(load_scenario(args.scenario), args.patients, args.seed)
    unit = "women per arm" if args.claim == "K2" else "women per group"
    print(f"\n{args.patients:,} {unit}, seed {args.seed}; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


def _by_clone(scenario, patients: int, seed: int) -> None:
    """Recurrences per arm and period at ``scenario``, by the first recurrence's clone."""
    import numpy as np

    from tumorsim.cohort.population import Cohort
    from tumorsim.model.anatomy import CLONES
    from tumorsim.runner.simulate import simulate
    from tumorsim.validation.arms import m0_patients
    from tumorsim.validation.clinical_claims import k2_arms

    arms = k2_arms(scenario)
    cohort = Cohort.sample(next(iter(arms.values())).population, patients, seed)
    tables, _ = m0_patients({name: simulate(arm.with_changes(name=name), cohort, seed=seed)
                             for name, arm in arms.items()})
    print("| arm | years | recurrences | mostly ER+/PR+ cells | ER+/PR- | ER- |")
    print("|---|---|---|---|---|---|")
    for name, table in tables.items():
        years = table["rfs_days"].to_numpy(float) / 365.25
        event = table["rfs_event"].to_numpy(bool)
        main = np.asarray(table[[f"first_event_fraction_{c}" for c in CLONES]]).argmax(axis=1)
        for start in (0, 5, 10):
            rows = event & (years >= start) & (years < start + 5)
            counts = [int(np.sum(main[rows] == k)) for k in range(len(CLONES))]
            print(f"| {name} | {start}-{start + 4} | {int(rows.sum())} | "
                  + " | ".join(str(c) for c in counts) + " |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
