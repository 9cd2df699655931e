"""Rewrite the generated section of docs/validation.md from a calibration record.

Usage (from the repository root, after `tumorsim calibrate`)::

    .venv/bin/python docs/tools/validation_page.py \
        src/tumorsim/data/calibrated_parameters.json docs/validation.md

Only the text between ``<!-- calibration:start -->`` and ``<!-- calibration:end -->`` is
replaced; every number in it comes from the JSON record the calibrate command wrote.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

START = "<!-- calibration:start -->"
END = "<!-- calibration:end -->"


def render(record: dict) -> str:
    held = record["held_out"]
    lines = [
        "Command (run from the repository root; "
        f"{record['wall_seconds']:.0f} s on the 2-core machine):",
        "",
        f"    {record['command']}",
        "",
        f"tumorsim {record['version']}; seed {record['seed']}; {record['twins']} twins per "
        f"training patient; training fraction {record['train_fraction']:.4g}; "
        f"{len(record['evaluations'])} evaluations; training objective "
        f"{record['objective']:.4g}.",
        "",
        "| parameter | start (registry default) | fitted |",
        "|---|---:|---:|",
    ]
    for name, value in record["parameters"].items():
        lines.append(f"| `{name}` | {record['start'][name]:.4g} | {value:.4g} |")
    inside = sum(bool(row["inside"]) for row in held["rfs"])
    lines += [
        "",
        f"Held-out RFS inside the observed 95 % CI: {inside} of {len(held['rfs'])} points.",
        "",
        "| group | years | observed | observed 95 % CI | simulated | inside |",
        "|---|---:|---:|---|---:|---|",
    ]
    for row in held["rfs"]:
        lines.append(
            f"| {row['group']} | {row['years']:g} | {row['survival_observed']:.3f} | "
            f"{row['observed_ci_lower']:.3f}–{row['observed_ci_upper']:.3f} | "
            f"{row['survival_simulated']:.3f} | {'yes' if row['inside'] else '**no**'} |")
    lines += ["", "| PR | observed horTh HR | observed 95 % CI | simulated HR | inside |",
              "|---|---:|---|---:|---|"]
    for row in held["hazard_ratios"]:
        lines.append(
            f"| {row['pr']} | {row['hr_observed']:.3f} | {row['ci_lower_observed']:.3f}–"
            f"{row['ci_upper_observed']:.3f} | {row['hr_simulated']:.3f} | "
            f"{'yes' if row['inside'] else '**no**'} |")
    lines += [
        "",
        "c-index on held-out patients: twin risk score (predicted 5-year relapse "
        f"probability) {held['c_index_twin']:.3f}; Cox model with the same covariates "
        f"fitted on the training split {held['c_index_cox']:.3f}.",
        "",
        f"K1 {'met' if held['k1_passed'] else '**not met**'}.",
    ]
    return "\n".join(lines)


def main(record_path: str, page_path: str) -> None:
    record = json.loads(Path(record_path).read_text())
    page = Path(page_path)
    text = page.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{page}: missing the markers {START} ... {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    page.write_text(f"{head}{START}\n{render(record)}\n{END}{tail}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
