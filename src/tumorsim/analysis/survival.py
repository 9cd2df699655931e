"""Survival analysis of a patients table with lifelines: one fitter per function.

Every function takes a pandas DataFrame with one row per patient, a duration column
(time to the event or to censoring, any unit: tumorsim tables use days) and an event
column (true / 1 when the event was observed, false / 0 when censored), e.g. the
``rfs_days`` / ``rfs_event`` columns of :attr:`tumorsim.SimulationResult.patients`.
Results are DataFrames (or a small frozen dataclass) to inspect, plot and save::

    from tumorsim.analysis.survival import kaplan_meier, cox_hazard_ratios
    km = kaplan_meier(patients, "rfs_days", "rfs_event", by="arm", times=[365.25, 1826.25])
    hr = cox_hazard_ratios(patients, "rfs_days", "rfs_event", ["tamoxifen"])

Bad input (a missing column, a non-binary event column, negative durations, too few
groups) raises :class:`tumorsim.errors.AnalysisError` with a one-line message naming
the column.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy.stats import norm

from tumorsim.errors import AnalysisError

__all__ = [
    "ALL_GROUP",
    "LogrankResult",
    "concordance",
    "concordance_difference",
    "cox_out_of_fold_concordance",
    "cox_hazard_ratios",
    "kaplan_meier",
    "logrank",
    "restricted_mean_survival_time",
]

ALL_GROUP: Final[str] = "all"
"""The ``group`` label of results computed without ``by``."""

_MAX_LISTED_COLUMNS: Final[int] = 12


# --- input checks --------------------------------------------------------------------------------


def _require_columns(df: pd.DataFrame, *columns: str | None) -> None:
    if not isinstance(df, pd.DataFrame):
        raise AnalysisError(
            f"got a {type(df).__name__}, not a table", "a pandas DataFrame, one row per patient"
        )
    for column in columns:
        if column is not None and column not in df.columns:
            names = [str(c) for c in df.columns]
            shown = ", ".join(names[:_MAX_LISTED_COLUMNS])
            if len(names) > _MAX_LISTED_COLUMNS:
                shown += f", ... ({len(names)} columns)"
            raise AnalysisError(
                f"column {column!r} not in the table", f"one of {shown}" if shown else "columns"
            )


def _durations_events(df: pd.DataFrame, duration: str, event: str) -> tuple[np.ndarray, np.ndarray]:
    """The duration and event columns as float and bool arrays, checked."""
    _require_columns(df, duration, event)
    if len(df) == 0:
        raise AnalysisError("the table has no rows", "at least one patient")
    try:
        t = df[duration].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError(
            f"column {duration!r} is not numeric", "durations as numbers (e.g. days)"
        ) from None
    if not np.all(np.isfinite(t)):
        bad = int(np.count_nonzero(~np.isfinite(t)))
        raise AnalysisError(
            f"column {duration!r} has {bad} missing or infinite durations",
            "a finite duration for every patient (censored patients: time of censoring)",
        )
    if np.any(t < 0):
        raise AnalysisError(f"column {duration!r} has negative durations", "durations >= 0")
    raw = df[event]
    if raw.isna().any():
        raise AnalysisError(f"column {event!r} has missing values", "true/1 or false/0")
    try:
        e = raw.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError(f"column {event!r} is not binary", "true/1 or false/0") from None
    if not np.all((e == 0) | (e == 1)):
        raise AnalysisError(
            f"column {event!r} is not binary (values {sorted(set(e.tolist()))[:5]})",
            "true/1 (event observed) or false/0 (censored)",
        )
    return t, e.astype(bool)


def _groups(
    df: pd.DataFrame, by: str | Sequence[str] | None
) -> list[tuple[Hashable, pd.DataFrame]]:
    """``(label, rows)`` per group, in sorted (or categorical) order; one group without ``by``."""
    if by is None:
        return [(ALL_GROUP, df)]
    keys = [by] if isinstance(by, str) else list(by)
    _require_columns(df, *keys)
    grouped = df.groupby(keys[0] if len(keys) == 1 else keys, sort=True, observed=True)
    return [(label, rows) for label, rows in grouped]


def _z(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise AnalysisError(f"alpha = {alpha!r} is outside (0, 1)", "e.g. 0.05 for 95 % intervals")
    return float(norm.ppf(1.0 - alpha / 2.0))


# --- Kaplan-Meier --------------------------------------------------------------------------------


def kaplan_meier(
    df: pd.DataFrame,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    times: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan-Meier (product-limit) survival curves with pointwise confidence intervals.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    duration : str
        Column of times to event or censoring (>= 0, any unit; tumorsim uses days).
    event : str
        Column of event flags (true / 1 = event observed, false / 0 = censored).
    by : str or sequence of str, optional
        Column(s) whose values split the table into groups (e.g. ``"arm"``); one curve
        per group. Without it the whole table is one group labelled ``"all"``.
    times : sequence of float, optional
        Times (in the unit of ``duration``) at which to report survival. Without it the
        whole curve is returned: one row per distinct observed time, starting at 0.
    alpha : float, default 0.05
        ``1 - alpha`` confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (the ``by`` value; a tuple for several columns), ``time``,
        ``survival``, ``ci_lower``, ``ci_upper`` and ``at_risk`` (patients with
        ``duration >= time``). Survival is a right-continuous step function: the value at
        ``time`` includes the events at ``time``. At requested times after a group's last
        observed time the estimate is undefined and reported as NaN (unless the curve
        has reached 0).

    Notes
    -----
    Fitted with :class:`lifelines.KaplanMeierFitter`; the intervals are lifelines'
    exponential Greenwood intervals (on ``log(-log S)``), which stay inside [0, 1]. Before
    the first event (``S = 1``), where Greenwood's interval is [1, 1], the lower bound is
    the exact binomial one of no events among the women still followed,
    ``(alpha / 2) ** (1 / at_risk)``.
    """
    _durations_events(df, duration, event)
    _z(alpha)
    from lifelines import KaplanMeierFitter

    requested = None if times is None else np.asarray(times, dtype=float).reshape(-1)
    if requested is not None and not np.all(np.isfinite(requested)):
        raise AnalysisError(f"times = {list(requested)} are not all finite", "finite times")
    frames = []
    for label, rows in _groups(df, by):
        t, e = _durations_events(rows, duration, event)
        kmf = KaplanMeierFitter(alpha=alpha).fit(t, e)
        timeline = kmf.survival_function_.index.to_numpy(dtype=float)
        survival = kmf.survival_function_.iloc[:, 0].to_numpy(dtype=float)
        ci = kmf.confidence_interval_survival_function_
        lower = ci.iloc[:, 0].to_numpy(dtype=float)
        upper = ci.iloc[:, 1].to_numpy(dtype=float)
        if requested is None:
            at = timeline
            s, lo, hi = survival, lower, upper
        else:
            at = requested
            idx = np.searchsorted(timeline, at, side="right") - 1
            before = idx < 0
            safe = np.maximum(idx, 0)
            s = np.where(before, 1.0, survival[safe])
            lo = np.where(before, 1.0, lower[safe])
            hi = np.where(before, 1.0, upper[safe])
            beyond = (at > t.max()) & (survival[-1] > 0)  # unknown, unless S hit 0
            s, lo, hi = (np.where(beyond, np.nan, x) for x in (s, lo, hi))
        sorted_t = np.sort(t)
        at_risk = sorted_t.size - np.searchsorted(sorted_t, at, side="left")
        lo = _no_event_lower_bound(s, lo, at_risk, alpha)
        frames.append(
            pd.DataFrame(
                {
                    "group": [label] * len(at),
                    "time": at,
                    "survival": s,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "at_risk": at_risk.astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _no_event_lower_bound(survival: np.ndarray, lower: np.ndarray, at_risk: np.ndarray,
                          alpha: float) -> np.ndarray:
    """Lower bounds where no event has happened yet (``S = 1``).

    Greenwood's variance is 0 there, so its interval is [1, 1]: certainty from no events.
    With ``n`` women still followed at that time and none relapsed, the exact binomial
    (Clopper-Pearson) lower bound ``(alpha / 2) ** (1 / n)`` is used instead.
    """
    n = np.maximum(at_risk.astype(float), 1.0)
    exact = (alpha / 2.0) ** (1.0 / n)
    no_event = (survival >= 1.0) & (at_risk > 0)
    return np.where(no_event, np.minimum(lower, exact), lower)


# --- log-rank ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogrankResult:
    """The log-rank test of equal survival across groups.

    Attributes
    ----------
    statistic : float
        Chi-squared test statistic.
    p_value : float
        P-value under the null hypothesis of identical survival in all groups.
    degrees_of_freedom : int
        Number of groups minus one.
    groups : tuple
        The group labels compared, in sorted order.
    """

    statistic: float
    p_value: float
    degrees_of_freedom: int
    groups: tuple[Hashable, ...]


def logrank(df: pd.DataFrame, duration: str, event: str, group: str) -> LogrankResult:
    """Log-rank test that survival is the same in every group (two or more groups).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    group : str
        Column whose values define the groups.

    Returns
    -------
    LogrankResult

    Notes
    -----
    :func:`lifelines.statistics.multivariate_logrank_test`; with two groups it equals the
    usual two-sample log-rank test.
    """
    t, e = _durations_events(df, duration, event)
    _require_columns(df, group)
    labels = df[group]
    if labels.isna().any():
        raise AnalysisError(f"column {group!r} has missing values", "a group for every patient")
    observed = sorted(pd.unique(labels).tolist(), key=str)
    if len(observed) < 2:
        raise AnalysisError(
            f"column {group!r} has {len(observed)} group(s)", "two or more groups to compare"
        )
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(t, labels.to_numpy(), e)
    return LogrankResult(
        statistic=float(result.test_statistic),
        p_value=float(result.p_value),
        degrees_of_freedom=int(result.degrees_of_freedom),
        groups=tuple(observed),
    )


# --- Cox proportional hazards --------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def cox_hazard_ratios(
    df: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str] | None = None,
    formula: str | None = None,
    strata: str | Sequence[str] | None = None,
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Hazard ratios of a Cox proportional-hazards model, one row per model term.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient (or per patient and arm, see ``cluster``).
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    covariates : sequence of str, optional
        Numeric columns entering the model as main effects. With ``formula`` they are the
        columns the formula may use; if omitted, the columns named in the formula.
    formula : str, optional
        A lifelines (formulaic) right-hand side, e.g. ``"hormone_therapy * pr_positive"``
        for both main effects and their interaction (term ``hormone_therapy:pr_positive``).
    strata : str or sequence of str, optional
        Column(s) to stratify on: a separate baseline hazard per stratum, no HR reported.
    cluster : str, optional
        Column identifying correlated rows (e.g. ``patient_id`` when every virtual patient
        is simulated in every trial arm). The variance is then the cluster-robust
        (sandwich) estimator, which accounts for the pairing.
    alpha : float, default 0.05
        ``1 - alpha`` confidence intervals.

    Returns
    -------
    pandas.DataFrame
        One row per term, columns ``term``, ``hr`` (exp(coef)), ``ci_lower``,
        ``ci_upper``, ``p`` (Wald test of HR = 1), ``coef`` (log HR) and ``se`` (its
        standard error).

    Notes
    -----
    :class:`lifelines.CoxPHFitter` with Efron's method for ties.
    """
    _durations_events(df, duration, event)
    _z(alpha)
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    if covariates is None:
        if formula is None:
            raise AnalysisError("no covariates and no formula", "covariates or a formula")
        named = set(_IDENTIFIER.findall(formula))
        covariates = [c for c in df.columns if isinstance(c, str) and c in named]
    covariate_cols = list(covariates)
    if not covariate_cols:
        raise AnalysisError(
            f"the formula {formula!r} names no column of the table", "column names in the formula"
        )
    _require_columns(df, *covariate_cols, *strata_cols, cluster)
    columns = list(
        dict.fromkeys(
            [duration, event, *covariate_cols, *strata_cols] + ([cluster] if cluster else [])
        )
    )
    data = df[columns].copy()
    data[event] = data[event].astype(bool)
    for column in covariate_cols:
        if data[column].isna().any():
            raise AnalysisError(f"column {column!r} has missing values", "a value for every row")
        if data[column].dtype == bool:
            data[column] = data[column].astype(np.int64)
        if formula is None and not pd.api.types.is_numeric_dtype(data[column]):
            raise AnalysisError(
                f"column {column!r} is not numeric",
                "numeric covariates (encode categories as 0/1 columns or use a formula)",
            )
    from lifelines import CoxPHFitter

    fitter = CoxPHFitter(alpha=alpha)
    try:
        fitter.fit(
            data,
            duration_col=duration,
            event_col=event,
            formula=formula,
            strata=strata_cols or None,
            cluster_col=cluster,
        )
    except (ValueError, TypeError, np.linalg.LinAlgError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnalysisError(
            f"the Cox model could not be fitted ({first})",
            "covariates that vary and are not collinear, and some events",
        ) from exc
    summary = fitter.summary
    lower = next(c for c in summary.columns if str(c).startswith("exp(coef) lower"))
    upper = next(c for c in summary.columns if str(c).startswith("exp(coef) upper"))
    return pd.DataFrame(
        {
            "term": [str(i) for i in summary.index],
            "hr": summary["exp(coef)"].to_numpy(dtype=float),
            "ci_lower": summary[lower].to_numpy(dtype=float),
            "ci_upper": summary[upper].to_numpy(dtype=float),
            "p": summary["p"].to_numpy(dtype=float),
            "coef": summary["coef"].to_numpy(dtype=float),
            "se": summary["se(coef)"].to_numpy(dtype=float),
        }
    )


# --- restricted mean survival time ---------------------------------------------------------------


def restricted_mean_survival_time(
    df: pd.DataFrame,
    duration: str,
    event: str,
    tau: float,
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Restricted mean survival time (area under the Kaplan-Meier curve up to ``tau``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    tau : float
        Restriction time, in the unit of ``duration`` (> 0).
    by : str or sequence of str, optional
        Column(s) defining groups; one row per group.
    alpha : float, default 0.05
        ``1 - alpha`` confidence intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``tau``, ``rmst`` (in the unit of ``duration``), ``se``,
        ``ci_lower``, ``ci_upper``, ``patients`` and ``events`` (events up to ``tau``).

    Raises
    ------
    tumorsim.errors.AnalysisError
        ``tau`` is not positive, or lies after a group's last observed time while that
        group's survival is still above 0 (the curve is unknown up to ``tau``).

    Notes
    -----
    The estimate is :func:`lifelines.utils.restricted_mean_survival_time` of the fitted
    :class:`lifelines.KaplanMeierFitter` (exact for the step function). Its standard
    error is the analytic Greenwood-type estimator (Klein & Moeschberger, *Survival
    Analysis*, 2nd ed., section 4.5; also used by R's ``survRM2``)::

        Var = sum over event times t_j <= tau of A_j**2 * d_j / (n_j * (n_j - d_j)),
        A_j = integral of S(u) du from t_j to tau,

    with ``d_j`` events among ``n_j`` at risk at ``t_j`` (terms with ``n_j == d_j`` are 0,
    because then ``A_j == 0``). The interval is ``rmst +/- z * se`` with
    ``z`` the ``1 - alpha/2`` normal quantile, clipped to ``[0, tau]``.
    """
    _durations_events(df, duration, event)
    z = _z(alpha)
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise AnalysisError(f"tau = {tau!r} is not a positive time", "tau > 0")
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time as lifelines_rmst

    rows_out = []
    for label, rows in _groups(df, by):
        t, e = _durations_events(rows, duration, event)
        kmf = KaplanMeierFitter(alpha=alpha).fit(t, e)
        last_survival = float(kmf.survival_function_.iloc[-1, 0])
        if tau > t.max() and last_survival > 0:
            raise AnalysisError(
                f"tau = {tau:g} is after the last observed time {t.max():g} of group {label!r}",
                "tau within the follow-up of every group",
            )
        estimate = float(lifelines_rmst(kmf, t=tau))
        se = _rmst_standard_error(t, e, tau)
        rows_out.append(
            {
                "group": label,
                "tau": tau,
                "rmst": estimate,
                "se": se,
                "ci_lower": max(0.0, estimate - z * se),
                "ci_upper": min(tau, estimate + z * se),
                "patients": int(t.size),
                "events": int(np.count_nonzero(e & (t <= tau))),
            }
        )
    return pd.DataFrame(rows_out)


def _rmst_standard_error(t: np.ndarray, e: np.ndarray, tau: float) -> float:
    """Greenwood-type standard error of the KM-based RMST (see the public docstring)."""
    event_times, deaths = np.unique(t[e & (t <= tau)], return_counts=True)
    if event_times.size == 0:
        return 0.0
    sorted_t = np.sort(t)
    at_risk = sorted_t.size - np.searchsorted(sorted_t, event_times, side="left")
    survival = np.cumprod(1.0 - deaths / at_risk)  # S just after each event time
    widths = np.diff(np.append(event_times, tau))  # t_{j+1} - t_j, last one to tau
    area_after = np.cumsum((survival * widths)[::-1])[::-1]  # A_j
    alive = at_risk > deaths
    terms = np.zeros_like(area_after)
    terms[alive] = (
        area_after[alive] ** 2 * deaths[alive] / (at_risk[alive] * (at_risk[alive] - deaths[alive]))
    )
    return float(np.sqrt(terms.sum()))


# --- concordance ---------------------------------------------------------------------------------


def concordance(df: pd.DataFrame, duration: str, event: str, risk_score: str) -> float:
    """Harrell's concordance index of a risk score: higher risk should mean an earlier event.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    risk_score : str
        Column of predicted risk (higher = worse prognosis).

    Returns
    -------
    float
        The fraction of comparable pairs ordered correctly by the score (ties in the
        score count one half): 1 is perfect, 0.5 random, 0 perfectly reversed.

    Notes
    -----
    :func:`lifelines.utils.concordance_index` expects predicted *survival* times, so the
    negated risk score is passed.
    """
    t, e = _durations_events(df, duration, event)
    _require_columns(df, risk_score)
    try:
        score = df[risk_score].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise AnalysisError(
            f"column {risk_score!r} is not numeric", "a numeric risk score"
        ) from None
    if not np.all(np.isfinite(score)):
        raise AnalysisError(
            f"column {risk_score!r} has missing or infinite values", "a finite score per patient"
        )
    from lifelines.utils import concordance_index

    try:
        return float(concordance_index(t, -score, e))
    except ZeroDivisionError:
        raise AnalysisError(
            "no comparable pairs (no patient with an event before another's time)",
            "at least one event before another patient's event or censoring",
        ) from None


def concordance_difference(df: pd.DataFrame, duration: str, event: str, score: str,
                           reference: str, *, replicates: int = 1000, seed: int = 0
                           ) -> tuple[float, float, float]:
    """The c-index of ``score`` minus that of ``reference`` on the same patients, with a
    95 % paired bootstrap interval over patients.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient, with both score columns.
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    score, reference : str
        The two risk-score columns (higher = worse prognosis).
    replicates : int, default 1000
        Bootstrap resamples of the patients (a resample without an event is skipped).
    seed : int, default 0

    Returns
    -------
    tuple of float
        The difference on ``df`` and the 2.5th and 97.5th percentiles over resamples.
    """
    rng = np.random.default_rng(seed)
    n = len(df)
    diffs = []
    for _ in range(replicates):
        sample = df.iloc[rng.integers(0, n, n)]
        if not sample[event].any():
            continue
        diffs.append(concordance(sample, duration, event, score)
                     - concordance(sample, duration, event, reference))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return (concordance(df, duration, event, score) - concordance(df, duration, event, reference),
            float(low), float(high))


def cox_out_of_fold_concordance(df: pd.DataFrame, duration: str, event: str,
                                covariates: Sequence[str], *, folds: int = 5,
                                repeats: int = 20, seed: int = 0) -> float:
    """The c-index a Cox model reaches on patients it was not fitted to: the mean over
    ``repeats`` random splits into ``folds`` folds of the c-index on each fold of a model
    fitted to the others (:func:`lifelines.utils.k_fold_cross_validation`).

    A fairer reference than the in-sample c-index for a score that was not fitted to the
    same patients' outcomes: a Cox model scored on its own training patients is
    optimistic, the more so the fewer the events.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient.
    duration, event : str
        Duration and event-flag columns (see :func:`kaplan_meier`).
    covariates : sequence of str
        Numeric columns entering the model as main effects.
    folds : int, default 5
        Folds per split (each needs an event among its patients for its c-index).
    repeats : int, default 20
        Random splits; split ``r`` is seeded with ``seed + r``.
    seed : int, default 0

    Returns
    -------
    float
        The mean c-index over every fold of every split.
    """
    from lifelines import CoxPHFitter
    from lifelines.utils import k_fold_cross_validation

    t, e = _durations_events(df, duration, event)
    _require_columns(df, *covariates)
    if folds < 2 or repeats < 1:
        raise AnalysisError(f"folds={folds}, repeats={repeats}",
                            "at least 2 folds and 1 repeat")
    frame = df[list(covariates)].astype(float).assign(T=t, E=e.astype(bool))
    scores: list[float] = []
    for r in range(repeats):
        try:
            scores.extend(k_fold_cross_validation(
                CoxPHFitter(), frame, "T", "E", k=folds,
                scoring_method="concordance_index", seed=seed + r))
        except ZeroDivisionError:
            raise AnalysisError(
                f"a fold of {folds} has no comparable pair",
                "fewer folds, so that every fold holds an event") from None
    return float(np.mean(scores))
