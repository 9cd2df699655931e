"""Each mechanism moves its outputs in the direction of docs/model.md §5, and switched
off (or irrelevant) it changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tumorsim import Cohort, Scenario, simulate

# An unresected ER+/PR+ tumour, followed for a year and a half (M1a: "the tumour's PR+
# fraction"); no dissemination so the breast is the only site.
PR_POSITIVE_TUMOUR = Scenario(
    biology="registry",
    population={"er_positive_fraction": 1.0, "pr_positive_fraction_if_er_positive": 1.0},
    treatment={"surgery": False},
    mechanisms={"dissemination": False, "death_after_relapse": False},
    cohort={"trajectory_patients": 150, "record_every_days": 30, "horizon_years": 1.0},
)
N = 150


def _arsenic_months(months: float) -> dict:
    return {"arsenic": {"kind": "steps", "times_days": [0.0, 30.0 * months],
                        "levels": [10.0, 0.0]}}


def _breast_pr_positive_share(scenario: Scenario, day: float) -> float:
    """Mean over patients of the PR+ share of ER+ cells in the breast at ``day``."""
    traj = simulate(scenario, patients=N, seed=4).trajectories
    assert traj is not None
    at = traj[(traj["site"] == "breast") & np.isclose(traj["time_days"], day)]
    by_clone = at.groupby(["patient_id", "clone"], observed=True)["cells"].sum().unstack()
    share = by_clone["ERpos_PRpos"] / (by_clone["ERpos_PRpos"] + by_clone["ERpos_PRneg"])
    assert len(share) == N
    return float(share.mean())


def test_m1a_chronic_arsenic_lowers_pr_positive_share_and_washout_does_not_restore_it():
    control_180 = _breast_pr_positive_share(PR_POSITIVE_TUMOUR, 180)
    control_30 = _breast_pr_positive_share(PR_POSITIVE_TUMOUR, 30)
    six_months = PR_POSITIVE_TUMOUR.with_changes(exposures=_arsenic_months(6))
    one_month = PR_POSITIVE_TUMOUR.with_changes(exposures=_arsenic_months(1))
    drop_6 = control_180 - _breast_pr_positive_share(six_months, 180)
    drop_1 = control_30 - _breast_pr_positive_share(one_month, 30)
    assert drop_6 > 0.15, drop_6  # >= 6 months of 10 ug/L lowers the PR+ share
    assert drop_1 < 0.25 * drop_6, (drop_1, drop_6)  # 1 month does little
    # 1 month of washout after 6 months does not restore it
    after_washout = _breast_pr_positive_share(six_months, 210)
    control_210 = _breast_pr_positive_share(PR_POSITIVE_TUMOUR, 210)
    assert control_210 - after_washout > 0.75 * drop_6


def test_m1c_ros_quencher_prevents_most_pr_loss():
    control = _breast_pr_positive_share(PR_POSITIVE_TUMOUR, 180)
    exposed = PR_POSITIVE_TUMOUR.with_changes(exposures=_arsenic_months(6))
    quenched = exposed.with_changes(
        treatment={"ros_quencher": {"start_day": 0, "duration_days": 180, "inhibition": 0.9}}
    )
    drop = control - _breast_pr_positive_share(exposed, 180)
    drop_quenched = control - _breast_pr_positive_share(quenched, 180)
    assert drop_quenched < 0.5 * drop, (drop_quenched, drop)


def _environment_at(scenario: Scenario, site: str, day: float) -> pd.DataFrame:
    env = simulate(scenario, patients=N, seed=6).site_environment
    assert env is not None
    return env[(env["site"] == site) & np.isclose(env["time_days"], day)]


def test_m2a_chemotherapy_raises_cxcl_signal_and_myeloid_niche():
    untreated = PR_POSITIVE_TUMOUR.with_changes(cohort={"record_every_days": 2})
    chemo = untreated.with_changes(treatment={"chemotherapy": {"regimen": "AC",
                                                               "start_day": 28}})
    # day 34: six days after the first dose, inside the 7-day signal window
    before = _environment_at(untreated, "breast", 34)
    after = _environment_at(chemo, "breast", 34)
    assert after["cxcl_signal"].mean() > 2.0 * before["cxcl_signal"].mean()
    assert after["myeloid_niche"].mean() > before["myeloid_niche"].mean() + 0.05
    # CXCR2 blockade lowers the recruited niche under chemotherapy
    blocked = chemo.with_changes(treatment={"cxcr2_inhibitor": {"start_day": 0,
                                                                "duration_days": 365}})
    assert (_environment_at(blocked, "breast", 34)["myeloid_niche"].mean()
            < 0.5 * after["myeloid_niche"].mean())


def test_m2_off_no_myeloid_niche():
    chemo = PR_POSITIVE_TUMOUR.with_changes(
        mechanisms={"chemo_cxcl_myeloid": False},
        treatment={"chemotherapy": {"regimen": "AC", "start_day": 28}},
    )
    env = simulate(chemo, patients=50, seed=1).site_environment
    assert env is not None
    assert (env["myeloid_niche"] == 0).all() and (env["cxcl_signal"] == 0).all()


# Disseminated dormant cells before and after cisplatin, in expected values.
DORMANT = Scenario(
    biology="registry",
    numerics={"mode": "deterministic"},
    # no secondary seeding: after surgery, dormant cells change only by awakening and death
    mechanisms={"death_after_relapse": False, "secondary_seeding": False},
    parameters={"dissemination_coefficient": 1e-7},
    cohort={"trajectory_patients": 200, "record_every_days": 30, "horizon_years": 0.5},
)
CISPLATIN = {"chemotherapy": {"regimen": "cisplatin", "start_day": 28}}


def _dormant_survival_under_chemo(scenario: Scenario, day: float = 150) -> pd.Series:
    """Dormant cells with cisplatin / without, per site, at ``day``."""
    cohort = Cohort.sample(scenario.population, 200, seed=3)

    def dormant(s: Scenario) -> pd.Series:
        traj = simulate(s, cohort, seed=3).trajectories
        assert traj is not None
        at = traj[(traj["activity"] == "dormant") & np.isclose(traj["time_days"], day)]
        return at.groupby("site", observed=True)["cells"].sum()

    return dormant(scenario.with_changes(treatment=CISPLATIN)) / dormant(scenario)


def test_m3a_dormant_cells_in_soft_sites_survive_chemotherapy_better():
    survival = _dormant_survival_under_chemo(DORMANT)
    assert survival["lung"] > survival["bone"] + 0.03, survival
    assert survival["brain"] > survival["bone"] + 0.03, survival
    assert survival["lung"] > survival["liver"] > survival["bone"], survival
    assert (survival[["bone", "lung", "liver", "brain"]] < 1.0).all()


def test_m3b_drp1_nrf2_inhibition_restores_dormant_kill_in_lung():
    survival = _dormant_survival_under_chemo(DORMANT)
    inhibited = DORMANT.with_changes(treatment={
        "drp1_inhibitor": {"start_day": 0, "duration_days": 365},
        "nrf2_inhibitor": {"start_day": 0, "duration_days": 365},
    })
    # the comparison arm also gets the inhibitors, so the ratio isolates the chemo kill
    survival_inhibited = _dormant_survival_under_chemo(inhibited)
    assert survival_inhibited["lung"] < survival["lung"] - 0.03
    assert abs(survival_inhibited["lung"] - survival_inhibited["bone"]) < 0.02


def test_m3_off_stiffness_does_not_matter():
    survival = _dormant_survival_under_chemo(
        DORMANT.with_changes(mechanisms={"stiffness_drp1_nrf2": False})
    )
    # equal up to the few cells the residual primary still sends during chemotherapy
    np.testing.assert_allclose(survival["lung"], survival["bone"], rtol=1e-4)


# --- tamoxifen kill (docs/model.md §8 item 8: a refinement of §2.1 and §2.3) ---------------
UNTREATED_YEAR = DORMANT.with_changes(
    # no source after surgery and no PR switching: dormant cells change only by awakening
    # and death, each clone on its own
    parameters={"residual_fraction_after_surgery": 0.0, "pr_loss_baseline_per_day": 0.0,
                "pr_regain_baseline_per_day": 0.0},
    mechanisms={"metal_ros_pr": False},
    cohort={"horizon_years": 1.0},
)
TAMOXIFEN_YEAR = UNTREATED_YEAR.with_changes(
    treatment={"tamoxifen": {"start_day": 0.0, "duration_days": 3650.0, "adherence": 1.0}})


def _cells_at(scenario: Scenario, day: float) -> pd.Series:
    """Cells summed over patients and metastatic sites, by clone and activity, at ``day``."""
    cohort = Cohort.sample(scenario.population, 100, seed=5)
    traj = simulate(scenario, cohort, seed=5).trajectories
    assert traj is not None
    at = traj[(traj["site"] != "breast") & np.isclose(traj["time_days"], day)]
    return at.groupby(["clone", "activity"], observed=True)["cells"].sum()


def test_tamoxifen_kills_dormant_er_positive_cells_at_the_stated_hazard():
    from tumorsim.model.parameters import PARAMETERS

    k_dormant = 2e-3
    spared = _cells_at(TAMOXIFEN_YEAR.with_changes(
        parameters={"tamoxifen_dormant_kill_per_day": 0.0}), 360)
    killed = _cells_at(TAMOXIFEN_YEAR.with_changes(
        parameters={"tamoxifen_dormant_kill_per_day": k_dormant}), 360)
    ratio = killed / spared
    # E_tam(t) = e (1 - exp(-t / tau)), so the extra death over 360 days is
    # k e (360 - tau (1 - exp(-360 / tau)))
    tau = PARAMETERS["tamoxifen_ramp_days"].default
    exposure_days = 360 - tau * (1 - np.exp(-360 / tau))
    e_pos = TAMOXIFEN_YEAR.parameter("tamoxifen_effect_pr_pos")
    e_neg = TAMOXIFEN_YEAR.parameter("tamoxifen_effect_pr_neg")
    np.testing.assert_allclose(ratio[("ERpos_PRpos", "dormant")],
                               np.exp(-k_dormant * e_pos * exposure_days), rtol=1e-3)
    np.testing.assert_allclose(ratio[("ERpos_PRneg", "dormant")],
                               np.exp(-k_dormant * e_neg * exposure_days), rtol=1e-3)
    assert ratio[("ERneg", "dormant")] == pytest.approx(1.0, rel=1e-5)  # ER- cells untouched


def test_tamoxifen_kill_lowers_proliferating_er_positive_cells_only_while_it_acts():
    spared = _cells_at(TAMOXIFEN_YEAR.with_changes(
        parameters={"tamoxifen_kill_per_day": 0.0}), 360)
    killed = _cells_at(TAMOXIFEN_YEAR.with_changes(
        parameters={"tamoxifen_kill_per_day": 0.02}), 360)
    ratio = killed / spared
    assert ratio[("ERpos_PRpos", "proliferating")] < 0.5, ratio
    assert ratio[("ERpos_PRneg", "proliferating")] < 1.0, ratio
    # dormant cells do not feel the proliferating kill (up to the adaptive steps'
    # tolerance: the two runs take different steps)
    assert ratio[("ERpos_PRpos", "dormant")] == pytest.approx(1.0, rel=1e-5)
    # without tamoxifen, the kill parameters change nothing
    untreated = UNTREATED_YEAR
    changed = untreated.with_changes(parameters={"tamoxifen_kill_per_day": 0.05,
                                                 "tamoxifen_dormant_kill_per_day": 0.01})
    pd.testing.assert_series_equal(_cells_at(untreated, 360), _cells_at(changed, 360))


# --- switched off, or not relevant: nothing changes ------------------------------------------
BASE = Scenario(
    biology="registry", treatment={"chemotherapy": {"regimen": "AC_T"}, "tamoxifen": {}}
)


def _same(a: Scenario, b: Scenario, patients: int = 1500) -> None:
    pa = simulate(a, patients=patients, seed=77).patients
    pb = simulate(b, patients=patients, seed=77).patients
    pd.testing.assert_frame_equal(pa.drop(columns="arm"), pb.drop(columns="arm"))


def _differs(a: Scenario, b: Scenario, column: str, patients: int = 1500) -> None:
    pa = simulate(a, patients=patients, seed=77).patients
    pb = simulate(b, patients=patients, seed=77).patients
    assert not pa[column].equals(pb[column])


ARSENIC = {"arsenic": {"kind": "constant", "level": 10.0}}
INHIBITORS = {"drp1_inhibitor": {"start_day": 0, "duration_days": 400},
              "nrf2_inhibitor": {"start_day": 0, "duration_days": 400}}


@pytest.mark.parametrize(
    ("switch", "change"),
    [
        ("metal_ros_pr", {"exposures": ARSENIC}),
        ("metal_ros_pr", {"treatment": {"ros_quencher": {"start_day": 0}}}),
        ("chemo_cxcl_myeloid", {"treatment": {"cxcr2_inhibitor": {"start_day": 28}}}),
        ("stiffness_drp1_nrf2", {"treatment": INHIBITORS}),
    ],
)
def test_mechanism_off_makes_its_inputs_inert(switch, change):
    off = BASE.with_changes(mechanisms={switch: False})
    _same(off, off.with_changes(**change))
    # ... while with the mechanism on the same input does change outcomes
    _differs(BASE, BASE.with_changes(**change), "cells_at_end_bone")


def test_arsenic_does_not_touch_er_negative_tumours():
    er_negative = BASE.with_changes(population={"er_positive_fraction": 0.0})
    _same(er_negative, er_negative.with_changes(exposures=ARSENIC))
