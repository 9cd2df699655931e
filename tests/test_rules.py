"""Mechanisms as readable rules: sentences follow the scenario's resolved values."""

from __future__ import annotations

import dataclasses

import pytest

from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.rules import MECHANISMS, Rule, format_rules, rules_for
from tumorsim.model.scenario import Scenario

FULL_PLAN = {
    "tamoxifen": {"duration_days": 730.5, "adherence": 0.8},
    "chemotherapy": {"regimen": "AC_T"},
    "cxcr2_inhibitor": {"inhibition": 0.7},
    "drp1_inhibitor": {},
    "nrf2_inhibitor": {},
    "ros_quencher": {"start_day": 10.0},
    "exposure_removal": {"day": 30.0},
}
ARSENIC = {"arsenic": {"kind": "constant", "level": 10}}
ALL_OFF = {
    "metal_ros_pr": False,
    "chemo_cxcl_myeloid": False,
    "stiffness_drp1_nrf2": False,
    "dissemination": False,
    "secondary_seeding": False,
    "dormancy": False,
    "death_after_relapse": False,
}


def _one(rules: list[Rule], process: str) -> Rule:
    found = [r for r in rules if r.process == process]
    assert len(found) == 1, f"expected one {process!r} rule, got {len(found)}"
    return found[0]


def _full() -> Scenario:
    # the registry defaults: the sentences below quote them
    return Scenario(
        biology="registry",
        exposures={**ARSENIC, "lead": {"kind": "steps", "times_days": [-3650, 0],
                                       "levels": [2.0, 0.0]}},
        treatment=FULL_PLAN,
        mechanisms={"competing_mortality": True},
    )


def test_overridden_parameter_appears_in_sentence() -> None:
    default = _one(rules_for(Scenario()), "PR loss")
    changed = _one(rules_for(Scenario(parameters={"pr_loss_max_per_day": 0.05})), "PR loss")
    assert "h_max = 0.01/day" in default.sentence
    assert "h_max = 0.05/day" in changed.sentence
    assert "0.01/day" not in changed.sentence.split("towards")[1].split(" with")[0]
    assert "pr_loss_max_per_day" in changed.parameters
    assert "scenario sets pr_loss_max_per_day" in changed.source
    assert "scenario sets" not in default.source


def test_pr_loss_rule_matches_example_wording() -> None:
    s = Scenario(parameters={"pr_loss_baseline_per_day": 3e-5, "pr_loss_max_per_day": 0.01,
                             "pr_loss_ros_half_max": 2.0, "pr_loss_hill_power": 4.0})
    rule = _one(rules_for(s), "PR loss")
    assert rule.mechanism == "M1"
    assert rule.sentence.startswith(
        "In ER+/PR+ cells, ROS increases the transition to ER+/PR− from h0 = 3e-05/day "
        "towards h_max = 0.01/day with half-max R50 = 2 and Hill power n = 4"
    )
    h0, h_max = 3e-5, 0.01
    assert f"at baseline R = 1 the hazard is {h0 + h_max / (2**4 + 1):.3g}/day" in rule.sentence
    assert "Mathison 2020" in rule.source


def test_switching_m1_off_removes_pr_loss() -> None:
    rules = rules_for(Scenario(mechanisms={"metal_ros_pr": False}, exposures=ARSENIC))
    assert not any(r.process in {"PR loss", "PR regain", "arsenic exposure"} for r in rules)
    m1 = [r for r in rules if r.mechanism == "M1"]
    assert len(m1) == 1
    assert "switched off" in m1[0].sentence
    assert "no effect" in m1[0].sentence  # the arsenic exposure is ignored


def test_every_switch_off_leaves_at_most_one_sentence() -> None:
    rules = rules_for(Scenario(mechanisms=ALL_OFF, treatment=FULL_PLAN, exposures=ARSENIC))
    for mechanism in ("dissemination", "dormancy", "M1", "M2", "M3"):
        group = [r for r in rules if r.mechanism == mechanism]
        assert len(group) == 1 and "switched off" in group[0].sentence, mechanism
    assert not any(r.process == "death after relapse" for r in rules)
    # inhibitors whose mechanism is off say they do nothing
    assert "no effect" in _one(rules, "cxcr2 inhibitor").sentence
    assert "no effect" in _one(rules, "ros quencher").sentence
    assert "no effect" in _one(rules, "DRP1 + NRF2 together").sentence
    assert not any(r.process == "dormant cells spared" for r in rules)
    # without M2 the dissemination rule (off anyway) and c_M disappear everywhere
    assert not any("myeloid_colonisation_boost" in r.parameters for r in rules)


def test_m2_off_drops_myeloid_boost_from_dissemination() -> None:
    on = _one(rules_for(Scenario()), "dissemination rate")
    off = _one(rules_for(Scenario(mechanisms={"chemo_cxcl_myeloid": False})),
               "dissemination rate")
    assert "c_M = 1" in on.sentence and "myeloid_colonisation_boost" in on.parameters
    assert "c_M" not in off.sentence


def test_arsenic_exposure_adds_a_sentence() -> None:
    assert not any("exposure" in r.process for r in rules_for(Scenario()))
    rules = rules_for(Scenario(exposures=ARSENIC))
    rule = _one(rules, "arsenic exposure")
    assert rule.sentence.startswith("Arsenic in drinking water is 10 µg/L at all times")
    k_as = PARAMETERS["ros_per_arsenic_ug_per_l"].default
    assert f"{k_as * 10:.3g} to the ROS index" in rule.sentence
    assert "exposures.arsenic" in rule.parameters
    # the peak ROS index reaches the PR-loss sentence
    assert f"R = {1 + k_as * 10:.3g}" in _one(rules, "PR loss").sentence


def test_step_exposure_and_removal_are_described() -> None:
    rules = rules_for(_full())
    lead = _one(rules, "lead exposure").sentence
    assert "0 µg/dL before day -3650" in lead
    assert "2 µg/dL from day -3650" in lead and "0 µg/dL from day 0" in lead
    assert "From day 30, all metal exposures drop to zero" in _one(
        rules, "exposure removal").sentence
    assert not any(r.process == "exposure removal" for r in rules_for(Scenario()))


@pytest.mark.parametrize("stiffness", [None, 3.0, 0.5])
def test_lung_fission_equals_formula(stiffness: float | None) -> None:
    sites = {} if stiffness is None else {"lung": {"stiffness_kpa": stiffness}}
    scenario = Scenario(sites=sites, parameters={"fission_hill_power": 3.0})
    e_lung = 1.4 if stiffness is None else stiffness
    e50 = PARAMETERS["fission_half_max_stiffness_kpa"].default
    expected = e50**3.0 / (e50**3.0 + e_lung**3.0)
    rule = _one(rules_for(scenario), "DRP1 fission")
    assert f"lung ({e_lung:.3g} kPa): fission {expected:.3g}" in rule.sentence
    if stiffness == 3.0:
        assert "lung (3 kPa): fission 0.5" in rule.sentence


def test_default_lung_fission_is_082() -> None:
    rule = _one(rules_for(Scenario()), "DRP1 fission")
    assert "lung (1.4 kPa): fission 0.821" in rule.sentence
    assert "bone (10 kPa): fission 0.0826" in rule.sentence


def test_every_rule_has_a_source_and_known_parameters() -> None:
    prefixes = {"sites", "clones", "drugs", "treatment", "exposures"}
    for scenario in (Scenario(), _full(),
                     Scenario(mechanisms=ALL_OFF, treatment={"surgery": False})):
        rules = rules_for(scenario)
        assert rules
        for rule in rules:
            assert rule.source.strip(), rule
            assert rule.sentence.strip() and rule.process.strip()
            assert rule.mechanism in MECHANISMS
            for name in rule.parameters:
                assert name in PARAMETERS or name.split(".")[0] in prefixes, name


def test_every_model_parameter_is_stated() -> None:
    used = {name for rule in rules_for(_full()) for name in rule.parameters}
    # numerics say how it is computed and observation parameters how a simulated
    # metastasis is called by the claims (tumorsim.validation): neither is biology
    missing = {p.name for p in PARAMETERS.values()
               if p.group not in ("numerics", "observation")} - used
    assert not missing


def test_treatments_appear_only_when_planned() -> None:
    bare = {r.process for r in rules_for(Scenario())}
    assert "surgery" in bare
    assert not bare & {"tamoxifen effect", "chemotherapy regimen", "cxcr2 inhibitor"}
    rules = rules_for(_full())
    tam = _one(rules, "tamoxifen effect").sentence
    assert "e_PRpos = 0.9" in tam and "at adherence 0.8 that is 0.72 and 0.4" in tam
    assert "for 730 days (2 years)" in _one(rules, "tamoxifen schedule").sentence
    assert "tamoxifen only slows growth here" in _one(rules, "tamoxifen kill").sentence
    assert "kills none of the cells it holds" in _one(rules, "tamoxifen holds dormancy").sentence
    killing = rules_for(_full().with_changes(parameters={
        "tamoxifen_kill_per_day": 0.01, "tamoxifen_dormant_kill_per_day": 8e-4}))
    kill = _one(killing, "tamoxifen kill").sentence
    assert "k_tam = 0.01/day (0.0072 per day in ER+/PR+ and 0.004 in ER+/PR−" in kill
    assert "k_tam,D = 0.0008/day" in _one(killing, "tamoxifen holds dormancy").sentence
    regimen = _one(rules, "chemotherapy regimen").sentence
    assert "4 cycles of doxorubicin + cyclophosphamide every 21 days" in regimen
    assert "then 4 cycles of paclitaxel" in regimen and "(8 doses)" in regimen
    ac_kill = _one(rules, "kill by doxorubicin + cyclophosphamide").sentence
    assert "kill hazard of 0.37/day" in ac_kill
    assert "I_CXCR2 = 0.7" in _one(rules, "cxcr2 inhibitor").sentence
    assert "I_CXCR2 = 0.7" in _one(rules, "CXCR2 blockade").sentence
    assert "from day 10" in _one(rules, "ros quencher").sentence
    _one(rules, "DRP1 + NRF2 together")


def test_chemotherapy_cycle_override_is_used() -> None:
    scenario = Scenario(treatment={"chemotherapy": {"regimen": "CMF", "cycles": 3,
                                                    "interval_days": 21.0}})
    regimen = _one(rules_for(scenario), "chemotherapy regimen").sentence
    assert "3 cycles of cyclophosphamide + methotrexate + fluorouracil every 21 days" in regimen


def test_format_rules_groups_by_mechanism() -> None:
    rules = rules_for(_full())
    text = format_rules(rules)
    lines = text.splitlines()
    for rule in rules:
        assert f"  - {rule.process}: {rule.sentence} — source: {rule.source}" in lines
    rule_lines = [line for line in lines if line.startswith("  - ")]
    assert len(rule_lines) == len(rules)
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings == [MECHANISMS[m] for m in MECHANISMS]
    # rules of one mechanism sit together under its heading
    m1_start = lines.index(MECHANISMS["M1"])
    m2_start = lines.index(MECHANISMS["M2"])
    assert any("PR loss:" in line for line in lines[m1_start:m2_start])
    assert format_rules([]) == ""


def test_rule_is_frozen() -> None:
    rule = rules_for(Scenario())[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.sentence = "changed"  # type: ignore[misc]


def test_site_and_clone_overrides_reach_sentences() -> None:
    scenario = Scenario(clones={"ERpos_PRneg": {"motility_multiplier": 3.5}},
                        sites={"brain": {"tropism_weight": 0.0, "detection_cells": 5e8}})
    rules = rules_for(scenario)
    motility = _one(rules, "clone motility")
    assert "ER+/PR− × 3.5" in motility.sentence
    assert "scenario sets clones.ERpos_PRneg.motility_multiplier" in motility.source
    assert "brain 0 (0 %)" in _one(rules, "tropism").sentence
    assert "brain 5e+08" in _one(rules, "detection").sentence
