"""Commands that read a scenario and print or export it: validate-scenario, params, rules,
sbml. None of them simulates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tumorsim.cli.options import (
    DefaultScenarioArg,
    ScenarioArg,
    SeedOption,
    at_least,
    load_scenario,
    out_option,
)
from tumorsim.cli.render import print_tables
from tumorsim.errors import TumorsimError


def validate_scenario(scenario: ScenarioArg) -> None:
    """Check a scenario file (and the files it extends); print "ok: <name>"."""
    typer.echo(f"ok: {load_scenario(scenario, trial_ok=True).name}")


def params(scenario: DefaultScenarioArg = None) -> None:
    """List every parameter with its value, unit, allowed range and source.

    Values set by the scenario are marked with '*'.
    """
    from tumorsim.model.tables import parameter_tables

    loaded = load_scenario(scenario, trial_ok=True)
    title = f"scenario: {loaded.name}" + (f" ({scenario})" if scenario else " (built-in)")
    print_tables(*parameter_tables(loaded, title))


def rules(
    scenario: DefaultScenarioArg = None,
    format_: Annotated[
        str,
        typer.Option("--format", help="'text' (sentences) or 'physicell' (PhysiCell cell "
                     "rules CSV v3 and a settings fragment, written to --out)."),
    ] = "text",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory for the PhysiCell files "
                     "(--format physicell).", show_default=False),
    ] = None,
) -> None:
    """Print the model's mechanisms as sentences, with the scenario's values and sources.

    With --format physicell, write them as PhysiCell cell rules instead (cell_rules.csv,
    PhysiCell_settings_fragment.xml), each row with the law it states.
    """
    from tumorsim.model.rules import format_rules, rules_for

    if format_ not in ("text", "physicell"):
        raise TumorsimError(f"--format: {format_!r} given; allowed: 'text' or 'physicell'")
    if format_ == "text":
        if out is not None:
            raise TumorsimError("--out: given with --format text; allowed: only with "
                                "--format physicell")
        typer.echo(format_rules(rules_for(load_scenario(scenario, trial_ok=True))), nl=False)
        return
    if out is None:
        raise TumorsimError("--out: missing; --format physicell needs a directory to write")
    from tumorsim.export.physicell import write_physicell

    for path in write_physicell(load_scenario(scenario, trial_ok=True), out):
        typer.echo(f"written: {path}")


def sbml(
    out: Annotated[Path, out_option("SBML file to write.")],
    scenario: DefaultScenarioArg = None,
    patient: Annotated[
        int, typer.Option(help="Which patient of the scenario's sampled cohort.",
                          callback=at_least(0))
    ] = 0,
    seed: SeedOption = None,
) -> None:
    """Write one virtual patient's deterministic model as SBML (libRoadRunner, COPASI...).

    The file is the ODE system of numerics.mode = "deterministic" with the scenario's
    treatment plan as events; tests/test_sbml.py checks libRoadRunner against tumorsim.
    """
    from tumorsim.export.sbml import write_sbml
    from tumorsim.io.output_dir import check_output_file

    check_output_file(out)
    path = write_sbml(load_scenario(scenario), out, patient=patient, seed=seed)
    typer.echo(f"wrote {path}: patient {patient} of the cohort, SBML Level 3 Version 2")
