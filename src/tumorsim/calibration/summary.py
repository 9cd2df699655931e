"""What a posterior calibration run found: tables and the predictive-check figure.

Reads a run directory of :func:`tumorsim.calibration.run.posterior_calibration`
(``posterior.json``, ``posterior_draws.parquet``, ``predictive_checks.parquet``) and gives

* :func:`parameter_table`: each fitted parameter's prior range and its posterior median
  and 90 % interval;
* :func:`target_table`: each target's observed value and standard error, the emulator at
  the posterior median, and the real simulator at the posterior draws (median and 90 %
  range of the predictive checks), with whether the observation lies in that range
  widened by its own standard error;
* :func:`predictive_check_figure` (and :func:`predictive_figure`, which writes it): the
  same as a figure;
* :func:`chain_length_note`: whether the sampler's chain was long enough for its own
  autocorrelation estimate to be trusted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TRUSTED_CHAIN_AUTOCORRELATIONS", "chain_length_note", "parameter_table",
           "predictive_check_figure", "predictive_figure", "target_table"]

TRUSTED_CHAIN_AUTOCORRELATIONS = 50
"""emcee trusts its integrated autocorrelation estimate from chains this many times as long
as the estimate (``emcee.autocorr.integrated_time``); shorter chains underestimate it."""


def _record(run_dir: Path) -> dict[str, object]:
    return dict(json.loads((run_dir / "posterior.json").read_text()))


def chain_length_note(diagnostics: dict[str, object]) -> str:
    """One sentence on the final chain's length against its longest autocorrelation time
    (``steps``, ``burn_in_steps``, ``autocorrelation_steps`` of a run's diagnostics): below
    :data:`TRUSTED_CHAIN_AUTOCORRELATIONS` times it says that the autocorrelation times may
    be underestimated and the effective sample size overstated."""
    tau = max(float(t) for t in dict(diagnostics["autocorrelation_steps"]).values())  # type: ignore[call-overload]
    kept = int(diagnostics["steps"]) - int(diagnostics["burn_in_steps"])  # type: ignore[call-overload]
    times = kept / tau
    if times >= TRUSTED_CHAIN_AUTOCORRELATIONS:
        return (f"The chain kept {kept:,} steps, {times:.0f} times its longest "
                "autocorrelation time: long enough for the estimate to be trusted.")
    return (f"The chain kept {kept:,} steps, {times:.1f} times its longest autocorrelation "
            f"time, short of the {TRUSTED_CHAIN_AUTOCORRELATIONS} times from which emcee "
            "trusts the estimate: the autocorrelation times may be underestimated and the "
            "effective sample size overstated.")


def parameter_table(run_dir: str | Path) -> pd.DataFrame:
    """``parameter``, ``scale``, ``prior_low``, ``prior_high``, ``median``, ``q05``, ``q95``."""
    run = Path(run_dir)
    record = _record(run)
    draws = pd.read_parquet(run / "posterior_draws.parquet", use_threads=False)
    rows = []
    for prior in record["priors"]:  # type: ignore[attr-defined]
        values = draws[prior["name"]].to_numpy(float)
        rows.append({"parameter": prior["name"], "scale": prior["scale"],
                     "prior_low": prior["low"], "prior_high": prior["high"],
                     "median": float(np.median(values)),
                     "q05": float(np.quantile(values, 0.05)),
                     "q95": float(np.quantile(values, 0.95))})
    return pd.DataFrame(rows)


def target_table(run_dir: str | Path) -> pd.DataFrame:
    """``target``, ``kind``, ``observed``, ``se``, ``emulated_at_median``,
    ``predictive_median``, ``predictive_q05``, ``predictive_q95``, ``consistent``."""
    run = Path(run_dir)
    record = _record(run)
    checks = pd.read_parquet(run / "predictive_checks.parquet", use_threads=False)
    rows = []
    for t in record["targets"]:  # type: ignore[attr-defined]
        name = t["target"]
        sims = (checks[name].to_numpy(float) if name in checks
                else np.full(len(checks), np.nan))
        sims = sims[np.isfinite(sims)]
        q05, q50, q95 = (np.quantile(sims, [0.05, 0.5, 0.95]) if sims.size
                         else (np.nan, np.nan, np.nan))
        consistent = bool(q05 - 1.96 * t["se"] <= t["value"] <= q95 + 1.96 * t["se"])
        rows.append({"target": name, "kind": t["kind"], "observed": t["value"],
                     "se": t["se"], "emulated_at_median": t["emulated_at_median"],
                     "predictive_median": float(q50), "predictive_q05": float(q05),
                     "predictive_q95": float(q95), "consistent": consistent})
    return pd.DataFrame(rows)


def predictive_check_figure(run_dir: str | Path) -> Figure:
    """Observed targets (with 95 % error bars) against the predictive checks' 90 % range,
    one row per fitted target (:func:`target_table`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    table = target_table(run_dir)
    n = len(table)
    fig = Figure(figsize=(8.0, 0.28 * n + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(n)[::-1]
    ax.hlines(y, table["predictive_q05"], table["predictive_q95"], color="#0072B2", lw=4,
              alpha=0.5, label="simulator at posterior draws (90 % range)")
    ax.plot(table["predictive_median"], y, "|", color="#0072B2", ms=10)
    ax.errorbar(table["observed"], y, xerr=1.96 * table["se"], fmt="o", color="#D55E00",
                ms=4, lw=1, label="observed (95 %)")
    ax.set_yticks(y)
    ax.set_yticklabels(table["target"], fontsize=7)
    ax.set_xlabel("target value (survival fraction, or log ratio)")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("Posterior predictive checks")
    fig.tight_layout()
    return fig


def predictive_figure(run_dir: str | Path, path: str | Path) -> Path:
    """Write :func:`predictive_check_figure` to ``path`` (PNG, 110 dpi)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    predictive_check_figure(run_dir).savefig(out, dpi=110)
    return out
