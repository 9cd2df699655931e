"""``tumorsim sensitivity``: the command's whole logic, as one function of plain arguments.

The CLI wrapper in :mod:`tumorsim.cli` only forwards its options here. Every input is
checked before the first simulation (a bad one is a one-line
:class:`tumorsim.errors.TumorsimError`, exit status 2); the results are written at the
end, atomically (:meth:`tumorsim.sensitivity.SensitivityResult.save`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tumorsim.errors import AnalysisError, ScenarioError, TumorsimError

if TYPE_CHECKING:
    from rich.console import Console

    from tumorsim.model.scenario import Scenario
    from tumorsim.sensitivity import SensitivityResult
    from tumorsim.trial.design import Trial

__all__ = ["load_model", "parse_groups", "parse_list", "parse_ranges", "run_sensitivity_command"]

METHODS = ("morris", "sobol")


def load_model(path: Path) -> Scenario | Trial:
    """A trial when the file has ``[arms.<name>]`` tables, else a scenario."""
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.trial.file import ARMS_KEY, load_trial

    try:
        return load_trial(path)
    except ScenarioError as exc:
        if exc.field == ARMS_KEY and exc.problem == "no trial arms":
            return load_scenario(path)
        raise


def parse_list(values: Sequence[str] | None) -> list[str]:
    """Comma-separated items of repeated options, in order, blanks dropped."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def parse_groups(values: Sequence[str] | None) -> dict[str, list[str]]:
    """``--group "NAME=a,b"`` options as ``{NAME: [a, b]}``."""
    groups: dict[str, list[str]] = {}
    for value in values or ():
        name, sep, members = value.partition("=")
        name = name.strip()
        if not sep or not name or not members.strip():
            raise AnalysisError(f"--group {value!r} is not NAME=MEMBERS",
                                "e.g. --group 'M2 niche=M2' or --group "
                                "'niche=myeloid_chemo_protection,myeloid_colonisation_boost'")
        if name in groups:
            raise AnalysisError(f"--group {name!r} given twice", "each group once")
        groups[name] = parse_list([members])
    return groups


def parse_ranges(values: Sequence[str] | None) -> dict[str, tuple[Any, ...]]:
    """``--range "NAME=LOW:HIGH[:log|linear]"`` options as ``{NAME: (low, high[, scale])}``."""
    ranges: dict[str, tuple[Any, ...]] = {}
    for value in values or ():
        name, sep, spec = value.partition("=")
        parts = spec.split(":")
        try:
            if not sep or len(parts) not in (2, 3):
                raise ValueError
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise AnalysisError(f"--range {value!r} is not NAME=LOW:HIGH[:SCALE]",
                                "e.g. --range lung.stiffness_kpa=0.5:20:log") from None
        if len(parts) == 3 and parts[2] not in ("linear", "log"):
            raise AnalysisError(f"--range {value!r}: scale {parts[2]!r}", "linear or log")
        ranges[name.strip()] = (low, high, parts[2]) if len(parts) == 3 else (low, high)
    return ranges


def _check_threads(threads: int | None) -> None:
    if threads is None:
        return
    import numba

    most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    if not 1 <= threads <= most:
        raise TumorsimError(f"--threads = {threads}: must be in [1, {most}]")


def run_sensitivity_command(
    scenario: Path,
    *,
    outputs: Sequence[str],
    parameters: Sequence[str] | None,
    groups: Sequence[str] | None,
    ranges: Sequence[str] | None,
    method: str,
    samples: int | None,
    levels: int,
    patients: int | None,
    horizon_years: float | None,
    seed: int | None,
    noise_replicates: int,
    noise_blocks: int,
    dummy: bool,
    out: Path,
    threads: int | None,
    command: str,
) -> SensitivityResult:
    """Run ``tumorsim sensitivity`` and print its tables; returns the result written.

    Parameters
    ----------
    scenario : Path
        Scenario or trial file.
    outputs, parameters, groups, ranges : sequence of str
        The raw ``--output``, ``--parameters``, ``--group`` and ``--range`` options.
    method : {"morris", "sobol"}
    samples : int or None
        Morris trajectories (default 10) or Sobol base samples (default 32).
    levels, patients, horizon_years, seed, noise_replicates, noise_blocks, dummy, threads
        As :func:`tumorsim.sensitivity.sobol` / ``morris``.
    out : Path
        Directory to write.
    command : str
        The command line, recorded in the JSON.

    Raises
    ------
    tumorsim.errors.TumorsimError
        Bad input, before any simulation.
    """
    from rich.console import Console

    from tumorsim.sensitivity import indices as sensitivity

    if method not in METHODS:
        raise AnalysisError(f"--method {method!r}", f"one of {', '.join(METHODS)}")
    output_names = parse_list(outputs)
    if not output_names:
        raise AnalysisError("no --output given", "e.g. --output rfs_at_5y")
    selection = parse_list(parameters)
    group_map = parse_groups(groups)
    if not selection and not group_map:
        raise AnalysisError("no --parameters or --group given",
                            "e.g. --parameters M2 or --parameters cxcl_chemo_induction,"
                            "myeloid_chemo_protection")
    range_map = parse_ranges(ranges)
    _check_threads(threads)
    sensitivity.check_sensitivity_dir(out)  # fail before the simulations, not after
    model = load_model(scenario)
    size = samples if samples is not None else (10 if method == "morris" else 32)
    err_console = Console(stderr=True)
    started = time.perf_counter()
    # The bar starts at the first simulation: bad input fails before it, in one line.
    progress = _progress(err_console)
    task: list[Any] = []

    def advance(done: int, total: int) -> None:
        if not task:
            progress.start()
            task.append(progress.add_task(f"{method} {scenario.name}", total=total))
        progress.update(task[0], completed=done, total=total)

    common: dict[str, Any] = dict(
        parameters=selection, groups=group_map or None, ranges=range_map or None,
        patients=patients, horizon_years=horizon_years, seed=seed,
        noise_replicates=noise_replicates, noise_blocks=noise_blocks, dummy=dummy,
        n_threads=threads,
        progress=advance, command=command)
    try:
        if method == "sobol":
            result = sensitivity.sobol(model, output_names, base_samples=size, **common)
        else:
            result = sensitivity.morris(model, output_names, trajectories=size,
                                        levels=levels, **common)
    finally:
        if task:  # a bar that never started must not print its closing newline
            progress.stop()
    wall_s = time.perf_counter() - started
    result.settings["command_wall_seconds"] = wall_s
    written = result.save(out)
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    print_result(console, result, wall_s, written)
    return result


def _progress(console: Console) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("[progress.description]{task.description}"),
                    BarColumn(bar_width=None), MofNCompleteColumn(),
                    TextColumn("simulations"), TimeElapsedColumn(), TextColumn("eta"),
                    TimeRemainingColumn(), console=console)


def _interval(value: float, low: float, high: float) -> str:
    return f"{value:.3g} [{low:.3g}, {high:.3g}]"


def print_result(console: Console, result: SensitivityResult, wall_s: float,
                 written: Path | None) -> None:
    """One table per output: ranked factors with index and interval; noise; files."""
    from rich.markup import escape
    from rich.table import Table

    summary = result.summary.set_index("output")
    level = f"{100 * float(result.settings['conf_level']):g} %"
    for name in result.outputs:
        row = summary.loc[name]
        table = Table(title=f"{result.method}: {escape(name)} ({int(row['samples'])} samples, "
                      f"{row['patients_per_sample']} patients per sample, seed "
                      f"{result.settings['seed']})", title_justify="left")
        table.add_column("rank", justify="right")
        table.add_column("factor", style="cyan")
        if result.method == "sobol":
            table.add_column(f"ST [{level} CI]", justify="right")
            table.add_column(f"S1 [{level} CI]", justify="right")
        else:
            table.add_column(f"mu* [{level} CI]", justify="right")
            table.add_column("sigma", justify="right")
        table.add_column(f"noise floor ({level} upper)", justify="right")
        table.add_column("above noise")
        rows = result.indices[result.indices["output"] == name].sort_values("rank")
        for r in rows.itertuples():
            if result.method == "sobol":
                cells = (_interval(r.ST, r.ST_low, r.ST_high),
                         _interval(r.S1, r.S1_low, r.S1_high))
            else:
                cells = (_interval(r.mu_star, r.mu_star_low, r.mu_star_high), f"{r.sigma:.3g}")
            table.add_row(str(r.rank), escape(str(r.factor)), *cells,
                          f"{r.noise_floor:.3g} ({r.noise_floor_upper:.3g})",
                          "yes" if r.above_noise else "no")
        console.print(table)
        noise_sd = row["noise_sd"]
        shown = f"{noise_sd:.3g}" if isinstance(noise_sd, float) and math.isfinite(noise_sd) \
            else "-"
        console.print(f"output mean {row['mean']:.4g}, sd across samples {row['sd']:.3g}; "
                      f"{int(row['noise_replicates'])} more seeds x "
                      f"{result.settings['noise_blocks']} design blocks: noise floor of each "
                      f"index from its own paired differences (common random numbers); output sd "
                      f"across seeds {shown} (independent cohorts: share "
                      f"{row['noise_share']:.3g} of the output variance)")
    files = ", ".join(sorted(p.name for p in written.iterdir())) if written else ""
    console.print(f"wall time {wall_s:.1f} s" + (f"; written: {escape(str(written))}/ ({files})"
                                                  if written else ""))
