"""The posterior calibration end to end: design, emulators, sampler, predictive checks.

    tumorsim calibrate-posterior --out OUT_DIR [--points 160] [--seed 2026] [--draws 200]
        [--checks 20]

writes into ``OUT_DIR``: ``design.parquet`` (the simulator at every design point; the
checkpoint a rerun resumes from), ``posterior_draws.parquet`` and ``posterior.json`` (the
ensemble, diagnostics, priors and the command), ``predictive_checks.parquet`` (the real
simulator at ``--checks`` posterior draws, every target) and ``emulator_check.parquet`` (the
emulator's prediction at those draws next to the simulated values; per target, the share
within two emulator standard deviations is in ``posterior.json``'s diagnostics as
``emulator_coverage``). The base biology is the packaged
default scenario; the fitted parameters of :data:`tumorsim.calibration.priors.FITTED`
replace its values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tumorsim.calibration.cohort_effects import COHORT_EFFECTS
from tumorsim.calibration.posterior import (
    Emulator,
    PosteriorResult,
    emulator_check,
    emulator_coverage,
    fit_emulator,
    refinement_points,
    run_design,
    sample_posterior,
    write_posterior,
)
from tumorsim.calibration.priors import FITTED, FittedParameter, scenario_with
from tumorsim.calibration.targets import (
    DEFAULT_SIZES,
    SimulationSizes,
    TrainingData,
    observed_targets,
    simulated_summaries,
)
from tumorsim.errors import TumorsimError
from tumorsim.io.scenario_file import load_default_scenario
from tumorsim.model.ensemble import split_cohort_effects
from tumorsim.validation.scorecard import scenario_fingerprint

__all__ = ["POSTERIOR_FILES", "RunEmulator", "fitted_without", "posterior_calibration",
           "run_emulator"]

POSTERIOR_FILES = ("design.parquet", "posterior_draws.parquet", "posterior.json",
                   "predictive_checks.parquet", "emulator_check.parquet",
                   "design.parquet.partial",
                   "posterior_draws.parquet.partial", "posterior.json.partial")
"""What the calibration writes into its directory (and the partial files of a write cut
short): a directory holding only these is a previous run, which it resumes."""


def fitted_without(held: Mapping[str, float]) -> tuple[FittedParameter, ...]:
    """The parameters of :data:`~tumorsim.calibration.priors.FITTED` left to fit when
    ``held`` are fixed; a held name that is not fitted, or a value outside its prior, is
    refused."""
    by_name = {p.name: p for p in FITTED}
    for name, value in held.items():
        if name not in by_name:
            raise TumorsimError(f"--hold {name}: not a fitted parameter; allowed: "
                                + ", ".join(by_name))
        p = by_name[name]
        if not p.low <= value <= p.high:
            raise TumorsimError(f"--hold {name}={value!r}: outside its prior; allowed: "
                                f"{p.low:g} to {p.high:g}")
    if len(held) >= len(FITTED):
        raise TumorsimError("--hold: every fitted parameter held; allowed: at most "
                            f"{len(FITTED) - 1} of {len(FITTED)}")
    return tuple(p for p in FITTED if p.name not in held)


def record_targets(run: str | Path) -> tuple[str, ...]:
    """The names of the targets an earlier calibration was fitted to, in its order, from
    its ``posterior.json`` (``run`` is the file or its directory); a missing or unreadable
    record is one line naming it."""
    import json

    path = Path(run)
    if path.is_dir():
        path = path / "posterior.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["targets"]
        names = tuple(str(row["target"]) for row in rows)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TumorsimError(f"--targets-of {str(run)!r}: not a calibration record "
                            f"({type(err).__name__}); allowed: the posterior.json of "
                            "tumorsim calibrate-posterior, or its directory") from None
    if not names:
        raise TumorsimError(f"--targets-of {str(run)!r}: the record names no target; "
                            "allowed: a calibration record with its targets")
    return names


def selected_targets(targets: pd.DataFrame, names: Sequence[str] | None) -> pd.DataFrame:
    """``targets`` restricted to ``names`` (all of them when ``None``), in ``targets``'
    order; a name that is not a target of the current code is refused."""
    if names is None:
        return targets
    known = set(targets["target"])
    unknown = [n for n in names if n not in known]
    if unknown:
        raise TumorsimError(f"--targets-of: {', '.join(unknown)}: not a training target of "
                            f"this code; allowed: {', '.join(targets['target'])}")
    return targets[targets["target"].isin(set(names))].reset_index(drop=True)


def with_added_targets(names: Sequence[str], added: Sequence[str], targets: pd.DataFrame
                       ) -> tuple[str, ...]:
    """``names`` (an earlier run's targets, :func:`record_targets`) and then ``added``
    (``--add-target``), each once; an added name that is not a target of the current code
    (``targets``) is refused."""
    known = set(targets["target"])
    for name in added:
        if name not in known:
            raise TumorsimError(f"--add-target {name}: not a training target of this code; "
                                f"allowed: {', '.join(targets['target'])}")
    return tuple(dict.fromkeys([*names, *added]))


def predictive_check_values(run: str | Path, checks: int, seed: int,
                            calibration_checks: int = 20
                            ) -> list[tuple[dict[str, float], dict[str, float]]]:
    """The biology values and the cohort effects of the first ``checks`` posterior draws of
    a finished calibration (``run``: its directory), as its own predictive checks simulate
    them: draw ``k`` with, when the run was marginalised over the M1-M3 mechanism priors,
    row ``k`` of the Latin hypercube of ``max(checks, calibration_checks)`` mechanism draws
    seeded ``seed + 2`` (``seed``: the calibration's)."""
    import json

    from tumorsim.model.ensemble import Ensemble
    from tumorsim.model.mechanism_priors import mechanism_prior_ranges

    record = json.loads((Path(run) / "posterior.json").read_text(encoding="utf-8"))
    draws = pd.read_parquet(Path(run) / "posterior_draws.parquet")
    n = min(checks, len(draws))
    drawn = max(n, calibration_checks)
    marginalised = str(record["diagnostics"].get("mechanism_parameters", "")).startswith("drawn")
    mechanism = (Ensemble.from_priors(mechanism_prior_ranges(), drawn, seed + 2).draws
                 if marginalised else pd.DataFrame(index=range(drawn)))
    out = []
    for k in range(n):
        values = {c: float(draws.loc[k, c]) for c in draws.columns if c != "draw"}
        values.update({c: float(x) for c, x in mechanism.loc[k].items()})
        out.append(split_cohort_effects(values))
    return out


@dataclass(frozen=True)
class RunEmulator:
    """A finished calibration's emulator, refitted from its directory.

    Attributes
    ----------
    emulator : Emulator
    targets : pandas.DataFrame
        The targets the run was fitted to (``target``, ``value``, ``se``, ``kind``).
    fitted : tuple of FittedParameter
        The run's fitted parameters, in its order (cohort effects included).
    held : dict of str to float
        The values the run held.
    """

    emulator: Emulator
    targets: pd.DataFrame
    fitted: tuple[FittedParameter, ...]
    held: dict[str, float]


def run_emulator(run: str | Path) -> RunEmulator:
    """Refit the emulator of the calibration in directory ``run`` exactly as ``tumorsim
    calibrate-posterior`` did at its end: from its ``design.parquet``, with the priors,
    held values, targets and seed its ``posterior.json`` records (scikit-learn's fit is
    seeded, so the emulator is the same). Nothing is simulated, so a design whose biology
    fingerprint differs from the current code's is still read; a directory without the
    two files is one line naming it. Slow: one Gaussian process per target on a few
    hundred points (five to six minutes for run20's 52 targets and 360 points)."""
    import json

    from tumorsim.calibration.posterior import read_designs

    path = Path(run)
    meta = path / "posterior.json"
    if not (path / "design.parquet").is_file() or not meta.is_file():
        raise TumorsimError(f"{str(run)!r}: not a calibration directory; allowed: a "
                            "directory of tumorsim calibrate-posterior with design.parquet "
                            "and posterior.json")
    record = json.loads(meta.read_text(encoding="utf-8"))
    fitted = tuple(FittedParameter(**prior) for prior in record["priors"])
    held = {str(k): float(v) for k, v in dict(record.get("held") or {}).items()}
    seed = int(record["diagnostics"]["seed"])
    targets = selected_targets(observed_targets(TrainingData.load()), record_targets(path))
    design = read_designs([path / "design.parquet"])[0]
    emulator = fit_emulator(design, targets, len(fitted), seed)
    return RunEmulator(emulator, targets, fitted, held)


def posterior_calibration(out_dir: str | Path, *, points: int, seed: int, draws: int = 200,
                          checks: int = 20, steps: int = 3000, burn_in: int = 1000,
                          sizes: SimulationSizes = DEFAULT_SIZES, command: str = "",
                          progress: Callable[[str, int, int], None] | None = None,
                          mechanism_priors: bool = False, waves: int = 1,
                          wave_points: int = 0, wave_steps: int = 0,
                          held: Mapping[str, float] | None = None,
                          check_scale: int = 1, cohort_effects: bool = False,
                          target_names: Sequence[str] | None = None,
                          moves: str = "stretch") -> PosteriorResult:
    """Run (or resume) the calibration into ``out_dir``; see the module docstring.

    With ``waves`` > 1 the design is sequential: after the Latin hypercube of ``points``,
    each further wave simulates ``wave_points`` samples of the posterior emulated from every
    point so far (:func:`tumorsim.calibration.posterior.refinement_points`), and the
    emulators are refitted on all of them before the final sampling. Every wave's points are
    checkpointed in ``design.parquet``; the intermediate samplings (``wave_steps`` steps
    per walker, by default a third of ``steps`` and at least 200) are seeded, so a rerun
    repeats them and resumes where the simulations stopped; a rerun with more ``steps``
    and the same ``wave_steps`` reuses the whole design and only samples longer.

    With ``mechanism_priors`` the M1-M3 mechanism parameters
    (:data:`tumorsim.model.mechanism_priors.MECHANISM_PRIORS`) are drawn from their priors
    at every design point and every predictive check, so the fit is marginalised over
    them (:func:`tumorsim.calibration.posterior.run_design`), as the commands' ensemble
    draws them; without it they keep the base scenario's values (how the shipped
    posterior was fitted).

    ``held`` parameters (names of :data:`~tumorsim.calibration.priors.FITTED`, each with a
    value inside its prior) are fixed, not fitted: the design, emulators and sampler span
    the others only, the held values join the base biology and the checkpoint's
    fingerprint, and the draws carry them as constant columns (use it for parameters whose
    effect on the targets is below the noise, ``scripts/parameter_effects.py``).

    The predictive checks simulate at ``check_scale`` times ``sizes``: at the design's own
    sizes the late-period ratio targets (K2 and K7, years 5-15) carry a Monte Carlo noise
    of one to two and a half standard errors per simulation, so a check there measures
    the noise as much as the posterior (docs/posterior.md, "Noise in the summaries").

    With ``cohort_effects`` the selection effects of TRANSBIG and GSE2034
    (:data:`tumorsim.calibration.cohort_effects.COHORT_EFFECTS`, one dissemination
    multiplier per data set, applied to its simulations only) are fitted after the
    biology's parameters; the draws carry them as columns named ``cohort.*``, which an
    ensemble of the biology leaves out.

    ``target_names`` restricts the fit to those targets (``--targets-of RUN``: an earlier
    run's, so that a fit made before targets were added reruns with the current code);
    the design still simulates every target, so its checkpoint is shared.

    ``moves`` are the final chain's proposals
    (:data:`tumorsim.calibration.posterior.SAMPLER_MOVES`); the intermediate chains that
    place the waves keep the stretch move, so a design is the same whatever the final
    chain's proposals and a rerun with other ``moves`` resumes it.
    """
    from tumorsim.model.ensemble import Ensemble
    from tumorsim.model.mechanism_priors import mechanism_prior_ranges

    out = Path(out_dir)
    held = dict(held or {})
    fitted = fitted_without(held) + (COHORT_EFFECTS if cohort_effects else ())
    base = scenario_with(load_default_scenario(), held)
    data = TrainingData.load()
    targets = selected_targets(observed_targets(data), target_names)
    nuisance = mechanism_prior_ranges() if mechanism_priors else None

    def summaries(values: dict[str, float], s: int, at: SimulationSizes = sizes
                  ) -> dict[str, float]:
        biology, effects = split_cohort_effects(values)
        return simulated_summaries(scenario_with(base, biology), data, seed=s, sizes=at,
                                   cohort_effects=effects)

    check_sizes = sizes.scaled(check_scale)

    started = time.perf_counter()
    fingerprint = f"{scenario_fingerprint(base)}:{sizes}"
    if nuisance:
        fingerprint += ":mechanism priors " + ",".join(
            f"{n}[{r.low:g},{r.high:g}]" for n, r in nuisance.items())
    if cohort_effects:
        fingerprint += ":cohort effects " + ",".join(
            f"{p.name}[{p.low:g},{p.high:g}]" for p in COHORT_EFFECTS)
    if held:
        fingerprint += ":held " + ",".join(f"{n}={v!r}" for n, v in sorted(held.items()))
    def stage(name: str) -> Callable[[int, int], None] | None:
        return (lambda d, n: progress(name, d, n)) if progress else None

    checkpoint = out / "design.parquet"
    design = run_design(summaries, points=points, seed=seed, checkpoint=checkpoint,
                        fitted=fitted, progress=stage("design" if waves == 1 else "design, wave 1"),
                        fingerprint=fingerprint, nuisance=nuisance)
    wave_records = []
    # a wave needs the posterior's region, not its tails
    interim_steps = wave_steps or max(steps // 3, 200)
    for wave in range(2, waves + 1):
        interim = sample_posterior(fit_emulator(design, targets, len(fitted), seed), targets,
                                   seed=seed + wave, draws=draws, steps=interim_steps,
                                   burn_in=min(burn_in, interim_steps // 2), fitted=fitted)
        units = refinement_points(interim, wave_points or points // 2, seed + wave)
        wave_records.append({"wave": wave, "points": len(units),
                             "interim_effective_sample_size":
                                 interim.diagnostics["effective_sample_size"]})
        more = run_design(summaries, points=len(units), seed=seed, checkpoint=checkpoint,
                          fitted=fitted, progress=stage(f"design, wave {wave}"),
                          fingerprint=fingerprint, nuisance=nuisance, units=units,
                          first_point=len(design))
        design = pd.concat([design, more], ignore_index=True)
    design_s = time.perf_counter() - started
    emulator = fit_emulator(design, targets, len(fitted), seed)
    result = sample_posterior(emulator, targets, seed=seed, draws=draws, steps=steps,
                              burn_in=burn_in, fitted=fitted, moves=moves).holding(held)
    result.diagnostics["design_points"] = len(design)
    result.diagnostics["design_waves"] = [{"wave": 1, "points": points,
                                           "how": "Latin hypercube over the priors"},
                                          *wave_records]
    result.diagnostics["design_wall_seconds"] = round(design_s, 1)
    result.diagnostics["simulation_sizes"] = sizes.__dict__
    result.diagnostics["predictive_check_sizes"] = check_sizes.__dict__
    result.diagnostics["mechanism_parameters"] = (
        "drawn from their priors at every design point (marginalised)" if nuisance
        else "the base scenario's values")
    n_checks = min(checks, draws)
    drawn = (Ensemble.from_priors(nuisance, n_checks, seed + 2).draws if nuisance
             else pd.DataFrame(index=range(n_checks)))
    rows = []
    for k in range(n_checks):
        values = {p.name: float(result.draws.loc[k, p.name]) for p in fitted}
        values.update({n: float(x) for n, x in drawn.loc[k].items()})
        sim = summaries(values, seed + 1 + k, check_sizes)
        rows.append({"draw": k, **sim})
        if progress is not None:
            progress("predictive checks", k + 1, min(checks, draws))
    checks_table = pd.DataFrame(rows)
    checks_table.to_parquet(out / "predictive_checks.parquet", index=False)
    if rows:
        foreseen = emulator_check(emulator, result.draws, checks_table, fitted)
        foreseen.to_parquet(out / "emulator_check.parquet", index=False)
        result.diagnostics["emulator_coverage"] = {
            str(r.target): {"within_2_sd": float(r.within_2_sd), "median_z": float(r.median_z)}
            for r in emulator_coverage(foreseen).itertuples(index=False)}
    result.diagnostics["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_posterior(result, out, command=command)
    return result
