"""The ``tumorsim`` command line: thin wrappers over the public API.

Adding a command
----------------
Write a function decorated with ``@app.command()``; take a scenario path with the
``ScenarioArg`` / ``OptionalScenarioArg`` annotations and load it with
:func:`_load_scenario`. Import heavy modules (engine, analysis) inside the command so that
``tumorsim --help`` and ``validate-scenario`` stay fast. Raise
:class:`tumorsim.errors.TumorsimError` (or a subclass) for bad input: the group class
below catches it for every command, prints ``error: <one line>`` to stderr and exits
with status 2, without a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from tumorsim.errors import TumorsimError
from tumorsim.model.scenario import Scenario

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
        metavar="[SCENARIO]",
    ),
]


def _load_scenario(path: Path | None) -> Scenario:
    """The scenario in ``path``, or the model defaults for ``None``."""
    from tumorsim.io.scenario_file import load_scenario

    return Scenario.model_validate({}) if path is None else load_scenario(path)


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

    table = _new_table("Site attributes", "site.attribute")
    for i, site in enumerate(SITES):
        if i:
            table.add_section()
        spec = scenario.sites.get(site)  # type: ignore[call-overload]
        for attr in SITE_ATTRIBUTES:
            tag, source = SITE_SOURCES[site][attr.name]
            overridden = spec is not None and getattr(spec, attr.name) is not None
            table.add_row(
                f"{site}.{attr.name}",
                _value_text(scenario.site_value(site, attr.name), overridden),
                attr.unit,
                _range_text(attr.low, attr.high, attr.low_exclusive),
                tag,
                source,
            )
    return table


def _clone_table(scenario: Scenario) -> Table:
    from tumorsim.model.anatomy import CLONES
    from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_SOURCES

    table = _new_table("Clone attributes", "clone.attribute")
    for i, clone in enumerate(CLONES):
        if i:
            table.add_section()
        spec = scenario.clones.get(clone)  # type: ignore[call-overload]
        for attr in CLONE_ATTRIBUTES:
            tag, source = CLONE_SOURCES[clone][attr.name]
            overridden = spec is not None and getattr(spec, attr.name) is not None
            table.add_row(
                f"{clone}.{attr.name}",
                _value_text(scenario.clone_value(clone, attr.name), overridden),
                attr.unit,
                _range_text(attr.low, attr.high),
                tag,
                source,
            )
    return table
