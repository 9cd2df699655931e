"""Building and running the arms of a claim on one virtual cohort.

Every arm of a claim keeps the biology of the scenario under test (parameters, sites,
clones, mechanism switches) and replaces what the claim is about: the cohort settings,
the population, the exposures and the whole treatment plan. Arms are simulated on the
same virtual patients with the same seed (common random numbers), so differences between
arms come from the intervention, not from who was sampled.

Adjuvant arms (women after surgery for a cancer without detectable distant metastasis,
as in every adjuvant trial) are conditioned on no detectable distant metastasis at
diagnosis (``arm_scenario(..., adjuvant=True)``, the scenario's
``cohort.metastasis_free_at_diagnosis``). A natural history that still ends with one
after the engine's redraw limit is not a day-0 recurrence: :func:`m0_patients` removes
those women from every arm and counts them, and the claim reports the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tumorsim.cohort.population import Cohort
from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.model.scenario import Scenario, deep_merge
from tumorsim.results import SimulationResult
from tumorsim.runner.simulate import simulate
from tumorsim.validation.claim import ClaimContext

__all__ = ["arm_scenario", "detectable_at_diagnosis", "m0_note", "m0_patients", "simulate_arms",
           "stacked_patients"]


def arm_scenario(
    base: Scenario,
    *,
    treatment: Mapping[str, Any],
    exposures: Mapping[str, Any] | None = None,
    adjuvant: bool = False,
    **merged: Mapping[str, Any],
) -> Scenario:
    """``base`` with its treatment plan and exposures *replaced* and other sections merged.

    Parameters
    ----------
    base : Scenario
        The biology under test.
    treatment : mapping
        The whole treatment plan of the arm (what is not named is not given).
    exposures : mapping, optional
        The whole exposure set of the arm (none if omitted).
    adjuvant : bool, default False
        Condition every woman on no detectable distant metastasis at diagnosis (M0).
    **merged : mapping
        Sections merged into the base (``cohort``, ``population``, ``mechanisms``,
        ``numerics``, ``parameters``).
    """
    data = base.model_dump(exclude_none=True)
    data["treatment"] = dict(treatment)
    data["exposures"] = dict(exposures or {})
    for key, value in merged.items():
        data[key] = deep_merge(data.get(key, {}), dict(value))
    if adjuvant:
        data["cohort"] = deep_merge(data.get("cohort", {}),
                                    {"metastasis_free_at_diagnosis": True})
    return Scenario.model_validate(data)


def detectable_at_diagnosis(result: SimulationResult) -> np.ndarray:
    """Per woman: a distant site held at least its detection size at diagnosis (day 0)."""
    patients = result.patients
    out = np.zeros(len(patients), dtype=bool)
    for site in METASTATIC_SITES:
        detection = result.scenario.site_value(site, "detection_cells")
        out |= patients[f"cells_at_diagnosis_{site}"].to_numpy(float) >= detection
    return out


def m0_patients(results: Mapping[str, SimulationResult]
                ) -> tuple[dict[str, pd.DataFrame], int]:
    """Each arm's patient table without the women not M0 at diagnosis in some arm.

    Returns
    -------
    tables : dict of str to DataFrame
        Per arm, the rows of women with no detectable distant metastasis at diagnosis in
        any arm (the same women in every arm, in the same order, so arms stay paired).
    excluded : int
        Women removed: their natural history could not be conditioned within the
        engine's redraw limit.
    """
    first = next(iter(results.values()))
    keep = np.ones(len(first.patients), dtype=bool)
    for result in results.values():
        keep &= ~detectable_at_diagnosis(result)
    tables = {arm: r.patients[keep].reset_index(drop=True) for arm, r in results.items()}
    return tables, int((~keep).sum())


def m0_note(excluded: int) -> str:
    """The sentence a claim adds to its note about women it could not condition on M0."""
    return ("" if excluded == 0 else
            f"; {excluded} women not M0 after the redraw limit, excluded")


def simulate_arms(context: ClaimContext, arms: Mapping[str, Scenario],
                  cohort: Cohort | None = None) -> dict[str, SimulationResult]:
    """Simulate each arm on the same patients with the context's seed.

    Without ``cohort``, ``context.patients`` women are sampled from the first arm's
    population. ``context.progress`` is called once per arm.
    """
    first = next(iter(arms.values()))
    if cohort is None:
        cohort = Cohort.sample(first.population, context.patients, context.seed)
    out = {}
    for k, (name, scenario) in enumerate(arms.items()):
        out[name] = simulate(scenario.with_changes(name=name), cohort, seed=context.seed,
                             n_threads=context.n_threads)
        if context.progress is not None:
            context.progress(k + 1, len(arms))
    return out


def stacked_patients(tables: Mapping[str, pd.DataFrame],
                     flags: Mapping[str, Mapping[str, int]]) -> pd.DataFrame:
    """The arms' patient tables one under the other, with 0/1 columns per arm.

    ``flags[arm]`` gives the value of each indicator column for that arm, e.g.
    ``{"tamoxifen": 1, "arsenic": 0}``.
    """
    frames = []
    for arm, table in tables.items():
        frames.append(table.assign(**dict(flags[arm])))
    return pd.concat(frames, ignore_index=True)
