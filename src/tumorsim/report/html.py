"""A self-contained HTML report: one file, no external CSS, scripts, fonts or images.

Build it block by block, then write it::

    from tumorsim.report.html import Report
    report = Report("tumorsim vs GBSG2", subtitle="Recurrence-free survival")
    report.add_section("Observed vs simulated", "Kaplan-Meier curves per group.")
    report.add_figure(fig, "Recurrence-free survival by group.", "km-groups")
    report.add_table(summary, "Five-year survival.", "five-year")
    report.add_note("12 of 4,000 twins had a distant metastasis at diagnosis; not shown.")
    report.add_preformatted(rules_text, "Mechanisms as rules.")
    report.add_key_values({"seed": 1, "version": "0.1.0"}, "Run")
    report.write("results/report.html")

Figures are embedded as PNG ``data:`` URIs, the style sheet is inline, and a
Content-Security-Policy forbids loading anything from outside the file, so the report
reads the same offline, attached to an e-mail or years later. All text is escaped.

Every figure is ``<figure id=... data-kind="figure">`` and every table
``<table id=... data-kind="table">`` (pre-formatted blocks: ``data-kind="preformatted"``,
key-value lists: ``data-kind="key-values"``, notes: ``data-kind="note"``), so tests and
scripts can find them.
Figures and tables are numbered in order ("Figure 1.", "Table 1."); captions should
not number themselves.

The page is laid out for a window 1,280 px wide or wider: content is at most 1,120 px,
table cells and pre-formatted text wrap (cells also after ``_`` and ``/``), so nothing is
wider than the page
(``tests/test_report_browser.py`` measures it in Chromium). Column names should be words
with their units ("95 % CI lower (observed)"), not identifiers (``ci_lower_observed``).
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd
from matplotlib.figure import Figure

from tumorsim import __version__
from tumorsim.report.figures import figure_to_png_data_uri

__all__ = ["FloatFormat", "Report", "add_sensitivity_section", "format_number"]

_ID: Final[re.Pattern[str]] = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_IMAGE_DATA_URI: Final[re.Pattern[str]] = re.compile(
    r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+=*"
)
_MISSING: Final[str] = "\u2013"  # en dash for missing values

_CSP: Final[str] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Nothing may load from outside the file: images only as data URIs, inline CSS only."""

_CSS: Final[str] = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 1120px; padding: 2rem 1.5rem 3rem;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.5; color: #1b1b1b; background: #ffffff;
}
header { border-bottom: 2px solid #1b1b1b; margin-bottom: 1.5rem; padding-bottom: 0.75rem; }
h1 { font-size: 1.9rem; margin: 0 0 0.25rem; line-height: 1.2; }
.subtitle { margin: 0; color: #444; font-size: 1.1rem; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 0.75rem; border-bottom: 1px solid #ccc;
     padding-bottom: 0.2rem; }
nav ol { margin: 0.25rem 0 0; padding-left: 1.5rem; }
nav a, nav a:visited { color: #0b5394; }
p { margin: 0.6rem 0; max-width: 75ch; }
figure { margin: 1.5rem 0; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption, caption { font-size: 0.92rem; color: #333; margin-top: 0.4rem; text-align: left; }
caption { caption-side: top; margin: 0 0 0.4rem; }
.label { font-weight: 600; }
.table-wrap { overflow-x: auto; margin: 1.5rem 0; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.92rem; font-variant-numeric: tabular-nums;
        max-width: 100%; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #ddd; vertical-align: top;
         overflow-wrap: break-word; }
td.num { white-space: nowrap; }
table.full-width { width: 100%; }
thead th { border-bottom: 2px solid #999; text-align: left; background: #f4f4f4; }
tbody th { text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafafa; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.9rem 1rem; overflow-x: auto;
      font-size: 0.85rem; line-height: 1.45; margin: 0; white-space: pre-wrap;
      overflow-wrap: anywhere; }
.note { margin: 0.6rem 0 1.5rem; padding: 0.2rem 0.9rem; max-width: 75ch;
        border-left: 4px solid #e69f00; background: #fffaf0; font-size: 0.95rem; }
.note p { margin: 0.4rem 0; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1.25rem; margin: 0;
        font-size: 0.92rem; }
dl.kv dt { font-weight: 600; }
dl.kv dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
           overflow-wrap: anywhere; }
footer { margin-top: 3rem; border-top: 1px solid #ccc; padding-top: 0.5rem; color: #666;
         font-size: 0.85rem; }
"""

FloatFormat = str | Callable[[float], str] | None
"""How :meth:`Report.add_table` writes floats: a format spec (``".3f"``), a function,
or ``None`` for :func:`format_number`."""


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _breakable(text: str) -> str:
    """Escaped cell text that may break after ``_`` and ``/`` (long identifiers and file
    names such as ``act_chemotherapy_cxcr2.toml`` would otherwise widen their column)."""
    return _escape(text).replace("_", "_<wbr>").replace("/", "/<wbr>")


def _paragraphs(text: str) -> str:
    """Blank-line separated paragraphs as ``<p>`` elements (line breaks inside kept as spaces)."""
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n".join(f"<p>{_escape(p)}</p>" for p in parts if p)


def format_number(value: float) -> str:
    """Write a float for a table: readable, without scientific notation for usual sizes.

    Parameters
    ----------
    value : float

    Returns
    -------
    str
        An en dash for NaN; thousands separators and no decimals from 1,000 up
        (``"1,826"``); three significant digits below (``"12.3"``, ``"0.873"``); and
        scientific notation only below 0.001 or from 10^9 (``"2.5e-05"``).
    """
    if math.isnan(value):
        return _MISSING
    if math.isinf(value):
        return "\u221e" if value > 0 else "\u2212\u221e"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e9 or magnitude < 1e-3:
        return f"{value:.2e}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cell(value: Any, float_format: Callable[[float], str]) -> tuple[str, bool]:
    """The cell's text and whether it is numeric (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _MISSING, False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value)), True
    if isinstance(value, numbers.Real):
        return float_format(float(value)), True
    try:
        if pd.isna(value):
            return _MISSING, False
    except (TypeError, ValueError):
        pass  # arrays and other containers: shown as text
    return str(value), False


def _formatter(float_format: FloatFormat) -> Callable[[float], str]:
    """The function that writes a float for :meth:`Report.add_table`."""
    if float_format is None:
        return format_number
    if isinstance(float_format, str):
        spec = float_format

        def formatted(x: float) -> str:
            return _MISSING if math.isnan(x) else format(x, spec)

        return formatted
    return float_format


_FULL_WIDTH: Final[str] = ' class="full-width"'
_PERCENT: Final[re.Pattern[str]] = re.compile(r"\d{1,2}(\.\d+)?%")


def _colgroup(table_id: str, columns: pd.Index, widths: Mapping[Hashable, str] | None, *,
              index_levels: int) -> str:
    """A ``<colgroup>`` giving the named columns their share of the width ('' for none)."""
    if not widths:
        return ""
    bad = [w for w in widths.values() if not isinstance(w, str) or not _PERCENT.fullmatch(w)]
    if bad:
        raise ValueError(f"table {table_id!r}: column width {bad[0]!r} is not a percentage "
                         "such as '25%'")
    cols = ["<col>"] * index_levels + [
        f'<col style="width: {widths[c]}">' if c in widths else "<col>" for c in columns]
    return f"<colgroup>{''.join(cols)}</colgroup>\n"


def _header_text(label: Any) -> str:
    if isinstance(label, tuple):
        return " / ".join(str(part) for part in label if str(part))
    return str(label)


class Report:
    """A report of sections, figures, tables and text, rendered as one HTML file.

    Blocks appear in the order they are added; :meth:`add_section` starts a new section
    (listed in the contents when there are two or more).

    Parameters
    ----------
    title : str
        Page title and heading.
    subtitle : str, optional
        Line under the heading.

    Examples
    --------
    >>> report = Report("Demo")
    >>> report.add_section("Results", "Nothing yet.")
    >>> "<h2" in report.render()
    True
    """

    def __init__(self, title: str, subtitle: str | None = None) -> None:
        self.title = title
        self.subtitle = subtitle
        self._blocks: list[str] = []
        self._sections: list[tuple[str, str]] = []  # (id, heading)
        self._ids: set[str] = set()
        self._figures = 0
        self._tables = 0

    # --- ids ---------------------------------------------------------------------------------

    def _check_id(self, element_id: str, what: str) -> str:
        if not isinstance(element_id, str) or not _ID.fullmatch(element_id):
            raise ValueError(
                f"{what} id {element_id!r} is not allowed; expected a letter followed by "
                "letters, digits, '-' or '_' (e.g. 'km-groups')"
            )
        if element_id in self._ids:
            raise ValueError(f"{what} id {element_id!r} is already used in this report")
        return element_id

    def _claim_id(self, element_id: str, what: str) -> str:
        self._ids.add(self._check_id(element_id, what))
        return element_id

    def _section_id(self, heading: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "section"
        candidate, n = f"section-{slug}", 2
        while candidate in self._ids:
            candidate, n = f"section-{slug}-{n}", n + 1
        return self._claim_id(candidate, "section")

    # --- blocks ------------------------------------------------------------------------------

    def add_section(self, heading: str, text: str | None = None) -> None:
        """Start a section with a heading and optional introductory text.

        Parameters
        ----------
        heading : str
            Section heading (also its entry in the contents).
        text : str, optional
            Paragraphs, separated by blank lines.
        """
        section_id = self._section_id(heading)
        self._sections.append((section_id, heading))
        parts = [f'<h2 id="{section_id}">{_escape(heading)}</h2>']
        if text:
            parts.append(_paragraphs(text))
        self._blocks.append("\n".join(parts))

    def add_text(self, text: str) -> None:
        """Add paragraphs (separated by blank lines) to the current section.

        Parameters
        ----------
        text : str
        """
        self._blocks.append(_paragraphs(text))

    def add_figure(self, figure: Figure | str, caption: str, figure_id: str) -> None:
        """Add a figure, embedded as an image ``data:`` URI, with a numbered caption.

        Parameters
        ----------
        figure : matplotlib.figure.Figure or str
            A figure (rendered to PNG now and closed, see
            :func:`tumorsim.report.figures.figure_to_png_data_uri`) or an image data URI
            (``"data:image/png;base64,..."``). Links to files or the web are refused:
            the report must stand alone.
        caption : str
            What the figure shows; also the image's alternative text.
        figure_id : str
            Unique id of the ``<figure>`` element (letters, digits, ``-``, ``_``).

        Raises
        ------
        ValueError
            If the id is invalid or used, or ``figure`` is a string that is not an image
            data URI.
        """
        self._check_id(figure_id, "figure")
        if isinstance(figure, Figure):
            source = figure_to_png_data_uri(figure)
        elif isinstance(figure, str) and _IMAGE_DATA_URI.fullmatch(figure):
            source = figure
        else:
            shown = figure[:60] if isinstance(figure, str) else type(figure).__name__
            raise ValueError(
                f"figure {figure_id!r}: {shown!r} is not a matplotlib Figure or an image data "
                "URI; expected a Figure or 'data:image/png;base64,...'"
            )
        element_id = self._claim_id(figure_id, "figure")
        self._figures += 1
        self._blocks.append(
            f'<figure id="{element_id}" data-kind="figure">\n'
            f'<img src="{source}" alt="{_escape(caption)}">\n'
            f'<figcaption><span class="label">Figure {self._figures}.</span> '
            f"{_escape(caption)}</figcaption>\n</figure>"
        )

    def add_table(
        self,
        df: pd.DataFrame,
        caption: str,
        table_id: str,
        float_format: FloatFormat = None,
        *,
        index: bool | None = None,
        column_formats: Mapping[Hashable, FloatFormat] | None = None,
        column_widths: Mapping[Hashable, str] | None = None,
    ) -> None:
        """Add a table with a numbered caption.

        Parameters
        ----------
        df : pandas.DataFrame
            The rows to show (at least one). Multi-level column labels are joined with
            ``" / "``. Missing values are shown as an en dash.
        caption : str
            What the table shows.
        table_id : str
            Unique id of the ``<table>`` element (letters, digits, ``-``, ``_``).
        float_format : str, callable or None, default None
            How floats are written: a format spec (``".2f"``), a function of the value,
            or ``None`` for :func:`format_number`. Integers are written in full.
        index : bool, optional
            Whether to show the index as row headers; default: when it is not the
            default 0, 1, 2, ... index or it has a name.
        column_formats : mapping, optional
            A format per column label (as ``float_format``), for the columns it names;
            e.g. ``{"years": "g"}`` to write 1.0 as "1" where the rest has three
            decimals.
        column_widths : mapping, optional
            A share of the table's width per column label (``{"statistic": "25%"}``),
            for columns of long text that would otherwise be squeezed by the others.

        Raises
        ------
        ValueError
            If the id is invalid or used, the table has no rows or no columns,
            ``column_formats`` or ``column_widths`` names a column the table does not
            have, or a width is not a percentage.
        """
        self._check_id(table_id, "table")
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"table {table_id!r}: got a {type(df).__name__}, not a DataFrame")
        if df.shape[0] == 0 or df.shape[1] == 0:
            raise ValueError(
                f"table {table_id!r} has {df.shape[0]} rows and {df.shape[1]} columns; "
                "expected at least one of each"
            )
        formatter = _formatter(float_format)
        for name, mapping in (("column_formats", column_formats),
                              ("column_widths", column_widths)):
            unknown = [c for c in (mapping or {}) if c not in df.columns]
            if unknown:
                raise ValueError(f"table {table_id!r}: {name} names {unknown!r}, not "
                                 f"columns of the table ({list(df.columns)!r})")
        formatters = [_formatter(column_formats[c]) if column_formats and c in column_formats
                      else formatter for c in df.columns]
        if index is None:
            default_index = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and (
                df.index.step == 1
            )
            index = not default_index or any(name is not None for name in df.index.names)
        # Format every cell now, so a bad formatter fails here and not when writing.
        body_rows: list[str] = []
        for label, row in zip(df.index, df.itertuples(index=False, name=None), strict=True):
            cells: list[str] = []
            if index:
                labels = label if isinstance(label, tuple) else (label,)
                for part in labels:
                    cells.append(f'<th scope="row">{_breakable(_cell(part, formatter)[0])}</th>')
            for value, column_formatter in zip(row, formatters, strict=True):
                text, numeric = _cell(value, column_formatter)
                css = ' class="num"' if numeric else ""
                cells.append(f"<td{css}>{_breakable(text)}</td>")
            body_rows.append("<tr>" + "".join(cells) + "</tr>")
        header: list[str] = []
        if index:
            names = [n if n is not None else "" for n in df.index.names]
            header.extend(f'<th scope="col">{_escape(n)}</th>' for n in names)
        numeric_columns = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                           for t in df.dtypes]
        for label, numeric in zip(df.columns, numeric_columns, strict=True):
            css = ' class="num"' if numeric else ""
            header.append(f'<th scope="col"{css}>{_escape(_header_text(label))}</th>')
        columns = _colgroup(table_id, df.columns, column_widths,
                            index_levels=df.index.nlevels if index else 0)
        element_id = self._claim_id(table_id, "table")
        self._tables += 1
        self._blocks.append(
            f'<div class="table-wrap">\n<table id="{element_id}" data-kind="table"'
            f"{_FULL_WIDTH if columns else ''}>\n"
            f'<caption><span class="label">Table {self._tables}.</span> '
            f"{_escape(caption)}</caption>\n{columns}"
            f"<thead><tr>{''.join(header)}</tr></thead>\n"
            "<tbody>\n" + "\n".join(body_rows) + "\n</tbody>\n</table>\n</div>"
        )

    def add_note(self, text: str, *, block_id: str | None = None) -> None:
        """Add a highlighted note: what a figure or table leaves out, a caveat, a warning.

        Place it right after the figure or table it is about.

        Parameters
        ----------
        text : str
            Paragraphs, separated by blank lines.
        block_id : str, optional
            Unique id of the ``<aside data-kind="note">`` element.
        """
        attribute = f' id="{self._claim_id(block_id, "block")}"' if block_id else ""
        self._blocks.append(f'<aside class="note"{attribute} data-kind="note">\n'
                            f"{_paragraphs(text)}\n</aside>")

    def add_preformatted(self, text: str, caption: str, *, block_id: str | None = None) -> None:
        """Add text shown exactly as given, in a fixed-width font (e.g. mechanism rules).

        Parameters
        ----------
        text : str
            The text; whitespace and line breaks are kept.
        caption : str
            What the text is.
        block_id : str, optional
            Unique id of the ``<figure data-kind="preformatted">`` element.
        """
        attribute = f' id="{self._claim_id(block_id, "block")}"' if block_id else ""
        self._blocks.append(
            f'<figure{attribute} data-kind="preformatted">\n'
            f"<figcaption>{_escape(caption)}</figcaption>\n"
            f"<pre>{_escape(text.rstrip())}</pre>\n</figure>"
        )

    def add_key_values(
        self, values: Mapping[str, Any], caption: str, *, block_id: str | None = None
    ) -> None:
        """Add a list of names and values (run time, version, seed, command, ...).

        Parameters
        ----------
        values : mapping of str to object
            Shown in the mapping's order; values with ``str()``.
        caption : str
            What the list is.
        block_id : str, optional
            Unique id of the ``<figure data-kind="key-values">`` element.

        Raises
        ------
        ValueError
            If ``values`` is empty or the id is invalid or used.
        """
        if not values:
            raise ValueError(f"key-value list {caption!r} is empty; expected at least one entry")
        attribute = f' id="{self._claim_id(block_id, "block")}"' if block_id else ""
        items = "\n".join(
            f"<dt>{_escape(key)}</dt><dd>{_escape(value)}</dd>" for key, value in values.items()
        )
        self._blocks.append(
            f'<figure{attribute} data-kind="key-values">\n'
            f"<figcaption>{_escape(caption)}</figcaption>\n"
            f'<dl class="kv">\n{items}\n</dl>\n</figure>'
        )

    # --- output ------------------------------------------------------------------------------

    def render(self) -> str:
        """The whole report as one HTML document.

        Returns
        -------
        str
            An HTML5 document that loads nothing from outside itself.
        """
        head = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="tumorsim {_escape(__version__)}">',
            f"<title>{_escape(self.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_escape(self.title)}</h1>",
        ]
        if self.subtitle:
            head.append(f'<p class="subtitle">{_escape(self.subtitle)}</p>')
        head.append("</header>")
        if len(self._sections) >= 2:
            entries = "\n".join(
                f'<li><a href="#{sid}">{_escape(heading)}</a></li>'
                for sid, heading in self._sections
            )
            head.append(f'<nav aria-label="Contents"><strong>Contents</strong>\n'
                        f"<ol>\n{entries}\n</ol></nav>")
        tail = [
            f"<footer>Generated by tumorsim {_escape(__version__)}.</footer>",
            "</body>",
            "</html>",
            "",
        ]
        return "\n".join([*head, "<main>", *self._blocks, "</main>", *tail])

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path`` atomically.

        The document is rendered first, then written to a temporary file beside ``path``
        and moved into place with :func:`os.replace`: readers see the old file or the
        whole new one, and a failure leaves no partial or temporary file behind.

        Parameters
        ----------
        path : str or path-like
            Destination (``.html``); its directory is created if needed.

        Returns
        -------
        pathlib.Path
            The written file.
        """
        from tumorsim.io.atomic import write_text_atomic

        return write_text_atomic(path, self.render())


def add_sensitivity_section(
    report: Report,
    result: Any,
    *,
    heading: str,
    question: str,
    element_id: str,
    max_rows: int = 12,
) -> None:
    """Add a section with a sensitivity analysis: question, figure, ranked table and noise.

    Parameters
    ----------
    report : Report
        The report to extend.
    result : tumorsim.sensitivity.SensitivityResult
        A Morris or Sobol result (e.g. read back with
        :func:`tumorsim.sensitivity.load_sensitivity`).
    heading : str
        Section heading (``"M2: CXCR2 blockade with AC-T"``).
    question : str
        The what-if the outputs answer, one or more sentences.
    element_id : str
        Prefix of the figure and table ids (``"<id>-figure"``, ``"<id>-table"``).
    max_rows : int, default 12
        Most influential factors listed per output.
    """
    settings = result.settings
    summary = result.summary
    noise_text = []
    for row in summary.itertuples():
        noise_text.append(f"{row.output}: mean {format_number(row.mean)}, sd across samples "
                          f"{format_number(row.sd)}; {row.factors_above_noise} factor(s) "
                          "above their Monte Carlo noise floor (from "
                          f"{row.noise_replicates} more seeds; largest floor "
                          f"{format_number(row.max_noise_floor)}).")
    method = ("Sobol indices (first order S1 and total ST, SALib, bootstrap intervals)"
              if result.method == "sobol" else
              "Morris screening (mu*: mean absolute change over a factor's range, "
              "SALib, bootstrap intervals)")
    report.add_section(heading, f"{question}\n\n{method}; {settings.get('samples')} samples of "
                       f"{settings.get('patients')} patients each (per arm), the same cohort "
                       f"and seed {settings.get('seed')} for every sample (common random "
                       f"numbers). Command: {settings.get('command') or '(Python API)'}.\n\n"
                       + " ".join(noise_text))
    report.add_figure(result.plot(), f"{heading}: factors ranked by their "
                      f"{'total Sobol index' if result.method == 'sobol' else 'Morris mu*'} "
                      "with intervals; grey ticks mark each index's Monte Carlo noise floor",
                      f"{element_id}-figure")
    index, low, high = (("ST", "ST_low", "ST_high") if result.method == "sobol"
                        else ("mu_star", "mu_star_low", "mu_star_high"))
    shown = "ST (total index)" if result.method == "sobol" else "\u03bc* (Morris)"
    rows = result.indices[result.indices["rank"] <= max_rows]
    table = pd.DataFrame({
        "output": rows["output"].to_numpy(),
        "rank": rows["rank"].to_numpy(),
        "factor": rows["factor"].to_numpy(),
        shown: rows[index].to_numpy(float),
        "CI low": rows[low].to_numpy(float),
        "CI high": rows[high].to_numpy(float),
        "noise floor": rows["noise_floor"].to_numpy(float),
        "floor upper": rows["noise_floor_upper"].to_numpy(float),
        "above noise": ["yes" if v else "no" for v in rows["above_noise"]],
    })
    if result.method == "sobol":
        table.insert(6, "S1 (first order)", rows["S1"].to_numpy(float))
    report.add_table(table, f"{heading}: ranked factors", f"{element_id}-table",
                     float_format=".3g")
