"""Rewrite the generated section of docs/posterior.md from a posterior calibration run.

Usage (from the repository root)::

    .venv/bin/python docs/tools/posterior_page.py RUN_DIR docs/posterior.md

``RUN_DIR`` is what ``tumorsim calibrate-posterior --out RUN_DIR`` wrote. The text between
``<!-- posterior:start -->`` and ``<!-- posterior:end -->`` is replaced by the run's
command, diagnostics, parameter table and target table, and the predictive-check figure
is written to ``docs/posterior/predictive_checks.png``. Every number comes from the run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tumorsim.calibration.summary import (
    chain_length_note,
    parameter_table,
    predictive_figure,
    target_table,
)

START = "<!-- posterior:start -->"
END = "<!-- posterior:end -->"
FIGURE = Path("docs/posterior/predictive_checks.png")


def _g(x: float) -> str:
    return f"{x:.3g}"


def _waves(d: dict) -> str:
    waves = d.get("design_waves") or []
    if len(waves) <= 1:
        return ""
    later = ", ".join(f"{w['points']}" for w in waves[1:])
    return (f"(a Latin hypercube of {waves[0]['points']}, then {len(waves) - 1} waves of "
            f"{later} samples of the posterior emulated so far) ")


def section(run_dir: Path) -> str:
    record = json.loads((run_dir / "posterior.json").read_text())
    d = record["diagnostics"]
    tau = d["autocorrelation_steps"]
    lines = [
        START,
        "",
        f"Produced by `{record['command']}` (seed {d['seed']}): {d['design_points']} design "
        + _waves(d)
        + (f"points ({d['design_wall_seconds']:.0f} s of simulation), "
           if d["design_wall_seconds"] >= 1 else
           "points (read from the design checkpoint of an earlier run: no new simulation), ")
        + f"{d['walkers']} walkers x "
        f"{d['steps']} steps ({d['burn_in_steps']} burn-in), {d['draws']} draws kept; "
        f"{d['wall_seconds']:.0f} s in all. Acceptance fraction "
        f"{d['acceptance_fraction']:.2f}; integrated autocorrelation "
        f"{min(tau.values()):.0f}-{max(tau.values()):.0f} steps; effective sample size "
        f"{d['effective_sample_size']:.0f}. " + chain_length_note(d),
        "",
        "| parameter | prior | posterior median | 90 % interval |",
        "|---|---|---|---|",
    ]
    for r in parameter_table(run_dir).itertuples():
        lines.append(f"| `{r.parameter}` | {r.scale} [{_g(r.prior_low)}, {_g(r.prior_high)}] "
                     f"| {_g(r.median)} | [{_g(r.q05)}, {_g(r.q95)}] |")
    targets = target_table(run_dir)
    lines += [
        "",
        f"Targets: the observed value (its standard error), the emulator at the posterior "
        f"median, and the real simulator at {len(_checks(run_dir))} posterior draws (median "
        "and 90 % range); consistent = the observation lies within that range widened by "
        f"its own 95 % interval ({int(targets['consistent'].sum())} of {len(targets)}).",
        "",
        "| target | kind | observed (SE) | emulated | simulated median [90 %] | consistent |",
        "|---|---|---|---|---|---|",
    ]
    for r in targets.itertuples():
        lines.append(f"| {r.target} | {r.kind} | {_g(r.observed)} ({_g(r.se)}) | "
                     f"{_g(r.emulated_at_median)} | {_g(r.predictive_median)} "
                     f"[{_g(r.predictive_q05)}, {_g(r.predictive_q95)}] | "
                     f"{'yes' if r.consistent else 'no'} |")
    lines += ["", f"![posterior predictive checks]({FIGURE.relative_to('docs')})", "", END]
    return "\n".join(lines)


def _checks(run_dir: Path) -> list[object]:
    import pandas as pd

    return list(pd.read_parquet(run_dir / "predictive_checks.parquet")["draw"])


def main(argv: list[str]) -> int:
    run_dir, page = Path(argv[0]), Path(argv[1])
    text = page.read_text()
    if START not in text or END not in text:
        print(f"{page}: no {START} ... {END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    predictive_figure(run_dir, FIGURE)
    page.write_text(head + section(run_dir) + tail)
    print(f"wrote {page} and {FIGURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
