"""Global sensitivity analysis with SALib: which unknowns a simulated answer hangs on.

Two methods, one result type::

    from tumorsim import sensitivity
    from tumorsim.trial import load_trial

    trial = load_trial("examples/trial_cxcr2.toml")
    screen = sensitivity.morris(trial, ["hr:distant_lung:AC_T_CXCR2i/AC_T"],
                                parameters=["M2"], trajectories=8, patients=500, seed=1)
    screen.indices          # one row per factor: mu_star with its bootstrap interval
    few = screen.indices.nsmallest(4, "rank")["factor"].tolist()
    result = sensitivity.sobol(trial, ["hr:distant_lung:AC_T_CXCR2i/AC_T"],
                               parameters=few, base_samples=32, patients=500, seed=1)
    result.indices          # S1 and ST with SALib's bootstrap intervals
    result.summary          # output spread, Monte Carlo noise, and the noise share
    result.plot()           # ranked indices with intervals (a matplotlib Figure)
    result.save("runs/cxcr2_sobol")   # Parquet tables, JSON, PNG

- :func:`morris` screens many factors with few simulations (elementary effects,
  ``mu_star``: mean absolute change of the output over a factor's whole range).
- :func:`sobol` apportions the output's variance: first-order ``S1`` (the factor alone)
  and total ``ST`` (with all its interactions), Saltelli's sampling, SALib's bootstrap
  intervals.

**What is varied** (:mod:`tumorsim.sensitivity.problem`): parameters, site and
clone attributes over their documented ranges, linear or log scale by span, selected by
name, registry group or mechanism (``M1``, ``M2``, ``M3``), optionally in groups that get
one index each.

**What is measured** (:mod:`tumorsim.sensitivity.outputs`): event-free
probabilities and site relapse proportions at a time, arm differences and hazard ratios
of a trial; or any columns of a Python function of the factor values.

**Common random numbers.** Every sample is simulated with the same seed and the same
virtual cohort (each patient keeps her covariates and random streams), so differences
between samples come from the factors, not from drawing other patients.

**Monte Carlo noise.** A finite cohort makes every output noisy, and with common random
numbers the noise that matters is the noise of a *difference* between two samples (the
same patients, other factor values), not of one sample. So ``noise_blocks`` blocks of the
design, spread over it (Morris: trajectories of ``G + 1`` points; Sobol: base rows, points
``A``, ``AB_1 ... AB_G``, ``B``), are simulated again with ``noise_replicates`` other
seeds (``seed + 1, ...``: other cohorts, other streams), and every index gets a
``noise_floor`` from the spread across seeds of its own building blocks, the variances
pooled over the blocks (``noise_blocks * noise_replicates`` degrees of freedom):

- Morris: the elementary effect of factor ``i`` on a trajectory,
  ``EE_i = (y(x + delta e_i) - y(x)) / delta``; ``noise_floor`` is its standard deviation
  across the seeds (the main seed included), the ``mu_star`` a factor gets from noise.
- Sobol: ``D_i = y(A) - y(AB_i)``, from which the total index is built
  (``ST_i = mean(D_i**2) / (2 var(y))``, Jansen); ``noise_floor = var_seeds(D_i) /
  (2 var(y))`` is the part of ``ST_i`` noise adds.

A floor estimated from a few seeds is itself uncertain, so a factor is ``above_noise``
when the lower end of its interval (``mu_star`` or ``ST``) exceeds ``noise_floor_upper``,
the upper one-sided ``conf_level`` bound of the floor (chi-square with
``noise_blocks * noise_replicates`` degrees of freedom: 3.7x the variance estimate for 6,
2.9x for 8; the square root of that for Morris' standard deviation). The summary also
gives ``noise_sd``, the standard deviation of the output itself across seeds at the
first design point (independent cohorts), and ``noise_share = noise_sd**2 /
var(output)``: without common random numbers this share of the output variance would be
noise (a conservative bound). Choose ``patients`` so that
the noise floors are well below the indices that matter. With ``dummy=True`` a factor the
model never reads is added: with common random numbers its output never changes, so its
index is 0 exactly, which checks the pairing rather than the noise.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd

from tumorsim.errors import AnalysisError, ResultsError
from tumorsim.io.atomic import make_staging_dir, replace_dir
from tumorsim.sensitivity.outputs import OutputSpec, output_value, parse_output
from tumorsim.sensitivity.problem import (
    DUMMY_FACTOR,
    FactorScale,
    SensitivityProblem,
    define_problem,
    scenario_changes,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tumorsim.model.scenario import Scenario
    from tumorsim.trial.design import Trial

__all__ = [
    "SENSITIVITY_FILES",
    "ModelFunction",
    "SensitivityResult",
    "define_problem",
    "load_sensitivity",
    "morris",
    "sobol",
]

ModelFunction = Callable[[pd.DataFrame, int], Any]
"""A model as a Python function: ``f(values, seed)`` gets one row per sample (one column
per factor, in the factors' units) and returns a DataFrame (or a mapping of arrays) with
one column per output and one row per sample."""

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)`` after each model evaluation (simulations)."""

SENSITIVITY_FILES: Final[dict[str, str]] = {
    "indices": "indices.parquet",
    "samples": "samples.parquet",
    "noise": "noise.parquet",
    "factors": "factors.parquet",
    "record": "sensitivity.json",
    "figure": "sensitivity.png",
}
"""What :meth:`SensitivityResult.save` writes into its directory."""

Method = Literal["sobol", "morris"]


# --- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityResult:
    """What :func:`sobol` and :func:`morris` return: indices, samples and noise as DataFrames.

    Attributes
    ----------
    method : {"sobol", "morris"}
    outputs : tuple of str
        The outputs analysed, as named.
    problem : SensitivityProblem
        The factors, ranges, scales and groups.
    indices : pandas.DataFrame
        One row per output and factor (or group). Columns ``output``, ``factor``,
        ``members`` (the factors of a group, comma-separated), ``rank`` (1 = most
        influential, per output), then for Sobol ``S1``, ``S1_conf``, ``S1_low``,
        ``S1_high``, ``ST``, ``ST_conf``, ``ST_low``, ``ST_high`` (dimensionless shares
        of variance; ``*_conf`` is SALib's bootstrap half-width, ``*_low``/``*_high`` the
        interval), or for Morris ``mu``, ``mu_star``, ``mu_star_conf``, ``mu_star_low``,
        ``mu_star_high``, ``sigma`` (output units per whole range of the factor); and
        ``noise_floor`` (the index noise alone gives, in the index's units),
        ``noise_floor_upper`` (its upper ``conf_level`` bound) and ``above_noise`` (bool:
        the interval's lower end exceeds ``noise_floor_upper``; module docstring).
    samples : pandas.DataFrame, shape (n_samples, n_factors + n_outputs + 1)
        ``sample`` (0-based), the factor values (their units) and the outputs.
    noise : pandas.DataFrame, shape (noise_replicates * block, n_outputs + 3)
        ``replicate``, ``seed``, ``sample`` (a row of ``samples`` in the first design
        block) and the outputs, simulated again with another seed.
    settings : dict
        How the analysis ran: model name, patients per sample, seed, samples, levels,
        resamples, confidence level, wall time, version, command.
    """

    method: Method
    outputs: tuple[str, ...]
    problem: SensitivityProblem
    indices: pd.DataFrame
    samples: pd.DataFrame
    noise: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per output: spread across samples, Monte Carlo noise and its share.

        Returns
        -------
        pandas.DataFrame
            ``output``, ``samples``, ``patients_per_sample``, ``mean``, ``sd`` (across
            samples), ``noise_replicates``, ``noise_sd`` (the output across seeds at the
            first design point), ``noise_share`` (``noise_sd**2 / sd**2``),
            ``max_noise_floor`` (largest per-factor floor), ``top_factor``,
            ``factors_above_noise``.
        """
        rows = []
        for name in self.outputs:
            values = self.samples[name].to_numpy(float)
            first = self.noise[self.noise["sample"] == 0] if len(self.noise) else self.noise
            noise = np.concatenate([values[:1], first[name].to_numpy(float)]) if len(
                first) else np.array([])
            noise_sd = float(np.std(noise, ddof=1)) if noise.size >= 2 else float("nan")
            sd = float(np.std(values, ddof=1)) if values.size >= 2 else float("nan")
            share = noise_sd**2 / sd**2 if sd > 0 else float("nan")
            table = self.indices[self.indices["output"] == name].sort_values("rank")
            rows.append({
                "output": name,
                "samples": len(values),
                "patients_per_sample": self.settings.get("patients"),
                "mean": float(np.mean(values)),
                "sd": sd,
                "noise_replicates": int(self.settings.get("noise_replicates", 0)),
                "noise_sd": noise_sd,
                "noise_share": share,
                "max_noise_floor": float(table["noise_floor"].max()) if len(table) else
                float("nan"),
                "top_factor": str(table["factor"].iloc[0]) if len(table) else "",
                "factors_above_noise": int(table["above_noise"].sum()),
            })
        return pd.DataFrame(rows)

    def plot(self, output: str | None = None) -> Figure:
        """Ranked indices with their intervals (see
        :func:`tumorsim.sensitivity.figure.sensitivity_figure`).

        Parameters
        ----------
        output : str, optional
            One output; default every output, one panel each.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from tumorsim.sensitivity.figure import sensitivity_figure

        return sensitivity_figure(self, output=output)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the samples, JSON-ready (what ``sensitivity.json`` holds)."""
        return {
            "method": self.method,
            "outputs": list(self.outputs),
            "settings": self.settings,
            "factors": self.problem.table().to_dict(orient="records"),
            "summary": _records(self.summary),
            "indices": _records(self.indices),
        }

    def save(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write the result to a directory, atomically.

        Files (:data:`SENSITIVITY_FILES`): ``indices.parquet``, ``samples.parquet``,
        ``noise.parquet``, ``factors.parquet``, ``sensitivity.json`` (settings, summary,
        factors and indices) and ``sensitivity.png`` (:meth:`plot`). Everything is
        written into a hidden directory beside ``out_dir`` first and moved into place at
        the end: a failure leaves the previous content untouched.

        Parameters
        ----------
        out_dir : str or os.PathLike
            A new path, an empty directory or a previous sensitivity directory.

        Returns
        -------
        pathlib.Path

        Raises
        ------
        tumorsim.errors.ResultsError
            ``out_dir`` is a file or holds other files, or cannot be written.
        """
        out = Path(out_dir)
        check_sensitivity_dir(out)
        staging: Path | None = None
        try:
            staging = make_staging_dir(out)
            self.indices.to_parquet(staging / SENSITIVITY_FILES["indices"], index=False)
            self.samples.to_parquet(staging / SENSITIVITY_FILES["samples"], index=False)
            self.noise.to_parquet(staging / SENSITIVITY_FILES["noise"], index=False)
            self.problem.table().to_parquet(staging / SENSITIVITY_FILES["factors"],
                                            index=False)
            (staging / SENSITIVITY_FILES["record"]).write_text(
                json.dumps(self.to_dict(), indent=2, default=_json_default) + "\n")
            figure = self.plot()
            figure.savefig(staging / SENSITIVITY_FILES["figure"], dpi=110)
            replace_dir(staging, out, check_sensitivity_dir)
        except OSError as exc:
            _remove(staging)
            raise ResultsError(out, f"cannot write: {exc.strerror or exc}",
                               "a writable directory") from exc
        except BaseException:
            _remove(staging)
            raise
        return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_default(v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(float(value)) else float(value)
    return value


def check_sensitivity_dir(out_dir: str | os.PathLike[str]) -> None:
    """Check that a result may be saved to ``out_dir`` (call it before a long run).

    Raises
    ------
    tumorsim.errors.ResultsError
        ``out_dir`` exists and is not a directory, or holds files other than those of a
        previous sensitivity result.
    """
    out = Path(out_dir)
    if not out.exists():
        return
    if not out.is_dir():
        raise ResultsError(out, "exists and is not a directory",
                           "a new or sensitivity results directory")
    others = sorted(p.name for p in out.iterdir() if p.name not in SENSITIVITY_FILES.values())
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise ResultsError(out, f"holds files that are not sensitivity results ({shown}); "
                           "not replacing it",
                           "a new path, an empty directory or a previous sensitivity directory")


def _remove(staging: Path | None) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def load_sensitivity(out_dir: str | os.PathLike[str]) -> SensitivityResult:
    """Read a directory written by :meth:`SensitivityResult.save`.

    Raises
    ------
    tumorsim.errors.ResultsError
        A file is missing or not what it should be.
    """
    from tumorsim.sensitivity.problem import Factor

    out = Path(out_dir)
    for key in ("indices", "samples", "noise", "factors", "record"):
        if not (out / SENSITIVITY_FILES[key]).is_file():
            raise ResultsError(out / SENSITIVITY_FILES[key], "missing",
                               "a directory written by tumorsim sensitivity --out")
    try:
        record = json.loads((out / SENSITIVITY_FILES["record"]).read_text())
        factors = pd.read_parquet(out / SENSITIVITY_FILES["factors"])
        problem = SensitivityProblem(
            factors=tuple(Factor(str(r.factor), float(r.low), float(r.high), r.scale,
                                 str(r.unit), float(r.nominal), r.kind)
                          for r in factors.itertuples()),
            groups=tuple(str(g) for g in factors["group"]),
        )
        return SensitivityResult(
            method=record["method"],
            outputs=tuple(record["outputs"]),
            problem=problem,
            indices=pd.read_parquet(out / SENSITIVITY_FILES["indices"]),
            samples=pd.read_parquet(out / SENSITIVITY_FILES["samples"]),
            noise=pd.read_parquet(out / SENSITIVITY_FILES["noise"]),
            settings=record["settings"],
        )
    except (KeyError, ValueError, OSError) as exc:
        raise ResultsError(out, f"not a sensitivity result ({exc})",
                           "a directory written by tumorsim sensitivity --out") from exc


# --- models -----------------------------------------------------------------------------------


class _SimulationModel:
    """A scenario or trial as a model function: one simulation per sample, outputs read back.

    Every call with the same seed uses the same cohort (common random numbers).
    """

    def __init__(self, model: Scenario | Trial, specs: Sequence[OutputSpec],
                 problem: SensitivityProblem, *, patients: int, n_threads: int | None,
                 chunk_size: int) -> None:
        from tumorsim.trial.design import Trial

        self.model = model
        self.specs = tuple(specs)
        self.problem = problem
        self.patients = patients
        self.n_threads = n_threads
        self.chunk_size = chunk_size
        self.is_trial = isinstance(model, Trial)
        self._cohorts: dict[int, Any] = {}
        if isinstance(model, Trial):
            needed = {a for s in self.specs for a in s.arms}
            arms = tuple(a for a in model.arms if a.name in needed)
            self.trial: Trial | None = Trial(scenario=model.scenario, arms=arms,
                                             endpoints=model.endpoints)
            self.scenario = model.scenario
        else:
            self.trial = None
            self.scenario = model

    @property
    def horizon_days(self) -> float:
        return self.scenario.cohort.horizon_years * 365.25

    def _cohort(self, seed: int) -> Any:
        from tumorsim.cohort.population import Cohort

        if seed not in self._cohorts:
            self._cohorts = {seed: Cohort.sample(self.scenario.population, self.patients, seed)}
        return self._cohorts[seed]

    def one(self, row: Mapping[str, float], seed: int) -> dict[str, float]:
        """The outputs of one sample."""
        from pydantic import ValidationError

        from tumorsim.runner.simulate import simulate
        from tumorsim.trial.run import run_trial

        try:
            scenario = self.scenario.with_changes(**scenario_changes(row, self.problem))
        except ValidationError as exc:
            shown = ", ".join(f"{k}={float(v):.4g}" for k, v in row.items())
            message = exc.errors()[0].get("msg", str(exc))
            raise AnalysisError(f"a sample is not a valid scenario ({shown}): {message}",
                                "ranges (--range) inside which every combination is valid"
                                ) from None
        cohort = self._cohort(seed)
        if self.trial is not None:
            patients = run_trial(self.trial.with_scenario(scenario), cohort=cohort, seed=seed,
                                 chunk_size=self.chunk_size, n_threads=self.n_threads).patients
        else:
            patients = simulate(scenario, cohort, seed=seed, chunk_size=self.chunk_size,
                                n_threads=self.n_threads).patients
        return {s.text: output_value(s, patients, self.horizon_days) for s in self.specs}


def _evaluate(model: _SimulationModel | ModelFunction, outputs: Sequence[str],
              values: pd.DataFrame, seed: int, step: Callable[[], None]) -> pd.DataFrame:
    """Outputs of every sample, one row each, columns ``outputs``."""
    if isinstance(model, _SimulationModel):
        rows = []
        for record in values.to_dict(orient="records"):
            rows.append(model.one(record, seed))
            step()
        return pd.DataFrame(rows, columns=list(outputs))
    given = model(values.copy(), seed)
    frame = pd.DataFrame(given) if not isinstance(given, pd.DataFrame) else given
    missing = [o for o in outputs if o not in frame.columns]
    if missing or len(frame) != len(values):
        raise AnalysisError(
            f"the model function returned {len(frame)} rows and columns "
            f"{', '.join(map(str, frame.columns)) or 'none'}",
            f"{len(values)} rows with columns {', '.join(outputs)}")
    for _ in range(len(values)):
        step()
    return frame[list(outputs)].reset_index(drop=True).astype(float)


def _prepare(
    model: Scenario | Trial | ModelFunction,
    outputs: Sequence[str] | str,
    parameters: Sequence[str] | str,
    groups: Mapping[str, Sequence[str]] | None,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, FactorScale]] | None,
    dummy: bool,
    patients: int | None,
    horizon_years: float | None,
    seed: int | None,
    n_threads: int | None,
    chunk_size: int,
) -> tuple[SensitivityProblem, tuple[str, ...], _SimulationModel | ModelFunction, int,
           dict[str, Any]]:
    """Check every input before anything runs; build the problem and the model."""
    from tumorsim.model.scenario import Scenario
    from tumorsim.trial.design import Trial

    names = (outputs,) if isinstance(outputs, str) else tuple(outputs)
    if not names:
        raise AnalysisError("no outputs named", "at least one output, e.g. rfs_at_5y")
    if len(set(names)) != len(names):
        raise AnalysisError(f"outputs named twice: {', '.join(names)}", "distinct outputs")
    selection = [parameters] if isinstance(parameters, str) else list(parameters)
    settings: dict[str, Any] = {}
    if isinstance(model, Scenario | Trial):
        scenario = model.scenario if isinstance(model, Trial) else model
        changes: dict[str, Any] = {}
        if patients is not None:
            if patients < 1:
                raise AnalysisError(f"patients = {patients}", "at least 1 per sample")
            changes["patients"] = int(patients)
        if horizon_years is not None:
            if not 0.0 < horizon_years <= 60.0:
                raise AnalysisError(f"horizon_years = {horizon_years:g}", "in (0, 60] years")
            changes["horizon_years"] = float(horizon_years)
        if changes:
            scenario = scenario.with_changes(cohort=changes)
            model = model.with_scenario(scenario) if isinstance(model, Trial) else scenario
        arms = model.arm_names if isinstance(model, Trial) else None
        specs = [parse_output(n, arms=arms, horizon_years=scenario.cohort.horizon_years)
                 for n in names]
        problem = define_problem(selection, groups=groups, ranges=ranges, scenario=scenario,
                                 dummy=dummy)
        seed = scenario.cohort.seed if seed is None else int(seed)
        evaluator: _SimulationModel | ModelFunction = _SimulationModel(
            model, specs, problem, patients=scenario.cohort.patients, n_threads=n_threads,
            chunk_size=chunk_size)
        settings.update(model=scenario.name, model_kind="trial" if arms else "scenario",
                        patients=scenario.cohort.patients,
                        horizon_years=scenario.cohort.horizon_years,
                        arms=list(arms) if arms else None,
                        output_descriptions={s.text: s.description for s in specs},
                        scenario=json.loads(scenario.model_dump_json()))
    elif callable(model):
        if patients is not None or horizon_years is not None:
            raise AnalysisError("patients and horizon_years given for a model function",
                                "them only with a Scenario or Trial")
        problem = define_problem(selection, groups=groups, ranges=ranges, dummy=dummy)
        seed = 0 if seed is None else int(seed)
        evaluator = model
        settings.update(model=getattr(model, "__name__", "function"), model_kind="function",
                        patients=None)
    else:
        raise AnalysisError(f"model of type {type(model).__name__}",
                            "a Scenario, a Trial or a function f(values, seed)")
    if seed < 0:
        raise AnalysisError(f"seed = {seed}", "a seed >= 0")
    return problem, names, evaluator, seed, settings


def _noise_block_starts(blocks_in_design: int, noise_blocks: int) -> list[int]:
    """Which design blocks (trajectories, base rows) are replicated: spread over the design."""
    k = min(noise_blocks, blocks_in_design)
    return sorted({int(j * blocks_in_design / k) for j in range(k)})


def _replicate_blocks(evaluator: _SimulationModel | ModelFunction, outputs: Sequence[str],
                      values: pd.DataFrame, rows: np.ndarray, seed: int, replicates: int,
                      step: Callable[[], None]) -> pd.DataFrame:
    """Rows ``rows`` of the design again with seeds ``seed + 1 ... seed + replicates``."""
    frames = []
    chosen = values.iloc[rows].reset_index(drop=True)
    for r in range(replicates):
        frame = _evaluate(evaluator, outputs, chosen, seed + 1 + r, step)
        frame.insert(0, "sample", rows.astype(np.int64))
        frame.insert(0, "seed", seed + 1 + r)
        frame.insert(0, "replicate", r)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["replicate", "seed", "sample", *outputs])
    return pd.concat(frames, ignore_index=True)


def _seed_outputs(samples: pd.DataFrame, noise: pd.DataFrame, name: str,
                  rows: np.ndarray) -> np.ndarray:
    """Shape (seeds, len(rows)): the replicated rows' output, main seed first."""
    main = samples[name].to_numpy(float)[rows][None, :]
    if not len(noise):
        return main
    others = noise.pivot(index="replicate", columns="sample", values=name)[rows]
    return np.vstack([main, others.to_numpy(float)])


def _variance_upper_factor(df: int, conf_level: float) -> float:
    """Upper one-sided ``conf_level`` bound of a variance over its estimate (``df`` degrees)."""
    from scipy.stats import chi2

    if df < 1:
        return float("nan")
    return float(df / chi2.ppf(1.0 - conf_level, df))


def _morris_noise_floor(unit: np.ndarray, y_seeds: np.ndarray, block: int,
                        problem: SensitivityProblem) -> dict[str, float]:
    """Per group: sd across seeds of its elementary effects, pooled over the blocks.

    ``unit`` and ``y_seeds`` hold the replicated rows only (whole trajectories of
    ``block`` points each, in order); the variance of each effect across seeds is
    averaged over the trajectories.
    """
    groups = np.asarray(problem.groups)
    variances: dict[str, list[float]] = {}
    for start in range(0, unit.shape[0], block):
        for k in range(start, start + block - 1):
            changed = np.flatnonzero(unit[k + 1] != unit[k])
            if not changed.size or y_seeds.shape[0] < 2:
                continue
            delta = float(unit[k + 1, changed[0]] - unit[k, changed[0]])
            effects = (y_seeds[:, k + 1] - y_seeds[:, k]) / delta
            variances.setdefault(str(groups[changed[0]]), []).append(
                float(np.var(effects, ddof=1)))
    return {g: math.sqrt(float(np.mean(v))) for g, v in variances.items()}


def _sobol_noise_floor(y_seeds: np.ndarray, block: int, variance: float,
                       problem: SensitivityProblem) -> dict[str, float]:
    """Per group: var across seeds of ``y(A) - y(AB_i)``, pooled over blocks, over ``2 var(y)``."""
    floors: dict[str, float] = {}
    if y_seeds.shape[0] < 2 or not variance > 0:
        return floors
    starts = range(0, y_seeds.shape[1], block)
    for i, group in enumerate(problem.group_names):
        pooled = np.mean([np.var(y_seeds[:, s] - y_seeds[:, s + i + 1], ddof=1)
                          for s in starts])
        floors[group] = float(pooled) / (2.0 * variance)
    return floors


def _check_finite(samples: pd.DataFrame, outputs: Sequence[str]) -> None:
    for name in outputs:
        bad = int((~np.isfinite(samples[name].to_numpy(float))).sum())
        if bad:
            raise AnalysisError(
                f"output {name!r} is undefined (NaN) in {bad} of {len(samples)} samples "
                "(e.g. a hazard ratio without events)",
                "more patients per sample, a later horizon or another output")


def _morris_delta(levels: int) -> float:
    """SALib's Morris step on the unit interval: ``levels / (2 (levels - 1))``."""
    return levels / (2.0 * (levels - 1))


def _rank(indices: pd.DataFrame, by: str) -> pd.DataFrame:
    indices["rank"] = (indices.groupby("output")[by].rank(ascending=False, method="first")
                       .astype(np.int64))
    return indices.sort_values(["output", "rank"], kind="stable").reset_index(drop=True)


def _members_column(problem: SensitivityProblem, names: Sequence[str]) -> list[str]:
    return [", ".join(problem.members(n)) for n in names]


def _run(
    method: Method,
    model: Scenario | Trial | ModelFunction,
    outputs: Sequence[str] | str,
    *,
    parameters: Sequence[str] | str,
    groups: Mapping[str, Sequence[str]] | None,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, FactorScale]] | None,
    size: int,
    levels: int,
    patients: int | None,
    horizon_years: float | None,
    seed: int | None,
    noise_replicates: int,
    noise_blocks: int,
    dummy: bool,
    num_resamples: int,
    conf_level: float,
    n_threads: int | None,
    chunk_size: int,
    progress: ProgressCallback | None,
    command: str | None,
) -> SensitivityResult:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if noise_replicates < 0:
        raise AnalysisError(f"noise_replicates = {noise_replicates}",
                            "0 (no noise estimate) or more")
    if noise_blocks < 1:
        raise AnalysisError(f"noise_blocks = {noise_blocks}", "at least 1")
    if num_resamples < 10:
        raise AnalysisError(f"num_resamples = {num_resamples}", "at least 10")
    if not 0.5 <= conf_level < 1.0:
        raise AnalysisError(f"conf_level = {conf_level}", "in [0.5, 1)")
    problem, names, evaluator, seed_used, settings = _prepare(
        model, outputs, parameters, groups, ranges, dummy, patients, horizon_years, seed,
        n_threads, chunk_size)
    salib = problem.salib_problem()
    n_groups = len(problem.group_names)
    if method == "sobol":
        if size < 2 or size & (size - 1):
            raise AnalysisError(f"base samples = {size}",
                                "a power of 2 of at least 2 (Sobol' sequence balance), "
                                "e.g. 16, 32, 64")
        unit = sobol_sample.sample(salib, size, calc_second_order=False, seed=seed_used)
    else:
        if size < 2:
            raise AnalysisError(f"trajectories = {size}", "at least 2")
        if levels < 2 or levels % 2:
            raise AnalysisError(f"levels = {levels}", "an even number of at least 2, e.g. 4")
        unit = morris_sample.sample(salib, size, num_levels=levels, seed=seed_used)
    values = problem.values(unit)
    block = n_groups + (2 if method == "sobol" else 1)  # a base row / a trajectory
    starts = _noise_block_starts(len(values) // block, noise_blocks)
    replicated = np.concatenate([np.arange(b * block, (b + 1) * block) for b in starts])
    total = len(values) + noise_replicates * len(replicated)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    model_values = values.drop(columns=[DUMMY_FACTOR], errors="ignore")
    started = time.perf_counter()
    outputs_table = _evaluate(evaluator, names, model_values, seed_used, step)
    noise = _replicate_blocks(evaluator, names, model_values, replicated, seed_used,
                              noise_replicates, step)
    wall = time.perf_counter() - started
    samples = pd.concat([values, outputs_table], axis=1)
    samples.insert(0, "sample", np.arange(len(samples), dtype=np.int64))
    _check_finite(samples, names)
    _check_finite(noise, names)

    frames = []
    for name in names:
        y = samples[name].to_numpy(float)
        y_seeds = _seed_outputs(samples, noise, name, replicated)
        noise_df = len(starts) * (y_seeds.shape[0] - 1)
        if method == "sobol":
            si = sobol_analyze.analyze(salib, y, calc_second_order=False,
                                       num_resamples=num_resamples, conf_level=conf_level,
                                       seed=seed_used)
            group_names = list(problem.group_names)
            frame = pd.DataFrame({
                "output": name, "factor": group_names,
                "members": _members_column(problem, group_names),
                "S1": si["S1"], "S1_conf": si["S1_conf"],
                "ST": si["ST"], "ST_conf": si["ST_conf"]})
            for index in ("S1", "ST"):
                frame[f"{index}_low"] = frame[index] - frame[f"{index}_conf"]
                frame[f"{index}_high"] = frame[index] + frame[f"{index}_conf"]
            floors = _sobol_noise_floor(y_seeds, block, float(np.var(y, ddof=1)), problem)
            frame["noise_floor"] = [floors.get(g, float("nan")) for g in group_names]
            frame["noise_floor_upper"] = frame["noise_floor"] * _variance_upper_factor(
                noise_df, conf_level)
            frame["above_noise"] = frame["ST_low"] > frame["noise_floor_upper"].fillna(0.0)
            frames.append(frame)
        else:
            si = morris_analyze.analyze(salib, unit, y, num_resamples=num_resamples,
                                        conf_level=conf_level, num_levels=levels,
                                        seed=seed_used)
            group_names = [str(n) for n in si["names"]]
            frame = pd.DataFrame({
                "output": name, "factor": group_names,
                "members": _members_column(problem, group_names),
                "mu": np.asarray(si["mu"], float), "mu_star": np.asarray(si["mu_star"], float),
                "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                "sigma": np.asarray(si["sigma"], float)})
            frame["mu_star_low"] = frame["mu_star"] - frame["mu_star_conf"]
            frame["mu_star_high"] = frame["mu_star"] + frame["mu_star_conf"]
            floors = _morris_noise_floor(unit[replicated], y_seeds, block, problem)
            frame["noise_floor"] = [floors.get(g, float("nan")) for g in group_names]
            frame["noise_floor_upper"] = frame["noise_floor"] * math.sqrt(
                _variance_upper_factor(noise_df, conf_level))
            frame["above_noise"] = frame["mu_star_low"] > frame["noise_floor_upper"].fillna(0.0)
            frames.append(frame)
    indices = _rank(pd.concat(frames, ignore_index=True), "ST" if method == "sobol"
                    else "mu_star")
    first = ["output", "rank", "factor", "members"]
    indices = indices[first + [c for c in indices.columns if c not in first]]
    from tumorsim import __version__

    settings.update(
        method=method, seed=seed_used, samples=len(samples),
        base_samples=size if method == "sobol" else None,
        trajectories=size if method == "morris" else None,
        levels=levels, groups=problem.grouped, factors=len(problem.factors),
        index_rows=n_groups, noise_replicates=noise_replicates, noise_blocks=len(starts),
        noise_degrees_of_freedom=len(starts) * noise_replicates, dummy=dummy,
        num_resamples=num_resamples, conf_level=conf_level, wall_seconds=wall,
        version=__version__, command=command,
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    return SensitivityResult(method=method, outputs=names, problem=problem, indices=indices,
                             samples=samples, noise=noise, settings=settings)


# --- public entry points ----------------------------------------------------------------------


def sobol(
    model: Scenario | Trial | ModelFunction,
    outputs: Sequence[str] | str,
    *,
    parameters: Sequence[str] | str,
    groups: Mapping[str, Sequence[str]] | None = None,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, FactorScale]] | None = None,
    base_samples: int = 32,
    patients: int | None = None,
    horizon_years: float | None = None,
    seed: int | None = None,
    noise_replicates: int = 2,
    noise_blocks: int = 3,
    dummy: bool = False,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    n_threads: int | None = None,
    chunk_size: int = 20_000,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> SensitivityResult:
    """Sobol' first-order and total indices of outputs, with SALib's bootstrap intervals.

    Saltelli's sampling without second-order terms: ``base_samples * (G + 2)`` model
    evaluations for ``G`` factors (or groups), plus
    ``noise_replicates * noise_blocks * (G + 2)``.

    Parameters
    ----------
    model : Scenario, Trial or callable
        What is simulated (a scenario, or a trial whose outputs may compare arms), or a
        Python function ``f(values, seed) -> DataFrame`` (:data:`ModelFunction`).
    outputs : str or sequence of str
        Outputs to analyse (:mod:`tumorsim.sensitivity.outputs`; for a function,
        the names of its columns).
    parameters : str or sequence of str
        Factors: names, registry groups or ``M1``/``M2``/``M3``
        (:func:`tumorsim.sensitivity.problem.define_problem`).
    groups : mapping of str to sequence of str, optional
        Named groups of factors; each group gets one index.
    ranges : mapping, optional
        ``name -> (low, high)`` or ``(low, high, "linear" | "log")`` inside the allowed
        range; default the allowed range, log scale when positive and >= 100x wide.
    base_samples : int, default 32
        Saltelli's ``N``, a power of 2.
    patients : int, optional
        Virtual patients per sample (per arm for a trial); default the scenario's
        ``cohort.patients``.
    horizon_years : float, optional
        Follow-up of every simulation, years; default the scenario's.
    seed : int, optional
        One seed for every sample (common random numbers), for the sampling of the unit
        cube and for the bootstrap; default the scenario's ``cohort.seed`` (0 for a
        function).
    noise_replicates : int, default 2
        Other seeds (``seed + 1, ...``) with which ``noise_blocks`` blocks of the design
        are simulated again to estimate each index's Monte Carlo noise floor (module
        docstring); costs ``noise_replicates * noise_blocks * (G + 2)`` evaluations
        (Morris ``G + 1``); 0: none.
    noise_blocks : int, default 3
        Design blocks (Sobol base rows, Morris trajectories), spread over the design,
        that are replicated; the floors pool their variances
        (``noise_replicates * noise_blocks`` degrees of freedom).
    dummy : bool, default False
        Add a factor the model ignores (its indices show the estimator's error).
    num_resamples : int, default 1000
        Bootstrap resamples of SALib's intervals.
    conf_level : float, default 0.95
        Confidence level of the intervals.
    n_threads : int, optional
        Numba threads per simulation.
    chunk_size : int, default 20000
        Patients per engine call.
    progress : callable, optional
        ``progress(done, total)`` after each model evaluation.
    command : str, optional
        Recorded in ``settings``.

    Returns
    -------
    SensitivityResult
        ``indices`` with ``S1``, ``ST`` and their intervals per output and factor.

    Raises
    ------
    tumorsim.errors.AnalysisError
        Bad input (unknown output, parameter or group; bad sizes), before anything runs;
        or an output undefined in some sample.
    """
    return _run("sobol", model, outputs, parameters=parameters, groups=groups, ranges=ranges,
                size=base_samples, levels=4, patients=patients, horizon_years=horizon_years,
                seed=seed, noise_replicates=noise_replicates, noise_blocks=noise_blocks,
                dummy=dummy, num_resamples=num_resamples, conf_level=conf_level,
                n_threads=n_threads, chunk_size=chunk_size, progress=progress, command=command)


def morris(
    model: Scenario | Trial | ModelFunction,
    outputs: Sequence[str] | str,
    *,
    parameters: Sequence[str] | str,
    groups: Mapping[str, Sequence[str]] | None = None,
    ranges: Mapping[str, tuple[float, float] | tuple[float, float, FactorScale]] | None = None,
    trajectories: int = 10,
    levels: int = 4,
    patients: int | None = None,
    horizon_years: float | None = None,
    seed: int | None = None,
    noise_replicates: int = 2,
    noise_blocks: int = 3,
    dummy: bool = False,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    n_threads: int | None = None,
    chunk_size: int = 20_000,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> SensitivityResult:
    """Morris screening: elementary effects ``mu``, ``mu_star``, ``sigma`` per factor.

    ``trajectories * (G + 1)`` model evaluations for ``G`` factors (or groups), plus
    ``noise_replicates * noise_blocks * (G + 1)``. ``mu_star`` is the mean absolute
    change of the output when a factor moves by SALib's step over its range, divided by
    the step (so in output units per whole range); ``sigma`` large against ``mu_star``
    means interactions or a non-monotone effect.

    Parameters
    ----------
    model, outputs, parameters, groups, ranges, patients, horizon_years, seed,
    noise_replicates, noise_blocks, dummy, num_resamples, conf_level, n_threads, chunk_size,
    progress, command
        As :func:`sobol`.
    trajectories : int, default 10
        Morris trajectories ``r``.
    levels : int, default 4
        Grid levels ``p`` (even); the step is ``p / (2 (p - 1))`` of the range.

    Returns
    -------
    SensitivityResult
        ``indices`` with ``mu``, ``mu_star`` (and its interval) and ``sigma``.

    Raises
    ------
    tumorsim.errors.AnalysisError
        As :func:`sobol`.
    """
    return _run("morris", model, outputs, parameters=parameters, groups=groups,
                ranges=ranges, size=trajectories, levels=levels, patients=patients,
                horizon_years=horizon_years, seed=seed, noise_replicates=noise_replicates,
                noise_blocks=noise_blocks, dummy=dummy, num_resamples=num_resamples,
                conf_level=conf_level, n_threads=n_threads, chunk_size=chunk_size,
                progress=progress, command=command)
