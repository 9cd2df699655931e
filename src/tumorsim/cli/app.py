"""The typer application and its one error handler."""

from __future__ import annotations

from typing import Annotated, Any, Final

import typer
from typer.core import TyperGroup

from tumorsim.errors import TumorsimError

__all__ = ["ERROR_EXIT_CODE", "app", "main"]

ERROR_EXIT_CODE: Final[int] = 2
"""Exit status for bad input (also the status of usage errors)."""


_USAGE_ERROR: Final[type[Exception]] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
"""Click's usage error as the installed typer raises it (its own copy of click since
typer 0.23, click's before)."""


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
        except _USAGE_ERROR as exc:
            # an option of the wrong type, an unknown option, a missing argument: one line
            # naming the command, what was given and what is allowed (click's own text)
            where = getattr(exc, "ctx", None) or ctx
            command = where.command_path
            message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
            given = _given_value(exc)
            if given is not None:
                message += f" (given {given!r})"
            typer.echo(f"error: {command}: {message} (see '{command} --help')", err=True)
            raise typer.Exit(ERROR_EXIT_CODE) from None


def _given_value(exc: BaseException) -> object | None:
    """The value a bad option was given, where the parser's error carries it (typer
    validates option types with pydantic, whose error holds the input)."""
    errors = getattr(exc.__cause__, "errors", None)
    if callable(errors):
        try:
            return errors()[0].get("input")
        except (IndexError, AttributeError, TypeError):
            return None
    return None


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
