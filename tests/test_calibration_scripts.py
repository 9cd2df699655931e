"""The calibration's diagnostic scripts on a kept design (docs/calibration/run10)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "docs" / "calibration" / "run10" / "design.parquet"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_target_tradeoff_splits_the_good_points_by_the_target(capsys):
    tradeoff = _script("target_tradeoff")
    assert tradeoff.main([str(DESIGN), "--target", "k2:log_rate_ratio:5-10y",
                          "--below", "250", "--within", "2"]) == 0
    out = capsys.readouterr().out
    head, table = out.split("\n\n", 1)[0], out.split("\n\n", 1)[1]
    good = int(head.split(" of ")[0])
    met = int(head.split("; ")[1].split(" of them")[0])
    assert 0 < met < good <= 400
    rows = [r for r in table.splitlines()
            if r.startswith(("| k", "| g", "| transbig"))]
    assert len(rows) == 47
    (k2,) = [r for r in rows if r.startswith("| k2:log_rate_ratio:5-10y |")]
    met_mean, not_met_mean = (float(c) for c in k2.split("|")[2:4])
    assert abs(met_mean) <= 2.0 < abs(not_met_mean)  # split on that target's miss


def test_target_tradeoff_refuses_an_unknown_target_in_one_line(capsys):
    tradeoff = _script("target_tradeoff")
    assert tradeoff.main([str(DESIGN), "--target", "k9:nothing"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--target 'k9:nothing': not a training target")
    assert "\n" not in err


def test_parameter_effects_tells_a_driving_parameter_from_an_idle_one(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    from tumorsim.calibration.targets import TrainingData, observed_targets

    effects = _script("parameter_effects")
    observed = observed_targets(TrainingData.load())
    rng = np.random.default_rng(0)
    n = 300
    driver, idle = rng.uniform(size=n), rng.uniform(size=n)
    design = pd.DataFrame({"point": range(n), "fingerprint": "x", "u_0": driver,
                           "driver": driver, "idle": idle})
    for t, v, se in observed[["target", "value", "se"]].itertuples(index=False):
        design[t] = v + se * rng.normal(size=n)
    first = observed["target"].iloc[0]
    design[first] += observed["se"].iloc[0] * 8.0 * (driver - 0.5)
    path = tmp_path / "design.parquet"
    design.to_parquet(path)
    assert effects.main([str(path), "--shuffles", "20"]) == 0
    rows = {r.split("|")[1].strip(): r.split("|")[2:6]
            for r in capsys.readouterr().out.splitlines() if r.startswith("| driver")
            or r.startswith("| idle")}
    assert set(rows) == {"driver", "idle"}
    assert rows["driver"][2].strip() == "yes" and rows["driver"][3].strip() == first
    assert rows["idle"][2].strip() == "no"
    assert float(rows["driver"][0]) > 2 * float(rows["driver"][1])


def test_parameter_effects_refuses_a_missing_design_in_one_line(tmp_path, capsys):
    effects = _script("parameter_effects")
    assert effects.main([str(tmp_path / "none.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(tmp_path / "none.parquet")) and "\n" not in err


def test_emulator_check_refuses_a_directory_without_a_run_in_one_line(tmp_path, capsys):
    check = _script("emulator_check")
    assert check.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(str(tmp_path / "design.parquet")) and "\n" not in err
    run = REPO / "docs" / "calibration" / "run16"
    assert check.main([str(run), "--out", str(tmp_path / "table.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--out" in err and ".parquet" in err and "\n" not in err
    assert not (tmp_path / "table.csv").exists()


def test_covariate_effects_sets_real_and_twin_cox_fits_side_by_side(capsys):
    """On the training parts only: every covariate of each Cox model gets its real and
    twin coefficient, and both c-indices are printed."""
    from tumorsim.analysis.gbsg2 import COX_COVARIATES
    from tumorsim.calibration.held_out import COX_COLUMNS

    effects = _script("covariate_effects")
    assert effects.main([str(REPO / "docs" / "calibration" / "posterior_median_scenario.toml"),
                         "--twins", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    gbsg2, transbig = out.split("== GBSG2")[1].split("== TRANSBIG")
    for part, columns in ((gbsg2, COX_COVARIATES), (transbig, COX_COLUMNS)):
        assert "training women" in part.splitlines()[0]
        for column in columns:
            (row,) = [r for r in part.splitlines() if r.split()[:1] == [column]]
            assert len(row.split()) == 6  # covariate, real, SE, twins, SE, z
        assert "c-index on the training part: twins 0." in part


def test_covariate_effects_paired_comparison_of_a_scenario_with_itself_is_zero(capsys):
    """The same scenario as its own reference: the same twins, so every paired c-index
    difference and its whole bootstrap interval are exactly 0; another reference differs."""
    effects = _script("covariate_effects")
    median = str(REPO / "docs" / "calibration" / "posterior_median_scenario.toml")
    assert effects.main([median, "--twins", "2", "--seed", "3", "--reference", median,
                         "--replicates", "20"]) == 0
    paired = capsys.readouterr().out.split("== paired comparison")[1]
    for name in ("GBSG2", "TRANSBIG"):
        (row,) = [r for r in paired.splitlines() if r.startswith(f"{name}: c-index")]
        assert "+0.0000 [+0.0000, +0.0000]" in row
    assert effects.main([median, "--twins", "2", "--seed", "3", "--reference",
                         str(REPO / "src" / "tumorsim" / "data" / "default.toml"),
                         "--replicates", "20"]) == 0
    paired = capsys.readouterr().out.split("== paired comparison")[1]
    (row,) = [r for r in paired.splitlines() if r.startswith("GBSG2: c-index")]
    assert "+0.0000 [+0.0000, +0.0000]" not in row
    assert "precision-weighted difference" in paired


def test_held_out_check_refuses_an_ensemble_with_a_runs_cohort_effects(capsys):
    # an ensemble's twins carry its draws' own effects: a second source is refused before
    # anything is simulated
    check = _script("held_out_check")
    assert check.main([str(REPO / "src" / "tumorsim" / "data" / "default.toml"),
                       "--ensemble", "tumorsim:ensemble", "--cohort-effects",
                       str(REPO / "src" / "tumorsim" / "data" / "posterior"),
                       "--part", "training"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--cohort-effects ") and "allowed: one of them" in err
    assert "\n" not in err


def test_external_check_refuses_a_bad_twins_count_in_one_line(capsys):
    check = _script("external_check")
    assert check.main([str(REPO / "src" / "tumorsim" / "data" / "default.toml"),
                       "--twins", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "--twins 0: allowed: at least 1"


def test_design_rerun_check_refuses_a_directory_without_a_run_in_one_line(tmp_path, capsys):
    check = _script("design_rerun_check")
    assert check.main([str(tmp_path), "--points", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{tmp_path}: not a finished calibration") and "\n" not in err


def test_rerun_compare_finds_a_run_equal_to_itself_and_names_what_differs(capsys, tmp_path):
    compare = _script("rerun_compare")
    run20, run19 = (REPO / "docs" / "calibration" / r for r in ("run20", "run19"))
    assert compare.main([str(run20), str(run20)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "the rerun is the same fit"
    # run19 fitted one parameter fewer: the columns it lacks are named
    assert compare.main([str(run20), str(run19)]) == 1
    out = capsys.readouterr().out
    assert "'dissemination_size_mm_exponent'" in out and "the rerun DIFFERS" in out
    assert compare.main([str(run20), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and len(err.strip().splitlines()) == 1


def _tiny_calibration(out, monkeypatch):
    """A finished calibration of the real targets with a stand-in simulator (every target
    near its observed value), one parameter held and the cohort effects fitted."""
    import numpy as np

    import tumorsim.calibration.run as run
    from tumorsim.calibration.targets import TrainingData, observed_targets

    observed = observed_targets(TrainingData.load()).set_index("target")

    def fake(scenario, data, *, seed, sizes, cohort_effects=None):
        rng = np.random.default_rng(seed)
        return {t: float(r.value + 0.5 * r.se * rng.normal()) for t, r in observed.iterrows()}

    monkeypatch.setattr(run, "simulated_summaries", fake)
    return run.posterior_calibration(out, points=8, seed=3, draws=60, checks=0, steps=120,
                                     burn_in=20, cohort_effects=True,
                                     held={"pr_negative_primary_tamoxifen_share": 1.0})


def test_longer_chain_rebuilds_the_runs_chain_before_sampling_longer(tmp_path, monkeypatch,
                                                                     capsys):
    import json

    import pandas as pd

    from tumorsim.calibration.run import run_emulator

    run_dir = tmp_path / "run"
    result = _tiny_calibration(run_dir, monkeypatch)
    refit = run_emulator(run_dir)
    assert [p.name for p in refit.fitted] == [p.name for p in result.fitted]
    assert refit.held == {"pr_negative_primary_tamoxifen_share": 1.0}
    longer = _script("longer_chain")
    out = tmp_path / "long"
    status = longer.main([str(run_dir), "--steps", "240", "--burn-in", "20", "100",
                          "--out", str(out)])
    printed = capsys.readouterr().out
    assert status in (0, 1)
    assert "largest difference from the run's draws 0" in printed
    table = pd.read_csv(out / "marginals.csv")
    assert list(table["parameter"]) == [p.name for p in result.fitted]
    assert {"shift_median_240_steps_burn_in_20", "q95_240_steps_burn_in_100"} <= set(table)
    record = json.loads((out / "record.json").read_text())
    assert record["rebuilt_chain"]["steps"] == 120
    assert [c["burn_in_steps"] for c in record["longer_chain"]] == [20, 100]
    limited = [n for n in table["parameter"]
               if abs(table.set_index("parameter").loc[n, "shift_median_240_steps_burn_in_20"])
               >= longer.MEDIAN_SHIFT]
    assert all(f"{n} (burn-in 20)" in record["chain_limited"] for n in limited)
    assert status == (1 if record["chain_limited"] else 0)
    draws = pd.read_parquet(out / "posterior_draws.parquet")
    assert len(draws) == 60 and (draws["pr_negative_primary_tamoxifen_share"] == 1.0).all()
    # draws that are not the run's own are caught before any longer chain is sampled
    shipped = pd.read_parquet(run_dir / "posterior_draws.parquet")
    first = refit.fitted[0].name
    shipped.assign(**{first: shipped[first] * 1.001}).to_parquet(
        run_dir / "posterior_draws.parquet", index=False)
    assert longer.main([str(run_dir), "--steps", "240", "--out", str(tmp_path / "b")]) == 1
    assert "not the run's" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_longer_chain_refuses_bad_input_in_one_line(tmp_path, capsys):
    longer = _script("longer_chain")
    run20 = REPO / "docs" / "calibration" / "run20"
    for argv in ([str(tmp_path), "--steps", "20000", "--out", str(tmp_path / "o")],
                 [str(run20), "--steps", "5000", "--out", str(tmp_path / "o")],
                 [str(run20), "--steps", "20000", "--burn-in", "20000",
                  "--out", str(tmp_path / "o")],
                 [str(run20), "--steps", "20000", "--out", str(REPO / "docs")]):
        assert longer.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err and "\n" not in err and "allowed" in err
    assert not (tmp_path / "o").exists()


def test_target_check_measures_a_run_on_its_own_targets(tmp_path, capsys):
    """--targets-of: the table and its sums cover only the run's targets, in the current
    code's order; a missing record or a target this code lacks is one line, exit 2."""
    import json

    check = _script("target_check")
    median = str(REPO / "docs" / "calibration" / "posterior_median_scenario.toml")
    run = tmp_path / "run"
    run.mkdir()
    names = ["k5:pr_loss_share", "gbsg2:rfs:horTh no, PR+:1y"]
    (run / "posterior.json").write_text(json.dumps({"targets": [{"target": n} for n in names]}))
    assert check.main([median, "--seeds", "1", "--scale", "1", "--targets-of", str(run)]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("| ")]
    assert [r.split(" | ")[0][2:] for r in rows[1:3]] == names[::-1]  # the code's order
    assert "| within 2 SE | | " in rows[3] and rows[3].endswith(" of 2 |")

    assert check.main([median, "--targets-of", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "none" in err and "allowed:" in err
    (run / "posterior.json").write_text(json.dumps({"targets": [{"target": "k9:nothing"}]}))
    assert check.main([median, "--targets-of", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "k9:nothing" in err and "allowed:" in err


def test_predictive_check_summarises_over_a_runs_own_targets(tmp_path, capsys):
    # a finished check resumes without simulating; --targets-of a run directory sums over
    # the targets that calibration was fitted to (run20: 52 of the code's targets)
    import shutil

    check = _script("predictive_check")
    out = tmp_path / "checks.parquet"
    shutil.copy(REPO / "docs" / "calibration" / "run20de" / "predictive_checks.parquet", out)
    run20de, run20 = (REPO / "docs" / "calibration" / r for r in ("run20de", "run20"))
    assert check.main([str(run20de), "--out", str(out), "--checks", "3",
                       "--targets-of", str(run20)]) == 0
    text = capsys.readouterr().out
    assert "over 52 training targets" in text and "| 20 |" in text  # every finished draw
    assert check.main([str(run20de), "--out", str(out), "--checks", "3",
                       "--targets-of", str(tmp_path)]) == 2
    assert "--targets-of" in capsys.readouterr().err


def test_k6_by_draw_sets_cmfs_effect_beside_each_draws_fit(tmp_path, capsys):
    k6 = _script("k6_by_draw")
    run20de = REPO / "docs" / "calibration" / "run20de"
    out = tmp_path / "k6.parquet"
    assert k6.main([str(run20de), "--checks", "2", "--patients", "300", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = [r for r in text.splitlines() if r.startswith(("| 0 |", "| 1 |"))]
    assert len(rows) == 2
    hazard_ratios = [float(r.split("|")[2]) for r in rows]
    assert all(0.2 < hr < 1.2 for hr in hazard_ratios)  # CMF lowers breast-cancer death
    # the sums are read from the run's own predictive checks, not simulated
    import pandas as pd

    assert len(pd.read_parquet(out)) == 2
    assert k6.main([str(tmp_path), "--checks", "2"]) == 2
    assert "allowed" in capsys.readouterr().err
