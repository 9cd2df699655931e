"""Outputs a sensitivity analysis can rank: named statistics of a simulated cohort or trial.

An output is a short text, read by :func:`parse_output`:

``<endpoint>_at_<T>y`` (optionally ``@<ARM>`` in a trial)
    For ``rfs``, ``dmfs`` and ``os``: the probability of being event-free at ``T`` years
    (``rfs_at_5y``). For a site endpoint (``local_relapse``, ``distant_bone``,
    ``distant_lung``, ``distant_liver``, ``distant_brain``): the proportion of patients
    relapsed at that site by ``T`` years, the cumulative incidence with death as a
    competing event (``distant_lung_at_10y``). Simulated patients are followed to the
    horizon unless they die (and death only follows a distant relapse), so both are plain
    proportions of the cohort: the Kaplan-Meier estimate of ``rfs``, ``dmfs`` and ``os``
    at ``T`` equals the proportion without the event, and the site proportion is the
    Aalen-Johansen cumulative incidence (as :meth:`tumorsim.trial.TrialResult.site_relapse`).
    In a trial the arm is ``@ARM``, by default the first (reference) arm.
``diff:<endpoint>_at_<T>y:<ARM>/<REFERENCE>``
    A trial's arm contrast: the statistic in ``ARM`` minus that in ``REFERENCE`` (e.g.
    ``diff:distant_lung_at_10y:AC_T_CXCR2i/AC_T``, negative when the arm has less lung
    relapse). Common random numbers make it a paired difference.
``hr:<endpoint>:<ARM>/<REFERENCE>``
    A trial's Cox hazard ratio of ``ARM`` against ``REFERENCE`` for an endpoint (point
    estimate; Efron ties; :func:`tumorsim.analysis.survival.cox_hazard_ratios`).

Errors are :class:`tumorsim.errors.AnalysisError` lines naming what was given and what
is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from tumorsim.errors import AnalysisError

__all__ = ["OUTPUT_FORMS", "OutputSpec", "output_value", "parse_output"]

DAYS_PER_YEAR: Final[float] = 365.25

OUTPUT_FORMS: Final[str] = (
    "<endpoint>_at_<T>y[@ARM] (e.g. rfs_at_5y, distant_lung_at_10y), "
    "diff:<endpoint>_at_<T>y:ARM/REFERENCE or hr:<endpoint>:ARM/REFERENCE (trial files)"
)
"""The output grammar, as error messages show it."""

_SURVIVAL_ENDPOINTS: Final[tuple[str, ...]] = ("rfs", "dmfs", "os")
_AT = re.compile(r"(?P<endpoint>[a-z_]+?)_at_(?P<years>[0-9]+(?:\.[0-9]+)?)y")


@dataclass(frozen=True)
class OutputSpec:
    """One parsed output.

    Attributes
    ----------
    text : str
        The output as written (its name in tables and figures).
    kind : {"at", "diff", "hr"}
        A proportion at a time, an arm difference of one, or a hazard ratio.
    endpoint : str
        A trial endpoint (:data:`tumorsim.trial.ENDPOINTS`).
    years : float or None
        Time of an ``at``/``diff`` output, years after diagnosis.
    arm, reference : str or None
        Arms of a trial output (``arm`` alone for ``at`` in a trial; ``None`` for a
        scenario).
    """

    text: str
    kind: Literal["at", "diff", "hr"]
    endpoint: str
    years: float | None
    arm: str | None = None
    reference: str | None = None

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms this output reads (empty for a scenario)."""
        return tuple(a for a in (self.reference, self.arm) if a is not None)

    @property
    def description(self) -> str:
        """A phrase saying what the number is."""
        if self.kind == "hr":
            return f"Cox hazard ratio of {self.endpoint}, {self.arm} vs {self.reference}"
        stat = (f"{self.endpoint} event-free probability" if self.endpoint in
                _SURVIVAL_ENDPOINTS else f"proportion with {self.endpoint}")
        stat = f"{stat} at {self.years:g} y"
        if self.kind == "diff":
            return f"{stat}, {self.arm} minus {self.reference}"
        return stat + (f" ({self.arm})" if self.arm else "")


def _endpoint(name: str, text: str) -> str:
    from tumorsim.trial.design import ENDPOINTS

    if name not in ENDPOINTS:
        raise AnalysisError(f"output {text!r}: unknown endpoint {name!r}",
                            f"one of {', '.join(ENDPOINTS)}")
    return name


def _years(raw: str, text: str, horizon_years: float) -> float:
    years = float(raw)
    if not 0.0 < years <= horizon_years:
        raise AnalysisError(f"output {text!r}: time {years:g} y outside the follow-up",
                            f"a time in (0, {horizon_years:g}] years (the horizon)")
    return years


def _arm_pair(raw: str, text: str, arms: tuple[str, ...] | None) -> tuple[str, str]:
    if arms is None:
        raise AnalysisError(f"output {text!r} compares arms but the model is a scenario",
                            "a trial file (with [arms.<name>] tables) for diff: and hr: "
                            "outputs, or <endpoint>_at_<T>y")
    arm, sep, reference = raw.partition("/")
    if not sep or not arm or not reference:
        raise AnalysisError(f"output {text!r}: {raw!r} is not ARM/REFERENCE",
                            f"two arms of {', '.join(arms)} as ARM/REFERENCE")
    for name in (arm, reference):
        if name not in arms:
            raise AnalysisError(f"output {text!r}: unknown arm {name!r}",
                                f"one of {', '.join(arms)}")
    if arm == reference:
        raise AnalysisError(f"output {text!r}: compares arm {arm!r} with itself",
                            "two different arms")
    return arm, reference


def parse_output(text: str, *, arms: Sequence[str] | None, horizon_years: float) -> OutputSpec:
    """Read an output name (module docstring) against a scenario or a trial.

    Parameters
    ----------
    text : str
        The output, e.g. ``"rfs_at_5y"`` or ``"hr:distant_lung:AC_T_CXCR2i/AC_T"``.
    arms : sequence of str or None
        The trial's arm names (the first is the reference), or ``None`` for a scenario.
    horizon_years : float
        Follow-up of the simulations, years: the latest time an output may read.

    Returns
    -------
    OutputSpec

    Raises
    ------
    tumorsim.errors.AnalysisError
        The text is not an output, or names an unknown endpoint or arm, or a time after
        the horizon.
    """
    arm_names = tuple(arms) if arms is not None else None
    head, sep, rest = text.partition(":")
    if sep and head == "hr":
        endpoint_raw, sep2, pair = rest.partition(":")
        if not sep2:
            raise AnalysisError(f"unknown output {text!r}", f"an output of the form {OUTPUT_FORMS}")
        endpoint = _endpoint(endpoint_raw, text)
        arm, reference = _arm_pair(pair, text, arm_names)
        return OutputSpec(text, "hr", endpoint, None, arm, reference)
    if sep and head == "diff":
        statistic, sep2, pair = rest.partition(":")
        match = _AT.fullmatch(statistic)
        if not sep2 or match is None:
            raise AnalysisError(f"unknown output {text!r}", f"an output of the form {OUTPUT_FORMS}")
        endpoint = _endpoint(match["endpoint"], text)
        years = _years(match["years"], text, horizon_years)
        arm, reference = _arm_pair(pair, text, arm_names)
        return OutputSpec(text, "diff", endpoint, years, arm, reference)
    statistic, at_sign, arm_raw = text.partition("@")
    match = _AT.fullmatch(statistic)
    if sep or match is None:
        raise AnalysisError(f"unknown output {text!r}", f"an output of the form {OUTPUT_FORMS}")
    endpoint = _endpoint(match["endpoint"], text)
    years = _years(match["years"], text, horizon_years)
    chosen: str | None = None
    if arm_names is not None:
        chosen = arm_raw if at_sign else arm_names[0]
        if chosen not in arm_names:
            raise AnalysisError(f"output {text!r}: unknown arm {chosen!r}",
                                f"one of {', '.join(arm_names)}")
    elif at_sign:
        raise AnalysisError(f"output {text!r} names an arm but the model is a scenario",
                            f"{statistic} without @ARM, or a trial file")
    return OutputSpec(text, "at", endpoint, years, chosen, None)


def _proportion(patients: pd.DataFrame, endpoint: str, years: float,
                horizon_days: float) -> float:
    from tumorsim.trial.endpoints import endpoint_table

    table = endpoint_table(patients, endpoint, horizon_days)
    happened = table["event"].to_numpy(bool) & (
        table["duration_days"].to_numpy(float) <= years * DAYS_PER_YEAR)
    fraction = float(happened.mean()) if len(table) else float("nan")
    return 1.0 - fraction if endpoint in _SURVIVAL_ENDPOINTS else fraction


def _hazard_ratio(patients: pd.DataFrame, endpoint: str, arm: str, reference: str,
                  horizon_days: float) -> float:
    from tumorsim.analysis.survival import cox_hazard_ratios
    from tumorsim.trial.endpoints import endpoint_table

    table = endpoint_table(patients, endpoint, horizon_days)
    labels = table["arm"].astype(str).to_numpy()
    pair = table[(labels == arm) | (labels == reference)].copy()
    pair["treated"] = (pair["arm"].astype(str) == arm).astype(np.int64)
    if not pair["event"].any():
        return float("nan")
    fit = cox_hazard_ratios(pair, "duration_days", "event", ["treated"])
    return float(fit["hr"].iloc[0])


def output_value(spec: OutputSpec, patients: pd.DataFrame, horizon_days: float) -> float:
    """The value of one output for a simulated cohort or trial.

    Parameters
    ----------
    spec : OutputSpec
    patients : pandas.DataFrame
        A patients table (:attr:`tumorsim.SimulationResult.patients` or
        :attr:`tumorsim.trial.TrialResult.patients`, column ``arm``).
    horizon_days : float
        End of follow-up, days.

    Returns
    -------
    float
        A probability (``at``), a difference of probabilities (``diff``) or a hazard
        ratio (``hr``); NaN when a hazard ratio has no events to estimate it from.
    """
    if spec.kind == "hr":
        assert spec.arm is not None and spec.reference is not None
        return _hazard_ratio(patients, spec.endpoint, spec.arm, spec.reference, horizon_days)
    assert spec.years is not None
    years = float(spec.years)
    labels = patients["arm"].astype(str).to_numpy()

    def at(arm: str | None) -> float:
        rows = patients if arm is None else patients[labels == arm]
        return _proportion(rows, spec.endpoint, years, horizon_days)

    if spec.kind == "diff":
        return at(spec.arm) - at(spec.reference)
    return at(spec.arm)
