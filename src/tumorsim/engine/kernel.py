"""The stochastic kernel: one virtual patient's cells over time, vectorised over patients.

State of a patient: ``n[site, clone, activity]`` cells (docs/model.md section 1), the
myeloid niche ``M[site]``, and the internal metal doses. Each step, per site with cells:

1. environment: antioxidant capacity A (M3), ROS index R (M1), CXCL1/2 signal X and the
   myeloid niche M (M2);
2. proliferating cells: linear birth-death with Gompertz birth rate and the kill hazards
   of treatment. Below ``stochastic_threshold_cells`` the step is *exact* for constant
   rates (Kendall 1948: survivors are binomial, each surviving lineage geometric), so the
   step length does not bias extinction; above it the expected value is used;
3. dormant cells awaken or die;
4. PR loss and regain between ER+/PR+ and ER+/PR-;
5. dissemination to the other sites by tropism, clone motility and myeloid colonisation,
   arriving cells entering dormancy with probability q_s;
6. detection of local and distant relapse, interpolated log-linearly inside the step.

Every rate comes from a law of :mod:`tumorsim.model.laws` (compiled in
:mod:`tumorsim.engine.rates`); this module decides only how a step moves cells with
those rates (integer draws or expected values) and when things happen.

Before diagnosis the primary follows its deterministic Gompertz path from
``natural_history_start_cells`` to its size at diagnosis, with its clone mix fixed at the
diagnosed one, and seeds the other sites stochastically. With
``metastasis_free_at_diagnosis`` a natural history that ends with a detectable metastasis
is drawn again (rejection sampling on the patient's own stream).

Random numbers come from the patient's own stream (``PURPOSE_DYNAMICS``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from tumorsim.engine import rates as R
from tumorsim.engine.courses import days_to_size, exposure_level, primary_path_cells
from tumorsim.engine.plan import (
    DRIVER_CHEMO_HAZARD,
    DRIVER_CHEMO_ON,
    DRIVER_CHEMO_RHO,
    DRIVER_CXCR2,
    DRIVER_DRP1,
    DRIVER_NRF2,
    DRIVER_QUENCHER,
    DRIVER_TREATED,
    N_DRIVERS,
)
from tumorsim.engine.random import (
    PURPOSE_DYNAMICS,
    binomial,
    negative_binomial,
    poisson,
    stream_key,
    uniform,
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
    N_SITES,
    PROLIFERATING,
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
    SWITCH_METASTASIS_FREE_AT_DIAGNOSIS,
    SWITCH_SECONDARY_SEEDING,
    SWITCH_STIFFNESS_DRP1_NRF2,
    clone_specific_tropism,
)
from tumorsim.model.parameters import PARAMETER_INDEX as _P

# parameters the kernel reads itself (everything else is read by the laws)
_D0 = _P["baseline_turnover_per_day"]
_GMAX = _P["max_growth_rate_per_day"]
_NSTART = _P["natural_history_start_cells"]
_TAUM = _P["metal_internal_dose_time_constant_days"]
_DM = _P["myeloid_decay_per_day"]
_RRES = _P["residual_fraction_after_surgery"]
_OS_ERPOS = _P["survival_after_relapse_er_pos_months"]
_OS_ERNEG = _P["survival_after_relapse_er_neg_months"]

MAX_NATURAL_HISTORY_REDRAWS = 100
"""Redraws of a natural history with detectable metastasis before it is kept anyway."""

_CELL_BY_CELL_ARRIVALS = 8.0
"""Expected arrivals per step up to which cells are drawn and placed one by one."""
DAYS_PER_MONTH = 365.25 / 12.0


@nb.njit(inline="always")
def _stochastic_round(state: np.ndarray, x: float) -> float:
    fl = math.floor(x)
    return fl + 1.0 if uniform(state) < x - fl else fl


@nb.njit(inline="always")
def _whole_if_small(state: np.ndarray, x: float, n_switch: float) -> float:
    """In the stochastic mode a compartment below ``n_switch`` holds whole cells.

    A large compartment is followed in expected values and may hold a fraction of a cell;
    when flows out of it leave it below ``n_switch`` the remainder is rounded up or down
    at random (keeping its expectation) before any integer draw is made from it, so the
    binomial and negative-binomial draws always see whole cells.
    """
    if x < n_switch and x != math.floor(x):
        return _stochastic_round(state, x)
    return x


@nb.njit
def _birth_death(state, n, b, d, dt, exact):
    """Cells after ``dt`` of a linear birth-death process with rates ``b``, ``d`` per day."""
    if n <= 0.0:
        return 0.0
    if not exact:
        return n * math.exp((b - d) * dt)
    if b <= 0.0:
        return binomial(state, n, math.exp(-d * dt))
    r = b - d
    if abs(r * dt) < 1e-9:
        alpha = b * dt / (1.0 + b * dt)
        beta = alpha
    else:
        e = math.exp(r * dt)
        denom = b * e - d
        alpha = d * (e - 1.0) / denom
        beta = b * (e - 1.0) / denom
    survivors = binomial(state, n, 1.0 - alpha)
    if survivors <= 0.0:
        return 0.0
    return survivors + negative_binomial(state, survivors, 1.0 - beta)


@nb.njit
def _leave(state, n, prob, n_switch):
    """How many of ``n`` cells leave a compartment when each leaves with ``prob``.

    In the stochastic mode a small compartment loses a binomial number of cells, and a
    large one loses its expected number, drawn as Poisson when that flow is itself small
    so that every small compartment it feeds holds whole cells.
    """
    if n <= 0.0 or prob <= 0.0:
        return 0.0
    if n < n_switch:
        return binomial(state, n, prob)
    x = n * prob
    if x < n_switch:
        return min(poisson(state, x), n)
    return x


@nb.njit
def _categorical(state, weights, total):
    u = uniform(state) * total
    acc = 0.0
    last = 0
    for j in range(weights.shape[0]):
        if weights[j] > 0.0:
            last = j
            acc += weights[j]
            if u < acc:
                return j
    return last


@nb.njit
def _simulate_one(i, seed, patients, model, solver, plans, recording, out):
    pid = patients.ids[i]
    plan = patients.plan[i]
    gp = patients.gompertz_rate_per_day[i]
    mu = patients.dissemination_coefficient[i]
    cxcl_mult = patients.cxcl_multiplier[i]
    n_dx = patients.diagnosis_cells[i]
    clone0 = patients.clone_fractions[i]
    sensitivity = patients.endocrine_sensitivity[i]
    growth_factor = patients.growth_factor[i]
    deep_factor = patients.deep_dormancy_factor[i]
    pr_negative_primary = patients.pr_negative_primary[i]
    traj_slot = recording.slot[i]
    draw = patients.draw[i]
    params, site_table, clone_table, switches = (model.params[draw], model.site_table[draw],
                                                 model.clone_table[draw], model.switches)
    horizon = solver.horizon_days
    bnd, drv, tam = plans.boundaries, plans.drivers, plans.tamoxifen
    e_kind, e_times, e_levels = plans.exposure_kind, plans.exposure_times, plans.exposure_levels
    e_count, e_removal = plans.exposure_count, plans.exposure_removal_day

    state = np.empty(1, dtype=np.uint64)
    state[0] = stream_key(np.uint64(seed), np.uint64(pid), np.uint64(PURPOSE_DYNAMICS))
    n_switch = solver.stochastic_threshold_cells
    gmax = params[_GMAX]
    d0 = params[_D0]
    m1 = switches[SWITCH_METAL_ROS_PR] != 0
    m2 = switches[SWITCH_CHEMO_CXCL_MYELOID] != 0
    m3 = switches[SWITCH_STIFFNESS_DRP1_NRF2] != 0
    spread = switches[SWITCH_DISSEMINATION] != 0
    secondary = switches[SWITCH_SECONDARY_SEEDING] != 0
    dormancy = switches[SWITCH_DORMANCY] != 0
    mortal = switches[SWITCH_DEATH_AFTER_RELAPSE] != 0
    condition_m0 = switches[SWITCH_METASTASIS_FREE_AT_DIAGNOSIS] != 0

    n = np.zeros((N_SITES, N_CLONES, N_ACTIVITIES))
    arrivals = np.zeros((N_SITES, N_CLONES, N_ACTIVITIES))
    myeloid = np.zeros(N_SITES)
    antiox = np.zeros(N_SITES)
    ros = np.ones(N_SITES)
    cxcl = np.zeros(N_SITES)
    size_before = np.zeros(N_SITES)
    e_tam_of_clone = np.zeros(N_CLONES)
    # each clone's full tamoxifen effect in this woman (her primary's PR status)
    clone_effect = np.zeros(N_CLONES)
    for c in range(N_CLONES):
        clone_effect[c] = R.patient_clone_tamoxifen_effect(
            params, clone_table[c, CLONE_TAMOXIFEN_EFFECT], clone_table[c, CLONE_ER_POSITIVE],
            pr_negative_primary)
    dest_w = np.zeros((N_CLONES, N_SITES))
    dest_total_c = np.zeros(N_CLONES)
    clone_w = np.zeros(N_CLONES)
    pick_w = np.zeros(N_CLONES)
    by_clone = clone_specific_tropism(site_table, clone_table)
    metal = np.zeros(2)
    ros_cached = np.full(N_SITES, -1.0)
    loss_cached = np.zeros(N_SITES)
    no_drivers = np.zeros(N_DRIVERS)

    # --- natural history before diagnosis -------------------------------------------------
    k_primary = site_table[0, SITE_CARRYING_CAPACITY]
    mean_growth = 0.0
    for c in range(N_CLONES):
        mean_growth += clone0[c] * clone_table[c, CLONE_GROWTH]
    g_primary = gp * mean_growth
    n_start = min(params[_NSTART], 0.5 * n_dx)
    t_pre = days_to_size(n_start, n_dx, g_primary, gmax, k_primary)
    out.natural_history_days[i] = t_pre
    t = -t_pre
    for m in range(2):
        metal[m] = exposure_level(t, e_kind[plan, m], e_times[plan, m], e_levels[plan, m],
                                  e_count[plan, m], e_removal[plan])

    width = bnd.shape[1]
    jb = -1
    pre = True
    dead_at = np.inf
    record_k = 0
    total_arrived = 0.0
    redraws = 0

    while True:
        if pre and t >= 0.0 and condition_m0 and redraws < MAX_NATURAL_HISTORY_REDRAWS:
            # conditioning on no detectable distant metastasis at diagnosis (an adjuvant
            # population): a natural history that contradicts it is rejected and drawn
            # again from where the patient's stream stands (rejection sampling)
            detectable = False
            for s in range(1, N_SITES):
                tot = 0.0
                for c in range(N_CLONES):
                    tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
                if tot >= site_table[s, SITE_DETECTION]:
                    detectable = True
            if detectable:
                redraws += 1
                n[:] = 0.0
                myeloid[:] = 0.0
                t = -t_pre
                jb = -1
                total_arrived = 0.0
                for m in range(2):
                    metal[m] = exposure_level(t, e_kind[plan, m], e_times[plan, m],
                                              e_levels[plan, m], e_count[plan, m],
                                              e_removal[plan])
                continue
        if pre and t >= 0.0:
            # --- diagnosis and surgery -------------------------------------------------------
            out.natural_history_redraws[i] = redraws
            pre = False
            t = 0.0
            for c in range(N_CLONES):
                x = n_dx * clone0[c]
                n[0, c, 0] = poisson(state, x) if x < n_switch else x
            for s in range(N_SITES):
                tot = 0.0
                for c in range(N_CLONES):
                    tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
                out.diagnosis_cells[i, s] = tot
            if plans.surgery[plan] != 0:
                for c in range(N_CLONES):
                    x = n[0, c, 0] * params[_RRES]
                    n[0, c, 0] = poisson(state, x) if x < n_switch else x
            for s in range(1, N_SITES):
                if out.diagnosis_cells[i, s] >= site_table[s, SITE_DETECTION]:
                    _record_event(i, s, 0.0, n, myeloid, antiox, out)
                    if mortal and not math.isfinite(dead_at):
                        dead_at = _draw_death(state, 0.0, n, s, params, clone_table)
            if traj_slot >= 0:
                record_k = _record(traj_slot, record_k, 0.0, recording, n, myeloid, antiox,
                                   ros, cxcl)
            continue
        if not pre and (t >= horizon or t >= dead_at):
            break
        if not pre and traj_slot < 0:
            # no cell left anywhere: nothing can happen any more (no draw would be made),
            # so stop early; trajectory patients keep stepping to record their environment
            alive = 0.0
            for s in range(N_SITES):
                for c in range(N_CLONES):
                    alive += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
            if alive <= 0.0:
                break

        # --- drivers on this interval of the plan -----------------------------------------
        while jb + 1 < width and bnd[plan, jb + 1] <= t:
            jb += 1
        drivers = drv[plan, jb] if jb >= 0 else no_drivers
        next_boundary = bnd[plan, jb + 1] if jb + 1 < width else np.inf
        treated = drivers[DRIVER_TREATED] > 0.0 and not pre
        step = solver.treated_step_days if treated else solver.untreated_step_days
        t_end = min(t + step, next_boundary)
        if pre:
            t_end = min(t_end, 0.0)
        else:
            t_end = min(t_end, horizon, dead_at)
        dt = t_end - t
        if dt <= 1e-12:
            t = t_end
            if pre:
                t = 0.0
            continue
        mid = t + 0.5 * dt

        chemo_hazard = 0.0 if pre else drivers[DRIVER_CHEMO_HAZARD]
        chemo_rho = drivers[DRIVER_CHEMO_RHO]
        chemo_on = 0.0 if pre else drivers[DRIVER_CHEMO_ON]
        i_cxcr2 = drivers[DRIVER_CXCR2] if m2 else 0.0
        i_drp1 = drivers[DRIVER_DRP1] if m3 else 0.0
        i_nrf2 = drivers[DRIVER_NRF2] if m3 else 0.0
        quencher = drivers[DRIVER_QUENCHER] if m1 else 0.0
        tam_level = R.tamoxifen_level(params, mid, tam[plan, 0], tam[plan, 1], tam[plan, 2])
        for c in range(N_CLONES):  # every cell state of a clone feels the same effect
            e_tam_of_clone[c] = R.tamoxifen_effect(params, clone_effect[c], tam_level,
                                                   sensitivity)

        # internal metal dose: the internal-dose law solved exactly for the mid-step exposure
        decay = math.exp(-dt / params[_TAUM])
        for m in range(2):
            e = exposure_level(mid, e_kind[plan, m], e_times[plan, m], e_levels[plan, m],
                               e_count[plan, m], e_removal[plan])
            metal[m] = e + (metal[m] - e) * decay

        # prescribed primary before diagnosis
        if pre:
            n_prim = primary_path_cells(mid + t_pre, n_start, g_primary, gmax, k_primary)
            for c in range(N_CLONES):
                n[0, c, 0] = n_prim * clone0[c]

        for s in range(N_SITES):
            tot = 0.0
            for c in range(N_CLONES):
                tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
            size_before[s] = tot

        # --- environment ---------------------------------------------------------------------
        for s in range(N_SITES):
            if m3:
                antiox[s] = R.antioxidant_capacity(params, site_table[s, SITE_FISSION], i_drp1,
                                                   i_nrf2)
            if m1:
                ros[s] = R.ros_index(params, metal[0], metal[1], chemo_on, antiox[s], quencher)
            if size_before[s] <= 0.0:
                cxcl[s] = 0.0
                if myeloid[s] > 0.0:
                    myeloid[s] *= math.exp(-params[_DM] * dt)
                continue
            if m2:
                secretion = 0.0
                for c in range(N_CLONES):
                    secretion += clone_table[c, CLONE_CXCL] * (n[s, c, 0] + n[s, c, 1] + n[s, c, 2])
                secretion /= size_before[s]
                x = R.cxcl_signal(params, cxcl_mult, secretion, size_before[s], chemo_on)
                cxcl[s] = x
                # myeloid niche: its law solved exactly for inputs constant over the step
                target = R.myeloid_recruitment(params, x, i_cxcr2) / params[_DM]
                myeloid[s] = target + (myeloid[s] - target) * math.exp(-params[_DM] * dt)

        # --- cells ---------------------------------------------------------------------------
        for s in range(N_SITES):
            if size_before[s] <= 0.0 or (pre and s == 0):
                continue
            g_site = R.site_gompertz_rate(params, gp, s > 0)
            cap = R.growth_cap(params, size_before[s], s > 0, growth_factor)
            g_eff = R.capped_gompertz_rate(params, size_before[s],
                                           site_table[s, SITE_CARRYING_CAPACITY], g_site, cap)
            protect_m = R.myeloid_protection(params, myeloid[s]) if m2 else 1.0
            protect_a = R.antioxidant_protection(params, antiox[s], chemo_rho) if m3 else 1.0
            # proliferating: birth-death
            for c in range(N_CLONES):
                p_cells = _whole_if_small(state, n[s, c, 0], n_switch)
                n[s, c, 0] = p_cells
                if p_cells <= 0.0:
                    continue
                g_c = R.clone_growth_rate(params, g_eff, clone_table[c, CLONE_GROWTH])
                e_tam = e_tam_of_clone[c]
                b = R.proliferation_rate(params, g_c, e_tam) + d0
                kill = R.proliferating_kill_rate(params, e_tam, chemo_hazard, g_c, protect_m,
                                                 protect_a)
                small = p_cells < n_switch
                new = _birth_death(state, p_cells, b, d0 + kill, dt, small)
                if not small and new < n_switch:
                    new = _stochastic_round(state, new)
                n[s, c, 0] = new
            # dormant: awaken or die
            for c in range(N_CLONES):
                d_cells = _whole_if_small(state, n[s, c, 1], n_switch)
                n[s, c, 1] = d_cells
                if d_cells <= 0.0:
                    continue
                e_tam = e_tam_of_clone[c]
                wake = R.awakening_rate(params, e_tam, i_drp1, i_nrf2,
                                        clone_table[c, CLONE_AWAKENING_MULTIPLIER])
                die = R.dormant_death_rate(params, antiox[s], e_tam, chemo_hazard, protect_a,
                                           clone_table[c, CLONE_DORMANT_DEATH_MULTIPLIER])
                total = wake + die
                if total <= 0.0:
                    continue
                gone = _leave(state, d_cells, 1.0 - math.exp(-total * dt), n_switch)
                woke = _leave(state, gone, wake / total, n_switch)
                n[s, c, 1] = d_cells - gone
                n[s, c, 0] += woke
            # deep dormant: awaken (over decades) or die; endocrine therapy only through
            # tamoxifen_deep_dormant_kill_per_day (0 by default)
            for c in range(N_CLONES):
                d_cells = _whole_if_small(state, n[s, c, DEEP_DORMANT], n_switch)
                n[s, c, DEEP_DORMANT] = d_cells
                if d_cells <= 0.0:
                    continue
                e_tam = e_tam_of_clone[c]
                wake = R.deep_awakening_rate(params, i_drp1, i_nrf2)
                die = R.deep_dormant_death_rate(params, antiox[s], e_tam, chemo_hazard,
                                                protect_a)
                total = wake + die
                if total <= 0.0:
                    continue
                gone = _leave(state, d_cells, 1.0 - math.exp(-total * dt), n_switch)
                woke = _leave(state, gone, wake / total, n_switch)
                n[s, c, DEEP_DORMANT] = d_cells - gone
                n[s, c, PROLIFERATING] += woke
            # PR loss and regain; with M1 off ROS does not act on PR (the laws at R = 0 and
            # Q = 0 leave their baseline terms)
            r_pr = ros[s] if m1 else 0.0
            if r_pr != ros_cached[s]:
                # the Hill term is recomputed only when the ROS index changes
                loss_cached[s] = R.pr_loss_hazard(params, r_pr)
                ros_cached[s] = r_pr
            loss = loss_cached[s]
            regain = R.pr_regain_hazard(params, quencher)
            p_loss = 1.0 - math.exp(-loss * dt)
            p_regain = 1.0 - math.exp(-regain * dt)
            for a in range(N_ACTIVITIES):
                pos = _whole_if_small(state, n[s, 0, a], n_switch)
                neg = _whole_if_small(state, n[s, 1, a], n_switch)
                to_neg = _leave(state, pos, p_loss, n_switch)
                to_pos = _leave(state, neg, p_regain, n_switch)
                n[s, 0, a] = pos - to_neg + to_pos
                n[s, 1, a] = neg - to_pos + to_neg

        # --- dissemination -------------------------------------------------------------------
        if spread:
            for src in range(N_SITES):
                if src > 0 and not secondary:
                    continue
                n_p = 0.0
                motile = 0.0
                for c in range(N_CLONES):
                    clone_w[c] = n[src, c, 0] * clone_table[c, CLONE_MOTILITY]
                    n_p += n[src, c, 0]
                    motile += clone_w[c]
                if n_p < 1.0 or motile <= 0.0:
                    continue
                # destination weights of each clone: the site weights for every clone
                # unless the tropism differs by clone (then each clone's own weights,
                # and the clones' shares of the arrivals weighted by them)
                pick_total = motile
                for c in range(N_CLONES):
                    pick_w[c] = clone_w[c]
                    if c > 0 and not by_clone:
                        dest_w[c] = dest_w[0]
                        dest_total_c[c] = dest_total_c[0]
                        continue
                    dest_total_c[c] = 0.0
                    for d in range(1, N_SITES):
                        w = 0.0
                        if d != src:
                            w = (clone_table[c, CLONE_TROPISM + d] if by_clone
                                 else site_table[d, SITE_TROPISM])
                            if m2:
                                w = R.destination_weight(
                                    params, w, R.colonisation_boost(params, myeloid[d]))
                        dest_w[c, d] = w
                        dest_total_c[c] += w
                    dest_w[c, 0] = 0.0
                dest_total = dest_total_c[0]
                if by_clone:
                    pick_total = 0.0
                    for c in range(N_CLONES):
                        pick_w[c] = clone_w[c] * dest_total_c[c]
                        pick_total += pick_w[c]
                    dest_total = pick_total / motile
                if dest_total <= 0.0:
                    continue
                boost = R.colonisation_boost(params, myeloid[src]) if m2 else 1.0
                rate = R.dissemination_rate(params, mu, n_p, motile / n_p, boost,
                                            dest_total) * dt
                if rate <= _CELL_BY_CELL_ARRIVALS:
                    count = poisson(state, rate)
                    total_arrived += count
                    for _ in range(int(count)):
                        c = _categorical(state, pick_w, pick_total)
                        d = _categorical(state, dest_w[c], dest_total_c[c])
                        q = (R.dormancy_entry_fraction(
                            params, site_table[d, SITE_DORMANCY_ENTRY],
                            clone_table[c, CLONE_DORMANCY_ENTRY_MULTIPLIER])
                            if dormancy else 0.0)
                        if uniform(state) < q:
                            deep = R.deep_dormancy_fraction(
                                params, site_table[d, SITE_DEEP_SHARE],
                                clone_table[c, CLONE_DEEP_MULTIPLIER], deep_factor)
                            if deep > 0.0 and uniform(state) < deep:
                                arrivals[d, c, DEEP_DORMANT] += 1.0
                            else:
                                arrivals[d, c, DORMANT] += 1.0
                        else:
                            arrivals[d, c, PROLIFERATING] += 1.0
                else:
                    # many arrivals (large metastases seeding): by Poisson thinning the
                    # counts per clone, destination and activity are independent
                    # Poissons; a destination compartment at or above the threshold gets
                    # its expected count, as every large compartment does
                    for c in range(N_CLONES):
                        if pick_w[c] <= 0.0:
                            continue
                        for d in range(1, N_SITES):
                            if dest_w[c, d] <= 0.0:
                                continue
                            x = rate * pick_w[c] / pick_total * dest_w[c, d] / dest_total_c[c]
                            q = (R.dormancy_entry_fraction(
                                params, site_table[d, SITE_DORMANCY_ENTRY],
                                clone_table[c, CLONE_DORMANCY_ENTRY_MULTIPLIER])
                                if dormancy else 0.0)
                            deep = R.deep_dormancy_fraction(
                                params, site_table[d, SITE_DEEP_SHARE],
                                clone_table[c, CLONE_DEEP_MULTIPLIER], deep_factor)
                            for a in range(N_ACTIVITIES):
                                lam = x * (1.0 - q if a == PROLIFERATING else
                                           (q * (1.0 - deep) if a == DORMANT else q * deep))
                                if lam <= 0.0:
                                    continue
                                k = lam if n[d, c, a] >= n_switch else poisson(state, lam)
                                arrivals[d, c, a] += k
                                total_arrived += k
            for s in range(1, N_SITES):
                for c in range(N_CLONES):
                    for a in range(N_ACTIVITIES):
                        if arrivals[s, c, a] > 0.0:
                            n[s, c, a] += arrivals[s, c, a]
                            arrivals[s, c, a] = 0.0

        t = t_end

        # --- detection -----------------------------------------------------------------------
        if not pre:
            first_s = 0 if plans.surgery[plan] != 0 else 1
            for s in range(first_s, N_SITES):
                if not math.isnan(out.event_time[i, s]):
                    continue
                tot = 0.0
                for c in range(N_CLONES):
                    tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
                det = site_table[s, SITE_DETECTION]
                if tot >= det:
                    when = t
                    before = size_before[s]
                    if before > 0.0 and tot > before and before < det:
                        when = t - dt + dt * math.log(det / before) / math.log(tot / before)
                    _record_event(i, s, when, n, myeloid, antiox, out)
                    if s > 0 and mortal and not math.isfinite(dead_at):
                        dead_at = _draw_death(state, when, n, s, params, clone_table)
            if traj_slot >= 0:
                record_k = _record(traj_slot, record_k, t, recording, n, myeloid, antiox, ros,
                                   cxcl)

    if math.isfinite(dead_at) and dead_at <= horizon:
        out.death_time[i] = dead_at
    for s in range(N_SITES):
        tot = 0.0
        for c in range(N_CLONES):
            tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
        out.end_cells[i, s] = tot
    out.disseminated_cells[i] = total_arrived


@nb.njit
def _record_event(i, s, when, n, myeloid, antiox, out):
    out.event_time[i, s] = when
    tot = 0.0
    for c in range(N_CLONES):
        tot += n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
    for c in range(N_CLONES):
        out.event_clone[i, s, c] = ((n[s, c, 0] + n[s, c, 1] + n[s, c, 2]) / tot
                                    if tot > 0.0 else 0.0)
    out.event_myeloid[i, s] = myeloid[s]
    out.event_antioxidant[i, s] = antiox[s]


@nb.njit
def _draw_death(state, when, n, s, params, clone_table):
    er_pos = 0.0
    tot = 0.0
    for c in range(N_CLONES):
        x = n[s, c, 0] + n[s, c, 1] + n[s, c, 2]
        tot += x
        er_pos += x * clone_table[c, CLONE_ER_POSITIVE]
    median_months = params[_OS_ERPOS] if er_pos >= 0.5 * tot else params[_OS_ERNEG]
    median_days = median_months * DAYS_PER_MONTH
    return when + median_days * (-math.log(uniform(state))) / math.log(2.0)


@nb.njit
def _record(slot, k, t, recording, n, myeloid, antiox, ros, cxcl):
    every = recording.every_days
    n_records = recording.times.shape[1]
    while k < n_records and t >= k * every - 1e-9:
        recording.times[slot, k] = k * every
        for s in range(N_SITES):
            for c in range(N_CLONES):
                for a in range(N_ACTIVITIES):
                    recording.cells[slot, k, s, c, a] = n[s, c, a]
            recording.environment[slot, k, s, ENV_MYELOID] = myeloid[s]
            recording.environment[slot, k, s, ENV_ANTIOXIDANT] = antiox[s]
            recording.environment[slot, k, s, ENV_ROS] = ros[s]
            recording.environment[slot, k, s, ENV_CXCL] = cxcl[s]
        k += 1
    return k


@nb.njit(parallel=True, cache=True)
def simulate_patients(patients, seed, model, solver, plans, recording, out):
    """Simulate every patient of a chunk.

    Parameters
    ----------
    patients : Patients
    seed : uint64
        Master seed; each patient's stream is keyed by (seed, patient id).
    model : ModelArrays
    solver : Solver
    plans : CompiledPlans
    recording : Recording
    out : Outputs
        Written in place.
    """
    for i in nb.prange(patients.ids.shape[0]):
        _simulate_one(i, seed, patients, model, solver, plans, recording, out)


@nb.njit(parallel=True, cache=True)
def grow_colonies(seed, n_colonies, initial_cells, birth_per_day, death_per_day, step_days,
                  days, n_switch):
    """Cells of independent colonies after ``days`` of the engine's birth-death step.

    Each colony starts with ``initial_cells`` proliferating cells and is advanced with the
    same step the engine uses for a proliferating compartment (exact below ``n_switch``,
    expected value above), on its own random stream. Used to check the stochastic
    numerics against birth-death theory (a lasting colony from one cell has probability
    ``1 - d / b``).

    Returns
    -------
    ndarray, shape (n_colonies,)
    """
    out = np.empty(n_colonies)
    for i in nb.prange(n_colonies):
        state = np.empty(1, dtype=np.uint64)
        state[0] = stream_key(np.uint64(seed), np.uint64(i), np.uint64(PURPOSE_DYNAMICS))
        cells = initial_cells
        t = 0.0
        while t < days - 1e-9 and cells > 0.0:
            dt = min(step_days, days - t)
            small = cells < n_switch
            cells = _birth_death(state, cells, birth_per_day, death_per_day, dt, small)
            if not small and cells < n_switch:
                cells = _stochastic_round(state, cells)
            t += dt
        out[i] = cells
    return out
