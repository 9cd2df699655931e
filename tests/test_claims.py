"""The model's own claims measure what they name (issue: an honest scorecard).

Small cohorts with fixed seeds; each test states what would make it fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tumorsim.io.scenario_file import load_default_scenario
from tumorsim.model.anatomy import METASTATIC_SITES
from tumorsim.validation import ClaimContext, Estimate, evaluate, run_claims, write_scorecard
from tumorsim.validation.arms import detectable_at_diagnosis, m0_patients, simulate_arms
from tumorsim.validation.claim import Band, Check, Claim
from tumorsim.validation.clinical_claims import _measure_k5, clinical_claims, k2_arms
from tumorsim.validation.dependencies import EXAMPLES, MECHANISMS, WHAT_IFS, failing_checks_for
from tumorsim.validation.mechanism_claims import M1A
from tumorsim.validation.registry import all_claims
from tumorsim.validation.scorecard import headline, load_scorecard
from tumorsim.validation.statistics import bootstrap

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def default():
    return load_default_scenario()


def _claim_by_id(claim_id: str) -> Claim:
    return next(c for c in all_claims() if c.id == claim_id)


def test_an_adjuvant_claim_cohort_has_no_detectable_metastasis_at_day_0(default):
    """K2's arms are conditioned on M0; the same women without conditioning are not."""
    arms = k2_arms(default)
    assert all(a.cohort.metastasis_free_at_diagnosis for a in arms.values())
    context = ClaimContext(default, seed=7, patients=400)
    results = simulate_arms(context, arms)
    tables, excluded = m0_patients(results)
    for arm, table in tables.items():
        for site in METASTATIC_SITES:
            detection = default.site_value(site, "detection_cells")
            assert (table[f"cells_at_diagnosis_{site}"] < detection).all(), (arm, site)
        assert not (table["rfs_event"] & (table["rfs_days"] <= 0.0)).any(), arm
    # the engine's redraw limit leaves few women unconditioned, and they are counted
    assert excluded == int(detectable_at_diagnosis(results["no tamoxifen"]).sum())
    assert excluded < 0.02 * 400
    # without the conditioning some women do have a detectable metastasis on day 0: the
    # assertion above could fail
    plain = {name: a.with_changes(cohort={**a.cohort.model_dump(),
                                          "metastasis_free_at_diagnosis": False})
             for name, a in arms.items()}
    unconditioned = simulate_arms(context, {"no tamoxifen": plain["no tamoxifen"]})
    assert detectable_at_diagnosis(unconditioned["no tamoxifen"]).sum() > excluded


def test_m1a_fails_when_arsenic_does_not_raise_ros(default):
    """A broken scenario (arsenic ROS gain 0) must fail M1a; the default passes it."""
    broken = default.with_changes(parameters={**default.parameters,
                                              "ros_per_arsenic_ug_per_l": 0.0})
    rows = {r.label: r for r in evaluate(M1A, ClaimContext(broken, seed=3, patients=30))}
    assert not rows["6 months"].passed
    assert rows["6 months"].simulated == pytest.approx(0.0, abs=1e-3)
    assert not any(r.passed for r in rows.values())
    good = {r.label: r for r in evaluate(M1A, ClaimContext(default, seed=3, patients=30))}
    assert good["6 months"].passed


def test_k2_reports_three_periods_with_the_published_intervals(default):
    k2 = _claim_by_id("K2")
    rows = evaluate(k2, ClaimContext(default, seed=5, patients=600))
    assert [r.label for r in rows] == ["years 0-4", "years 5-9", "years 10-14"]
    assert [r.published_ci for r in rows[:2]] == [(0.48, 0.57), (0.60, 0.78)]
    assert rows[0].rule == "value in [0.48, 0.57]"
    # years 10-14: only an SE was published; the derived interval says how it was derived
    assert rows[2].published_ci == (0.79, 1.19)
    assert "SE 0.10" in rows[2].published_ci_note
    assert all(np.isfinite(r.simulated) for r in rows)


def test_k5_changes_with_its_cut_only_through_the_parameter(default):
    """The IHC cut is the parameter pr_negative_ihc_cut_fraction; nothing else moves."""
    at_1 = _measure_k5(ClaimContext(default, seed=11, patients=1500))[""]
    ten = default.with_changes(parameters={**default.parameters,
                                           "pr_negative_ihc_cut_fraction": 0.10})
    at_10 = _measure_k5(ClaimContext(ten, seed=11, patients=1500))[""]
    assert default.parameter("pr_negative_ihc_cut_fraction") == 0.01
    assert at_10.value > at_1.value + 0.05
    # the same metastases: the count called at the other cut is in each note
    n_1 = int(at_1.note.split(" of ")[1].split(" ")[0])
    n_10 = int(at_10.note.split(" of ")[1].split(" ")[0])
    assert n_1 == n_10


def test_every_check_says_what_kind_of_evidence_it_is():
    claims = all_claims()
    kinds = {(c.id, ch.label): ch.kind for c in claims for ch in c.checks}
    assert set(kinds.values()) == {"emergent", "structural", "calibration target"}
    # the checks the review found passing by construction are structural
    for key in (("M2b", "inhibitor alone"), ("M2a", "CXCL1/2"), ("M1b", "tamoxifen HR ratio")):
        assert kinds[key] == "structural", key
    assert all(kind == "calibration target" for (cid, _), kind in kinds.items() if cid == "K4")
    for c in claims:
        for ch in c.checks:
            assert ch.mechanisms, (c.id, ch.label)
            assert set(ch.mechanisms) <= set(MECHANISMS), (c.id, ch.label)


def test_k4_has_both_rows_of_its_table_and_k7_is_registered():
    by_id = {c.id: c for c in clinical_claims()}
    labels = [ch.label for ch in by_id["K4"].checks]
    assert labels == [f"{row} {site}" for row in ("luminal A", "triple-negative")
                      for site in ("bone", "lung", "liver", "brain")]
    assert [ch.label for ch in by_id["K7"].checks] == ["years 0-2", "years 5-9",
                                                       "years 10-14"]


def test_tropism_weights_are_not_the_relapse_site_table(default):
    weights = [default.site_value(s, "tropism_weight") for s in METASTATIC_SITES]
    assert len(set(weights)) == 1  # the no-preference prior
    assert weights != [0.66, 0.30, 0.25, 0.10]


def test_no_monte_carlo_variation_is_exact_not_a_zero_width_interval(tmp_path):
    constant = np.full(50, 0.3)
    est = bootstrap(lambda rows: float(constant[rows].mean()), 50, seed=1)
    assert est.exact and np.isnan(est.ci_low) and est.value == pytest.approx(0.3)
    varying = np.random.default_rng(0).normal(size=50)
    assert not bootstrap(lambda rows: float(varying[rows].mean()), 50, seed=1).exact

    claim = Claim(id="T2", family="mechanism", statement="s", citation="c",
                  checks=(Check("x", "a number", None, Band(low=0.1, whole_interval=True)),),
                  measure=lambda context: {"x": Estimate.exact_value(0.3)},
                  patients=1, fast_patients=1, design="d")
    card = run_claims([claim], load_default_scenario(), seed=1)
    write_scorecard(card, tmp_path)
    row = json.loads((tmp_path / "claims.json").read_text())[0]
    assert row["exact"] is True and row["ci_low"] is None and row["passed"] is True
    assert row["rule"] == "exact value above 0.1"
    assert card.display_rows()[0]["simulated"] == "0.3 (exact)"


def test_the_headline_counts_emergent_checks_only(tmp_path):
    def claim(cid: str, kind: str, value: float) -> Claim:
        return Claim(id=cid, family="clinical", statement="s", citation="c",
                     checks=(Check("", "n", 1.0, Band(0.5, 1.5), kind=kind,  # type: ignore[arg-type]
                                   why_kind="" if kind == "emergent" else "because",
                                   mechanisms=("tamoxifen",)),),
                     measure=lambda context: {"": Estimate(value, value, value)},
                     patients=1, fast_patients=1, design="d")

    card = run_claims([claim("A", "emergent", 1.0), claim("B", "emergent", 3.0),
                       claim("C", "structural", 1.0), claim("D", "calibration target", 1.0)],
                      load_default_scenario(), seed=1)
    assert card.headline() == ("1 of 2 emergent checks pass; not counted as evidence: "
                               "1 of 1 structural checks pass, 1 of 1 calibration target "
                               "checks pass")
    write_scorecard(card, tmp_path)
    claims, run = load_scorecard(tmp_path)
    assert run["headline"] == card.headline() == headline(claims)
    assert run["by_kind"]["emergent"] == {"passed": 1, "checks": 2}
    # the failing check names the what-ifs and examples resting on tamoxifen
    failed = next(c for c in claims if not c["passed"])
    assert failed["affects"] == ["as recorded", "arsenic 10 ug/L",
                                 "er_positive_tamoxifen.toml",
                                 "er_positive_tamoxifen_arsenic.toml"]
    assert failing_checks_for("arsenic 10 ug/L", claims) == ["B"]
    assert failing_checks_for("cisplatin", claims) == []


def test_the_dependency_lists_match_the_demo_and_the_examples():
    from tumorsim.demo import WHAT_IFS as DEMO_WHAT_IFS

    assert WHAT_IFS == tuple(w.name for w in DEMO_WHAT_IFS)
    models = {p.name for p in (ROOT / "examples").glob("*.toml")} - {"gbsg2_columns.toml"}
    assert set(EXAMPLES) == models
    for names in MECHANISMS.values():
        assert set(names) <= set(WHAT_IFS) | set(EXAMPLES)


def test_the_demo_puts_the_caveat_of_failing_checks_beside_the_what_ifs(tmp_path):
    from tumorsim.demo import VALIDATE_DIR, _what_if_caveats
    from tumorsim.demo import WHAT_IFS as DEMO_WHAT_IFS
    from tumorsim.report.html import Report

    def claim(cid: str, value: float, mechanism: str) -> Claim:
        return Claim(id=cid, family="clinical", statement="s", citation="c",
                     checks=(Check("", "n", 1.0, Band(0.5, 1.5), mechanisms=(mechanism,)),),
                     measure=lambda context: {"": Estimate(value, value, value)},
                     patients=1, fast_patients=1, design="d")

    card = run_claims([claim("K9", 3.0, "tamoxifen"), claim("K8", 1.0, "stiffness_drp1_nrf2")],
                      load_default_scenario(), seed=1)
    write_scorecard(card, tmp_path / VALIDATE_DIR)
    report = Report("t")
    report.add_section("What-ifs")
    arms = {w.name: w for w in DEMO_WHAT_IFS}
    _what_if_caveats(report, tmp_path, [arms["as recorded"], arms["arsenic 10 ug/L"],
                                        arms["cisplatin"]])
    _what_if_caveats(report, tmp_path, [arms["cisplatin"]])
    html = report.render()
    assert "as recorded: 1 failing checks of the same mechanisms (K9)" in html
    assert "arsenic 10 ug/L: 1 failing checks of the same mechanisms (K9)" in html
    assert "cisplatin:" not in html  # its mechanism's check passed
    assert "No failing check of the scorecard touches these arms." in html
