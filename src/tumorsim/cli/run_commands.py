"""Commands that simulate and write results: simulate, twin, trial."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from tumorsim.cli.options import (
    DefaultScenarioArg,
    EnsembleOption,
    PointOption,
    SeedOption,
    ThreadsOption,
    at_least,
    biology_text,
    default_chunk_size,
    load_scenario,
    out_option,
    patients_option,
    resolve_ensemble,
    with_cohort_options,
)
from tumorsim.cli.render import (
    echo,
    print_tables,
    progress_bar,
    progress_callback,
    task_description,
    written_text,
)
from tumorsim.errors import TumorsimError
from tumorsim.text_table import Column, TextTable

if TYPE_CHECKING:
    from tumorsim.cohort.population import Cohort
    from tumorsim.model.ensemble import Ensemble
    from tumorsim.model.scenario import Scenario


def simulate(
    out: Annotated[Path, out_option(
        "Results directory to write (Parquet); previous results there are replaced.")],
    scenario: DefaultScenarioArg = None,
    patients: Annotated[int | None, patients_option(
        "Virtual patients (default: the scenario's cohort.patients).")] = None,
    seed: SeedOption = None,
    trajectories: Annotated[
        int | None,
        typer.Option(
            help="Patients whose trajectories are recorded "
            "(default: the scenario's cohort.trajectory_patients).",
            show_default=False,
        ),
    ] = None,
    threads: ThreadsOption = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            help="Patients per engine call (default: min(20000, max(1000, N/20))). "
            "Results do not depend on it.",
            show_default=False, callback=at_least(1),
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted run of the same command from "
                     "its checkpoint (.<out>.checkpoint beside --out)."),
    ] = False,
    backend: Annotated[
        str,
        typer.Option("--backend", help="Where chunks run: 'inprocess' (numba threads) or "
                     "'dask' (a dask.distributed cluster). Results do not depend on it."),
    ] = "inprocess",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (--backend dask); an "
                     "embedded LocalCluster if omitted. Its workers must see --out.",
                     show_default=False),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Workers of the embedded LocalCluster.",
                          callback=at_least(1))
    ] = 2,
    ensemble: EnsembleOption = None,
    point: PointOption = False,
) -> None:
    """Simulate a virtual cohort and write the results to a directory of Parquet files.

    Options override the scenario's cohort values; the scenario written with the
    results records the values used, so a run can be repeated from its output. The
    results are written chunk by chunk as they are simulated (memory does not grow with
    the cohort), and each finished chunk is kept in a checkpoint beside the output until
    the results are in place: a run that is killed can be continued with --resume, with
    identical results.
    """
    from tumorsim.io.checkpoint import check_checkpoint
    from tumorsim.io.output_dir import check_output_dir, claim_output_dir
    from tumorsim.io.results_file import RESULTS_FILES, read_summary_counts
    from tumorsim.results import simulation_summary
    from tumorsim.runner.directory import check_backend, simulate_to_directory

    loaded = with_cohort_options(load_scenario(scenario), patients=patients, seed=seed,
                                 trajectory_patients=trajectories)
    check_output_dir(out, known=RESULTS_FILES.values())  # before any simulation
    check_checkpoint(out, resume)
    check_backend(backend)
    if backend != "dask" and scheduler is not None:
        raise TumorsimError(f"--scheduler = {scheduler!r}: needs --backend dask")
    draws = resolve_ensemble(ensemble, point)
    n = loaded.cohort.patients
    chunk = chunk_size if chunk_size is not None else default_chunk_size(n)
    with claim_output_dir(out, known=RESULTS_FILES.values()):
        with progress_bar() as progress:
            task = progress.add_task(f"simulating {task_description(loaded.name)}", total=n)
            started = time.perf_counter()
            written = simulate_to_directory(loaded, out, chunk_size=chunk, resume=resume,
                                            n_threads=threads,
                                            progress=progress_callback(progress, task),
                                            backend=backend, scheduler=scheduler,
                                            workers=workers, ensemble=draws)
            wall_s = time.perf_counter() - started
        # The summary reads back the few columns it needs a chunk at a time: the whole
        # table is never in memory.
        counts = read_summary_counts(written, batch_rows=chunk)
        summary = simulation_summary(counts, scenario=loaded, seed=loaded.cohort.seed,
                                     wall_seconds=wall_s)
        print_tables(summary.with_rows(*_over_draws_rows(counts, loaded.cohort.horizon_years),
                                       ("parameters", biology_text(draws)),
                                       ("written", written_text(written))))


def _over_draws_rows(counts: Any, horizon_years: float) -> list[tuple[str, str]]:
    """The summary's event shares with their 95 % interval over parameter draws and Monte
    Carlo noise, and the share due to the parameters (an ensemble run only)."""
    from tumorsim.analysis.ensemble import share_over_draws
    from tumorsim.analysis.intervals import Z95

    if len(counts.events_by_draw) < 2:
        return []
    table = np.array(counts.events_by_draw, dtype=float)
    rows = []
    for k, label in enumerate(("any relapse", "distant relapse", "death"), start=2):
        parts = share_over_draws(table[:, k], table[:, 1])
        low = max(parts.mean - Z95 * parts.total_sd, 0.0)
        high = min(parts.mean + Z95 * parts.total_sd, 1.0)
        mc = Z95 * parts.mc_sd
        rows.append((f"{label} by {horizon_years:g} years, over draws",
                     f"{parts.mean:.1%} [{low:.1%}, {high:.1%}] (Monte Carlo only "
                     f"+-{mc:.1%}; parameters {parts.parameter_share:.0%} of the variance; "
                     f"{len(table)} draws)"))
    return rows


_GBSG2_NAME = "gbsg2"


def twin(
    out: Annotated[Path, out_option(
        "Directory to write (patients.parquet, twins.parquet); a previous twin run there is "
        "replaced.")],
    data: Annotated[
        str | None,
        typer.Argument(
            help="CSV or Parquet file, one row per patient; 'gbsg2' for the GBSG2 trial "
            "bundled with lifelines.",
            show_default=False,
            metavar="DATA",
        ),
    ] = None,
    gbsg2: Annotated[
        bool,
        typer.Option("--gbsg2", help="Use the GBSG2 trial bundled with lifelines (686 women)."),
    ] = False,
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", help="A packaged calibration data set: gbsg2, transbig "
                     "(scikit-survival) or gse2034 (oncodatasets); covariates a data set "
                     "lacks are drawn and said so (docs/data.md).", show_default=False),
    ] = None,
    columns: Annotated[
        Path | None,
        typer.Option(
            "--columns",
            help="Column map TOML (see examples/gbsg2_columns.toml); default: GBSG2's columns "
            "or tumorsim's own names, recognised automatically.",
            show_default=False,
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Scenario TOML for the biology and horizon; the built-in default if omitted. "
            "Treatment follows the data: tamoxifen 2 years where hormone therapy is "
            "recorded, CMF for all (or where a chemotherapy column says 1).",
            show_default=False,
        ),
    ] = None,
    twins: Annotated[int, typer.Option("--twins", help="Stochastic twins per patient.",
                                       callback=at_least(1))] = 10,
    seed: SeedOption = None,
    threads: ThreadsOption = None,
    ensemble: EnsembleOption = None,
    point: PointOption = False,
    cohort_effect: Annotated[
        str | None,
        typer.Option("--cohort-effect", help="With --dataset transbig or gse2034: 'fitted' "
                     "(the default: each draw's dissemination times the data set's selection "
                     "effect fitted with it, where the draws carry one), 'none' (the "
                     "reference population) or a multiplier > 0 (docs/posterior.md, 'Cohort "
                     "selection effects').", show_default=False),
    ] = None,
) -> None:
    """Simulate stochastic twins of real patients under their recorded treatment.

    Each patient gets K twins with her covariates; the per-patient table gives the
    fraction of her twins relapsing by 1, 3, 5 and 10 years and a risk score (predicted
    5-year relapse probability); the twins' table is censored at her own follow-up.
    """
    from tumorsim.io.output_dir import check_output_dir, claim_output_dir
    from tumorsim.io.twin_file import TWIN_FILES, save_twin_result
    from tumorsim.runner.twins import run_twin

    builtin = gbsg2 or (data is not None and data.lower() == _GBSG2_NAME
                        and not Path(data).exists())
    if dataset is not None and (data is not None or gbsg2 or columns is not None):
        raise TumorsimError(f"--dataset {dataset!r}: give it alone, without DATA, --gbsg2 or "
                            "--columns")
    if gbsg2 and data is not None:
        raise TumorsimError(f"DATA = {data!r} and --gbsg2: give one of them, not both")
    if data is None and not gbsg2 and dataset is None:
        raise TumorsimError("missing DATA: give a CSV or Parquet file, --gbsg2 or --dataset")
    loaded = with_cohort_options(load_scenario(scenario), seed=seed)
    check_output_dir(out, known=TWIN_FILES.values())  # before any simulation
    draws = resolve_ensemble(ensemble, point)
    notes: tuple[str, ...] = ()
    if dataset is not None:
        from tumorsim.cohort.datasets import DATASET_NAMES, load_dataset

        if dataset.lower() not in DATASET_NAMES:
            raise TumorsimError(f"--dataset: {dataset!r} given; allowed: "
                                f"{', '.join(DATASET_NAMES)}")
        data_set = load_dataset(dataset, seed=loaded.cohort.seed)
        cohort, source, map_name = data_set.cohort, data_set.source, data_set.name
        notes = data_set.notes
        if data_set.endpoint != "rfs":
            notes = (*notes, f"the data's event is {data_set.event}: compared with the "
                     f"twins' {data_set.endpoint} (their {data_set.endpoint}_* columns)")
    else:
        cohort, source, map_name = _twin_cohort(None if builtin else data, columns)
    from tumorsim.calibration.cohort_effects import COHORT_EFFECT_DATA_SETS

    effect_data_set = dataset.lower() if dataset is not None else None
    effect_note: str | None = None
    if effect_data_set in COHORT_EFFECT_DATA_SETS:
        loaded, draws, effect_note = _with_cohort_effect(
            loaded, draws, str(effect_data_set), cohort_effect or "fitted", ensemble, point)
    elif cohort_effect is not None:
        raise TumorsimError(f"--cohort-effect {cohort_effect!r} without --dataset transbig or "
                            "gse2034; allowed only with them (the data sets a calibration "
                            "fits a selection effect for)")
    with claim_output_dir(out, known=TWIN_FILES.values()):
        total = len(cohort) * twins
        with progress_bar() as progress:
            task = progress.add_task(f"twins of {task_description(Path(source).name)}",
                                     total=total)
            started = time.perf_counter()
            result = run_twin(loaded, cohort, twins=twins, seed=loaded.cohort.seed,
                              chunk_size=default_chunk_size(total), n_threads=threads,
                              progress=progress_callback(progress, task), ensemble=draws)
            wall_s = time.perf_counter() - started
        metadata = {"tumorsim.data": source, "tumorsim.column_map": map_name}
        if notes:
            metadata["tumorsim.drawn"] = " | ".join(notes)
        if effect_note is not None:
            metadata["tumorsim.cohort_effect"] = effect_note
        written = save_twin_result(result, out, metadata=metadata)
        for note in (*notes, *([effect_note] if effect_note else [])):
            echo(f"note: {note}")
        from tumorsim.analysis.twin_check import observed_vs_twins

        endpoint = data_set.endpoint if dataset is not None else "rfs"
        check = observed_vs_twins(result, endpoint=endpoint)
        rows = [(f"{endpoint.upper()} at {r.years:g} y",
                 f"observed {r.observed:.3f} [{r.observed_ci_lower:.3f}, "
                 f"{r.observed_ci_upper:.3f}] ({r.observed_at_risk} at risk), twins "
                 f"{r.twins:.3f} [{r.twins_ci_lower:.3f}, {r.twins_ci_upper:.3f}] "
                 f"({100 * r.twins_parameter_share:.0f} % of its variance from parameters)")
                for r in check.itertuples()]
        print_tables(result.summary(source, wall_seconds=wall_s).with_rows(
            *rows, ("parameters", biology_text(draws)), ("written", written_text(written))))


def _with_cohort_effect(scenario: Scenario, draws: Ensemble | None, data_set: str,
                        choice: str, ensemble: str | None, point: bool
                        ) -> tuple[Scenario, Ensemble | None, str]:
    """The scenario and draws of ``data_set``'s twins under ``--cohort-effect choice``, and
    a note saying what was applied."""
    from tumorsim.calibration.cohort_effects import (
        with_cohort_effect,
        with_cohort_effect_draws,
    )

    if choice == "none":
        return scenario, draws, ("no cohort selection effect (--cohort-effect none): the "
                                 "reference population's biology")
    if choice == "fitted":
        if draws is None:
            return scenario, draws, ("no cohort selection effect: --ensemble none runs the "
                                     "scenario as written (--cohort-effect X sets one)")
        from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, load_cohort_effect_draws

        fitted = load_cohort_effect_draws(ensemble or DEFAULT_ENSEMBLE)
        if data_set not in fitted:
            return scenario, draws, (f"no cohort selection effect: the draws carry none for "
                                     f"{data_set} (the reference population's biology)")
        factors = fitted[data_set].to_numpy(float)
        factors = np.full(len(draws), np.median(factors)) if point else factors
        return scenario, with_cohort_effect_draws(draws, scenario, data_set, factors), (
            f"{data_set}'s cohort selection effect fitted with the posterior: each draw's "
            f"dissemination times its own multiplier (median {np.median(factors):.3g}; "
            "--cohort-effect none for the reference population)")
    try:
        factor = float(choice)
    except ValueError:
        factor = math.nan
    if not (math.isfinite(factor) and factor > 0):
        raise TumorsimError(f"--cohort-effect {choice!r}; allowed: 'fitted', 'none' or a "
                            "multiplier > 0")
    note = f"{data_set}'s cohort selection effect set by hand: dissemination times {factor:g}"
    if draws is None:
        return with_cohort_effect(scenario, data_set, {data_set: factor}), draws, note
    return (scenario, with_cohort_effect_draws(draws, scenario, data_set,
                                               np.full(len(draws), factor)), note)


def _twin_cohort(data: str | None, columns: Path | None) -> tuple[Cohort, str, str]:
    """The cohort of real patients, a name for its source, and the column map's name."""
    from tumorsim.cohort.data import (
        cohort_from_dataframe,
        guess_column_map,
        load_column_map,
        read_patient_table,
    )

    if data is None:
        from lifelines.datasets import load_gbsg2

        frame, source = load_gbsg2(), "GBSG2"
    else:
        frame, source = read_patient_table(data), data
    column_map = (load_column_map(columns) if columns is not None
                  else guess_column_map(frame, source))
    return cohort_from_dataframe(frame, column_map, source=source), source, column_map.name


TrialArg = Annotated[
    Path,
    typer.Argument(
        help="Trial file: a scenario TOML with one arms.<name> table per arm.",
        show_default=False,
        metavar="SCENARIO",
    ),
]


def trial(
    scenario: TrialArg,
    out: Annotated[Path, out_option(
        "Directory to write: patients.parquet (one row per patient and arm) and "
        "hazard_ratios.csv, survival.csv, rmst.csv, site_relapse.csv, and (unless "
        "--ensemble none) hazard_ratio_intervals.csv; a previous trial there is "
        "replaced.")],
    patients: Annotated[int | None, patients_option(
        "Virtual patients per arm (default: the scenario's cohort.patients).")] = None,
    seed: SeedOption = None,
    threads: ThreadsOption = None,
    ensemble: EnsembleOption = None,
    point: PointOption = False,
    interval_replicates: Annotated[int, typer.Option(
        "--interval-replicates", help="Bootstrap replicates of the ensemble intervals.",
        callback=at_least(20))] = 100,
) -> None:
    """Run an in-silico trial: every virtual patient under every arm of a trial file.

    SCENARIO is a scenario file with one arms.<name> table per arm (see
    examples/trial_cxcr2.toml). Every arm gets the same patients with the same random
    streams, so arms differ only by their treatment. Prints each arm's hazard ratio
    against the first arm, per endpoint.
    """
    from tumorsim.io.output_dir import check_output_dir, claim_output_dir
    from tumorsim.trial import load_trial, run_trial, save_trial_results
    from tumorsim.trial.output import TRIAL_FILES, save_hazard_ratio_intervals

    loaded = load_trial(scenario)
    loaded = loaded.with_scenario(
        with_cohort_options(loaded.scenario, patients=patients, seed=seed)
    )
    check_output_dir(out, known=TRIAL_FILES)  # before any simulation
    draws = resolve_ensemble(ensemble, point)
    with claim_output_dir(out, known=TRIAL_FILES):
        n = loaded.scenario.cohort.patients
        with progress_bar() as progress:
            task = progress.add_task(
                f"trial {task_description(loaded.name)}: {len(loaded.arms)} arms",
                total=n * len(loaded.arms))
            started = time.perf_counter()
            try:
                result = run_trial(loaded, chunk_size=default_chunk_size(n), n_threads=threads,
                                   progress=progress_callback(progress, task), ensemble=draws)
            except ValueError as exc:  # an ensemble that does not fit the trial's biology
                raise TumorsimError(f"--ensemble: {exc}") from None
            wall_s = time.perf_counter() - started
        summaries = result.summary_tables()
        written = save_trial_results(result, out, summaries)
        if len(result.arms) > 1:
            print_tables(result.summary(summaries["hazard_ratios"]))
        else:
            echo(f"trial: {result.trial.name}: one arm, no hazard ratios")
        interval_s = None
        if draws is not None and len(result.arms) > 1:
            started = time.perf_counter()
            intervals = result.hazard_ratio_intervals(replicates=interval_replicates,
                                                      seed=loaded.scenario.cohort.seed)
            interval_s = time.perf_counter() - started
            save_hazard_ratio_intervals(intervals, written)
            print_tables(hazard_ratio_interval_table(intervals, draws.source))
        echo(f"parameters: {biology_text(draws)}")
        timing = f"wall time {wall_s:.2f} s"
        if interval_s is not None:
            timing += f" (simulation), {interval_s:.1f} s (ensemble intervals)"
        echo(f"{timing}; written: {written_text(written)}")


def hazard_ratio_interval_table(intervals: Any, source: str) -> TextTable:
    """Hazard ratios with the total and Monte Carlo intervals, and the parameter share."""
    columns = tuple(Column(h, "left" if h in ("endpoint", "arm") else "right") for h in (
        "endpoint", "arm", "HR", "95 % interval (total)", "Monte Carlo only",
        "share from parameters"))
    rows = tuple(
        (r.endpoint, f"{r.arm} vs {r.reference_arm}", f"{r.hr:#.3g}",
         f"[{r.total_low:#.3g}, {r.total_high:#.3g}]", f"[{r.mc_low:#.3g}, {r.mc_high:#.3g}]",
         f"{100 * r.parameter_share:.0f} %")
        for r in intervals.itertuples())
    return TextTable(f"hazard ratios over the ensemble ({source})", columns, rows)
