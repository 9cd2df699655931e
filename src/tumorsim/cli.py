"""The ``tumorsim`` command line: thin wrappers over the public API.

Adding a command
----------------
Write a function decorated with ``@app.command()``; take a scenario path with the
``ScenarioArg`` /
``DefaultScenarioArg`` (the built-in default scenario when omitted) annotations and load
it with :func:`_load_scenario`. Import heavy modules (engine, analysis, pandas, pyarrow)
inside the command so that ``tumorsim --help``, ``params`` and ``validate-scenario`` stay
fast (they must not import numba). Raise
:class:`tumorsim.errors.TumorsimError` (or a subclass) for bad input: the group class
below catches it for every command, prints ``error: <one line>`` to stderr and exits
with status 2, without a traceback.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from tumorsim.errors import ScenarioError, TumorsimError
from tumorsim.model.scenario import Scenario

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

__all__ = ["ERROR_EXIT_CODE", "app", "main"]

ERROR_EXIT_CODE = 2
"""Exit status for bad input (also the status of usage errors)."""


class _TumorsimGroup(TyperGroup):
    """Runs a subcommand; turns a ``TumorsimError`` into one line on stderr and exit 2."""

    def invoke(self, ctx: Any) -> Any:  # a typer/click Context
        try:
            return super().invoke(ctx)
        except TumorsimError as exc:
            message = " ".join(str(exc).splitlines()) or type(exc).__name__
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(ERROR_EXIT_CODE) from None


app = typer.Typer(
    cls=_TumorsimGroup,
    name="tumorsim",
    no_args_is_help=True,
    add_completion=False,
    help="Simulate breast-cancer treatment resistance and metastasis in virtual patients.",
)


@app.callback()
def _root() -> None:
    """Simulate breast-cancer treatment resistance and metastasis in virtual patients."""


def main() -> None:
    """Run the command line (the ``tumorsim`` script and ``python -m tumorsim``)."""
    app(prog_name="tumorsim")


ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario TOML file.", show_default=False, metavar="SCENARIO")
]

SeedOption = Annotated[
    int | None,
    typer.Option(help="Master seed (default: the scenario's cohort.seed).", show_default=False),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(help="CPU threads (default: all). Results do not depend on it.",
                 show_default=False),
]
DefaultScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario TOML file; the built-in default scenario (ER+, surgery + 5 years "
        "tamoxifen) if omitted.",
        show_default=False,
        metavar="SCENARIO",
    ),
]


def _load_scenario(path: Path | None) -> Scenario:
    """The scenario in ``path``; for ``None`` the built-in default scenario."""
    from tumorsim.io.scenario_file import load_default_scenario, load_scenario

    if path is not None:
        return load_scenario(path)
    return load_default_scenario()


# --- commands ----------------------------------------------------------------------------------


@app.command("validate-scenario")
def validate_scenario(scenario: ScenarioArg) -> None:
    """Check a scenario file (and the files it extends); print "ok: <name>"."""
    loaded = _load_scenario(scenario)
    typer.echo(f"ok: {loaded.name}")


@app.command("params")
def params(scenario: DefaultScenarioArg = None) -> None:
    """List every parameter with its value, unit, allowed range and source.

    Values set by the scenario are marked with '*'.
    """
    loaded = _load_scenario(scenario)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped to a file or pager: keep each row on one line instead of 80 columns.
        console = Console(width=240)
    title = f"scenario: {loaded.name}" + (f" ({scenario})" if scenario else " (built-in)")
    console.print(_parameter_table(loaded, title))
    console.print(_site_table(loaded))
    console.print(_clone_table(loaded))


@app.command("rules")
def rules(scenario: DefaultScenarioArg = None) -> None:
    """Print the model's mechanisms as sentences, with the scenario's values and sources."""
    from tumorsim.model.rules import format_rules, rules_for

    typer.echo(format_rules(rules_for(_load_scenario(scenario))), nl=False)


@app.command("sbml")
def sbml(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="SBML file to write.", show_default=False),
    ],
    scenario: DefaultScenarioArg = None,
    patient: Annotated[
        int, typer.Option(help="Which patient of the scenario's sampled cohort.", min=0)
    ] = 0,
    seed: SeedOption = None,
) -> None:
    """Write one virtual patient's deterministic model as SBML (libRoadRunner, COPASI...).

    The file is the ODE system of numerics.mode = "deterministic" with the scenario's
    treatment plan as events; tests/test_sbml.py checks libRoadRunner against tumorsim.
    """
    from tumorsim.io.sbml import write_sbml

    path = write_sbml(_load_scenario(scenario), out, patient=patient, seed=seed)
    typer.echo(f"wrote {path}: patient {patient} of the cohort, SBML Level 3 Version 2")


@app.command("simulate")
def simulate(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Results directory to write (Parquet); previous results there are replaced.",
            show_default=False,
        ),
    ],
    scenario: DefaultScenarioArg = None,
    patients: Annotated[
        int | None,
        typer.Option(
            help="Virtual patients (default: the scenario's cohort.patients).", show_default=False
        ),
    ] = None,
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
            show_default=False,
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
        int, typer.Option("--workers", help="Workers of the embedded LocalCluster.")
    ] = 2,
) -> None:
    """Simulate a virtual cohort and write the results to a directory of Parquet files.

    Options override the scenario's cohort values; the scenario written with the
    results records the values used, so a run can be repeated from its output. The
    results are written chunk by chunk as they are simulated (memory does not grow with
    the cohort), and each finished chunk is kept in a checkpoint beside the output until
    the results are in place: a run that is killed can be continued with --resume, with
    identical results.
    """
    from rich.markup import escape

    from tumorsim.io.results_file import check_results_dir

    loaded = _with_cohort_options(
        _load_scenario(scenario),
        patients=patients,
        seed=seed,
        trajectory_patients=trajectories,
    )
    _check_threads(threads)
    _check_at_least("--chunk-size", chunk_size, 1)
    check_results_dir(out)  # fail before a long simulation, not after it

    from tumorsim.io.checkpoint import check_backend, check_checkpoint, simulate_to_directory

    check_checkpoint(out, resume)
    check_backend(backend)
    if backend != "dask" and scheduler is not None:
        raise TumorsimError(f"--scheduler = {scheduler!r}: needs --backend dask")
    _check_at_least("--workers", workers, 1)

    n = loaded.cohort.patients
    chunk = chunk_size if chunk_size is not None else min(20_000, max(1_000, n // 20))
    err_console = Console(stderr=True)
    with _simulation_progress(err_console) as progress:
        task = progress.add_task(f"simulating {escape(loaded.name)}", total=n)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        started = time.perf_counter()
        written = simulate_to_directory(loaded, out, chunk_size=chunk, resume=resume,
                                        n_threads=threads, progress=advance,
                                        backend=backend, scheduler=scheduler,
                                        workers=workers)
        wall_s = time.perf_counter() - started
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    _print_summary(console, loaded, wall_s, written)


# --- simulate helpers ----------------------------------------------------------------------------

_OPTION_OF_COHORT_FIELD = {
    "patients": "--patients",
    "seed": "--seed",
    "trajectory_patients": "--trajectories",
}


def _check_at_least(option: str, value: int | None, low: int) -> None:
    if value is not None and value < low:
        raise TumorsimError(f"{option} = {value}: must be >= {low}")


def _check_threads(threads: int | None) -> None:
    """``--threads``: at least 1 and no more than numba may use."""
    _check_at_least("--threads", threads, 1)
    if threads is None:
        return
    import numba

    max_threads = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    if threads > max_threads:
        raise TumorsimError(
            f"--threads = {threads}: must be <= {max_threads} (the threads numba may use; "
            "set NUMBA_NUM_THREADS to allow more)"
        )


def _with_cohort_options(scenario: Scenario, **options: int | None) -> Scenario:
    """The scenario with command-line overrides of ``[cohort]`` values, checked by the model."""
    from pydantic import ValidationError

    changes = {k: v for k, v in options.items() if v is not None}
    if not changes:
        return scenario
    try:
        return scenario.with_changes(cohort=changes)
    except ValidationError as exc:
        error = ScenarioError.from_validation_error(exc)
        name = (error.field or "").removeprefix("cohort.")
        option = _OPTION_OF_COHORT_FIELD.get(name)
        if option is None:  # pragma: no cover - only cohort values change here
            raise error from None
        raise TumorsimError(f"{option} = {error.value!r}: {error.allowed}") from None


def _simulation_progress(console: Console) -> Any:
    """A rich progress bar: items done / total, items per second, elapsed, remaining.

    The items are patients unless the task says otherwise with a ``unit`` field
    (``progress.add_task(..., unit="evaluations")``).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Column

    class PatientsPerSecond(ProgressColumn):
        def __init__(self) -> None:
            super().__init__(table_column=Column(no_wrap=True))

        def render(self, task: Task) -> Text:
            from rich.text import Text

            # The mean rate: rich's windowed speed needs two updates, and a small run
            # may finish in one chunk.
            elapsed = task.elapsed
            rate = task.completed / elapsed if elapsed and task.completed else 0.0
            shown = ("-" if rate <= 0 else f"{rate:,.0f}" if rate >= 10 else f"{rate:.2g}")
            unit = task.fields.get("unit", "patients")
            return Text(f"{shown} {unit}/s", style="progress.data.speed")

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        PatientsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("eta", table_column=Column(no_wrap=True)),
        TimeRemainingColumn(),
        console=console,
    )


_SUMMARY_COLUMNS = ("rfs_event", "dmfs_event", "os_event", "first_event_days",
                    "first_event_site")
"""The columns of ``patients.parquet`` the summary of ``tumorsim simulate`` reads back."""


def _print_summary(console: Console, scenario: Scenario, wall_s: float, written: Path) -> None:
    """Patients, speed, event fractions, median first-event time, first sites, files.

    Computed from the few columns it needs, read back from the results directory
    ``written`` (the whole table is never in memory).
    """
    import pandas as pd
    from rich.markup import escape

    from tumorsim.io.results_file import PATIENTS_FILE

    # one thread: a threaded pyarrow read here made about one run in six abort at exit
    # ("terminate called without an active exception", numba's OpenMP layer loaded)
    patients = pd.read_parquet(written / PATIENTS_FILE, columns=list(_SUMMARY_COLUMNS),
                               use_threads=False)
    n = len(patients)
    table = Table(
        title=f"simulated: {escape(scenario.name)} (seed {scenario.cohort.seed})",
        title_justify="left",
        show_header=False,
    )
    table.add_column("what", style="cyan", no_wrap=True)
    table.add_column("value")
    horizon = scenario.cohort.horizon_years
    table.add_row("patients", f"{n:,}")
    table.add_row("wall time", f"{wall_s:.2f} s ({n / max(wall_s, 1e-9):,.0f} patients/s)")
    for label, column in (
        ("any relapse", "rfs_event"),
        ("distant relapse", "dmfs_event"),
        ("death", "os_event"),
    ):
        events = int(patients[column].sum())
        table.add_row(
            f"{label} by {horizon:g} years", f"{events / n:.1%} ({events:,} patients)" if n else "-"
        )
    first = patients["first_event_days"].dropna()
    table.add_row(
        "median first-event time",
        f"{first.median():.0f} days ({first.median() / 365.25:.2f} years), "
        f"among {len(first):,} with an event"
        if len(first)
        else "no events",
    )
    sites = patients["first_event_site"].value_counts(sort=False, dropna=True)
    table.add_row(
        "first-event site", ", ".join(f"{site} {count:,}" for site, count in sites.items()) or "-"
    )
    files = sorted(p.name for p in written.iterdir())
    table.add_row("written", escape(f"{written}/ ({', '.join(files)})"))
    console.print(table)


# --- tables -------------------------------------------------------------------------------------

_MARK = "*"


def _value_text(value: float, overridden: bool) -> str:
    text = f"{value:g}"
    return f"[bold yellow]{text}{_MARK}[/]" if overridden else text


def _range_text(low: float, high: float, low_exclusive: bool = False) -> str:
    return f"{'(' if low_exclusive else '['}{low:g}, {high:g}]"


def _new_table(title: str, first: str) -> Table:
    table = Table(title=title, caption=f"{_MARK} set by the scenario", title_justify="left")
    table.add_column(first, style="cyan", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("range", no_wrap=True)
    table.add_column("tag", justify="center")
    table.add_column("source")
    return table


def _parameter_table(scenario: Scenario, title: str) -> Table:
    from tumorsim.model.parameters import PARAMETER_SPECS

    table = _new_table(f"Scalar parameters — {title}", "name")
    group = None
    for spec in PARAMETER_SPECS:
        if group is not None and spec.group != group:
            table.add_section()
        group = spec.group
        table.add_row(
            spec.name,
            _value_text(scenario.parameter(spec.name), spec.name in scenario.parameters),
            spec.unit,
            _range_text(spec.low, spec.high),
            spec.source_tag,
            spec.source,
        )
    return table


def _site_table(scenario: Scenario) -> Table:
    from tumorsim.model.anatomy import SITES
    from tumorsim.model.sites import SITE_ATTRIBUTES, SITE_SOURCES

    return _attribute_table("Site attributes", "site.attribute", SITES, SITE_ATTRIBUTES,
                            SITE_SOURCES, scenario.sites, scenario.site_value)


def _clone_table(scenario: Scenario) -> Table:
    from tumorsim.model.anatomy import CLONES
    from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_SOURCES

    return _attribute_table("Clone attributes", "clone.attribute", CLONES, CLONE_ATTRIBUTES,
                            CLONE_SOURCES, scenario.clones, scenario.clone_value)


def _attribute_table(
    title: str,
    header: str,
    names: tuple[str, ...],
    attributes: tuple[Any, ...],
    sources: dict[str, dict[str, tuple[str, str]]],
    overrides: Any,
    value: Any,
) -> Table:
    """One row per (site or clone, attribute): value, unit, range, source tag, source."""
    table = _new_table(title, header)
    for i, name in enumerate(names):
        if i:
            table.add_section()
        spec = overrides.get(name)
        for attr in attributes:
            tag, source = sources[name][attr.name]
            overridden = spec is not None and getattr(spec, attr.name) is not None
            table.add_row(
                f"{name}.{attr.name}",
                _value_text(value(name, attr.name), overridden),
                attr.unit,
                _range_text(attr.low, attr.high, getattr(attr, "low_exclusive", False)),
                tag,
                source,
            )
    return table


# --- twin: stochastic twins of real patients (GBSG2 or a data file) ------------------------------
# Self-contained block: the command and its helpers. Library code: tumorsim.cohort.data,
# tumorsim.cohort.twins, tumorsim.io.twin_file.

_GBSG2_NAME = "gbsg2"


@app.command("twin")
def twin(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory to write (patients.parquet, twins.parquet); a previous twin run "
            "there is replaced.",
            show_default=False,
        ),
    ],
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
    twins: Annotated[int, typer.Option("--twins", help="Stochastic twins per patient.")] = 10,
    seed: SeedOption = None,
    threads: ThreadsOption = None,
) -> None:
    """Simulate stochastic twins of real patients under their recorded treatment.

    Each patient gets K twins with her covariates; the per-patient table gives the
    fraction of her twins relapsing by 1, 3, 5 and 10 years and a risk score (predicted
    5-year relapse probability); the twins' table is censored at her own follow-up.
    """
    from rich.markup import escape

    from tumorsim.io.results_file import check_results_dir
    from tumorsim.io.twin_file import TWIN_FILES

    builtin = gbsg2 or (data is not None and data.lower() == _GBSG2_NAME
                        and not Path(data).exists())
    if gbsg2 and data is not None:
        raise TumorsimError(f"DATA = {data!r} and --gbsg2: give one of them, not both")
    if data is None and not gbsg2:
        raise TumorsimError("missing DATA: give a CSV or Parquet file, or --gbsg2")
    _check_at_least("--twins", twins, 1)
    _check_threads(threads)
    loaded = _with_cohort_options(_load_scenario(scenario), seed=seed)
    check_results_dir(out, known=TWIN_FILES.values())  # fail before the simulation

    cohort, source, map_name = _twin_cohort(None if builtin else data, columns)

    from tumorsim.cohort.twins import run_twin
    from tumorsim.io.twin_file import save_twin_result

    total = len(cohort) * twins
    chunk = min(20_000, max(1_000, total // 20))
    err_console = Console(stderr=True)
    with _simulation_progress(err_console) as progress:
        task = progress.add_task(f"twins of {escape(Path(source).name)}", total=total)

        def advance(done: int, all_twins: int) -> None:
            progress.update(task, completed=done, total=all_twins)

        started = time.perf_counter()
        result = run_twin(loaded, cohort, twins=twins, seed=loaded.cohort.seed,
                          chunk_size=chunk, n_threads=threads, progress=advance)
        wall_s = time.perf_counter() - started
    written = save_twin_result(
        result, out, metadata={"tumorsim.data": source, "tumorsim.column_map": map_name}
    )
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    _print_twin_summary(console, result, source, wall_s, written)


def _twin_cohort(data: str | None, columns: Path | None) -> tuple[Any, str, str]:
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


def _print_twin_summary(
    console: Console, result: Any, source: str, wall_s: float, written: Path
) -> None:
    """Patients, twins, speed, plans, predicted and observed relapse, files."""
    from rich.markup import escape

    patients = result.patients
    n = len(patients)
    k = result.twins_per_patient
    table = Table(
        title=f"twins: {escape(source)} under {escape(result.scenario.name)} (seed {result.seed})",
        title_justify="left",
        show_header=False,
    )
    table.add_column("what", style="cyan", no_wrap=True)
    table.add_column("value")
    table.add_row("patients", f"{n:,} x {k} twins = {n * k:,} simulated")
    table.add_row("wall time", f"{wall_s:.2f} s ({n * k / max(wall_s, 1e-9):,.0f} twins/s)")
    plans = patients["arm"].value_counts(sort=False)
    table.add_row("treatment", "; ".join(f"{escape(str(a))}: {c:,}" for a, c in plans.items()))
    for years in (1, 3, 5, 10):
        column = f"twins_relapsed_fraction_{years}y"
        mean = patients[column].mean()
        shown = f"{mean:.1%}" if n and mean == mean else "-"
        table.add_row(f"simulated relapse by {years} y", f"{shown} (mean over patients)")
    if "twins_relapsed_by_follow_up_fraction" in patients and "relapse_event" in patients:
        expected = patients["twins_relapsed_by_follow_up_fraction"].sum()
        observed = int(patients["relapse_event"].sum())
        table.add_row("relapses within follow-up",
                      f"observed {observed:,}, twins predict {expected:,.1f}")
    files = sorted(p.name for p in written.iterdir())
    table.add_row("written", escape(f"{written}/ ({', '.join(files)})"))
    console.print(table)


# --- trial: every virtual patient under every arm of a trial file --------------------------------
# Self-contained block: the command and its helpers. Library code: tumorsim.trial.


TrialArg = Annotated[
    Path,
    typer.Argument(
        help="Trial file: a scenario TOML with one arms.<name> table per arm.",
        show_default=False,
        metavar="SCENARIO",
    ),
]


@app.command("trial")
def trial(
    scenario: TrialArg,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory to write: patients.parquet (one row per patient and arm) and "
            "hazard_ratios.csv, survival.csv, rmst.csv, site_relapse.csv; a previous trial "
            "there is replaced.",
            show_default=False,
        ),
    ],
    patients: Annotated[
        int | None,
        typer.Option(
            help="Virtual patients per arm (default: the scenario's cohort.patients).",
            show_default=False,
        ),
    ] = None,
    seed: SeedOption = None,
    threads: ThreadsOption = None,
) -> None:
    """Run an in-silico trial: every virtual patient under every arm of a trial file.

    SCENARIO is a scenario file with one arms.<name> table per arm (see
    examples/trial_cxcr2.toml). Every arm gets the same patients with the same random
    streams, so arms differ only by their treatment. Prints each arm's hazard ratio
    against the first arm, per endpoint.
    """
    from rich.markup import escape

    from tumorsim.trial import check_trial_dir, load_trial

    loaded = load_trial(scenario)
    loaded = loaded.with_scenario(
        _with_cohort_options(loaded.scenario, patients=patients, seed=seed)
    )
    _check_threads(threads)
    check_trial_dir(out)  # fail before a long simulation, not after it

    from tumorsim.trial import run_trial, save_trial_results

    n = loaded.scenario.cohort.patients
    chunk = min(20_000, max(1_000, n // 20))
    err_console = Console(stderr=True)
    with _simulation_progress(err_console) as progress:
        task = progress.add_task(
            f"trial {escape(loaded.name)}: {len(loaded.arms)} arms", total=n * len(loaded.arms)
        )

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        started = time.perf_counter()
        result = run_trial(loaded, chunk_size=chunk, n_threads=threads, progress=advance)
        wall_s = time.perf_counter() - started
    summaries = result.summary_tables()
    written = save_trial_results(result, out, summaries)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    _print_trial_summary(console, result, summaries["hazard_ratios"], wall_s, written)


def _print_trial_summary(
    console: Console, result: Any, hazard_ratios: Any, wall_s: float, written: Path
) -> None:
    """Hazard ratio with CI of each arm against the reference, per endpoint; files."""
    from rich.markup import escape

    arms = result.arms
    n = len(result.patients) // max(len(arms), 1)
    table = Table(
        title=f"trial: {escape(result.trial.name)} (seed {result.seed}, {n:,} patients x "
        f"{len(arms)} arms, reference: {escape(arms[0])})",
        title_justify="left",
        caption="Cox HR vs the reference arm; 95 % CI robust to the pairing of each patient "
        "across arms",
        caption_justify="left",
    )
    table.add_column("endpoint", style="cyan", no_wrap=True)
    table.add_column("arm", no_wrap=True)
    table.add_column("HR", justify="right", no_wrap=True)
    table.add_column("95 % CI", justify="right", no_wrap=True)
    table.add_column("p", justify="right", no_wrap=True)
    table.add_column("events (arm / reference)", justify="right", no_wrap=True)
    endpoint = None
    for row in hazard_ratios.itertuples(index=False):
        if endpoint is not None and row.endpoint != endpoint:
            table.add_section()
        endpoint = row.endpoint
        has_hr = row.hr == row.hr  # NaN when neither arm has an event
        table.add_row(
            row.endpoint,
            escape(str(row.arm)),
            f"{row.hr:.3f}" if has_hr else "-",
            f"{row.ci_lower:.3f}-{row.ci_upper:.3f}" if has_hr else "-",
            f"{row.p:.3g}" if row.p == row.p else "-",
            f"{row.events:,} / {row.events_reference:,}",
        )
    if len(arms) > 1:
        console.print(table)
    else:
        console.print(f"trial: {escape(result.trial.name)}: one arm, no hazard ratios")
    files = ", ".join(sorted(p.name for p in written.iterdir()))
    console.print(f"wall time {wall_s:.2f} s; written: {escape(f'{written}/ ({files})')}")


# --- calibrate ----------------------------------------------------------------------------


@app.command("calibrate")
def calibrate(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Parameter file (TOML) to write; a JSON record of "
                     "the fit is written beside it.", show_default=False),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Scenario TOML whose biology is the starting point; "
                     "the built-in default if omitted.", show_default=False),
    ] = None,
    twins: Annotated[int, typer.Option("--twins", help="Twins per training patient.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the split and every simulation.")] = 2026,
    max_evaluations: Annotated[
        int, typer.Option("--max-evaluations", help="Budget of objective evaluations.")
    ] = 150,
    train_fraction: Annotated[
        float, typer.Option("--train-fraction", help="Share of GBSG2 used for training.")
    ] = 2 / 3,
    held_out_twins: Annotated[
        int, typer.Option("--held-out-twins", help="Twins per held-out patient.")
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

    Nelder-Mead with common random numbers (see tumorsim.analysis.calibration): the same
    command with the same seed writes the same parameters.
    """
    import json

    from tumorsim import __version__
    from tumorsim.analysis.calibration import (
        CLAIM_TARGETS,
        held_out_fit,
        scenario_changes,
        write_parameter_file,
    )
    from tumorsim.analysis.calibration import calibrate as fit
    from tumorsim.cohort.data import load_gbsg2
    from tumorsim.validation.registry import select_claims

    _check_at_least("--twins", twins, 1)
    _check_at_least("--max-evaluations", max_evaluations, 1)
    _check_at_least("--held-out-twins", held_out_twins, 1)
    if not 0.1 <= train_fraction <= 0.9:
        raise TumorsimError(f"--train-fraction = {train_fraction}: must be in [0.1, 0.9]")
    claim_sizes = {} if claims is None else {
        c.id: CLAIM_TARGETS[c.id]
        for c in select_claims(claims.split(","), select_claims(list(CLAIM_TARGETS)))}
    base = _load_scenario(scenario)
    base = base.with_changes(cohort={"horizon_years": max(base.cohort.horizon_years, 10.0)})
    cohort = load_gbsg2()
    err_console = Console(stderr=True)
    started = time.perf_counter()
    with _simulation_progress(err_console) as progress:
        task = progress.add_task("calibrating", total=max_evaluations, unit="evaluations")

        def step(k: int, value: float, _: dict[str, float]) -> None:
            progress.update(task, completed=min(k, max_evaluations),
                            description=f"calibrating (objective {value:.3g})")

        result = fit(base, cohort, seed=seed, twins=twins, max_evaluations=max_evaluations,
                     train_fraction=train_fraction, on_evaluation=step,
                     claim_sizes=claim_sizes)
    calibrated = base.with_changes(**scenario_changes(result.parameters))
    held = held_out_fit(calibrated, cohort, seed=seed, twins=held_out_twins,
                        train_fraction=train_fraction)
    wall_s = time.perf_counter() - started
    # the effective options, so the command reproduces the file whatever the defaults become
    command = (f"tumorsim calibrate --out {out} --seed {seed} --twins {twins} "
               f"--max-evaluations {max_evaluations} --train-fraction {train_fraction!r} "
               f"--held-out-twins {held_out_twins}"
               + (f" --claims {','.join(claim_sizes)}" if claim_sizes else "")
               + (f" --scenario {scenario}" if scenario is not None else ""))
    path = write_parameter_file(result, out, command=command, version=__version__)
    record = {
        "command": command,
        "version": __version__,
        "seed": seed,
        "twins": twins,
        "train_fraction": train_fraction,
        "parameters": result.parameters,
        "start": result.start,
        "claims": result.claim_sizes,
        "objective": result.objective,
        "evaluations": result.evaluations.to_dict(orient="records"),
        "held_out": {
            "rfs": held.rfs.to_dict(orient="records"),
            "hazard_ratios": held.hazard_ratios.to_dict(orient="records"),
            "c_index_twin": held.c_index_twin,
            "c_index_cox": held.c_index_cox,
            "k1_passed": held.passed,
        },
        "wall_seconds": wall_s,
    }
    path.with_suffix(".json").write_text(json.dumps(record, indent=2, default=float) + "\n")
    console = Console()
    table = Table(title="Calibrated parameters (training split)")
    for column in ("parameter", "start", "fitted"):
        table.add_column(column)
    for name, value in result.parameters.items():
        table.add_row(name, f"{result.start[name]:.4g}", f"{value:.4g}")
    console.print(table)
    rfs = Table(title="K1 on held-out patients: RFS (observed 95 % CI vs simulated)")
    for column in ("group", "years", "observed", "95 % CI", "simulated", "inside"):
        rfs.add_column(column)
    for row in held.rfs.itertuples():
        rfs.add_row(str(row.group), f"{row.years:g}", f"{row.survival_observed:.3f}",
                    f"{row.observed_ci_lower:.3f}-{row.observed_ci_upper:.3f}",
                    f"{row.survival_simulated:.3f}", "yes" if row.inside else "NO")
    console.print(rfs)
    hr = Table(title="K1 on held-out patients: horTh hazard ratio")
    for column in ("PR", "observed", "95 % CI", "simulated", "inside"):
        hr.add_column(column)
    for row in held.hazard_ratios.itertuples():
        hr.add_row(str(row.pr), f"{row.hr_observed:.3f}",
                   f"{row.ci_lower_observed:.3f}-{row.ci_upper_observed:.3f}",
                   f"{row.hr_simulated:.3f}", "yes" if row.inside else "NO")
    console.print(hr)
    console.print(f"c-index on held-out patients: twin risk score {held.c_index_twin:.3f}, "
                  f"Cox on training covariates {held.c_index_cox:.3f}")
    console.print(f"K1 {'passed' if held.passed else 'NOT passed'}; objective "
                  f"{result.objective:.4g} after {len(result.evaluations)} evaluations; "
                  f"{wall_s:.0f} s; wrote {path} and {path.with_suffix('.json')}")


# --- demo and report ----------------------------------------------------------------------


@app.command("validate")
def validate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for claims.json, validate.json and "
                           "claims.html.", show_default=False)
    ],
    scenario: DefaultScenarioArg = None,
    claims: Annotated[
        str | None,
        typer.Option("--claims", help="Comma-separated claim ids (e.g. M1a,K3); all if "
                     "omitted.", show_default=False),
    ] = None,
    patients: Annotated[
        int | None,
        typer.Option("--patients", help="Virtual patients per arm for every claim (not K1, "
                     "whose size is twins per woman); each claim's own size if omitted.",
                     show_default=False),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Each claim at its small 'fast' size (minutes).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Master seed of every claim.")] = 2026,
    threads: ThreadsOption = None,
) -> None:
    """Check the model against MODEL.md section 5: one scorecard of every claim.

    Runs each claim (its simulations use all threads), prints the table (claim,
    published, simulated with 95 % CI, pass or fail and by how much) and writes
    DIR/claims.json, DIR/validate.json and DIR/claims.html. The biology is SCENARIO's
    (the built-in, GBSG2-calibrated default if omitted); each claim sets its own cohort,
    exposures and treatment. Exit status 0 even when claims fail: failing claims are
    results, explained in docs/validation.md.
    """
    import sys

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from tumorsim.validation.registry import select_claims
    from tumorsim.validation.scorecard import run_claims, write_scorecard

    _check_threads(threads)
    if patients is not None:
        _check_at_least("--patients", patients, 10)
    chosen = select_claims(claims.split(",") if claims is not None else None)
    loaded = _load_scenario(scenario)
    if out.exists() and not out.is_dir():
        raise TumorsimError(f"--out = {str(out)!r}: exists and is not a directory")
    command = "tumorsim " + " ".join(sys.argv[1:]) if sys.argv[1:] else "tumorsim validate"
    err_console = Console(stderr=True)
    with Progress(TextColumn("[progress.description]{task.description}"),
                  BarColumn(bar_width=None), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console) as progress:
        overall = progress.add_task("claims", total=len(chosen))
        current = progress.add_task("", total=1)

        def on_claim(claim: Any, k: int, total: int) -> None:
            progress.update(overall, completed=k)
            progress.update(current, description=f"{claim.id} arms", completed=0, total=1)

        def advance(done: int, total: int) -> None:
            progress.update(current, completed=done, total=total)

        card = run_claims(chosen, loaded, seed=seed, fast=fast, patients=patients,
                          n_threads=threads, on_claim=on_claim, progress=advance,
                          command=command)
        progress.update(overall, completed=len(chosen))
    paths = write_scorecard(card, out)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=200)
    console.print(_scorecard_table(card))
    console.print(f"{card.passed} of {len(card.rows)} checks pass "
                  f"({card.wall_seconds:.0f} s); wrote {paths['claims']}")


def _scorecard_table(card: Any) -> Table:
    """The scorecard as a rich table."""
    table = Table(title=f"claims (seed {card.seed}{', fast' if card.fast else ''})")
    for name in ("claim", "statistic", "published", "pass rule", "simulated [95 % CI]",
                 "result", "margin"):
        table.add_column(name, justify="right" if name in ("margin",) else "left")
    for r in card.rows:
        table.add_row(r.id, r.statistic, r.published_text, r.rule,
                      f"{r.simulated:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]",
                      "[green]pass[/green]" if r.passed else "[red]FAIL[/red]",
                      f"{r.margin:+.3g}")
    return table


@app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the results and report.html.")
    ] = Path("results/demo"),
    twins: Annotated[int, typer.Option("--twins", help="Twins per GBSG2 patient.")] = 10,
    seed: Annotated[int, typer.Option(help="Master seed.")] = 2026,
    threads: ThreadsOption = None,
    claims: Annotated[
        bool, typer.Option("--claims/--no-claims",
                           help="Also run the fast scorecard of every claim (a few minutes).")
    ] = True,
) -> None:
    """The GBSG2 twin with the calibrated parameters, one what-if per mechanism, a report.

    Writes one self-contained HTML report (observed vs simulated survival, hazard ratios,
    what-if curves, the mechanism rules in use, run time and version).
    """
    import sys

    from tumorsim.demo import CLAIMS_TASK, WHAT_IFS, run_demo

    _check_at_least("--twins", twins, 1)
    _check_threads(threads)
    err_console = Console(stderr=True)
    command = "tumorsim " + " ".join(sys.argv[1:]) if sys.argv[1:] else "tumorsim demo"
    started = time.perf_counter()
    with _simulation_progress(err_console) as progress:
        tasks = {w.name: progress.add_task(w.name, total=686 * twins) for w in WHAT_IFS}
        if claims:
            tasks[CLAIMS_TASK] = progress.add_task(CLAIMS_TASK, total=None, unit="claims")

        def advance(name: str, done: int, total: int) -> None:
            progress.update(tasks[name], completed=done, total=total)

        path = run_demo(out, twins=twins, seed=seed, n_threads=threads, progress=advance,
                        command=command, claims=claims)
    Console().print(f"demo finished in {time.perf_counter() - started:.1f} s; "
                    f"report: {path}")


@app.command("report")
def report(
    directory: Annotated[
        Path, typer.Argument(help="A directory written by `tumorsim demo`.",
                             metavar="DIR", show_default=False)
    ],
) -> None:
    """Rebuild the demo's HTML report from its saved results (no simulation)."""
    from tumorsim.demo import build_report

    Console().print(f"report: {build_report(directory)}")


@app.command("sensitivity")
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario or trial TOML file.",
                                             metavar="SCENARIO", show_default=False)],
    output: Annotated[list[str], typer.Option("--output", help="Output to rank factors by "
                      "(repeat or comma-separate): rfs_at_5y, distant_lung_at_10y[@ARM], "
                      "diff:distant_lung_at_10y:ARM/REF, hr:distant_lung:ARM/REF.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write (Parquet, "
                   "JSON, PNG).", show_default=False)],
    parameters: Annotated[list[str] | None, typer.Option("--parameters", help="Factors: "
                          "names, registry groups or M1, M2, M3 (comma-separated).")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", help="'NAME=members': one "
                     "index for the group (repeatable).")] = None,
    range_: Annotated[list[str] | None, typer.Option("--range", help="'NAME=LOW:HIGH[:log|"
                      "linear]' instead of the documented range (repeatable).")] = None,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol.")] = "morris",
    samples: Annotated[int | None, typer.Option(help="Morris trajectories (default 10) or "
                       "Sobol base samples, a power of 2 (default 32).",
                       show_default=False)] = None,
    levels: Annotated[int, typer.Option(help="Morris grid levels.")] = 4,
    patients: Annotated[int | None, typer.Option(help="Virtual patients per sample (per "
                        "arm).", show_default=False)] = None,
    horizon_years: Annotated[float | None, typer.Option(help="Follow-up, years.",
                             show_default=False)] = None,
    seed: SeedOption = None,
    noise_replicates: Annotated[int, typer.Option(help="More seeds for the Monte Carlo "
                                "noise floors.")] = 2,
    noise_blocks: Annotated[int, typer.Option(help="Design blocks simulated with them.")] = 3,
    dummy: Annotated[bool, typer.Option(help="Add a factor without effect.")] = False,
    threads: ThreadsOption = None,
) -> None:
    """Rank the parameters an output hangs on: Morris screening or Sobol indices (SALib).

    Every sample uses the same cohort and seed (common random numbers); the Monte Carlo
    noise, from seeds replicated at the nominal point, is printed next to the indices.
    See docs/sensitivity.md.
    """
    import sys

    from tumorsim.analysis.sensitivity_command import run_sensitivity_command

    run_sensitivity_command(
        scenario, outputs=output, parameters=parameters, groups=group, ranges=range_,
        method=method, samples=samples, levels=levels, patients=patients,
        horizon_years=horizon_years, seed=seed, noise_replicates=noise_replicates,
        noise_blocks=noise_blocks, dummy=dummy, out=out, threads=threads,
        command="tumorsim " + " ".join(sys.argv[1:]))
