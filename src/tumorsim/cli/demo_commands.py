"""The demo and its report: demo (GBSG2 twin, what-ifs, report) and report (rebuild it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tumorsim.cli.options import (
    EnsembleOption,
    PointOption,
    ThreadsOption,
    at_least,
    command_line,
    out_option,
    resolve_ensemble,
)
from tumorsim.cli.render import echo, progress_bar


def demo(
    out: Annotated[Path, out_option("Directory for the results and report.html.",
                                    show_default=True)] = Path("results/demo"),
    twins: Annotated[int, typer.Option("--twins", help="Twins per GBSG2 patient.",
                                       callback=at_least(1))] = 10,
    seed: Annotated[int, typer.Option(help="Master seed.")] = 2026,
    threads: ThreadsOption = None,
    claims: Annotated[
        bool, typer.Option("--claims/--no-claims",
                           help="Also run the fast scorecard of every claim (a few minutes).")
    ] = True,
    ensemble: EnsembleOption = None,
    point: PointOption = False,
) -> None:
    """The GBSG2 twin, one what-if per mechanism, the fast scorecard, and a report.

    By default over the parameter ensemble (tumorsim:ensemble): every twin under one
    draw, the same in every arm, so each effect and curve carries an interval over the
    parameters.

    Writes one self-contained HTML report (observed vs simulated survival, hazard ratios,
    what-if curves, the mechanism rules in use, run time and version).
    """
    from tumorsim.demo import CLAIMS_TASK, WHAT_IFS, demo_files, run_demo
    from tumorsim.io.output_dir import check_output_dir

    check_output_dir(out, known=demo_files())  # before the progress bars start
    draws = resolve_ensemble(ensemble, point)
    started = time.perf_counter()
    with progress_bar() as progress:
        tasks = {w.name: progress.add_task(w.name, total=686 * twins) for w in WHAT_IFS}
        if claims:
            tasks[CLAIMS_TASK] = progress.add_task(CLAIMS_TASK, total=None, unit="claims")

        def advance(name: str, done: int, total: int) -> None:
            progress.update(tasks[name], completed=done, total=total)

        path = run_demo(out, twins=twins, seed=seed, n_threads=threads, progress=advance,
                        command=command_line("tumorsim demo"), claims=claims,
                        ensemble=draws)
    echo(f"demo finished in {time.perf_counter() - started:.1f} s; report: {path}")


def report(
    directory: Annotated[
        Path, typer.Argument(help="A directory written by `tumorsim demo`.",
                             metavar="DIR", show_default=False)
    ],
) -> None:
    """Rebuild the demo's HTML report from its saved results (no simulation)."""
    from tumorsim.demo import build_report

    echo(f"report: {build_report(directory)}")
