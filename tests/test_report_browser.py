"""A report opens in a real browser (headless Chromium) with its figures and tables.

Needs Debian's ``chromium`` (``apt-get update && apt-get install -y chromium``; ``.ci/run``
installs it). Without it the test fails, saying so: a report nobody checked in a browser
is not tested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tumorsim.report.browser import (
    ChromiumNotFoundError,
    decode_image_data_uri,
    dump_dom,
    find_chromium,
    parse_report_dom,
    png_size,
    screenshot,
)
from tumorsim.report.figures import SIMULATED_COLOR, km_comparison_figure, survival_curves_figure
from tumorsim.report.html import Report

DAYS_PER_YEAR = 365.25


def exponential_cohort(rng: np.random.Generator, n: int, hazards: dict[str, float], column: str):
    """Exponential event times (hazard per year) per group, censored at 5 years (days)."""
    frames = []
    for group, hazard in hazards.items():
        event_days = rng.exponential(DAYS_PER_YEAR / hazard, n)
        censor_days = np.full(n, 5 * DAYS_PER_YEAR)
        frames.append(
            pd.DataFrame(
                {
                    column: group,
                    "rfs_days": np.minimum(event_days, censor_days),
                    "rfs_event": event_days <= censor_days,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def require_chromium() -> Path:
    """Chromium's path; fails the calling test (never skips it) when there is none."""
    try:
        return find_chromium()
    except ChromiumNotFoundError as exc:
        message = f"the browser test needs Chromium: {exc}"
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    hazards = {"PR-": 0.15, "PR+": 0.08}
    observed = exponential_cohort(rng, 80, hazards, "group")
    simulated = exponential_cohort(rng, 400, hazards, "group")
    arms = exponential_cohort(rng, 300, {"control": 0.12, "treated": 0.06}, "arm")

    report = Report("Browser check <&>", subtitle="Two figures, two tables")
    report.add_section("Observed vs simulated", "Kaplan-Meier curves with 95 % bands.")
    report.add_figure(
        km_comparison_figure(observed, simulated, group_column="group", title="RFS"),
        "Recurrence-free survival by PR status.",
        "km-comparison",
    )
    report.add_table(
        observed.groupby("group").agg(patients=("rfs_days", "size"), events=("rfs_event", "sum")),
        "Observed patients and events per group.",
        "observed-counts",
    )
    report.add_section("What if?")
    report.add_figure(
        survival_curves_figure(
            arms, duration_column="rfs_days", event_column="rfs_event", title="Treated vs control"
        ),
        "Recurrence-free survival per arm.",
        "arms",
    )
    report.add_table(
        pd.DataFrame({"arm": ["control", "treated"], "hazard_per_year": [0.12, 0.06]}),
        "Hazards used to draw the synthetic arms.",
        "arm-hazards",
    )
    report.add_key_values({"seed": 0, "command": "pytest tests/test_report_browser.py"}, "Run")
    return report.write(tmp_path_factory.mktemp("report") / "report.html")


def test_screenshot_shows_the_report(report_file: Path, tmp_path: Path):
    import matplotlib.image

    require_chromium()
    png = screenshot(report_file, tmp_path / "shot.png", width=1280, height=3000)
    assert png.is_file()
    pixels = matplotlib.image.imread(png)[..., :3]  # floats in [0, 1], drop alpha
    assert pixels.shape[:2] == (3000, 1280)
    assert float(pixels.var()) > 0.0, "the screenshot is a single colour"
    assert not np.all(pixels > 0.99), "the screenshot is all white"
    # The simulated curves' colour appears only inside the figures: they were rendered.
    target = np.array([int(SIMULATED_COLOR[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    near = np.all(np.abs(pixels - target) < 0.08, axis=-1)
    assert near.sum() > 500, f"only {near.sum()} pixels of the simulated colour: figures missing?"


def test_rendered_dom_has_images_and_table_rows(report_file: Path):
    require_chromium()
    dom = parse_report_dom(dump_dom(report_file))
    assert [f.id for f in dom.figures] == ["km-comparison", "arms"]
    assert [t.id for t in dom.tables] == ["observed-counts", "arm-hazards"]
    for figure in dom.figures:
        assert figure.image_sources, f"figure {figure.id!r} has no <img>"
        for source in figure.image_sources:
            assert source.startswith("data:image/png;base64,") and len(source) > 100
            width, height = png_size(decode_image_data_uri(source))
            assert width > 100 and height > 100, (figure.id, width, height)
    for table in dom.tables:
        assert table.body_rows, f"table {table.id!r} has no <tbody> rows"
        for row in table.body_rows:
            assert row and all(cell.strip() for cell in row), (table.id, row)
    counts = dom.tables[0].body_rows
    assert [row[:2] for row in counts] == [("PR+", "80"), ("PR-", "80")]
    assert all(row[2].isdigit() and 0 < int(row[2]) < 80 for row in counts)
