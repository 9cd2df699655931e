"""The external check: NKI70, a cohort no calibration, structure choice or look has used.

Usage (from the repository root)::

    .venv/bin/python scripts/external_check.py src/tumorsim/data/default.toml \\
        --ensemble tumorsim:ensemble --twins 300 --seed 2026
    # the same under the other treatment assumption (no adjuvant therapy)
    .venv/bin/python scripts/external_check.py src/tumorsim/data/default.toml \\
        --ensemble tumorsim:ensemble --twins 300 --seed 2026 --no-chemotherapy

prints Kaplan-Meier metastasis-free survival by ER at 1, 3, 5 and 10 years (observed
with its 95 % interval against the twins) and the c-index of the twins' risk score
against a Cox model with the same information fitted on GBSG2's training part, with the
paired bootstrap of the difference (:func:`tumorsim.calibration.held_out.nki70_check`;
docs/calibration/external/NKI70_PREREGISTRATION.md says what is assumed and why). Every
run is a look at NKI70: docs/posterior.md counts them.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", help="scenario TOML (the base of --ensemble)")
    parser.add_argument("--ensemble", default=None, metavar="NAME",
                        help="parameter draws every twin lives under, one each "
                        "('tumorsim:ensemble', 'tumorsim:posterior' or a draws file); "
                        "without it, the scenario's own values")
    parser.add_argument("--twins", type=int, default=300, help="twins per woman")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-chemotherapy", action="store_true",
                        help="assume no adjuvant therapy (default: CMF for every woman; "
                        "NKI70 does not record treatment)")
    args = parser.parse_args(argv)
    if args.twins < 1:
        print(f"--twins {args.twins}: allowed: at least 1", file=sys.stderr)
        return 2

    from tumorsim.calibration.held_out import nki70_check
    from tumorsim.errors import TumorsimError
    from tumorsim.io.ensemble_file import load_ensemble
    from tumorsim.io.scenario_file import load_scenario

    started = time.perf_counter()
    try:
        scenario = load_scenario(args.scenario)
        ensemble = load_ensemble(args.ensemble) if args.ensemble is not None else None
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    treatment = "no adjuvant therapy" if args.no_chemotherapy else "CMF for every woman"
    print(f"NKI70, {args.twins} twins a woman, seed {args.seed}, assumed treatment: "
          f"{treatment}; parameters: "
          + (f"{ensemble.source} ({len(ensemble)} draws)" if ensemble is not None
             else f"{args.scenario} (one set)"))
    check = nki70_check(scenario, seed=args.seed, twins=args.twins,
                        chemotherapy=not args.no_chemotherapy, ensemble=ensemble)
    print("Cox: fitted on GBSG2's training part with the information NKI70 records")
    print("\n".join(check.lines()))
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
