"""The Bayesian calibration machinery recovers a known answer and reproduces from its seed.

A toy simulator with a known posterior stands in for tumorsim (the machinery is the same:
Latin hypercube design with a checkpoint, Gaussian-process emulators, emcee); one real
design point checks that the simulator's summaries name every target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tumorsim.calibration.posterior import (
    fit_emulator,
    median_misses_difference,
    run_design,
    sample_posterior,
)
from tumorsim.calibration.priors import FITTED, FittedParameter, scenario_with
from tumorsim.errors import TumorsimError

TOY = (FittedParameter("alpha", "linear", 0.0, 1.0, "toy"),
       FittedParameter("beta", "log", 0.1, 10.0, "toy"))


def _toy_summaries(values, seed):
    rng = np.random.default_rng(seed + int(values["alpha"] * 1e6))
    noise = rng.normal(0.0, 0.002, size=2)
    return {"a": 2.0 * values["alpha"] + 0.1 * np.log10(values["beta"]) + noise[0],
            "b": np.log10(values["beta"]) ** 2 + noise[1]}


TARGETS = pd.DataFrame({"target": ["a", "b"], "value": [1.0, 0.25], "se": [0.02, 0.02],
                        "kind": ["toy", "toy"]})


def _posterior(tmp_path, seed):
    design = run_design(_toy_summaries, points=30, seed=seed, fitted=TOY,
                        checkpoint=tmp_path / f"design{seed}.parquet")
    emulator = fit_emulator(design, TARGETS, 2, seed)
    return sample_posterior(emulator, TARGETS, seed=seed, walkers=12, steps=500,
                            burn_in=200, draws=120, fitted=TOY)


def test_toy_posterior_is_where_the_targets_say(tmp_path):
    result = _posterior(tmp_path, 5)
    # b = log10(beta)^2 = 0.25 -> log10(beta) = +-0.5; a = 2 alpha + 0.1 log10(beta) = 1
    log_beta = np.log10(result.draws["beta"].to_numpy())
    alpha = result.draws["alpha"].to_numpy()
    assert len(result.draws) == 120
    assert np.all(np.abs(np.abs(log_beta) - 0.5) < 0.08)
    assert np.all(np.abs(2 * alpha + 0.1 * log_beta - 1.0) < 0.1)
    assert 0.1 < result.diagnostics["acceptance_fraction"] < 0.9
    assert result.diagnostics["effective_sample_size"] > 20


def test_same_seed_same_ensemble_and_the_design_resumes(tmp_path):
    first = _posterior(tmp_path, 9)
    # the design checkpoint now holds every point: a rerun simulates nothing new
    calls = []

    def counting(values, seed):
        calls.append(values)
        return _toy_summaries(values, seed)

    again = run_design(counting, points=30, seed=9, fitted=TOY,
                       checkpoint=tmp_path / "design9.parquet")
    assert calls == []
    assert len(again) == 30
    second = _posterior(tmp_path, 9)
    pd.testing.assert_frame_equal(first.draws, second.draws, check_exact=True)


def test_fitted_values_reach_the_scenario():
    from tumorsim.io.scenario_file import load_default_scenario

    values = {p.name: float(p.from_unit(0.25)) for p in FITTED}
    s = scenario_with(load_default_scenario(), values)
    assert s.parameter("awakening_rate_per_day") == pytest.approx(
        values["awakening_rate_per_day"])
    assert s.site_value("bone", "deep_dormancy_share") == pytest.approx(
        values["sites.bone.deep_dormancy_share"])
    assert s.site_value("lung", "deep_dormancy_share") == pytest.approx(
        values["sites.deep_dormancy_share"])


def test_run_summary_tables_and_figure(tmp_path):
    from tumorsim.calibration.posterior import write_posterior
    from tumorsim.calibration.summary import parameter_table, predictive_figure, target_table

    result = _posterior(tmp_path, 5)
    run = tmp_path / "run"
    write_posterior(result, run, command="test")
    checks = pd.DataFrame([{"draw": k, **_toy_summaries(
        {p.name: float(result.draws.loc[k, p.name]) for p in TOY}, 100 + k)}
        for k in range(10)])
    checks.to_parquet(run / "predictive_checks.parquet", index=False)
    params = parameter_table(run)
    assert list(params["parameter"]) == ["alpha", "beta"]
    assert (params["q05"] <= params["median"]).all() and (params["median"] <= params["q95"]).all()
    targets = target_table(run)
    assert targets["consistent"].all()
    assert predictive_figure(run, tmp_path / "checks.png").stat().st_size > 1000


def test_the_packaged_predictive_checks_belong_to_the_packaged_posterior():
    # The demo's report draws its predictive-check figure from these files: every fitted
    # target of the record has a simulated column, one row per checked draw of the draws.
    import json

    from tumorsim.calibration.summary import target_table
    from tumorsim.io.ensemble_file import packaged_posterior_dir

    run = packaged_posterior_dir()
    record = json.loads((run / "posterior.json").read_text())
    checks = pd.read_parquet(run / "predictive_checks.parquet")
    draws = pd.read_parquet(run / "posterior_draws.parquet")
    assert checks["draw"].between(0, len(draws) - 1).all() and checks["draw"].is_unique
    assert "--checks " + str(len(checks)) in record["command"]
    targets = target_table(run)
    assert list(targets["target"]) == [t["target"] for t in record["targets"]]
    assert np.isfinite(targets[["predictive_q05", "predictive_q95"]].to_numpy()).all()


def test_held_out_checks_have_their_tables():
    # shapes only: the held-out parts are for the final check of a fit, not for looking
    from tumorsim.calibration.held_out import held_out_checks
    from tumorsim.io.scenario_file import load_default_scenario

    checks = held_out_checks(load_default_scenario(), seed=1, twins=2, population=300)
    assert set(checks) == {"gbsg2", "transbig", "gse2034"}
    for check in checks.values():
        assert list(check.km.columns) == ["data_set", "group", "years", "observed",
                                          "ci_lower", "ci_upper", "simulated", "inside"]
    for name in ("transbig", "gse2034"):
        assert set(checks[name].km["group"]) == {"ER+", "ER-"}, name
    assert len(checks["gbsg2"].km) == 12  # K1's four tamoxifen x PR groups at 1, 3, 5 years
    for name in ("gbsg2", "transbig"):
        assert 0.0 <= checks[name].c_index_twin <= 1.0
        assert 0.0 <= checks[name].c_index_cox <= 1.0
        difference, low, high = checks[name].c_index_difference
        assert low <= difference <= high
        assert difference == pytest.approx(checks[name].c_index_twin - checks[name].c_index_cox)


def test_risk_score_averages_over_draws_of_the_covariates_transbig_lacks():
    # each group of twins carries its own draw of the missing PR; one group reproduces the
    # score of a single shared draw
    from tumorsim.calibration.held_out import twin_risk_concordance
    from tumorsim.cohort.datasets import DRAW_SEED, training_cohort
    from tumorsim.io.scenario_file import load_default_scenario

    first = training_cohort("transbig", seed=DRAW_SEED).covariates["pr_fmol"].to_numpy()
    second = training_cohort("transbig", seed=DRAW_SEED + 1).covariates["pr_fmol"].to_numpy()
    assert (first != second).mean() > 0.5
    scenario = load_default_scenario()
    risk = twin_risk_concordance(scenario, "training", seed=5, twins=5, imputations=2)
    women = len(risk.scored)
    assert risk.twins["covariate_draw"].value_counts().to_dict() == {0: 3 * women,
                                                                     1: 2 * women}
    one = twin_risk_concordance(scenario, "training", seed=5, twins=3, imputations=1)
    days = one.twins["dmfs_days_uncensored"].to_numpy(float).reshape(women, 3)
    event = one.twins["dmfs_event_uncensored"].to_numpy(bool).reshape(women, 3)
    expected = (event & (days <= 5 * 365.25)).mean(axis=1)
    np.testing.assert_allclose(one.scored["risk"], expected)


def test_nuisance_parameters_are_drawn_from_their_priors_and_not_emulated(tmp_path):
    from tumorsim.model.ensemble import PriorRange

    plain = run_design(_toy_summaries, points=12, seed=3, fitted=TOY)
    seen = []

    def recording(values, seed):
        seen.append(values)
        return _toy_summaries(values, seed)

    nuisance = {"gamma": PriorRange(0.0, 2.0)}
    marginal = run_design(recording, points=12, seed=3, fitted=TOY, nuisance=nuisance)
    # the fitted coordinates are those of the design without the nuisance ...
    pd.testing.assert_frame_equal(marginal[["u_0", "u_1"]], plain[["u_0", "u_1"]])
    # ... every point simulated with a nuisance value from its prior, recorded apart
    assert all(0.0 <= v["gamma"] <= 2.0 for v in seen)
    np.testing.assert_allclose(marginal["nuisance.gamma"], [v["gamma"] for v in seen])
    assert marginal["nuisance.gamma"].nunique() == 12
    assert "u_2" not in marginal


def test_a_later_wave_adds_its_points_to_the_checkpoint_and_resumes(tmp_path):
    from tumorsim.calibration.posterior import refinement_points
    from tumorsim.errors import TumorsimError

    path = tmp_path / "design.parquet"
    first = run_design(_toy_summaries, points=30, seed=4, fitted=TOY, checkpoint=path)
    emulator = fit_emulator(first, TARGETS, 2, 4)
    interim = sample_posterior(emulator, TARGETS, seed=5, walkers=12, steps=400, burn_in=200,
                               draws=100, fitted=TOY)
    units = refinement_points(interim, 10, 6)
    assert units.shape == (10, 2) and len(np.unique(units, axis=0)) == 10
    assert np.all((units >= 0) & (units <= 1))
    # the wave is where the posterior is: every point near b's two solutions
    assert np.all(np.abs(np.abs(np.log10(TOY[1].from_unit(units[:, 1]))) - 0.5) < 0.15)
    second = run_design(_toy_summaries, points=10, seed=4, fitted=TOY, checkpoint=path,
                        units=units, first_point=30)
    assert list(second["point"]) == list(range(30, 40))
    calls = []

    def counting(values, seed):
        calls.append(values)
        return _toy_summaries(values, seed)

    again = run_design(counting, points=10, seed=4, fitted=TOY, checkpoint=path, units=units,
                       first_point=30)
    assert calls == []
    pd.testing.assert_frame_equal(again, second)
    with pytest.raises(TumorsimError, match="other coordinates"):
        run_design(counting, points=10, seed=4, fitted=TOY, checkpoint=path,
                   units=units[::-1], first_point=30)


def test_the_emulators_are_fitted_where_the_targets_are_met():
    from tumorsim.calibration.posterior import plausible_points, squared_misses

    design = pd.DataFrame({"a": [1.0, 1.02, 1.1, np.nan, 2.0],
                           "b": [0.25, 0.25, 0.25, 0.25, 0.25]})
    misses = squared_misses(design, TARGETS)
    np.testing.assert_allclose(misses[:3], [0.0, 1.0, 25.0])
    assert misses[3] == np.inf  # no value for a target: never plausible
    # within twice the smallest, or among the best ``at_least``
    assert list(plausible_points(misses + 1.0, factor=2.5, at_least=1)) == [
        True, True, False, False, False]
    assert list(plausible_points(misses, factor=2.0, at_least=4)) == [
        True, True, True, False, True]


def test_the_sampler_stays_in_the_plausible_region(tmp_path):
    from tumorsim.calibration.posterior import log_likelihood, squared_misses

    design = run_design(_toy_summaries, points=40, seed=7, fitted=TOY)
    emulator = fit_emulator(design, TARGETS, 2, 7, at_least=10)
    y, se = TARGETS["value"].to_numpy(), TARGETS["se"].to_numpy()
    # alpha = 0 misses a by about 50 SE whatever beta: outside the region
    far = np.array([[0.0, 0.5], [0.02, 0.1], [0.05, 0.5]])
    assert np.all(log_likelihood(emulator, y, se, far) == -np.inf)
    assert np.isfinite(log_likelihood(emulator, y, se, emulator.start[:1]))[0]
    # the walkers start at the design's best points, and stay where a is met
    result = sample_posterior(emulator, TARGETS, seed=7, walkers=12, steps=300, burn_in=100,
                              draws=50, fitted=TOY)
    np.testing.assert_allclose(emulator.start[0],
                               design.iloc[int(np.argmin(squared_misses(design, TARGETS)))][
                                   ["u_0", "u_1"]].to_numpy(float))
    assert np.all(np.abs(2 * result.draws["alpha"] + 0.1 * np.log10(result.draws["beta"])
                         - 1.0) < 0.1)


def test_held_parameters_are_fixed_and_carried_by_the_draws(tmp_path):
    from tumorsim.calibration.run import fitted_without

    result = _posterior(tmp_path, 5)
    held = result.holding({"gamma": 0.5})
    assert (held.draws["gamma"] == 0.5).all()
    pd.testing.assert_frame_equal(held.draws.drop(columns="gamma"), result.draws)
    assert held.median() == {**result.median(), "gamma": 0.5}
    assert held.record()["held"] == {"gamma": 0.5}
    assert [p["name"] for p in held.record()["priors"]] == ["alpha", "beta"]
    # the calibration fits every parameter but the held ones
    held_values = {"dissemination_nodes_exponent": 1.2, "sites.bone.deep_dormancy_share": 0.5}
    kept = fitted_without(held_values)
    assert [p.name for p in kept] == [p.name for p in FITTED if p.name not in held_values]


def test_checks_at_check_scale_and_cohort_effects_out_of_the_biology(tmp_path, monkeypatch):
    # the simulator replaced by one that answers every target near its observed value and
    # records the sizes it was asked for: the design at the given sizes, the checks at 4x
    import tumorsim.calibration.run as run
    from tumorsim.calibration.targets import DEFAULT_SIZES, TrainingData, observed_targets

    observed = observed_targets(TrainingData.load()).set_index("target")
    asked = []

    effects_given = []

    def fake(scenario, data, *, seed, sizes, cohort_effects=None):
        asked.append(sizes)
        effects_given.append(dict(cohort_effects or {}))
        rng = np.random.default_rng(seed + len(asked))
        return {t: float(r.value + 0.1 * r.se * rng.normal())
                for t, r in observed.iterrows()}

    monkeypatch.setattr(run, "simulated_summaries", fake)
    result = run.posterior_calibration(tmp_path / "out", points=8, seed=3, draws=100,
                                       checks=2, steps=120, burn_in=20, check_scale=4,
                                       cohort_effects=True)
    assert asked[:8] == [DEFAULT_SIZES] * 8
    four = {k: 4 * v for k, v in DEFAULT_SIZES.__dict__.items()}
    assert [a.__dict__ for a in asked[8:]] == [four, four]
    assert result.diagnostics["predictive_check_sizes"] == four
    assert len(pd.read_parquet(tmp_path / "out" / "predictive_checks.parquet")) == 2
    # the emulator's prediction at the same two draws, and its coverage per target
    foreseen = pd.read_parquet(tmp_path / "out" / "emulator_check.parquet")
    assert sorted(foreseen["draw"].unique()) == [0, 1]
    assert set(result.diagnostics["emulator_coverage"]) == set(foreseen["target"])
    # --cohort-effects: the two data sets' multipliers are fitted after the biology; the
    # simulator gets them as cohort effects (never on the scenario), the draws carry them,
    # and an ensemble read from the draws leaves them out
    from tumorsim.calibration.cohort_effects import COHORT_EFFECTS
    from tumorsim.io.ensemble_file import load_ensemble

    names = [p.name for p in COHORT_EFFECTS]
    assert [p.name for p in result.fitted][-2:] == names
    assert all(set(e) == {"transbig", "gse2034"} for e in effects_given)
    assert all(0.25 <= v <= 4.0 for e in effects_given for v in e.values())
    assert len({round(e["transbig"], 9) for e in effects_given}) == len(effects_given)
    draws = tmp_path / "out" / "posterior_draws.parquet"
    assert set(names) <= set(pd.read_parquet(draws).columns)
    ensemble = load_ensemble(draws)
    assert list(ensemble.draws.columns) == [p.name for p in FITTED]


def test_size_options_replace_only_the_named_simulation_sizes():
    from dataclasses import replace

    from tumorsim.calibration.targets import DEFAULT_SIZES
    from tumorsim.cli.check_commands import simulation_sizes

    assert simulation_sizes([]) == DEFAULT_SIZES
    assert simulation_sizes(["k2_patients_per_arm=4500", "k7_er_negative_patients=3000"]) == \
        replace(DEFAULT_SIZES, k2_patients_per_arm=4500, k7_er_negative_patients=3000)


def test_the_emulator_check_names_a_target_the_emulator_did_not_foresee(tmp_path):
    from tumorsim.calibration.posterior import emulator_check, emulator_coverage

    design = run_design(_toy_summaries, points=30, seed=5, fitted=TOY,
                        checkpoint=tmp_path / "design.parquet")
    emulator = fit_emulator(design, TARGETS, 2, 5)
    result = sample_posterior(emulator, TARGETS, seed=5, walkers=12, steps=300,
                              burn_in=100, draws=40, fitted=TOY)
    # the real simulator at ten draws: the emulator foresees "a" and "b" there ...
    truth = pd.DataFrame([{"draw": k, **_toy_summaries(
        {p.name: float(result.draws.loc[k, p.name]) for p in TOY}, 100 + k)}
        for k in range(10)])
    check = emulator_check(emulator, result.draws, truth, TOY)
    assert len(check) == 20 and set(check["target"]) == {"a", "b"}
    u = np.array([p.to_unit(result.draws.loc[3, p.name]) for p in TOY])
    m, _ = emulator.predict(u)
    row = check[(check["draw"] == 3) & (check["target"] == "a")].iloc[0]
    assert row["emulated"] == pytest.approx(m[0, 0])
    assert row["z"] == pytest.approx((row["simulated"] - row["emulated"]) / row["emulator_sd"])
    good = emulator_coverage(check).set_index("target")
    assert good.loc["a", "within_2_sd"] >= 0.8 and good.loc["b", "within_2_sd"] >= 0.8
    # ... and a simulator that answers "a" 0.5 higher than the design showed is caught
    shifted = truth.assign(a=truth["a"] + 0.5)
    bad = emulator_coverage(emulator_check(emulator, result.draws, shifted, TOY))
    assert bad.iloc[0]["target"] == "a"
    assert bad.iloc[0]["within_2_sd"] == 0.0 and bad.iloc[0]["median_z"] > 10
    assert list(bad["draws"]) == [10, 10]


def test_a_runs_cohort_effects_are_read_from_its_record(tmp_path):
    import json

    from tumorsim.calibration.cohort_effects import read_cohort_effects
    from tumorsim.errors import TumorsimError
    from tumorsim.model.ensemble import split_cohort_effects

    record = {"posterior_median": {"dissemination_coefficient": 2e-9,
                                   "cohort.transbig.dissemination_multiplier": 0.5,
                                   "cohort.gse2034.dissemination_multiplier": 1.5}}
    (tmp_path / "posterior.json").write_text(json.dumps(record))
    assert read_cohort_effects(tmp_path) == {"transbig": 0.5, "gse2034": 1.5}
    assert read_cohort_effects(tmp_path / "posterior.json") == {"transbig": 0.5,
                                                                "gse2034": 1.5}
    # a fit without cohort effects has none; a folder without a record is refused
    record["posterior_median"] = {"dissemination_coefficient": 2e-9}
    (tmp_path / "posterior.json").write_text(json.dumps(record))
    assert read_cohort_effects(tmp_path) == {}
    with pytest.raises(TumorsimError, match="not a calibration record"):
        read_cohort_effects(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not a cohort effect"):
        split_cohort_effects({"cohort.transbig.growth_multiplier": 2.0})


def test_the_median_difference_interval_says_what_few_draws_can_tell():
    rng = np.random.default_rng(3)
    reference = rng.chisquare(50, size=20)
    same = rng.chisquare(50, size=20)
    worse = rng.chisquare(50, size=200) + 40.0
    few = median_misses_difference(same, reference, seed=1)
    assert few.loc["difference", "median"] == pytest.approx(np.median(same) - np.median(reference))
    for row in ("run", "reference", "difference"):
        assert few.loc[row, "low"] <= few.loc[row, "median"] <= few.loc[row, "high"]
    assert few.loc["difference", "low"] < 0.0 < few.loc["difference", "high"]
    many = median_misses_difference(worse, reference, seed=1)
    assert many.loc["difference", "low"] > 0.0
    assert (many.loc["run", "high"] - many.loc["run", "low"]
            < few.loc["run", "high"] - few.loc["run", "low"])
    again = median_misses_difference(same, reference, seed=1)
    pd.testing.assert_frame_equal(few, again)
    with pytest.raises(TumorsimError, match="allowed"):
        median_misses_difference(np.array([]), reference)


def test_risk_score_over_an_ensemble_carries_each_draws_cohort_effect():
    # the tenth look measures the ensemble's answer: every twin under one draw, TRANSBIG's
    # with that draw's own dissemination multiplier
    from tumorsim.calibration.held_out import twin_risk_concordance
    from tumorsim.io.scenario_file import load_default_scenario
    from tumorsim.model.ensemble import Ensemble

    scenario = load_default_scenario()
    dissemination = scenario.parameter("dissemination_coefficient")
    ensemble = Ensemble(pd.DataFrame({"dissemination_coefficient": [dissemination,
                                                                    2 * dissemination]}),
                        "two draws")

    def risk(effects):
        return twin_risk_concordance(scenario, "training", seed=5, twins=6, imputations=1,
                                     ensemble=ensemble, cohort_effects=effects)

    plain = risk(None)
    assert set(plain.twins["draw"]) == {0, 1}
    assert risk({"transbig": np.array([0.02, 0.02])}).scored["risk"].mean() < (
        0.5 * plain.scored["risk"].mean())
    # one number is every draw's; the same as giving it per draw
    pd.testing.assert_frame_equal(risk({"transbig": 0.5}).scored,
                                  risk({"transbig": np.array([0.5, 0.5])}).scored)
    with pytest.raises(ValueError, match="a cohort effect per draw needs an ensemble"):
        twin_risk_concordance(scenario, "training", seed=5, twins=2, imputations=1,
                              cohort_effects={"transbig": np.array([0.5, 0.5])})


def test_gbsg2_training_concordance_scores_only_the_training_women():
    from tumorsim.analysis.gbsg2 import split_gbsg2
    from tumorsim.calibration.held_out import gbsg2_training_concordance
    from tumorsim.calibration.targets import GBSG2_SPLIT_SEED
    from tumorsim.cohort.data import load_gbsg2
    from tumorsim.io.scenario_file import load_default_scenario

    train, held = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
    risk = gbsg2_training_concordance(load_default_scenario(), twins=2)
    np.testing.assert_array_equal(risk.scored["T"],
                                  train.covariates["follow_up_days"].to_numpy(float))
    assert len(risk.scored) == len(train) != len(held)
    assert 0.5 < risk.c_index_cox < 1.0  # in sample: Cox orders its own women


def test_nki70_categories_take_gbsg2_training_medians_and_pr_is_drawn():
    # the external cohort's coarse covariates get GBSG2's training medians in the same
    # category, and the notes say what was assumed (shapes only: no outcome is read)
    from tumorsim.analysis.gbsg2 import split_gbsg2
    from tumorsim.calibration.targets import GBSG2_SPLIT_SEED
    from tumorsim.cohort.data import load_gbsg2
    from tumorsim.cohort.datasets import NKI70_NODES, NKI70_SIZE_MM, load_nki70

    train, _ = split_gbsg2(load_gbsg2(), seed=GBSG2_SPLIT_SEED)
    size = train.covariates["tumour_size_mm"]
    nodes = train.covariates["positive_nodes"]
    assert NKI70_SIZE_MM == {"<=2cm": size[size <= 20].median(), ">2cm": size[size > 20].median()}
    assert NKI70_NODES == {"1-3": nodes[nodes <= 3].median(), ">=4": nodes[nodes >= 4].median()}
    treated, untreated = load_nki70(), load_nki70(chemotherapy=False)
    cov = treated.cohort.covariates
    assert len(cov) == 144 and set(cov["positive_nodes"]) == {1, 7}
    assert set(cov["tumour_size_mm"]) == {16.0, 30.0}
    assert (cov["chemotherapy"] == 1).all() and (cov["hormone_therapy"] == 0).all()
    assert (untreated.cohort.covariates["chemotherapy"] == 0).all()
    assert any(n.startswith("treatment: not recorded") for n in treated.notes)
    other = load_nki70(seed=7).cohort.covariates["pr_fmol"].to_numpy()
    assert (other != cov["pr_fmol"].to_numpy()).mean() > 0.5


def test_nki70_check_has_its_tables():
    # shapes only: the look itself is pre-registered and run once
    from tumorsim.calibration.held_out import nki70_check
    from tumorsim.io.scenario_file import load_default_scenario

    check = nki70_check(load_default_scenario(), seed=1, twins=2, imputations=2)
    assert list(check.km.columns) == ["data_set", "group", "years", "observed", "ci_lower",
                                      "ci_upper", "simulated", "inside"]
    assert set(check.km["group"]) == {"ER+", "ER-"} and len(check.km) == 8
    difference, low, high = check.c_index_difference
    assert low <= difference <= high


def test_targets_of_an_earlier_run_keep_their_order():
    # the shipped fit (run20) was fitted to 52 of the 54 current targets; --targets-of
    # restricts a rerun to them, in the current table's order, which is theirs
    from pathlib import Path

    from tumorsim.calibration.run import record_targets, selected_targets
    from tumorsim.calibration.targets import TrainingData, observed_targets

    run20 = Path(__file__).resolve().parents[1] / "docs" / "calibration" / "run20"
    names = record_targets(run20)
    every = observed_targets(TrainingData.load())
    chosen = selected_targets(every, names)
    assert len(names) == 52 < len(every)
    assert tuple(chosen["target"]) == names
    assert selected_targets(every, None) is every
    import json

    stored = pd.DataFrame(json.loads((run20 / "posterior.json").read_text())["targets"])
    np.testing.assert_allclose(chosen["value"], stored["value"], rtol=1e-12)
    np.testing.assert_allclose(chosen["se"], stored["se"], rtol=1e-12)
    with pytest.raises(TumorsimError, match="k9:nothing: not a training target"):
        selected_targets(every, ["k9:nothing"])
    # --add-target: run20's targets and K6 (run22), in the current table's order
    from tumorsim.calibration.run import with_added_targets
    from tumorsim.calibration.targets import K6_TARGET

    added = with_added_targets(names, [K6_TARGET, K6_TARGET, names[0]], every)
    assert added == (*names, K6_TARGET)
    assert tuple(selected_targets(every, added)["target"]) == added
    with pytest.raises(TumorsimError, match="--add-target k9:nothing: not a training"):
        with_added_targets(names, ["k9:nothing"], every)


def test_the_chain_length_note_says_when_the_autocorrelation_estimate_is_not_trusted():
    import json
    from pathlib import Path

    from tumorsim.calibration.summary import chain_length_note

    run20 = Path(__file__).resolve().parents[1] / "docs" / "calibration" / "run20"
    d = json.loads((run20 / "posterior.json").read_text())["diagnostics"]
    note = chain_length_note(d)
    # 8,000 kept steps against a longest estimate of 814 steps
    assert "8,000 steps, 9.8 times" in note and "overstated" in note
    long = {"steps": 60_000, "burn_in_steps": 10_000, "autocorrelation_steps": {"a": 900.0,
                                                                              "b": 1000.0}}
    assert "50 times" in chain_length_note(long) and "trusted" in chain_length_note(long)
    assert "overstated" not in chain_length_note(long)


def test_differential_evolution_moves_find_the_toy_posterior_too(tmp_path):
    design = run_design(_toy_summaries, points=30, seed=5, fitted=TOY,
                        checkpoint=tmp_path / "design.parquet")
    emulator = fit_emulator(design, TARGETS, 2, 5)
    result = sample_posterior(emulator, TARGETS, seed=5, walkers=12, steps=500, burn_in=200,
                              draws=120, fitted=TOY, moves="differential-evolution")
    log_beta = np.log10(result.draws["beta"].to_numpy())
    alpha = result.draws["alpha"].to_numpy()
    assert np.all(np.abs(np.abs(log_beta) - 0.5) < 0.08)
    assert np.all(np.abs(2 * alpha + 0.1 * log_beta - 1.0) < 0.1)
    assert result.diagnostics["moves"] == "differential-evolution"
    # the default proposals leave the record as it was; an unknown proposal is refused
    stretch = sample_posterior(emulator, TARGETS, seed=5, walkers=12, steps=300, burn_in=100,
                               draws=40, fitted=TOY)
    assert "moves" not in stretch.diagnostics
    assert not np.array_equal(stretch.chain[-1], result.chain[299])
    with pytest.raises(TumorsimError, match="allowed: stretch, differential-evolution"):
        sample_posterior(emulator, TARGETS, seed=5, steps=300, burn_in=100, fitted=TOY,
                         moves="gibbs")
