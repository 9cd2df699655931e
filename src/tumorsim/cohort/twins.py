"""Stochastic twins of real patients (the GBSG2 twin, docs/model.md §5, claim K1): who they are and
how they are treated. Running them is :func:`tumorsim.runner.twins.run_twin`.

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

from typing import Final

import numpy as np

from tumorsim.cohort.population import Cohort
from tumorsim.model.scenario import RegimenName, Scenario

__all__ = [
    "GBSG2_HORMONE_DURATION_DAYS",
    "make_twins",
    "twin_plans",
]

GBSG2_HORMONE_DURATION_DAYS: Final[float] = 730.5
"""Tamoxifen in GBSG2: 2 years (docs/model.md §5)."""

_DAYS_PER_YEAR: Final[float] = 365.25


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


def _plan_label(plan: Scenario) -> str:
    """``"tamoxifen 2 y + CMF"``, ``"no systemic therapy"``."""
    parts: list[str] = []
    tamoxifen = plan.treatment.tamoxifen
    if tamoxifen is not None:
        parts.append(f"tamoxifen {tamoxifen.duration_days / _DAYS_PER_YEAR:g} y")
    if plan.treatment.chemotherapy is not None:
        parts.append(plan.treatment.chemotherapy.regimen)
    return " + ".join(parts) if parts else "no systemic therapy"
