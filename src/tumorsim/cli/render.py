"""Output: the one table renderer, the console, the progress bar.

Result objects build :class:`~tumorsim.text_table.TextTable` s; :func:`print_tables` is
the only place they become terminal tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tumorsim.text_table import Cell, TextTable

if TYPE_CHECKING:
    from rich.progress import Progress, Task, TaskID

__all__ = ["echo", "print_tables", "progress_bar", "progress_callback", "render_table",
           "stdout_console", "task_description", "written_text"]

_MARK_STYLES: Final[dict[str, str]] = {"changed": "bold yellow", "pass": "green",
                                        "fail": "red"}
_KEY_STYLE: Final[str] = "cyan"
_PIPED_WIDTH: Final[int] = 240
"""Console width when stdout is a file or pipe: one line per row rather than 80 columns."""


def render_table(table: TextTable) -> Table:
    """A rich table of a :class:`TextTable` (cell text is shown as it is, never markup)."""
    out = Table(
        title=Text(table.title, style="table.title"),
        title_justify="left",
        caption=Text(table.caption, style="table.caption") if table.caption else None,
        caption_justify="left",
        show_header=table.show_header,
    )
    for column in table.columns:
        out.add_column(column.header, justify=column.justify, no_wrap=column.no_wrap,
                       style=_KEY_STYLE if column.key else None)
    for k, row in enumerate(table.rows):
        if k in table.section_starts:
            out.add_section()
        out.add_row(*(_cell(cell) for cell in row))
    return out


def _cell(cell: str | Cell) -> Text:
    if isinstance(cell, Cell):
        return Text(cell.text, style=_MARK_STYLES[cell.mark])
    return Text(cell)


def stdout_console() -> Console:
    """The console for results: the terminal's width, or wide when piped."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=_PIPED_WIDTH)
    return console


def print_tables(*tables: TextTable) -> None:
    """Print tables to stdout, one after another."""
    console = stdout_console()
    for table in tables:
        console.print(render_table(table))


def echo(*lines: str) -> None:
    """Print lines of plain text to stdout (no markup: paths and names show as they are)."""
    console = stdout_console()
    for line in lines:
        console.print(line, markup=False)


def written_text(directory: Path) -> str:
    """``<directory>/ (file, file, ...)``: what a command wrote."""
    return f"{directory}/ ({', '.join(sorted(p.name for p in directory.iterdir()))})"


def progress_bar() -> Progress:
    """A rich progress bar on stderr: items done / total, items per second, elapsed, eta.

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

    class ItemsPerSecond(ProgressColumn):
        def __init__(self) -> None:
            super().__init__(table_column=Column(no_wrap=True))

        def render(self, task: Task) -> Text:
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
        ItemsPerSecond(),
        TimeElapsedColumn(),
        TextColumn("eta", table_column=Column(no_wrap=True)),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def progress_callback(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    """``progress(done, total)`` for the library's runs, moving ``task`` of the bar."""

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return advance


def task_description(text: str) -> str:
    """A progress task's description showing ``text`` as it is (names may hold ``[``)."""
    from rich.markup import escape

    return escape(text)
