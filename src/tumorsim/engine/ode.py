"""Deterministic mode: the model's expected values as an ODE system, integrated accurately.

With ``numerics.mode = "deterministic"`` every flow of MODEL.md section 2 is its expected
rate, and a patient is the ODE system

    dn[s, c, a]/dt = own rate * n[s, c, a] + inflows (awakening, PR switching, arrivals)
    dM[s]/dt       = k_M X/(X_50 + X) (1 - I_CXCR2) - d_M M[s]
    dm/dt          = (exposure(t) - m) / tau_m

(:func:`derivatives`), with the primary before diagnosis on its capped Gompertz path
(2.9), the diagnosis, surgery and every change of treatment as events between which the
right-hand side is smooth, and detection (2.8) as the first time a site's cells reach
``detection_cells``. The same system is written as SBML by :mod:`tumorsim.io.sbml`, so
any SBML tool (libRoadRunner, COPASI) solves the same model.

How it is solved fast (the structure of this model, not a generic solver):

* **Exponential growth is integrated exactly.** Cell counts grow or shrink by orders of
  magnitude while their per-cell rates change slowly (a Gompertz rate changes on the
  time scale of years). The integrator is an exponential Runge-Kutta method (ETDRK4,
  Cox & Matthews 2002): each step freezes each compartment's own per-cell rate at the
  step start, takes that exponential exactly, and integrates only what is left (inflows
  and the drift of the rates) by fourth-order quadrature. Its error therefore depends on
  how fast the rates and inflows change, not on how fast cells grow, so steps of days to
  months are accurate to ``ode_relative_tolerance``.
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

from tumorsim.engine.kernel import (
    _AAO,
    _AINH,
    _AMAX,
    _ATAM,
    _BETAX,
    _CM,
    _DELTA0,
    _DM,
    _GAMMA,
    _GMAX,
    _GREF,
    _H0,
    _HILL,
    _HMAX,
    _KAO,
    _KAPPAD,
    _KAS,
    _KCHEMO,
    _KM,
    _KPB,
    _KQ,
    _MET_GROWTH,
    _NREF,
    _NSTART,
    _NU,
    _OS_ERNEG,
    _OS_ERPOS,
    _R0,
    _R50,
    _RQ,
    _RRES,
    _SMAX,
    _TAMKILL,
    _TAMKILL_D,
    _TAMRAMP,
    _TAUM,
    _TNF,
    _W0,
    _X50,
    CLONE_CXCL,
    CLONE_ER_POSITIVE,
    CLONE_GROWTH,
    CLONE_MOTILITY,
    CLONE_TAMOXIFEN_EFFECT,
    DAYS_PER_MONTH,
    ENV_ANTIOXIDANT,
    ENV_CXCL,
    ENV_MYELOID,
    ENV_ROS,
    N_CLONES,
    N_SITES,
    SITE_CARRYING_CAPACITY,
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
    _exposure,
    _primary_path,
    _tamoxifen_level,
    _time_to_size,
)
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
from tumorsim.model.parameters import PARAMETER_INDEX as _P

_RTOL = _P["ode_relative_tolerance"]
_ATOL = _P["ode_absolute_tolerance_cells"]

# --- state vector -------------------------------------------------------------------------------
N_CELL_STATES = N_SITES * N_CLONES * 2
"""Cells ``n[s, c, a]`` sit at ``(s * N_CLONES + c) * 2 + a`` (a = 0 proliferating)."""
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
PAT_CLONE0 = 7
N_PAT = PAT_CLONE0 + N_CLONES

MAX_STEP_DAYS = 365.25
"""Longest step the integrator takes, whatever the error estimate says."""
MAX_STEPS_PER_PATIENT = 1_000_000
ERROR_EXPONENT = 0.25
"""Step-size control: the error estimate scales as ``h**4`` (module docstring)."""



@nb.njit(cache=True)
def derivatives(t, y, dydt, rates, pre, drivers, pat, params, site_table, clone_table,
                switches, tam, e_kind, e_times, e_levels, e_count, e_removal, env):
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
    params, site_table, clone_table, switches
        Model arrays (:func:`tumorsim.engine.simulate.model_arrays`).
    tam : ndarray, shape (3,)
        Tamoxifen start day, end day, adherence.
    e_kind, e_times, e_levels, e_count, e_removal
        The patient's plan's exposures (:class:`tumorsim.engine.plan.CompiledPlans`).
    env : ndarray, shape (N_SITES, 4)
        Written: myeloid niche, antioxidant capacity, ROS index and CXCL1/2 signal per site.
    """
    m1 = switches[SWITCH_METAL_ROS_PR] != 0
    m2 = switches[SWITCH_CHEMO_CXCL_MYELOID] != 0
    m3 = switches[SWITCH_STIFFNESS_DRP1_NRF2] != 0
    spread = switches[SWITCH_DISSEMINATION] != 0
    secondary = switches[SWITCH_SECONDARY_SEEDING] != 0
    dormancy = switches[SWITCH_DORMANCY] != 0
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
    tam_level = _tamoxifen_level(t, tam[0], tam[1], tam[2], params[_TAMRAMP])

    # internal metal dose
    inv_tau = 1.0 / params[_TAUM]
    for m in range(2):
        e = _exposure(t, e_kind[m], e_times[m], e_levels[m], e_count[m], e_removal)
        dydt[IDX_METAL + m] = (e - y[IDX_METAL + m]) * inv_tau
        rates[IDX_METAL + m] = -inv_tau
    arsenic = y[IDX_METAL]
    lead = y[IDX_METAL + 1]

    # primary before diagnosis: its prescribed (capped Gompertz) path
    prim = 0.0
    if pre:
        prim = _primary_path(t + pat[PAT_PRE_DAYS], pat[PAT_START_CELLS],
                             pat[PAT_PRIMARY_RATE], gmax, site_table[0, SITE_CARRYING_CAPACITY])

    r50n = params[_R50] ** params[_HILL]
    log_nref = math.log(params[_NREF])
    for s in range(N_SITES):
        base = s * N_CLONES * 2
        size = 0.0
        if pre and s == 0:
            size = prim
        else:
            for k in range(N_CLONES * 2):
                size += y[base + k]
        # --- environment
        antiox = site_table[s, SITE_FISSION] * (1.0 - i_drp1) * (1.0 - i_nrf2) if m3 else 0.0
        ros = 1.0
        if m1:
            ros = max(1.0 + params[_KAS] * arsenic + params[_KPB] * lead
                      + params[_KCHEMO] * chemo_on - params[_KAO] * antiox
                      - params[_KQ] * quencher, 0.0)
        cxcl = 0.0
        myeloid = y[IDX_MYELOID + s]
        source = 0.0
        log_size = math.log(size) if size > 0.0 else -np.inf
        if m2 and size > 0.0:
            secretion = 0.0
            for c in range(N_CLONES):
                if pre and s == 0:
                    secretion += clone_table[c, CLONE_CXCL] * pat[PAT_CLONE0 + c]
                else:
                    secretion += clone_table[c, CLONE_CXCL] * (y[base + 2 * c]
                                                               + y[base + 2 * c + 1])
            if not (pre and s == 0):
                secretion /= size
            # below one cell the signal is that fraction of one cell's (the expectation
            # over whether the cell is there), which also keeps the right-hand side
            # continuous and Lipschitz at zero cells
            cxcl = (pat[PAT_CXCL] * secretion
                    * math.exp(params[_BETAX] * (max(log_size, 0.0) - log_nref))
                    * min(size, 1.0) * (1.0 + params[_TNF] * chemo_on))
            source = params[_KM] * cxcl / (params[_X50] + cxcl) * (1.0 - i_cxcr2)
        dydt[IDX_MYELOID + s] = source - params[_DM] * myeloid
        rates[IDX_MYELOID + s] = -params[_DM]
        env[s, ENV_MYELOID] = myeloid
        env[s, ENV_ANTIOXIDANT] = antiox
        env[s, ENV_ROS] = ros
        env[s, ENV_CXCL] = cxcl
        if pre and s == 0:
            continue

        # --- cells
        k_site = site_table[s, SITE_CARRYING_CAPACITY]
        g_site = pat[PAT_GOMPERTZ] if s == 0 else pat[PAT_GOMPERTZ] * params[_MET_GROWTH]
        if size <= 0.0:
            g_eff = gmax  # the limit of the capped Gompertz rate for a colony of few cells
        elif size < k_site:
            g_eff = min(gmax, g_site * (math.log(k_site) - log_size))
        else:
            g_eff = 0.0
        protect_m = 1.0 - params[_SMAX] * myeloid if m2 else 1.0
        protect_a = 1.0 - params[_AMAX] * antiox * chemo_rho if m3 else 1.0
        if m1:
            rn = ros ** params[_HILL]
            loss = params[_H0] + params[_HMAX] * rn / (r50n + rn)
            regain = params[_R0] + params[_RQ] * quencher
        else:
            loss = params[_H0]
            regain = params[_R0]
        for c in range(N_CLONES):
            ip = base + 2 * c
            idm = ip + 1
            switch_out = loss if c == 0 else (regain if c == 1 else 0.0)
            g_c = g_eff * clone_table[c, CLONE_GROWTH]
            e_tam = clone_table[c, CLONE_TAMOXIFEN_EFFECT] * tam_level
            kill = params[_TAMKILL] * e_tam
            if chemo_hazard > 0.0 and g_c > 0.0:
                kill += (chemo_hazard * (g_c / params[_GREF]) ** params[_NU]
                         * protect_m * protect_a)
            rates[ip] = g_c * (1.0 - e_tam) - kill - switch_out
            wake = (params[_W0] * (1.0 - params[_ATAM] * e_tam)
                    * (1.0 - params[_AINH] * i_drp1 * i_nrf2))
            die = (params[_DELTA0] * (1.0 - params[_AAO] * antiox)
                   + params[_TAMKILL_D] * e_tam
                   + chemo_hazard * params[_KAPPAD] * protect_a)
            rates[idm] = -(wake + die) - switch_out
            dydt[ip] += rates[ip] * y[ip] + wake * y[idm]
            dydt[idm] += rates[idm] * y[idm]
        # PR loss (ER+/PR+ -> ER+/PR-) and regain, in both activities
        for a in range(2):
            dydt[base + 2 + a] += loss * y[base + a]
            dydt[base + a] += regain * y[base + 2 + a]

    # --- dissemination (2.2)
    if spread:
        for src in range(N_SITES):
            if src > 0 and not secondary:
                continue
            base = src * N_CLONES * 2
            n_p = 0.0
            motile = 0.0
            for c in range(N_CLONES):
                cells = prim * pat[PAT_CLONE0 + c] if (pre and src == 0) else y[base + 2 * c]
                n_p += cells
                motile += cells * clone_table[c, CLONE_MOTILITY]
            if n_p <= 0.0 or motile <= 0.0:
                continue
            dest_total = 0.0
            for d in range(1, N_SITES):
                if d != src:
                    w = site_table[d, SITE_TROPISM]
                    if m2:
                        w *= 1.0 + params[_CM] * y[IDX_MYELOID + d]
                    dest_total += w
            if dest_total <= 0.0:
                continue
            boost = 1.0 + params[_CM] * y[IDX_MYELOID + src] if m2 else 1.0
            # below one cell a site seeds as that fraction of one cell (see CXCL above)
            rate = (pat[PAT_DISSEMINATION] * math.exp(params[_GAMMA] * max(math.log(n_p), 0.0))
                    * min(n_p, 1.0) * (motile / n_p) * boost * dest_total)
            dydt[IDX_ARRIVED] += rate
            for c in range(N_CLONES):
                cells = prim * pat[PAT_CLONE0 + c] if (pre and src == 0) else y[base + 2 * c]
                share_c = cells * clone_table[c, CLONE_MOTILITY] / motile
                if share_c <= 0.0:
                    continue
                for d in range(1, N_SITES):
                    if d == src:
                        continue
                    w = site_table[d, SITE_TROPISM]
                    if m2:
                        w *= 1.0 + params[_CM] * y[IDX_MYELOID + d]
                    x = rate * share_c * w / dest_total
                    q = site_table[d, SITE_DORMANCY_ENTRY] if dormancy else 0.0
                    ib = (d * N_CLONES + c) * 2
                    dydt[ib] += x * (1.0 - q)
                    dydt[ib + 1] += x * q


@nb.njit(inline="always")
def _site_total(v, s):
    """Sum over site ``s``'s six cell compartments of a state (or derivative) vector."""
    tot = 0.0
    base = s * N_CLONES * 2
    for k in range(N_CLONES * 2):
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
def _record_state(slot, k, t, y, env, traj_cells, traj_env, traj_time):
    traj_time[slot, k] = t
    for s in range(N_SITES):
        for c in range(N_CLONES):
            for a in range(2):
                traj_cells[slot, k, s, c, a] = y[(s * N_CLONES + c) * 2 + a]
        for j in range(env.shape[1]):
            traj_env[slot, k, s, j] = env[s, j]


@nb.njit
def _death_day(when, y, s, params, clone_table):
    er_pos = 0.0
    tot = 0.0
    for c in range(N_CLONES):
        x = y[(s * N_CLONES + c) * 2] + y[(s * N_CLONES + c) * 2 + 1]
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
def _etd_step(t, u, fu, lam, h, co, out, work, pre, drivers, pat, params, site_table,
              clone_table, switches, tam, e_kind, e_times, e_levels, e_count, e_removal, env):
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
    derivatives(t + 0.5 * h, a, fs, rs, pre, drivers, pat, params, site_table, clone_table,
                switches, tam, e_kind, e_times, e_levels, e_count, e_removal, env)
    for k in range(n):
        na[k] = fs[k] - lam[k] * a[k]
        b[k] = max(co[0, k] * u[k] + co[1, k] * na[k], 0.0)
    derivatives(t + 0.5 * h, b, fs, rs, pre, drivers, pat, params, site_table, clone_table,
                switches, tam, e_kind, e_times, e_levels, e_count, e_removal, env)
    for k in range(n):
        nb_[k] = fs[k] - lam[k] * b[k]
        c[k] = max(co[0, k] * a[k] + co[1, k] * (2.0 * nb_[k] - nu[k]), 0.0)
    derivatives(t + h, c, fs, rs, pre, drivers, pat, params, site_table, clone_table,
                switches, tam, e_kind, e_times, e_levels, e_count, e_removal, env)
    for k in range(n):
        nc = fs[k] - lam[k] * c[k]
        work[8, k] = nc
        out[k] = max(co[2, k] * u[k] + co[3, k] * nu[k] + co[4, k] * (na[k] + nb_[k])
                     + co[5, k] * nc, 0.0)


@nb.njit
def _simulate_one(
    i, plan, pat, params, site_table, clone_table, switches, horizon,
    bnd, drv, surgery, tam, e_kind, e_times, e_levels, e_count, e_removal,
    traj_slot, record_every, traj_cells, traj_env, traj_time,
    ev_time, ev_clone, ev_myeloid, ev_antiox, death_time, dx_cells, end_cells,
    natural_history_days, arrived,
):
    rtol = params[_RTOL]
    atol = params[_ATOL]
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
    env = np.zeros((N_SITES, 4))
    no_drivers = np.zeros(N_DRIVERS)
    ptam = tam[plan]
    pe_kind = e_kind[plan]
    pe_times = e_times[plan]
    pe_levels = e_levels[plan]
    pe_count = e_count[plan]
    pe_removal = e_removal[plan]

    t_pre = pat[PAT_PRE_DAYS]
    natural_history_days[i] = t_pre
    t = -t_pre
    for m in range(2):
        y[IDX_METAL + m] = _exposure(t, pe_kind[m], pe_times[m], pe_levels[m], pe_count[m],
                                     pe_removal)
    width = bnd.shape[1]
    jb = -1
    pre = True
    dead_at = np.inf
    record_k = 0
    n_records = traj_time.shape[1]
    h_next = 1.0
    first_s = 0 if surgery[plan] != 0 else 1
    steps = 0

    while True:
        if pre and t >= 0.0:
            # --- diagnosis and surgery
            pre = False
            t = 0.0
            for c in range(N_CLONES):
                y[c * 2] = pat[PAT_DIAGNOSIS_CELLS] * pat[PAT_CLONE0 + c]
                y[c * 2 + 1] = 0.0
            for s in range(N_SITES):
                dx_cells[i, s] = _site_total(y, s)
            if surgery[plan] != 0:
                for c in range(N_CLONES):
                    y[c * 2] *= params[_RRES]
            for s in range(1, N_SITES):
                if dx_cells[i, s] >= site_table[s, SITE_DETECTION]:
                    _event(i, s, 0.0, y, env, ev_time, ev_clone, ev_myeloid, ev_antiox)
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
        derivatives(t, y, f0, lam, pre, drivers, pat, params, site_table, clone_table,
                    switches, ptam, pe_kind, pe_times, pe_levels, pe_count, pe_removal, env)
        if not pre and traj_slot >= 0:
            while record_k < n_records and record_k * record_every <= t + 1e-9:
                _record_state(traj_slot, record_k, record_k * record_every, y, env,
                              traj_cells, traj_env, traj_time)
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
            _etd_step(t, y, f0, lam, h, co, y1, work, pre, drivers, pat, params,
                      site_table, clone_table, switches, ptam, pe_kind, pe_times, pe_levels,
                      pe_count, pe_removal, env)
            derivatives(t + h, y1, f_new, lam_next, pre, drivers, pat, params,
                        site_table, clone_table, switches, ptam, pe_kind, pe_times,
                        pe_levels, pe_count, pe_removal, env)
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
                    if not math.isnan(ev_time[i, s]):
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
                    derivatives(when, ytmp, ftmp, rtmp, pre, drivers, pat, params,
                                site_table, clone_table, switches, ptam, pe_kind, pe_times,
                                pe_levels, pe_count, pe_removal, env)
                    _event(i, s, when, ytmp, env, ev_time, ev_clone, ev_myeloid, ev_antiox)
                    if s > 0 and mortal and not math.isfinite(dead_at):
                        dead_at = _death_day(when, ytmp, s, params, clone_table)
                        seg_end = min(seg_end, dead_at)
                if traj_slot >= 0:
                    while record_k < n_records and record_k * record_every <= t1 + 1e-9:
                        tk = record_k * record_every
                        _hermite(y, f0, y1, f_new, t1 - t, (tk - t) / (t1 - t), ytmp)
                        derivatives(tk, ytmp, ftmp, rtmp, pre, drivers, pat, params,
                                    site_table, clone_table, switches, ptam, pe_kind,
                                    pe_times, pe_levels, pe_count, pe_removal, env)
                        _record_state(traj_slot, record_k, tk, ytmp, env, traj_cells,
                                      traj_env, traj_time)
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
        death_time[i] = dead_at
    for s in range(N_SITES):
        end_cells[i, s] = _site_total(y, s)
    arrived[i] = y[IDX_ARRIVED]


@nb.njit
def _event(i, s, when, y, env, ev_time, ev_clone, ev_myeloid, ev_antiox):
    ev_time[i, s] = when
    tot = _site_total(y, s)
    base = s * N_CLONES * 2
    for c in range(N_CLONES):
        ev_clone[i, s, c] = (y[base + 2 * c] + y[base + 2 * c + 1]) / tot if tot > 0.0 else 0.0
    ev_myeloid[i, s] = y[IDX_MYELOID + s]
    ev_antiox[i, s] = env[s, ENV_ANTIOXIDANT]


@nb.njit
def patient_vector(gompertz_rate, dissemination_coef, cxcl_multiplier, diagnosis_cells,
                   clone_fractions, params, site_table, clone_table):
    """Pack one patient's parameters and her natural-history timing (``PAT_*`` columns)."""
    pat = np.zeros(N_PAT)
    pat[PAT_GOMPERTZ] = gompertz_rate
    pat[PAT_DISSEMINATION] = dissemination_coef
    pat[PAT_CXCL] = cxcl_multiplier
    pat[PAT_DIAGNOSIS_CELLS] = diagnosis_cells
    mean_growth = 0.0
    for c in range(N_CLONES):
        pat[PAT_CLONE0 + c] = clone_fractions[c]
        mean_growth += clone_fractions[c] * clone_table[c, CLONE_GROWTH]
    g_primary = gompertz_rate * mean_growth
    n_start = min(params[_NSTART], 0.5 * diagnosis_cells)
    pat[PAT_START_CELLS] = n_start
    pat[PAT_PRIMARY_RATE] = g_primary
    pat[PAT_PRE_DAYS] = _time_to_size(n_start, diagnosis_cells, g_primary, params[_GMAX],
                                      site_table[0, SITE_CARRYING_CAPACITY])
    return pat


@nb.njit(parallel=True, cache=True)
def simulate_patients(
    patient_ids, seed, plan_of_patient, gompertz_rate, dissemination_coef, cxcl_multiplier,
    diagnosis_cells, clone_fractions, params, site_table, clone_table, switches, horizon_days,
    bnd, drv, surgery, tam, e_kind, e_times, e_levels, e_count, e_removal,
    traj_slot, record_every, traj_cells, traj_env, traj_time,
    ev_time, ev_clone, ev_myeloid, ev_antiox, death_time, dx_cells, end_cells,
    natural_history_days, arrived, natural_history_redraws,
):
    """Deterministic mode for a chunk: same arguments and outputs as the stochastic kernel.

    ``seed`` is accepted for the common signature and not used (no random number is
    drawn); ``natural_history_redraws`` stays 0.
    """
    for i in nb.prange(patient_ids.shape[0]):
        pat = patient_vector(gompertz_rate[i], dissemination_coef[i], cxcl_multiplier[i],
                             diagnosis_cells[i], clone_fractions[i], params, site_table,
                             clone_table)
        _simulate_one(
            i, plan_of_patient[i], pat, params, site_table, clone_table, switches,
            horizon_days, bnd, drv, surgery, tam, e_kind, e_times, e_levels, e_count,
            e_removal, traj_slot[i], record_every, traj_cells, traj_env, traj_time,
            ev_time, ev_clone, ev_myeloid, ev_antiox, death_time, dx_cells, end_cells,
            natural_history_days, arrived,
        )
        natural_history_redraws[i] = 0.0
