"""A report opens in a real browser (headless Chromium) with its figures and tables, and
the demo's report reads right at 1,280 px: no table wider than the page, column names in
words, numbers at risk under every survival curve (of M0 women only), and what-ifs with
their effect, its interval and their caveats.

Needs Debian's ``chromium`` (``apt-get update && apt-get install -y chromium``; ``.ci/run``
installs it). Without it the test fails, saying so: a report nobody checked in a browser
is not tested.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from demo_helpers import small_demo

from tumorsim.demo import REPORT, WHAT_IFS
from tumorsim.report.browser import (
    ChromiumNotFoundError,
    decode_image_data_uri,
    dump_dom,
    find_chromium,
    measure_layout,
    parse_report_dom,
    png_size,
    png_text,
    screenshot,
)
from tumorsim.report.figures import (
    AT_RISK_LABEL,
    SIMULATED_COLOR,
    km_comparison_figure,
    survival_curves_figure,
)
from tumorsim.report.html import Report

DAYS_PER_YEAR = 365.25
WINDOW_PX = 1280
DISTANT_SITES = ("bone", "lung", "liver", "brain")
SURVIVAL_FIGURES = ("km-groups", "whatif-m1-m2", "whatif-m3")
DEMO_TABLES = {"hr-table", "k1-rfs", "k1-hr", "calibrated-parameters", "whatif-table",
               "uncertainty-table", "claims-table"}
IDENTIFIER = re.compile(r"[A-Za-z0-9]+(_[A-Za-z0-9]+)+")  # ci_lower_observed, hr_simulated


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


# --- the demo's report at 1,280 px ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_demo(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def demo_dom(demo_dir: Path) -> str:
    require_chromium()
    return dump_dom(demo_dir / REPORT, width=WINDOW_PX)


def day0_distant(twins: pd.DataFrame) -> np.ndarray:
    """Twins whose first event is a distant site on day 0 (counted here independently)."""
    return ((twins["first_event_days"] == 0) & twins["first_event_site"].isin(DISTANT_SITES)
            ).to_numpy()


def plain(text: str) -> str:
    """Cell text with no-break spaces and word joiners made ordinary."""
    return text.replace("\u00a0", " ").replace("\u2060", "")


def test_no_table_is_wider_than_the_page_at_1280_px(demo_dir: Path):
    require_chromium()
    layout = measure_layout(demo_dir / REPORT, width=WINDOW_PX)
    assert layout.viewport_width == WINDOW_PX
    tables = {box.id for box in layout.of_kind("table")}
    assert DEMO_TABLES <= tables, f"tables not measured: {DEMO_TABLES - tables}"
    too_wide = layout.overflowing()
    assert not too_wide, "wider than the page at 1,280 px:\n" + "\n".join(too_wide)


def test_the_width_check_catches_a_table_wider_than_the_page(tmp_path: Path):
    require_chromium()
    report = Report("Too wide")
    report.add_table(pd.DataFrame({"sequence": ["ACGT" * 150], "n": [1]}), "One long word.",
                     "wide")
    layout = measure_layout(report.write(tmp_path / "wide.html"), width=WINDOW_PX)
    (line,) = layout.overflowing()
    assert line.startswith("table wide: ")


def test_column_names_are_words_and_years_are_whole(demo_dom: str):
    dom = parse_report_dom(demo_dom)
    tables = {t.id: t for t in dom.tables}
    for table in tables.values():
        assert table.header, table.id
        raw = [h for h in table.header if IDENTIFIER.search(h)]
        assert not raw, f"table {table.id}: identifiers as column names: {raw}"
    k1 = tables["k1-rfs"]
    years = k1.header.index("years")
    assert {row[years] for row in k1.body_rows} == {"1", "3", "5"}
    assert "1 years" not in demo_dom
    calibration = tables["calibrated-parameters"]
    assert {"unit", "allowed range"} <= set(calibration.header)
    unit = calibration.header.index("unit")
    assert all(row[unit] for row in calibration.body_rows)


def test_every_survival_figure_has_numbers_at_risk_of_m0_twins(demo_dir: Path, demo_dom: str):
    figures = {f.id: f for f in parse_report_dom(demo_dom).figures}
    at_risk = {}
    for figure_id in SURVIVAL_FIGURES:
        texts = png_text(decode_image_data_uri(figures[figure_id].image_sources[0]))
        assert AT_RISK_LABEL in texts, f"figure {figure_id} has no numbers at risk"
        at_risk[figure_id] = json.loads(texts[AT_RISK_LABEL])
    patients = pd.read_parquet(demo_dir / WHAT_IFS[0].slug / "patients.parquet")
    twins = {w.name: pd.read_parquet(demo_dir / w.slug / "twins.parquet") for w in WHAT_IFS}
    panels = at_risk["km-groups"]
    assert len(panels) == 4
    assert sum(p["rows"]["Observed"][0] for p in panels) == len(patients)
    as_recorded = twins[WHAT_IFS[0].name]
    day0 = int(day0_distant(as_recorded).sum())
    assert day0 > 0, "the small demo should have day-0 relapses to leave out"
    assert sum(p["rows"]["Simulated"][0] for p in panels) == len(as_recorded) - day0
    for figure_id, arms in (("whatif-m1-m2", WHAT_IFS[:3]), ("whatif-m3", WHAT_IFS[3:])):
        (table,) = at_risk[figure_id]
        assert list(table["rows"]) == [w.name for w in arms]
        for w in arms:
            kept = len(twins[w.name]) - int(day0_distant(twins[w.name]).sum())
            assert table["rows"][w.name][0] == kept, (figure_id, w.name)


def blocks_after(dom: str, figure_id: str) -> str:
    """The DOM from the end of a figure to the next figure or table."""
    start = dom.index("</figure>", dom.index(f'id="{figure_id}"'))
    ends = [i for i in (dom.find('data-kind="figure"', start + 1),
                        dom.find('data-kind="table"', start + 1)) if i > 0]
    return dom[start:min(ends)] if ends else dom[start:]


def test_left_out_twins_are_counted_beside_each_survival_figure(demo_dir: Path, demo_dom: str):
    as_recorded = pd.read_parquet(demo_dir / WHAT_IFS[0].slug / "twins.parquet")
    day0 = int(day0_distant(as_recorded).sum())
    for figure_id in SURVIVAL_FIGURES:
        after = blocks_after(demo_dom, figure_id)
        assert 'data-kind="note"' in after, f"no note beside {figure_id}"
        assert "relapse on day 0" in after and "M0" in after, figure_id
    assert f"as recorded {day0:,} of {len(as_recorded):,}" in blocks_after(demo_dom, "km-groups")


def test_what_ifs_show_an_effect_with_its_interval_and_their_caveats(demo_dom: str):
    tables = {t.id: t for t in parse_report_dom(demo_dom).tables}
    table = tables["whatif-table"]
    arm = table.header.index("arm")
    effect = next(i for i, h in enumerate(table.header) if h.startswith("hazard ratio"))
    assert "95 % CI" in table.header[effect]
    rows = {row[arm]: plain(row[effect]) for row in table.body_rows}
    for what_if in WHAT_IFS:
        if what_if.reference is None:
            continue
        found = re.fullmatch(r"(\d+\.\d+) \((\d+\.\d+)\u2013(\d+\.\d+)\)", rows[what_if.name])
        assert found, f"{what_if.name}: no hazard ratio with an interval in {rows[what_if.name]!r}"
        hr, low, high = (float(x) for x in found.groups())
        assert 0 < low < high and low <= hr <= high, what_if.name
    m1_m2 = blocks_after(demo_dom, "whatif-m1-m2")
    assert "Caveat (CMF + CXCR2 inhibitor)" in m1_m2
    assert "removed at surgery" in m1_m2 and "niche" in m1_m2
    assert "Caveat (arsenic 10 ug/L)" in m1_m2
    m3 = blocks_after(demo_dom, "whatif-m3")
    assert "Caveat (cisplatin + DRP1/NRF2 inhibitors)" in m3
    assert "failing check" in m1_m2 and "failing check" in m3  # the scorecard's word on them


def test_the_demo_carries_the_ensemble_intervals(demo_dom: str):
    """Issue 15: what-if effects and the twins' survival carry intervals over parameter
    draws, with the share due to the parameters; claims say in how many draws they hold."""
    dom = parse_report_dom(demo_dom)
    tables = {t.id: t for t in dom.tables}
    whatif = tables["whatif-table"]
    arm = whatif.header.index("arm")
    diff = next(i for i, h in enumerate(whatif.header) if h.startswith("RFS at 10 years"))
    for row in whatif.body_rows:
        if row[arm] == WHAT_IFS[0].name:
            continue
        found = re.fullmatch(r"([+-]\d+\.\d) \[([+-]\d+\.\d), ([+-]\d+\.\d)\] points "
                             r"\(parameters (\d+) %\)", plain(row[diff]))
        assert found, f"{row[arm]}: no difference with an interval in {row[diff]!r}"
        mean, low, high, share = (float(x) for x in found.groups())
        assert low <= mean <= high and 0 <= share <= 100, row[arm]
    fan = tables["uncertainty-table"]
    assert "share of the variance from parameters" in fan.header
    total = fan.header.index("95 % interval, total")
    mc = fan.header.index("95 % interval, Monte Carlo only")
    for row in fan.body_rows:
        t_low, t_high = (float(x) for x in re.findall(r"\d+\.\d+", plain(row[total])))
        m_low, m_high = (float(x) for x in re.findall(r"\d+\.\d+", plain(row[mc])))
        assert t_low <= m_low <= m_high <= t_high  # the total interval holds the MC one
    figures = {f.id: f for f in dom.figures}
    texts = png_text(decode_image_data_uri(figures["uncertainty-fan"].image_sources[0]))
    assert AT_RISK_LABEL in texts
    claims = tables["claims-table"]
    assert "holds in; parameter share" in claims.header
