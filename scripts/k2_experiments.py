"""Why K2 fails: tamoxifen's rate ratios by period under one structure change at a time.

Usage (from the repository root)::

    .venv/bin/python scripts/k2_experiments.py [--patients 8000] [--seed 2026]

runs claim K2 (EBCTCG 2011: recurrence rate ratio of 5 years of tamoxifen against none in
years 0-4, 5-9 and 10-14) at the posterior median (docs/calibration/
posterior_median_scenario.toml) and at each scenario of docs/calibration/k2_experiments/
(the posterior median with one change each), with the scenario's own values (no
ensemble), and prints one Markdown table row per scenario (docs/validation.md, K2).
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
    args = parser.parse_args(argv)

    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.validation import run_claims, select_claims

    started = time.perf_counter()
    print("| scenario | what changes | years 0-4 | years 5-9 | years 10-14 |")
    print("|---|---|---|---|---|")
    print("| EBCTCG 2011 (published) | | 0.53 [0.48-0.57] | 0.68 [0.60-0.78] | "
          "0.97 [0.79-1.19] |")
    for path in [BASE, *sorted(EXPERIMENTS.glob("*.toml"))]:
        scenario = load_scenario(path)
        first = path.read_text(encoding="utf-8").splitlines()[0]
        what = first.split("with ", 1)[1] if path != BASE else "the posterior median itself"
        card = run_claims(select_claims(["K2"]), scenario, seed=args.seed,
                          patients=args.patients)
        cells = [f"{r.simulated:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in card.rows]
        print(f"| `{path.stem}` | {what} | " + " | ".join(cells) + " |")
    print(f"\n{args.patients:,} women per arm, seed {args.seed}; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
