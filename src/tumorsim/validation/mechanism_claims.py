"""Mechanism claims M1a-M3b: direction plus plausible size.

The seed studies of the three mechanisms report directions from cell lines and mice, not
numbers that transfer to patients. Each check therefore states a *direction* (the whole
simulated 95 % interval must lie on the claimed side of no effect) and, where the claim
says "most" or "little", a two-sided size: "most" is 50-150 % of the effect (at least half;
more than one and a half times the effect would be a different claim, an overshoot), and
"little" is within a quarter of the reference effect either way. The sizes are our
reading of the words, given in each check's band.

Separate effects get separate arms: the quencher's own effect is measured in a
quencher-alone arm (M1c), the DRP1/NRF2 inhibitors' own effect in an inhibitors-alone arm
(M3b), so a check measures the effect it names. Many mechanism checks are *structural*:
the equations fix their sign for every parameter value (each says why); they show that
the code does what the rule says, not that the biology is right, and are not counted in
the scorecard's headline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from tumorsim.cohort.population import Cohort
from tumorsim.validation.arms import (
    arm_scenario,
    m0_note,
    m0_patients,
    simulate_arms,
    stacked_patients,
)
from tumorsim.validation.claim import Band, Check, Claim, ClaimContext, Estimate
from tumorsim.validation.statistics import (
    as_exact,
    bootstrap,
    cox_hazard_ratio,
    mean_difference,
)

_EXPECTED_VALUES: Final[str] = "expected values (deterministic mode): exact given the parameters"

ARSENIC_UG_PER_L: Final[float] = 10.0
"""EPA drinking-water limit, the level of every metal claim."""
DAYS_PER_YEAR: Final[float] = 365.25

# --- M1a, M1c (PR loss in the primary) -------------------------------------------------------
# An unresected ER+/PR+ tumour followed for 7 months; no dissemination, so the breast is the
# only site and the PR+ share is the tumour's.
_PR_TUMOUR: Final[dict[str, Any]] = {
    "population": {"er_positive_fraction": 1.0, "pr_positive_fraction_if_er_positive": 1.0},
    "mechanisms": {"dissemination": False, "death_after_relapse": False},
}


def _arsenic_for_months(months: float) -> dict[str, Any]:
    return {"arsenic": {"kind": "steps", "times_days": [0.0, 30.0 * months],
                        "levels": [ARSENIC_UG_PER_L, 0.0]}}


def _pr_positive_share(context: ClaimContext, arms: Mapping[str, dict[str, Any]],
                       days: tuple[float, ...]) -> dict[tuple[str, float], np.ndarray]:
    """Per-patient PR+ share of ER+ breast cells, by (arm, day)."""
    scenarios = {
        name: arm_scenario(context.scenario, treatment={"surgery": False, **spec.get(
            "treatment", {})}, exposures=spec.get("exposures"),
            cohort={"trajectory_patients": context.patients, "record_every_days": 30.0,
                    "horizon_years": max(days) / DAYS_PER_YEAR + 0.01},
            **_PR_TUMOUR)
        for name, spec in arms.items()
    }
    results = simulate_arms(context, scenarios)
    out = {}
    for name, result in results.items():
        traj = result.trajectories
        assert traj is not None
        for day in days:
            at = traj[(traj["site"] == "breast") & np.isclose(traj["time_days"], day)]
            by_clone = (at.groupby(["patient_id", "clone"], observed=True)["cells"].sum()
                        .unstack().sort_index())
            er_pos = by_clone["ERpos_PRpos"] + by_clone["ERpos_PRneg"]
            out[(name, day)] = (by_clone["ERpos_PRpos"] / er_pos).to_numpy(float)
    return out


def _measure_m1a(context: ClaimContext) -> dict[str, Estimate]:
    share = _pr_positive_share(
        context,
        {"none": {}, "6 months": {"exposures": _arsenic_for_months(6)},
         "1 month": {"exposures": _arsenic_for_months(1)}},
        days=(30.0, 180.0, 210.0),
    )
    loss_6 = share[("none", 180.0)] - share[("6 months", 180.0)]
    loss_1 = share[("none", 30.0)] - share[("1 month", 30.0)]
    loss_after_washout = share[("none", 210.0)] - share[("6 months", 210.0)]
    n = loss_6.size

    def ratio(a: np.ndarray) -> Any:
        return lambda rows: float(np.mean(a[rows]) / np.mean(loss_6[rows]))

    return {
        "6 months": mean_difference(share[("none", 180.0)], share[("6 months", 180.0)],
                                    note=f"{n} tumours; PR+ share at 6 months, none vs exposed"),
        "1 month": bootstrap(ratio(loss_1), n, seed=context.seed,
                             note=f"loss after 1 month {np.mean(loss_1):.3f} vs after "
                                  f"6 months {np.mean(loss_6):.3f}"),
        "washout": bootstrap(ratio(loss_after_washout), n, seed=context.seed,
                             note=f"loss 1 month after the exposure ended "
                                  f"{np.mean(loss_after_washout):.3f}"),
    }


M1A = Claim(
    id="M1a",
    family="mechanism",
    statement="Chronic arsenic (10 ug/L, >= 6 months) lowers the tumour's PR+ fraction; "
              "1 month does little; 1 month of washout does not restore it.",
    citation="NIH grant 11124190 (Northwestern; the seed study of mechanism 1)",
    checks=(
        Check("6 months", "PR+ share of ER+ tumour cells lost after 6 months (fraction)",
              None, Band(low=0.10, whole_interval=True,
                         reason="lowers: at least 10 percentage points, whole CI"),
              mechanisms=("metal_ros_pr",)),
        Check("1 month", "loss after 1 month / loss after 6 months", None,
              Band(-0.25, 0.25, whole_interval=True,
                   reason="does little: within a quarter of the 6-month loss either way, "
                          "whole CI"),
              mechanisms=("metal_ros_pr",)),
        Check("washout", "loss 1 month after a 6-month exposure ended / loss at its end",
              None, Band(low=0.75, whole_interval=True,
                         reason="not restored: at least 3/4 of the loss remains, whole CI"),
              mechanisms=("metal_ros_pr",)),
    ),
    measure=_measure_m1a,
    patients=400,
    fast_patients=100,
    size_unit="tumours per arm",
    design="Unresected ER+/PR+ tumours without dissemination, simulated 7 months with no "
           "exposure, 1 month or 6 months of 10 ug/L arsenic; per-tumour PR+ share of ER+ "
           "cells (paired differences; bootstrap over tumours for the ratios).",
)


def _measure_m1c_pr(context: ClaimContext) -> Estimate:
    quencher = {"ros_quencher": {"start_day": 0.0, "duration_days": 180.0}}
    share = _pr_positive_share(
        context,
        {"none": {}, "arsenic": {"exposures": _arsenic_for_months(6)},
         "quencher": {"treatment": quencher},
         "arsenic + quencher": {"exposures": _arsenic_for_months(6), "treatment": quencher}},
        days=(180.0,),
    )
    # the arsenic-caused loss, without the quencher and against the quencher-alone arm
    loss = share[("none", 180.0)] - share[("arsenic", 180.0)]
    loss_q = share[("quencher", 180.0)] - share[("arsenic + quencher", 180.0)]
    return bootstrap(lambda rows: float(1.0 - np.mean(loss_q[rows]) / np.mean(loss[rows])),
                     loss.size, seed=context.seed,
                     note=f"PR+ share lost to arsenic {np.mean(loss):.3f} without, "
                          f"{np.mean(loss_q):.3f} with the quencher (against quencher alone, "
                          f"whose own PR+ share is {np.mean(share[('quencher', 180.0)]):.3f} "
                          f"vs {np.mean(share[('none', 180.0)]):.3f} untreated)")


# --- M1b, M1c (tamoxifen benefit under exposure) --------------------------------------------
_TAMOXIFEN_YEARS: Final[float] = 5.0
_ADJUVANT_HORIZON_YEARS: Final[float] = 10.0


def _tamoxifen_exposure_arms(context: ClaimContext, *, quencher: bool
                             ) -> dict[str, Any]:
    """ER+/PR+ M0 women after surgery: {tamoxifen, none} x {no metal, arsenic} [x {no
    quencher, quencher}]; the quencher-alone arms measure the quencher's own effect."""
    tamoxifen = {"tamoxifen": {"start_day": 0.0,
                               "duration_days": _TAMOXIFEN_YEARS * DAYS_PER_YEAR}}
    horizon_days = _ADJUVANT_HORIZON_YEARS * DAYS_PER_YEAR
    exposures = {"none": None,
                 "arsenic": {"arsenic": {"kind": "constant", "level": ARSENIC_UG_PER_L}}}
    quench = {"ros_quencher": {"start_day": 0.0, "duration_days": horizon_days}}
    arms: dict[str, Any] = {}
    flags: dict[str, dict[str, int]] = {}
    for q in ((False, True) if quencher else (False,)):
        for metal in ("none", "arsenic"):
            for tam in (0, 1):
                name = (f"{'tamoxifen' if tam else 'no tamoxifen'}, {metal}"
                        f"{' + quencher' if q else ''}")
                treatment: dict[str, Any] = {"surgery": True, **(tamoxifen if tam else {}),
                                             **(quench if q else {})}
                arms[name] = arm_scenario(
                    context.scenario, treatment=treatment, exposures=exposures[metal],
                    cohort={"horizon_years": _ADJUVANT_HORIZON_YEARS},
                    population={"er_positive_fraction": 1.0,
                                "pr_positive_fraction_if_er_positive": 1.0}, adjuvant=True)
                flags[name] = {"tamoxifen": tam, "arsenic": int(metal == "arsenic"),
                               "quencher": int(q)}
    tables, excluded = m0_patients(simulate_arms(context, arms))
    return {"table": stacked_patients(tables, flags), "excluded": excluded}


def _measure_m1b(context: ClaimContext) -> dict[str, Estimate]:
    arms = _tamoxifen_exposure_arms(context, quencher=False)
    table = arms["table"]
    interaction = cox_hazard_ratio(
        table, "rfs_days", "rfs_event", "tamoxifen:arsenic", formula="tamoxifen * arsenic",
        note="Cox model of recurrence on tamoxifen, arsenic and their product")
    treated = table[table["tamoxifen"] == 1]
    distant = cox_hazard_ratio(
        treated, "dmfs_days", "dmfs_event", "arsenic",
        note=f"{int(treated[treated['arsenic'] == 1]['dmfs_event'].sum())} vs "
             f"{int(treated[treated['arsenic'] == 0]['dmfs_event'].sum())} distant "
             f"relapses in 10 years{m0_note(arms['excluded'])}")
    return {"tamoxifen HR ratio": interaction, "distant metastasis": distant}


_M1B_STRUCTURAL: Final[str] = (
    "arsenic raises ROS, ROS raises the ER+/PR+ -> ER+/PR- hazard, and ER+/PR- cells respond "
    "less to tamoxifen (e_PRneg < e_PRpos) and move more (m_c > 1): the sign follows from "
    "the form of the rules for every parameter value in range")

M1B = Claim(
    id="M1b",
    family="mechanism",
    statement="In ER+/PR+ patients, chronic metal exposure weakens tamoxifen's hazard ratio "
              "and raises distant metastasis.",
    citation="NIH grant 11124190 (Northwestern; the seed study of mechanism 1)",
    checks=(
        Check("tamoxifen HR ratio", "recurrence HR of tamoxifen under arsenic / without "
              "(Cox interaction)", None,
              Band(low=1.0, whole_interval=True, reason="weakens: whole CI above 1"),
              kind="structural", why_kind=_M1B_STRUCTURAL,
              mechanisms=("metal_ros_pr", "tamoxifen")),
        Check("distant metastasis", "distant-relapse HR, arsenic vs none, on tamoxifen",
              None, Band(low=1.0, whole_interval=True, reason="raises: whole CI above 1"),
              kind="structural", why_kind=_M1B_STRUCTURAL,
              mechanisms=("metal_ros_pr", "tamoxifen")),
    ),
    measure=_measure_m1b,
    patients=5000,
    fast_patients=1500,
    design="ER+/PR+ women, M0 at diagnosis, after surgery, 10 years; arms: 5 years of "
           "tamoxifen or none, each without metal or with 10 ug/L arsenic in water "
           "throughout; Cox models with robust variance clustered on the (shared) virtual "
           "patient.",
)


def _measure_m1c(context: ClaimContext) -> dict[str, Estimate]:
    arms = _tamoxifen_exposure_arms(context, quencher=True)
    table = arms["table"]
    horizon = _ADJUVANT_HORIZON_YEARS * DAYS_PER_YEAR
    n = int((table["tamoxifen"].eq(0) & table["arsenic"].eq(0)
             & table["quencher"].eq(0)).sum())
    relapsed = {}
    for (tam, metal, q), sub in table.groupby(["tamoxifen", "arsenic", "quencher"]):
        relapsed[(tam, metal, q)] = (sub["rfs_event"].to_numpy(bool)
                                     & (sub["rfs_days"].to_numpy(float) <= horizon))

    def benefit(rows: np.ndarray, metal: int, q: int) -> float:
        return float(relapsed[(0, metal, q)][rows].mean() - relapsed[(1, metal, q)][rows].mean())

    def restored(rows: np.ndarray) -> float:
        # benefit lost to arsenic without the quencher, and with it against quencher alone
        lost = benefit(rows, 0, 0) - benefit(rows, 1, 0)
        lost_q = benefit(rows, 0, 1) - benefit(rows, 1, 1)
        return 1.0 - lost_q / lost if lost > 0 else np.nan

    all_rows = np.arange(n)
    note = (f"10-year recurrence reduced by tamoxifen {benefit(all_rows, 0, 0):.3f} without "
            f"metal, {benefit(all_rows, 1, 0):.3f} with arsenic; with the quencher "
            f"{benefit(all_rows, 0, 1):.3f} without metal (quencher alone), "
            f"{benefit(all_rows, 1, 1):.3f} with arsenic{m0_note(arms['excluded'])}")
    return {"PR loss prevented": _measure_m1c_pr(context),
            "tamoxifen benefit restored": bootstrap(restored, n, seed=context.seed,
                                                    note=note)}


_MOST: Final[str] = ("most: 50-150 % of the effect, whole CI (at least half; an overshoot "
                      "beyond 150 % would be a different claim)")

M1C = Claim(
    id="M1c",
    family="mechanism",
    statement="A ROS quencher given with the exposure prevents most PR loss and restores "
              "most tamoxifen benefit (against a quencher-alone arm, so the quencher's own "
              "effect is not counted as prevention).",
    citation="NIH grant 11124190 (Northwestern; the seed study of mechanism 1)",
    checks=(
        Check("PR loss prevented", "share of the 6-month PR+ loss caused by arsenic that the "
              "quencher prevents (loss with the quencher measured against quencher alone)",
              None, Band(0.5, 1.5, whole_interval=True, reason=_MOST),
              mechanisms=("metal_ros_pr",)),
        Check("tamoxifen benefit restored", "share of the tamoxifen benefit (10-year absolute "
              "recurrence reduction) lost to arsenic that the quencher restores (against "
              "quencher alone)", None, Band(0.5, 1.5, whole_interval=True, reason=_MOST),
              mechanisms=("metal_ros_pr", "tamoxifen")),
    ),
    measure=_measure_m1c,
    patients=5000,
    fast_patients=1500,
    design="As M1a (PR share after 6 months: none, arsenic, quencher alone, arsenic + "
           "quencher) and M1b (the four arms again with the quencher throughout); the "
           "arsenic effect with the quencher is measured against quencher alone; bootstrap "
           "over patients, keeping each patient's arms together.",
)

# --- M2a, M2b (chemotherapy -> CXCL1/2 -> myeloid niche) ---------------------------------------
_AC_START_DAY: Final[float] = 28.0


def _measure_m2a(context: ClaimContext) -> dict[str, Estimate]:
    day = _AC_START_DAY + 6.0  # six days after the first AC dose
    common = {"cohort": {"trajectory_patients": context.patients, "record_every_days": 2.0,
                         "horizon_years": 0.2}, **_PR_TUMOUR}
    arms = {
        "none": arm_scenario(context.scenario, treatment={"surgery": False}, **common),
        "AC": arm_scenario(context.scenario, treatment={"surgery": False, "chemotherapy": {
            "regimen": "AC", "start_day": _AC_START_DAY}}, **common),
    }
    results = simulate_arms(context, arms)
    env = {}
    for name, result in results.items():
        e = result.site_environment
        assert e is not None
        env[name] = (e[(e["site"] == "breast") & np.isclose(e["time_days"], day)]
                     .sort_values("patient_id"))
    cxcl_none = env["none"]["cxcl_signal"].to_numpy(float)
    cxcl_ac = env["AC"]["cxcl_signal"].to_numpy(float)
    n = cxcl_none.size
    return {
        "CXCL1/2": bootstrap(lambda r: float(cxcl_ac[r].mean() / cxcl_none[r].mean()), n,
                             seed=context.seed, note=f"{n} tumours, day {day:g}"),
        "myeloid niche": mean_difference(env["AC"]["myeloid_niche"].to_numpy(float),
                                         env["none"]["myeloid_niche"].to_numpy(float),
                                         note=f"{n} tumours, day {day:g}"),
    }


M2A = Claim(
    id="M2a",
    family="mechanism",
    statement="Chemotherapy raises the tumour's CXCL1/2 signal and myeloid niche.",
    citation="Acharyya et al. 2012 Cell 150:165 (Massague lab; the seed study of mechanism 2)",
    checks=(
        Check("CXCL1/2", "tumour CXCL1/2 signal 6 days after AC / untreated", None,
              Band(low=1.5, whole_interval=True, reason="raises: whole CI above 1.5-fold"),
              kind="structural",
              why_kind="the ratio reads back the parameter cxcl_chemo_induction: the signal "
                       "is multiplied by (1 + tau_TNF C_on) while chemotherapy acts",
              mechanisms=("chemo_cxcl_myeloid",)),
        Check("myeloid niche", "myeloid niche occupancy 6 days after AC minus untreated "
              "(fraction of capacity)", None,
              Band(low=0.02, whole_interval=True, reason="raises: whole CI above +0.02"),
              kind="structural",
              why_kind="the niche's recruitment term rises with the CXCL1/2 signal, which "
                       "chemotherapy multiplies: the sign is fixed by the rule",
              mechanisms=("chemo_cxcl_myeloid",)),
    ),
    measure=_measure_m2a,
    patients=400,
    fast_patients=100,
    size_unit="tumours per arm",
    design="Unresected ER+/PR+ tumours, AC from day 28 or no treatment; breast CXCL1/2 "
           "signal and myeloid niche on day 34, paired by tumour.",
)

_M2B_HORIZON_YEARS: Final[float] = 3.0


def _measure_m2b(context: ClaimContext) -> dict[str, Estimate]:
    ac = {"regimen": "AC", "start_day": _AC_START_DAY}
    blocker = {"start_day": 0.0, "duration_days": _M2B_HORIZON_YEARS * DAYS_PER_YEAR}
    plans: dict[str, dict[str, Any]] = {
        "none": {"surgery": False},
        "CXCR2 inhibitor": {"surgery": False, "cxcr2_inhibitor": blocker},
        "AC": {"surgery": False, "chemotherapy": ac},
        "AC + CXCR2 inhibitor": {"surgery": False, "chemotherapy": ac,
                                 "cxcr2_inhibitor": blocker},
    }
    arms = {name: arm_scenario(context.scenario, treatment=plan,
                               cohort={"horizon_years": _M2B_HORIZON_YEARS},
                               mechanisms={"death_after_relapse": False})
            for name, plan in plans.items()}
    results = simulate_arms(context, arms)
    primary = {name: np.log(np.maximum(r.patients["cells_at_end_breast"].to_numpy(float), 1.0))
               for name, r in results.items()}
    lung = {name: r.patients["distant_lung_days"].notna().to_numpy()
            for name, r in results.items()}
    n = len(lung["AC"])

    def geometric_ratio(a: str, b: str) -> Any:
        return lambda rows: float(np.exp(np.mean(primary[a][rows] - primary[b][rows])))

    def lung_ratio(rows: np.ndarray) -> float:
        chemo = lung["AC"][rows].mean()
        return float(lung["AC + CXCR2 inhibitor"][rows].mean() / chemo) if chemo > 0 else np.nan

    return {
        "tumour": bootstrap(geometric_ratio("AC + CXCR2 inhibitor", "AC"), n,
                            seed=context.seed, note="primary cells at 3 years (geometric mean)"),
        "lung metastases": bootstrap(
            lung_ratio, n, seed=context.seed,
            note=f"lung relapse in {lung['AC + CXCR2 inhibitor'].sum()} vs {lung['AC'].sum()} "
                 f"of {n} women in 3 years"),
        "inhibitor alone": bootstrap(geometric_ratio("CXCR2 inhibitor", "none"), n,
                                     seed=context.seed,
                                     note="primary cells at 3 years (geometric mean)"),
    }


_M2B_STRUCTURAL: Final[str] = (
    "the inhibitor only lowers myeloid recruitment, and the niche only protects cells from "
    "chemotherapy and helps arriving cells settle: every path lowers the statistic, so its "
    "sign is fixed by the rules (only its size is not)")

M2B = Claim(
    id="M2b",
    family="mechanism",
    statement="CXCR2 inhibitor + chemotherapy leaves a smaller tumour and fewer lung "
              "metastases than chemotherapy alone; the inhibitor alone does little.",
    citation="Acharyya et al. 2012 Cell 150:165 (the seed study of mechanism 2)",
    checks=(
        Check("tumour", "primary tumour cells, AC + CXCR2 inhibitor / AC (geometric mean)",
              None, Band(high=1.0, whole_interval=True, reason="smaller: whole CI below 1"),
              kind="structural", why_kind=_M2B_STRUCTURAL,
              mechanisms=("chemo_cxcl_myeloid", "chemotherapy")),
        Check("lung metastases", "women with lung relapse, AC + CXCR2 inhibitor / AC",
              None, Band(high=1.0, whole_interval=True, reason="fewer: whole CI below 1"),
              kind="structural", why_kind=_M2B_STRUCTURAL,
              mechanisms=("chemo_cxcl_myeloid", "chemotherapy")),
        Check("inhibitor alone", "primary tumour cells, CXCR2 inhibitor / none "
              "(geometric mean)", None,
              Band(low=0.8, high=1.25, whole_interval=True,
                   reason="does little: within 20 % either way, whole CI"),
              kind="structural",
              why_kind="without chemotherapy the niche has nothing to protect the primary "
                       "from, so the inhibitor cannot change its size: the ratio is 1 by "
                       "construction",
              mechanisms=("chemo_cxcl_myeloid",)),
    ),
    measure=_measure_m2b,
    patients=3000,
    fast_patients=800,
    design="Women whose primary tumour stays in place (as in the mouse experiments), 3 "
           "years: untreated, CXCR2 inhibitor throughout, AC from day 28, or both; primary "
           "cells at 3 years and lung relapse; bootstrap over women.",
)

# --- M3a, M3b (stiffness -> DRP1 -> NRF2) ------------------------------------------------------
_DORMANT_DAY: Final[float] = 150.0
_CISPLATIN: Final[dict[str, Any]] = {"regimen": "cisplatin", "start_day": 28.0}
_INHIBITORS: Final[dict[str, Any]] = {
    "drp1_inhibitor": {"start_day": 0.0, "duration_days": 365.0},
    "nrf2_inhibitor": {"start_day": 0.0, "duration_days": 365.0},
}


def _dormant_cells(context: ClaimContext, with_inhibitors: bool) -> dict[str, pd.DataFrame]:
    """Dormant cells per patient and site on day 150, with and without cisplatin.

    Expected values (deterministic mode) with a high dissemination coefficient, so every
    site holds dormant cells; no secondary seeding, so after surgery the dormant pool
    changes only by awakening, death and the drugs.
    """
    extra = _INHIBITORS if with_inhibitors else {}
    common: dict[str, Any] = {
        "numerics": {"mode": "deterministic"},
        "mechanisms": {"death_after_relapse": False, "secondary_seeding": False},
        "parameters": {"dissemination_coefficient": 1e-7},
        "cohort": {"trajectory_patients": context.patients, "record_every_days": 30.0,
                   "horizon_years": 0.5},
    }
    arms = {
        "no chemotherapy": arm_scenario(context.scenario, treatment={"surgery": True, **extra},
                                        **common),
        "cisplatin": arm_scenario(context.scenario, treatment={
            "surgery": True, "chemotherapy": _CISPLATIN, **extra}, **common),
    }
    cohort = Cohort.sample(arms["cisplatin"].population, context.patients, context.seed)
    results = simulate_arms(context, arms, cohort)
    out = {}
    for name, result in results.items():
        traj = result.trajectories
        assert traj is not None
        at = traj[(traj["activity"] == "dormant") & np.isclose(traj["time_days"], _DORMANT_DAY)]
        out[name] = (at.groupby(["patient_id", "site"], observed=True)["cells"].sum()
                     .unstack().sort_index())
    return out


def _surviving_share(cells: dict[str, pd.DataFrame], site: str) -> tuple[np.ndarray, np.ndarray]:
    return (cells["cisplatin"][site].to_numpy(float),
            cells["no chemotherapy"][site].to_numpy(float))


def _share_difference(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
                      ) -> Any:
    return lambda r: float(a[0][r].sum() / a[1][r].sum() - b[0][r].sum() / b[1][r].sum())


def _measure_m3a(context: ClaimContext) -> dict[str, Estimate]:
    cells = _dormant_cells(context, with_inhibitors=False)
    share = {s: _surviving_share(cells, s) for s in ("bone", "lung", "brain")}
    n = share["bone"][0].size
    text = ", ".join(f"{s} {share[s][0].sum() / share[s][1].sum():.3f}" for s in share)
    return {site: as_exact(bootstrap(_share_difference(share[site], share["bone"]), n,
                                     seed=context.seed,
                                     note=f"dormant cells surviving cisplatin: {text}"),
                           _EXPECTED_VALUES)
            for site in ("lung", "brain")}


M3A = Claim(
    id="M3a",
    family="mechanism",
    statement="Dormant cells in soft sites (lung, brain) survive chemotherapy better than in "
              "stiff ones.",
    citation="Romani et al. 2022 Nat Cell Biol (the seed study of mechanism 3)",
    checks=tuple(
        Check(site, f"share of dormant cells surviving cisplatin, {site} minus bone", None,
              Band(low=0.02, whole_interval=True,
                   reason="better: at least 2 percentage points above bone (whole CI, or "
                          "the exact value)"),
              kind="structural",
              why_kind="antioxidant capacity falls with stiffness (fission = E50^n / "
                       "(E50^n + E^n)) and lowers the ROS-dependent kill: softer sites keep "
                       "more cells for every parameter value; an exact, parameter-"
                       "conditional expected value",
              mechanisms=("stiffness_drp1_nrf2",))
        for site in ("lung", "brain")
    ),
    measure=_measure_m3a,
    patients=300,
    fast_patients=100,
    design="Expected values (deterministic mode), after surgery, with dissemination raised so "
           "every site holds dormant cells; dormant cells per site on day 150 with cisplatin "
           "from day 28 / without; bootstrap over women.",
)

_M3B_HORIZON_YEARS: Final[float] = 10.0


def _measure_m3b(context: ClaimContext) -> dict[str, Estimate]:
    plain = _dormant_cells(context, with_inhibitors=False)
    inhibited = _dormant_cells(context, with_inhibitors=True)
    lung_plain = _surviving_share(plain, "lung")
    lung_inhibited = _surviving_share(inhibited, "lung")
    n = lung_plain[0].size
    dormant = as_exact(bootstrap(
        _share_difference(lung_inhibited, lung_plain), n, seed=context.seed,
        note=f"lung dormant cells surviving cisplatin "
             f"{lung_plain[0].sum() / lung_plain[1].sum():.3f} without, "
             f"{lung_inhibited[0].sum() / lung_inhibited[1].sum():.3f} with "
             "the inhibitors (each against its own arm without cisplatin)"), _EXPECTED_VALUES)
    # lung relapse: cisplatin's effect with the inhibitors (against inhibitors alone) over
    # its effect without them (against no treatment), so the inhibitors' own delay of
    # awakening is not counted as resensitisation
    relapse_context = ClaimContext(context.scenario, context.seed, context.patients * 20,
                                   context.n_threads, context.progress, context.cache)
    plans: dict[str, dict[str, Any]] = {
        "none": {"surgery": True},
        "inhibitors": {"surgery": True, **_INHIBITORS},
        "cisplatin": {"surgery": True, "chemotherapy": _CISPLATIN},
        "cisplatin + inhibitors": {"surgery": True, "chemotherapy": _CISPLATIN,
                                   **_INHIBITORS}}
    arms = {name: arm_scenario(context.scenario, treatment=plan, adjuvant=True,
                               cohort={"horizon_years": _M3B_HORIZON_YEARS})
            for name, plan in plans.items()}
    tables, excluded = m0_patients(simulate_arms(relapse_context, arms))
    lung = {k: t["distant_lung_days"].notna().to_numpy() for k, t in tables.items()}
    m = lung["cisplatin"].size

    def ratio_of_ratios(rows: np.ndarray) -> float:
        p = {k: float(v[rows].mean()) for k, v in lung.items()}
        if min(p["none"], p["inhibitors"], p["cisplatin"]) <= 0:
            return np.nan
        return (p["cisplatin + inhibitors"] / p["inhibitors"]) / (p["cisplatin"] / p["none"])

    counts = ", ".join(f"{k} {int(v.sum())}" for k, v in lung.items())
    relapse = bootstrap(ratio_of_ratios, m, seed=context.seed,
                        note=f"lung relapse in 10 years of {m} women: {counts}"
                             f"{m0_note(excluded)}")
    return {"dormant lung cells": dormant, "lung relapse": relapse}


M3B = Claim(
    id="M3b",
    family="mechanism",
    statement="DRP1 + NRF2 inhibition with cisplatin restores the kill of dormant lung cells "
              "and lowers lung relapse (against an inhibitors-alone arm, so delayed "
              "awakening is not counted as resensitisation).",
    citation="Romani et al. 2022 Nat Cell Biol (the seed study of mechanism 3)",
    checks=(
        Check("dormant lung cells", "share of lung dormant cells surviving cisplatin, with "
              "minus without DRP1 + NRF2 inhibitors", None,
              Band(high=-0.02, whole_interval=True,
                   reason="restores the kill: at least 2 points lower (whole CI, or the "
                          "exact value)"),
              kind="structural",
              why_kind="the inhibitors set the antioxidant capacity to zero, which by the "
                       "rule removes the protection from the ROS-dependent kill; an exact, "
                       "parameter-conditional expected value",
              mechanisms=("stiffness_drp1_nrf2",)),
        Check("lung relapse", "women with lung relapse in 10 years: (cisplatin + inhibitors "
              "/ inhibitors alone) / (cisplatin / none)", None,
              Band(high=1.0, whole_interval=True,
                   reason="lowers: cisplatin cuts lung relapse more with the inhibitors "
                          "than without, whole CI below 1"),
              mechanisms=("stiffness_drp1_nrf2", "chemotherapy")),
    ),
    measure=_measure_m3b,
    patients=300,
    fast_patients=100,
    size_unit="women per arm (x20 for lung relapse)",
    design="Dormant cells as in M3a, with DRP1 and NRF2 inhibitors (90 %) for a year in both "
           "arms (expected values: exact); lung relapse of M0 women after surgery, 10 years, "
           "20 times as many women, in four arms: no treatment, inhibitors alone, "
           "cisplatin, cisplatin + inhibitors; the cisplatin effect with the inhibitors "
           "(against inhibitors alone) over the cisplatin effect without them; bootstrap "
           "over women.",
)

MECHANISM_CLAIMS: Final[tuple[Claim, ...]] = (M1A, M1B, M1C, M2A, M2B, M3A, M3B)
