"""The demo: GBSG2 twin + what-ifs + one HTML report, opened in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from demo_helpers import small_demo
from matplotlib.image import imread

from tumorsim.demo import MANIFEST, REPORT, WHAT_IFS, build_report
from tumorsim.errors import ResultsError
from tumorsim.report.browser import (
    decode_image_data_uri,
    dump_dom,
    parse_report_dom,
    png_size,
    screenshot,
)

EXPECTED_FIGURES = {"km-groups", "hr-forest", "whatif-m1-m2", "whatif-m3",
                    "posterior-predictive"}
EXPECTED_TABLES = {"hr-table", "k1-rfs", "k1-hr", "calibrated-parameters", "whatif-table",
                   "claims-table", "posterior-parameters"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return small_demo(tmp_path_factory.getbasetemp())


def test_demo_writes_every_arm_and_a_manifest(demo_dir):
    manifest = json.loads((demo_dir / MANIFEST).read_text())
    assert [a["slug"] for a in manifest["arms"]] == [w.slug for w in WHAT_IFS]
    for what_if in WHAT_IFS:
        assert (demo_dir / what_if.slug / "patients.parquet").is_file()
        assert (demo_dir / what_if.slug / "twins.parquet").is_file()
    assert manifest["patients"] == 686 and manifest["twins_per_patient"] == 1
    assert (demo_dir / REPORT).is_file()


def test_report_in_browser_has_every_figure_and_table(demo_dir, tmp_path):
    html = demo_dir / REPORT
    dom = parse_report_dom(dump_dom(html))
    figures = {f.id: f for f in dom.figures}
    assert EXPECTED_FIGURES <= set(figures)
    for figure in figures.values():
        assert figure.image_sources, figure.id
        width, height = png_size(decode_image_data_uri(figure.image_sources[0]))
        assert width > 100 and height > 100, figure.id
    tables = {t.id: t for t in dom.tables}
    assert EXPECTED_TABLES <= set(tables)
    for table in tables.values():
        assert table.body_rows, table.id
        assert all(any(cell.strip() for cell in row) for row in table.body_rows), table.id
    png = screenshot(html, tmp_path / "demo.png", height=4000)
    pixels = imread(png)
    assert pixels.std() > 0.01
    assert not np.all(pixels[..., :3] > 0.99)


def test_report_is_rebuilt_from_saved_results(demo_dir):
    before = (demo_dir / REPORT).read_text()
    (demo_dir / REPORT).unlink()
    build_report(demo_dir)
    assert (demo_dir / REPORT).read_text() == before


def test_report_of_a_directory_without_demo_results_is_a_clear_error(tmp_path):
    with pytest.raises(ResultsError, match="demo.json"):
        build_report(tmp_path)
