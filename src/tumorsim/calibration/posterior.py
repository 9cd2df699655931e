"""Bayesian calibration: a posterior ensemble of parameter sets from an emulated likelihood.

Why this method. tumorsim is a stochastic simulator whose summaries (survival fractions,
hazard and rate ratios) cost tens of seconds per parameter set on two cores. ABC-SMC
(pyabc) or sbi need thousands to tens of thousands of such runs; that is days here. The
calibration therefore runs the simulator at a space-filling design of a few hundred
parameter sets (a Latin hypercube over the priors, checkpointed to disk so an interrupted
run resumes), fits one Gaussian-process emulator per summary (scikit-learn; each emulator
carries its own uncertainty and the Monte Carlo noise of the summaries as a fitted white
noise), and samples the posterior with emcee's affine-invariant ensemble sampler on the
likelihood

    log L(theta) = -1/2 sum_k [(y_k - m_k(theta))^2 / v_k(theta) + log v_k(theta)],
    v_k(theta) = se_k^2 + s_k(theta)^2,

``y_k`` the observed target with its standard error ``se_k`` and ``m_k, s_k`` the
emulator's mean and standard deviation (which include the simulator's Monte Carlo noise).
The priors are uniform on each parameter's scale (:mod:`tumorsim.calibration.priors`).

The emulators are fitted where the posterior is, not over the whole prior (history
matching's discipline): a Latin hypercube's points mostly miss the targets by tens of
standard errors, and one Gaussian process over all of them learns one noise level from
the regions where the summaries swing widest (few events, ratios of small counts), which
then blurs the likelihood exactly where it must discriminate. So the per-target emulators
are fitted on the *plausible* design points (:func:`plausible_points`: the simulated sum of
squared standardised misses within :data:`PLAUSIBLE_FACTOR` times the smallest, and at
least :data:`PLAUSIBLE_AT_LEAST` points), and the sampler is kept inside the region they
cover by one more emulator, of the log of that sum over every design point: a parameter
set whose optimistic (mean minus two standard deviations) emulated misses exceed the
plausible limit has likelihood zero. The walkers start at the design points with the
smallest misses.

The emulator is honest only where the design covers the posterior, so the product is
checked by posterior predictive simulation: the real simulator at posterior draws against
every target.

Everything is seeded: the design (``seed``), the simulations (``seed`` for common random
numbers across design points), the emulator fit and the sampler; the same seed and budget
give the same ensemble.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tumorsim.calibration.priors import FITTED, FittedParameter, values_from_unit
from tumorsim.errors import TumorsimError
from tumorsim.model.ensemble import PriorRange

__all__ = [
    "PLAUSIBLE_AT_LEAST",
    "PLAUSIBLE_FACTOR",
    "SAMPLER_MOVES",
    "Emulator",
    "PosteriorResult",
    "chain_autocorrelation",
    "design_points",
    "distinct_points",
    "emulator_check",
    "emulator_coverage",
    "fit_emulator",
    "median_misses_difference",
    "plausible_points",
    "read_designs",
    "refinement_points",
    "run_design",
    "sample_posterior",
    "squared_misses",
    "standardised_misses",
]

PLAUSIBLE_FACTOR = 2.0
"""A design point is plausible when its sum of squared standardised misses is at most this
many times the smallest of the design."""
PLAUSIBLE_AT_LEAST = 200
"""The per-target emulators are fitted on at least this many design points (the ones with
the smallest misses), however few are within :data:`PLAUSIBLE_FACTOR`: the whole
hypercube for the first wave, and enough points for 27 dimensions at the end (100 placed
run9's waves poorly; docs/posterior.md, why run8 was not adopted)."""
REGION_SD = 2.0
"""A parameter set is outside the plausible region when the emulated log misses, less
this many of their standard deviations, exceed the plausible limit."""

SAMPLER_MOVES = ("stretch", "differential-evolution")
"""The ensemble sampler's proposals: emcee's default affine-invariant stretch move (how
run20 and the fits before it were sampled), or its differential-evolution move with a
fifth of snooker updates (emcee's ``DEMove`` and ``DESnookerMove``; how the shipped
posterior, run22, and run20de before it, were sampled), which mixes faster when the
stretch move's acceptance falls in many dimensions."""

SummaryFunction = Callable[[dict[str, float], int], Mapping[str, float]]
"""``summaries(values, seed)``: simulated target values at a parameter set."""


def design_points(n: int, dimensions: int, seed: int) -> np.ndarray:
    """A Latin hypercube of ``n`` points in the unit cube (scipy, seeded)."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=dimensions, seed=np.random.default_rng(seed)).random(n)


def run_design(summaries: SummaryFunction, *, points: int, seed: int,
               checkpoint: str | Path | None = None,
               fitted: Sequence[FittedParameter] = FITTED,
               progress: Callable[[int, int], None] | None = None,
               fingerprint: str = "",
               nuisance: Mapping[str, PriorRange] | None = None,
               units: np.ndarray | None = None, first_point: int = 0) -> pd.DataFrame:
    """Simulated summaries at every design point; resumes from ``checkpoint``.

    The points are a Latin hypercube of ``points`` (seeded by ``seed``), or ``units`` (unit-
    cube coordinates, shape (points, dimensions)) when given: a later wave of a sequential
    design, numbered from ``first_point`` in the checkpoint, which holds every wave.

    ``fingerprint`` names what the summaries depend on besides the parameters (the base
    biology, the simulation sizes); a checkpoint written under another fingerprint is
    refused rather than mixed in.

    ``nuisance`` parameters (the M1-M3 mechanism parameters: never fitted) get, at each
    design point, a value drawn from their prior (a second Latin hypercube, seeded apart,
    so the fitted coordinates are those of a design without them). They are not
    coordinates of the emulators: an emulator then predicts a target's mean over the
    nuisance prior, and the spread the nuisance causes enters its noise term, so the
    likelihood is marginalised over the mechanism priors instead of conditioned on one
    value of them.

    Returns
    -------
    pandas.DataFrame
        One row per design point: ``point``, ``u_<k>`` (unit-cube coordinates), the
        parameter values by name and the summaries by target name.
    """
    u = design_points(points, len(fitted), seed) if units is None else np.asarray(units, float)
    names = list(nuisance or {})
    v = (design_points(points, len(names), seed + 1 + first_point) if names
         else np.empty((points, 0)))
    done: dict[int, dict[str, object]] = {}
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        for record in pd.read_parquet(path, use_threads=False).to_dict("records"):
            if record.get("fingerprint", "") != fingerprint:
                raise TumorsimError(
                    f"{path}: a design of another biology or simulation size "
                    f"({record.get('fingerprint', '')!r}, this run {fingerprint!r}); allowed: "
                    "a new directory, or the same command on the same version")
            done[int(record["point"])] = record
    for i in range(points):
        point = first_point + i
        if point in done:
            saved = np.array([done[point][f"u_{k}"] for k in range(len(fitted))], dtype=float)
            if not np.allclose(saved, u[i], rtol=0.0, atol=1e-9):
                raise TumorsimError(
                    f"{path}: design point {point} was simulated at other coordinates than "
                    "this run's; allowed: a new directory, or the same command on the same "
                    "version")
        else:
            values = values_from_unit(u[i], fitted)
            drawn = {n: float(nuisance[n].sample(v[i, k : k + 1])[0])  # type: ignore[index]
                     for k, n in enumerate(names)}
            sims = summaries({**values, **drawn}, seed)
            row: dict[str, object] = {"point": point, "fingerprint": fingerprint}
            row.update({f"u_{k}": float(x) for k, x in enumerate(u[i])})
            row.update(values)
            row.update({f"nuisance.{n}": x for n, x in drawn.items()})
            row.update({k: float(v) for k, v in sims.items()})
            done[point] = row
            if path is not None:
                _write_parquet(pd.DataFrame([done[j] for j in sorted(done)]), path)
        if progress is not None:
            progress(i + 1, points)
    return pd.DataFrame([done[first_point + j] for j in range(points)])


def refinement_points(result: PosteriorResult, n: int, seed: int) -> np.ndarray:
    """``n`` points for the next wave of a sequential design: distinct samples of the
    emulated posterior (unit-cube coordinates, from the chain after its burn-in).

    A Latin hypercube spends most of its points where the likelihood is negligible; the
    emulator is then least accurate where the posterior lies. Simulating at the current
    posterior's own samples and refitting (history matching's waves) puts the design where
    the answer is, and each wave's predictive checks show whether it has settled.
    """
    d = len(result.fitted)
    burn = int(result.diagnostics["burn_in_steps"])  # type: ignore[call-overload]
    kept = result.chain[burn:].reshape(-1, d)
    rng = np.random.default_rng(seed)
    unique = np.unique(kept, axis=0)
    pick = rng.choice(len(unique), size=min(n, len(unique)), replace=False)
    return unique[np.sort(pick)]


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def standardised_misses(design: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Each design point's (simulated - observed) / se, one column per target.

    ``observed`` has ``target``, ``value`` and ``se``; targets the design lacks are left
    out, the others keep ``observed``'s order. NaN where the simulation gave no value.
    """
    obs = observed.set_index("target")
    names = [t for t in obs.index if t in design.columns]
    return (design[names] - obs.loc[names, "value"]) / obs.loc[names, "se"]


def read_designs(paths: Sequence[str | Path]) -> list[pd.DataFrame]:
    """The ``design.parquet`` files of calibration runs, read; a path that is no file is
    refused with one line naming it."""
    for path in paths:
        if not Path(path).is_file():
            raise TumorsimError(f"{path}: no such file; allowed: the design.parquet of a "
                                "tumorsim calibrate-posterior run")
    return [pd.read_parquet(p) for p in paths]


def distinct_points(designs: Sequence[pd.DataFrame],
                    observed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The points of one or more designs made on the same targets, each simulated point
    once (a shared Latin hypercube counts once), and their :func:`standardised_misses`.

    Returns
    -------
    design, misses : pandas.DataFrame
        The distinct points' rows, and their standardised misses (same index).
    """
    design = pd.concat(list(designs), ignore_index=True)
    z = standardised_misses(design, observed)
    keep = ~design.duplicated(subset=list(z.columns))
    return design[keep], z[keep]


def squared_misses(design: pd.DataFrame, observed: pd.DataFrame) -> np.ndarray:
    """Each design point's sum over the targets of ((simulated - observed) / se)^2
    (:func:`standardised_misses`).

    A point where the simulation gave no value for some target (no events) gets infinity:
    it is never plausible.
    """
    out = (standardised_misses(design, observed).to_numpy(float) ** 2).sum(axis=1)
    out[~np.isfinite(out)] = np.inf
    return out


def median_misses_difference(misses: np.ndarray, reference: np.ndarray, *,
                             replicates: int = 4000, seed: int = 0) -> pd.DataFrame:
    """How far two runs' predictive checks can be told apart by their medians.

    Parameters
    ----------
    misses, reference : numpy.ndarray
        Each checked draw's sum of squared standardised misses (:func:`squared_misses`)
        for a run and for the run it is compared with.
    replicates : int
        Bootstrap resamples; each resample draws each run's checks with replacement on
        their own (the two runs' parameter draws are independent).
    seed : int
        Seeds the resampling (``numpy.random.default_rng(seed)``).

    Returns
    -------
    pandas.DataFrame
        Rows ``run``, ``reference`` and ``difference`` (run minus reference), columns
        ``median``, ``low`` and ``high`` (the 2.5 and 97.5 percentiles of the resampled
        medians).
    """
    a = np.asarray(misses, dtype=float)
    b = np.asarray(reference, dtype=float)
    if a.size == 0 or b.size == 0 or replicates < 1:
        raise TumorsimError(f"{a.size} and {b.size} checked draws, {replicates} replicates: "
                            "allowed: at least one of each")
    rng = np.random.default_rng(seed)
    ma = np.median(rng.choice(a, (replicates, a.size)), axis=1)
    mb = np.median(rng.choice(b, (replicates, b.size)), axis=1)
    rows = {"run": (np.median(a), ma), "reference": (np.median(b), mb),
            "difference": (np.median(a) - np.median(b), ma - mb)}
    return pd.DataFrame(
        [(name, float(point), *np.percentile(boot, [2.5, 97.5]))
         for name, (point, boot) in rows.items()],
        columns=["row", "median", "low", "high"]).set_index("row")


def plausible_points(misses: np.ndarray, factor: float = PLAUSIBLE_FACTOR,
                     at_least: int = PLAUSIBLE_AT_LEAST) -> np.ndarray:
    """Which design points the per-target emulators are fitted on (a boolean mask).

    Those whose misses (:func:`squared_misses`) are at most ``factor`` times the smallest,
    and at least the ``at_least`` points with the smallest misses (all of them in a design
    that small).
    """
    misses = np.asarray(misses, float)
    keep = misses <= factor * np.min(misses)
    order = np.argsort(misses, kind="stable")
    keep[order[: min(at_least, len(misses))]] = True
    return keep


def _gaussian_process(x: np.ndarray, y: np.ndarray, dimensions: int, seed: int) -> object:
    """Matern 5/2 with automatic relevance, plus white noise (scikit-learn)."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = (ConstantKernel(1.0, (1e-3, 1e3))
              * Matern(length_scale=np.full(dimensions, 0.5), length_scale_bounds=(0.05, 20.0),
                       nu=2.5)
              + WhiteKernel(1e-3, (1e-8, 1.0)))
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=2,
                                  random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gp.fit(x, y)
    return gp


@dataclass
class Emulator:
    """One Gaussian process per target over the unit cube, fitted on the plausible design
    points, and the plausible region they cover.

    Attributes
    ----------
    targets : list of str
    models : dict of str to sklearn GaussianProcessRegressor
    dimensions : int
    region : sklearn GaussianProcessRegressor
        The log of the sum of squared standardised misses, over every design point.
    region_limit : float
        The log of the plausible limit (:data:`PLAUSIBLE_FACTOR` times the smallest misses,
        or the largest misses among the points the emulators were fitted on).
    start : numpy.ndarray, shape (n, dimensions)
        The design points with the smallest misses, best first (where the walkers start).
    """

    targets: list[str]
    models: dict[str, object]
    dimensions: int
    region: object
    region_limit: float
    start: np.ndarray

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation, shape (n_points, n_targets)."""
        u = np.atleast_2d(u)
        means = np.empty((u.shape[0], len(self.targets)))
        sds = np.empty_like(means)
        for k, t in enumerate(self.targets):
            m, s = self.models[t].predict(u, return_std=True)  # type: ignore[attr-defined]
            means[:, k] = m
            sds[:, k] = s
        return means, sds

    def plausible(self, u: np.ndarray) -> np.ndarray:
        """Whether each point of ``u`` (shape (n, d)) is inside the plausible region."""
        m, s = self.region.predict(np.atleast_2d(u), return_std=True)  # type: ignore[attr-defined]
        return np.asarray(m - REGION_SD * s <= self.region_limit)


def fit_emulator(design: pd.DataFrame, observed: pd.DataFrame, dimensions: int,
                 seed: int, *, factor: float = PLAUSIBLE_FACTOR,
                 at_least: int = PLAUSIBLE_AT_LEAST) -> Emulator:
    """Fit the emulators of every target of ``observed`` the design has (``target``,
    ``value``, ``se``) on the plausible design points (:func:`plausible_points` with
    ``factor`` and ``at_least``), and the plausible region's emulator on all of them (see
    the module docstring)."""
    names = [t for t in observed["target"] if t in design.columns]
    x = design[[f"u_{k}" for k in range(dimensions)]].to_numpy(float)
    misses = squared_misses(design, observed)
    keep = plausible_points(misses, factor, at_least)
    models: dict[str, object] = {}
    for t in names:
        y = design[t].to_numpy(float)
        ok = keep & np.isfinite(y)
        models[t] = _gaussian_process(x[ok], y[ok], dimensions, seed)
    finite = np.isfinite(misses)
    log_misses = np.log(np.where(finite, misses, np.max(misses[finite])))
    region = _gaussian_process(x, log_misses, dimensions, seed)
    limit = float(max(np.log(factor * np.min(misses)), np.max(log_misses[keep])))
    order = np.argsort(misses, kind="stable")
    return Emulator(names, models, dimensions, region, limit, x[order[keep[order]]])


def log_likelihood(emulator: Emulator, observed: np.ndarray, se: np.ndarray,
                   u: np.ndarray) -> np.ndarray:
    """The emulated log likelihood at points ``u`` (shape (n, d)); -inf outside the cube
    and outside the plausible region."""
    u = np.atleast_2d(u)
    inside = np.all((u >= 0.0) & (u <= 1.0), axis=1)
    if inside.any():
        inside[inside] = emulator.plausible(u[inside])
    out = np.full(u.shape[0], -np.inf)
    if inside.any():
        m, s = emulator.predict(u[inside])
        v = se[None, :] ** 2 + s ** 2
        out[inside] = -0.5 * np.sum((observed[None, :] - m) ** 2 / v + np.log(v), axis=1)
    return out


def emulator_check(emulator: Emulator, draws: pd.DataFrame, simulated: pd.DataFrame,
                   fitted: Sequence[FittedParameter]) -> pd.DataFrame:
    """The emulator against the simulator at the posterior draws the predictive checks ran.

    Parameters
    ----------
    emulator : Emulator
        The emulator the posterior was sampled with.
    draws : pandas.DataFrame
        The posterior draws (``draw`` and each fitted parameter by name, in its unit).
    simulated : pandas.DataFrame
        The predictive checks: ``draw`` and the simulated value of each target.
    fitted : sequence of FittedParameter
        The fitted parameters, in the emulator's order.

    Returns
    -------
    pandas.DataFrame
        One row per checked draw and target: ``draw``, ``target``, ``emulated`` (the
        emulator's mean), ``emulator_sd`` (its standard deviation, which includes the Monte
        Carlo noise of a simulation at the design's sizes), ``simulated`` and
        ``z = (simulated - emulated) / emulator_sd``. Checks simulated at larger sizes than
        the design's carry less noise than ``emulator_sd`` allows for, so ``|z|`` is, if
        anything, too small: a target the emulator misses by more than 2 there is one whose
        posterior the sampler could not see.
    """
    by_draw = draws.set_index("draw")
    checked = simulated["draw"].astype(int).to_numpy()
    u = np.column_stack([p.to_unit(by_draw.loc[checked, p.name].to_numpy(float))
                         for p in fitted])
    means, sds = emulator.predict(u)
    columns = [j for j, t in enumerate(emulator.targets) if t in simulated.columns]
    targets = [emulator.targets[j] for j in columns]
    emulated, sd = means[:, columns], sds[:, columns]
    value = simulated[targets].to_numpy(float)
    return pd.DataFrame({
        "draw": np.repeat(checked, len(targets)),
        "target": np.tile(targets, len(checked)),
        "emulated": emulated.ravel(), "emulator_sd": sd.ravel(), "simulated": value.ravel(),
        "z": ((value - emulated) / sd).ravel(),
    })


def emulator_coverage(check: pd.DataFrame) -> pd.DataFrame:
    """Per target, how well the emulator foresaw the simulator over the checked draws.

    Parameters
    ----------
    check : pandas.DataFrame
        The output of :func:`emulator_check`.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``within_2_sd`` (the share of draws whose
        simulated value lies within two emulator standard deviations of the emulated one),
        ``median_z`` and ``draws``; worst first by ``within_2_sd``, then by ``|median_z|``.
    """
    finite = check[np.isfinite(check["z"])]
    grouped = finite.groupby("target", sort=False)["z"]
    table = pd.DataFrame({
        "within_2_sd": grouped.apply(lambda z: float(np.mean(np.abs(z) <= 2.0))),
        "median_z": grouped.median(),
        "draws": grouped.size(),
    }).reset_index()
    order = np.lexsort((-np.abs(table["median_z"].to_numpy()),
                        table["within_2_sd"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


@dataclass
class PosteriorResult:
    """The posterior ensemble and how it was obtained.

    Attributes
    ----------
    draws : pandas.DataFrame
        One row per posterior draw: ``draw`` and each fitted parameter by name.
    chain : numpy.ndarray, shape (steps, walkers, dimensions)
        The sampler's chain in unit-cube coordinates (burn-in included).
    diagnostics : dict
        ``acceptance_fraction``, ``autocorrelation_steps`` (per parameter),
        ``effective_sample_size``, ``burn_in_steps``, ``walkers``, ``steps``.
    targets : pandas.DataFrame
        The targets with the emulator's prediction at the posterior median.
    """

    draws: pd.DataFrame
    chain: np.ndarray
    diagnostics: dict[str, object]
    targets: pd.DataFrame
    fitted: tuple[FittedParameter, ...] = field(default=FITTED)
    held: dict[str, float] = field(default_factory=dict)

    def median(self) -> dict[str, float]:
        """The posterior median of each fitted parameter, and each held parameter's value."""
        return {**{p.name: float(self.draws[p.name].median()) for p in self.fitted},
                **self.held}

    def holding(self, held: Mapping[str, float]) -> PosteriorResult:
        """This result with ``held`` parameters (fixed, not fitted) as constant columns of
        the draws, so every consumer of the draws sees the whole biology that was fitted."""
        draws = self.draws.assign(**{n: float(v) for n, v in held.items()})
        return PosteriorResult(draws, self.chain, self.diagnostics, self.targets,
                               self.fitted, {**self.held, **held})

    def record(self) -> dict[str, object]:
        """A JSON-ready record (diagnostics, priors, targets, medians)."""
        return {
            "diagnostics": self.diagnostics,
            "priors": [{"name": p.name, "scale": p.scale, "low": p.low, "high": p.high,
                        "reason": p.reason} for p in self.fitted],
            "held": self.held,
            "posterior_median": self.median(),
            "targets": self.targets.to_dict("records"),
        }


def chain_autocorrelation(chain: np.ndarray, burn_in: int) -> tuple[np.ndarray, float]:
    """emcee's integrated autocorrelation time of each parameter over ``chain`` (shape
    (steps, walkers, dimensions)) after ``burn_in`` steps, and the effective sample size:
    the kept samples (steps x walkers) over the longest time."""
    import emcee

    kept = chain[burn_in:]
    tau = np.asarray(emcee.autocorr.integrated_time(kept, quiet=True), dtype=float)
    ess = float(kept.shape[0] * kept.shape[1] / max(float(np.max(tau)), 1.0))
    return tau, ess


def sample_posterior(emulator: Emulator, targets: pd.DataFrame, *, seed: int,
                     walkers: int | None = None, steps: int = 3000, burn_in: int = 1000,
                     draws: int = 200, fitted: Sequence[FittedParameter] = FITTED,
                     moves: str = "stretch") -> PosteriorResult:
    """Sample the emulated posterior with emcee and thin it to ``draws`` parameter sets.

    ``walkers`` defaults to 32, or to 2 per dimension and 8 more when that is larger (the
    ensemble's stretch moves need more walkers than twice the dimensions). ``moves`` is one
    of :data:`SAMPLER_MOVES`.
    """
    import emcee

    if moves not in SAMPLER_MOVES:
        raise TumorsimError(f"moves {moves!r}: allowed: {', '.join(SAMPLER_MOVES)}")
    proposal = (None if moves == "stretch"
                else [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)])

    d = len(fitted)
    walkers = walkers or max(32, 2 * d + 8)
    obs = targets.set_index("target").loc[emulator.targets]
    y = obs["value"].to_numpy(float)
    se = obs["se"].to_numpy(float)
    rng = np.random.default_rng(seed)
    # every walker starts at one of the best design points, jittered apart
    best = emulator.start[np.arange(walkers) % len(emulator.start)]
    start = np.clip(best + rng.normal(0.0, 0.01, size=(walkers, d)), 0.0, 1.0)
    sampler = emcee.EnsembleSampler(
        walkers, d, lambda u: log_likelihood(emulator, y, se, u), vectorize=True,
        moves=proposal)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(start, steps, progress=False)
    chain = sampler.get_chain()
    kept = chain[burn_in:].reshape(-1, d)
    tau, ess = chain_autocorrelation(chain, burn_in)
    pick = np.linspace(0, kept.shape[0] - 1, draws).round().astype(int)
    u = kept[rng.permutation(pick)]
    values = pd.DataFrame({p.name: p.from_unit(u[:, k]) for k, p in enumerate(fitted)})
    values.insert(0, "draw", np.arange(draws))
    median_u = np.median(kept, axis=0)
    m, s = emulator.predict(median_u)
    table = obs.reset_index()[["target", "value", "se", "kind"]].assign(
        emulated_at_median=m[0], emulator_sd=s[0])
    diagnostics: dict[str, object] = {
        "method": "Gaussian-process emulator (scikit-learn) + emcee ensemble sampler",
        "acceptance_fraction": float(np.mean(sampler.acceptance_fraction)),
        "autocorrelation_steps": {p.name: float(t) for p, t in zip(fitted, tau, strict=True)},
        "effective_sample_size": ess,
        "burn_in_steps": burn_in, "walkers": walkers, "steps": steps, "draws": draws,
        "seed": seed,
    }
    if moves != "stretch":
        diagnostics["moves"] = moves
    return PosteriorResult(values, chain, diagnostics, table, tuple(fitted))


def write_posterior(result: PosteriorResult, directory: str | Path, *, command: str
                    ) -> list[Path]:
    """Write ``posterior_draws.parquet`` and ``posterior.json`` (with ``command``)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    draws = out / "posterior_draws.parquet"
    _write_parquet(result.draws, draws)
    record = {"command": command, **result.record()}
    meta = out / "posterior.json"
    tmp = meta.with_name(meta.name + ".partial")
    tmp.write_text(json.dumps(record, indent=2, default=_json_default) + "\n")
    tmp.replace(meta)
    return [draws, meta]


def _json_default(x: object) -> object:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    raise TypeError(type(x))
