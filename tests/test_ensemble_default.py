"""The ensemble as the default biology: simulate, trial, twin and validate draw from the
packaged posterior with the M1-M3 mechanism parameters from their priors; claims judged
over draws carry a total interval, a parameter share and the share of draws they hold in."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli

from tumorsim import Scenario
from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, load_ensemble
from tumorsim.model.ensemble import Ensemble, PriorRange
from tumorsim.model.mechanism_priors import MECHANISM_PRIORS
from tumorsim.model.parameters import PARAMETERS
from tumorsim.validation.claim import Band, Estimate
from tumorsim.validation.over_draws import combine_draws, share_holding
from tumorsim.validation.registry import select_claims
from tumorsim.validation.scorecard import run_claims


def test_default_ensemble_is_the_posterior_with_mechanism_priors():
    posterior = load_ensemble("tumorsim:posterior")
    default = load_ensemble(DEFAULT_ENSEMBLE)
    assert len(default) == len(posterior) == 200
    pd.testing.assert_frame_equal(default.draws[list(posterior.draws.columns)],
                                  posterior.draws)
    for prior in MECHANISM_PRIORS:
        values = default.draws[prior.name]
        assert values.between(prior.prior.low, prior.prior.high).all(), prior.name
        # "no effect" (0) is inside every mechanism prior, and the draws spread over it
        assert prior.prior.low == 0.0 < values.min() < values.median() < values.max()
        spec = PARAMETERS[prior.name]
        assert spec.low <= prior.prior.low and prior.prior.high <= spec.high
    # seeded: the same draws every time
    pd.testing.assert_frame_equal(default.draws, load_ensemble(DEFAULT_ENSEMBLE).draws)


def test_point_is_the_ensemble_median():
    default = load_ensemble(DEFAULT_ENSEMBLE)
    median = default.median()
    assert len(median) == 1
    for name in default.draws.columns:
        assert median.draws[name].iloc[0] == pytest.approx(default.draws[name].median())


def test_one_draw_is_a_point_estimate_with_no_parameter_share():
    one = combine_draws([Estimate(0.7, 0.6, 0.8)])
    assert one.parameter_share == 0.0
    assert (one.estimate.ci_low, one.estimate.ci_high) == pytest.approx((one.mc_low,
                                                                          one.mc_high))
    assert (one.mc_low, one.mc_high) == pytest.approx((0.6, 0.8))


def test_spread_between_draws_beyond_noise_is_parameter_uncertainty():
    rng = np.random.default_rng(0)
    se = 0.02
    # draws that all have the same true value: the spread is noise, the share small
    same = [Estimate.from_se(0.5 + rng.normal(0, se), se) for _ in range(200)]
    # draws whose true values differ by much more than the noise
    truth = np.linspace(0.2, 0.8, 200)
    different = [Estimate.from_se(t + rng.normal(0, se), se) for t in truth]
    a, b = combine_draws(same), combine_draws(different)
    assert a.parameter_share < 0.5 < 0.99 < b.parameter_share
    assert b.estimate.ci_high - b.estimate.ci_low > 10 * (a.estimate.ci_high - a.estimate.ci_low)
    # shrinkage: noise-only draws all hold a band around the truth; spread ones do not
    band = Band(0.45, 0.55)
    assert share_holding(band, a.shrunk) > 0.95
    assert share_holding(band, b.shrunk) < 0.3


def test_ratios_combine_on_the_log_scale():
    draws = [Estimate.from_log_se(math.log(v), 0.05) for v in (0.5, 0.5, 2.0, 2.0)]
    combined = combine_draws(draws)
    assert combined.estimate.value == pytest.approx(1.0)
    assert combined.estimate.ci_low * combined.estimate.ci_high == pytest.approx(1.0)


def _m2b_tumour_interval(ensemble: Ensemble) -> tuple[float, float, float]:
    card = run_claims(select_claims(["M2b"]), Scenario(), seed=11, fast=True,
                      ensemble=ensemble, draws=8)
    row = next(r for r in card.rows if r.label == "tumour")
    return row.ci_high - row.ci_low, row.mc_high - row.mc_low, row.parameter_share


def test_wider_m2_priors_widen_the_cxcr2_what_if_interval():
    def prior(low: float, high: float) -> Ensemble:
        return Ensemble.from_priors({"myeloid_chemo_protection": PriorRange(low, high)},
                                    draws=8, seed=3)

    # a point run (one draw): the interval is the Monte Carlo part only
    point_total, point_mc, point_share = _m2b_tumour_interval(prior(0.6, 0.6).median())
    assert point_share == 0.0 and point_total == pytest.approx(point_mc)
    narrow_total, _, _ = _m2b_tumour_interval(prior(0.55, 0.65))
    wide_total, wide_mc, wide_share = _m2b_tumour_interval(prior(0.0, 0.9))
    assert wide_total > 2 * max(point_total, narrow_total)
    assert wide_share > 0.5
    assert wide_mc < wide_total


def test_validate_over_draws_reports_shares_and_a_point_run_does_not(tmp_path):
    out = tmp_path / "ens"
    result = run_cli("validate", "--fast", "--claims", "M2a", "--draws", "4", "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"parameters: {DEFAULT_ENSEMBLE}" in result.stdout
    claims = pd.read_json(out / "claims.json")
    assert (claims["draws"] == 4).all()
    assert claims["draws_holding"].between(0, 1).all()
    assert set(claims["status"]) <= {"pass", "fail", "uncertain"}
    point = run_cli("validate", "--fast", "--claims", "M2a", "--point", "--out",
                    tmp_path / "point")
    assert point.returncode == 0, point.stderr
    assert "one set (point run): the median of" in point.stdout
    rows = pd.read_json(tmp_path / "point" / "claims.json")
    assert (rows["draws"] == 1).all() and (rows["parameter_share"] == 0).all()


def test_commands_run_the_ensemble_by_default_and_say_so(tmp_path):
    run = run_cli("simulate", "--patients", "60", "--seed", "3", "--out", tmp_path / "s")
    assert run.returncode == 0, run.stderr
    assert DEFAULT_ENSEMBLE in run.stdout
    # every event share of the summary with its interval over the draws
    assert "any relapse by 20 years, over draws" in run.stdout
    assert "Monte Carlo only" in run.stdout and "of the variance" in run.stdout
    draws = pd.read_parquet(tmp_path / "s" / "patients.parquet", columns=["draw"])["draw"]
    assert draws.nunique() > 20
    # the results carry the draws they were simulated under
    import json

    import pyarrow.parquet as pq

    meta = pq.read_schema(tmp_path / "s" / "patients.parquet").metadata
    record = json.loads(meta[b"tumorsim.ensemble"])
    assert record["source"].startswith(DEFAULT_ENSEMBLE)
    recorded = pd.DataFrame(record["draws"])
    pd.testing.assert_frame_equal(recorded, load_ensemble(DEFAULT_ENSEMBLE).draws)
    own = run_cli("simulate", "--patients", "60", "--seed", "3", "--ensemble", "none",
                  "--out", tmp_path / "n")
    assert own.returncode == 0, own.stderr
    assert "the scenario's own values" in own.stdout
    assert "over draws" not in own.stdout
    both = run_cli("simulate", "--patients", "60", "--ensemble", "none", "--point",
                   "--out", tmp_path / "x")
    assert both.returncode == 2 and both.stderr.count("\n") == 1


def test_the_mechanism_prior_table_in_the_docs_is_the_module():
    from pathlib import Path

    from tumorsim.model.parameters import PARAMETERS

    page = (Path(__file__).resolve().parents[1] / "docs" / "uncertainty.md").read_text()
    table = page.split("<!-- mechanism-priors:start -->")[1].split(
        "<!-- mechanism-priors:end -->")[0]
    rows = [line for line in table.strip().splitlines()[2:]]
    assert len(rows) == len(MECHANISM_PRIORS)
    for row, prior in zip(rows, MECHANISM_PRIORS, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == f"`{prior.name}`" and cells[1] == prior.mechanism
        unit = PARAMETERS[prior.name].unit
        assert cells[2] == f"[{prior.prior.low:g}, {prior.prior.high:g}] {unit}"
        assert cells[3] == prior.reason
