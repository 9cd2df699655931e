"""The figure of a sensitivity analysis: factors ranked by their index, with intervals.

One panel per output. Sobol: the total index ``ST`` as a bar with its bootstrap interval
and the first-order index ``S1`` as a marker with its interval. Morris: ``mu_star`` with
its interval. A grey tick on each row marks that index's Monte Carlo noise floor and a
pale one its upper bound (:mod:`tumorsim.sensitivity`); factors whose interval
lies above the bound are drawn in full colour, the others pale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tumorsim.errors import AnalysisError

if TYPE_CHECKING:
    from tumorsim.sensitivity import SensitivityResult

__all__ = ["sensitivity_figure"]

_TOTAL_COLOR = "#0072B2"
_FIRST_COLOR = "#D55E00"
_NOISE_COLOR = "#555555"


def sensitivity_figure(result: SensitivityResult, *, output: str | None = None,
                       max_factors: int = 20) -> Figure:
    """Ranked sensitivity indices with their intervals, one panel per output.

    Parameters
    ----------
    result : SensitivityResult
        What :func:`tumorsim.sensitivity.sobol` or ``morris`` returned.
    output : str, optional
        One of ``result.outputs``; default all.
    max_factors : int, default 20
        Most influential factors shown per panel.

    Returns
    -------
    matplotlib.figure.Figure
        On its own Agg canvas.

    Raises
    ------
    tumorsim.errors.AnalysisError
        ``output`` is not one of the result's outputs.
    """
    outputs = list(result.outputs) if output is None else [output]
    if output is not None and output not in result.outputs:
        raise AnalysisError(f"output {output!r} not in the result",
                            f"one of {', '.join(result.outputs)}")
    summary = result.summary.set_index("output")
    n_rows = max(min(len(result.problem.group_names), max_factors), 1)
    height = 0.9 + 0.32 * n_rows
    fig = Figure(figsize=(6.4 * len(outputs), height + 0.9), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(outputs), squeeze=False)[0]
    sobol = result.method == "sobol"
    for ax, name in zip(axes, outputs, strict=True):
        rows = result.indices[result.indices["output"] == name].sort_values("rank")
        rows = rows.head(max_factors).iloc[::-1]
        y = np.arange(len(rows))
        labels = [str(f) for f in rows["factor"]]
        strong = rows["above_noise"].to_numpy(bool)
        alpha = np.where(strong, 1.0, 0.35)
        if sobol:
            value, low, high = rows["ST"], rows["ST_low"], rows["ST_high"]
            xlabel = "Sobol index (share of output variance)"
        else:
            value, low, high = rows["mu_star"], rows["mu_star_low"], rows["mu_star_high"]
            xlabel = "Morris mu* (output change over the factor's range)"
        v = value.to_numpy(float)
        err = np.vstack([v - low.to_numpy(float), high.to_numpy(float) - v])
        for k in range(len(rows)):
            ax.barh(y[k], v[k], height=0.55, color=_TOTAL_COLOR, alpha=float(alpha[k]),
                    label="ST (total)" if sobol and k == len(rows) - 1 else None)
        ax.errorbar(v, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="#222222",
                    capsize=3, lw=1)
        if sobol:
            s1 = rows["S1"].to_numpy(float)
            s1_err = np.vstack([s1 - rows["S1_low"].to_numpy(float),
                                rows["S1_high"].to_numpy(float) - s1])
            ax.errorbar(s1, y + 0.3, xerr=np.clip(s1_err, 0, None), fmt="o", ms=4,
                        color=_FIRST_COLOR, ecolor=_FIRST_COLOR, capsize=2, lw=1,
                        label="S1 (first order)")
        floors = rows["noise_floor"].to_numpy(float)
        if np.isfinite(floors).any():
            ax.plot(floors, y, linestyle="none", marker="|", ms=14, mew=2, color=_NOISE_COLOR,
                    label="noise floor")
            ax.plot(rows["noise_floor_upper"].to_numpy(float), y, linestyle="none",
                    marker="|", ms=14, mew=1, color=_NOISE_COLOR, alpha=0.5,
                    label="its upper bound")
        ax.axvline(0.0, color="#999999", lw=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel(xlabel)
        patients = summary.loc[name, "patients_per_sample"]
        shown = f", {int(patients):,} patients/sample" if patients == patients and \
            patients is not None else ""
        ax.set_title(f"{name}\n{result.method}, {int(summary.loc[name, 'samples'])} "
                     f"samples{shown}", fontsize=9)
        ax.grid(axis="x", color="#e4e4e4", lw=0.6)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    return fig
