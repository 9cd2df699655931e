"""Training-part Kaplan-Meier targets of the calibration data sets (TRANSBIG, GSE2034)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tumorsim.analysis.survival import kaplan_meier
from tumorsim.cohort.datasets import (
    KM_TARGET_YEARS,
    SPLIT_DATASETS,
    dataset_name,
    training_cohort,
)
from tumorsim.cohort.population import RECEPTOR_POSITIVE_FMOL

__all__ = ["km_targets"]

DAYS_PER_YEAR = 365.25


def km_targets(name: str, *, years: Sequence[float] = KM_TARGET_YEARS) -> pd.DataFrame:
    """Kaplan-Meier distant-metastasis-free survival by ER on the training part.

    TRANSBIG is an individual-level target (compare the twins of its training women);
    GSE2034 a population-level one (compare :func:`gse2034_population`). No drawn
    covariate enters: only follow-up, event and ER status.

    Parameters
    ----------
    name : {"transbig", "gse2034"}
    years : sequence of float, default (1, 3, 5, 10)

    Returns
    -------
    pandas.DataFrame
        One row per ER status (``"ER+"``, ``"ER-"``) and year: ``data_set``, ``er_status``,
        ``patients`` and ``events`` (in the ER group), ``time_years``, ``time_days``,
        ``dmfs_fraction`` (Kaplan-Meier), ``ci_lower_95`` and ``ci_upper_95``
        (lifelines' exponential Greenwood 95 % interval) and ``at_risk_patients``.
        NaN beyond a group's last follow-up.
    """
    key = dataset_name(name, SPLIT_DATASETS)
    train = training_cohort(key).covariates
    table = pd.DataFrame(
        {
            "T": train["follow_up_days"].to_numpy(float),
            "E": train["relapse_event"].to_numpy(bool),
            "er_status": np.where(train["er_fmol"] >= RECEPTOR_POSITIVE_FMOL, "ER+", "ER-"),
        }
    )
    wanted = [float(y) for y in years]
    km = kaplan_meier(table, "T", "E", by="er_status", times=[y * DAYS_PER_YEAR for y in wanted])
    counts = table.groupby("er_status").agg(patients=("E", "size"), events=("E", "sum"))
    out = pd.DataFrame(
        {
            "data_set": key,
            "er_status": km["group"].astype(str).to_numpy(),
            "time_years": km["time"].to_numpy(float) / DAYS_PER_YEAR,
            "time_days": km["time"].to_numpy(float),
            "dmfs_fraction": km["survival"].to_numpy(float),
            "ci_lower_95": km["ci_lower"].to_numpy(float),
            "ci_upper_95": km["ci_upper"].to_numpy(float),
            "at_risk_patients": km["at_risk"].to_numpy(np.int64),
        }
    )
    out = out.merge(counts, left_on="er_status", right_index=True, how="left")
    out["er_order"] = out["er_status"].map({"ER+": 0, "ER-": 1})
    out = out.sort_values(["er_order", "time_years"], kind="stable")
    columns = [
        "data_set",
        "er_status",
        "patients",
        "events",
        "time_years",
        "time_days",
        "dmfs_fraction",
        "ci_lower_95",
        "ci_upper_95",
        "at_risk_patients",
    ]
    return out[columns].reset_index(drop=True)
