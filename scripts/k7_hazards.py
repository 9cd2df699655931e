"""Which side of the ER crossover (claim K7) a scenario misses: hazards by ER and period.

Usage (from the repository root)::

    .venv/bin/python scripts/k7_hazards.py SCENARIO.toml [SCENARIO.toml ...]
        [--patients 4000] [--seed 2026]

simulates the two cohorts of the calibration's K7 target
(:func:`tumorsim.calibration.targets.simulated_summaries`: women of the scenario's
population, all ER+ or all ER-, M0, surgery alone, 15 years, no death after relapse) at
each scenario with its own values (no ensemble) and prints one Markdown table: the annual
recurrence hazard (recurrences per 100 woman-years at risk) of ER+ and of ER- women in
years 0-5, 5-10 and 10-15, and the log ratio ER+ / ER- the target compares with Colleoni
2016's. A ratio can miss because ER+ women relapse too rarely late or because ER- women
relapse too often late; the table says which.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+", type=Path)
    parser.add_argument("--patients", type=int, default=4000, help="women per ER group")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    for path in args.scenarios:
        if not path.is_file():
            print(f"{path}: no such file; allowed: a scenario TOML", file=sys.stderr)
            return 2
    if args.patients < 1:
        print(f"--patients {args.patients}: allowed: a whole number >= 1", file=sys.stderr)
        return 2

    from tumorsim.calibration.targets import (
        K7_HAZARDS,
        K7_PERIODS,
        period_rates,
        untreated_m0,
    )
    from tumorsim.cohort.population import Cohort
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.runner.simulate import simulate

    started = time.perf_counter()
    periods = [f"{a:g}-{b:g} y" for a, b in K7_PERIODS]
    print("| scenario | " + " | ".join(f"ER+ {p}" for p in periods) + " | "
          + " | ".join(f"ER- {p}" for p in periods) + " | "
          + " | ".join(f"log ER+/ER- {p}" for p in periods) + " |")
    print("|---" * (1 + 3 * len(periods)) + "|")
    observed = [math.log(pos / neg) for pos, neg in K7_HAZARDS]
    print("| Colleoni 2016 | " + " | ".join(f"{pos:g}" for pos, _ in K7_HAZARDS) + " | "
          + " | ".join(f"{neg:g}" for _, neg in K7_HAZARDS) + " | "
          + " | ".join(f"{v:+.2f}" for v in observed) + " |")
    for path in args.scenarios:
        untreated = untreated_m0(load_scenario(path))
        hazards = []
        for er_positive, seed in ((1.0, args.seed), (0.0, args.seed + 1)):
            cohort = Cohort.sample(
                untreated.population.model_copy(update={"er_positive_fraction": er_positive}),
                args.patients, seed)
            table = simulate(untreated, cohort, seed=seed).patients
            hazards.append([100.0 * events / years if years > 0 else math.nan
                            for events, years in period_rates(table, K7_PERIODS)])
        pos, neg = hazards
        ratios = [math.log(p / n) if p > 0 and n > 0 else math.nan
                  for p, n in zip(pos, neg, strict=True)]
        print(f"| `{path.stem}` | " + " | ".join(f"{v:.2f}" for v in pos) + " | "
              + " | ".join(f"{v:.2f}" for v in neg) + " | "
              + " | ".join(f"{v:+.2f}" for v in ratios) + " |")
    print(f"\n{args.patients:,} women per ER group, seeds {args.seed} (ER+) and "
          f"{args.seed + 1} (ER-), as the calibration's K7 target; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
