"""``tumorsim sensitivity``: rank the parameters an answer hangs on (SALib)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tumorsim.cli.options import SeedOption, ThreadsOption, command_line


def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario or trial TOML file.",
                                             metavar="SCENARIO", show_default=False)],
    output: Annotated[list[str], typer.Option("--output", help="Output to rank factors by "
                      "(repeat or comma-separate): rfs_at_5y, distant_lung_at_10y[@ARM], "
                      "diff:distant_lung_at_10y:ARM/REF, hr:distant_lung:ARM/REF.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write (Parquet, "
                   "JSON, PNG).", show_default=False)],
    parameters: Annotated[list[str] | None, typer.Option("--parameters", help="Factors: "
                          "names, registry groups or M1, M2, M3 (comma-separated).")] = None,
    group: Annotated[list[str] | None, typer.Option("--group", help="'NAME=members': one "
                     "index for the group (repeatable).")] = None,
    range_: Annotated[list[str] | None, typer.Option("--range", help="'NAME=LOW:HIGH[:log|"
                      "linear]' instead of the documented range (repeatable).")] = None,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol.")] = "morris",
    samples: Annotated[int | None, typer.Option(help="Morris trajectories (default 10) or "
                       "Sobol base samples, a power of 2 (default 32).",
                       show_default=False)] = None,
    levels: Annotated[int, typer.Option(help="Morris grid levels.")] = 4,
    patients: Annotated[int | None, typer.Option(help="Virtual patients per sample (per "
                        "arm).", show_default=False)] = None,
    horizon_years: Annotated[float | None, typer.Option(help="Follow-up, years.",
                             show_default=False)] = None,
    seed: SeedOption = None,
    noise_replicates: Annotated[int, typer.Option(help="More seeds for the Monte Carlo "
                                "noise floors.")] = 2,
    noise_blocks: Annotated[int, typer.Option(help="Design blocks simulated with them.")] = 3,
    dummy: Annotated[bool, typer.Option(help="Add a factor without effect.")] = False,
    threads: ThreadsOption = None,
) -> None:
    """Rank the parameters an output hangs on: Morris screening or Sobol indices (SALib).

    Every sample uses the same cohort and seed (common random numbers); the Monte Carlo
    noise, from seeds replicated at the nominal point, is printed next to the indices.
    See docs/sensitivity.md.
    """
    from tumorsim.sensitivity.command import run_sensitivity_command

    run_sensitivity_command(
        scenario, outputs=output, parameters=parameters, groups=group, ranges=range_,
        method=method, samples=samples, levels=levels, patients=patients,
        horizon_years=horizon_years, seed=seed, noise_replicates=noise_replicates,
        noise_blocks=noise_blocks, dummy=dummy, out=out, threads=threads,
        command=command_line("tumorsim sensitivity"))
