"""Per-patient random streams and samplers, compiled with numba.

Every patient has its own streams keyed by ``(master seed, patient id, purpose)``, so the
numbers a patient sees do not depend on chunking, thread count or worker count. The
generator is SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of xoshiro), whose
64-bit state is held in a one-element ``uint64`` array passed by reference.

Samplers: uniform (53-bit), standard normal (polar Box-Muller), Poisson (inversion below a
mean of 10, Hörmann's 1993 PTRS transformed rejection above), binomial (inversion while the
expected count of the rarer outcome is below 20, otherwise a continuity-corrected normal
approximation clipped to 0..n) and gamma (Marsaglia & Tsang 2000).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PATIENT_KEY = np.uint64(0xD1B54A32D192ED03)
_PURPOSE_KEY = np.uint64(0x8CB92BA72F3D8DD7)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0

PURPOSE_COVARIATES = 1
"""Stream used to sample a virtual patient's covariates."""
PURPOSE_TRAITS = 2
"""Stream used to sample a patient's own parameters (growth, dissemination, CXCL trait)."""
PURPOSE_DYNAMICS = 3
"""Stream used by the engine while simulating the patient."""
PURPOSE_ENSEMBLE = 4
"""Stream that assigns a patient to a parameter draw of an ensemble run."""
PURPOSE_OTHER_CAUSE_DEATH = 5
"""Stream that draws a patient's time of death from other causes (competing mortality)."""


@nb.njit(inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@nb.njit
def stream_key(seed: np.uint64, patient_id: np.uint64, purpose: np.uint64) -> np.uint64:
    """Initial state of the stream of one patient and purpose."""
    h = _mix(np.uint64(seed) + _GOLDEN)
    h = _mix(h ^ (np.uint64(patient_id) * _PATIENT_KEY + _GOLDEN))
    h = _mix(h ^ (np.uint64(purpose) * _PURPOSE_KEY + _GOLDEN))
    return h


@nb.njit(inline="always")
def next_u64(state: np.ndarray) -> np.uint64:
    state[0] += _GOLDEN
    return _mix(state[0])


@nb.njit(inline="always")
def uniform(state: np.ndarray) -> float:
    """Uniform on the open interval (0, 1)."""
    return (float(next_u64(state) >> _S11) + 0.5) * _TWO_M53


@nb.njit
def normal(state: np.ndarray) -> float:
    """Standard normal (polar method; the second variate is discarded for simplicity)."""
    while True:
        u = 2.0 * uniform(state) - 1.0
        v = 2.0 * uniform(state) - 1.0
        s = u * u + v * v
        if 0.0 < s < 1.0:
            return u * math.sqrt(-2.0 * math.log(s) / s)


@nb.njit
def poisson(state: np.ndarray, lam: float) -> float:
    """Poisson variate with mean ``lam`` (returned as a float holding an integer)."""
    if lam <= 0.0:
        return 0.0
    if lam < 10.0:
        # inversion by sequential search
        u = uniform(state)
        k = 0.0
        p = math.exp(-lam)
        cdf = p
        while u > cdf and k < 1000.0:
            k += 1.0
            p *= lam / k
            cdf += p
        return k
    # PTRS, Hörmann (1993) "The transformed rejection method for generating Poisson
    # random variables", Insurance: Mathematics and Economics 12:39-45.
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(state) - 0.5
        v = uniform(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return k


@nb.njit
def binomial(state: np.ndarray, n: float, p: float) -> float:
    """Binomial variate: ``n`` trials (a float holding an integer) with success ``p``."""
    if n <= 0.0 or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return n
    flip = p > 0.5
    q = 1.0 - p if flip else p
    if n * q < 20.0:
        # inversion: P(0) = (1-q)^n, P(k+1)/P(k) = (n-k)/(k+1) * q/(1-q)
        u = uniform(state)
        ratio = q / (1.0 - q)
        prob = math.exp(n * math.log1p(-q))
        cdf = prob
        k = 0.0
        while u > cdf and k < n:
            prob *= (n - k) / (k + 1.0) * ratio
            k += 1.0
            cdf += prob
        x = k
    else:
        mean = n * q
        sd = math.sqrt(mean * (1.0 - q))
        x = math.floor(mean + sd * normal(state) + 0.5)
        x = min(max(x, 0.0), n)
    return n - x if flip else x


@nb.njit
def gamma(state: np.ndarray, shape: float) -> float:
    """Gamma variate with unit scale, ``shape > 0`` (Marsaglia & Tsang 2000).

    For ``shape < 1`` it uses ``Gamma(a) = Gamma(a + 1) U^(1/a)`` (same paper, section 6).
    """
    boost = 1.0
    if shape < 1.0:
        boost = uniform(state) ** (1.0 / shape)
        shape += 1.0
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(state)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = uniform(state)
        if u < 1.0 - 0.0331 * x * x * x * x:
            return d * v * boost
        if math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v * boost


@nb.njit
def negative_binomial(state: np.ndarray, k: float, success: float) -> float:
    """Failures before ``k`` successes, each trial succeeding with ``success``."""
    if k <= 0.0 or success >= 1.0:
        return 0.0
    mean_scale = (1.0 - success) / success
    return poisson(state, gamma(state, k) * mean_scale)


@nb.njit(parallel=True, cache=True)
def _patient_uniforms(seed: np.uint64, ids: np.ndarray, k: int, purpose: int) -> np.ndarray:
    out = np.empty((ids.shape[0], k))
    for i in nb.prange(ids.shape[0]):
        state = np.empty(1, dtype=np.uint64)
        state[0] = stream_key(seed, np.uint64(ids[i]), np.uint64(purpose))
        for j in range(k):
            out[i, j] = uniform(state)
    return out


def patient_uniforms(seed: int, patient_ids: np.ndarray, k: int, purpose: int) -> np.ndarray:
    """``k`` uniforms in (0, 1) per patient from that patient's own stream.

    Parameters
    ----------
    seed : int
        Master seed.
    patient_ids : ndarray of int, shape (n,)
        Global patient identifiers (not positions in a chunk).
    k : int
        Number of uniforms per patient.
    purpose : int
        Which stream (a ``PURPOSE_*`` constant).

    Returns
    -------
    ndarray, shape (n, k)
    """
    ids = np.ascontiguousarray(patient_ids, dtype=np.int64)
    return _patient_uniforms(np.uint64(seed), ids, int(k), int(purpose))
