"""Endpoints of a trial as lifelines-ready (duration, event) columns of a patients table.

``rfs``, ``dmfs`` and ``os`` are the ``<name>_days`` / ``<name>_event`` columns of
:attr:`tumorsim.SimulationResult.patients`. Site endpoints (``local_relapse``,
``distant_<site>``) are the time to the first relapse at that site: the event time where
it happened, else censored at death (a dead patient cannot relapse later) or at the
horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tumorsim.errors import AnalysisError
from tumorsim.trial.design import ENDPOINTS

__all__ = ["endpoint_table", "site_endpoint"]

_SURVIVAL_ENDPOINTS = ("rfs", "dmfs", "os")


def site_endpoint(site: str) -> str:
    """The endpoint of relapse at ``site`` (``"breast"`` or ``"local"`` -> ``local_relapse``).

    Raises
    ------
    tumorsim.errors.AnalysisError
        ``site`` is not a site of the model.
    """
    if site in ("breast", "local", "local_relapse"):
        return "local_relapse"
    name = site if site.startswith("distant_") else f"distant_{site}"
    if name not in ENDPOINTS:
        sites = ", ".join(["breast", *(e.removeprefix("distant_") for e in ENDPOINTS[4:])])
        raise AnalysisError(f"unknown site {site!r}", f"one of {sites}")
    return name


def endpoint_table(patients: pd.DataFrame, endpoint: str, horizon_days: float) -> pd.DataFrame:
    """One endpoint as columns ``patient_id``, ``arm``, ``duration_days``, ``event``.

    Parameters
    ----------
    patients : pandas.DataFrame
        A patients table (:attr:`tumorsim.SimulationResult.patients`).
    endpoint : str
        One of :data:`tumorsim.trial.design.ENDPOINTS`.
    horizon_days : float
        End of follow-up, days; censoring time of site endpoints for patients alive at it.

    Returns
    -------
    pandas.DataFrame
        Same row order as ``patients``; ``event`` is bool.

    Raises
    ------
    tumorsim.errors.AnalysisError
        Unknown endpoint, or the table lacks the endpoint's columns.
    """
    if endpoint not in ENDPOINTS:
        raise AnalysisError(f"unknown endpoint {endpoint!r}", f"one of {', '.join(ENDPOINTS)}")
    if endpoint in _SURVIVAL_ENDPOINTS:
        needed = [f"{endpoint}_days", f"{endpoint}_event"]
    else:
        needed = [f"{endpoint}_days", "death_days"]
    missing = [c for c in ("patient_id", "arm", *needed) if c not in patients.columns]
    if missing:
        raise AnalysisError(
            f"column {missing[0]!r} not in the patients table",
            "a patients table of tumorsim.simulate or run_trial",
        )
    if endpoint in _SURVIVAL_ENDPOINTS:
        duration = patients[f"{endpoint}_days"].to_numpy(dtype=float)
        event = patients[f"{endpoint}_event"].to_numpy(dtype=bool)
    else:
        when = patients[f"{endpoint}_days"].to_numpy(dtype=float)
        death = patients["death_days"].to_numpy(dtype=float)
        event = ~np.isnan(when)
        censor = np.where(np.isnan(death), float(horizon_days), death)
        duration = np.where(event, when, censor)
    return pd.DataFrame(
        {
            "patient_id": patients["patient_id"].to_numpy(),
            "arm": patients["arm"].array,  # keeps a categorical's arm order
            "duration_days": duration,
            "event": event,
        }
    )
