"""The posterior calibration end to end: design, emulators, sampler, predictive checks.

    tumorsim calibrate-posterior --out OUT_DIR [--points 160] [--seed 2026] [--draws 200]
        [--checks 20]

writes into ``OUT_DIR``: ``design.parquet`` (the simulator at every design point; the
checkpoint a rerun resumes from), ``posterior_draws.parquet`` and ``posterior.json`` (the
ensemble, diagnostics, priors and the command), ``predictive_checks.parquet`` (the real
simulator at ``--checks`` posterior draws, every target). The base biology is the packaged
default scenario; the fitted parameters of :data:`tumorsim.calibration.priors.FITTED`
replace its values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tumorsim.calibration.posterior import (
    PosteriorResult,
    fit_emulator,
    refinement_points,
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
from tumorsim.validation.scorecard import scenario_fingerprint

__all__ = ["POSTERIOR_FILES", "posterior_calibration"]

POSTERIOR_FILES = ("design.parquet", "posterior_draws.parquet", "posterior.json",
                   "predictive_checks.parquet", "design.parquet.partial",
                   "posterior_draws.parquet.partial", "posterior.json.partial")
"""What the calibration writes into its directory (and the partial files of a write cut
short): a directory holding only these is a previous run, which it resumes."""


def posterior_calibration(out_dir: str | Path, *, points: int, seed: int, draws: int = 200,
                          checks: int = 20, steps: int = 3000, burn_in: int = 1000,
                          sizes: SimulationSizes = DEFAULT_SIZES, command: str = "",
                          progress: Callable[[str, int, int], None] | None = None,
                          mechanism_priors: bool = False, waves: int = 1,
                          wave_points: int = 0, wave_steps: int = 0) -> PosteriorResult:
    """Run (or resume) the calibration into ``out_dir``; see the module docstring.

    With ``waves`` > 1 the design is sequential: after the Latin hypercube of ``points``,
    each further wave simulates ``wave_points`` samples of the posterior emulated from every
    point so far (:func:`tumorsim.calibration.posterior.refinement_points`), and the
    emulators are refitted on all of them before the final sampling. Every wave's points are
    checkpointed in ``design.parquet``; the intermediate samplings (``wave_steps`` steps
    per walker, by default a third of ``steps`` and at least 200) are seeded, so a rerun
    repeats them and resumes where the simulations stopped; a rerun with more ``steps``
    and the same ``wave_steps`` reuses the whole design and only samples longer.

    With ``mechanism_priors`` the M1-M3 mechanism parameters
    (:data:`tumorsim.model.mechanism_priors.MECHANISM_PRIORS`) are drawn from their priors
    at every design point and every predictive check, so the fit is marginalised over
    them (:func:`tumorsim.calibration.posterior.run_design`), as the commands' ensemble
    draws them; without it they keep the base scenario's values (how the shipped
    posterior was fitted).
    """
    from tumorsim.model.ensemble import Ensemble
    from tumorsim.model.mechanism_priors import mechanism_prior_ranges

    out = Path(out_dir)
    base = load_default_scenario()
    data = TrainingData.load()
    targets = observed_targets(data)
    nuisance = mechanism_prior_ranges() if mechanism_priors else None

    def summaries(values: dict[str, float], s: int) -> dict[str, float]:
        return simulated_summaries(scenario_with(base, values), data, seed=s, sizes=sizes)

    started = time.perf_counter()
    fingerprint = f"{scenario_fingerprint(base)}:{sizes}"
    if nuisance:
        fingerprint += ":mechanism priors " + ",".join(
            f"{n}[{r.low:g},{r.high:g}]" for n, r in nuisance.items())
    def stage(name: str) -> Callable[[int, int], None] | None:
        return (lambda d, n: progress(name, d, n)) if progress else None

    checkpoint = out / "design.parquet"
    design = run_design(summaries, points=points, seed=seed, checkpoint=checkpoint,
                        progress=stage("design" if waves == 1 else "design, wave 1"),
                        fingerprint=fingerprint, nuisance=nuisance)
    wave_records = []
    # a wave needs the posterior's region, not its tails
    interim_steps = wave_steps or max(steps // 3, 200)
    for wave in range(2, waves + 1):
        interim = sample_posterior(fit_emulator(design, targets, len(FITTED), seed), targets,
                                   seed=seed + wave, draws=draws, steps=interim_steps,
                                   burn_in=min(burn_in, interim_steps // 2))
        units = refinement_points(interim, wave_points or points // 2, seed + wave)
        wave_records.append({"wave": wave, "points": len(units),
                             "interim_effective_sample_size":
                                 interim.diagnostics["effective_sample_size"]})
        more = run_design(summaries, points=len(units), seed=seed, checkpoint=checkpoint,
                          progress=stage(f"design, wave {wave}"), fingerprint=fingerprint,
                          nuisance=nuisance, units=units, first_point=len(design))
        design = pd.concat([design, more], ignore_index=True)
    design_s = time.perf_counter() - started
    emulator = fit_emulator(design, targets, len(FITTED), seed)
    result = sample_posterior(emulator, targets, seed=seed, draws=draws, steps=steps,
                              burn_in=burn_in)
    result.diagnostics["design_points"] = len(design)
    result.diagnostics["design_waves"] = [{"wave": 1, "points": points,
                                           "how": "Latin hypercube over the priors"},
                                          *wave_records]
    result.diagnostics["design_wall_seconds"] = round(design_s, 1)
    result.diagnostics["simulation_sizes"] = sizes.__dict__
    result.diagnostics["mechanism_parameters"] = (
        "drawn from their priors at every design point (marginalised)" if nuisance
        else "the base scenario's values")
    n_checks = min(checks, draws)
    drawn = (Ensemble.from_priors(nuisance, n_checks, seed + 2).draws if nuisance
             else pd.DataFrame(index=range(n_checks)))
    rows = []
    for k in range(n_checks):
        values = {p.name: float(result.draws.loc[k, p.name]) for p in FITTED}
        values.update({n: float(x) for n, x in drawn.loc[k].items()})
        sim = summaries(values, seed + 1 + k)
        rows.append({"draw": k, **sim})
        if progress is not None:
            progress("predictive checks", k + 1, min(checks, draws))
    checks_table = pd.DataFrame(rows)
    checks_table.to_parquet(out / "predictive_checks.parquet", index=False)
    result.diagnostics["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_posterior(result, out, command=command)
    return result
