"""``tumorsim twin --dataset``: the packaged calibration data sets as twins, with what was
drawn said in the output and kept with the results."""

from __future__ import annotations

import pyarrow.parquet as pq
from cli_helpers import run_cli


def test_transbig_twins_say_that_pr_was_drawn(tmp_path):
    out = tmp_path / "transbig"
    result = run_cli("twin", "--dataset", "transbig", "--twins", "1", "--seed", "3",
                     "--out", out)
    assert result.returncode == 0, result.stderr
    assert "note: " in result.stdout and "PR drawn" in result.stdout
    assert "dmfs" in result.stdout
    meta = pq.read_schema(out / "twins.parquet").metadata
    assert b"PR drawn" in meta[b"tumorsim.drawn"]


def test_dataset_errors_are_one_line(tmp_path):
    result = run_cli("twin", "--dataset", "xyz", "--out", tmp_path / "x")
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: --dataset: 'xyz' given; allowed: gbsg2, "
                                     "transbig, gse2034")
    result = run_cli("twin", "--dataset", "transbig", "--gbsg2", "--out", tmp_path / "y")
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_twin_summary_compares_kaplan_meier_at_the_same_times(tmp_path):
    result = run_cli("twin", "--gbsg2", "--twins", "1", "--seed", "3", "--out", tmp_path / "g")
    assert result.returncode == 0, result.stderr
    for years in (1, 3, 5):
        assert f"RFS at {years} y" in result.stdout
    assert "twins predict" not in result.stdout  # the censoring-biased count is gone
    result = run_cli("twin", "--dataset", "gse2034", "--twins", "1", "--seed", "3",
                     "--out", tmp_path / "d")
    assert result.returncode == 0, result.stderr
    assert "DMFS at 5 y" in result.stdout


def test_a_cohort_effect_follows_each_draw(tmp_path):
    """Twins of TRANSBIG under draws carrying a fitted cohort effect are the twins under the
    same draws with dissemination already multiplied by it, and no effect."""
    import pandas as pd

    from tumorsim.io.scenario_file import load_default_scenario

    base = load_default_scenario().parameter("dissemination_coefficient")
    with_effect = pd.DataFrame({"dissemination_coefficient": [base, 2 * base],
                                "cohort.transbig.dissemination_multiplier": [0.5, 3.0]})
    multiplied = pd.DataFrame({"dissemination_coefficient": [0.5 * base, 6 * base]})
    with_effect.to_csv(tmp_path / "effect.csv", index=False)
    multiplied.to_csv(tmp_path / "multiplied.csv", index=False)
    runs = {}
    for name, extra in (("effect", ()), ("multiplied", ("--cohort-effect", "none"))):
        out = tmp_path / name
        result = run_cli("twin", "--dataset", "transbig", "--twins", "2", "--seed", "5",
                         "--ensemble", tmp_path / f"{name}.csv", *extra, "--out", out)
        assert result.returncode == 0, result.stderr
        runs[name] = (pd.read_parquet(out / "twins.parquet"), result.stdout,
                      pq.read_schema(out / "twins.parquet").metadata)
    pd.testing.assert_frame_equal(runs["effect"][0], runs["multiplied"][0])
    assert "transbig's cohort selection effect fitted" in runs["effect"][1]
    assert b"median 1.75" in runs["effect"][2][b"tumorsim.cohort_effect"]
    assert "no cohort selection effect" in runs["multiplied"][1]
    # the effect changes the twins (TRANSBIG's women under 3x dissemination relapse more)
    result = run_cli("twin", "--dataset", "transbig", "--twins", "2", "--seed", "5",
                     "--ensemble", tmp_path / "multiplied.csv", "--cohort-effect", "4",
                     "--out", tmp_path / "by_hand")
    assert result.returncode == 0, result.stderr
    by_hand = pd.read_parquet(tmp_path / "by_hand" / "twins.parquet")
    assert by_hand["dmfs_event"].sum() > runs["multiplied"][0]["dmfs_event"].sum()


def test_cohort_effect_errors_are_one_line(tmp_path):
    for args, words in ((("--dataset", "transbig", "--cohort-effect", "0"), "'0'; allowed"),
                        (("--dataset", "gse2034", "--cohort-effect", "big"), "'big'; allowed"),
                        (("--gbsg2", "--cohort-effect", "2"), "without --dataset")):
        result = run_cli("twin", *args, "--out", tmp_path / "x")
        assert result.returncode == 2, args
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
        assert not (tmp_path / "x").exists()


def test_the_packaged_posterior_carries_each_draws_cohort_effects():
    """The shipped fit has TRANSBIG's and GSE2034's selection effects, one per draw in the
    ensemble's order, and the biology read from the same file leaves them out."""
    from tumorsim.io.ensemble_file import load_cohort_effect_draws, load_ensemble

    effects = load_cohort_effect_draws("tumorsim:ensemble")
    assert sorted(effects.columns) == ["gse2034", "transbig"]
    assert len(effects) == len(load_ensemble("tumorsim:ensemble")) == 200
    assert effects.stack().between(0.25, 4.0).all()
    assert not any(c.startswith("cohort.") for c in load_ensemble("tumorsim:posterior").draws)
