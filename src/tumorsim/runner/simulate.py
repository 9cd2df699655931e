"""Running a cohort in process: ``simulate(scenario, cohort, *, seed)`` and ``run_plans``.

The scenario says what is simulated, the cohort who, the seed which random world. Without
a cohort, :func:`simulate` samples one from the scenario's population (the caller's job,
not the engine's); the patients are then run in chunks by the engine
(:func:`tumorsim.engine.simulate.run_chunk`). Each patient has her own random streams, so
chunk size and thread count do not change the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tumorsim.cohort.population import Cohort
from tumorsim.engine.simulate import combine_chunks, prepare_run, run_chunk
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import Scenario
from tumorsim.results import SimulationResult

__all__ = ["ProgressCallback", "run_plans", "simulate"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(patients_done, patients_total)`` after each chunk."""


def simulate(
    scenario: Scenario,
    cohort: Cohort | None = None,
    *,
    seed: int | None = None,
    patients: int | None = None,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    ensemble: Ensemble | None = None,
) -> SimulationResult:
    """Simulate a virtual cohort under the scenario's treatment plan.

    Parameters
    ----------
    scenario : Scenario
        What is simulated.
    cohort : Cohort, optional
        Who is simulated; by default ``patients`` women sampled from
        ``scenario.population`` with ``seed``.
    seed : int, optional
        Master seed; defaults to ``scenario.cohort.seed``.
    patients : int, optional
        Cohort size when no cohort is given; defaults to ``scenario.cohort.patients``.
    chunk_size : int, default 20000
        Patients per kernel call (memory versus overhead; results do not depend on it).
    n_threads : int, optional
        Numba threads; default: numba's current setting. Results do not depend on it.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.
    ensemble : Ensemble, optional
        Parameter draws: each patient lives under one (chosen on her own stream), and the
        patients table gains a ``draw`` column. Default: the scenario's one biology.

    Returns
    -------
    SimulationResult
        One row per patient with event times (days from diagnosis), sites, clone mix at the
        events, and trajectories for ``scenario.cohort.trajectory_patients`` patients.
    """
    seed = scenario.cohort.seed if seed is None else int(seed)
    if cohort is None:
        cohort = sample_cohort(scenario, seed=seed, patients=patients)
    plan_of_patient = np.zeros(len(cohort), dtype=np.int64)
    return run_plans([scenario], plan_of_patient, cohort, seed=seed, chunk_size=chunk_size,
                     n_threads=n_threads, progress=progress, arm_names=[scenario.name],
                     ensemble=ensemble)


def sample_cohort(scenario: Scenario, *, seed: int, patients: int | None = None) -> Cohort:
    """``patients`` women (default ``scenario.cohort.patients``) from the scenario's
    population, on the streams of ``seed``."""
    n = scenario.cohort.patients if patients is None else int(patients)
    return Cohort.sample(scenario.population, n, seed)


def run_plans(
    plans: Sequence[Scenario],
    plan_of_patient: np.ndarray,
    cohort: Cohort,
    *,
    seed: int,
    chunk_size: int = 20_000,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
    arm_names: Sequence[str] | None = None,
    ensemble: Ensemble | None = None,
) -> SimulationResult:
    """Simulate a cohort in which patient ``k`` follows plan ``plan_of_patient[k]``.

    All plans share the biology of ``plans[0]`` (parameters, sites, clones, mechanisms,
    numerics), or its ``ensemble`` of draws; each plan contributes its own treatment plan
    and exposures. This is what trial arms with common random numbers are built on.
    """
    check_chunk_size(chunk_size)
    draws = ensemble.scenarios(plans[0]) if ensemble is not None else None
    run = prepare_run(plans, plan_of_patient, cohort, seed=seed, arm_names=arm_names,
                      draws=draws)
    parts = []
    for start, stop in chunk_bounds(run.n_patients, chunk_size):
        parts.append(run_chunk(run, start, stop, n_threads=n_threads))
        if progress is not None:
            progress(stop, run.n_patients)
    return combine_chunks(run, parts)


def check_chunk_size(chunk_size: int) -> None:
    """Raise :class:`ValueError` unless ``chunk_size`` is at least 1."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")


def chunk_bounds(patients: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk of ``patients`` patients, in patient order."""
    return [(start, min(start + chunk_size, patients))
            for start in range(0, patients, chunk_size)]
