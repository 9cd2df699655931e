"""What an in-silico trial is: arms (treatment plans, exposures) given to one cohort.

A :class:`Trial` holds the biology and cohort settings (a :class:`Scenario`), two or more
:class:`Arm` objects and the endpoints to report. Every virtual patient is simulated under
every arm with the same covariates and random streams (common random numbers), so the
arms differ only by what the arms say::

    from tumorsim.model.scenario import Scenario, TreatmentPlan
    from tumorsim.trial import Arm, Trial

    chemo = TreatmentPlan(chemotherapy={"regimen": "AC_T"})
    trial = Trial(
        scenario=Scenario(name="CXCR2 blockade"),
        arms=(
            Arm(name="AC-T", treatment=chemo),
            Arm(name="AC-T + CXCR2i", treatment=chemo.model_copy(
                update={"cxcr2_inhibitor": {"start_day": 28.0, "duration_days": 168.0}})),
        ),
        endpoints=("rfs", "dmfs", "os", "distant_lung"),
    )

The first arm is the reference (control) arm of hazard ratios.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tumorsim.errors import TumorsimError
from tumorsim.model.scenario import Exposures, Scenario, TreatmentPlan

__all__ = [
    "DEFAULT_ENDPOINTS",
    "ENDPOINTS",
    "Arm",
    "EndpointName",
    "Trial",
]

EndpointName = Literal[
    "rfs",
    "dmfs",
    "os",
    "local_relapse",
    "distant_bone",
    "distant_lung",
    "distant_liver",
    "distant_brain",
]
"""Trial endpoints: relapse-free, distant-metastasis-free and overall survival, and the
time to relapse at one site (``local_relapse`` in the breast, ``distant_<site>``)."""

ENDPOINTS: Final[tuple[str, ...]] = get_args(EndpointName)
DEFAULT_ENDPOINTS: Final[tuple[EndpointName, ...]] = ("rfs", "dmfs", "os")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arm(_Frozen):
    """One arm of a trial: a treatment plan and, optionally, its own exposures.

    Attributes
    ----------
    name : str
        The arm's label (the ``arm`` column of results).
    treatment : TreatmentPlan
        The whole treatment plan of the arm (it replaces the scenario's).
    exposures : Exposures or None
        Metal exposures of the arm; ``None`` keeps the trial scenario's exposures.
    description : str
        Free text.
    """

    name: str = Field(min_length=1, max_length=200)
    treatment: TreatmentPlan
    exposures: Exposures | None = None
    description: str = ""


class Trial(_Frozen):
    """An in-silico trial: one cohort, every patient simulated under every arm.

    Attributes
    ----------
    scenario : Scenario
        Biology (parameters, sites, clones, mechanisms, numerics), population and cohort
        settings (patients, seed, horizon, trajectories). Its ``treatment`` is not used:
        each arm brings its own; its ``exposures`` apply to arms without their own.
    arms : tuple of Arm
        At least one arm, with distinct names; the first is the reference arm.
    endpoints : tuple of str
        Endpoints reported by default (see :data:`ENDPOINTS`).
    """

    scenario: Scenario
    arms: tuple[Arm, ...] = Field(min_length=1)
    endpoints: tuple[EndpointName, ...] = Field(DEFAULT_ENDPOINTS, min_length=1)

    @model_validator(mode="after")
    def _distinct_names(self) -> Trial:
        names = [arm.name for arm in self.arms]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"arm names must be distinct; repeated: {', '.join(duplicates)}")
        if len(set(self.endpoints)) != len(self.endpoints):
            raise ValueError("endpoints must be distinct")
        return self

    @property
    def name(self) -> str:
        """The trial's name (the scenario's)."""
        return self.scenario.name

    @property
    def arm_names(self) -> tuple[str, ...]:
        """Arm names in order; the first is the reference arm."""
        return tuple(arm.name for arm in self.arms)

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise TumorsimError(f"no arm {name!r} in the trial; arms: {', '.join(self.arm_names)}")

    def arm_scenario(self, arm: Arm | str) -> Scenario:
        """The trial scenario with the arm's treatment plan and exposures.

        Parameters
        ----------
        arm : Arm or str
            An arm of this trial, or its name.

        Returns
        -------
        Scenario
        """
        chosen = self.arm(arm) if isinstance(arm, str) else arm
        exposures = chosen.exposures if chosen.exposures is not None else self.scenario.exposures
        # Both parts are validated models and the scenario's cross-field checks do not
        # involve them, so a copy with the parts replaced is a valid scenario.
        return self.scenario.model_copy(
            update={"treatment": chosen.treatment, "exposures": exposures}
        )

    def with_scenario(self, scenario: Scenario) -> Trial:
        """The same arms and endpoints with another scenario (e.g. another cohort size)."""
        return Trial(scenario=scenario, arms=self.arms, endpoints=self.endpoints)
