"""Does the current code rerun a finished calibration's design? The first points, checked.

Usage (from the repository root)::

    .venv/bin/python scripts/design_rerun_check.py docs/calibration/run20 --points 2 \\
        --hold grade_3_growth_multiplier=1.4 --hold grade_1_growth_multiplier=0.7 \\
        --hold clones.ERpos_PRneg.growth_multiplier=1.1

simulates the first ``--points`` points of RUN's Latin hypercube as ``tumorsim
calibrate-posterior`` does at the current commit (RUN's seed, simulation sizes, held
values, mechanism priors and cohort effects, read from its ``posterior.json``, plus the
``--hold`` values for parameters fitted now that RUN did not fit) and compares each with
RUN's stored ``design.parquet``: the unit-cube coordinates, the mechanism draws and every
summary of the targets RUN was fitted to. Equal points say the command with the same
holds and ``--targets-of RUN`` reruns RUN's design; the emulators and the sampler are
seeded and follow from it (docs/posterior.md, "Running it").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished calibration's directory")
    parser.add_argument("--points", type=int, default=2, help="design points to rerun")
    parser.add_argument("--hold", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter fitted now that RUN did not fit, at the value RUN "
                        "had (repeatable)")
    args = parser.parse_args(argv)

    from tumorsim.calibration.cohort_effects import COHORT_EFFECTS
    from tumorsim.calibration.posterior import design_points
    from tumorsim.calibration.priors import scenario_with, values_from_unit
    from tumorsim.calibration.run import fitted_without
    from tumorsim.calibration.targets import SimulationSizes, TrainingData, simulated_summaries
    from tumorsim.cli.check_commands import held_values
    from tumorsim.errors import TumorsimError
    from tumorsim.io.scenario_file import load_default_scenario
    from tumorsim.model.ensemble import split_cohort_effects
    from tumorsim.model.mechanism_priors import mechanism_prior_ranges

    started = time.perf_counter()
    try:
        record = json.loads((args.run / "posterior.json").read_text(encoding="utf-8"))
        stored = pd.read_parquet(args.run / "design.parquet")
        held = {**record["held"], **held_values(args.hold)}
        fitted = fitted_without(held)
    except (OSError, ValueError, KeyError) as err:
        print(f"{args.run}: not a finished calibration ({type(err).__name__}); allowed: a "
              "directory with posterior.json and design.parquet", file=sys.stderr)
        return 2
    except TumorsimError as err:
        print(err, file=sys.stderr)
        return 2
    first_wave = int(record["diagnostics"]["design_waves"][0]["points"])
    if not 1 <= args.points <= first_wave:
        print(f"--points {args.points}: allowed: 1 to {first_wave} (the Latin hypercube)",
              file=sys.stderr)
        return 2
    names = [p["name"] for p in record["priors"]]
    with_effects = any(n.startswith("cohort.") for n in names)
    fitted = fitted + (COHORT_EFFECTS if with_effects else ())
    if [p.name for p in fitted] != names:
        print(f"the parameters fitted now with these holds differ from {args.run}'s: "
              f"{[p.name for p in fitted]} against {names}", file=sys.stderr)
        return 1
    diagnostics = record["diagnostics"]
    seed = int(diagnostics["seed"])
    sizes = SimulationSizes(**diagnostics["simulation_sizes"])
    nuisance = (mechanism_prior_ranges()
                if str(diagnostics["mechanism_parameters"]).startswith("drawn") else {})
    base = scenario_with(load_default_scenario(), held)
    data = TrainingData.load()
    hypercube = design_points(int(diagnostics["design_waves"][0]["points"]), len(fitted), seed)
    mechanism = list(nuisance)
    drawn_cube = design_points(len(hypercube), len(mechanism), seed + 1)
    targets = [t["target"] for t in record["targets"]]
    equal = True
    for i in range(args.points):
        row = stored[stored["point"] == i].iloc[0]
        coordinates = np.array([row[f"u_{k}"] for k in range(len(fitted))])
        values = values_from_unit(hypercube[i], fitted)
        drawn = {n: float(nuisance[n].sample(drawn_cube[i, k:k + 1])[0])
                 for k, n in enumerate(mechanism)}
        biology, effects = split_cohort_effects({**values, **drawn})
        sims = simulated_summaries(scenario_with(base, biology), data, seed=seed, sizes=sizes,
                                   cohort_effects=effects)
        same_u = bool(np.allclose(coordinates, hypercube[i], rtol=0.0, atol=1e-12))
        same_m = all(abs(float(row[f"nuisance.{n}"]) - drawn[n]) <= 1e-12 for n in mechanism)
        worst = max(abs(sims[t] - float(row[t])) for t in targets)
        equal = equal and same_u and same_m and worst == 0.0
        print(f"point {i}: coordinates {'equal' if same_u else 'DIFFER'}, mechanism draws "
              f"{'equal' if same_m else 'DIFFER'}, largest |summary difference| over the "
              f"{len(targets)} targets {worst:.3g}")
    print(f"{'every point reruns exactly' if equal else 'NOT equal'}; wall time "
          f"{time.perf_counter() - started:.0f} s")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
