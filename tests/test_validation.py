"""The claim machinery (tumorsim.validation): bands, estimates, registry, scorecard files.

The model's own claims are run by ``tumorsim validate``; here a claim *built* to pass
must pass and one built to fail must fail, and the fast scorecard of every claim is run
once through the command line and its files checked.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from cli_helpers import assert_one_line_error, run_cli

from tumorsim import Scenario
from tumorsim.errors import TumorsimError
from tumorsim.model.scenario import PopulationSpec
from tumorsim.validation import (
    Band,
    Check,
    Claim,
    ClaimContext,
    Estimate,
    all_claims,
    evaluate,
    run_claims,
    select_claims,
    write_scorecard,
)
from tumorsim.validation.scorecard import load_scorecard
from tumorsim.validation.statistics import (
    bootstrap,
    proportion,
    rate_ratio,
    rfs_free_distant_incidence,
)

MODEL_MD_CLAIMS = {"M1a", "M1b", "M1c", "M2a", "M2b", "M3a", "M3b",
                   "K1", "K2", "K3", "K4", "K5", "K6", "K7"}


def _claim(value: float, low: float, high: float, band: Band) -> Claim:
    return Claim(
        id="T1", family="mechanism", statement="a test claim", citation="none",
        checks=(Check("x", "a number", 1.0, band),),
        measure=lambda context: {"x": Estimate(value, low, high)},
        patients=10, fast_patients=5, design="returns a fixed estimate",
    )


def _context() -> ClaimContext:
    return ClaimContext(scenario=Scenario(biology="registry"), seed=1, patients=10)


def test_a_claim_built_to_pass_passes_and_one_built_to_fail_fails():
    inside = evaluate(_claim(1.0, 0.9, 1.1, Band(0.5, 1.5)), _context())[0]
    assert inside.passed and inside.margin == pytest.approx(0.5)
    outside = evaluate(_claim(2.0, 1.9, 2.1, Band(0.5, 1.5)), _context())[0]
    assert not outside.passed and outside.margin == pytest.approx(-0.5)


def test_whole_interval_bands_need_the_whole_ci_on_the_claimed_side():
    band = Band(low=0.0, whole_interval=True)
    assert evaluate(_claim(0.5, 0.1, 0.9, band), _context())[0].passed
    straddling = evaluate(_claim(0.5, -0.1, 1.1, band), _context())[0]
    assert not straddling.passed and straddling.margin == pytest.approx(-0.1)


def test_a_missing_estimate_fails_the_check_instead_of_passing():
    result = evaluate(_claim(math.nan, math.nan, math.nan, Band(0.5, 1.5)), _context())[0]
    assert not result.passed


def test_a_band_needs_an_end_and_ordered_ends():
    with pytest.raises(ValueError):
        Band()
    with pytest.raises(ValueError):
        Band(2.0, 1.0)


def test_a_one_sided_band_must_judge_the_whole_interval():
    with pytest.raises(ValueError, match="whole interval"):
        Band(low=0.5)
    assert Band(low=0.5, whole_interval=True).describe() == "95 % CI above 0.5"


def test_every_model_md_claim_is_registered_with_a_citation_and_design():
    claims = all_claims()
    assert {c.id for c in claims} == MODEL_MD_CLAIMS
    for claim in claims:
        assert claim.citation and claim.design and claim.statement
        assert claim.fast_patients <= claim.patients


def test_unknown_claim_id_is_a_clear_error():
    with pytest.raises(TumorsimError, match=r"unknown claim id\(s\) \['M9'\].*allowed: M1a"):
        select_claims(["M1a", "M9"])
    assert [c.id for c in select_claims(["k3", "M1a"])] == ["M1a", "K3"]


def test_scorecard_files_round_trip(tmp_path):
    card = run_claims([_claim(1.0, 0.9, 1.1, Band(0.5, 1.5)),
                       _claim(2.0, 1.9, 2.1, Band(high=1.5, whole_interval=True))],
                      Scenario(biology="registry"), seed=3)
    write_scorecard(card, tmp_path)
    claims, run = load_scorecard(tmp_path)
    assert [c["passed"] for c in claims] == [True, False]
    for key in ("id", "passed", "published", "simulated", "ci_low", "ci_high"):
        assert all(key in c for c in claims)
    assert run["passed"] == 1 and run["checks"] == 2 and run["seed"] == 3
    html = (tmp_path / "claims.html").read_text()
    assert html.count('<tr class="pass">') == 1 and html.count('<tr class="fail">') == 1
    assert not list(tmp_path.glob("*.partial"))


def test_wilson_interval_and_rate_ratio():
    est = proportion(30, 100)
    assert est.value == 0.3
    assert est.ci_low == pytest.approx(0.2189, abs=1e-3)
    assert est.ci_high == pytest.approx(0.3958, abs=1e-3)
    rr = rate_ratio([100, 50], [1000.0, 1000.0])
    assert rr.value == pytest.approx(0.5)
    se = math.sqrt(1 / 100 + 1 / 50)
    assert rr.ci_high == pytest.approx(0.5 * math.exp(1.959964 * se), rel=1e-6)


def test_bootstrap_interval_covers_a_known_mean():
    x = np.random.default_rng(0).normal(1.0, 1.0, 400)
    est = bootstrap(lambda rows: float(x[rows].mean()), x.size, seed=1)
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert est.ci_low == pytest.approx(x.mean() - 1.96 * se, abs=0.3 * se)
    assert est.ci_high == pytest.approx(x.mean() + 1.96 * se, abs=0.3 * se)


def test_late_distant_incidence_counts_only_women_recurrence_free_at_the_start():
    year = 365.25
    patients = pd.DataFrame({
        # relapsed before year 5: excluded; two distant relapses after year 5; two free
        "rfs_days": [2 * year, 6 * year, 8 * year, 20 * year, 20 * year],
        "dmfs_days": [3 * year, 6 * year, 8 * year, 20 * year, 20 * year],
        "dmfs_event": [True, True, True, False, False],
    })
    est = rfs_free_distant_incidence(patients, 5.0, 20.0)
    assert est.value == pytest.approx(0.5)
    assert "4 recurrence-free at 5 y" in est.note


def test_stage_sampler_keeps_only_the_asked_t_and_n():
    from tumorsim.cohort.samplers import sample_stage

    a = sample_stage(PopulationSpec(), 300, 5, tumour_size_mm=(0, 20), positive_nodes=(4, 9))
    cov = a.covariates
    assert len(cov) == 300
    assert cov["tumour_size_mm"].between(0, 20).all()
    assert cov["positive_nodes"].between(4, 9).all()
    b = sample_stage(PopulationSpec(), 100, 5, tumour_size_mm=(0, 20), positive_nodes=(4, 9))
    pd.testing.assert_frame_equal(a.covariates.iloc[:100], b.covariates)


def test_validate_fast_runs_every_claim_and_writes_the_scorecard(tmp_path):
    """The --fast scorecard of every claim, as CI runs it (a few minutes)."""
    out = tmp_path / "validate"
    result = run_cli("validate", "--fast", "--out", out)
    assert result.returncode == 0, result.stderr
    claims = json.loads((out / "claims.json").read_text())
    ids = {c["claim_id"] for c in claims}
    assert ids == MODEL_MD_CLAIMS
    for c in claims:
        # every check produced a number, with an interval around it unless it is exact
        assert c["simulated"] is not None, c["id"]
        assert c["kind"] in ("emergent", "structural", "calibration target"), c["id"]
        if c["exact"]:
            assert c["ci_low"] is None and c["ci_high"] is None, c["id"]
        else:
            assert c["ci_low"] is not None and c["ci_high"] is not None, c["id"]
            assert c["ci_low"] <= c["simulated"] + 1e-12 <= c["ci_high"] + 2e-12, c["id"]
    by_id = {c["id"]: c for c in claims}
    assert by_id["K2 years 0-4"]["published_ci"] == [0.48, 0.57]
    assert by_id["K2 years 5-9"]["published_ci"] == [0.60, 0.78]
    run = json.loads((out / "validate.json").read_text())
    assert run["fast"] is True and run["checks"] == len(claims)
    emergent = [c for c in claims if c["kind"] == "emergent"]
    assert (f"{sum(c['passed'] for c in emergent)} of {len(emergent)} emergent checks pass"
            in result.stdout)


def test_validate_rejects_unknown_claims_in_one_line(tmp_path):
    result = run_cli("validate", "--claims", "M1a,Z9", "--out", tmp_path / "v")
    assert_one_line_error(result, "--claims", "Z9", "allowed: M1a")
    assert not (tmp_path / "v").exists()


def test_the_documented_scorecard_is_of_the_current_default_biology():
    """docs/validation.md's scorecard must be rerun when the calibration changes: a new
    default (the scenario's fingerprint) or a newly adopted posterior (the ensemble's)."""
    from pathlib import Path

    from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, load_ensemble
    from tumorsim.io.scenario_file import load_default_scenario
    from tumorsim.validation.scorecard import ensemble_fingerprint, scenario_fingerprint

    page = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text()
    rerun = "run `make validate` and docs/tools/validation_page.py results/validate"
    fingerprint = scenario_fingerprint(load_default_scenario())
    assert f"(fingerprint `{fingerprint}`)" in page, (
        f"the scorecard in docs/validation.md was not produced with the current default "
        f"scenario: {rerun}")
    ensemble = ensemble_fingerprint(load_ensemble(DEFAULT_ENSEMBLE))
    assert f"ensemble fingerprint `{ensemble}`" in page, (
        f"the scorecard in docs/validation.md was not produced with the packaged "
        f"posterior: {rerun}")


def test_the_ensemble_fingerprint_tells_two_posteriors_apart():
    import pandas as pd

    from tumorsim.model.ensemble import Ensemble
    from tumorsim.validation.scorecard import ensemble_fingerprint

    draws = pd.DataFrame({"dissemination_coefficient": [1e-9, 2e-9],
                          "awakening_rate_per_day": [3e-4, 4e-4]})
    same = ensemble_fingerprint(Ensemble(draws.copy(), "a"))
    assert ensemble_fingerprint(Ensemble(draws, "b")) == same  # the values, not the name
    moved = draws.assign(awakening_rate_per_day=[3e-4, 4.000000001e-4])
    assert ensemble_fingerprint(Ensemble(moved, "a")) != same
    swapped = draws[["awakening_rate_per_day", "dissemination_coefficient"]]
    assert ensemble_fingerprint(Ensemble(swapped, "a")) != same
