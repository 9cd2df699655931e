"""Arguments and options the commands share, each declared once, with their checks.

A number is checked once, where its option is declared: ``callback=at_least(1)`` (or
:func:`within`) raises :class:`~tumorsim.errors.TumorsimError` while the command line is
parsed, which the app reports as ``error: --twins = 0: must be >= 1``. (typer's own
``min=`` would report a usage box of several lines instead of the one line every other
bad input gives.) Values that are scenario fields (``--patients``, ``--seed``,
``--trajectories`` of a run) are checked by the scenario model itself
(:func:`with_cohort_options`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from tumorsim.errors import ScenarioError, TumorsimError
from tumorsim.io.scenario_file import load_default_scenario
from tumorsim.io.scenario_file import load_scenario as load_scenario_file
from tumorsim.model.scenario import Scenario

if TYPE_CHECKING:
    from tumorsim.model.ensemble import Ensemble

__all__ = [
    "DefaultScenarioArg",
    "EnsembleOption",
    "PointOption",
    "ScenarioArg",
    "SeedOption",
    "ThreadsOption",
    "at_least",
    "biology_text",
    "command_line",
    "default_chunk_size",
    "load_scenario",
    "out_option",
    "patients_option",
    "resolve_ensemble",
    "with_cohort_options",
    "within",
]


def _flag(param: typer.CallbackParam) -> str:
    """The option as the user wrote it (its long form)."""
    return max(param.opts, key=len) if param.opts else f"--{param.name}"


def at_least(low: int) -> Callable[[typer.CallbackParam, Any], Any]:
    """An option callback refusing a value below ``low`` (``None``, not given, passes)."""

    def check(param: typer.CallbackParam, value: Any) -> Any:
        if value is not None and value < low:
            raise TumorsimError(f"{_flag(param)} = {value}: must be >= {low}")
        return value

    return check


def within(low: float, high: float) -> Callable[[typer.CallbackParam, Any], Any]:
    """An option callback refusing a value outside ``[low, high]``."""

    def check(param: typer.CallbackParam, value: Any) -> Any:
        if value is not None and not low <= value <= high:
            raise TumorsimError(f"{_flag(param)} = {value}: must be in [{low}, {high}]")
        return value

    return check


def _check_threads(param: typer.CallbackParam, value: int | None) -> int | None:
    """``--threads``: at least 1 and no more than numba may use."""
    at_least(1)(param, value)
    if value is None:
        return value
    import numba  # only when --threads is given: --help must not load the engine

    max_threads = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    if value > max_threads:
        raise TumorsimError(
            f"--threads = {value}: must be <= {max_threads} (the threads numba may use; "
            "set NUMBA_NUM_THREADS to allow more)"
        )
    return value


ScenarioArg = Annotated[
    Path, typer.Argument(help="Scenario TOML file.", show_default=False, metavar="SCENARIO")
]
DefaultScenarioArg = Annotated[
    Path | None,
    typer.Argument(
        help="Scenario TOML file; the built-in default scenario (ER+, surgery + 5 years "
        "tamoxifen) if omitted.",
        show_default=False,
        metavar="SCENARIO",
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(help="Master seed (default: the scenario's cohort.seed).", show_default=False),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(help="CPU threads (default: all). Results do not depend on it.",
                 show_default=False, callback=_check_threads),
]


EnsembleOption = Annotated[
    str | None,
    typer.Option("--ensemble", help="The parameter draws patients live under (each patient "
                 "one draw, recorded in a draw column): 'tumorsim:ensemble' (the default: "
                 "the packaged posterior with the M1-M3 mechanism parameters from their "
                 "priors), 'tumorsim:posterior', a Parquet or CSV file of draws, or 'none' "
                 "(the scenario's own values, one set).", show_default=False),
]
PointOption = Annotated[
    bool,
    typer.Option("--point", help="One parameter set: the median of the ensemble's draws "
                 "(the posterior median); intervals are then Monte Carlo noise only."),
]


def resolve_ensemble(name: str | None, point: bool) -> Ensemble | None:
    """The ensemble ``--ensemble NAME`` and ``--point`` ask for (``None``: the scenario's
    own values; ``name=None``: the default ensemble)."""
    from tumorsim.io.ensemble_file import DEFAULT_ENSEMBLE, NO_ENSEMBLE, load_ensemble

    if name is None:
        name = DEFAULT_ENSEMBLE
    if name == NO_ENSEMBLE:
        if point:
            raise TumorsimError("--point with --ensemble none: --point takes the median of "
                                "an ensemble; give one, or drop --point")
        return None
    ensemble = load_ensemble(name)
    return ensemble.median() if point else ensemble


def biology_text(ensemble: Ensemble | None) -> str:
    """What parameters a run used (:func:`tumorsim.model.ensemble.parameters_text`)."""
    from tumorsim.model.ensemble import parameters_text

    return parameters_text(ensemble)


def out_option(help: str, *, show_default: bool = False) -> Any:
    """``--out`` / ``-o``: where a command writes, with the command's own ``help``."""
    return typer.Option("--out", "-o", help=help, show_default=show_default)


def patients_option(help: str, *, low: int | None = None) -> Any:
    """``--patients``; with ``low``, smaller values are refused here. Without it the value
    is a scenario's ``cohort.patients``, which the scenario checks
    (:func:`with_cohort_options`)."""
    callback = None if low is None else at_least(low)
    return typer.Option("--patients", help=help, show_default=False, callback=callback)


def load_scenario(path: Path | None, *, trial_ok: bool = False) -> Scenario:
    """The scenario in ``path``; for ``None`` the built-in default scenario.

    With ``trial_ok`` a trial file gives its shared scenario (biology, cohort, the
    treatment every arm starts from).
    """
    if path is not None:
        if trial_ok:
            from tumorsim.trial.file import is_trial_file, load_trial

            if is_trial_file(path):
                return load_trial(path).scenario
        return load_scenario_file(path)
    return load_default_scenario()


_OPTION_OF_COHORT_FIELD = {
    "patients": "--patients",
    "seed": "--seed",
    "trajectory_patients": "--trajectories",
}


def with_cohort_options(scenario: Scenario, **options: int | None) -> Scenario:
    """The scenario with command-line overrides of ``[cohort]`` values, checked by the model."""
    changes = {k: v for k, v in options.items() if v is not None}
    if not changes:
        return scenario
    try:
        return scenario.with_changes(cohort=changes)
    except ValidationError as exc:
        error = ScenarioError.from_validation_error(exc)
        name = (error.field or "").removeprefix("cohort.")
        option = _OPTION_OF_COHORT_FIELD.get(name)
        if option is None:  # pragma: no cover - only cohort values change here
            raise error from None
        raise TumorsimError(f"{option} = {error.value!r}: {error.allowed}") from None


def default_chunk_size(patients: int) -> int:
    """Patients per engine call when ``--chunk-size`` is not given (``N/20`` within
    [1000, 20000]); results do not depend on it."""
    return min(20_000, max(1_000, patients // 20))


def command_line(default: str) -> str:
    """The command as typed (``tumorsim ...``), recorded with results; ``default`` when
    the program was called without arguments (from Python)."""
    return "tumorsim " + " ".join(sys.argv[1:]) if sys.argv[1:] else default
