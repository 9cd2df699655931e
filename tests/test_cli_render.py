"""Result summaries as tables, and the one renderer that prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console

from tumorsim import Scenario
from tumorsim.cli.render import render_table
from tumorsim.results import SimulationResult
from tumorsim.text_table import Cell, Column, TextTable


def _printed(table: TextTable) -> str:
    console = Console(record=True, width=200)
    console.print(render_table(table))
    return console.export_text()


def test_simulation_summary_counts_events_and_first_sites() -> None:
    patients = pd.DataFrame({
        "rfs_event": [True, True, False, False],
        "dmfs_event": [True, False, False, False],
        "os_event": [False, False, False, False],
        "first_event_days": [100.0, 300.0, np.nan, np.nan],
        "first_event_site": pd.Categorical(["bone", "breast", None, None],
                                           categories=["breast", "bone"]),
    })
    scenario = Scenario(name="arm [x]", cohort={"horizon_years": 10.0})
    result = SimulationResult(patients=patients, trajectories=None, site_environment=None,
                              scenario=scenario, seed=3)
    rows = dict(result.summary(wall_seconds=2.0).rows)
    assert rows["patients"] == "4"
    assert rows["wall time"] == "2.00 s (2 patients/s)"
    assert rows["any relapse by 10 years"] == "50.0% (2 patients)"
    assert rows["distant relapse by 10 years"] == "25.0% (1 patients)"
    assert rows["median first-event time"].startswith("200 days (0.55 years), among 2")
    assert rows["first-event site"] == "breast 1, bone 1"
    assert "wall time" not in dict(result.summary().rows)
    # a name that looks like markup is printed as it is
    assert "simulated: arm [x] (seed 3)" in _printed(result.summary())


def test_simulation_summary_names_day_0_distant_metastases() -> None:
    patients = pd.DataFrame({
        "rfs_event": [True, True, True, False],
        "dmfs_event": [True, True, False, False],
        "os_event": [False, False, False, False],
        "first_event_days": [0.0, 400.0, 0.0, np.nan],
        "first_event_site": pd.Categorical(["lung", "bone", "breast", None],
                                           categories=["breast", "bone", "lung"]),
    })
    for m0, why in ((True, "not M0 after the engine's redraw limit"),
                    (False, "synchronous metastasis")):
        scenario = Scenario(cohort={"horizon_years": 10.0, "metastasis_free_at_diagnosis": m0})
        result = SimulationResult(patients=patients, trajectories=None,
                                  site_environment=None, scenario=scenario, seed=3)
        row = dict(result.summary().rows)["distant metastasis at diagnosis"]
        # the day-0 local event (breast) is not a distant metastasis at diagnosis
        assert row.startswith("25.0% (1 patients), counted as relapse on day 0")
        assert why in row
    without = SimulationResult(patients=patients.iloc[1:], trajectories=None,
                               site_environment=None, scenario=Scenario(), seed=3)
    assert "distant metastasis at diagnosis" not in dict(without.summary().rows)


def test_renderer_keeps_sections_marks_and_literal_text() -> None:
    table = TextTable("t", (Column("name", key=True), Column("value", "right")),
                      (("a", "[red]1[/red]"), ("b", Cell("2*", "changed")), ("c", "3")),
                      frozenset({2}), caption="* set by the scenario")
    rich_table = render_table(table)
    assert [row.end_section for row in rich_table.rows] == [False, True, False]
    text = _printed(table)
    assert "[red]1[/red]" in text and "2*" in text and "* set by the scenario" in text
