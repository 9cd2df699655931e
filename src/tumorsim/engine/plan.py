"""Compile treatment plans and exposures into arrays the kernel reads.

Every driver of the dynamics except the tamoxifen ramp and linear exposure segments is
constant between consecutive *boundary times* (dose days, ends of kill windows, starts and
ends of drugs, exposure breakpoints). A plan is compiled once into a table of intervals;
the kernel keeps a pointer into it, so finding the next boundary and the current drivers
costs O(1) per step. Several plans (trial arms) are stacked along a leading axis.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tumorsim.model.scenario import ExposureCourse, Scenario
from tumorsim.model.treatments import REGIMENS, phase_hazard

# columns of the interval table
DRIVER_CHEMO_HAZARD = 0
DRIVER_CHEMO_RHO = 1
DRIVER_CHEMO_ON = 2
DRIVER_CXCR2 = 3
DRIVER_DRP1 = 4
DRIVER_NRF2 = 5
DRIVER_QUENCHER = 6
DRIVER_TREATED = 7
N_DRIVERS = 8

INHIBITOR_FIELDS = ("cxcr2_inhibitor", "drp1_inhibitor", "nrf2_inhibitor", "ros_quencher")
INHIBITOR_MECHANISM = {
    "cxcr2_inhibitor": "chemo_cxcl_myeloid",
    "drp1_inhibitor": "stiffness_drp1_nrf2",
    "nrf2_inhibitor": "stiffness_drp1_nrf2",
    "ros_quencher": "metal_ros_pr",
}
"""The mechanism each targeted drug acts through; with it switched off the drug is inert."""

EXPOSURE_NONE = 0
EXPOSURE_STEPS = 1
EXPOSURE_LINEAR = 2
MAX_EXPOSURE_POINTS = 33


class CompiledPlans(NamedTuple):
    """Treatment plans and exposures as arrays, one row per plan.

    Attributes
    ----------
    boundaries : ndarray, shape (n_plans, n_boundaries)
        Sorted boundary times in days; padded with +inf.
    drivers : ndarray, shape (n_plans, n_boundaries, N_DRIVERS)
        Drivers on ``[boundaries[j], boundaries[j + 1])``; before ``boundaries[0]`` no
        treatment acts.
    surgery : ndarray of int8, shape (n_plans,)
    tamoxifen : ndarray, shape (n_plans, 3)
        start day, end day, adherence (start = +inf when no tamoxifen).
    exposure_kind : ndarray of int8, shape (n_plans, 2)
        Arsenic, lead: ``EXPOSURE_NONE``, ``EXPOSURE_STEPS`` or ``EXPOSURE_LINEAR``.
    exposure_times, exposure_levels : ndarray, shape (n_plans, 2, MAX_EXPOSURE_POINTS)
        Breakpoints (ug/L for arsenic, ug/dL for lead); ``exposure_count`` of them are used.
    exposure_count : ndarray of int64, shape (n_plans, 2)
    exposure_removal_day : ndarray, shape (n_plans,)
        +inf when exposure is never removed.
    """

    boundaries: np.ndarray
    drivers: np.ndarray
    surgery: np.ndarray
    tamoxifen: np.ndarray
    exposure_kind: np.ndarray
    exposure_times: np.ndarray
    exposure_levels: np.ndarray
    exposure_count: np.ndarray
    exposure_removal_day: np.ndarray


def _doses(scenario: Scenario) -> list[tuple[float, float, float]]:
    chemo = scenario.treatment.chemotherapy
    if chemo is None:
        return []
    doses = []
    day = chemo.start_day
    for phase in REGIMENS[chemo.regimen].phases:
        hazard, rho = phase_hazard(phase)
        cycles = chemo.cycles if chemo.cycles is not None else phase.cycles
        interval = chemo.interval_days if chemo.interval_days is not None else phase.interval_days
        for _ in range(cycles):
            doses.append((day, hazard, rho))
            day += interval
    return doses


def _exposure_arrays(course: ExposureCourse | None) -> tuple[int, list[float], list[float]]:
    if course is None:
        return EXPOSURE_NONE, [], []
    if course.kind == "constant":
        return EXPOSURE_STEPS, [-np.inf], [float(course.level or 0.0)]
    kind = EXPOSURE_STEPS if course.kind == "steps" else EXPOSURE_LINEAR
    return kind, list(course.times_days), list(course.levels)


def compile_plans(scenarios: list[Scenario]) -> CompiledPlans:
    """Compile the treatment plan and exposures of each scenario (one per arm).

    Parameters
    ----------
    scenarios : list of Scenario
        One scenario per plan; only ``treatment``, ``exposures`` and the treatment
        parameters (kill window, chemotherapy signal window) are read.

    Returns
    -------
    CompiledPlans
    """
    tables = []
    for s in scenarios:
        kill_days = s.parameter("chemo_kill_days")
        window = s.parameter("chemo_signal_window_days")
        ramp = s.parameter("tamoxifen_ramp_days")
        doses = _doses(s)
        times: set[float] = {0.0}
        for day, _, _ in doses:
            times.update((day, day + kill_days, day + window))
        inhib = []
        for name in INHIBITOR_FIELDS:
            spec = getattr(s.treatment, name)
            if spec is None or not getattr(s.mechanisms, INHIBITOR_MECHANISM[name]):
                # an inert drug adds no boundary, so it cannot shift the time steps
                inhib.append((np.inf, np.inf, 0.0))
            else:
                inhib.append((spec.start_day, spec.start_day + spec.duration_days,
                              spec.inhibition))
                times.update(inhib[-1][:2])
        tam = s.treatment.tamoxifen
        if tam is not None:
            tam_row = (tam.start_day, tam.start_day + tam.duration_days, tam.adherence)
            times.update((tam_row[0], tam_row[0] + 3.0 * ramp, tam_row[1],
                          tam_row[1] + 3.0 * ramp))
        else:
            tam_row = (np.inf, np.inf, 0.0)
        removal = s.treatment.exposure_removal
        removal_day = removal.day if removal is not None else np.inf
        if removal is not None:
            times.add(removal_day)
        exposures = [_exposure_arrays(s.exposures.arsenic), _exposure_arrays(s.exposures.lead)]
        for kind, ts, _ in exposures:
            if kind == EXPOSURE_STEPS:
                times.update(t for t in ts if np.isfinite(t))
        bounds = np.array(sorted(t for t in times if np.isfinite(t)))
        drivers = np.zeros((bounds.size, N_DRIVERS))
        for j, start in enumerate(bounds):
            stop = bounds[j + 1] if j + 1 < bounds.size else start + 1.0
            mid = 0.5 * (start + stop)
            hazard = 0.0
            weighted_rho = 0.0
            for day, h, rho in doses:
                if day <= mid < day + kill_days:
                    hazard += h
                    weighted_rho += h * rho
                if day <= mid < day + window:
                    drivers[j, DRIVER_CHEMO_ON] = 1.0
            drivers[j, DRIVER_CHEMO_HAZARD] = hazard
            drivers[j, DRIVER_CHEMO_RHO] = weighted_rho / hazard if hazard > 0 else 0.0
            for k, (a, b, level) in enumerate(inhib):
                if a <= mid < b:
                    drivers[j, DRIVER_CXCR2 + k] = level
            # 1-day steps while a treatment's effect changes quickly: chemotherapy kill and
            # signal windows, and the tamoxifen ramp-up and wash-out. Steady treatment uses
            # the long step: the small-count step is exact for constant rates.
            treated = hazard > 0 or drivers[j, DRIVER_CHEMO_ON] > 0
            if tam is not None and (
                tam_row[0] <= mid < tam_row[0] + 3.0 * ramp
                or tam_row[1] <= mid < tam_row[1] + 3.0 * ramp
            ):
                treated = True
            drivers[j, DRIVER_TREATED] = float(treated)
        tables.append((bounds, drivers, s.treatment.surgery, tam_row, exposures, removal_day))

    n_plans = len(tables)
    width = max(t[0].size for t in tables)
    boundaries = np.full((n_plans, width), np.inf)
    drivers = np.zeros((n_plans, width, N_DRIVERS))
    surgery = np.zeros(n_plans, dtype=np.int8)
    tamoxifen = np.zeros((n_plans, 3))
    e_kind = np.zeros((n_plans, 2), dtype=np.int8)
    e_times = np.full((n_plans, 2, MAX_EXPOSURE_POINTS), np.inf)
    e_levels = np.zeros((n_plans, 2, MAX_EXPOSURE_POINTS))
    e_count = np.zeros((n_plans, 2), dtype=np.int64)
    removal_days = np.full(n_plans, np.inf)
    for p, (bounds, drv, surg, tam_row, exposures, removal_day) in enumerate(tables):
        boundaries[p, : bounds.size] = bounds
        drivers[p, : bounds.size] = drv
        surgery[p] = int(surg)
        tamoxifen[p] = tam_row
        removal_days[p] = removal_day
        for m, (kind, ts, levels) in enumerate(exposures):
            e_kind[p, m] = kind
            e_count[p, m] = len(ts)
            e_times[p, m, : len(ts)] = ts
            e_levels[p, m, : len(levels)] = levels
    return CompiledPlans(boundaries, drivers, surgery, tamoxifen, e_kind, e_times, e_levels,
                         e_count, removal_days)
