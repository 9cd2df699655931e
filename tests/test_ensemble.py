"""Ensemble runs: patients spread over parameter draws, reproducible whatever the chunking,
and intervals that separate parameter uncertainty from Monte Carlo noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tumorsim import Scenario
from tumorsim.analysis.ensemble import ensemble_interval
from tumorsim.model.ensemble import Ensemble, PriorRange
from tumorsim.runner.simulate import simulate

BASE = Scenario(biology="registry", cohort={"horizon_years": 8.0},
                population={"er_positive_fraction": 0.0})


def _relapse_by_5y(table: pd.DataFrame) -> float:
    return float(((table["rfs_days"] <= 5 * 365.25) & table["rfs_event"]).mean())


def test_one_draw_at_the_base_values_is_the_point_run():
    value = BASE.parameter("dissemination_coefficient")
    ensemble = Ensemble(pd.DataFrame({"dissemination_coefficient": [value]}), "base")
    point = simulate(BASE, patients=300, seed=5).patients
    one = simulate(BASE, patients=300, seed=5, ensemble=ensemble).patients
    pd.testing.assert_frame_equal(point, one, check_exact=True)


def test_ensemble_results_do_not_depend_on_chunking_or_threads():
    ensemble = Ensemble.from_priors(
        {"dissemination_coefficient": PriorRange(1e-10, 1e-8, "log"),
         "sites.lung.deep_dormancy_share": PriorRange(0.0, 0.5)}, draws=5, seed=2)
    a = simulate(BASE, patients=400, seed=9, ensemble=ensemble, chunk_size=37, n_threads=1)
    b = simulate(BASE, patients=400, seed=9, ensemble=ensemble, chunk_size=400)
    pd.testing.assert_frame_equal(a.patients, b.patients, check_exact=True)
    assert set(a.patients["draw"]) == set(range(5))


def test_each_patient_lives_under_her_draw():
    low, high = 2e-10, 2e-8
    ensemble = Ensemble(pd.DataFrame({"dissemination_coefficient": [low, high]}), "two")
    p = simulate(BASE, patients=1500, seed=4, ensemble=ensemble).patients
    by_draw = p.groupby("draw")["disseminated_cells"].mean()
    assert by_draw[1] > 10 * by_draw[0]


def test_each_patient_follows_her_draws_chemotherapy_kill():
    # chemo_kill_days is read by the compiled plans, and the posterior fits it: each
    # patient's plan is her arm's under her own draw's kill, whatever the chunking
    treated = BASE.with_changes(treatment={"surgery": True,
                                           "chemotherapy": {"regimen": "AC"}})
    kills = [1.0, 14.0]
    ensemble = Ensemble(pd.DataFrame({"chemo_kill_days": kills}), "two kills")
    run = simulate(treated, patients=400, seed=7, ensemble=ensemble).patients
    chunked = simulate(treated, patients=400, seed=7, ensemble=ensemble, chunk_size=37,
                       n_threads=1).patients
    pd.testing.assert_frame_equal(run, chunked, check_exact=True)
    assert set(run["draw"]) == {0, 1}
    for d, kill in enumerate(kills):
        point = simulate(treated.with_changes(parameters={"chemo_kill_days": kill}),
                         patients=400, seed=7).patients
        mine = (run["draw"] == d).to_numpy()
        pd.testing.assert_frame_equal(
            run.loc[mine].drop(columns="draw").reset_index(drop=True),
            point.loc[mine].reset_index(drop=True), check_exact=True)
    # the kill matters here: a 14-day kill leaves fewer women relapsing than a 1-day one
    assert _relapse_by_5y(run[run["draw"] == 1]) < _relapse_by_5y(run[run["draw"] == 0])


def test_point_run_interval_is_the_monte_carlo_part_only():
    p = simulate(BASE, patients=600, seed=3).patients
    ci = ensemble_interval(p, _relapse_by_5y, replicates=60, seed=1)
    assert ci.draws == 1
    assert (ci.total_low, ci.total_high) == (ci.mc_low, ci.mc_high)
    assert ci.parameter_share == 0.0
    assert ci.mc_low < ci.estimate < ci.mc_high


def test_wider_priors_give_wider_intervals_and_a_larger_parameter_share():
    def run(low: float, high: float):
        ensemble = Ensemble.from_priors(
            {"dissemination_coefficient": PriorRange(low, high, "log")}, draws=20, seed=6)
        p = simulate(BASE, patients=2000, seed=8, ensemble=ensemble).patients
        return ensemble_interval(p, _relapse_by_5y, replicates=80, seed=2)

    centre = BASE.parameter("dissemination_coefficient")
    narrow = run(centre / 1.2, centre * 1.2)
    wide = run(centre / 30.0, centre * 30.0)
    assert (wide.total_high - wide.total_low) > 1.5 * (narrow.total_high - narrow.total_low)
    assert wide.parameter_share > narrow.parameter_share
    assert wide.parameter_share > 0.5


def test_an_ensemble_names_only_known_values():
    with pytest.raises(ValueError, match="not a parameter"):
        Ensemble(pd.DataFrame({"no_such_thing": [1.0]}), "bad")
    np.testing.assert_allclose(PriorRange(1.0, 100.0, "log").sample(np.array([0.5])), [10.0])


def test_trial_with_an_ensemble_prints_both_intervals(tmp_path):
    from cli_helpers import run_cli

    draws = tmp_path / "draws.csv"
    pd.DataFrame({"draw": [0, 1, 2, 3],
                  "myeloid_chemo_protection": [0.0, 0.3, 0.6, 0.9],
                  "dissemination_coefficient": [1e-9, 2e-9, 4e-9, 8e-9]}).to_csv(draws,
                                                                                 index=False)
    result = run_cli("trial", "examples/trial_cxcr2.toml", "--patients", "300", "--seed", "2",
                     "--ensemble", draws, "--interval-replicates", "20",
                     "--out", tmp_path / "trial")
    assert result.returncode == 0, result.stderr
    assert "hazard ratios over the ensemble (draws of draws.csv)" in result.stdout
    assert "Monte Carlo only" in result.stdout and "share from parameters" in result.stdout
    patients = pd.read_parquet(tmp_path / "trial" / "patients.parquet")
    assert set(patients["draw"]) == {0, 1, 2, 3}
    # the printed intervals are kept: one row per endpoint, the HR inside its intervals
    intervals = pd.read_csv(tmp_path / "trial" / "hazard_ratio_intervals.csv")
    assert set(intervals["endpoint"]) >= {"rfs", "dmfs", "os", "distant_lung"}
    assert (intervals["arm"] == "AC_T_CXCR2i").all()
    assert ((intervals["total_low"] <= intervals["hr"])
            & (intervals["hr"] <= intervals["total_high"])).all()
    assert intervals["parameter_share"].between(0.0, 1.0).all()


def test_a_rerun_without_an_ensemble_drops_the_stale_interval_file(tmp_path):
    from cli_helpers import run_cli

    draws = tmp_path / "draws.csv"
    pd.DataFrame({"dissemination_coefficient": [1e-9, 2e-9]}).to_csv(draws, index=False)
    out = tmp_path / "trial"
    common = ("trial", "examples/trial_cxcr2.toml", "--patients", "100", "--seed", "2",
              "--out", out)
    first = run_cli(*common, "--ensemble", draws, "--interval-replicates", "20")
    assert first.returncode == 0, first.stderr
    assert (out / "hazard_ratio_intervals.csv").is_file()
    second = run_cli(*common, "--ensemble", "none")
    assert second.returncode == 0, second.stderr
    assert not (out / "hazard_ratio_intervals.csv").exists()


def test_bad_ensemble_files_are_one_line(tmp_path):
    from cli_helpers import run_cli

    bad = tmp_path / "bad.csv"
    bad.write_text("no_such_parameter\n1.0\n")
    nan = tmp_path / "nan.csv"
    nan.write_text("myeloid_chemo_protection\nnan\n")
    for path, words in ((tmp_path / "missing.csv", "no such file"),
                        (bad, "not a parameter"), (nan, "not a finite number")):
        result = run_cli("trial", "examples/trial_cxcr2.toml", "--patients", "10",
                         "--ensemble", path, "--out", tmp_path / "t")
        assert result.returncode == 2, path
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_the_packaged_posterior_is_an_ensemble_of_200_draws():
    from tumorsim.io.ensemble_file import load_ensemble

    ensemble = load_ensemble("tumorsim:posterior")
    assert len(ensemble) == 200
    assert "sites.bone.deep_dormancy_share" in ensemble.draws
    result = simulate(BASE, patients=60, seed=1, ensemble=ensemble)
    assert result.patients["draw"].between(0, 199).all()


def test_simulate_command_with_an_ensemble_matches_the_library(tmp_path):
    from cli_helpers import run_cli

    from tumorsim.io.ensemble_file import load_ensemble
    from tumorsim.io.scenario_file import load_default_scenario

    draws = "examples/ensembles/m2_spread.csv"
    result = run_cli("simulate", "--patients", "80", "--seed", "4", "--chunk-size", "30",
                     "--ensemble", draws, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    written = pd.read_parquet(tmp_path / "run" / "patients.parquet")
    expected = simulate(load_default_scenario(), patients=80, seed=4,
                        ensemble=load_ensemble(draws)).patients
    pd.testing.assert_frame_equal(written.reset_index(drop=True),
                                  expected.reset_index(drop=True), check_exact=True,
                                  check_categorical=False)
