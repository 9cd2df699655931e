"""The ``tumorsim`` command line: thin wrappers over the public API.

Adding a command
----------------
Write a function decorated with ``@app.command()``; take a scenario path with the
``ScenarioArg`` / ``OptionalScenarioArg`` (model defaults when omitted) /
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

    from tumorsim.results import SimulationResult

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
OptionalScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario TOML file; model defaults if omitted.",
        show_default=False,
        metavar="SCENARIO",
    ),
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


def _load_scenario(path: Path | None, *, builtin_default: bool = False) -> Scenario:
    """The scenario in ``path``; for ``None`` the built-in default scenario if
    ``builtin_default``, else the model defaults."""
    from tumorsim.io.scenario_file import load_default_scenario, load_scenario

    if path is not None:
        return load_scenario(path)
    return load_default_scenario() if builtin_default else Scenario.model_validate({})


# --- commands ----------------------------------------------------------------------------------


@app.command("validate-scenario")
def validate_scenario(scenario: ScenarioArg) -> None:
    """Check a scenario file (and the files it extends); print "ok: <name>"."""
    loaded = _load_scenario(scenario)
    typer.echo(f"ok: {loaded.name}")


@app.command("params")
def params(scenario: OptionalScenarioArg = None) -> None:
    """List every parameter with its value, unit, allowed range and source.

    Values set by the scenario are marked with '*'.
    """
    loaded = _load_scenario(scenario)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped to a file or pager: keep each row on one line instead of 80 columns.
        console = Console(width=240)
    title = f"scenario: {loaded.name}" + (f" ({scenario})" if scenario else " (defaults)")
    console.print(_parameter_table(loaded, title))
    console.print(_site_table(loaded))
    console.print(_clone_table(loaded))


@app.command("rules")
def rules(scenario: DefaultScenarioArg = None) -> None:
    """Print the model's mechanisms as sentences, with the scenario's values and sources."""
    from tumorsim.model.rules import format_rules, rules_for

    typer.echo(format_rules(rules_for(_load_scenario(scenario, builtin_default=True))), nl=False)


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
    seed: Annotated[
        int | None,
        typer.Option(help="Master seed (default: the scenario's cohort.seed).", show_default=False),
    ] = None,
    trajectories: Annotated[
        int | None,
        typer.Option(
            help="Patients whose trajectories are recorded "
            "(default: the scenario's cohort.trajectory_patients).",
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            help="CPU threads (default: all). Results do not depend on it.", show_default=False
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            help="Patients per engine call (default: min(20000, max(1000, N/20))). "
            "Results do not depend on it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Simulate a virtual cohort and write the results to a directory of Parquet files.

    Options override the scenario's cohort values; the scenario written with the
    results records the values used, so a run can be repeated from its output.
    """
    from rich.markup import escape

    from tumorsim.io.results_file import check_results_dir

    loaded = _with_cohort_options(
        _load_scenario(scenario, builtin_default=True),
        patients=patients,
        seed=seed,
        trajectory_patients=trajectories,
    )
    _check_at_least("--threads", threads, 1)
    _check_at_least("--chunk-size", chunk_size, 1)
    check_results_dir(out)  # fail before a long simulation, not after it

    import numba

    from tumorsim.engine.simulate import simulate as run_simulation
    from tumorsim.io.results_file import save_results

    max_threads = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    if threads is not None and threads > max_threads:
        raise TumorsimError(
            f"--threads = {threads}: must be <= {max_threads} (the threads numba may use; "
            "set NUMBA_NUM_THREADS to allow more)"
        )
    n = loaded.cohort.patients
    chunk = chunk_size if chunk_size is not None else min(20_000, max(1_000, n // 20))
    err_console = Console(stderr=True)
    with _simulation_progress(err_console) as progress:
        task = progress.add_task(f"simulating {escape(loaded.name)}", total=n)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        started = time.perf_counter()
        result = run_simulation(loaded, chunk_size=chunk, n_threads=threads, progress=advance)
        wall_s = time.perf_counter() - started
    written = save_results(result, out)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    _print_summary(console, result, wall_s, written)


# --- simulate helpers ----------------------------------------------------------------------------

_OPTION_OF_COHORT_FIELD = {
    "patients": "--patients",
    "seed": "--seed",
    "trajectory_patients": "--trajectories",
}


def _check_at_least(option: str, value: int | None, low: int) -> None:
    if value is not None and value < low:
        raise TumorsimError(f"{option} = {value}: must be >= {low}")


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
    """A rich progress bar: patients done / total, patients per second, elapsed, remaining."""
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
            shown = f"{task.completed / elapsed:,.0f}" if elapsed and task.completed else "-"
            return Text(f"{shown} patients/s", style="progress.data.speed")

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


def _print_summary(
    console: Console, result: SimulationResult, wall_s: float, written: Path
) -> None:
    """Patients, speed, event fractions, median first-event time, first sites, files."""
    from rich.markup import escape

    patients = result.patients
    n = len(patients)
    table = Table(
        title=f"simulated: {escape(result.scenario.name)} (seed {result.seed})",
        title_justify="left",
        show_header=False,
    )
    table.add_column("what", style="cyan", no_wrap=True)
    table.add_column("value")
    horizon = result.scenario.cohort.horizon_years
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
