"""Survival analysis: checked against hand-computed values and published GBSG2 numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_gbsg2
from scipy.stats import norm

from tumorsim.analysis.survival import (
    ALL_GROUP,
    LogrankResult,
    concordance,
    cox_hazard_ratios,
    cox_out_of_fold_concordance,
    kaplan_meier,
    logrank,
    restricted_mean_survival_time,
)
from tumorsim.errors import AnalysisError, TumorsimError

# Six patients: events at 1, 2, 3 and 5; censored at 2 and 4.
TINY = pd.DataFrame(
    {
        "days": [1.0, 2.0, 2.0, 3.0, 4.0, 5.0],
        "relapse": [True, True, False, True, False, True],
        "arm": ["a", "a", "a", "b", "b", "b"],
    }
)
# Product limit by hand: S(1) = 5/6, S(2) = 5/6 * 4/5, S(3) = S(2) * 2/3, S(5) = 0.
TINY_SURVIVAL = {0.0: 1.0, 1.0: 5 / 6, 2.0: 4 / 6, 3.0: 4 / 9, 4.0: 4 / 9, 5.0: 0.0}
TINY_AT_RISK = {0.0: 6, 1.0: 6, 2.0: 5, 3.0: 3, 4.0: 2, 5.0: 1}


@pytest.fixture(scope="module")
def gbsg2() -> pd.DataFrame:
    data = load_gbsg2()
    data["hormone_therapy"] = (data["horTh"] == "yes").astype(int)
    data["pr_positive"] = (data["progrec"] >= 10).astype(int)
    return data


# --- Kaplan-Meier ----------------------------------------------------------------------------


def test_kaplan_meier_is_the_hand_computed_product_limit() -> None:
    km = kaplan_meier(TINY, "days", "relapse")
    assert list(km.columns) == ["group", "time", "survival", "ci_lower", "ci_upper", "at_risk"]
    assert (km["group"] == ALL_GROUP).all()
    assert km["time"].tolist() == list(TINY_SURVIVAL)
    assert km["survival"].to_numpy() == pytest.approx(list(TINY_SURVIVAL.values()), abs=1e-12)
    assert km["at_risk"].tolist() == list(TINY_AT_RISK.values())


def test_kaplan_meier_interval_is_exponential_greenwood() -> None:
    # At t = 2: var(log S) = 1/(6*5) + 1/(5*4); interval on log(-log S).
    km = kaplan_meier(TINY, "days", "relapse", times=[2.0])
    s = 4 / 6
    var_log_s = 1 / (6 * 5) + 1 / (5 * 4)
    se = math.sqrt(var_log_s) / abs(math.log(s))
    z = norm.ppf(0.975)
    centre = math.log(-math.log(s))
    assert km["ci_lower"].iloc[0] == pytest.approx(math.exp(-math.exp(centre + z * se)), rel=1e-6)
    assert km["ci_upper"].iloc[0] == pytest.approx(math.exp(-math.exp(centre - z * se)), rel=1e-6)
    wider = kaplan_meier(TINY, "days", "relapse", times=[2.0], alpha=0.01)
    assert wider["ci_lower"].iloc[0] < km["ci_lower"].iloc[0]


def test_kaplan_meier_at_requested_times_is_a_right_continuous_step() -> None:
    censored_last = TINY.assign(relapse=[True, True, False, True, False, False])
    km = kaplan_meier(censored_last, "days", "relapse", times=[0.5, 1.0, 1.5, 4.5, 5.0, 6.0])
    assert km["survival"].iloc[:5].to_numpy() == pytest.approx([1.0, 5 / 6, 5 / 6, 4 / 9, 4 / 9])
    assert km["at_risk"].tolist() == [6, 6, 5, 1, 1, 0]
    # After the last follow-up (censored, S > 0) survival is unknown.
    assert km.iloc[5][["survival", "ci_lower", "ci_upper"]].isna().all()
    # ... but a curve that reached 0 stays at 0.
    assert kaplan_meier(TINY, "days", "relapse", times=[9.0])["survival"].iloc[0] == 0.0


def test_kaplan_meier_by_group() -> None:
    km = kaplan_meier(TINY, "days", "relapse", by="arm", times=[2.0])
    assert km["group"].tolist() == ["a", "b"]
    # arm a: events at 1 and 2 among 3; arm b: no event before 3.
    assert km["survival"].to_numpy() == pytest.approx([2 / 3 * 1 / 2, 1.0])


# --- log-rank --------------------------------------------------------------------------------


def test_logrank_on_gbsg2_hormone_therapy(gbsg2: pd.DataFrame) -> None:
    # R: survdiff(Surv(time, cens) ~ horTh, GBSG2) -> Chisq = 8.6 on 1 df, p = 0.003.
    result = logrank(gbsg2, "time", "cens", "horTh")
    assert isinstance(result, LogrankResult)
    assert result.statistic == pytest.approx(8.56, abs=0.05)
    assert result.p_value == pytest.approx(0.0034, abs=0.0003)
    assert result.degrees_of_freedom == 1
    assert result.groups == ("no", "yes")


def test_logrank_with_three_groups(gbsg2: pd.DataFrame) -> None:
    result = logrank(gbsg2, "time", "cens", "tgrade")
    assert result.degrees_of_freedom == 2
    assert result.groups == ("I", "II", "III")
    assert result.p_value < 1e-3  # grade separates relapse-free survival


def test_logrank_needs_two_groups() -> None:
    with pytest.raises(AnalysisError, match="'arm' has 1 group"):
        logrank(TINY.assign(arm="a"), "days", "relapse", "arm")


# --- Cox -------------------------------------------------------------------------------------


def test_cox_recovers_gbsg2_hormone_therapy_hazard_ratio(gbsg2: pd.DataFrame) -> None:
    hr = cox_hazard_ratios(gbsg2, "time", "cens", ["hormone_therapy"])
    assert list(hr.columns) == ["term", "hr", "ci_lower", "ci_upper", "p", "coef", "se"]
    row = hr.set_index("term").loc["hormone_therapy"]
    # Published: HR 0.69 (95 % CI 0.54-0.89), p = 0.004.
    assert row["hr"] == pytest.approx(0.695, abs=0.005)
    assert row["ci_lower"] == pytest.approx(0.544, abs=0.005)
    assert row["ci_upper"] == pytest.approx(0.888, abs=0.005)
    assert row["p"] == pytest.approx(0.0036, abs=0.0005)


@pytest.mark.parametrize(
    ("pr_positive", "hr", "low", "high"),
    # PR-: docs/model.md §5 (K1) gives 0.824 (0.552-1.231). PR+: it gives 0.655
    # (0.476-0.903); a Cox fit of the 487 PR+ women (Efron ties) gives 0.639 (0.467-0.873).
    [(1, 0.639, 0.467, 0.873), (0, 0.824, 0.552, 1.231)],
)
def test_cox_hormone_therapy_by_pr_status(
    gbsg2: pd.DataFrame, pr_positive: int, hr: float, low: float, high: float
) -> None:
    subgroup = gbsg2[gbsg2["pr_positive"] == pr_positive]
    row = cox_hazard_ratios(subgroup, "time", "cens", ["hormone_therapy"]).iloc[0]
    assert (row["hr"], row["ci_lower"], row["ci_upper"]) == pytest.approx(
        (hr, low, high), abs=0.005
    )


def test_cox_interaction_formula(gbsg2: pd.DataFrame) -> None:
    hr = cox_hazard_ratios(
        gbsg2, "time", "cens", formula="hormone_therapy * pr_positive"
    ).set_index("term")
    assert set(hr.index) == {"hormone_therapy", "pr_positive", "hormone_therapy:pr_positive"}
    # The main effect is the HR in PR- women; main x interaction that in PR+ women.
    in_pr_neg = hr.loc["hormone_therapy", "hr"]
    in_pr_pos = in_pr_neg * hr.loc["hormone_therapy:pr_positive", "hr"]
    assert in_pr_neg == pytest.approx(0.82, abs=0.01)
    assert in_pr_pos == pytest.approx(0.65, abs=0.01)
    assert (
        hr.loc["hormone_therapy:pr_positive", "ci_lower"]
        < 1
        < hr.loc["hormone_therapy:pr_positive", "ci_upper"]
    )


def test_cox_strata_have_no_hazard_ratio(gbsg2: pd.DataFrame) -> None:
    hr = cox_hazard_ratios(gbsg2, "time", "cens", ["hormone_therapy"], strata="tgrade")
    assert hr["term"].tolist() == ["hormone_therapy"]
    assert 0.5 < hr["hr"].iloc[0] < 0.9


def test_cox_cluster_variance_accounts_for_repeated_rows(gbsg2: pd.DataFrame) -> None:
    data = gbsg2.assign(pid=np.arange(len(gbsg2)))
    once = cox_hazard_ratios(data, "time", "cens", ["hormone_therapy"], cluster="pid")
    twice_data = pd.concat([data, data], ignore_index=True)
    naive = cox_hazard_ratios(twice_data, "time", "cens", ["hormone_therapy"])
    paired = cox_hazard_ratios(twice_data, "time", "cens", ["hormone_therapy"], cluster="pid")
    # (Efron's tie correction sees the copies as ties, so the HR moves a little.)
    assert naive["hr"].iloc[0] == pytest.approx(once["hr"].iloc[0], rel=0.01)
    # Duplicated rows fake sqrt(2) more precision; clustering on the patient undoes it.
    assert naive["se"].iloc[0] == pytest.approx(once["se"].iloc[0] / math.sqrt(2), rel=0.05)
    assert paired["se"].iloc[0] == pytest.approx(once["se"].iloc[0], rel=0.01)


# --- RMST ------------------------------------------------------------------------------------


def test_rmst_of_a_cohort_without_events_is_tau() -> None:
    data = pd.DataFrame({"days": [10.0, 20.0, 30.0, 30.0], "relapse": [0, 0, 0, 0]})
    table = restricted_mean_survival_time(data, "days", "relapse", tau=30.0)
    row = table.iloc[0]
    assert row["rmst"] == pytest.approx(30.0)
    assert row["se"] == 0.0
    assert (row["ci_lower"], row["ci_upper"]) == (30.0, 30.0)
    assert row["events"] == 0


def test_rmst_is_the_area_under_the_hand_computed_curve() -> None:
    # 1 + 5/6 + 4/6 + 4/9 (unit steps up to tau = 4).
    table = restricted_mean_survival_time(TINY, "days", "relapse", tau=4.0)
    assert table["rmst"].iloc[0] == pytest.approx(1 + 5 / 6 + 4 / 6 + 4 / 9)
    by_arm = restricted_mean_survival_time(TINY, "days", "relapse", tau=2.0, by="arm")
    assert by_arm["group"].tolist() == ["a", "b"]
    assert by_arm["rmst"].to_numpy() == pytest.approx([1 + 2 / 3, 2.0])


def test_rmst_standard_error_agrees_with_the_bootstrap() -> None:
    rng = np.random.default_rng(20240611)
    n = 400
    times = rng.exponential(5.0, n)
    censor = rng.uniform(0.0, 10.0, n)
    data = pd.DataFrame({"t": np.minimum(times, censor), "e": times <= censor})
    analytic = restricted_mean_survival_time(data, "t", "e", tau=6.0).iloc[0]
    boot = []
    for _ in range(200):
        sample = data.iloc[rng.integers(0, n, n)]
        boot.append(restricted_mean_survival_time(sample, "t", "e", tau=6.0)["rmst"].iloc[0])
    # 200 bootstrap replicates estimate an SE to about +/- 10 %.
    assert analytic["se"] == pytest.approx(np.std(boot, ddof=1), rel=0.2)
    assert analytic["ci_lower"] < analytic["rmst"] < analytic["ci_upper"]


def test_rmst_refuses_tau_beyond_follow_up() -> None:
    censored_last = TINY.assign(relapse=[True, True, False, True, False, False])
    with pytest.raises(AnalysisError, match="after the last observed time 5"):
        restricted_mean_survival_time(censored_last, "days", "relapse", tau=8.0)


# --- concordance -----------------------------------------------------------------------------


def test_concordance_of_perfect_reversed_and_uninformative_scores() -> None:
    data = pd.DataFrame({"days": [1.0, 2.0, 3.0, 4.0, 5.0], "relapse": [1, 1, 0, 1, 1]})
    data["risk"] = -data["days"]  # earlier relapse = higher risk
    assert concordance(data, "days", "relapse", "risk") == 1.0
    assert concordance(data.assign(risk=data["days"]), "days", "relapse", "risk") == 0.0
    assert concordance(data.assign(risk=1.0), "days", "relapse", "risk") == 0.5


def test_concordance_of_gbsg2_nodes_is_informative(gbsg2: pd.DataFrame) -> None:
    # More positive nodes -> earlier relapse: Harrell's C about 0.62-0.65.
    assert 0.58 < concordance(gbsg2, "time", "cens", "pnodes") < 0.7


def test_cox_out_of_fold_concordance_is_below_in_sample_and_reproducible(
        gbsg2: pd.DataFrame) -> None:
    # On patients a model was not fitted to its c-index can only be lower on average than
    # on its own training patients, and a pure-noise covariate adds nothing out of fold.
    columns = ["pnodes", "tsize", "progrec"]
    fitted = cox_hazard_ratios(gbsg2, "time", "cens", columns)
    in_sample = concordance(gbsg2.assign(lp=gbsg2[columns].to_numpy(float)
                                         @ fitted["coef"].to_numpy()), "time", "cens", "lp")
    out = cox_out_of_fold_concordance(gbsg2, "time", "cens", columns, repeats=3, seed=1)
    assert 0.6 < out < in_sample
    assert out == cox_out_of_fold_concordance(gbsg2, "time", "cens", columns, repeats=3,
                                              seed=1)
    noise = [cox_out_of_fold_concordance(
        gbsg2.assign(noise=np.random.default_rng(s).normal(size=len(gbsg2))), "time", "cens",
        ["noise"], repeats=2) for s in range(8)]
    assert abs(np.mean(noise) - 0.5) < 0.02


def test_cox_out_of_fold_concordance_refuses_one_fold(gbsg2: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="folds=1"):
        cox_out_of_fold_concordance(gbsg2, "time", "cens", ["pnodes"], folds=1)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: kaplan_meier(TINY, "dayz", "relapse"), "dayz"),
        (lambda: kaplan_meier(TINY, "days", "relapse", by="armz"), "armz"),
        (lambda: logrank(TINY, "days", "relapse", "group"), "group"),
        (lambda: cox_hazard_ratios(TINY, "days", "relapse", ["age"]), "age"),
        (lambda: restricted_mean_survival_time(TINY, "days", "event", tau=2), "event"),
        (lambda: concordance(TINY, "days", "relapse", "score"), "score"),
    ],
)
def test_missing_columns_are_named_in_one_line(call, column: str) -> None:
    with pytest.raises(AnalysisError) as info:
        call()
    message = str(info.value)
    assert isinstance(info.value, TumorsimError)
    assert "\n" not in message
    assert f"column {column!r} not in the table" in message
    assert "days" in message  # lists the columns present


def test_bad_event_and_duration_columns() -> None:
    with pytest.raises(AnalysisError, match="'relapse' is not binary"):
        kaplan_meier(TINY.assign(relapse=[0, 1, 2, 0, 1, 0]), "days", "relapse")
    with pytest.raises(AnalysisError, match="'days' has negative durations"):
        kaplan_meier(TINY.assign(days=[-1.0, 2, 2, 3, 4, 5]), "days", "relapse")
    with pytest.raises(AnalysisError, match="'days' has 1 missing"):
        kaplan_meier(TINY.assign(days=[np.nan, 2, 2, 3, 4, 5]), "days", "relapse")
    with pytest.raises(AnalysisError, match="no rows"):
        kaplan_meier(TINY.iloc[:0], "days", "relapse")
