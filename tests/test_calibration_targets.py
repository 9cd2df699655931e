"""The calibration's targets: grade's effect on dissemination, the Cox and K4 targets.

The grade targets exist because grade carried risk only through growth, and a faster
tumour of the same size has had less time to seed: the twins' Cox log hazard ratio per
grade came out negative where the training parts' is positive. ``dissemination_fold_per_grade``
is the structure that can carry it; these tests check that it does what it says and that
every target has its simulated counterpart.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tumorsim.calibration.targets import (
    DEFAULT_SIZES,
    TrainingData,
    observed_targets,
    simulated_summaries,
)
from tumorsim.cohort.parameters import patient_parameters
from tumorsim.cohort.population import Cohort
from tumorsim.io.scenario_file import load_default_scenario


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return TrainingData.load()


def test_grade_multiplies_dissemination_by_its_fold_per_grade():
    base = load_default_scenario()
    cohort = Cohort.sample(base.population, 400, 3)
    grade = cohort.covariates["grade"].to_numpy()
    assert set(grade) == {1, 2, 3}
    plain = patient_parameters(base, cohort, 3).dissemination_coefficient
    folded = patient_parameters(base.with_changes(parameters={"dissemination_fold_per_grade":
                                                              3.0}), cohort, 3)
    ratio = folded.dissemination_coefficient / plain
    np.testing.assert_allclose(ratio, 3.0 ** (grade - 2.0), rtol=1e-12)
    assert base.parameter("dissemination_fold_per_grade") == 1.0


def test_observed_targets_carry_k4_and_grade_from_the_training_parts(data):
    targets = observed_targets(data).set_index("target")
    k4 = targets[targets.index.str.startswith("k4:share:")]
    assert len(k4) == 8
    assert k4.loc["k4:share:luminal A bone", "value"] == pytest.approx(0.662)
    assert (k4["se"] == 0.05).all()
    for name in ("gbsg2", "transbig"):
        row = targets.loc[f"{name}:log_hr_per_grade"]
        assert 0.0 < row["se"] < 1.0
        # larger tumours, more relapse (per mm, adjusted for the rest)
        row = targets.loc[f"{name}:log_hr_per_mm"]
        assert 0.0 < row["value"] < 0.1 and 0.0 < row["se"] < 0.05
    # GBSG2's training part: higher grade, more relapse (adjusted Cox)
    assert targets.loc["gbsg2:log_hr_per_grade", "value"] > 0.0
    # more nodes, more relapse; PR+ women relapse less (since run21): GBSG2 only, as
    # TRANSBIG is node-negative and its PR is drawn, not data
    assert 0.0 < targets.loc["gbsg2:log_hr_per_node", "value"] < 0.2
    assert targets.loc["gbsg2:log_hr_pr_positive", "value"] < 0.0
    assert "transbig:log_hr_per_node" not in targets.index
    assert "transbig:log_hr_pr_positive" not in targets.index


def test_the_cox_design_leaves_out_constant_and_drawn_covariates(data):
    from tumorsim.calibration.targets import cox_design

    assert set(cox_design(data.gbsg2.covariates)) == {
        "grade", "age_years", "tumour_size_mm", "er_positive", "positive_nodes",
        "pr_positive", "hormone_therapy"}
    transbig = cox_design(data.transbig.covariates)
    assert "positive_nodes" not in transbig and "pr_positive" not in transbig
    assert {"grade", "tumour_size_mm"} <= set(transbig)


def test_grade_growth_and_er_pos_pr_neg_growth_move_the_twins_cox_targets(data):
    """The run21 structure, at the shipped posterior's median: with no grade difference in
    growth the twins' log hazard ratio per grade falls (their colonies then grow alike);
    faster ER+/PR- cells strengthen PR+ women's lower risk. Sixteen twins a woman: with
    four, one seed's differences at run20de's median were 0.08 and 0.04, under the
    bounds, and another's 0.21 and 0.28 (Monte Carlo noise); with sixteen, seeds 5-7 gave
    0.20-0.24 and 0.09-0.19."""
    from pathlib import Path

    from tumorsim.calibration.priors import scenario_with
    from tumorsim.calibration.targets import _twin_log_hrs
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.runner.twins import run_twin

    median = Path(__file__).resolve().parents[1] / "docs" / "calibration" / (
        "posterior_median_scenario.toml")
    base = load_scenario(median).with_changes(cohort={"horizon_years": 15.0},
                                              mechanisms={"death_after_relapse": False})

    def log_hrs(**values: float) -> dict[str, float]:
        twins = run_twin(scenario_with(base, values), data.gbsg2, twins=16, seed=5).twins
        return _twin_log_hrs("gbsg2", twins, data.gbsg2, "rfs_days", "rfs_event")

    plain = log_hrs()
    assert set(plain) == {"gbsg2:log_hr_per_grade", "gbsg2:log_hr_per_mm",
                          "gbsg2:log_hr_per_node", "gbsg2:log_hr_pr_positive"}
    flat = log_hrs(grade_1_growth_multiplier=1.0, grade_3_growth_multiplier=1.0)
    assert flat["gbsg2:log_hr_per_grade"] < plain["gbsg2:log_hr_per_grade"] - 0.15
    faster = log_hrs(**{"clones.ERpos_PRneg.growth_multiplier": 2.0})
    assert faster["gbsg2:log_hr_pr_positive"] < plain["gbsg2:log_hr_pr_positive"] - 0.05


def test_simulated_summaries_name_every_target(data):
    tiny = replace(DEFAULT_SIZES, gbsg2_twins=1, transbig_twins=2, gse2034_patients=300,
                   k2_patients_per_arm=300, k7_er_negative_patients=300, k4_patients_per_row=300,
                   k3_patients_per_group=300)
    sim = simulated_summaries(load_default_scenario(), data, seed=4, sizes=tiny)
    names = set(observed_targets(data)["target"])
    assert names <= set(sim)
    shares = [v for k, v in sim.items() if k.startswith("k4:share:")]
    assert all(0.0 <= v <= 1.0 for v in shares if not math.isnan(v))


def test_a_larger_fold_per_grade_raises_the_twins_grade_hazard_ratio(data):
    from tumorsim.calibration.targets import _twin_log_hrs
    from tumorsim.runner.twins import run_twin

    base = load_default_scenario().with_changes(cohort={"horizon_years": 15.0},
                                                mechanisms={"death_after_relapse": False})
    hr = {}
    for fold in (1.0, 4.0):
        scenario = base.with_changes(parameters={"dissemination_fold_per_grade": fold})
        twins = run_twin(scenario, data.transbig, twins=10, seed=5,
                         chemotherapy_regimen=None).twins
        hr[fold] = _twin_log_hrs("transbig", twins, data.transbig, "dmfs_days",
                                 "dmfs_event")["transbig:log_hr_per_grade"]
    assert hr[4.0] > hr[1.0] + 0.3


def test_a_negative_size_exponent_flattens_the_twins_size_hazard_ratio(data):
    """dissemination_size_mm_exponent scales each woman's dissemination by (d / 20 mm)^beta_d
    and nothing else; below 0 it lowers the twins' Cox log hazard ratio per mm."""
    from tumorsim.calibration.targets import _twin_log_hrs
    from tumorsim.cohort.parameters import patient_parameters
    from tumorsim.runner.twins import run_twin

    base = load_default_scenario().with_changes(cohort={"horizon_years": 15.0},
                                                mechanisms={"death_after_relapse": False})
    assert base.parameter("dissemination_size_mm_exponent") == 0.0
    size = data.gbsg2.covariates["tumour_size_mm"].to_numpy(float)
    plain = patient_parameters(base, data.gbsg2, 3)
    bent = patient_parameters(base.with_changes(
        parameters={"dissemination_size_mm_exponent": -1.5}), data.gbsg2, 3)
    np.testing.assert_allclose(bent.dissemination_coefficient / plain.dissemination_coefficient,
                               (size / 20.0) ** -1.5, rtol=1e-12)
    np.testing.assert_array_equal(bent.diagnosis_cells, plain.diagnosis_cells)
    hr = {}
    for exponent in (0.0, -1.5):
        scenario = base.with_changes(parameters={"dissemination_size_mm_exponent": exponent})
        twins = run_twin(scenario, data.gbsg2, twins=4, seed=5).twins
        hr[exponent] = _twin_log_hrs("gbsg2", twins, data.gbsg2, "rfs_days",
                                     "rfs_event")["gbsg2:log_hr_per_mm"]
    assert hr[-1.5] < hr[0.0] - 0.01


def test_every_claim_the_posterior_is_fitted_to_is_a_calibration_target(data):
    from pathlib import Path

    import tumorsim
    from tumorsim.calibration.run import record_targets
    from tumorsim.validation import select_claims

    # the shipped posterior's targets (run22, the first fitted to K6)
    shipped = record_targets(Path(tumorsim.__file__).parent / "data" / "posterior")
    assert set(shipped) < set(observed_targets(data)["target"])
    fitted_claims = {name.split(":")[0].upper() for name in shipped if name.startswith("k")}
    assert fitted_claims == {"K2", "K3", "K4", "K5", "K6", "K7"}
    for claim in select_claims(sorted(fitted_claims)):
        for check in claim.checks:
            assert check.kind == "calibration target", (claim.id, check.label)
            assert check.why_kind


def test_a_cohort_effect_moves_only_its_own_data_sets_targets(data):
    # TRANSBIG's women spreading a third as much relapse less; GSE2034's spreading three
    # times as much relapse more; every other target is simulated exactly as before
    tiny = replace(DEFAULT_SIZES, gbsg2_twins=1, transbig_twins=4, gse2034_patients=600,
                   k2_patients_per_arm=100, k7_er_negative_patients=100,
                   k4_patients_per_row=100, k3_patients_per_group=100,
                   k6_patients_per_arm=100)
    base = load_default_scenario()
    plain = simulated_summaries(base, data, seed=4, sizes=tiny)
    moved = simulated_summaries(base, data, seed=4, sizes=tiny,
                                cohort_effects={"transbig": 1 / 3, "gse2034": 3.0})
    for name, value in plain.items():
        if name.startswith(("transbig:", "gse2034:")):
            continue
        assert moved[name] == value or (math.isnan(value) and math.isnan(moved[name])), name
    for er in ("ER+", "ER-"):
        assert moved[f"transbig:dmfs:{er}:10y"] > plain[f"transbig:dmfs:{er}:10y"]
        assert moved[f"gse2034:dmfs:{er}:10y"] < plain[f"gse2034:dmfs:{er}:10y"]
    # an effect of 1 is no effect
    same = simulated_summaries(base, data, seed=4, sizes=tiny,
                               cohort_effects={"transbig": 1.0})
    assert same["transbig:dmfs:ER+:5y"] == plain["transbig:dmfs:ER+:5y"]


def test_k6_is_a_target_that_chemotherapys_kill_moves(data):
    # CMF against none (claim K6) on the log scale, the scorecard's band as 2 SE; a
    # shorter kill after each dose leaves CMF a smaller effect (a hazard ratio nearer 1),
    # and the targets simulated before it do not depend on it
    from tumorsim.calibration.targets import K6_TARGET

    target = observed_targets(data).set_index("target").loc[K6_TARGET]
    assert target["value"] == pytest.approx(math.log(0.76))
    assert target["se"] == pytest.approx((math.log(0.86) - math.log(0.66)) / 4)
    tiny = replace(DEFAULT_SIZES, gbsg2_twins=1, transbig_twins=1, gse2034_patients=100,
                   k2_patients_per_arm=100, k7_er_negative_patients=100,
                   k4_patients_per_row=100, k3_patients_per_group=100,
                   k6_patients_per_arm=1500)
    base = load_default_scenario()
    three = simulated_summaries(base.with_changes(parameters={"chemo_kill_days": 3.0}), data,
                                seed=6, sizes=tiny)
    one = simulated_summaries(base.with_changes(parameters={"chemo_kill_days": 1.0}), data,
                              seed=6, sizes=tiny)
    assert -1.5 < three[K6_TARGET] < one[K6_TARGET] - 0.1 < 0.0
    fewer = simulated_summaries(base.with_changes(parameters={"chemo_kill_days": 3.0}), data,
                                seed=6, sizes=replace(tiny, k6_patients_per_arm=300))
    for name, value in three.items():
        if name != K6_TARGET:
            assert fewer[name] == value or (math.isnan(value) and math.isnan(fewer[name])), name
