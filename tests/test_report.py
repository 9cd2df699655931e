"""The report builder (escaping, ids, atomic writes) and the figure helpers."""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tumorsim.errors import AnalysisError
from tumorsim.report.browser import (
    CHROMIUM_ENV,
    BrowserError,
    ChromiumNotFoundError,
    decode_image_data_uri,
    dump_dom,
    measure_layout,
    parse_report_dom,
    png_size,
    png_text,
    screenshot,
)
from tumorsim.report.figures import (
    AT_RISK_LABEL,
    at_risk_tables,
    figure_to_png_data_uri,
    hazard_ratio_figure,
    km_comparison_figure,
    numbers_at_risk,
    survival_curves_figure,
)
from tumorsim.report.html import Report, format_number

DAYS_PER_YEAR = 365.25
HOSTILE = "<script>alert('x')</script> & \"quoted\""


def survival_table(
    seed: int, patients_per_group: int, hazards_per_year: dict[str, float], column: str = "group"
) -> pd.DataFrame:
    """Exponential event times per group, censored uniformly and at 7 years (days)."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, hazard in hazards_per_year.items():
        event_days = rng.exponential(DAYS_PER_YEAR / hazard, patients_per_group)
        censor_days = np.minimum(rng.uniform(0.5, 9.0, patients_per_group), 7.0) * DAYS_PER_YEAR
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


FOUR_GROUPS = {"no horTh, PR-": 0.12, "no horTh, PR+": 0.09, "horTh, PR-": 0.10, "horTh, PR+": 0.06}


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    return survival_table(0, 60, FOUR_GROUPS)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return survival_table(1, 300, FOUR_GROUPS)


def curve_axes(fig: Figure) -> list:
    """The axes with survival curves (not the numbers-at-risk tables under them)."""
    return [ax for ax in fig.axes if ax.get_label() != AT_RISK_LABEL]


def tiny_png_uri() -> str:
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    return figure_to_png_data_uri(fig, dpi=60)


# --- figures -------------------------------------------------------------------------------------


def test_km_comparison_has_one_panel_per_group_with_both_curves(observed, simulated):
    fig = km_comparison_figure(
        observed, simulated, group_column="group", group_order=list(FOUR_GROUPS), title="RFS"
    )
    assert len(curve_axes(fig)) == 4 and len(fig.axes) == 8  # and one at-risk table each
    assert [ax.get_title() for ax in curve_axes(fig)] == list(FOUR_GROUPS)
    for ax in curve_axes(fig):
        assert len(ax.get_lines()) == 2
        assert len(ax.collections) == 2  # the two confidence bands
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[0].startswith("Observed (n = 60, ")
        assert legend[1].startswith("Simulated (n = 300, ")
        assert ax.get_xlim() == pytest.approx((0.0, 7.0), abs=0.01)  # longest observed follow-up
    assert "years" in curve_axes(fig)[-1].get_xlabel()
    assert fig.axes[0].get_ylabel() == "Recurrence-free survival probability"


def test_km_comparison_curve_starts_at_one_and_follows_the_estimate(observed, simulated):
    fig = km_comparison_figure(observed, simulated, group_column="group", max_time=5.0)
    ax = fig.axes[0]
    x, y = ax.get_lines()[0].get_data()
    assert x[0] == 0.0 and y[0] == 1.0
    assert np.all(np.diff(np.asarray(y)) <= 0)  # survival never increases
    assert ax.get_xlim() == (0.0, 5.0)
    # Default order: sorted group names.
    assert [a.get_title() for a in curve_axes(fig)] == sorted(FOUR_GROUPS)


def test_km_comparison_with_a_group_missing_from_the_simulation(observed, simulated):
    fewer = simulated[simulated["group"] != "horTh, PR+"]
    fig = km_comparison_figure(
        observed, fewer, group_column="group", group_order=["horTh, PR-", "horTh, PR+"]
    )
    assert len(curve_axes(fig)) == 2
    assert len(fig.axes[1].get_lines()) == 1
    assert any("no simulated patients" in t.get_text() for t in fig.axes[1].texts)
    # the at-risk table of a panel without simulated patients has the observed row alone
    assert list(at_risk_tables(fig)[1]["rows"]) == ["Observed"]


def test_km_comparison_three_groups_uses_three_axes(observed, simulated):
    groups = list(FOUR_GROUPS)[:3]
    fig = km_comparison_figure(
        observed, simulated, group_column="group", group_order=groups, time_unit="months"
    )
    assert len(curve_axes(fig)) == 3
    assert "months" in fig.axes[2].get_xlabel()


def test_km_comparison_rejects_bad_input(observed, simulated):
    with pytest.raises(AnalysisError, match="'horth' not in the observed table"):
        km_comparison_figure(observed, simulated, group_column="horth")
    with pytest.raises(AnalysisError, match="has no patients in either table"):
        km_comparison_figure(observed, simulated, group_column="group", group_order=["nope"])
    with pytest.raises(AnalysisError, match="time_unit"):
        km_comparison_figure(observed, simulated, group_column="group", time_unit="decades")


def test_survival_curves_one_line_per_arm_in_order():
    df = survival_table(2, 200, {"control": 0.1, "treated": 0.05}, column="arm")
    fig = survival_curves_figure(
        df,
        duration_column="rfs_days",
        event_column="rfs_event",
        title="What if treated?",
        arm_order=["treated", "control"],
    )
    assert len(curve_axes(fig)) == 1
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert ax.get_title() == "What if treated?"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("treated (n = 200") and labels[1].startswith("control (n = 200")
    # The treated arm (lower hazard) ends higher.
    end = [line.get_ydata()[-1] for line in ax.get_lines()]
    assert end[0] > end[1]
    with pytest.raises(AnalysisError, match="arm 'placebo' has no rows"):
        survival_curves_figure(
            df, duration_column="rfs_days", event_column="rfs_event", title="x",
            arm_order=["placebo"],
        )


def test_numbers_at_risk_are_those_still_followed_as_in_lifelines():
    from lifelines import KaplanMeierFitter

    df = survival_table(3, 150, {"a": 0.2})
    years = df["rfs_days"].to_numpy() / DAYS_PER_YEAR
    times = [0.0, 1.0, 2.5, 7.0, 8.0]
    counts = numbers_at_risk(years, times)
    assert counts.tolist() == [int((years >= t).sum()) for t in times]
    assert counts[0] == 150 and counts[-1] == 0
    # lifelines' event table: at risk at each event time = still followed just before it
    table = KaplanMeierFitter().fit(years, df["rfs_event"]).event_table
    event_times = table.index.to_numpy()[1:6]
    assert numbers_at_risk(years, event_times).tolist() == table["at_risk"].iloc[1:6].tolist()


def test_survival_figures_have_numbers_at_risk_under_the_axes(observed, simulated):
    fig = km_comparison_figure(observed, simulated, group_column="group",
                               group_order=list(FOUR_GROUPS), footnote="12 left out")
    tables = at_risk_tables(fig)
    assert len(tables) == 4
    for group, table, ax in zip(FOUR_GROUPS, tables, curve_axes(fig), strict=True):
        ticks = [t for t in ax.get_xticks() if 0 <= t <= ax.get_xlim()[1]]
        assert table["times"] == ticks and table["times"][0] == 0.0
        for name, source in (("Observed", observed), ("Simulated", simulated)):
            years = source.loc[source["group"] == group, "rfs_days"] / DAYS_PER_YEAR
            assert table["rows"][name] == [int((years >= t).sum()) for t in ticks], name
        assert table["rows"]["Observed"][0] == 60 and table["rows"]["Simulated"][0] == 300
    assert fig.get_supxlabel() == "12 left out"
    arms = survival_table(2, 200, {"control": 0.1, "treated": 0.05}, column="arm")
    fig = survival_curves_figure(arms, duration_column="rfs_days", event_column="rfs_event",
                                 title="t", arm_order=["treated", "control"],
                                 annotation="HR 0.50 (0.40\u20130.62)")
    (table,) = at_risk_tables(fig)
    assert list(table["rows"]) == ["treated", "control"]
    assert [row[0] for row in table["rows"].values()] == [200, 200]
    assert any(t.get_text() == "HR 0.50 (0.40\u20130.62)" for t in fig.axes[0].texts)
    fig = survival_curves_figure(arms, duration_column="rfs_days", event_column="rfs_event",
                                 title="t", at_risk=False)
    assert at_risk_tables(fig) == [] and len(fig.axes) == 1


def test_the_png_carries_the_numbers_at_risk_it_shows(observed, simulated):
    import json

    fig = km_comparison_figure(observed, simulated, group_column="group")
    shown = at_risk_tables(fig)
    texts = png_text(decode_image_data_uri(figure_to_png_data_uri(fig)))
    assert json.loads(texts[AT_RISK_LABEL]) == shown
    forest = png_text(decode_image_data_uri(figure_to_png_data_uri(hazard_ratio_figure(
        hr_table()))))
    assert AT_RISK_LABEL not in forest


def hr_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["tamoxifen vs none", "PR+ vs PR-", "tamoxifen vs none", "PR+ vs PR-"],
            "hr": [0.65, 0.7, 0.6, 0.72],
            "ci_lower": [0.5, 0.55, 0.55, np.nan],
            "ci_upper": [0.85, 0.9, 0.66, np.nan],
            "source": ["observed", "observed", "simulated", "simulated"],
        }
    )


def test_hazard_ratio_forest_plot():
    fig = hazard_ratio_figure(hr_table(), title="HR")
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tamoxifen vs none", "PR+ vs PR-"]
    assert ax.get_xscale() == "log"
    assert "Hazard ratio" in ax.get_xlabel()
    texts = [t.get_text() for t in ax.texts]
    assert "0.65 (0.50\u20130.85)" in texts and "0.72" in texts
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Observed", "Simulated"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": ["observed", "observed", "simulated", "model"]}, "'observed' or 'simulated'"),
        ({"hr": [0.65, -1.0, 0.6, 0.72]}, "not positive"),
        ({"ci_lower": [0.7, 0.55, 0.55, np.nan]}, "does not contain hr"),
        ({"label": ["a", "a", "b", "b"], "source": ["observed"] * 2 + ["simulated"] * 2},
         "more than one observed row"),
    ],
)
def test_hazard_ratio_figure_rejects_bad_tables(change, message):
    table = hr_table().assign(**change)
    with pytest.raises(AnalysisError, match=re.escape(message)):
        hazard_ratio_figure(table)
    with pytest.raises(AnalysisError, match="'ci_upper' not in"):
        hazard_ratio_figure(hr_table().drop(columns="ci_upper"))


def test_figure_to_png_data_uri_is_a_png_and_closes_pyplot_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    number = fig.number
    uri = figure_to_png_data_uri(fig, dpi=100)
    assert uri.startswith("data:image/png;base64,")
    width, height = png_size(decode_image_data_uri(uri))
    assert 200 < width <= 300 and 100 < height <= 200  # 3 x 2 in at 100 dpi, cropped
    assert not plt.fignum_exists(number)


# --- the HTML builder ----------------------------------------------------------------------------


def test_all_text_is_escaped():
    report = Report(HOSTILE, subtitle=HOSTILE)
    report.add_section(HOSTILE, HOSTILE)
    report.add_figure(tiny_png_uri(), HOSTILE, "fig-a")
    report.add_table(pd.DataFrame({HOSTILE: [HOSTILE]}), HOSTILE, "table-a")
    report.add_preformatted(HOSTILE, HOSTILE)
    report.add_key_values({HOSTILE: HOSTILE}, HOSTILE)
    page = report.render()
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert page.count("&lt;script&gt;") >= 10


def test_figures_and_tables_carry_ids_kinds_and_numbers():
    report = Report("Ids")
    report.add_section("Figures")
    report.add_figure(tiny_png_uri(), "First.", "first-figure")
    report.add_figure(tiny_png_uri(), "Second.", "second_figure")
    report.add_section("Tables")
    report.add_table(pd.DataFrame({"a": [1, 2]}), "A table.", "t1")
    page = report.render()
    dom = parse_report_dom(page)
    assert [f.id for f in dom.figures] == ["first-figure", "second_figure"]
    assert all(f.image_sources[0].startswith("data:image/png;base64,") for f in dom.figures)
    assert [t.id for t in dom.tables] == ["t1"]
    assert dom.tables[0].body_rows == (("1",), ("2",))
    assert "Figure 1.</span> First." in page and "Figure 2.</span> Second." in page
    assert "Table 1.</span> A table." in page
    # Two sections: a table of contents linking to them.
    assert '<a href="#section-figures">Figures</a>' in page
    assert '<h2 id="section-tables">Tables</h2>' in page


@pytest.mark.parametrize("bad_id", ["", "1abc", "has space", "quote\"d", "a/b"])
def test_invalid_ids_are_refused(bad_id):
    report = Report("Ids")
    with pytest.raises(ValueError, match="is not allowed"):
        report.add_figure(tiny_png_uri(), "x", bad_id)
    with pytest.raises(ValueError, match="is not allowed"):
        report.add_table(pd.DataFrame({"a": [1]}), "x", bad_id)


def test_duplicate_ids_are_refused():
    report = Report("Ids")
    report.add_figure(tiny_png_uri(), "x", "same")
    with pytest.raises(ValueError, match="'same' is already used"):
        report.add_table(pd.DataFrame({"a": [1]}), "x", "same")
    with pytest.raises(ValueError, match="'same' is already used"):
        report.add_figure(tiny_png_uri(), "x", "same")
    assert report.render().count('id="same"') == 1


def test_a_failed_add_does_not_use_up_the_id():
    report = Report("Ids")
    with pytest.raises(ValueError, match="not a matplotlib Figure or an image data URI"):
        report.add_figure("https://example.org/plot.png", "x", "plot")
    with pytest.raises(ValueError, match="has 0 rows"):
        report.add_table(pd.DataFrame({"a": []}), "x", "rows")
    report.add_figure(tiny_png_uri(), "x", "plot")
    report.add_table(pd.DataFrame({"a": [1.0]}), "x", "rows")


def test_a_figure_object_is_embedded_as_png():
    fig = Figure(figsize=(4, 3))
    fig.add_subplot().plot([0, 1], [0, 1])
    report = Report("Embed")
    report.add_figure(fig, "A line.", "line")
    (figure,) = parse_report_dom(report.render()).figures
    assert png_size(decode_image_data_uri(figure.image_sources[0]))[0] > 100


def test_the_page_loads_nothing_from_outside():
    report = Report("Standalone")
    report.add_figure(tiny_png_uri(), "x", "f")
    report.add_key_values({"url": "https://example.org"}, "Run")
    page = report.render()
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page)
    assert sources and all(s.startswith(("data:", "#")) for s in sources)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page


def test_table_formatting():
    df = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "patients": [686, 12_345, 3],
            "survival": [0.87314, np.nan, 1826.25],
            "flag": [True, False, None],
        }
    )
    report = Report("Tables")
    report.add_table(df, "Default.", "default")
    report.add_table(df[["survival"]], "Spec.", "spec", float_format=".2f")
    report.add_table(df[["survival"]], "Callable.", "callable", float_format=lambda x: f"<{x}>")
    report.add_table(df.set_index("group"), "Indexed.", "indexed")
    tables = {t.id: t.body_rows for t in parse_report_dom(report.render()).tables}
    assert tables["default"] == (
        ("a", "686", "0.873", "True"),
        ("b", "12,345", "\u2013", "False"),
        ("c", "3", "1,826", "\u2013"),
    )
    assert tables["spec"] == (("0.87",), ("\u2013",), ("1826.25",))
    assert tables["callable"][0] == ("<0.87314>",)
    assert tables["indexed"][0] == ("a", "686", "0.873", "True")
    assert '<th scope="col">group</th>' in report.render()


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (0.5, "0.5"), (12.345, "12.3"), (999.4, "999"), (1826.25, "1,826"),
     (2.5e-5, "2.50e-05"), (float("nan"), "\u2013"), (-0.25, "-0.25")],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_column_formats_widths_and_breakable_identifiers():
    df = pd.DataFrame({"years": [1.0, 5.0], "survival": [0.8765, 0.5],
                       "file": ["act_chemotherapy_cxcr2.toml", "a/b"]})
    report = Report("Columns")
    report.add_table(df, "x", "t", float_format=".3f", column_formats={"years": "g"},
                     column_widths={"file": "30%"})
    page = report.render()
    (table,) = parse_report_dom(page).tables
    assert table.header == ("years", "survival", "file")
    assert table.body_rows == (("1", "0.876", "act_chemotherapy_cxcr2.toml"),
                               ("5", "0.500", "a/b"))
    assert "act_<wbr>chemotherapy_<wbr>cxcr2.toml" in page
    assert '<col style="width: 30%">' in page and 'class="full-width"' in page
    with pytest.raises(ValueError, match="column_formats names \\['year'\\]"):
        report.add_table(df, "x", "u", column_formats={"year": "g"})
    with pytest.raises(ValueError, match="is not a percentage"):
        report.add_table(df, "x", "v", column_widths={"file": "300px"})


def test_notes_are_marked_and_escaped():
    report = Report("Notes")
    report.add_note(f"First.\n\n{HOSTILE}", block_id="left-out")
    page = report.render()
    assert '<aside class="note" id="left-out" data-kind="note">' in page
    assert "<p>First.</p>" in page and "<script" not in page


def test_preformatted_keeps_whitespace_and_key_values_keep_order():
    rules = "M1: in ER+/PR+ cells,\n    ROS increases PR loss (R50 = 2.0)"
    report = Report("Text")
    report.add_preformatted(rules, "Rules.", block_id="rules")
    report.add_key_values({"version": "0.1.0", "seed": 1, "command": "tumorsim demo"}, "Run")
    page = report.render()
    assert f"<pre>{rules}</pre>" in page
    assert page.index("<dt>version</dt>") < page.index("<dt>seed</dt>") < page.index("command")
    assert 'id="rules" data-kind="preformatted"' in page
    with pytest.raises(ValueError, match="is empty"):
        report.add_key_values({}, "Nothing")


# --- writing -------------------------------------------------------------------------------------


def test_write_creates_the_file_with_the_rendered_page(tmp_path: Path):
    report = Report("Written")
    report.add_section("Only", "Some text.")
    path = report.write(tmp_path / "sub" / "report.html")
    assert path == tmp_path / "sub" / "report.html"
    assert path.read_text(encoding="utf-8") == report.render()
    assert os.listdir(path.parent) == ["report.html"]


def test_write_leaves_the_old_file_and_no_partial_file_when_rendering_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")
    report = Report("Broken")

    def fail() -> str:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(report, "render", fail)
    with pytest.raises(RuntimeError, match="rendering failed"):
        report.write(target)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert os.listdir(tmp_path) == ["report.html"]


def test_write_removes_the_temporary_file_when_the_move_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    target = tmp_path / "report.html"
    report = Report("Disk full")

    def fail(src: str, dst: str) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="no space"):
        report.write(target)
    assert os.listdir(tmp_path) == []


def test_png_helpers_reject_non_png():
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="is not a data:image/png;base64"):
        decode_image_data_uri("https://example.org/a.png")
    with pytest.raises(ValueError, match="is empty"):
        decode_image_data_uri("data:image/png;base64,")
    assert png_size(base64.b64decode(tiny_png_uri().split(",", 1)[1]))[0] > 0


# --- the browser helper, with stand-ins for Chromium ---------------------------------------------


def fake_chromium(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-chromium"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_missing_chromium_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    page = Report("x").write(tmp_path / "r.html")
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    with pytest.raises(ChromiumNotFoundError, match="apt-get install -y chromium"):
        dump_dom(page)


def test_a_hanging_browser_is_killed_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    page = Report("x").write(tmp_path / "r.html")
    monkeypatch.setenv(CHROMIUM_ENV, str(fake_chromium(tmp_path, "sleep 30")))
    start = time.monotonic()
    with pytest.raises(BrowserError, match="did not finish within 1 s"):
        screenshot(page, tmp_path / "shot.png", timeout=1)
    assert time.monotonic() - start < 10


def test_a_failing_browser_reports_its_status_and_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    page = Report("x").write(tmp_path / "r.html")
    failing = fake_chromium(tmp_path, "echo 'cannot open display' >&2; exit 3")
    monkeypatch.setenv(CHROMIUM_ENV, str(failing))
    with pytest.raises(BrowserError, match="exited with status 3: cannot open display"):
        dump_dom(page)
    monkeypatch.setenv(CHROMIUM_ENV, str(fake_chromium(tmp_path, "exit 0")))
    with pytest.raises(BrowserError, match="without writing the screenshot"):
        screenshot(page, tmp_path / "shot.png")
    with pytest.raises(FileNotFoundError, match="no such file"):
        dump_dom(tmp_path / "missing.html")


def test_measure_layout_says_so_when_its_script_did_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    page = Report("x").write(tmp_path / "r.html")
    silent = fake_chromium(tmp_path, "echo '<html><head></head><body></body></html>'")
    monkeypatch.setenv(CHROMIUM_ENV, str(silent))
    with pytest.raises(BrowserError, match="was not measured"):
        measure_layout(page)


def test_layout_overflow_counts_the_window_the_container_and_hidden_content():
    from tumorsim.report.browser import PageLayout, RenderedBox

    def box(kind: str, right: float, width: float, scroll: float, container: float | None
            ) -> RenderedBox:
        return RenderedBox("b", kind, right - width, right, width, scroll, width, container)

    fits = box("table", 1176, 1072, 1072, 1072)
    past_its_wrap = box("table", 1248, 1144, 1144, 1072)  # clipped by the scroll container
    past_the_window = box("img", 1300, 1000, 1000, None)
    hidden_inside = box("pre", 1176, 1072, 1400, 1072)  # scrolls: content past its inside
    assert fits.overflow(1280) == 0.0
    assert past_its_wrap.overflow(1280) == 72.0
    assert past_the_window.overflow(1280) == 20.0
    assert hidden_inside.overflow(1280) == 328.0
    layout = PageLayout(1280, 1280, (fits, past_its_wrap))
    assert layout.overflowing() == ["table b: 1144 px wide, 72 px more than shows"]
    assert PageLayout(1280, 1300, (fits,)).overflowing() == ["page: 1300 px wide in a 1280 px "
                                                            "window"]
