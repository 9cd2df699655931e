"""The engine's entry: simulate the patients of a cohort it is given, a chunk at a time.

:func:`prepare_model` packs what every chunk of a run shares, whatever the cohort size
(model arrays, compiled plans, which patients are recorded); :func:`prepare_patients`
adds the per-patient parameters of some of its patients (a chunk, or the whole cohort);
:func:`prepare_run` does both for a whole cohort. :func:`run_chunk` simulates any range
of prepared patients and returns their rows exactly as the whole run would (each patient
on her own random streams); :func:`combine_chunks` joins chunks. Who is simulated and how
a run is cut into chunks is the caller's choice (:mod:`tumorsim.runner`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numba
import numpy as np
import pandas as pd

from tumorsim.cohort.parameters import PatientParameters, patient_parameters
from tumorsim.cohort.population import COVARIATE_COLUMNS, Cohort
from tumorsim.engine import kernel as K
from tumorsim.engine import ode
from tumorsim.engine.mortality import censor_at_other_cause_death, other_cause_death_days
from tumorsim.engine.plan import CompiledPlans, compile_plans
from tumorsim.engine.random import PURPOSE_ENSEMBLE, patient_uniforms
from tumorsim.engine.structures import (
    ENV_ANTIOXIDANT,
    ENV_CXCL,
    ENV_MYELOID,
    ENV_ROS,
    N_ENV,
    ModelArrays,
    Outputs,
    Patients,
    Recording,
    solver_settings,
    stack_model_arrays,
)
from tumorsim.model.anatomy import ACTIVITIES, CLONES, METASTATIC_SITES, SITES
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult


@dataclass(frozen=True)
class RunModel:
    """What every chunk of a run shares: built once, its size independent of the cohort's.

    Attributes
    ----------
    base : Scenario
        The biology (``plans[0]``).
    biologies : tuple of Scenario
        The parameter draws patients live under (``(base,)`` in a point run).
    arm_names : ndarray of str
        The name of each plan.
    seed : int
    arrays : ModelArrays
        One row per biology.
    compiled : CompiledPlans
        The compiled plans (:func:`tumorsim.engine.plan.compile_plans`): one row per plan,
        or, when the draws differ in a parameter the plans read (:data:`PLAN_PARAMETERS`),
        one row per draw and plan (row ``draw * n_plans + plan``), each plan under that
        draw's values.
    n_patients : int
        Patients of the whole run.
    trajectory_positions : ndarray of int
        Sorted positions (0 to ``n_patients - 1``) of the patients whose trajectories are
        recorded (:func:`recorded_positions`).
    """

    base: Scenario
    biologies: tuple[Scenario, ...]
    arm_names: np.ndarray
    seed: int
    arrays: ModelArrays
    compiled: CompiledPlans
    n_patients: int
    trajectory_positions: np.ndarray
    plans_by_draw: bool = False

    @property
    def n_draws(self) -> int:
        return len(self.biologies)

    def compiled_row(self, plan_of_patient: np.ndarray, draw_of_patient: np.ndarray
                     ) -> np.ndarray:
        """The row of :attr:`compiled` each patient follows, given her plan and draw."""
        if not self.plans_by_draw:
            return plan_of_patient
        return draw_of_patient * len(self.arm_names) + plan_of_patient


@dataclass(frozen=True)
class PreparedRun:
    """Everything a chunk of a run needs: its patients' parameters and the shared model.

    Attributes
    ----------
    base : Scenario
        The biology (``plans[0]``).
    cohort : Cohort
        The patients prepared (the whole cohort, or a chunk of it).
    plan_of_patient : ndarray of int
        The plan (arm) of each patient.
    compiled_row : ndarray of int
        The row of ``compiled`` each patient follows: her plan, or her plan under her
        draw's plan parameters (:meth:`RunModel.compiled_row`).
    arm_labels : ndarray of str
        The arm name of each patient.
    seed : int
    arrays : ModelArrays
    compiled : object
        The compiled plans (:func:`tumorsim.engine.plan.compile_plans`).
    parameters : PatientParameters
        Each patient's parameters under her own draw's biology.
    trajectory_slot : ndarray of int
        Per patient, her row among the recorded trajectories of the whole run, or -1.
        Chosen for the whole cohort from the seed, so a chunk records the same patients
        as the whole run.
    draw_of_patient : ndarray of int
        Per patient, her parameter draw (row of ``arrays``); all 0 in a point run.
    n_draws : int
        Draws of the run's biology (1 for a point run).
    records_trajectories : bool
        Whether the whole run records trajectories (then every chunk returns trajectory
        tables, empty where it holds no recorded patient).
    """

    base: Scenario
    cohort: Cohort
    plan_of_patient: np.ndarray
    compiled_row: np.ndarray
    arm_labels: np.ndarray
    seed: int
    arrays: ModelArrays
    compiled: CompiledPlans
    parameters: PatientParameters
    trajectory_slot: np.ndarray
    draw_of_patient: np.ndarray
    n_draws: int = 1
    records_trajectories: bool = False

    @property
    def n_patients(self) -> int:
        return len(self.cohort)

    @property
    def horizon_days(self) -> float:
        return self.base.cohort.horizon_years * 365.25


def prepare_run(
    plans: Sequence[Scenario],
    plan_of_patient: np.ndarray,
    cohort: Cohort,
    *,
    seed: int,
    arm_names: Sequence[str] | None = None,
    draws: Sequence[Scenario] | None = None,
) -> PreparedRun:
    """Compile plans, pack arrays, map covariates and choose the recorded patients.

    With ``draws`` (scenarios differing in parameter values only: an ensemble), each
    patient lives under one draw, chosen on her own ``PURPOSE_ENSEMBLE`` stream, so her
    draw does not depend on chunking; the plans give the treatment. The same as
    :func:`prepare_patients` of the whole cohort under :func:`prepare_model`.
    """
    model = prepare_model(plans, n_patients=len(cohort), seed=seed, arm_names=arm_names,
                          draws=draws)
    return prepare_patients(model, cohort, plan_of_patient)


def prepare_model(
    plans: Sequence[Scenario],
    *,
    n_patients: int,
    seed: int,
    arm_names: Sequence[str] | None = None,
    draws: Sequence[Scenario] | None = None,
) -> RunModel:
    """What every chunk of a run of ``n_patients`` shares (see :func:`prepare_run`).

    Its memory does not grow with ``n_patients`` (:func:`recorded_positions`).
    """
    base = plans[0]
    biologies = tuple(draws) if draws else (base,)
    by_draw = _plans_vary_by_draw(base, biologies)
    arms = list(arm_names) if arm_names is not None else [p.name for p in plans]
    return RunModel(
        base=base, biologies=biologies, arm_names=np.asarray(arms), seed=int(seed),
        arrays=stack_model_arrays(biologies),
        compiled=compile_plans(_plans_by_draw(plans, biologies) if by_draw else list(plans)),
        n_patients=int(n_patients),
        trajectory_positions=recorded_positions(int(n_patients),
                                                base.cohort.trajectory_patients, seed),
        plans_by_draw=by_draw)


def recorded_positions(n_patients: int, trajectory_patients: int, seed: int) -> np.ndarray:
    """Sorted positions of the ``min(trajectory_patients, n_patients)`` recorded patients.

    Chosen from the seed alone (``numpy.random.default_rng(seed).choice(n_patients, k,
    replace=False)``), so every chunk of a run agrees on them.

    Notes
    -----
    Memory: numpy draws ``k`` of ``n`` without replacement by Floyd's algorithm (``O(k)``)
    unless ``n > 10,000`` and ``k > n // 50``, where it shuffles the tail of an ``arange(n)``
    (8 bytes per patient). That happens only for ``n < 50 (k + 1)``, so it holds at most
    ``50 (k + 1)`` integers whatever the cohort size (``k <= 100,000`` by the scenario's
    limit: 40 MB at most; nothing for ``k = 0``).
    """
    k = min(int(trajectory_patients), int(n_patients))
    if not k:
        return np.empty(0, dtype=np.int64)
    chosen = np.random.default_rng(seed).choice(int(n_patients), size=k, replace=False)
    return np.sort(chosen).astype(np.int64, copy=False)


def prepare_patients(
    model: RunModel, cohort: Cohort, plan_of_patient: np.ndarray, *, first_position: int = 0
) -> PreparedRun:
    """Prepare the patients at positions ``first_position`` onwards of a run's cohort.

    Parameters
    ----------
    model : RunModel
        The run (:func:`prepare_model`).
    cohort : Cohort
        Its patients at positions ``first_position`` to ``first_position + len(cohort) -
        1`` (a chunk, or the whole cohort).
    plan_of_patient : ndarray of int
        The plan of each of these patients.
    first_position : int, default 0
        Position in the whole run of the first of these patients.

    Returns
    -------
    PreparedRun
        For these patients only: :func:`run_chunk` of all of them gives the rows the
        whole run gives them.
    """
    n = len(cohort)
    if first_position < 0 or first_position + n > model.n_patients:
        raise ValueError(f"patients {first_position} to {first_position + n - 1} are not "
                         f"in a run of {model.n_patients}")
    plan_of_patient = np.asarray(plan_of_patient, dtype=np.int64)
    biologies = model.biologies
    if len(biologies) == 1:
        draw_of_patient = np.zeros(n, dtype=np.int64)
        parameters = patient_parameters(biologies[0], cohort, model.seed)
    else:
        u = patient_uniforms(model.seed, cohort.patient_ids, 1, PURPOSE_ENSEMBLE)[:, 0]
        draw_of_patient = np.minimum((u * len(biologies)).astype(np.int64),
                                     len(biologies) - 1)
        parameters = _parameters_by_draw(biologies, cohort, model.seed, draw_of_patient)
    return PreparedRun(
        base=model.base, cohort=cohort, plan_of_patient=plan_of_patient,
        compiled_row=model.compiled_row(plan_of_patient, draw_of_patient),
        arm_labels=model.arm_names[plan_of_patient], seed=model.seed, arrays=model.arrays,
        compiled=model.compiled, parameters=parameters,
        trajectory_slot=_trajectory_slots(model.trajectory_positions, first_position, n),
        draw_of_patient=draw_of_patient, n_draws=model.n_draws,
        records_trajectories=bool(len(model.trajectory_positions)))


def _trajectory_slots(positions: np.ndarray, first_position: int, n: int) -> np.ndarray:
    """Per patient of positions ``first_position`` to ``+ n - 1``: her index in
    ``positions`` (sorted), or -1."""
    slots = np.full(n, -1, dtype=np.int64)
    lo, hi = np.searchsorted(positions, [first_position, first_position + n])
    slots[positions[lo:hi] - first_position] = np.arange(lo, hi)
    return slots


PLAN_PARAMETERS = ("chemo_kill_days", "chemo_signal_window_days", "tamoxifen_ramp_days")
"""Parameters the compiled plans read (the posterior fits ``chemo_kill_days``): where an
ensemble's draws differ in one, each plan is compiled under each draw's values."""


def _plans_vary_by_draw(base: Scenario, biologies: Sequence[Scenario]) -> bool:
    """Whether any draw differs from ``base`` in a parameter the plans read."""
    return any(b.parameter(name) != base.parameter(name)
               for name in PLAN_PARAMETERS for b in biologies)


def _plans_by_draw(plans: Sequence[Scenario], biologies: Sequence[Scenario]
                   ) -> list[Scenario]:
    """Each plan under each draw's plan parameters, draw-major (row ``draw * len(plans) +
    plan``); like every value a draw names, the draw's value replaces the plan's."""
    rows: list[Scenario] = []
    for biology in biologies:
        values = {name: biology.parameter(name) for name in PLAN_PARAMETERS}
        rows.extend(plan.with_changes(parameters=values) for plan in plans)
    return rows


def _parameters_by_draw(biologies: Sequence[Scenario], cohort: Cohort, seed: int,
                        draw_of_patient: np.ndarray) -> PatientParameters:
    """Each patient's parameters under her draw's biology (same trait streams in all).

    Each draw maps only its own patients (their streams are keyed by patient id, so the
    values are those a whole-cohort mapping gives them): the cost is one mapping of the
    cohort, whatever the number of draws.
    """
    merged: dict[str, np.ndarray] | None = None
    for d, biology in enumerate(biologies):
        mine = draw_of_patient == d
        if not mine.any():
            continue
        pp = patient_parameters(biology, Cohort(cohort.covariates[mine]), seed)
        if merged is None:
            merged = {f.name: np.zeros((len(cohort), *np.shape(getattr(pp, f.name))[1:]),
                                       dtype=np.asarray(getattr(pp, f.name)).dtype)
                      for f in fields(PatientParameters)}
        for f in fields(PatientParameters):
            merged[f.name][mine] = getattr(pp, f.name)
    assert merged is not None
    return PatientParameters(**merged)


def run_chunk(run: PreparedRun, start: int, stop: int, *, n_threads: int | None = None
              ) -> SimulationResult:
    """Simulate patients ``start`` to ``stop - 1`` of a prepared run.

    The rows are exactly those the whole run gives these patients (each patient has her
    own random streams), so chunks can be computed in any order, anywhere, and joined
    with :func:`combine_chunks`.
    """
    base, arrays, compiled = run.base, run.arrays, run.compiled
    pp = run.parameters
    sl = slice(start, stop)
    n = stop - start
    horizon = run.horizon_days
    deterministic = base.numerics.mode == "deterministic"
    every = base.cohort.record_every_days
    n_records = int(np.floor(horizon / every + 1e-9)) + 1
    slots = run.trajectory_slot[sl]
    recorded = slots >= 0
    local_slot = np.full(n, -1, dtype=np.int64)
    local_slot[recorded] = np.arange(int(recorded.sum()))
    k_traj = int(recorded.sum())
    recording = Recording(
        slot=local_slot, every_days=every,
        cells=np.zeros((k_traj, n_records, len(SITES), len(CLONES), len(ACTIVITIES))),
        environment=np.zeros((k_traj, n_records, len(SITES), N_ENV)),
        times=np.full((k_traj, n_records), np.nan))
    out = Outputs.empty(n)
    ids = run.cohort.patient_ids[sl]
    patients = Patients(
        ids=ids, plan=run.compiled_row[sl], gompertz_rate_per_day=pp.gompertz_rate_per_day[sl],
        dissemination_coefficient=pp.dissemination_coefficient[sl],
        cxcl_multiplier=pp.cxcl_multiplier[sl], diagnosis_cells=pp.diagnosis_cells[sl],
        clone_fractions=pp.clone_fractions[sl],
        endocrine_sensitivity=pp.endocrine_sensitivity[sl], growth_factor=pp.growth_factor[sl],
        deep_dormancy_factor=pp.deep_dormancy_factor[sl],
        pr_negative_primary=pp.pr_negative_primary[sl], draw=run.draw_of_patient[sl])

    previous_threads = numba.get_num_threads()
    if n_threads is not None:
        numba.set_num_threads(int(n_threads))
    try:
        # expected values are an ODE system with its own integrator (tumorsim.engine.ode)
        kernel = ode.simulate_patients if deterministic else K.simulate_patients
        kernel(patients, np.uint64(run.seed), arrays, solver_settings(base), compiled,
               recording, out)
    finally:
        numba.set_num_threads(previous_threads)

    cohort = run.cohort.slice(start, stop)
    other_death = None
    if base.mechanisms.competing_mortality:
        other_death = other_cause_death_days(
            arrays.params, run.draw_of_patient[sl],
            cohort.covariates["age_years"].to_numpy(float), ids, run.seed, horizon,
            deterministic)
        censor_at_other_cause_death(out, other_death)
    table = _patient_table(cohort, run.arm_labels[sl], horizon,
                           out.event_time, out.event_clone, out.event_myeloid,
                           out.event_antioxidant, out.death_time, out.diagnosis_cells,
                           out.end_cells, out.natural_history_days, out.disseminated_cells,
                           out.natural_history_redraws, other_death)
    if run.n_draws > 1:
        table.insert(2, "draw", run.draw_of_patient[sl])
    trajectories = None
    environment = None
    if run.records_trajectories:
        trajectories, environment = _trajectory_tables(ids[recorded], recording.cells,
                                                       recording.environment, recording.times)
    return SimulationResult(patients=table, trajectories=trajectories,
                            site_environment=environment, scenario=base, seed=run.seed)


def combine_chunks(run: PreparedRun | RunModel, parts: Sequence[SimulationResult]
                   ) -> SimulationResult:
    """Join chunk results (in patient order) into the result of the whole run.

    ``run`` gives the scenario and seed; without ``parts`` (no patients) it must be a
    :class:`PreparedRun`, whose empty chunk is returned.
    """
    if not parts:
        if not isinstance(run, PreparedRun):
            raise ValueError("combine_chunks of a RunModel needs at least one chunk")
        return run_chunk(run, 0, 0)
    table = _concat([p.patients for p in parts])
    trajectories = environment = None
    if parts[0].trajectories is not None:
        trajectories = _concat([p.trajectories for p in parts if p.trajectories is not None])
        environment = _concat([p.site_environment for p in parts
                               if p.site_environment is not None])
    return SimulationResult(patients=table, trajectories=trajectories,
                            site_environment=environment, scenario=run.base, seed=run.seed)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Row-wise concatenation that skips empty chunks (they carry no rows, only dtypes)."""
    nonempty = [f for f in frames if len(f)]
    return pd.concat(nonempty or list(frames[:1]), ignore_index=True)


def _patient_table(cohort, arms, horizon, ev_time, ev_clone, ev_myeloid, ev_antiox, death,
                   dx_cells, end_cells, natural_history, arrived, redraws,
                   other_death=None) -> pd.DataFrame:
    cols: dict[str, object] = {"patient_id": cohort.patient_ids, "arm": arms}
    for covariate in COVARIATE_COLUMNS:
        cols[covariate] = cohort.covariates[covariate].to_numpy()
    cols["natural_history_days"] = natural_history
    cols["natural_history_redraws"] = redraws.astype(np.int64)
    cols["disseminated_cells"] = arrived
    for s, site in enumerate(SITES):
        cols[f"cells_at_diagnosis_{site}"] = dx_cells[:, s]
    # events
    cols["local_relapse_days"] = ev_time[:, 0]
    for s, site in enumerate(METASTATIC_SITES, start=1):
        cols[f"distant_{site}_days"] = ev_time[:, s]
    with np.errstate(all="ignore"):
        distant_first = np.fmin.reduce(ev_time[:, 1:], axis=1)
        first = np.fmin(ev_time[:, 0], distant_first)
    has_first = ~np.isnan(first)
    first_site_idx = np.where(has_first, np.nanargmin(np.where(np.isnan(ev_time), np.inf,
                                                               ev_time), axis=1), -1)
    cols["first_event_days"] = first
    cols["first_event_site"] = pd.Categorical.from_codes(first_site_idx,
                                                         categories=list(SITES))
    rows = np.arange(len(first_site_idx))
    safe = np.maximum(first_site_idx, 0)
    for c, clone in enumerate(CLONES):
        cols[f"first_event_fraction_{clone}"] = np.where(has_first,
                                                         ev_clone[rows, safe, c], np.nan)
    cols["first_event_myeloid_niche"] = np.where(has_first, ev_myeloid[rows, safe], np.nan)
    cols["first_event_antioxidant_capacity"] = np.where(has_first, ev_antiox[rows, safe],
                                                        np.nan)
    for s, site in enumerate(SITES):
        for c, clone in enumerate(CLONES):
            cols[f"{site}_event_fraction_{clone}"] = ev_clone[:, s, c]
    cols["death_days"] = death
    if other_death is not None:
        # competing mortality: overall survival ends at the first death of either cause
        cols["other_cause_death_days"] = other_death
        death = np.fmin(death, other_death)
    # lifelines-ready endpoints: time and event flag, censored at the horizon (relapse
    # endpoints also at death)
    censor = np.where(np.isnan(death), horizon, death)
    for name, when in (("rfs", first), ("dmfs", distant_first), ("os", death)):
        event = ~np.isnan(when)
        cols[f"{name}_event"] = event
        cols[f"{name}_days"] = np.where(event, when, censor if name != "os" else horizon)
    for s, site in enumerate(SITES):
        cols[f"cells_at_end_{site}"] = end_cells[:, s]
    return pd.DataFrame(cols)


def _trajectory_tables(ids, cells, env, times) -> tuple[pd.DataFrame, pd.DataFrame]:
    k, r = times.shape
    ns, nc, na = len(SITES), len(CLONES), len(ACTIVITIES)
    valid = ~np.isnan(times)
    pid = np.broadcast_to(ids[:, None], (k, r))[valid]
    t = times[valid]
    c = cells[valid]  # (m, site, clone, activity)
    m = t.size
    traj = pd.DataFrame({
        "patient_id": np.repeat(pid, ns * nc * na),
        "time_days": np.repeat(t, ns * nc * na),
        "site": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(ns), nc * na), m),
                                          categories=list(SITES)),
        "clone": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(nc), na), m * ns),
                                           categories=list(CLONES)),
        "activity": pd.Categorical.from_codes(np.tile(np.arange(na), m * ns * nc),
                                              categories=list(ACTIVITIES)),
        "cells": c.reshape(-1),
    })
    e = env[valid]  # (m, site, N_ENV)
    environment = pd.DataFrame({
        "patient_id": np.repeat(pid, ns),
        "time_days": np.repeat(t, ns),
        "site": pd.Categorical.from_codes(np.tile(np.arange(ns), m), categories=list(SITES)),
        "myeloid_niche": e[:, :, ENV_MYELOID].reshape(-1),
        "antioxidant_capacity": e[:, :, ENV_ANTIOXIDANT].reshape(-1),
        "ros_index": e[:, :, ENV_ROS].reshape(-1),
        "cxcl_signal": e[:, :, ENV_CXCL].reshape(-1),
    })
    return traj, environment
