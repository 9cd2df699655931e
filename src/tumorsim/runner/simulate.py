"""Running a cohort in process: ``simulate(scenario, cohort, *, seed)`` and ``run_plans``.

The scenario says what is simulated, the cohort who, the seed which random world. A run
is cut into chunks (:class:`ChunkedRun`): what every chunk shares is prepared once
(:func:`tumorsim.engine.simulate.prepare_model`), and each chunk's patients are prepared
and simulated on their own (:meth:`ChunkedRun.simulate`). Without a cohort, each chunk's
women are sampled from the scenario's population on their own streams (the caller's job,
not the engine's), so a chunk needs memory for its own patients only, whatever the cohort
size. Each patient has her own random streams, so chunk size and thread count do not
change the numbers.

:func:`simulate` joins the chunks into one in-memory :class:`SimulationResult` (small and
medium cohorts); :func:`simulate_chunks` yields them one at a time, for a caller that
writes each and drops it (:func:`tumorsim.runner.directory.simulate_to_directory`,
``tumorsim simulate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tumorsim.cohort.population import Cohort
from tumorsim.engine.simulate import (
    PreparedRun,
    RunModel,
    combine_chunks,
    prepare_model,
    prepare_patients,
    run_chunk,
)
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import PopulationSpec, Scenario
from tumorsim.results import SimulationResult

__all__ = ["ChunkedRun", "ProgressCallback", "run_plans", "simulate", "simulate_chunks"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(patients_done, patients_total)`` after each chunk."""


@dataclass(frozen=True)
class ChunkedRun:
    """A run that prepares and simulates any chunk of its patients on its own.

    Build one with :meth:`sampled` (women sampled chunk by chunk: memory for one chunk)
    or :meth:`of_cohort` (a cohort in memory, each patient on a plan). It pickles small
    when sampled, so a Dask worker can be sent the whole run and simulate any chunk.

    Attributes
    ----------
    model : RunModel
        What every chunk shares (:func:`~tumorsim.engine.simulate.prepare_model`).
    population : PopulationSpec or None
        Sampled run: patient ``k`` is woman ``k`` of this population (on stream
        ``(seed, k)``), on plan 0.
    cohort : Cohort or None
        Otherwise the patients, in order.
    plan_of_patient : ndarray of int or None
        With ``cohort``: the plan of each patient.
    """

    model: RunModel
    population: PopulationSpec | None = None
    cohort: Cohort | None = None
    plan_of_patient: np.ndarray | None = None

    @classmethod
    def sampled(cls, scenario: Scenario, *, seed: int, patients: int | None = None,
                ensemble: Ensemble | None = None) -> ChunkedRun:
        """``patients`` women (default ``scenario.cohort.patients``) of the scenario's
        population under its plan, sampled chunk by chunk on the streams of ``seed``."""
        n = scenario.cohort.patients if patients is None else int(patients)
        model = prepare_model([scenario], n_patients=n, seed=seed, arm_names=[scenario.name],
                              draws=_draws(scenario, ensemble))
        return cls(model=model, population=scenario.population)

    @classmethod
    def of_cohort(cls, plans: Sequence[Scenario], plan_of_patient: np.ndarray, cohort: Cohort,
                  *, seed: int, arm_names: Sequence[str] | None = None,
                  ensemble: Ensemble | None = None) -> ChunkedRun:
        """The patients of ``cohort``, patient ``k`` on plan ``plan_of_patient[k]``."""
        model = prepare_model(plans, n_patients=len(cohort), seed=seed, arm_names=arm_names,
                              draws=_draws(plans[0], ensemble))
        plans_array = np.asarray(plan_of_patient, dtype=np.int64)
        if len(plans_array) != len(cohort):
            raise ValueError(f"{len(plans_array)} plans for {len(cohort)} patients")
        return cls(model=model, cohort=cohort, plan_of_patient=plans_array)

    @property
    def n_patients(self) -> int:
        """Patients of the whole run."""
        return self.model.n_patients

    def prepare(self, start: int, stop: int) -> PreparedRun:
        """The patients at positions ``start`` to ``stop - 1``, prepared on their own."""
        if self.population is not None:
            cohort = Cohort.sample(self.population, stop - start, self.model.seed,
                                   first_id=start)
            plans = np.zeros(stop - start, dtype=np.int64)
        else:
            assert self.cohort is not None and self.plan_of_patient is not None
            cohort = self.cohort.slice(start, stop)
            plans = self.plan_of_patient[start:stop]
        return prepare_patients(self.model, cohort, plans, first_position=start)

    def simulate(self, start: int, stop: int, *, n_threads: int | None = None
                 ) -> SimulationResult:
        """The rows of patients ``start`` to ``stop - 1``: those the whole run gives them."""
        return run_chunk(self.prepare(start, stop), 0, stop - start, n_threads=n_threads)


def _draws(base: Scenario, ensemble: Ensemble | None) -> list[Scenario] | None:
    return ensemble.scenarios(base) if ensemble is not None else None


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
        ``scenario.population`` with ``seed`` (chunk by chunk).
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
        The whole result is in memory; for a cohort too large for that, write it chunk by
        chunk with :func:`tumorsim.runner.directory.simulate_to_directory`.
    """
    check_chunk_size(chunk_size)
    seed = scenario.cohort.seed if seed is None else int(seed)
    if cohort is None:
        run = ChunkedRun.sampled(scenario, seed=seed, patients=patients, ensemble=ensemble)
    else:
        run = ChunkedRun.of_cohort([scenario], np.zeros(len(cohort), dtype=np.int64), cohort,
                                   seed=seed, arm_names=[scenario.name], ensemble=ensemble)
    return _combined(run, chunk_size, n_threads, progress)


def sample_cohort(scenario: Scenario, *, seed: int, patients: int | None = None) -> Cohort:
    """``patients`` women (default ``scenario.cohort.patients``) from the scenario's
    population, on the streams of ``seed``, all in memory."""
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
    run = ChunkedRun.of_cohort(plans, plan_of_patient, cohort, seed=seed, arm_names=arm_names,
                               ensemble=ensemble)
    return _combined(run, chunk_size, n_threads, progress)


def _combined(run: ChunkedRun, chunk_size: int, n_threads: int | None,
              progress: ProgressCallback | None) -> SimulationResult:
    parts = list(simulate_chunks(run, chunk_size, n_threads=n_threads, progress=progress))
    return combine_chunks(run.model, parts)


def simulate_chunks(
    run: ChunkedRun,
    chunk_size: int,
    *,
    n_threads: int | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[SimulationResult]:
    """The chunks of a run in patient order, each simulated when it is asked for.

    A run without patients gives one chunk without rows (the tables with their dtypes).
    Only the chunk being simulated is held here: a caller that writes each chunk and
    drops it needs memory for one chunk, whatever the cohort size.
    """
    check_chunk_size(chunk_size)
    n = run.n_patients
    if not n:
        yield run.simulate(0, 0, n_threads=n_threads)
        return
    for start, stop in chunk_bounds(n, chunk_size):
        part = run.simulate(start, stop, n_threads=n_threads)
        if progress is not None:
            progress(stop, n)
        yield part
        del part  # not held while the next chunk is simulated


def check_chunk_size(chunk_size: int) -> None:
    """Raise :class:`ValueError` unless ``chunk_size`` is at least 1."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")


def chunk_bounds(patients: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each chunk of ``patients`` patients, in patient order (lazily:
    no list of every chunk is made)."""
    for start in range(0, patients, chunk_size):
        yield start, min(start + chunk_size, patients)
