"""Trial files: a scenario TOML file with ``[arms.<name>]`` tables.

A trial file is a scenario file (it may ``extends`` one) plus one table per arm, in the
order the arms should have (the first is the reference arm), and an optional ``[trial]``
table::

    # Does a CXCR2 inhibitor added to AC->T cut lung relapse?
    extends = "act_chemotherapy.toml"     # biology, cohort and the shared treatment
    name = "AC-T +/- CXCR2 inhibitor"

    [trial]
    endpoints = ["rfs", "dmfs", "os", "distant_lung"]

    [arms.AC_T]
    description = "AC->T alone"

    [arms.AC_T_CXCR2i]
    description = "AC->T with a CXCR2 inhibitor"
    [arms.AC_T_CXCR2i.treatment.cxcr2_inhibitor]
    start_day = 28.0
    duration_days = 168.0

An arm's ``treatment`` and ``exposures`` tables are merged onto the file's
``[treatment]`` and ``[exposures]`` (tables key by key, the arm wins), so the shared part
of the plan is written once and each arm says what it adds or changes. To compare a
component against its absence, leave it out of ``[treatment]`` and put it in the arm
that receives it. Arms may only set ``description``, ``treatment`` and ``exposures``:
the biology is the trial's.

Errors are :class:`tumorsim.errors.ScenarioError` lines naming the file that gave the
value, the field (``arms.AC_T_CXCR2i.treatment.cxcr2_inhibitor.inhibition``), the value
and what is allowed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tumorsim.errors import ScenarioError
from tumorsim.io.scenario_file import _as_tuples, _display, read_document
from tumorsim.model.scenario import Exposures, Scenario, TreatmentPlan, deep_merge
from tumorsim.trial.design import DEFAULT_ENDPOINTS, Arm, EndpointName, Trial

__all__ = ["ARMS_KEY", "TRIAL_KEY", "is_trial_file", "load_trial"]

ARMS_KEY = "arms"
"""Top-level table of a trial file holding one table per arm."""
TRIAL_KEY = "trial"
"""Top-level table of a trial file with trial settings (``endpoints``)."""

_MERGED_SECTIONS = ("treatment", "exposures")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ArmTable(_Frozen):
    description: str = ""
    treatment: TreatmentPlan = TreatmentPlan()
    exposures: Exposures | None = None


class _TrialSettings(_Frozen):
    endpoints: tuple[EndpointName, ...] = Field(DEFAULT_ENDPOINTS, min_length=1)

    @field_validator("endpoints")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("each endpoint at most once")
        return v


ArmName = Annotated[str, Field(min_length=1, max_length=200)]


class _TrialFile(Scenario):
    """A scenario with arms: the schema of a trial file, for validation and messages."""

    arms: dict[ArmName, _ArmTable] = Field(min_length=1)
    trial: _TrialSettings = _TrialSettings()


def is_trial_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (with its ``extends`` chain) has ``[arms]`` or ``[trial]`` tables.

    Raises
    ------
    tumorsim.errors.ScenarioError
        A file of the chain cannot be read or parsed.
    """
    data, _ = read_document(path)
    return ARMS_KEY in data or TRIAL_KEY in data


def load_trial(path: str | os.PathLike[str]) -> Trial:
    """Read and validate a trial file (a scenario file with ``[arms.<name>]`` tables).

    Parameters
    ----------
    path : str or os.PathLike
        The trial file; it may ``extends`` scenario or trial files.

    Returns
    -------
    Trial
        Arms in file order (the first is the reference arm), each with its whole
        treatment plan (the file's ``[treatment]`` merged with the arm's).

    Raises
    ------
    tumorsim.errors.ScenarioError
        The file is missing, not TOML, has no arms, or a value is not allowed; one line
        naming the file, the field, the value and what is allowed.
    """
    file = Path(path)
    data, origins = read_document(file)
    shown = _display(file)
    arms = data.get(ARMS_KEY)
    if arms is None:
        raise ScenarioError(
            shown,
            ARMS_KEY,
            allowed="one [arms.<name>] table per arm, e.g. [arms.control]",
            problem="no trial arms",
            label="expected",
        )
    if isinstance(arms, dict):
        for name, table in arms.items():
            if isinstance(table, dict):
                _merge_shared_plan(data, origins, str(name), table)
    try:
        document = _TrialFile.model_validate(_as_tuples(data), strict=True)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(
            exc, file=shown, origins=origins, model=_TrialFile
        ) from None
    scenario = Scenario.model_validate(
        {name: getattr(document, name) for name in Scenario.model_fields}
    )
    return Trial(
        scenario=scenario,
        arms=tuple(
            Arm(
                name=name,
                treatment=table.treatment,
                exposures=table.exposures,
                description=table.description,
            )
            for name, table in document.arms.items()
        ),
        endpoints=document.trial.endpoints,
    )


def _merge_shared_plan(
    data: dict[str, Any], origins: dict[tuple[str, ...], Path], arm: str, table: dict[str, Any]
) -> None:
    """Merge the file's treatment (and exposures, if the arm has some) under the arm's."""
    for section in _MERGED_SECTIONS:
        shared = data.get(section)
        own = table.get(section)
        if section == "exposures" and own is None:
            continue  # the arm keeps the trial's exposures
        if own is None:
            own = {}
        if not isinstance(shared, dict) or not isinstance(own, dict):
            continue  # validation reports the wrong type
        table[section] = deep_merge(shared, own)
        # Values the arm inherits are reported as coming from the file that set them.
        target = (ARMS_KEY, arm, section)
        for key_path, source in list(origins.items()):
            if key_path[:1] == (section,):
                origins.setdefault((*target, *key_path[1:]), source)


