"""The posterior calibration end to end: design, emulators, sampler, predictive checks.

    python -m tumorsim.calibration.run OUT_DIR [--points 160] [--seed 2026] [--draws 200]
        [--checks 20]

writes into ``OUT_DIR``: ``design.parquet`` (the simulator at every design point; the
checkpoint a rerun resumes from), ``posterior_draws.parquet`` and ``posterior.json`` (the
ensemble, diagnostics, priors and the command), ``predictive_checks.parquet`` (the real
simulator at ``--checks`` posterior draws, every target). The base biology is the packaged
default scenario; the fitted parameters of :data:`tumorsim.calibration.priors.FITTED`
replace its values.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from tumorsim.calibration.posterior import (
    PosteriorResult,
    fit_emulator,
    run_design,
    sample_posterior,
    write_posterior,
)
from tumorsim.calibration.priors import FITTED, scenario_with
from tumorsim.calibration.targets import (
    DEFAULT_SIZES,
    SimulationSizes,
    TrainingData,
    observed_targets,
    simulated_summaries,
)
from tumorsim.io.scenario_file import load_default_scenario

__all__ = ["posterior_calibration"]


def posterior_calibration(out_dir: str | Path, *, points: int, seed: int, draws: int = 200,
                          checks: int = 20, sizes: SimulationSizes = DEFAULT_SIZES,
                          command: str = "",
                          progress: Callable[[str, int, int], None] | None = None
                          ) -> PosteriorResult:
    """Run (or resume) the calibration into ``out_dir``; see the module docstring."""
    out = Path(out_dir)
    base = load_default_scenario()
    data = TrainingData.load()
    targets = observed_targets(data)

    def summaries(values: dict[str, float], s: int) -> dict[str, float]:
        return simulated_summaries(scenario_with(base, values), data, seed=s, sizes=sizes)

    started = time.perf_counter()
    design = run_design(summaries, points=points, seed=seed, checkpoint=out / "design.parquet",
                        progress=(lambda d, n: progress("design", d, n)) if progress else None)
    design_s = time.perf_counter() - started
    names = [t for t in targets["target"] if t in design.columns]
    emulator = fit_emulator(design, names, len(FITTED), seed)
    result = sample_posterior(emulator, targets, seed=seed, draws=draws)
    result.diagnostics["design_points"] = points
    result.diagnostics["design_wall_seconds"] = round(design_s, 1)
    result.diagnostics["simulation_sizes"] = sizes.__dict__
    rows = []
    for k in range(min(checks, draws)):
        values = {p.name: float(result.draws.loc[k, p.name]) for p in FITTED}
        sim = summaries(values, seed + 1 + k)
        rows.append({"draw": k, **sim})
        if progress is not None:
            progress("predictive checks", k + 1, min(checks, draws))
    checks_table = pd.DataFrame(rows)
    checks_table.to_parquet(out / "predictive_checks.parquet", index=False)
    result.diagnostics["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_posterior(result, out, command=command)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tumorsim.calibration.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--points", type=int, default=160)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--checks", type=int, default=20)
    args = parser.parse_args(argv)
    command = "python -m tumorsim.calibration.run " + " ".join(sys.argv[1:] if argv is None
                                                               else argv)

    def show(stage: str, done: int, total: int) -> None:
        print(f"{stage}: {done}/{total}", flush=True)

    result = posterior_calibration(args.out_dir, points=args.points, seed=args.seed,
                                   draws=args.draws, checks=args.checks, command=command,
                                   progress=show)
    print(f"acceptance {result.diagnostics['acceptance_fraction']:.2f}, effective sample size "
          f"{result.diagnostics['effective_sample_size']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
