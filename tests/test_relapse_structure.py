"""The relapse structure of docs/model.md 2.10: each new law acts as it says, and its
default leaves the model as it was.

Deterministic mode makes the checks exact where the equations give a number (the split
of arriving cells between shallow and deep dormancy); elsewhere the direction is checked
on a cohort large enough to be stable with its seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tumorsim import Scenario, simulate
from tumorsim.model.parameters import PARAMETERS

ER_POSITIVE = {"er_positive_fraction": 1.0, "pr_positive_fraction_if_er_positive": 1.0}
METASTATIC = ("bone", "lung", "liver", "brain")


def _deterministic(**changes) -> Scenario:
    base = Scenario(
        biology="registry",
        population=ER_POSITIVE,
        numerics={"mode": "deterministic"},
        mechanisms={"death_after_relapse": False},
        cohort={"horizon_years": 3.0, "trajectory_patients": 20, "record_every_days": 365.25},
    )
    return base.with_changes(**changes)


def _dormant_cells(scenario: Scenario, day: float) -> pd.DataFrame:
    traj = simulate(scenario, patients=20, seed=3).trajectories
    assert traj is not None
    at = traj[np.isclose(traj["time_days"], day) & traj["site"].isin(METASTATIC)]
    return at.groupby("activity", observed=True)["cells"].sum()


def test_deep_dormancy_takes_its_share_of_arrivals_exactly():
    # deep and shallow dormant cells with the same fates: their ratio is f / (1 - f)
    same_fate = {"deep_awakening_rate_per_day": PARAMETERS["awakening_rate_per_day"].default,
                 "deep_dormant_death_rate_per_day":
                     PARAMETERS["dormant_death_rate_per_day"].default,
                 "tamoxifen_dormancy_hold": 0.0, "awakening_rate_per_day":
                     PARAMETERS["awakening_rate_per_day"].default}
    share = 0.3
    scenario = _deterministic(
        parameters=same_fate,
        sites={site: {"deep_dormancy_share": share} for site in METASTATIC},
        clones={"ERpos_PRpos": {"deep_dormancy_multiplier": 1.0},
                "ERpos_PRneg": {"deep_dormancy_multiplier": 1.0},
                "ERneg": {"deep_dormancy_multiplier": 1.0}},
        treatment={"surgery": True},
    )
    cells = _dormant_cells(scenario, 0.0)
    assert cells["deep_dormant"] > 0
    assert cells["deep_dormant"] / cells["dormant"] == pytest.approx(share / (1 - share),
                                                                       rel=1e-6)


def test_no_deep_dormancy_by_default_and_none_in_er_negative_clone_at_multiplier_zero():
    cells = _dormant_cells(_deterministic(), 0.0)
    assert cells["deep_dormant"] == 0.0
    assert cells["dormant"] > 0.0
    scenario = _deterministic(
        population={"er_positive_fraction": 0.0},
        sites={site: {"deep_dormancy_share": 0.5} for site in METASTATIC},
        clones={"ERneg": {"deep_dormancy_multiplier": 0.0}},
    )
    assert _dormant_cells(scenario, 0.0)["deep_dormant"] == 0.0


def _first_relapse_days(scenario: Scenario, n: int = 400) -> np.ndarray:
    return simulate(scenario, patients=n, seed=11).patients["first_event_days"].to_numpy(float)


def test_slow_colonisation_delays_relapse():
    fast = _deterministic(cohort={"horizon_years": 15.0})
    slow = fast.with_changes(parameters={"colonisation_max_growth_rate_per_day": 0.008})
    t_fast = _first_relapse_days(fast, 200)
    t_slow = _first_relapse_days(slow, 200)
    both = np.isfinite(t_fast) & np.isfinite(t_slow)
    assert both.sum() > 20
    # no relapse comes earlier when colonies grow slowly (to the integrator's tolerance:
    # a local recurrence, which slow colonisation does not touch, moves by ~1e-7)
    assert np.all(t_slow[both] >= t_fast[both] * (1.0 - 1e-5))
    assert np.median(t_slow[both] - t_fast[both]) > 180.0


def test_endocrine_insensitive_disease_gets_the_residual_tamoxifen_effect():
    tamoxifen = {"tamoxifen": {"start_day": 0.0, "duration_days": 1826.25}}
    base = _deterministic(cohort={"horizon_years": 10.0}, treatment=tamoxifen)
    insensitive = base.with_changes(parameters={
        "endocrine_insensitive_fraction_pr_pos": 1.0,
        "endocrine_insensitive_fraction_pr_neg": 1.0,
        "endocrine_insensitive_effect_fraction": 0.0})
    untreated = _deterministic(cohort={"horizon_years": 10.0})
    t_tam = _first_relapse_days(base, 200)
    t_ins = _first_relapse_days(insensitive, 200)
    t_none = _first_relapse_days(untreated, 200)
    # with no effect left, tamoxifen changes nothing (to the integrator's tolerance)
    assert np.array_equal(np.isfinite(t_ins), np.isfinite(t_none))
    finite = np.isfinite(t_none)
    np.testing.assert_allclose(t_ins[finite], t_none[finite], rtol=1e-4, atol=0.5)
    # sensitive disease relapses less within 10 years
    assert np.isfinite(t_tam).sum() < np.isfinite(t_none).sum()
