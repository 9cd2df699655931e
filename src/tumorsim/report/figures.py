"""Figures for the report: Kaplan-Meier comparisons, what-if curves and forest plots.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas: no
display, no pyplot state, safe in scripts, tests and worker processes. Turn a figure
into an ``<img>`` source with :func:`figure_to_png_data_uri`::

    from tumorsim.report.figures import km_comparison_figure, figure_to_png_data_uri
    fig = km_comparison_figure(gbsg2, simulated, group_column="group")
    uri = figure_to_png_data_uri(fig)      # "data:image/png;base64,..."

Durations are in days (as in tumorsim's tables and GBSG2's ``rfs`` column); the time
axis is drawn in ``time_unit``. Survival curves are Kaplan-Meier estimates from
:func:`tumorsim.analysis.survival.kaplan_meier` with their pointwise 95 % confidence
band (lifelines' exponential Greenwood interval), drawn as a shaded region, and a table
of the numbers at risk under the axes (:func:`numbers_at_risk`, at the axis ticks; the
table's axes are labelled :data:`AT_RISK_LABEL`). A ``footnote`` under a survival figure
says what the curves leave out (e.g. women with a distant metastasis at diagnosis).

Bad input (a missing column, a non-binary event column, an unknown group or source)
raises :class:`tumorsim.errors.AnalysisError` with a one-line message.
"""

from __future__ import annotations

import base64
import io
import json
import math
import sys
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from tumorsim.analysis.survival import kaplan_meier
from tumorsim.errors import AnalysisError

__all__ = [
    "ARM_COLORS",
    "AT_RISK_LABEL",
    "at_risk_tables",
    "OBSERVED_COLOR",
    "SIMULATED_COLOR",
    "TimeUnit",
    "figure_to_png_data_uri",
    "hazard_ratio_figure",
    "km_comparison_figure",
    "numbers_at_risk",
    "survival_curves_figure",
    "survival_fan_figure",
]

TimeUnit = Literal["days", "weeks", "months", "years"]
"""Unit of a figure's time axis (durations in the data are always days)."""

_DAYS_PER_UNIT: Final[dict[str, float]] = {
    "days": 1.0,
    "weeks": 7.0,
    "months": 365.25 / 12.0,
    "years": 365.25,
}

OBSERVED_COLOR: Final[str] = "#222222"
"""Colour of observed (real-patient) curves and markers: near-black."""

SIMULATED_COLOR: Final[str] = "#D55E00"
"""Colour of simulated curves and markers: Okabe-Ito vermillion."""

ARM_COLORS: Final[tuple[str, ...]] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)
"""Colours of trial arms, in order (Okabe-Ito palette, readable with colour blindness)."""

_ENDPOINT_NAMES: Final[dict[str, str]] = {
    "rfs": "Recurrence-free survival",
    "dmfs": "Distant-metastasis-free survival",
    "os": "Overall survival",
}

AT_RISK_LABEL: Final[str] = "numbers at risk"
"""``Axes.get_label()`` of the axes holding a survival figure's numbers-at-risk table, and
the keyword of the PNG text chunk in which :func:`figure_to_png_data_uri` repeats them."""

_ARM_LINESTYLES: Final[tuple[str, ...]] = ("-", "--", "-.", ":")
"""Line styles of arms, in order, so that curves lying on each other stay visible."""

_AT_RISK_ROW_INCHES: Final[float] = 0.22
_AT_RISK_TITLE_INCHES: Final[float] = 0.3
_AT_RISK_LABEL_PAD: Final[float] = 22.0  # points
_FOOTNOTE_COLOR: Final[str] = "#444444"
_BAND_ALPHA: Final[float] = 0.18
_SOURCES: Final[tuple[str, str]] = ("observed", "simulated")
_HR_TICKS: Final[tuple[float, ...]] = (
    0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0
)


# --- helpers -------------------------------------------------------------------------------------


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot, no display)."""
    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _days_per(time_unit: str) -> float:
    try:
        return _DAYS_PER_UNIT[time_unit]
    except KeyError:
        raise AnalysisError(
            f"time_unit = {time_unit!r} is not a known unit", ", ".join(_DAYS_PER_UNIT)
        ) from None


def _endpoint_ylabel(duration_column: str) -> str:
    """``"Recurrence-free survival probability"`` for ``rfs_days``; generic otherwise."""
    prefix = duration_column.split("_", 1)[0].lower()
    return f"{_ENDPOINT_NAMES.get(prefix, 'Survival')} probability"


def _require(df: pd.DataFrame, what: str, *columns: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise AnalysisError(f"{what} is a {type(df).__name__}", "a pandas DataFrame")
    for column in columns:
        if column not in df.columns:
            shown = ", ".join(str(c) for c in list(df.columns)[:12])
            raise AnalysisError(f"column {column!r} not in the {what} table", f"one of {shown}")


def _curve_label(name: str, rows: pd.DataFrame, event_column: str) -> str:
    n = len(rows)
    events = int(rows[event_column].astype(bool).sum())
    return f"{name} (n = {n:,}, {events:,} events)"


def _draw_curve(
    ax: Axes,
    curve: pd.DataFrame,
    *,
    days_per_unit: float,
    color: str,
    linestyle: str,
) -> tuple[Patch, Line2D]:
    """Draw one Kaplan-Meier step curve and its band; return the legend handle parts."""
    t = curve["time"].to_numpy(dtype=float) / days_per_unit
    s = curve["survival"].to_numpy(dtype=float)
    lower = curve["ci_lower"].to_numpy(dtype=float)
    upper = curve["ci_upper"].to_numpy(dtype=float)
    ax.fill_between(t, lower, upper, step="post", color=color, alpha=_BAND_ALPHA, linewidth=0)
    (line,) = ax.step(t, s, where="post", color=color, linestyle=linestyle, linewidth=1.8)
    # The legend shows the band and the line overlaid, through a proxy patch.
    patch = Patch(facecolor=color, alpha=_BAND_ALPHA, edgecolor="none")
    return patch, line


def _style_survival_axes(
    ax: Axes, *, max_time: float, time_unit: str, ylabel: str | None, xlabel: bool
) -> None:
    ax.set_xlim(0.0, max_time)
    ax.set_ylim(0.0, 1.02)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if xlabel:
        ax.set_xlabel(f"Time since diagnosis ({time_unit})")
    if ylabel:
        ax.set_ylabel(ylabel)


def _legend(ax: Axes, handles: Sequence[tuple[Patch, Line2D]], labels: Sequence[str]) -> None:
    if handles:
        ax.legend(
            list(handles),
            list(labels),
            handler_map={tuple: HandlerTuple(ndivide=1)},
            loc="lower left",
            fontsize="small",
            framealpha=0.9,
        )


def _max_duration(df: pd.DataFrame, duration_column: str) -> float:
    values = df[duration_column].to_numpy(dtype=float)
    return float(np.nanmax(values)) if values.size else 0.0


# --- numbers at risk -----------------------------------------------------------------------------


def numbers_at_risk(durations: np.ndarray, times: Sequence[float]) -> np.ndarray:
    """How many patients are still followed at each time: no event and not censored before.

    Parameters
    ----------
    durations : numpy.ndarray
        Time to event or censoring of every patient, in the unit of ``times``.
    times : sequence of float
        Where to count (a figure's x ticks).

    Returns
    -------
    numpy.ndarray of int
        For each time ``t`` the number of durations ``>= t`` (the count at the start of
        the period, as in the KMunicate proposals and lifelines' ``event_table``).
    """
    ordered = np.sort(np.asarray(durations, dtype=float))
    below = np.searchsorted(ordered, np.asarray(times, dtype=float), side="left")
    return (ordered.size - below).astype(int)


def _at_risk_inches(rows: int) -> float:
    """Height of a numbers-at-risk table with ``rows`` rows."""
    return _AT_RISK_TITLE_INCHES + _AT_RISK_ROW_INCHES * rows


def _visible_ticks(ax: Axes) -> list[float]:
    low, high = ax.get_xlim()
    return [float(t) for t in ax.get_xticks() if low - 1e-9 <= t <= high + 1e-9]


def _draw_at_risk(
    table: Axes,
    rows: Sequence[tuple[str, str, np.ndarray]],
    *,
    ticks: Sequence[float],
    days_per_unit: float,
) -> None:
    """Fill ``table`` (an axes sharing x with the curves) with one row of counts per curve.

    ``rows`` holds ``(label, colour, durations in days)`` per curve, top to bottom.
    """
    table.set_label(AT_RISK_LABEL)
    for i, (_, color, durations) in enumerate(rows):
        counts = numbers_at_risk(np.asarray(durations, dtype=float) / days_per_unit, ticks)
        for t, count in zip(ticks, counts, strict=True):
            table.text(t, i, f"{count:,}", ha="center", va="center", fontsize="small",
                       color=color)
    table.set_ylim(len(rows) - 0.5, -0.5)
    table.set_yticks(range(len(rows)), [label for label, _, _ in rows], fontsize="small")
    for tick_label, (_, color, _) in zip(table.get_yticklabels(), rows, strict=True):
        tick_label.set_color(color)
    # the first count is centred on the left edge: keep the row labels clear of it
    table.tick_params(axis="both", length=0, labelbottom=False)
    table.tick_params(axis="y", pad=_AT_RISK_LABEL_PAD)
    for spine in table.spines.values():
        spine.set_visible(False)
    table.set_title("Number at risk", loc="left", fontsize="small")


def at_risk_tables(fig: Figure) -> list[dict[str, Any]]:
    """The numbers-at-risk tables drawn in a figure, read back from its text artists.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    list of dict
        One ``{"times": [...], "rows": {label: [count, ...]}}`` per table (axes labelled
        :data:`AT_RISK_LABEL`), in axes order; times in the figure's time unit.
    """
    tables = []
    for ax in fig.axes:
        if ax.get_label() != AT_RISK_LABEL:
            continue
        labels = [t.get_text() for t in ax.get_yticklabels()]
        cells = sorted((float(t.get_position()[1]), float(t.get_position()[0]),
                         int(t.get_text().replace(",", ""))) for t in ax.texts)
        times = sorted({x for _, x, _ in cells})
        rows = {label: [c for y, _, c in cells if round(y) == i]
                for i, label in enumerate(labels)}
        tables.append({"times": times, "rows": rows})
    return tables


def _add_footnote(fig: Figure, footnote: str | None) -> None:
    """A line of small text under the whole figure (kept in the layout)."""
    if footnote:
        fig.supxlabel(footnote, fontsize="small", color=_FOOTNOTE_COLOR)


# --- observed vs simulated -----------------------------------------------------------------------


def km_comparison_figure(
    observed: pd.DataFrame,
    simulated: pd.DataFrame,
    *,
    group_column: str,
    duration_column: str = "rfs_days",
    event_column: str = "rfs_event",
    group_order: Sequence[Hashable] | None = None,
    group_labels: Mapping[Hashable, str] | None = None,
    time_unit: TimeUnit = "years",
    max_time: float | None = None,
    title: str | None = None,
    observed_label: str = "Observed",
    simulated_label: str = "Simulated",
    ncols: int = 2,
    at_risk: bool = True,
    footnote: str | None = None,
) -> Figure:
    """Observed and simulated Kaplan-Meier curves side by side, one panel per group.

    Each panel shows the observed curve (near-black, solid) and the simulated curve
    (vermillion, dashed), each with its shaded pointwise 95 % confidence band; the
    legend gives the number of patients and events behind each curve.

    Parameters
    ----------
    observed : pandas.DataFrame
        Real patients (e.g. GBSG2), one row per patient.
    simulated : pandas.DataFrame
        Virtual patients, one row per patient, with the same three columns.
    group_column : str
        Column whose values define the panels (e.g. a hormone-therapy × PR status
        label). Its values must be equal in both tables for the same group.
    duration_column : str, default "rfs_days"
        Time to event or censoring, in days.
    event_column : str, default "rfs_event"
        Event flag (true / 1 = event observed, false / 0 = censored).
    group_order : sequence, optional
        Groups to draw, in panel order (left to right, top to bottom). Default: the
        observed groups in sorted order, then groups found only in ``simulated``.
    group_labels : mapping, optional
        Panel titles per group; default ``str(group)``.
    time_unit : {"years", "months", "weeks", "days"}, default "years"
        Unit of the time axis.
    max_time : float, optional
        Right end of the time axis, in ``time_unit``. Default: the longest observed
        follow-up, since the simulation beyond it has nothing to be compared with.
    title : str, optional
        Figure title.
    observed_label, simulated_label : str
        Legend names of the two sources (e.g. ``"Observed (GBSG2)"``).
    ncols : int, default 2
        Panels per row.
    at_risk : bool, default True
        Under each panel, the numbers at risk of each source at the axis ticks.
    footnote : str, optional
        A line under the figure (what the curves leave out, and why).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per group (``len(group_order)`` axes, in order), each with the observed
        and the simulated curve as its first two lines when that source has patients in
        the group; then, with ``at_risk``, one numbers-at-risk axes per group (label
        :data:`AT_RISK_LABEL`).

    Raises
    ------
    tumorsim.errors.AnalysisError
        If a column is missing or invalid, or a group in ``group_order`` has no patients
        in either table.
    """
    _require(observed, "observed", group_column, duration_column, event_column)
    _require(simulated, "simulated", group_column, duration_column, event_column)
    days_per_unit = _days_per(time_unit)
    if ncols < 1:
        raise AnalysisError(f"ncols = {ncols!r}", "a positive number of panels per row")
    curves = {
        "observed": kaplan_meier(observed, duration_column, event_column, by=group_column),
        "simulated": kaplan_meier(simulated, duration_column, event_column, by=group_column),
    }
    tables = {"observed": observed, "simulated": simulated}
    if group_order is None:
        found_observed = sorted(pd.unique(observed[group_column].dropna()).tolist(), key=str)
        found_simulated = sorted(pd.unique(simulated[group_column].dropna()).tolist(), key=str)
        groups: list[Hashable] = list(dict.fromkeys([*found_observed, *found_simulated]))
    else:
        groups = list(group_order)
    if not groups:
        raise AnalysisError(f"column {group_column!r} has no groups", "at least one group")
    for group in groups:
        if not any((tables[s][group_column] == group).any() for s in _SOURCES):
            raise AnalysisError(
                f"group {group!r} of column {group_column!r} has no patients in either table",
                "groups present in the observed or simulated table",
            )
    if max_time is None:
        max_time = _max_duration(observed, duration_column) / days_per_unit
    if not (math.isfinite(max_time) and max_time > 0):
        raise AnalysisError(f"max_time = {max_time!r}", f"a positive time in {time_unit}")

    ncols = min(ncols, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    table_inches = _at_risk_inches(len(_SOURCES)) if at_risk else 0.0
    fig = _new_figure(5.6 * ncols, (4.2 + table_inches) * nrows + (0.4 if title else 0.0)
                      + (0.3 if footnote else 0.0))
    grid = (fig.add_gridspec(2 * nrows, ncols, height_ratios=[4.2, table_inches] * nrows)
            if at_risk else fig.add_gridspec(nrows, ncols))
    panels: list[tuple[Axes, list[tuple[str, str, np.ndarray]]]] = []
    ylabel = _endpoint_ylabel(duration_column)
    styles = {
        "observed": (OBSERVED_COLOR, "-", observed_label),
        "simulated": (SIMULATED_COLOR, "--", simulated_label),
    }
    for i, group in enumerate(groups):
        row, col = divmod(i, ncols)
        ax = fig.add_subplot(grid[2 * row if at_risk else row, col])
        handles: list[tuple[Patch, Line2D]] = []
        labels: list[str] = []
        missing: list[str] = []
        risk_rows: list[tuple[str, str, np.ndarray]] = []
        for source in _SOURCES:
            color, linestyle, name = styles[source]
            table = tables[source]
            rows = table[table[group_column] == group]
            if rows.empty:
                missing.append(name.lower())
                continue
            curve = curves[source][curves[source]["group"] == group]
            handles.append(
                _draw_curve(
                    ax, curve, days_per_unit=days_per_unit, color=color, linestyle=linestyle
                )
            )
            labels.append(_curve_label(name, rows, event_column))
            risk_rows.append((name, color, rows[duration_column].to_numpy(dtype=float)))
        if missing:
            ax.text(
                0.98,
                0.98,
                f"no {' or '.join(missing)} patients",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize="small",
                color="#555555",
            )
        below_is_empty = (row + 1) * ncols + col >= len(groups)
        _style_survival_axes(
            ax,
            max_time=max_time,
            time_unit=time_unit,
            ylabel=ylabel if col == 0 else None,
            xlabel=below_is_empty or at_risk,
        )
        panel = group_labels.get(group, str(group)) if group_labels else str(group)
        ax.set_title(panel, fontsize="medium")
        _legend(ax, handles, labels)
        panels.append((ax, risk_rows))
    if at_risk:
        for i, (ax, risk_rows) in enumerate(panels):
            row, col = divmod(i, ncols)
            table = fig.add_subplot(grid[2 * row + 1, col], sharex=ax)
            _draw_at_risk(table, risk_rows, ticks=_visible_ticks(ax),
                          days_per_unit=days_per_unit)
    if title:
        fig.suptitle(title)
    _add_footnote(fig, footnote)
    return fig


# --- arms of a what-if comparison ----------------------------------------------------------------


def survival_curves_figure(
    df: pd.DataFrame,
    *,
    arm_column: str = "arm",
    duration_column: str,
    event_column: str,
    title: str,
    arm_order: Sequence[Hashable] | None = None,
    arm_labels: Mapping[Hashable, str] | None = None,
    time_unit: TimeUnit = "years",
    max_time: float | None = None,
    ylabel: str | None = None,
    at_risk: bool = True,
    annotation: str | None = None,
    footnote: str | None = None,
) -> Figure:
    """Kaplan-Meier curves of every arm on one axes, each with its 95 % band.

    Arms differ in colour and line style (solid, dashed, dash-dotted, dotted), so that
    an arm lying on another stays visible.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient and arm.
    arm_column : str, default "arm"
        Column naming each row's arm.
    duration_column : str
        Time to event or censoring, in days (e.g. ``"dmfs_days"``).
    event_column : str
        Event flag (true / 1 = event observed, false / 0 = censored).
    title : str
        Axes title (the question the comparison asks).
    arm_order : sequence, optional
        Arms to draw, in legend order; default: sorted arm values. Colours follow
        :data:`ARM_COLORS` in this order.
    arm_labels : mapping, optional
        Legend names per arm; default ``str(arm)``.
    time_unit : {"years", "months", "weeks", "days"}, default "years"
        Unit of the time axis.
    max_time : float, optional
        Right end of the time axis, in ``time_unit``; default the longest duration.
    ylabel : str, optional
        Y-axis label; default from the endpoint (``"Overall survival probability"`` for
        ``os_days``).
    at_risk : bool, default True
        Under the axes, the numbers at risk of each arm at the axis ticks.
    annotation : str, optional
        Text in a box in the axes' upper right corner (e.g. the effect size with its
        interval); line breaks are kept.
    footnote : str, optional
        A line under the figure (what the curves leave out, and why).

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one line per arm (in ``arm_order``); then, with ``at_risk``, the
        numbers-at-risk axes (label :data:`AT_RISK_LABEL`).

    Raises
    ------
    tumorsim.errors.AnalysisError
        If a column is missing or invalid, or an arm in ``arm_order`` has no rows.
    """
    _require(df, "patients", arm_column, duration_column, event_column)
    days_per_unit = _days_per(time_unit)
    curves = kaplan_meier(df, duration_column, event_column, by=arm_column)
    if arm_order is None:
        arms: list[Hashable] = sorted(pd.unique(df[arm_column].dropna()).tolist(), key=str)
    else:
        arms = list(arm_order)
    for arm in arms:
        if not (df[arm_column] == arm).any():
            present = ", ".join(str(a) for a in pd.unique(df[arm_column].dropna()))
            raise AnalysisError(f"arm {arm!r} has no rows in column {arm_column!r}", present)
    if not arms:
        raise AnalysisError(f"column {arm_column!r} has no arms", "at least one arm")
    if max_time is None:
        max_time = _max_duration(df, duration_column) / days_per_unit
    if not (math.isfinite(max_time) and max_time > 0):
        raise AnalysisError(f"max_time = {max_time!r}", f"a positive time in {time_unit}")

    table_inches = _at_risk_inches(len(arms)) if at_risk else 0.0
    fig = _new_figure(7.5, 5.0 + table_inches + (0.3 if footnote else 0.0))
    grid = fig.add_gridspec(2, 1, height_ratios=[5.0, table_inches]) if at_risk else None
    ax = fig.add_subplot(grid[0, 0]) if grid is not None else fig.add_subplot()
    handles: list[tuple[Patch, Line2D]] = []
    labels: list[str] = []
    risk_rows: list[tuple[str, str, np.ndarray]] = []
    for i, arm in enumerate(arms):
        color = ARM_COLORS[i % len(ARM_COLORS)]
        rows = df[df[arm_column] == arm]
        curve = curves[curves["group"] == arm]
        handles.append(_draw_curve(ax, curve, days_per_unit=days_per_unit, color=color,
                                   linestyle=_ARM_LINESTYLES[i % len(_ARM_LINESTYLES)]))
        name = arm_labels.get(arm, str(arm)) if arm_labels else str(arm)
        labels.append(_curve_label(name, rows, event_column))
        risk_rows.append((name, color, rows[duration_column].to_numpy(dtype=float)))
    _style_survival_axes(
        ax,
        max_time=max_time,
        time_unit=time_unit,
        ylabel=ylabel or _endpoint_ylabel(duration_column),
        xlabel=True,
    )
    ax.set_title(title, fontsize="medium")
    _legend(ax, handles, labels)
    if annotation:
        ax.text(0.98, 0.97, annotation, transform=ax.transAxes, ha="right", va="top",
                multialignment="left", fontsize="small", linespacing=1.4,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "white",
                      "edgecolor": "#bbbbbb", "alpha": 0.95})
    if grid is not None:
        _draw_at_risk(fig.add_subplot(grid[1, 0], sharex=ax), risk_rows,
                      ticks=_visible_ticks(ax), days_per_unit=days_per_unit)
    _add_footnote(fig, footnote)
    return fig


# --- fan of survival over parameter draws -------------------------------------------------------


def survival_fan_figure(fan: pd.DataFrame, *, title: str, ylabel: str,
                        max_time_years: float, at_risk_days: np.ndarray | None = None,
                        footnote: str | None = None) -> Figure:
    """The mean survival curve over parameter draws with its two 95 % bands.

    Parameters
    ----------
    fan : pandas.DataFrame
        :func:`tumorsim.analysis.ensemble.survival_fan`: ``time_days``, ``survival``,
        ``total_low``/``total_high`` (parameters and Monte Carlo noise), ``mc_low``/
        ``mc_high`` (Monte Carlo noise alone), ``parameter_share``.
    title, ylabel : str
    max_time_years : float
        Right end of the time axis.
    at_risk_days : ndarray, optional
        The patients' times to event (days), for the numbers at risk under the axes.
    footnote : str, optional
        A line under the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The wide (light) band is the total interval, the narrow (dark) one the Monte Carlo
        part; their difference is what the parameters add.
    """
    _require(fan, "fan", "time_days", "survival", "total_low", "total_high", "mc_low",
             "mc_high")
    table_inches = _at_risk_inches(1) if at_risk_days is not None else 0.0
    fig = _new_figure(7.5, 5.0 + table_inches + (0.3 if footnote else 0.0))
    grid = (fig.add_gridspec(2, 1, height_ratios=[5.0, table_inches])
            if at_risk_days is not None else None)
    ax = fig.add_subplot(grid[0, 0]) if grid is not None else fig.add_subplot()
    years = fan["time_days"].to_numpy(float) / _days_per("years")
    color = ARM_COLORS[0]
    total = ax.fill_between(years, fan["total_low"], fan["total_high"], color=color,
                            alpha=0.18, linewidth=0, step="post")
    mc = ax.fill_between(years, fan["mc_low"], fan["mc_high"], color=color, alpha=0.45,
                         linewidth=0, step="post")
    (line,) = ax.step(years, fan["survival"], where="post", color=color, linewidth=1.6)
    _style_survival_axes(ax, max_time=max_time_years, time_unit="years", ylabel=ylabel,
                         xlabel=True)
    ax.set_title(title, fontsize="medium")
    ax.legend([line, mc, total], ["mean over parameter draws",
                                  "95 % interval, Monte Carlo noise only",
                                  "95 % interval, parameters and Monte Carlo noise"],
              loc="lower left", fontsize="small", frameon=False)
    if grid is not None and at_risk_days is not None:
        _draw_at_risk(fig.add_subplot(grid[1, 0], sharex=ax),
                      [("twins", color, np.asarray(at_risk_days, float))],
                      ticks=_visible_ticks(ax), days_per_unit=_days_per("years"))
    _add_footnote(fig, footnote)
    return fig


# --- forest plot ---------------------------------------------------------------------------------


def _format_hr(hr: float, lower: float, upper: float) -> str:
    if math.isfinite(lower) and math.isfinite(upper):
        return f"{hr:.2f} ({lower:.2f}\u2013{upper:.2f})"
    return f"{hr:.2f}"


def hazard_ratio_figure(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Hazard ratio (95 % CI, log scale)",
) -> Figure:
    """Forest plot of hazard ratios, observed and simulated side by side per comparison.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per comparison and source, with columns ``label`` (the comparison, e.g.
        ``"tamoxifen vs none, PR+"``), ``hr`` (> 0), ``ci_lower`` and ``ci_upper`` (the
        95 % interval; NaN to draw the point alone) and ``source`` (``"observed"`` or
        ``"simulated"``). Comparisons are drawn top to bottom in order of first
        appearance; within one, observed above simulated.
    title : str, optional
        Axes title.
    xlabel : str, default "Hazard ratio (95 % CI, log scale)"
        X-axis label.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; y tick labels are the comparisons, x is logarithmic with a dashed
        reference line at HR = 1, and each estimate is written out at the right. The
        legend (observed, simulated) is the figure's, below the axes.

    Raises
    ------
    tumorsim.errors.AnalysisError
        If a column is missing, a ratio or bound is not positive, an interval does not
        contain its estimate, a source is unknown or a (label, source) pair repeats.
    """
    _require(table, "hazard-ratio", "label", "hr", "ci_lower", "ci_upper", "source")
    if table.empty:
        raise AnalysisError("the hazard-ratio table has no rows", "one row per comparison")
    data = table[["label", "hr", "ci_lower", "ci_upper", "source"]].copy()
    data["label"] = data["label"].astype(str)
    unknown = sorted(set(data["source"].astype(str)) - set(_SOURCES))
    if unknown:
        raise AnalysisError(f"column 'source' has {unknown}", "'observed' or 'simulated'")
    data["source"] = data["source"].astype(str)
    if data.duplicated(["label", "source"]).any():
        dup = data.loc[data.duplicated(["label", "source"]), ["label", "source"]].iloc[0]
        raise AnalysisError(
            f"label {dup['label']!r} has more than one {dup['source']} row",
            "one row per label and source",
        )
    try:
        hr = data["hr"].to_numpy(dtype=float)
        lower = data["ci_lower"].to_numpy(dtype=float)
        upper = data["ci_upper"].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError("hr, ci_lower or ci_upper is not numeric", "numbers") from None
    if not np.all(np.isfinite(hr) & (hr > 0)):
        raise AnalysisError("column 'hr' has values that are not positive", "hazard ratios > 0")
    has_ci = np.isfinite(lower) & np.isfinite(upper)
    bad_ci = has_ci & ((lower <= 0) | (lower > hr * (1 + 1e-9)) | (upper < hr * (1 - 1e-9)))
    if bad_ci.any():
        i = int(np.flatnonzero(bad_ci)[0])
        raise AnalysisError(
            f"label {data['label'].iloc[i]!r} ({data['source'].iloc[i]}): interval "
            f"[{lower[i]:g}, {upper[i]:g}] does not contain hr = {hr[i]:g}",
            "0 < ci_lower <= hr <= ci_upper",
        )

    comparisons = list(dict.fromkeys(data["label"]))
    fig = _new_figure(8.0, 1.3 + 0.6 * len(comparisons) + (0.3 if title else 0.0))
    ax = fig.add_subplot()
    styles: dict[str, dict[str, Any]] = {
        "observed": {"color": OBSERVED_COLOR, "marker": "s", "label": "Observed"},
        "simulated": {"color": SIMULATED_COLOR, "marker": "o", "label": "Simulated"},
    }
    offsets = {"observed": 0.16, "simulated": -0.16}
    both = {
        label: set(data.loc[data["label"] == label, "source"]) == set(_SOURCES)
        for label in comparisons
    }
    drawn: set[str] = set()
    for source in _SOURCES:
        mask = (data["source"] == source).to_numpy()
        if not mask.any():
            continue
        ys = np.array(
            [
                -comparisons.index(label) + (offsets[source] if both[label] else 0.0)
                for label in data.loc[mask, "label"]
            ]
        )
        h, lo, hi = hr[mask], lower[mask], upper[mask]
        xerr = np.vstack([np.where(np.isfinite(lo), h - lo, 0.0),
                          np.where(np.isfinite(hi), hi - h, 0.0)])
        style = styles[source]
        ax.errorbar(
            h,
            ys,
            xerr=xerr,
            fmt=style["marker"],
            color=style["color"],
            ecolor=style["color"],
            elinewidth=1.6,
            capsize=3,
            markersize=6,
            label=style["label"],
        )
        drawn.add(source)
        for x, y, a, b in zip(h, ys, lo, hi, strict=True):
            ax.annotate(
                _format_hr(float(x), float(a), float(b)),
                xy=(1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
                color=style["color"],
            )
    ax.axvline(1.0, color="#777777", linestyle="--", linewidth=1.0, zorder=0)
    ax.set_xscale("log")
    finite = np.concatenate([hr, lower[has_ci], upper[has_ci]])
    left, right = float(finite.min()), float(finite.max())
    left, right = min(left, 1.0) / 1.25, max(right, 1.0) * 1.25
    ax.set_xlim(left, right)
    ticks = [t for t in _HR_TICKS if left <= t <= right]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([-i for i in range(len(comparisons))], comparisons)
    ax.set_ylim(-len(comparisons) + 0.5, 0.5)
    ax.set_xlabel(xlabel)
    ax.grid(True, axis="x", which="both", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


# --- embedding -----------------------------------------------------------------------------------


def figure_to_png_data_uri(fig: Figure, *, dpi: int = 110) -> str:
    """Render a figure as a base64 PNG ``data:`` URI and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Any figure, from this module or from pyplot.
    dpi : int, default 110
        Resolution; the PNG is ``figsize × dpi`` pixels (cropped to its content).

    Returns
    -------
    str
        ``"data:image/png;base64,..."``, ready for an ``<img src>``.

    Notes
    -----
    A figure with numbers-at-risk tables carries them in the PNG as well, as JSON in a
    text chunk named :data:`AT_RISK_LABEL` (see :func:`at_risk_tables`), so that a test
    can read what a report's figure shows without reading its pixels.

    Closing removes a pyplot-managed figure from pyplot's registry so that reports with
    many figures do not leak memory; figures from this module are not registered there
    and are freed when no longer referenced.
    """
    buffer = io.BytesIO()
    tables = at_risk_tables(fig)
    metadata = {AT_RISK_LABEL: json.dumps(tables)} if tables else {}
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata=metadata)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/png;base64,{encoded}"
