"""Deterministic mode: the model's expected values as an ODE system, integrated accurately.

With ``numerics.mode = "deterministic"`` every flow of the model is its expected rate,
and a patient is the ODE system

    dn[s, c, a]/dt = own rate * n[s, c, a] + inflows (awakening, PR switching, arrivals)
    dM[s]/dt       = k_M X/(X_50 + X) (1 - I_CXCR2) - d_M M[s]
    dm/dt          = (exposure(t) - m) / tau_m

(:func:`derivatives`, every rate from a law of :mod:`tumorsim.model.laws` compiled in
:mod:`tumorsim.engine.rates`), with the primary before diagnosis on its capped Gompertz
path, the diagnosis, surgery and every change of treatment as events between which the
right-hand side is smooth, and detection as the first time a site's cells reach
``detection_cells``. The same system is written as SBML by :mod:`tumorsim.export.sbml`,
so any SBML tool (libRoadRunner, COPASI) solves the same model.

How it is solved fast (the structure of this model, not a generic solver):

* **Exponential growth is integrated exactly.** Cell counts grow or shrink by orders of
  magnitude while their per-cell rates change slowly (a Gompertz rate changes on the
  time scale of years). The integrator is an exponential Runge-Kutta method (ETDRK4,
  Cox & Matthews 2002): each step freezes each compartment's own per-cell rate at the
  step start, takes that exponential exactly, and integrates only what is left (inflows
  and the drift of the rates) by fourth-order quadrature. Its error therefore depends on
  how fast the rates and inflows change, not on how fast cells grow, so steps of days to
  months are accurate to ``numerics.relative_tolerance``.
* **Four right-hand sides per step.** The error estimate needs no extra stages: the
  derivative at the end of an accepted step is needed anyway (it starts the next step),
  and putting the forcing there in place of the last stage's in the quadrature gives a
  second solution; the difference (of order ``h**4``) is the error estimate.
* **Long untreated stretches are one smooth piece.** Steps adapt to the local error;
  they are cut only at the boundaries of the compiled plan (dose days, kill windows,
  starts and ends of drugs, exposure steps), where the drivers jump.
* **Relapse times are located, not rounded to a step.** A site's log cell count is
  interpolated inside the step (cubic Hermite with the derivatives at both ends) and the
  crossing of the detection threshold is found by bisection.

The conditioning on no detectable metastasis at diagnosis
(``cohort.metastasis_free_at_diagnosis``) redraws random natural histories; expected
values have only one, so it is not applied here (``natural_history_redraws`` is 0).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from tumorsim.engine import rates as R
from tumorsim.engine.courses import days_to_size, exposure_level, primary_path_cells
from tumorsim.engine.kernel import DAYS_PER_MONTH
from tumorsim.engine.plan import (
    DRIVER_CHEMO_HAZARD,
    DRIVER_CHEMO_ON,
    DRIVER_CHEMO_RHO,
    DRIVER_CXCR2,
    DRIVER_DRP1,
    DRIVER_NRF2,
    DRIVER_QUENCHER,
    N_DRIVERS,
)
from tumorsim.engine.structures import (
    CLONE_AWAKENING_MULTIPLIER,
    CLONE_CXCL,
    CLONE_DEEP_MULTIPLIER,
    CLONE_DORMANCY_ENTRY_MULTIPLIER,
    CLONE_DORMANT_DEATH_MULTIPLIER,
    CLONE_ER_POSITIVE,
    CLONE_GROWTH,
    CLONE_MOTILITY,
    CLONE_TAMOXIFEN_EFFECT,
    CLONE_TROPISM,
    DEEP_DORMANT,
    DORMANT,
    ENV_ANTIOXIDANT,
    ENV_CXCL,
    ENV_MYELOID,
    ENV_ROS,
    N_ACTIVITIES,
    N_CLONES,
    N_ENV,
    N_SITES,
    SITE_CARRYING_CAPACITY,
    SITE_DEEP_SHARE,
    SITE_DETECTION,
    SITE_DORMANCY_ENTRY,
    SITE_FISSION,
    SITE_TROPISM,
    SWITCH_CHEMO_CXCL_MYELOID,
    SWITCH_DEATH_AFTER_RELAPSE,
    SWITCH_DISSEMINATION,
    SWITCH_DORMANCY,
    SWITCH_METAL_ROS_PR,
    SWITCH_SECONDARY_SEEDING,
    SWITCH_STIFFNESS_DRP1_NRF2,
    clone_specific_tropism,
)
from tumorsim.model.parameters import PARAMETER_INDEX as _P

# parameters the integrator reads itself (everything else is read by the laws)
_GMAX = _P["max_growth_rate_per_day"]
_NSTART = _P["natural_history_start_cells"]
_RRES = _P["residual_fraction_after_surgery"]
_OS_ERPOS = _P["survival_after_relapse_er_pos_months"]
_OS_ERNEG = _P["survival_after_relapse_er_neg_months"]

# --- state vector -------------------------------------------------------------------------------
N_CELL_STATES = N_SITES * N_CLONES * N_ACTIVITIES
"""Cells ``n[s, c, a]`` sit at ``(s * N_CLONES + c) * N_ACTIVITIES + a`` (a = 0
proliferating, 1 dormant, 2 deep dormant)."""
IDX_MYELOID = N_CELL_STATES
"""Myeloid niche ``M[s]`` at ``IDX_MYELOID + s``."""
IDX_METAL = IDX_MYELOID + N_SITES
"""Internal arsenic and lead dose at ``IDX_METAL`` and ``IDX_METAL + 1``."""
IDX_ARRIVED = IDX_METAL + 2
"""Cumulative disseminated cells (expected number that arrived anywhere)."""
N_STATES = IDX_ARRIVED + 1

# patient vector (one row per patient, built by the caller of the integrator)
PAT_GOMPERTZ = 0
PAT_DISSEMINATION = 1
PAT_CXCL = 2
PAT_DIAGNOSIS_CELLS = 3
PAT_START_CELLS = 4
PAT_PRIMARY_RATE = 5
PAT_PRE_DAYS = 6
PAT_ENDOCRINE = 7
PAT_GROWTH_FACTOR = 8
PAT_DEEP_FACTOR = 9
PAT_PR_NEGATIVE_PRIMARY = 10
PAT_CLONE0 = 11
PAT_DRAW = PAT_CLONE0 + N_CLONES
"""The patient's parameter draw (row of the model arrays), stored as a float."""
N_PAT = PAT_DRAW + 1

MAX_STEP_DAYS = 365.25
"""Longest step the integrator takes, whatever the error estimate says."""
MAX_STEPS_PER_PATIENT = 1_000_000
ERROR_EXPONENT = 0.25
"""Step-size control: the error estimate scales as ``h**4`` (module docstring)."""


@nb.njit(cache=True)
def derivatives(t, y, dydt, rates, pre, drivers, pat, model, plans, plan, env):
    """Right-hand side of the deterministic model at time ``t`` (days from diagnosis).

    Parameters
    ----------
    t : float
    y : ndarray, shape (N_STATES,)
    dydt : ndarray, shape (N_STATES,)
        Written: the time derivative.
    rates : ndarray, shape (N_STATES,)
        Written: each state's own per-day rate (the diagonal the integrator takes
        exactly): growth minus kill and switching out for cells, ``-d_M`` for the
        niche, ``-1/tau_m`` for the metal doses.
    pre : bool
        Before diagnosis: the primary follows its prescribed path (its entries of ``y``
        are not used) and no treatment acts.
    drivers : ndarray, shape (N_DRIVERS,)
        Treatment drivers of the current plan interval.
    pat : ndarray, shape (N_PAT,)
        The patient (``PAT_*`` columns).
    model : ModelArrays
    plans : CompiledPlans
    plan : int
        The patient's plan (row of ``plans``).
    env : ndarray, shape (N_SITES, N_ENV)
        Written: myeloid niche, antioxidant capacity, ROS index and CXCL1/2 signal per site.
    """
    draw = int(pat[PAT_DRAW])
    params, site_table, clone_table, switches = (model.params[draw], model.site_table[draw],
                                                 model.clone_table[draw], model.switches)
    m1 = switches[SWITCH_METAL_ROS_PR] != 0
    m2 = switches[SWITCH_CHEMO_CXCL_MYELOID] != 0
    m3 = switches[SWITCH_STIFFNESS_DRP1_NRF2] != 0
    spread = switches[SWITCH_DISSEMINATION] != 0
    secondary = switches[SWITCH_SECONDARY_SEEDING] != 0
    dormancy = switches[SWITCH_DORMANCY] != 0
    by_clone = clone_specific_tropism(site_table, clone_table)
    gmax = params[_GMAX]
    for k in range(N_STATES):
        dydt[k] = 0.0
        rates[k] = 0.0

    chemo_hazard = 0.0 if pre else drivers[DRIVER_CHEMO_HAZARD]
    chemo_rho = drivers[DRIVER_CHEMO_RHO]
    chemo_on = 0.0 if pre else drivers[DRIVER_CHEMO_ON]
    i_cxcr2 = drivers[DRIVER_CXCR2] if m2 else 0.0
    i_drp1 = drivers[DRIVER_DRP1] if m3 else 0.0
    i_nrf2 = drivers[DRIVER_NRF2] if m3 else 0.0
    quencher = drivers[DRIVER_QUENCHER] if m1 else 0.0
    tam = plans.tamoxifen[plan]
    tam_level = R.tamoxifen_level(params, t, tam[0], tam[1], tam[2])

    # internal metal dose; its own rate is the law's per unit of dose
    own_dose_rate = R.internal_dose_rate(params, 0.0, 1.0)
    for m in range(2):
        e = exposure_level(t, plans.exposure_kind[plan, m], plans.exposure_times[plan, m],
                           plans.exposure_levels[plan, m], plans.exposure_count[plan, m],
                           plans.exposure_removal_day[plan])
        dydt[IDX_METAL + m] = R.internal_dose_rate(params, e, y[IDX_METAL + m])
        rates[IDX_METAL + m] = own_dose_rate
    arsenic = y[IDX_METAL]
    lead = y[IDX_METAL + 1]

    # primary before diagnosis: its prescribed (capped Gompertz) path
    prim = 0.0
    if pre:
        prim = primary_path_cells(t + pat[PAT_PRE_DAYS], pat[PAT_START_CELLS],
                                  pat[PAT_PRIMARY_RATE], gmax,
                                  site_table[0, SITE_CARRYING_CAPACITY])

    own_niche_rate = R.myeloid_niche_rate(params, 0.0, 1.0)
    for s in range(N_SITES):
        base = s * N_CLONES * N_ACTIVITIES
        size = 0.0
        if pre and s == 0:
            size = prim
        else:
            for k in range(N_CLONES * N_ACTIVITIES):
                size += y[base + k]
        # --- environment
        antiox = (R.antioxidant_capacity(params, site_table[s, SITE_FISSION], i_drp1, i_nrf2)
                  if m3 else 0.0)
        ros = 1.0
        if m1:
            ros = R.ros_index(params, arsenic, lead, chemo_on, antiox, quencher)
        cxcl = 0.0
        myeloid = y[IDX_MYELOID + s]
        source = 0.0
        if m2 and size > 0.0:
            secretion = 0.0
            for c in range(N_CLONES):
                if pre and s == 0:
                    secretion += clone_table[c, CLONE_CXCL] * pat[PAT_CLONE0 + c]
                else:
                    ic = base + N_ACTIVITIES * c
                    secretion += clone_table[c, CLONE_CXCL] * (y[ic] + y[ic + 1] + y[ic + 2])
            if not (pre and s == 0):
                secretion /= size
            cxcl = R.cxcl_signal(params, pat[PAT_CXCL], secretion, size, chemo_on)
            source = R.myeloid_recruitment(params, cxcl, i_cxcr2)
        dydt[IDX_MYELOID + s] = R.myeloid_niche_rate(params, source, myeloid)
        rates[IDX_MYELOID + s] = own_niche_rate
        env[s, ENV_MYELOID] = myeloid
        env[s, ENV_ANTIOXIDANT] = antiox
        env[s, ENV_ROS] = ros
        env[s, ENV_CXCL] = cxcl
        if pre and s == 0:
            continue

        # --- cells
        g_site = R.site_gompertz_rate(params, pat[PAT_GOMPERTZ], s > 0)
        cap = R.growth_cap(params, size, s > 0, pat[PAT_GROWTH_FACTOR])
        g_eff = R.capped_gompertz_rate(params, size, site_table[s, SITE_CARRYING_CAPACITY],
                                       g_site, cap)
        protect_m = R.myeloid_protection(params, myeloid) if m2 else 1.0
        protect_a = R.antioxidant_protection(params, antiox, chemo_rho) if m3 else 1.0
        # with M1 off ROS does not act on PR (the law at R = 0 leaves its baseline term)
        loss = R.pr_loss_hazard(params, ros if m1 else 0.0)
        regain = R.pr_regain_hazard(params, quencher)
        for c in range(N_CLONES):
            ip = base + N_ACTIVITIES * c
            idm = ip + DORMANT
            ideep = ip + DEEP_DORMANT
            switch_out = loss if c == 0 else (regain if c == 1 else 0.0)
            g_c = R.clone_growth_rate(params, g_eff, clone_table[c, CLONE_GROWTH])
            e_tam = R.tamoxifen_effect(params, R.patient_clone_tamoxifen_effect(
                params, clone_table[c, CLONE_TAMOXIFEN_EFFECT], clone_table[c, CLONE_ER_POSITIVE],
                pat[PAT_PR_NEGATIVE_PRIMARY]), tam_level, pat[PAT_ENDOCRINE])
            kill = R.proliferating_kill_rate(params, e_tam, chemo_hazard, g_c, protect_m,
                                             protect_a)
            rates[ip] = R.proliferation_rate(params, g_c, e_tam) - kill - switch_out
            wake = R.awakening_rate(params, e_tam, i_drp1, i_nrf2,
                                    clone_table[c, CLONE_AWAKENING_MULTIPLIER])
            die = R.dormant_death_rate(params, antiox, e_tam, chemo_hazard, protect_a,
                                       clone_table[c, CLONE_DORMANT_DEATH_MULTIPLIER])
            rates[idm] = -(wake + die) - switch_out
            wake_deep = R.deep_awakening_rate(params, i_drp1, i_nrf2)
            die_deep = R.deep_dormant_death_rate(params, antiox, e_tam, chemo_hazard,
                                                 protect_a)
            rates[ideep] = -(wake_deep + die_deep) - switch_out
            dydt[ip] += rates[ip] * y[ip] + wake * y[idm] + wake_deep * y[ideep]
            dydt[idm] += rates[idm] * y[idm]
            dydt[ideep] += rates[ideep] * y[ideep]
        # PR loss (ER+/PR+ -> ER+/PR-) and regain, in every activity
        for a in range(N_ACTIVITIES):
            dydt[base + N_ACTIVITIES + a] += loss * y[base + a]
            dydt[base + a] += regain * y[base + N_ACTIVITIES + a]

    # --- dissemination
    if spread:
        for src in range(N_SITES):
            if src > 0 and not secondary:
                continue
            base = src * N_CLONES * N_ACTIVITIES
            n_p = 0.0
            motile = 0.0
            for c in range(N_CLONES):
                cells = (prim * pat[PAT_CLONE0 + c] if (pre and src == 0)
                         else y[base + N_ACTIVITIES * c])
                n_p += cells
                motile += cells * clone_table[c, CLONE_MOTILITY]
            if n_p <= 0.0 or motile <= 0.0:
                continue
            dest_total = 0.0
            if by_clone:
                # the motility-weighted mean over the clones of each clone's summed weight
                for c in range(N_CLONES):
                    cells = (prim * pat[PAT_CLONE0 + c] if (pre and src == 0)
                             else y[base + N_ACTIVITIES * c])
                    w_c = 0.0
                    for d in range(1, N_SITES):
                        if d != src:
                            w_c += _destination_weight(params, site_table, clone_table, y, d,
                                                       c, m2, by_clone)
                    dest_total += cells * clone_table[c, CLONE_MOTILITY] / motile * w_c
            else:
                for d in range(1, N_SITES):
                    if d != src:
                        dest_total += _destination_weight(params, site_table, clone_table, y,
                                                          d, 0, m2, by_clone)
            if dest_total <= 0.0:
                continue
            boost = R.colonisation_boost(params, y[IDX_MYELOID + src]) if m2 else 1.0
            rate = R.dissemination_rate(params, pat[PAT_DISSEMINATION], n_p, motile / n_p,
                                        boost, dest_total)
            dydt[IDX_ARRIVED] += rate
            for c in range(N_CLONES):
                cells = (prim * pat[PAT_CLONE0 + c] if (pre and src == 0)
                         else y[base + N_ACTIVITIES * c])
                share_c = cells * clone_table[c, CLONE_MOTILITY] / motile
                if share_c <= 0.0:
                    continue
                for d in range(1, N_SITES):
                    if d == src:
                        continue
                    w = _destination_weight(params, site_table, clone_table, y, d, c, m2,
                                            by_clone)
                    x = rate * share_c * w / dest_total
                    q = (R.dormancy_entry_fraction(
                        params, site_table[d, SITE_DORMANCY_ENTRY],
                        clone_table[c, CLONE_DORMANCY_ENTRY_MULTIPLIER])
                        if dormancy else 0.0)
                    deep = R.deep_dormancy_fraction(params, site_table[d, SITE_DEEP_SHARE],
                                                    clone_table[c, CLONE_DEEP_MULTIPLIER],
                                                    pat[PAT_DEEP_FACTOR])
                    ib = (d * N_CLONES + c) * N_ACTIVITIES
                    dydt[ib] += x * (1.0 - q)
                    dydt[ib + DORMANT] += x * (q * (1.0 - deep))
                    dydt[ib + DEEP_DORMANT] += x * (q * deep)


@nb.njit(inline="always")
def _destination_weight(params, site_table, clone_table, y, d, c, m2, by_clone):
    """Tropism weight of destination ``d`` (clone ``c``'s own when the tropism differs by
    clone), raised by its myeloid niche when M2 is on."""
    w = clone_table[c, CLONE_TROPISM + d] if by_clone else site_table[d, SITE_TROPISM]
    if m2:
        w = R.destination_weight(params, w, R.colonisation_boost(params, y[IDX_MYELOID + d]))
    return w


@nb.njit(inline="always")
def _site_total(v, s):
    """Sum over site ``s``'s six cell compartments of a state (or derivative) vector."""
    tot = 0.0
    base = s * N_CLONES * N_ACTIVITIES
    for k in range(N_CLONES * N_ACTIVITIES):
        tot += v[base + k]
    return tot


@nb.njit
def _crossing(t0, h, n0, n1, f0, f1, level):
    """Time in ``[t0, t0 + h]`` at which a site's cells reach ``level``.

    ``log n`` is interpolated by the cubic Hermite polynomial with the derivatives
    ``f/n`` at both ends, and its crossing of ``log level`` found by bisection.
    """
    if n0 <= 0.0 or n1 <= 0.0:
        return t0 + h * (level - n0) / (n1 - n0)
    p0 = math.log(n0)
    p1 = math.log(n1)
    m0 = h * f0 / n0
    m1 = h * f1 / n1
    target = math.log(level)
    lo = 0.0
    hi = 1.0
    for _ in range(50):
        s = 0.5 * (lo + hi)
        s2 = s * s
        s3 = s2 * s
        p = ((2.0 * s3 - 3.0 * s2 + 1.0) * p0 + (s3 - 2.0 * s2 + s) * m0
             + (-2.0 * s3 + 3.0 * s2) * p1 + (s3 - s2) * m1)
        if p < target:
            lo = s
        else:
            hi = s
    return t0 + h * 0.5 * (lo + hi)


@nb.njit
def _hermite(y0, f0, y1, f1, h, s, out):
    """The state at fraction ``s`` of a step of ``h`` days, by cubic Hermite interpolation.

    Positive compartments are interpolated in ``log`` (with derivatives ``f / y``), so
    exponential growth over a long step is followed closely; others linearly.
    """
    s2 = s * s
    s3 = s2 * s
    a = 2.0 * s3 - 3.0 * s2 + 1.0
    b = (s3 - 2.0 * s2 + s) * h
    c = -2.0 * s3 + 3.0 * s2
    d = (s3 - s2) * h
    for k in range(y0.shape[0]):
        if y0[k] > 0.0 and y1[k] > 0.0:
            out[k] = math.exp(a * math.log(y0[k]) + b * f0[k] / y0[k]
                              + c * math.log(y1[k]) + d * f1[k] / y1[k])
        else:
            out[k] = max(a * y0[k] + b * f0[k] + c * y1[k] + d * f1[k], 0.0)


@nb.njit
def _record_state(slot, k, t, y, env, recording):
    recording.times[slot, k] = t
    for s in range(N_SITES):
        for c in range(N_CLONES):
            for a in range(N_ACTIVITIES):
                recording.cells[slot, k, s, c, a] = y[(s * N_CLONES + c) * N_ACTIVITIES + a]
        for j in range(env.shape[1]):
            recording.environment[slot, k, s, j] = env[s, j]


@nb.njit
def _death_day(when, y, s, params, clone_table):
    er_pos = 0.0
    tot = 0.0
    for c in range(N_CLONES):
        ic = (s * N_CLONES + c) * N_ACTIVITIES
        x = y[ic] + y[ic + 1] + y[ic + 2]
        tot += x
        er_pos += x * clone_table[c, CLONE_ER_POSITIVE]
    median_months = params[_OS_ERPOS] if er_pos >= 0.5 * tot else params[_OS_ERNEG]
    return when + median_months * DAYS_PER_MONTH


_PHI3_TAYLOR = np.array([1.0 / math.factorial(j + 3) for j in range(14)])
"""Coefficients of ``phi_3(z) = sum_j z^j / (j + 3)!``, enough for ``|z| < 0.5``."""


@nb.njit(inline="always")
def _phi(z):
    """``exp(z)`` and the functions phi_1, phi_2, phi_3 of exponential integrators.

    ``phi_k(z) = sum_j z^j / (j + k)!`` and ``phi_k = 1/k! + z phi_{k+1}``. For small
    ``|z|`` (where the closed forms cancel) phi_3 is its Taylor polynomial and the others
    follow upwards; otherwise the recurrence ``phi_{k+1} = (phi_k - 1/k!) / z`` from
    ``exp(z)`` downwards.
    """
    if abs(z) < 0.5:
        p3 = _PHI3_TAYLOR[13]
        for j in range(12, -1, -1):
            p3 = p3 * z + _PHI3_TAYLOR[j]
        p2 = 0.5 + z * p3
        p1 = 1.0 + z * p2
        return 1.0 + z * p1, p1, p2, p3
    e = math.exp(z)
    p1 = (e - 1.0) / z
    p2 = (p1 - 1.0) / z
    p3 = (p2 - 0.5) / z
    return e, p1, p2, p3


@nb.njit
def _etd_coefficients(lam, h, co):
    """Per-state coefficients of an ETDRK4 step of ``h`` days with rates ``lam``.

    Rows: ``exp(lam h/2)``, ``h/2 phi_1(lam h/2)``, ``exp(lam h)`` and the weights of
    ``N(u)``, ``N(a) + N(b)`` and ``N(c)`` (Kassam & Trefethen 2005, eq. 2.5).
    """
    for k in range(lam.shape[0]):
        e2, q1, _, _ = _phi(0.5 * h * lam[k])
        e, p1, p2, p3 = _phi(h * lam[k])
        co[0, k] = e2
        co[1, k] = 0.5 * h * q1
        co[2, k] = e
        co[3, k] = h * (p1 - 3.0 * p2 + 4.0 * p3)
        co[4, k] = 2.0 * h * (p2 - 2.0 * p3)
        co[5, k] = h * (4.0 * p3 - p2)


@nb.njit
def _etd_step(t, u, fu, lam, h, co, out, work, pre, drivers, pat, model, plans, plan, env):
    """One exponential Runge-Kutta step (Cox & Matthews 2002, ETDRK4) of ``h`` days.

    Each state's own rate ``lam`` (frozen at ``t``) is integrated exactly, with the
    forcing ``N = f - lam u`` by fourth-order quadrature; exact whenever the rates are
    constant and the forcing polynomial of degree three. ``co`` holds
    :func:`_etd_coefficients` for ``lam`` and ``h``. The last stage's forcing ``N(c)`` is
    left in ``work[8]`` for the error estimate.
    """
    n = u.shape[0]
    nu = work[0]
    a = work[1]
    na = work[2]
    b = work[3]
    nb_ = work[4]
    c = work[5]
    fs = work[6]
    rs = work[7]
    for k in range(n):
        nu[k] = fu[k] - lam[k] * u[k]
        a[k] = max(co[0, k] * u[k] + co[1, k] * nu[k], 0.0)
    derivatives(t + 0.5 * h, a, fs, rs, pre, drivers, pat, model, plans, plan, env)
    for k in range(n):
        na[k] = fs[k] - lam[k] * a[k]
        b[k] = max(co[0, k] * u[k] + co[1, k] * na[k], 0.0)
    derivatives(t + 0.5 * h, b, fs, rs, pre, drivers, pat, model, plans, plan, env)
    for k in range(n):
        nb_[k] = fs[k] - lam[k] * b[k]
        c[k] = max(co[0, k] * a[k] + co[1, k] * (2.0 * nb_[k] - nu[k]), 0.0)
    derivatives(t + h, c, fs, rs, pre, drivers, pat, model, plans, plan, env)
    for k in range(n):
        nc = fs[k] - lam[k] * c[k]
        work[8, k] = nc
        out[k] = max(co[2, k] * u[k] + co[3, k] * nu[k] + co[4, k] * (na[k] + nb_[k])
                     + co[5, k] * nc, 0.0)


@nb.njit
def _simulate_one(i, plan, pat, model, solver, plans, recording, out):
    draw = int(pat[PAT_DRAW])
    params, site_table, clone_table, switches = (model.params[draw], model.site_table[draw],
                                                 model.clone_table[draw], model.switches)
    rtol = solver.relative_tolerance
    atol = solver.absolute_tolerance_cells
    horizon = solver.horizon_days
    bnd, drv, surgery = plans.boundaries, plans.drivers, plans.surgery
    traj_slot = recording.slot[i]
    record_every = recording.every_days
    mortal = switches[SWITCH_DEATH_AFTER_RELAPSE] != 0
    n_cols = N_STATES
    y = np.zeros(n_cols)
    y1 = np.zeros(n_cols)
    f0 = np.zeros(n_cols)
    lam = np.zeros(n_cols)
    lam_next = np.zeros(n_cols)
    f_new = np.zeros(n_cols)
    ytmp = np.zeros(n_cols)
    ftmp = np.zeros(n_cols)
    rtmp = np.zeros(n_cols)
    work = np.zeros((9, n_cols))
    co = np.zeros((6, n_cols))
    env = np.zeros((N_SITES, N_ENV))
    no_drivers = np.zeros(N_DRIVERS)

    t_pre = pat[PAT_PRE_DAYS]
    out.natural_history_days[i] = t_pre
    t = -t_pre
    for m in range(2):
        y[IDX_METAL + m] = exposure_level(
            t, plans.exposure_kind[plan, m], plans.exposure_times[plan, m],
            plans.exposure_levels[plan, m], plans.exposure_count[plan, m],
            plans.exposure_removal_day[plan])
    width = bnd.shape[1]
    jb = -1
    pre = True
    dead_at = np.inf
    record_k = 0
    n_records = recording.times.shape[1]
    h_next = 1.0
    first_s = 0 if surgery[plan] != 0 else 1
    steps = 0

    while True:
        if pre and t >= 0.0:
            # --- diagnosis and surgery
            pre = False
            t = 0.0
            for c in range(N_CLONES):
                y[c * N_ACTIVITIES] = pat[PAT_DIAGNOSIS_CELLS] * pat[PAT_CLONE0 + c]
                y[c * N_ACTIVITIES + DORMANT] = 0.0
                y[c * N_ACTIVITIES + DEEP_DORMANT] = 0.0
            for s in range(N_SITES):
                out.diagnosis_cells[i, s] = _site_total(y, s)
            if surgery[plan] != 0:
                for c in range(N_CLONES):
                    y[c * N_ACTIVITIES] *= params[_RRES]
            for s in range(1, N_SITES):
                if out.diagnosis_cells[i, s] >= site_table[s, SITE_DETECTION]:
                    _event(i, s, 0.0, y, env, out)
                    if mortal and not math.isfinite(dead_at):
                        dead_at = _death_day(0.0, y, s, params, clone_table)
        if not pre and (t >= horizon or t >= dead_at):
            break
        while jb + 1 < width and bnd[plan, jb + 1] <= t:
            jb += 1
        drivers = drv[plan, jb] if jb >= 0 else no_drivers
        seg_end = bnd[plan, jb + 1] if jb + 1 < width else np.inf
        if pre:
            seg_end = min(seg_end, 0.0)
        else:
            seg_end = min(seg_end, horizon, dead_at)

        # first derivative and frozen rates at the segment start
        derivatives(t, y, f0, lam, pre, drivers, pat, model, plans, plan, env)
        if not pre and traj_slot >= 0:
            while record_k < n_records and record_k * record_every <= t + 1e-9:
                _record_state(traj_slot, record_k, record_k * record_every, y, env, recording)
                record_k += 1
        while t < seg_end - 1e-9:
            steps += 1
            if steps > MAX_STEPS_PER_PATIENT:
                raise RuntimeError("deterministic integrator: too many steps")
            h = min(h_next, MAX_STEP_DAYS)
            last = False
            if t + 1.01 * h >= seg_end:
                h = seg_end - t
                last = True
            # one exponential RK4 step; its error estimate compares the quadrature with
            # the end-of-step forcing N(y1) against the one with the stage's N(c)
            _etd_coefficients(lam, h, co)
            _etd_step(t, y, f0, lam, h, co, y1, work, pre, drivers, pat, model, plans, plan, env)
            derivatives(t + h, y1, f_new, lam_next, pre, drivers, pat, model, plans, plan, env)
            nc = work[8]
            err = 0.0
            for k in range(n_cols):
                e = co[5, k] * (f_new[k] - lam[k] * y1[k] - nc[k])
                sc = atol + rtol * max(abs(y[k]), abs(y1[k]))
                r = e / sc
                err += r * r
            err = math.sqrt(err / n_cols)
            if err > 1.0:
                h_next = h * max(0.2, 0.9 * err ** -ERROR_EXPONENT)
                continue
            t1 = seg_end if last else t + h
            # --- detection (2.8) and trajectories inside the accepted step
            if not pre:
                for s in range(first_s, N_SITES):
                    if not math.isnan(out.event_time[i, s]):
                        continue
                    level = site_table[s, SITE_DETECTION]
                    n1 = _site_total(y1, s)
                    if n1 < level:
                        continue
                    n0 = _site_total(y, s)
                    when = t
                    if n0 < level:
                        when = _crossing(t, t1 - t, n0, n1, _site_total(f0, s),
                                         _site_total(f_new, s), level)
                    if when >= dead_at:
                        continue
                    _hermite(y, f0, y1, f_new, t1 - t, (when - t) / (t1 - t), ytmp)
                    derivatives(when, ytmp, ftmp, rtmp, pre, drivers, pat, model, plans, plan, env)
                    _event(i, s, when, ytmp, env, out)
                    if s > 0 and mortal and not math.isfinite(dead_at):
                        dead_at = _death_day(when, ytmp, s, params, clone_table)
                        seg_end = min(seg_end, dead_at)
                if traj_slot >= 0:
                    while record_k < n_records and record_k * record_every <= t1 + 1e-9:
                        tk = record_k * record_every
                        _hermite(y, f0, y1, f_new, t1 - t, (tk - t) / (t1 - t), ytmp)
                        derivatives(tk, ytmp, ftmp, rtmp, pre, drivers, pat, model, plans,
                                    plan, env)
                        _record_state(traj_slot, record_k, tk, ytmp, env, recording)
                        record_k += 1
            for k in range(n_cols):
                y[k] = y1[k]
                f0[k] = f_new[k]
                lam[k] = lam_next[k]
            t = t1
            grown = h * (min(5.0, 0.9 * err ** -ERROR_EXPONENT) if err > 0.0 else 5.0)
            # a step cut short by a boundary says nothing against the longer proposal
            h_next = max(grown, h_next) if last else grown
            if t >= dead_at:
                break
        t = max(t, seg_end)

    if math.isfinite(dead_at) and dead_at <= horizon:
        out.death_time[i] = dead_at
    for s in range(N_SITES):
        out.end_cells[i, s] = _site_total(y, s)
    out.disseminated_cells[i] = y[IDX_ARRIVED]


@nb.njit
def _event(i, s, when, y, env, out):
    out.event_time[i, s] = when
    tot = _site_total(y, s)
    base = s * N_CLONES * N_ACTIVITIES
    for c in range(N_CLONES):
        ic = base + N_ACTIVITIES * c
        out.event_clone[i, s, c] = ((y[ic] + y[ic + 1] + y[ic + 2]) / tot
                                    if tot > 0.0 else 0.0)
    out.event_myeloid[i, s] = y[IDX_MYELOID + s]
    out.event_antioxidant[i, s] = env[s, ENV_ANTIOXIDANT]


@nb.njit
def patient_vector(gompertz_rate, dissemination_coef, cxcl_multiplier, diagnosis_cells,
                   clone_fractions, endocrine_sensitivity, growth_factor, deep_dormancy_factor,
                   pr_negative_primary, draw, model):
    """Pack one patient's parameters and her natural-history timing (``PAT_*`` columns)."""
    params, site_table, clone_table = (model.params[draw], model.site_table[draw],
                                       model.clone_table[draw])
    pat = np.zeros(N_PAT)
    pat[PAT_GOMPERTZ] = gompertz_rate
    pat[PAT_DISSEMINATION] = dissemination_coef
    pat[PAT_CXCL] = cxcl_multiplier
    pat[PAT_DIAGNOSIS_CELLS] = diagnosis_cells
    pat[PAT_ENDOCRINE] = endocrine_sensitivity
    pat[PAT_GROWTH_FACTOR] = growth_factor
    pat[PAT_DEEP_FACTOR] = deep_dormancy_factor
    pat[PAT_PR_NEGATIVE_PRIMARY] = pr_negative_primary
    pat[PAT_DRAW] = draw
    mean_growth = 0.0
    for c in range(N_CLONES):
        pat[PAT_CLONE0 + c] = clone_fractions[c]
        mean_growth += clone_fractions[c] * clone_table[c, CLONE_GROWTH]
    g_primary = gompertz_rate * mean_growth
    n_start = min(params[_NSTART], 0.5 * diagnosis_cells)
    pat[PAT_START_CELLS] = n_start
    pat[PAT_PRIMARY_RATE] = g_primary
    pat[PAT_PRE_DAYS] = days_to_size(n_start, diagnosis_cells, g_primary, params[_GMAX],
                                      site_table[0, SITE_CARRYING_CAPACITY])
    return pat


@nb.njit(parallel=True, cache=True)
def simulate_patients(patients, seed, model, solver, plans, recording, out):
    """Deterministic mode for a chunk: same arguments and outputs as the stochastic kernel.

    ``seed`` is accepted for the common signature and not used (no random number is
    drawn); ``out.natural_history_redraws`` stays 0.
    """
    for i in nb.prange(patients.ids.shape[0]):
        pat = patient_vector(patients.gompertz_rate_per_day[i],
                             patients.dissemination_coefficient[i], patients.cxcl_multiplier[i],
                             patients.diagnosis_cells[i], patients.clone_fractions[i],
                             patients.endocrine_sensitivity[i], patients.growth_factor[i],
                             patients.deep_dormancy_factor[i], patients.pr_negative_primary[i],
                             patients.draw[i], model)
        _simulate_one(i, patients.plan[i], pat, model, solver, plans, recording, out)
        out.natural_history_redraws[i] = 0.0
