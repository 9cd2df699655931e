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
