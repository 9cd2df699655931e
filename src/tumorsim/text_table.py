"""Tables of text that result objects return and the command line renders.

A :class:`TextTable` is plain data: a title, columns, rows of already formatted cells,
the rows where a new section starts, and a caption. The objects that own the numbers build
them (``SimulationResult.summary()``, ``TrialResult.summary()``, the calibration's tables,
the parameter registry's tables); one renderer, :func:`tumorsim.cli.render.render_table`,
turns any of them into a terminal table. Nothing here formats numbers or knows rich.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["Cell", "Column", "TextTable"]

Mark = Literal["changed", "pass", "fail"]
"""What a marked cell says: a value set by the scenario, a check passed, a check failed."""


@dataclass(frozen=True)
class Column:
    """One column: its header, alignment, whether it may wrap, whether it names the row."""

    header: str
    justify: Literal["left", "right", "center"] = "left"
    no_wrap: bool = False
    key: bool = False


@dataclass(frozen=True)
class Cell:
    """A cell that carries a mark (rendered e.g. in colour) besides its text."""

    text: str
    mark: Mark


@dataclass(frozen=True)
class TextTable:
    """A titled table of formatted text.

    Attributes
    ----------
    title : str
    columns : tuple of Column
    rows : tuple of tuple of (str or Cell)
        One tuple per row, one cell per column.
    section_starts : frozenset of int
        Indexes of rows that begin a new section (a rule is drawn above them).
    caption : str, optional
    show_header : bool, default True
        False for a two-column ``what, value`` summary.
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str | Cell, ...], ...] = ()
    section_starts: frozenset[int] = frozenset()
    caption: str | None = None
    show_header: bool = True

    @classmethod
    def summary(cls, title: str, rows: list[tuple[str, str]]) -> TextTable:
        """A ``what, value`` table without header (the summary of a run)."""
        return cls(title, (Column("what", no_wrap=True, key=True), Column("value")),
                   tuple(rows), show_header=False)

    def with_rows(self, *rows: tuple[str | Cell, ...]) -> TextTable:
        """The table with ``rows`` appended."""
        return replace(self, rows=self.rows + tuple(rows))

