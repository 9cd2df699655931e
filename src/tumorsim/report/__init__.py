"""The report: figures (matplotlib, Agg) and one self-contained HTML file.

- :mod:`tumorsim.report.figures` — Kaplan-Meier comparisons of observed and simulated
  patients, what-if survival curves, hazard-ratio forest plots, PNG data URIs.
- :mod:`tumorsim.report.html` — :class:`Report`, the HTML builder.
- :mod:`tumorsim.report.browser` — headless Chromium screenshots and DOM dumps, to test
  that a report renders.
"""

from __future__ import annotations

from tumorsim.report.figures import (
    figure_to_png_data_uri,
    hazard_ratio_figure,
    km_comparison_figure,
    survival_curves_figure,
)
from tumorsim.report.html import Report

__all__ = [
    "Report",
    "figure_to_png_data_uri",
    "hazard_ratio_figure",
    "km_comparison_figure",
    "survival_curves_figure",
]
