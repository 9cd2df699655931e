"""Building and running the arms of a claim on one virtual cohort.

Every arm of a claim keeps the biology of the scenario under test (parameters, sites,
clones, mechanism switches) and replaces what the claim is about: the cohort settings,
the population, the exposures and the whole treatment plan. Arms are simulated on the
same virtual patients with the same seed (common random numbers), so differences between
arms come from the intervention, not from who was sampled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from tumorsim.cohort.population import Cohort
from tumorsim.model.scenario import Scenario, deep_merge
from tumorsim.results import SimulationResult
from tumorsim.runner.simulate import simulate
from tumorsim.validation.claim import ClaimContext

__all__ = ["arm_scenario", "simulate_arms", "stacked_patients"]


def arm_scenario(
    base: Scenario,
    *,
    treatment: Mapping[str, Any],
    exposures: Mapping[str, Any] | None = None,
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
    **merged : mapping
        Sections merged into the base (``cohort``, ``population``, ``mechanisms``,
        ``numerics``, ``parameters``).
    """
    data = base.model_dump(exclude_none=True)
    data["treatment"] = dict(treatment)
    data["exposures"] = dict(exposures or {})
    for key, value in merged.items():
        data[key] = deep_merge(data.get(key, {}), dict(value))
    return Scenario.model_validate(data)


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


def stacked_patients(results: Mapping[str, SimulationResult],
                     flags: Mapping[str, Mapping[str, int]]) -> pd.DataFrame:
    """The arms' patient tables one under the other, with 0/1 columns per arm.

    ``flags[arm]`` gives the value of each indicator column for that arm, e.g.
    ``{"tamoxifen": 1, "arsenic": 0}``.
    """
    frames = []
    for arm, result in results.items():
        frames.append(result.patients.assign(**dict(flags[arm])))
    return pd.concat(frames, ignore_index=True)
