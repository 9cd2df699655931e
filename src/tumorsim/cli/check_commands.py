"""Commands that compare the model with data: calibrate (fit to GBSG2) and validate (the
scorecard of every claim)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tumorsim.cli.options import (
    DefaultScenarioArg,
    EnsembleOption,
    PointOption,
    ThreadsOption,
    at_least,
    biology_text,
    command_line,
    load_scenario,
    out_option,
    patients_option,
    resolve_ensemble,
    within,
)
from tumorsim.cli.render import echo, print_tables, progress_bar, progress_callback
from tumorsim.errors import TumorsimError
from tumorsim.text_table import Cell, Column, TextTable

if TYPE_CHECKING:
    from tumorsim.calibration.targets import SimulationSizes
    from tumorsim.validation.scorecard import Scorecard


def calibrate(
    out: Annotated[Path, out_option(
        "Parameter file (TOML) to write; a JSON record of the fit is written beside it.")],
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario TOML whose biology is the starting point; "
                     "the built-in default if omitted.", show_default=False),
    ] = None,
    twins: Annotated[int, typer.Option("--twins", help="Twins per training patient.",
                                       callback=at_least(1))] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the split and every simulation.")] = 2026,
    max_evaluations: Annotated[
        int, typer.Option("--max-evaluations", help="Budget of objective evaluations.",
                          callback=at_least(1))
    ] = 150,
    train_fraction: Annotated[
        float, typer.Option("--train-fraction", help="Share of GBSG2 used for training.",
                            callback=within(0.1, 0.9))
    ] = 2 / 3,
    held_out_twins: Annotated[
        int, typer.Option("--held-out-twins", help="Twins per held-out patient.",
                          callback=at_least(1))
    ] = 100,
    claims: Annotated[
        str | None,
        typer.Option("--claims", help="Claims to fit jointly with GBSG2 (K2, K3 or K2,K3); "
                     "they add the tamoxifen kill hazards and the awakening rate to the fit.",
                     show_default=False),
    ] = None,
) -> None:
    """Fit the calibrated parameters to GBSG2's training split (and, with --claims, to the
    tamoxifen claims K2 and K3); report the held-out fit.

    Nelder-Mead with common random numbers (see tumorsim.calibration.fit): the same
    command with the same seed writes the same parameters.
    """
    from tumorsim import __version__
    from tumorsim.analysis.gbsg2 import held_out_fit
    from tumorsim.calibration import (
        calibrate,
        claim_sizes,
        scenario_changes,
        write_parameter_file,
        write_record,
    )
    from tumorsim.cohort.data import load_gbsg2

    sizes = claim_sizes(claims.split(",") if claims is not None else None)
    from tumorsim.io.output_dir import check_output_file

    check_output_file(out)  # before the fit, not after it
    check_output_file(out.with_suffix(".json"))
    base = load_scenario(scenario)
    base = base.with_changes(cohort={"horizon_years": max(base.cohort.horizon_years, 10.0)})
    cohort = load_gbsg2()
    started = time.perf_counter()
    with progress_bar() as progress:
        task = progress.add_task("calibrating", total=max_evaluations, unit="evaluations")

        def step(k: int, value: float, _: dict[str, float]) -> None:
            progress.update(task, completed=min(k, max_evaluations),
                            description=f"calibrating (objective {value:.3g})")

        result = calibrate(base, cohort, seed=seed, twins=twins,
                           max_evaluations=max_evaluations, train_fraction=train_fraction,
                           on_evaluation=step, claim_sizes=sizes)
    calibrated = base.with_changes(**scenario_changes(result.parameters))
    held = held_out_fit(calibrated, cohort, seed=seed, twins=held_out_twins,
                        train_fraction=train_fraction)
    wall_s = time.perf_counter() - started
    # the effective options, so the command reproduces the file whatever the defaults become
    command = (f"tumorsim calibrate --out {out} --seed {seed} --twins {twins} "
               f"--max-evaluations {max_evaluations} --train-fraction {train_fraction!r} "
               f"--held-out-twins {held_out_twins}"
               + (f" --claims {','.join(sizes)}" if sizes else "")
               + (f" --scenario {scenario}" if scenario is not None else ""))
    path = write_parameter_file(result, out, command=command, version=__version__)
    record = write_record(result.record(held, command=command, version=__version__,
                                       wall_seconds=wall_s), path.with_suffix(".json"))
    print_tables(result.parameter_table(), held.rfs_table(), held.hazard_ratio_table())
    echo(f"c-index on held-out patients: twin risk score {held.c_index_twin:.3f}, "
         f"Cox on training covariates {held.c_index_cox:.3f}",
         f"K1 {'passed' if held.passed else 'NOT passed'}; objective "
         f"{result.objective:.4g} after {len(result.evaluations)} evaluations; "
         f"{wall_s:.0f} s; wrote {path} and {record}")


def simulation_sizes(options: list[str]) -> SimulationSizes:
    """``--size NAME=N`` options applied to the calibration's default
    :class:`~tumorsim.calibration.targets.SimulationSizes`; a malformed one is refused."""
    from dataclasses import fields, replace

    from tumorsim.calibration.targets import DEFAULT_SIZES

    names = [f.name for f in fields(DEFAULT_SIZES)]
    given: dict[str, int] = {}
    for text in options:
        raw_name, sep, value = text.partition("=")
        name = raw_name.strip()
        if not sep or name not in names or not value.strip().isdigit() or int(value) < 1:
            raise TumorsimError(f"--size {text!r}: allowed: NAME=N, N a whole number >= 1 "
                                f"and NAME one of {', '.join(names)}")
        if name in given:
            raise TumorsimError(f"--size {name}: given twice; allowed: once each")
        given[name] = int(value)
    return replace(DEFAULT_SIZES, **given)


def held_values(options: list[str]) -> dict[str, float]:
    """``--hold NAME=VALUE`` options as a mapping; a malformed one is refused."""
    held: dict[str, float] = {}
    for text in options:
        raw_name, sep, value = text.partition("=")
        name = raw_name.strip()
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (sep and name and math.isfinite(number)):
            raise TumorsimError(f"--hold {text!r}: allowed: NAME=VALUE, a fitted parameter's "
                                "name and a finite number")
        if name in held:
            raise TumorsimError(f"--hold {name}: given twice; allowed: once each")
        held[name] = number
    return held


def calibrate_posterior(
    out: Annotated[Path, out_option(
        "Directory for design.parquet (the checkpoint a rerun resumes from), "
        "posterior_draws.parquet, posterior.json, predictive_checks.parquet and "
        "emulator_check.parquet.")],
    points: Annotated[int, typer.Option("--points", help="Design points (simulator runs).",
                                        callback=at_least(4))] = 160,
    seed: Annotated[int, typer.Option(help="Seed of the design, simulations and sampler.")
                    ] = 2026,
    draws: Annotated[int, typer.Option("--draws", help="Posterior draws in the ensemble.",
                                       callback=at_least(100))] = 200,
    checks: Annotated[int, typer.Option(
        "--checks", help="Posterior draws re-simulated as predictive checks.",
        callback=at_least(1))] = 20,
    check_scale: Annotated[int, typer.Option(
        "--check-scale", help="The predictive checks' simulation sizes, as a multiple of "
        "the design's (4 halves their Monte Carlo noise; docs/posterior.md).",
        callback=at_least(1))] = 1,
    steps: Annotated[int, typer.Option(
        "--steps", help="Sampler steps per walker (emcee advises 50 autocorrelation times "
        "after the burn-in).", callback=at_least(100))] = 3000,
    burn_in: Annotated[int, typer.Option(
        "--burn-in", help="Sampler steps dropped at the start.", callback=at_least(0))] = 1000,
    moves: Annotated[str, typer.Option(
        "--moves", help="The final chain's proposals: stretch (emcee's default; how run20 "
        "and earlier fits were sampled) or differential-evolution (how the shipped posterior, "
        "run22, and run20de before it, were sampled: mixes about eight times faster on "
        "run20's design; docs/posterior.md, 'The chain's length').")
    ] = "stretch",
    mechanism_priors: Annotated[bool, typer.Option(
        "--mechanism-priors/--mechanism-defaults",
        help="Draw the M1-M3 mechanism parameters from their priors at every design point "
        "(the fit marginalised over them, as the default ensemble draws them), or keep the "
        "default scenario's values (how the earliest fits were made; the shipped posterior "
        "is marginalised).")] = False,
    waves: Annotated[int, typer.Option(
        "--waves", help="Design waves: the Latin hypercube, then waves of points sampled "
        "from the posterior emulated so far.", callback=at_least(1))] = 1,
    wave_points: Annotated[int | None, typer.Option(
        "--wave-points", help="Design points in each wave after the first (default: half of "
        "--points).", callback=at_least(4), show_default=False)] = None,
    wave_steps: Annotated[int | None, typer.Option(
        "--wave-steps", help="Sampler steps per walker of the intermediate samplings that "
        "place each wave (default: a third of --steps, at least 200). Fix it to lengthen "
        "the final chain of a finished design: the rerun resumes from its checkpoint.",
        callback=at_least(100), show_default=False)] = None,
    hold: Annotated[list[str] | None, typer.Option(
        "--hold", help="NAME=VALUE: fix a fitted parameter at VALUE (inside its prior) "
        "instead of fitting it; repeat for several. For parameters whose effect on the "
        "targets is below the noise (scripts/parameter_effects.py).",
        show_default=False)] = None,
    size: Annotated[list[str] | None, typer.Option(
        "--size", help="NAME=N: simulate N for one of the design's simulation sizes "
        "(tumorsim.calibration.targets.SimulationSizes, e.g. k2_patients_per_arm=4500) "
        "instead of its default; repeat for several. Larger cohorts for the noisiest "
        "targets (scripts/summary_noise.py).", show_default=False)] = None,
    cohort_effects: Annotated[bool, typer.Option(
        "--cohort-effects/--no-cohort-effects",
        help="Fit a selection effect for TRANSBIG and for GSE2034 too: one dissemination "
        "multiplier per data set, applied to its women only (how the cohort differs from "
        "the reference population beyond its recorded covariates; docs/posterior.md).")
    ] = False,
    targets_of: Annotated[Path | None, typer.Option(
        "--targets-of", help="RUN: fit only the targets an earlier calibration was fitted "
        "to (its posterior.json, or its directory), so a fit made before targets were "
        "added reruns with the current code (docs/posterior.md, 'Running it').",
        show_default=False)] = None,
    add_target: Annotated[list[str] | None, typer.Option(
        "--add-target", help="NAME: fit this target of the current code too, besides those "
        "of --targets-of (e.g. k6:log_death_hazard_ratio:CMF, CMF against none, fitted "
        "since run22); repeat for several.", show_default=False)] = None,
) -> None:
    """Fit the relapse dynamics as a posterior (GBSG2, TRANSBIG, GSE2034, K2, K3, K4, K5,
    K6, K7, grade).

    Gaussian-process emulators of the simulator over a Latin-hypercube design (and
    --waves of points where the posterior lies), sampled with emcee (docs/posterior.md).
    An interrupted run resumes from OUT/design.parquet.
    """
    from tumorsim.calibration.posterior import SAMPLER_MOVES
    from tumorsim.calibration.run import (
        POSTERIOR_FILES,
        fitted_without,
        posterior_calibration,
        record_targets,
        selected_targets,
        with_added_targets,
    )
    from tumorsim.calibration.summary import chain_length_note
    from tumorsim.calibration.targets import TrainingData, observed_targets
    from tumorsim.io.output_dir import check_output_dir, claim_output_dir

    if burn_in >= steps:
        raise TumorsimError(f"--burn-in = {burn_in}: must be below --steps = {steps}")
    if moves not in SAMPLER_MOVES:
        raise TumorsimError(f"--moves {moves!r}: allowed: {', '.join(SAMPLER_MOVES)}")
    held = held_values(hold or [])
    sizes = simulation_sizes(size or [])
    fitted_without(held)  # refuses unknown names and values outside their priors
    target_names = record_targets(targets_of) if targets_of is not None else None
    if add_target and target_names is None:
        raise TumorsimError(f"--add-target {add_target[0]}: without --targets-of every "
                            "target is fitted already; allowed: with --targets-of RUN")
    if target_names is not None:  # refuses a target the current code does not have
        every = observed_targets(TrainingData.load())
        selected_targets(every, target_names)
        target_names = with_added_targets(target_names, add_target or [], every)
    check_output_dir(out, known=POSTERIOR_FILES)  # before any simulation
    with claim_output_dir(out, known=POSTERIOR_FILES):
        with progress_bar() as progress:
            tasks: dict[str, Any] = {}

            def step(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total, unit="evaluations")
                progress.update(tasks[stage], completed=done, total=total)

            result = posterior_calibration(out, points=points, seed=seed, draws=draws,
                                           checks=checks, steps=steps, burn_in=burn_in,
                                           waves=waves, wave_points=wave_points or 0,
                                           wave_steps=wave_steps or 0,
                                           progress=step, mechanism_priors=mechanism_priors,
                                           held=held, check_scale=check_scale,
                                           sizes=sizes, cohort_effects=cohort_effects,
                                           target_names=target_names, moves=moves,
                                           command=command_line("tumorsim calibrate-posterior"))
        d = result.diagnostics
        echo(f"posterior: {draws} draws; acceptance {d['acceptance_fraction']:.2f}, effective "
             f"sample size {d['effective_sample_size']:.0f}; wrote {out}. "
             + chain_length_note(d))


def validate(
    out: Annotated[Path, out_option(
        "Directory for claims.json, validate.json and claims.html.")],
    scenario: DefaultScenarioArg = None,
    claims: Annotated[
        str | None,
        typer.Option("--claims", help="Comma-separated claim ids (e.g. M1a,K3); all if "
                     "omitted.", show_default=False),
    ] = None,
    patients: Annotated[int | None, patients_option(
        "Virtual patients per arm for every claim (not K1, whose size is twins per woman); "
        "each claim's own size if omitted.", low=10)] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Each claim at its small 'fast' size (minutes).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Master seed of every claim.")] = 2026,
    threads: ThreadsOption = None,
    ensemble: EnsembleOption = None,
    point: PointOption = False,
    draws: Annotated[int | None, typer.Option(
        "--draws", help="Parameter draws each claim is measured under, its patients spread "
        "over them (default: 10).", callback=at_least(2), show_default=False)] = None,
) -> None:
    """Check the model against docs/model.md §5: one scorecard of every claim.

    Runs each claim (its simulations use all threads), prints the table (claim,
    published, simulated with 95 % CI, pass or fail and by how much) and writes
    DIR/claims.json, DIR/validate.json and DIR/claims.html. The biology is SCENARIO's
    (the built-in, GBSG2-calibrated default if omitted); each claim sets its own cohort,
    exposures and treatment. Exit status 0 even when claims fail: failing claims are
    results, explained in docs/validation.md.

    By default each claim is measured under --draws parameter draws of the ensemble,
    judged on the total interval (parameters and Monte Carlo noise); a mechanism check
    that holds in fewer than 95 % of draws is shown as uncertain.
    """
    from tumorsim.io.output_dir import check_output_dir, claim_output_dir
    from tumorsim.validation.registry import select_claims
    from tumorsim.validation.scorecard import (
        DEFAULT_DRAWS,
        SCORECARD_FILES,
        run_claims,
        write_scorecard,
    )

    chosen = select_claims(claims.split(",") if claims is not None else None)
    loaded = load_scenario(scenario)
    check_output_dir(out, known=SCORECARD_FILES)  # before any claim runs
    parameter_draws = resolve_ensemble(ensemble, point)
    with claim_output_dir(out, known=SCORECARD_FILES):
        with progress_bar() as progress:
            overall = progress.add_task("claims", total=len(chosen), unit="claims")
            current = progress.add_task("", total=1)

            def on_claim(claim: Any, k: int, total: int) -> None:
                progress.update(overall, completed=k)
                progress.update(current, description=f"{claim.id} arms", completed=0, total=1)

            card = run_claims(chosen, loaded, seed=seed, fast=fast, patients=patients,
                              n_threads=threads, on_claim=on_claim,
                              progress=progress_callback(progress, current),
                              command=command_line("tumorsim validate"),
                              ensemble=parameter_draws,
                              draws=DEFAULT_DRAWS if draws is None else draws)
            progress.update(overall, completed=len(chosen))
        paths = write_scorecard(card, out)
        print_tables(_scorecard_table(card))
        echo(f"parameters: {biology_text(parameter_draws)}")
        echo(f"{card.headline()} ({card.wall_seconds:.0f} s); wrote {paths['claims']}")


def _scorecard_table(card: Scorecard) -> TextTable:
    """The scorecard as a table (cells built by :meth:`Scorecard.display_rows`)."""
    rows = card.display_rows()
    headers = tuple(rows[0]) if rows else ()
    columns = tuple(Column(h, "right" if h == "margin" else "left") for h in headers)
    body = tuple(
        tuple(Cell(v, "pass" if v == "pass" else "fail") if k == "result" else v
              for k, v in row.items())
        for row in rows)
    return TextTable(f"claims (seed {card.seed}{', fast' if card.fast else ''})", columns,
                     body)
