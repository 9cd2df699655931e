"""What the kernels take and give: a few typed structures instead of dozens of arrays.

Both kernels — the stochastic one (:func:`tumorsim.engine.kernel.simulate_patients`) and
the deterministic one (:func:`tumorsim.engine.ode.simulate_patients`) — read

* :class:`ModelArrays`: the biology of the scenario (parameters, site and clone tables,
  mechanism switches);
* :class:`Patients`: who is simulated (one row per patient of the chunk);
* :class:`tumorsim.engine.plan.CompiledPlans`: the treatment plans and exposures;
* :class:`Solver`: how (stochastic threshold, step lengths, ODE tolerances, horizon);
* :class:`Recording`: which trajectories to record, and where;

and write :class:`Outputs` in place. They are :class:`typing.NamedTuple` so numba takes
them as they are (a tuple of arrays and numbers), and a reader sees names, not positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numba as nb
import numpy as np

from tumorsim.model.anatomy import ACTIVITIES, CLONES, SITES
from tumorsim.model.laws import clone_tropism_weight, fission_level
from tumorsim.model.parameters import PARAMETER_SPECS
from tumorsim.model.scenario import Scenario

__all__ = [
    "ModelArrays",
    "clone_specific_tropism",
    "Outputs",
    "Patients",
    "Recording",
    "Solver",
    "model_arrays",
    "stack_model_arrays",
    "solver_settings",
]

# site table columns
SITE_CARRYING_CAPACITY = 0
SITE_TROPISM = 1
SITE_DORMANCY_ENTRY = 2
SITE_DETECTION = 3
SITE_FISSION = 4
SITE_DEEP_SHARE = 5
N_SITE_COLUMNS = 6

# clone table columns
CLONE_MOTILITY = 0
CLONE_GROWTH = 1
CLONE_CXCL = 2
CLONE_TAMOXIFEN_EFFECT = 3
CLONE_ER_POSITIVE = 4
CLONE_DEEP_MULTIPLIER = 5
CLONE_DORMANCY_ENTRY_MULTIPLIER = 6
CLONE_AWAKENING_MULTIPLIER = 7
CLONE_DORMANT_DEATH_MULTIPLIER = 8
CLONE_TROPISM = 9
"""First of ``N_SITES`` columns: the clone's tropism weight at each site (``CLONE_TROPISM
+ s``; 0 at the breast), normalised over the metastatic sites."""
N_CLONE_COLUMNS = CLONE_TROPISM + len(SITES)

# mechanism switches
SWITCH_METAL_ROS_PR = 0
SWITCH_CHEMO_CXCL_MYELOID = 1
SWITCH_STIFFNESS_DRP1_NRF2 = 2
SWITCH_DISSEMINATION = 3
SWITCH_SECONDARY_SEEDING = 4
SWITCH_DORMANCY = 5
SWITCH_DEATH_AFTER_RELAPSE = 6
SWITCH_METASTASIS_FREE_AT_DIAGNOSIS = 7
N_SWITCHES = 8

# environment record columns (trajectories)
ENV_MYELOID = 0
ENV_ANTIOXIDANT = 1
ENV_ROS = 2
ENV_CXCL = 3
N_ENV = 4

N_SITES = len(SITES)
N_CLONES = len(CLONES)
N_ACTIVITIES = len(ACTIVITIES)
PROLIFERATING = 0
DORMANT = 1
DEEP_DORMANT = 2

_MECHANISM_SWITCH_FIELDS = (
    "metal_ros_pr",
    "chemo_cxcl_myeloid",
    "stiffness_drp1_nrf2",
    "dissemination",
    "secondary_seeding",
    "dormancy",
    "death_after_relapse",
)


class ModelArrays(NamedTuple):
    """The biology as arrays, one row per parameter draw (one draw for a point run).

    A run over a parameter ensemble gives each patient one draw (``Patients.draw``); the
    kernels read that draw's row.

    Attributes
    ----------
    params : ndarray, shape (n_draws, n_parameters)
        Scalar parameters in :data:`tumorsim.model.parameters.PARAMETER_SPECS` order.
    site_table : ndarray, shape (n_draws, N_SITES, N_SITE_COLUMNS)
        Per site: carrying capacity (cells), tropism weight (normalised over metastatic
        sites), dormancy entry probability, detection size (cells), fission level, deep
        dormancy share.
    clone_table : ndarray, shape (n_draws, N_CLONES, N_CLONE_COLUMNS)
        Per clone: motility, growth multiplier, CXCL1/2 secretion, full tamoxifen
        effect, ER positive (1 or 0), deep dormancy multiplier, and its tropism weight
        at each site (``CLONE_TROPISM + s``, normalised over metastatic sites; equal to
        the site table's column when the clone's multipliers are all 1).
    switches : ndarray of int64, shape (N_SWITCHES,)
        Mechanism switches (``SWITCH_*``), 1 = on; the same for every draw.
    """

    params: np.ndarray
    site_table: np.ndarray
    clone_table: np.ndarray
    switches: np.ndarray


@nb.njit
def clone_specific_tropism(site_table: np.ndarray, clone_table: np.ndarray) -> bool:
    """Whether any clone's tropism weights differ from the site weights (one draw's tables).

    When they do not, the kernels take the per-site path they always took, so a scenario
    without clone multipliers gives the same numbers bit for bit.
    """
    for c in range(N_CLONES):
        for s in range(1, N_SITES):
            if clone_table[c, CLONE_TROPISM + s] != site_table[s, SITE_TROPISM]:
                return True
    return False


class Patients(NamedTuple):
    """The patients of one kernel call, one row each.

    Attributes
    ----------
    ids : ndarray of uint64, shape (n,)
        Patient ids (they key each patient's random stream).
    plan : ndarray of int64, shape (n,)
        Row of :class:`~tumorsim.engine.plan.CompiledPlans` each patient follows.
    gompertz_rate_per_day, dissemination_coefficient, cxcl_multiplier : ndarray, shape (n,)
    diagnosis_cells : ndarray, shape (n,)
        Primary size at diagnosis (cells).
    clone_fractions : ndarray, shape (n, N_CLONES)
        Clone mix of the primary at diagnosis.
    endocrine_sensitivity : ndarray, shape (n,)
        1 in endocrine-sensitive disease, the residual fraction of tamoxifen's effect in
        insensitive disease.
    growth_factor : ndarray, shape (n,)
        ``f_p``, the patient's growth factor (it scales her colonisation cap).
    deep_dormancy_factor : ndarray, shape (n,)
        ``d_p``, her multiplier of the sites' deep-dormancy shares.
    pr_negative_primary : ndarray, shape (n,)
        ``p_PR-``: 1.0 when her primary was PR- (< 10 fmol/mg), else 0.0.
    draw : ndarray of int64, shape (n,)
        Row of :class:`ModelArrays` (the parameter draw) each patient lives under.
    """

    ids: np.ndarray
    plan: np.ndarray
    gompertz_rate_per_day: np.ndarray
    dissemination_coefficient: np.ndarray
    cxcl_multiplier: np.ndarray
    diagnosis_cells: np.ndarray
    clone_fractions: np.ndarray
    endocrine_sensitivity: np.ndarray
    growth_factor: np.ndarray
    deep_dormancy_factor: np.ndarray
    pr_negative_primary: np.ndarray
    draw: np.ndarray


class Solver(NamedTuple):
    """How a run is integrated (the scenario's ``numerics``) and for how long.

    Attributes
    ----------
    stochastic_threshold_cells : float
        Compartments below it move by integer draws (stochastic mode).
    untreated_step_days, treated_step_days : float
        Step length without and with active treatment (stochastic mode).
    relative_tolerance : float
        Local error target of the deterministic integrator.
    absolute_tolerance_cells : float
        Absolute error floor of the deterministic integrator (cells).
    horizon_days : float
        Days simulated after diagnosis.
    """

    stochastic_threshold_cells: float
    untreated_step_days: float
    treated_step_days: float
    relative_tolerance: float
    absolute_tolerance_cells: float
    horizon_days: float


class Recording(NamedTuple):
    """Which patients' trajectories are recorded, and the arrays they go into.

    Attributes
    ----------
    slot : ndarray of int64, shape (n,)
        Per patient, her row among the recorded trajectories, or -1.
    every_days : float
        Days between records.
    cells : ndarray, shape (k, n_records, N_SITES, N_CLONES, N_ACTIVITIES)
    environment : ndarray, shape (k, n_records, N_SITES, N_ENV)
    times : ndarray, shape (k, n_records)
    """

    slot: np.ndarray
    every_days: float
    cells: np.ndarray
    environment: np.ndarray
    times: np.ndarray


class Outputs(NamedTuple):
    """What the kernels write, one row per patient (NaN where nothing happened).

    Attributes
    ----------
    event_time : ndarray, shape (n, N_SITES)
        Day of detection at each site (local recurrence at the breast).
    event_clone : ndarray, shape (n, N_SITES, N_CLONES)
        Clone mix at the site at detection.
    event_myeloid, event_antioxidant : ndarray, shape (n, N_SITES)
        Myeloid niche and antioxidant capacity at the site at detection.
    death_time : ndarray, shape (n,)
        Day of death after relapse (when switched on).
    diagnosis_cells, end_cells : ndarray, shape (n, N_SITES)
        Cells per site at diagnosis and at the end.
    natural_history_days : ndarray, shape (n,)
        Days from the start of the natural history to diagnosis.
    disseminated_cells : ndarray, shape (n,)
        Cells that arrived anywhere.
    natural_history_redraws : ndarray, shape (n,)
        Natural histories drawn again to meet the M0 condition.
    """

    event_time: np.ndarray
    event_clone: np.ndarray
    event_myeloid: np.ndarray
    event_antioxidant: np.ndarray
    death_time: np.ndarray
    diagnosis_cells: np.ndarray
    end_cells: np.ndarray
    natural_history_days: np.ndarray
    disseminated_cells: np.ndarray
    natural_history_redraws: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Outputs:
        """Outputs for ``n`` patients, before the kernel writes them."""
        return cls(
            event_time=np.full((n, N_SITES), np.nan),
            event_clone=np.full((n, N_SITES, N_CLONES), np.nan),
            event_myeloid=np.full((n, N_SITES), np.nan),
            event_antioxidant=np.full((n, N_SITES), np.nan),
            death_time=np.full(n, np.nan),
            diagnosis_cells=np.zeros((n, N_SITES)),
            end_cells=np.zeros((n, N_SITES)),
            natural_history_days=np.zeros(n),
            disseminated_cells=np.zeros(n),
            natural_history_redraws=np.zeros(n),
        )


def model_arrays(scenario: Scenario) -> ModelArrays:
    """Pack a scenario's resolved parameter values into kernel arrays (one draw)."""
    return stack_model_arrays([scenario])


def stack_model_arrays(scenarios: Sequence[Scenario]) -> ModelArrays:
    """Kernel arrays with one row per scenario (a parameter draw each).

    Raises
    ------
    ValueError
        The scenarios switch different mechanisms on (a draw varies values, not which
        processes exist).
    """
    rows = [_model_row(s) for s in scenarios]
    switches = rows[0][3]
    for row in rows[1:]:
        if not np.array_equal(row[3], switches):
            raise ValueError("every draw of an ensemble must switch the same mechanisms on")
    return ModelArrays(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]),
                       np.stack([r[2] for r in rows]), switches)


def _model_row(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    params = np.array([scenario.parameter(p.name) for p in PARAMETER_SPECS])
    site_table = np.zeros((N_SITES, N_SITE_COLUMNS))
    e50 = scenario.parameter("fission_half_max_stiffness_kpa")
    hill = scenario.parameter("fission_hill_power")
    for s, site in enumerate(SITES):
        stiffness = scenario.site_value(site, "stiffness_kpa")
        site_table[s, SITE_CARRYING_CAPACITY] = scenario.site_value(
            site, "carrying_capacity_cells")
        site_table[s, SITE_TROPISM] = 0.0 if s == 0 else scenario.site_value(
            site, "tropism_weight")
        site_table[s, SITE_DORMANCY_ENTRY] = scenario.site_value(
            site, "dormancy_entry_probability")
        site_table[s, SITE_DETECTION] = scenario.site_value(site, "detection_cells")
        site_table[s, SITE_FISSION] = fission_level(stiffness, e50, hill)
        site_table[s, SITE_DEEP_SHARE] = scenario.site_value(site, "deep_dormancy_share")
    site_weights = site_table[1:, SITE_TROPISM].copy()
    tropism_total = site_table[1:, SITE_TROPISM].sum()
    site_table[1:, SITE_TROPISM] /= tropism_total
    clone_table = np.zeros((N_CLONES, N_CLONE_COLUMNS))
    for c, clone in enumerate(CLONES):
        # w_d,c = w_d · m_d,c, normalised over the metastatic sites for each clone (with
        # every multiplier 1 this is the site column itself, bit for bit)
        weights = np.array([clone_tropism_weight(
            site_weights[s - 1], scenario.clone_value(clone, f"tropism_multiplier_{site}"))
            for s, site in enumerate(SITES) if s > 0])
        clone_table[c, CLONE_TROPISM + 1:CLONE_TROPISM + N_SITES] = weights / weights.sum()
    tamoxifen = (scenario.parameter("tamoxifen_effect_pr_pos"),
                 scenario.parameter("tamoxifen_effect_pr_neg"), 0.0)
    for c, clone in enumerate(CLONES):
        clone_table[c, CLONE_MOTILITY] = scenario.clone_value(clone, "motility_multiplier")
        clone_table[c, CLONE_GROWTH] = scenario.clone_value(clone, "growth_multiplier")
        clone_table[c, CLONE_CXCL] = scenario.clone_value(clone, "cxcl_secretion")
        clone_table[c, CLONE_TAMOXIFEN_EFFECT] = tamoxifen[c]
        clone_table[c, CLONE_ER_POSITIVE] = 0.0 if clone == "ERneg" else 1.0
        clone_table[c, CLONE_DEEP_MULTIPLIER] = scenario.clone_value(
            clone, "deep_dormancy_multiplier")
        clone_table[c, CLONE_DORMANCY_ENTRY_MULTIPLIER] = scenario.clone_value(
            clone, "dormancy_entry_multiplier")
        clone_table[c, CLONE_AWAKENING_MULTIPLIER] = scenario.clone_value(
            clone, "awakening_multiplier")
        clone_table[c, CLONE_DORMANT_DEATH_MULTIPLIER] = scenario.clone_value(
            clone, "dormant_death_multiplier")
    switches = np.array([int(getattr(scenario.mechanisms, f)) for f in _MECHANISM_SWITCH_FIELDS]
                        + [int(scenario.cohort.metastasis_free_at_diagnosis)], dtype=np.int64)
    return params, site_table, clone_table, switches


def solver_settings(scenario: Scenario) -> Solver:
    """The scenario's numerics and horizon as :class:`Solver`."""
    num = scenario.numerics
    return Solver(
        stochastic_threshold_cells=float(num.stochastic_threshold_cells),
        untreated_step_days=float(num.untreated_step_days),
        treated_step_days=float(num.treated_step_days),
        relative_tolerance=float(num.relative_tolerance),
        absolute_tolerance_cells=float(num.absolute_tolerance_cells),
        horizon_days=float(scenario.cohort.horizon_years * 365.25),
    )
