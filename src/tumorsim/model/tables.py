"""The parameter registry as tables: every value a scenario uses, its unit, range and source.

What ``tumorsim params`` prints: scalar parameters, then site and clone attributes, each
row with the scenario's value (marked where the scenario sets it), unit, allowed range,
source tag and source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from tumorsim.model.anatomy import CLONES, SITES
from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_SOURCES
from tumorsim.model.parameters import PARAMETER_SPECS
from tumorsim.model.scenario import Scenario
from tumorsim.model.sites import SITE_ATTRIBUTES, SITE_SOURCES
from tumorsim.text_table import Cell, Column, TextTable

__all__ = ["CHANGED_MARK", "parameter_tables"]

CHANGED_MARK: Final[str] = "*"
"""Follows a value the scenario sets (rather than the registry default)."""


def parameter_tables(scenario: Scenario, title: str) -> tuple[TextTable, TextTable, TextTable]:
    """Scalar parameters, site attributes and clone attributes of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    title : str
        Names the scenario in the first table's title.
    """
    rows: list[tuple[str | Cell, ...]] = []
    section_starts: set[int] = set()
    group = None
    for spec in PARAMETER_SPECS:
        if group is not None and spec.group != group:
            section_starts.add(len(rows))
        group = spec.group
        rows.append((spec.name,
                     _value_text(scenario.parameter(spec.name), spec.name in scenario.parameters),
                     spec.unit, _range_text(spec.low, spec.high), spec.source_tag, spec.source))
    parameters = _registry_table(f"Scalar parameters — {title}", "name", rows, section_starts)
    sites = _attribute_table("Site attributes", "site.attribute", SITES, SITE_ATTRIBUTES,
                             SITE_SOURCES, scenario.sites, scenario.site_value)
    clones = _attribute_table("Clone attributes", "clone.attribute", CLONES, CLONE_ATTRIBUTES,
                              CLONE_SOURCES, scenario.clones, scenario.clone_value)
    return parameters, sites, clones


def _value_text(value: float, changed: bool) -> str | Cell:
    text = f"{value:g}"
    return Cell(f"{text}{CHANGED_MARK}", "changed") if changed else text


def _range_text(low: float, high: float, low_exclusive: bool = False) -> str:
    return f"{'(' if low_exclusive else '['}{low:g}, {high:g}]"


def _registry_table(title: str, first: str, rows: Sequence[tuple[str | Cell, ...]],
                    section_starts: set[int]) -> TextTable:
    columns = (Column(first, no_wrap=True, key=True), Column("value", "right", no_wrap=True),
               Column("unit", no_wrap=True), Column("range", no_wrap=True),
               Column("tag", "center"), Column("source"))
    return TextTable(title, columns, tuple(rows), frozenset(section_starts),
                     caption=f"{CHANGED_MARK} set by the scenario")


def _attribute_table(
    title: str,
    header: str,
    names: tuple[str, ...],
    attributes: tuple[Any, ...],
    sources: Mapping[str, Mapping[str, tuple[str, str]]],
    overrides: Mapping[Any, Any],
    value: Callable[[Any, str], float],
) -> TextTable:
    """One row per (site or clone, attribute), one section per site or clone."""
    rows: list[tuple[str | Cell, ...]] = []
    section_starts: set[int] = set()
    for i, name in enumerate(names):
        if i:
            section_starts.add(len(rows))
        spec = overrides.get(name)
        for attr in attributes:
            tag, source = sources[name][attr.name]
            changed = spec is not None and getattr(spec, attr.name) is not None
            rows.append((f"{name}.{attr.name}", _value_text(value(name, attr.name), changed),
                         attr.unit,
                         _range_text(attr.low, attr.high, getattr(attr, "low_exclusive", False)),
                         tag, source))
    return _registry_table(title, header, rows, section_starts)
