"""The ``tumorsim`` command line: parse, call the public API, render. Nothing else.

Layout
------
- :mod:`~tumorsim.cli.app`: the typer app and its one error handler (a
  :class:`~tumorsim.errors.TumorsimError` becomes ``error: <one line>`` on stderr, exit 2);
- :mod:`~tumorsim.cli.options`: the shared arguments and options, each declared once, and
  the checks of their values;
- :mod:`~tumorsim.cli.render`: the one table renderer, the console, the progress bar;
- one module per family of commands (``*_commands.py``); the table below registers them.

Adding a command
----------------
1. Write a function in a ``*_commands.py`` module (or a new one): typed parameters with
   the shared annotations of :mod:`tumorsim.cli.options` (``DefaultScenarioArg``,
   ``SeedOption``, ``ThreadsOption``, ``out_option(...)``, ``callback=at_least(1)`` for
   counts), a docstring (its first line is the command's help).
2. In its body: load the scenario with ``load_scenario``, call the library, print what
   the result returns (``print_tables(result.summary())``, ``echo(...)``). Import the
   engine, pandas and the analysis inside the body, so that ``tumorsim --help`` stays
   fast (it must not load numba). Raise ``TumorsimError`` for bad input.
3. Add one line to ``_COMMANDS`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tumorsim.cli import (
    check_commands,
    demo_commands,
    run_commands,
    scenario_commands,
    sensitivity_commands,
)
from tumorsim.cli.app import ERROR_EXIT_CODE, app, main

__all__ = ["ERROR_EXIT_CODE", "app", "main"]

_COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("validate-scenario", scenario_commands.validate_scenario),
    ("params", scenario_commands.params),
    ("rules", scenario_commands.rules),
    ("sbml", scenario_commands.sbml),
    ("simulate", run_commands.simulate),
    ("twin", run_commands.twin),
    ("trial", run_commands.trial),
    ("calibrate", check_commands.calibrate),
    ("calibrate-posterior", check_commands.calibrate_posterior),
    ("validate", check_commands.validate),
    ("sensitivity", sensitivity_commands.sensitivity),
    ("demo", demo_commands.demo),
    ("report", demo_commands.report),
)
"""Every command, in the order ``tumorsim --help`` lists them."""

for _name, _function in _COMMANDS:
    app.command(_name)(_function)
