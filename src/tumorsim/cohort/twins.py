"""Stochastic twins of real patients (the GBSG2 twin, docs/model.md §5, claim K1).

Each real woman gets ``K`` virtual twins: the same covariates (age, menopause, tumour
size, grade, nodes, ER, PR) and the same recorded treatment, but each twin draws her own
patient traits (growth, dissemination, CXCL1/2 trait) and lives her own stochastic
history. The spread of her twins' fates is the model's prediction for her:

- ``twins_relapsed_fraction_<t>y``: the fraction of her twins with a recurrence-free-
  survival (RFS) event by ``t`` = 1, 3, 5, 10 years, from the simulation *not* censored
  at her follow-up (only at the scenario's horizon);
- ``risk_score``: the predicted 5-year relapse probability (the same as the 5-year
  fraction), to rank women or to check discrimination (concordance) against
  ``relapse_event``;
- the twins' own event table, censored at her observed follow-up exactly as the trial
  censored her, for survival curves comparable with the data (Kaplan-Meier, Cox).

Twin ids
--------
Twin ``j`` (0-based) of the patient in row ``r`` (0-based) of the input cohort has
``patient_id = r * K + j``. The engine keys every random stream by ``(seed, patient_id)``,
so this id fixes each twin's traits and history: the same data file, ``K`` and seed give
the same twins; reordering rows or changing ``K`` gives other (equally valid) twins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from tumorsim.cohort.population import Cohort
from tumorsim.model.scenario import RegimenName, Scenario

__all__ = [
    "FRACTION_YEARS",
    "GBSG2_HORMONE_DURATION_DAYS",
    "TwinResult",
    "make_twins",
    "run_twin",
    "twin_plans",
]

GBSG2_HORMONE_DURATION_DAYS: Final[float] = 730.5
"""Tamoxifen in GBSG2: 2 years (docs/model.md §5)."""

FRACTION_YEARS: Final[tuple[int, ...]] = (1, 3, 5, 10)
"""Years at which each patient's ``twins_relapsed_fraction_<t>y`` is reported."""

_DAYS_PER_YEAR: Final[float] = 365.25
_RISK_YEARS: Final[int] = 5
_ENDPOINTS: Final[tuple[str, ...]] = ("rfs", "dmfs", "os")


@dataclass(frozen=True)
class TwinResult:
    """What :func:`run_twin` returns.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per input patient, in input order: every input column (``patient_id``,
        covariates, recorded treatment and outcome, extra columns), then ``arm`` (her
        treatment plan), ``twins`` (K), ``twins_relapsed_fraction_1y`` / ``_3y`` /
        ``_5y`` / ``_10y`` (fraction of her twins with an RFS event by then, uncensored
        by follow-up; NaN beyond the horizon), ``median_simulated_rfs_days`` (the
        smallest time by which at least half of her twins relapsed; NaN when fewer than
        half relapse within the horizon), ``risk_score`` (predicted 5-year relapse
        probability) and, when the data has ``follow_up_days``,
        ``twins_relapsed_by_follow_up_fraction`` (fraction of twins relapsing by her own
        follow-up: its sum over patients is the expected count of observed events).
    twins : pandas.DataFrame
        The engine's table for the ``n * K`` twins (see
        :func:`tumorsim.engine.simulate.run_plans`) with ``source_row`` and
        ``twin_index`` after ``patient_id``. ``rfs_*``, ``dmfs_*`` and ``os_*`` are
        censored at the patient's ``follow_up_days`` (when the data has it); the
        simulation's own values stay in ``rfs_days_uncensored``,
        ``rfs_event_uncensored`` and likewise for dmfs and os. Event-time detail columns
        (``first_event_days``, ``distant_<site>_days``, ...) are not censored.
    scenario : Scenario
        The base scenario (biology, horizon) the twins ran under.
    plans : tuple of Scenario
        The treatment plans used (see :func:`twin_plans`).
    seed : int
        Master seed.
    twins_per_patient : int
        K.
    """

    patients: pd.DataFrame
    twins: pd.DataFrame
    scenario: Scenario
    plans: tuple[Scenario, ...]
    seed: int
    twins_per_patient: int


def make_twins(cohort: Cohort, k: int) -> Cohort:
    """K stochastic twins of every patient: her covariates and columns, new ids.

    Parameters
    ----------
    cohort : Cohort
        The real patients (e.g. from :func:`tumorsim.cohort.data.load_gbsg2`).
    k : int
        Twins per patient, >= 1.

    Returns
    -------
    Cohort
        ``n * k`` rows, the twins of row 0 first. ``patient_id = row * k + j``, which keys
        each twin's random streams (see the module docstring); ``source_row`` is the
        patient's 0-based row in ``cohort`` and ``twin_index`` is ``j``. Every other column
        is copied from the patient (her own ``patient_id`` is not kept; ``source_id`` is,
        when present).
    """
    if int(k) != k or k < 1:
        raise ValueError(f"twins per patient must be a whole number >= 1, got {k!r}")
    k = int(k)
    n = len(cohort)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    index = np.tile(np.arange(k, dtype=np.int64), n)
    covariates = cohort.covariates.drop(columns=["patient_id"]).iloc[rows]
    covariates = covariates.drop(columns=["source_row", "twin_index"], errors="ignore")
    covariates = covariates.reset_index(drop=True)
    covariates.insert(0, "twin_index", index)
    covariates.insert(0, "source_row", rows)
    covariates.insert(0, "patient_id", rows * k + index)
    return Cohort(covariates)


def twin_plans(
    base_scenario: Scenario,
    cohort: Cohort,
    hormone_duration_days: float = GBSG2_HORMONE_DURATION_DAYS,
    chemotherapy_regimen: RegimenName | None = "CMF",
) -> tuple[list[Scenario], np.ndarray]:
    """Treatment plans that give each patient the treatment her data records.

    Parameters
    ----------
    base_scenario : Scenario
        Biology, horizon and every treatment element not set here (surgery, inhibitors,
        exposures).
    cohort : Cohort
        Patients (or twins); reads ``hormone_therapy`` and ``chemotherapy`` when present.
    hormone_duration_days : float, default 730.5
        Tamoxifen duration where ``hormone_therapy`` is 1 (GBSG2: 2 years). Start day
        and adherence come from the base scenario's tamoxifen, if it has one (else day 0,
        full adherence). Without a ``hormone_therapy`` column the base scenario's
        tamoxifen is given to everyone.
    chemotherapy_regimen : str or None, default "CMF"
        Regimen given to everyone, or only where ``chemotherapy`` is 1 when the column
        exists (GBSG2 has none: all women had CMF). The base scenario's chemotherapy
        spec (start day, cycles) is kept when it names this regimen. ``None``: the base
        scenario's chemotherapy as it is (where ``chemotherapy`` is 1, if the column
        exists).

    Returns
    -------
    plans : list of Scenario
        One scenario per distinct treatment combination present, named after the base
        scenario and the treatment (``"GBSG2 twin | tamoxifen 2 y + CMF"``).
    plan_of_patient : numpy.ndarray of int64, shape (n,)
        Index into ``plans`` for each row of ``cohort``.
    """
    if not hormone_duration_days > 0:
        raise ValueError(f"hormone_duration_days must be > 0, got {hormone_duration_days!r}")
    covariates = cohort.covariates
    n = len(cohort)
    base_treatment = base_scenario.treatment
    hormone = (covariates["hormone_therapy"].to_numpy(np.int64)
               if "hormone_therapy" in covariates else None)
    chemo = (covariates["chemotherapy"].to_numpy(np.int64)
             if "chemotherapy" in covariates else np.ones(n, dtype=np.int64))

    tamoxifen_spec = None
    if hormone is not None:
        tamoxifen_spec = {"duration_days": float(hormone_duration_days)}
        if base_treatment.tamoxifen is not None:
            tamoxifen_spec["start_day"] = base_treatment.tamoxifen.start_day
            tamoxifen_spec["adherence"] = base_treatment.tamoxifen.adherence
    chemo_spec = None
    if chemotherapy_regimen is None:
        if base_treatment.chemotherapy is not None:
            chemo_spec = base_treatment.chemotherapy.model_dump(exclude_none=True)
    elif (base_treatment.chemotherapy is not None
          and base_treatment.chemotherapy.regimen == chemotherapy_regimen):
        chemo_spec = base_treatment.chemotherapy.model_dump(exclude_none=True)
    else:
        chemo_spec = {"regimen": chemotherapy_regimen}

    hormone_key = hormone if hormone is not None else np.full(n, -1, dtype=np.int64)
    chemo_key = chemo if chemo_spec is not None else np.zeros(n, dtype=np.int64)
    combos = sorted(set(zip(hormone_key.tolist(), chemo_key.tolist(), strict=True)))
    plans: list[Scenario] = []
    for h, c in combos:
        changes: dict[str, object] = {}
        if h >= 0:
            changes["tamoxifen"] = tamoxifen_spec if h == 1 else None
        changes["chemotherapy"] = chemo_spec if c == 1 else None
        plan = base_scenario.with_changes(treatment=changes)
        plans.append(plan.with_changes(name=f"{base_scenario.name} | {_plan_label(plan)}"))
    lookup = {combo: i for i, combo in enumerate(combos)}
    plan_of_patient = np.array(
        [lookup[(h, c)] for h, c in zip(hormone_key.tolist(), chemo_key.tolist(), strict=True)],
        dtype=np.int64,
    )
    return plans, plan_of_patient


def run_twin(
    base_scenario: Scenario,
    cohort: Cohort,
    *,
    twins: int,
    seed: int | None = None,
    hormone_duration_days: float = GBSG2_HORMONE_DURATION_DAYS,
    chemotherapy_regimen: RegimenName | None = "CMF",
    metastasis_free_at_diagnosis: bool = True,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TwinResult:
    """Simulate K twins of every patient under her recorded treatment.

    Parameters
    ----------
    base_scenario : Scenario
        Biology and horizon (``cohort.horizon_years``; at least 10 years for every
        fraction to be defined). Its population and cohort size are not used.
    cohort : Cohort
        Real patients, e.g. :func:`tumorsim.cohort.data.load_gbsg2` or
        :meth:`Cohort.from_dataframe <tumorsim.cohort.population.Cohort.from_dataframe>`.
    twins : int
        Twins per patient (K), >= 1.
    seed : int, optional
        Master seed; default ``base_scenario.cohort.seed``.
    hormone_duration_days, chemotherapy_regimen
        See :func:`twin_plans`.
    metastasis_free_at_diagnosis : bool, default True
        Condition every twin on no detectable distant metastasis at diagnosis, as the
        real patients of an adjuvant cohort had none (see
        ``CohortSpec.metastasis_free_at_diagnosis``); this overrides the base scenario.
    chunk_size, n_threads, progress
        See :func:`tumorsim.engine.simulate.run_plans` (``progress`` counts twins).

    Returns
    -------
    TwinResult
        The per-patient table and the twins' event table.
    """
    from tumorsim.engine.simulate import run_plans

    seed = base_scenario.cohort.seed if seed is None else int(seed)
    base_scenario = base_scenario.with_changes(
        cohort={"metastasis_free_at_diagnosis": metastasis_free_at_diagnosis})
    twin_cohort = make_twins(cohort, twins)
    plans, plan_of_twin = twin_plans(base_scenario, twin_cohort, hormone_duration_days,
                                     chemotherapy_regimen)
    result = run_plans(plans, plan_of_twin, twin_cohort, seed=seed, chunk_size=chunk_size,
                       n_threads=n_threads, progress=progress)
    table = result.patients
    twin_cov = twin_cohort.covariates
    table.insert(1, "twin_index", twin_cov["twin_index"].to_numpy())
    table.insert(1, "source_row", twin_cov["source_row"].to_numpy())
    follow_up = (twin_cov["follow_up_days"].to_numpy(float)
                 if "follow_up_days" in twin_cov else None)
    if follow_up is not None:
        table["follow_up_days"] = follow_up
    for endpoint in _ENDPOINTS:
        days = table[f"{endpoint}_days"].to_numpy(float)
        event = table[f"{endpoint}_event"].to_numpy(bool)
        table[f"{endpoint}_days_uncensored"] = days
        table[f"{endpoint}_event_uncensored"] = event
        if follow_up is not None:
            table[f"{endpoint}_event"] = event & (days <= follow_up)
            table[f"{endpoint}_days"] = np.minimum(days, follow_up)

    horizon_days = base_scenario.cohort.horizon_years * _DAYS_PER_YEAR
    patients = _patient_table(cohort, table, twins, horizon_days, follow_up)
    return TwinResult(patients=patients, twins=table, scenario=base_scenario,
                      plans=tuple(plans), seed=seed, twins_per_patient=int(twins))


def _patient_table(
    cohort: Cohort,
    twins_table: pd.DataFrame,
    k: int,
    horizon_days: float,
    follow_up: np.ndarray | None,
) -> pd.DataFrame:
    """One row per input patient from her twins' uncensored RFS times."""
    n = len(cohort)
    # Twins come row by row (make_twins), so a reshape groups each patient's twins.
    days = twins_table["rfs_days_uncensored"].to_numpy(float).reshape(n, k)
    event = twins_table["rfs_event_uncensored"].to_numpy(bool).reshape(n, k)
    event_days = np.where(event, days, np.inf)
    out = cohort.covariates.copy()
    out["arm"] = twins_table["arm"].to_numpy()[::k] if n else np.array([], dtype=object)
    out["twins"] = k
    for years in FRACTION_YEARS:
        t = years * _DAYS_PER_YEAR
        fraction = (event_days <= t).mean(axis=1) if k else np.full(n, np.nan)
        out[f"twins_relapsed_fraction_{years}y"] = np.where(t <= horizon_days + 1e-9,
                                                            fraction, np.nan)
    median_rank = (k + 1) // 2 - 1  # the first time at least half have relapsed
    median = np.sort(event_days, axis=1)[:, median_rank] if n else np.zeros(0)
    out["median_simulated_rfs_days"] = np.where(np.isfinite(median), median, np.nan)
    out["risk_score"] = out[f"twins_relapsed_fraction_{_RISK_YEARS}y"]
    if follow_up is not None:
        own = follow_up.reshape(n, k)
        out["twins_relapsed_by_follow_up_fraction"] = (event_days <= own).mean(axis=1)
    return out


def _plan_label(plan: Scenario) -> str:
    """``"tamoxifen 2 y + CMF"``, ``"no systemic therapy"``."""
    parts: list[str] = []
    tamoxifen = plan.treatment.tamoxifen
    if tamoxifen is not None:
        parts.append(f"tamoxifen {tamoxifen.duration_days / _DAYS_PER_YEAR:g} y")
    if plan.treatment.chemotherapy is not None:
        parts.append(plan.treatment.chemotherapy.regimen)
    return " + ".join(parts) if parts else "no systemic therapy"
