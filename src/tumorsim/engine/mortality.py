"""Death from other causes: each woman's own time, drawn from her age at diagnosis.

With ``mechanisms.competing_mortality`` a woman dies of causes other than breast cancer
when the cumulative Gompertz-Makeham hazard from her age at diagnosis,
:func:`tumorsim.model.laws.other_cause_cumulative_hazard` (whose derivative is
:func:`tumorsim.model.laws.other_cause_death_hazard`), reaches ``E = -ln u``, ``u``
uniform on her own ``PURPOSE_OTHER_CAUSE_DEATH`` stream: so her time does not depend on
chunking, and no other stream of the run changes. The deterministic mode takes the
median, ``E = ln 2``, as it does for death after relapse.

The death is independent of the cancer (a competing risk): the kernels simulate the
cancer as before, and :func:`censor_at_other_cause_death` then removes what she did not
live to see (a relapse or a cancer death after her other-cause death).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from tumorsim.engine import rates as R
from tumorsim.engine.random import PURPOSE_OTHER_CAUSE_DEATH, patient_uniforms
from tumorsim.engine.structures import Outputs

__all__ = ["censor_at_other_cause_death", "other_cause_death_days"]

_YEAR_DAYS = 365.25
_NEWTON_STEPS = 200


@nb.njit(cache=True)
def _years_to_death(params, draw, age_years, exposure, horizon_years):
    """Years from diagnosis to the cumulative hazard ``exposure``; NaN past the horizon.

    Newton's method from the horizon: the cumulative hazard is increasing and convex in
    time, so from a point past the root every step stays past it and the iterates
    decrease to it.
    """
    n = age_years.shape[0]
    out = np.full(n, np.nan)
    for i in range(n):
        p = params[draw[i]]
        a = age_years[i]
        e = exposure[i]
        if R.other_cause_cumulative_hazard(p, a, horizon_years) < e:
            continue
        t = horizon_years
        for _ in range(_NEWTON_STEPS):
            step = ((R.other_cause_cumulative_hazard(p, a, t) - e)
                    / R.other_cause_death_hazard(p, a + t))
            t = max(t - step, 0.0)
            if abs(step) <= 1e-13 * max(t, 1.0):
                break
        out[i] = t
    return out


def other_cause_death_days(params: np.ndarray, draw: np.ndarray, age_years: np.ndarray,
                           patient_ids: np.ndarray, seed: int, horizon_days: float,
                           deterministic: bool) -> np.ndarray:
    """Day of death from other causes of each patient, NaN if she lives past the horizon.

    Parameters
    ----------
    params : ndarray, shape (n_draws, n_parameters)
        The run's parameter arrays (:class:`tumorsim.engine.structures.ModelArrays`).
    draw : ndarray of int, shape (n,)
        Each patient's parameter draw.
    age_years : ndarray, shape (n,)
        Age at diagnosis.
    patient_ids : ndarray of int, shape (n,)
        Global patient ids (they key the streams).
    seed : int
        Master seed.
    horizon_days : float
    deterministic : bool
        The median time (cumulative hazard ln 2) instead of a draw.

    Returns
    -------
    ndarray, shape (n,)
    """
    n = len(patient_ids)
    if deterministic:
        exposure = np.full(n, math.log(2.0))
    else:
        exposure = -np.log(patient_uniforms(seed, patient_ids, 1, PURPOSE_OTHER_CAUSE_DEATH)[:, 0])
    years = _years_to_death(np.ascontiguousarray(params, dtype=float),
                            np.ascontiguousarray(draw, dtype=np.int64),
                            np.ascontiguousarray(age_years, dtype=float), exposure,
                            horizon_days / _YEAR_DAYS)
    return years * _YEAR_DAYS


def censor_at_other_cause_death(out: Outputs, other_death_days: np.ndarray) -> None:
    """Remove, in place, every event after a woman's death from other causes.

    A relapse detected after it and a cancer death after it did not happen to her; what
    she lived to see is kept. Cell counts at the end are the cancer's, as simulated.
    """
    dead = np.isfinite(other_death_days)
    with np.errstate(invalid="ignore"):
        late = dead[:, None] & (out.event_time > other_death_days[:, None])
        out.event_time[late] = np.nan
        out.event_clone[late] = np.nan
        out.event_myeloid[late] = np.nan
        out.event_antioxidant[late] = np.nan
        out.death_time[dead & (out.death_time > other_death_days)] = np.nan
