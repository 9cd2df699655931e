"""The typer application and its one error handler."""

from __future__ import annotations

from typing import Annotated, Any, Final

import typer
from typer.core import TyperGroup

from tumorsim.errors import TumorsimError

__all__ = ["ERROR_EXIT_CODE", "app", "main"]

ERROR_EXIT_CODE: Final[int] = 2
"""Exit status for bad input (also the status of usage errors)."""


class _TumorsimGroup(TyperGroup):
    """Runs a subcommand; turns a ``TumorsimError`` into one line on stderr and exit 2.

    Parsing the subcommand's options happens here too, so the checks of option values
    (:mod:`tumorsim.cli.options`) report through the same line.
    """

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


def _print_version(value: bool) -> None:
    if value:
        from tumorsim import __version__

        typer.echo(f"tumorsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Simulate breast-cancer treatment resistance and metastasis in virtual patients."""


def main() -> None:
    """Run the command line (the ``tumorsim`` script and ``python -m tumorsim``)."""
    app(prog_name="tumorsim")
