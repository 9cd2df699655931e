"""Simulation results: one row per patient, plus optional sampled trajectories.

Times are days from diagnosis. For each endpoint there is a ``<name>_days`` and a
``<name>_event`` column ready for lifelines (``rfs``: first local or distant relapse;
``dmfs``: first distant relapse; ``os``: death after relapse), censored at the horizon.
Per-site event times (``local_relapse_days``, ``distant_<site>_days``) are NaN where the
event did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tumorsim.model.scenario import Scenario


def package_version() -> str:
    """The installed version of tumorsim."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tumorsim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from tumorsim import __version__

        return __version__


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation returns.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient: ``patient_id``, ``arm``, covariates, event times and sites,
        clone mix and myeloid / antioxidant state at the first event, endpoints.
    trajectories : pandas.DataFrame or None
        Long table ``patient_id, time_days, site, clone, activity, cells`` for the sampled
        patients, on the grid ``0, record_every_days, ...``; each row holds the state at
        the end of the first engine step reaching that time (at most one step later).
    site_environment : pandas.DataFrame or None
        Long table ``patient_id, time_days, site, myeloid_niche, antioxidant_capacity,
        ros_index, cxcl_signal`` for the sampled patients.
    scenario : Scenario
        The scenario simulated (for trials, the first arm's).
    seed : int
        Master seed.
    version : str
        tumorsim version that produced the result.
    """

    patients: pd.DataFrame
    trajectories: pd.DataFrame | None
    site_environment: pd.DataFrame | None
    scenario: Scenario
    seed: int
    version: str = field(default_factory=package_version)
