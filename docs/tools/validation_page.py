"""Rewrite the generated sections of docs/validation.md from the records commands wrote.

Usage (from the repository root)::

    # after `tumorsim calibrate`
    .venv/bin/python docs/tools/validation_page.py \
        src/tumorsim/data/calibrated_parameters.json docs/validation.md
    # after `tumorsim validate --out DIR`
    .venv/bin/python docs/tools/validation_page.py DIR docs/validation.md
    # the joint fit with K2 and K3: its calibration record, and its scorecard (DIR_JOINT)
    # beside the default's (DIR)
    .venv/bin/python docs/tools/validation_page.py \
        docs/calibration/joint_k2_k3.json docs/validation.md joint-calibration
    .venv/bin/python docs/tools/validation_page.py \
        DIR_JOINT docs/validation.md joint-claims DIR

A JSON file is a calibration record and replaces the text between
``<!-- calibration:start -->`` and ``<!-- calibration:end -->``; a directory is a
``tumorsim validate`` output and replaces the text between ``<!-- claims:start -->`` and
``<!-- claims:end -->``. A third argument names other markers (``<!-- NAME:start -->``);
with a fourth, a scorecard directory is shown check by check against that other
scorecard. Every number written comes from those records.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

START = "<!-- calibration:start -->"
END = "<!-- calibration:end -->"
CLAIMS_START = "<!-- claims:start -->"
CLAIMS_END = "<!-- claims:end -->"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


def render_claims(claims: list[dict], run: dict) -> str:
    mode = "fast sizes (--fast)" if run["fast"] else "full sizes"
    lines = [
        f"Command (run from the repository root; {run['wall_seconds']:.0f} s on the 2-core "
        "machine):",
        "",
        f"    {run['command']}",
        "",
        f"tumorsim {run['version']}; seed {run['seed']}; {mode}; scenario "
        f"`{run['scenario_name']}` (fingerprint `{run['scenario_fingerprint']}`); "
        f"{run['date']}. **{run['passed']} of {run['checks']} checks pass.**",
        "",
        "| check | statistic | published | pass rule | simulated [95 % CI] | result | margin |",
        "|---|---|---|---|---|---|---:|",
    ]
    for c in claims:
        result = "pass" if c["passed"] else "**FAIL**"
        lines.append(
            f"| {c['id']} | {c['statistic']} | {c['published_text']} | {c['rule']} | "
            f"{_num(c['simulated'])} [{_num(c['ci_low'])}, {_num(c['ci_high'])}] | {result} | "
            f"{_num(c['margin'])} |")
    lines += ["", "Notes per check (the counts behind each number):", ""]
    for c in claims:
        if c["note"]:
            lines.append(f"- {c['id']}: {c['note']}")
    lines += ["", "How each claim is simulated (size: the value used in this run):", ""]
    seen = set()
    for c in claims:
        if c["claim_id"] in seen:
            continue
        seen.add(c["claim_id"])
        lines.append(f"- **{c['claim_id']}** ({c['citation']}; {c['patients']} "
                     f"{c['size_unit']}): {c['statement']} *Design:* {c['design']}")
    return "\n".join(lines)


def _objective_parts(record: dict) -> str:
    """`` (GBSG2 a, claims b)`` at the fitted point, when the record splits the objective."""
    best = min(record["evaluations"], key=lambda e: e["objective"])
    if "objective_claims" not in best:
        return ""
    return (f" (GBSG2 {best['objective_gbsg2']:.4g}, claims K2 and K3 "
            f"{best['objective_claims']:.4g})")


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
        f"{record['objective']:.4g}{_objective_parts(record)}.",
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


def render_comparison(claims: list[dict], run: dict, reference: list[dict],
                      reference_run: dict) -> str:
    """Every check of one scorecard beside the same check of a reference scorecard."""
    by_id = {c["id"]: c for c in reference}
    lines = [
        "Command (run from the repository root; "
        f"{run['wall_seconds']:.0f} s on the 2-core machine):",
        "",
        f"    {run['command']}",
        "",
        f"Scenario `{run['scenario_name']}` (fingerprint `{run['scenario_fingerprint']}`), seed "
        f"{run['seed']}, {run['date']}: **{sum(c['passed'] for c in claims)} of {len(claims)} "
        f"checks pass**, against {sum(c['passed'] for c in reference)} for scenario "
        f"`{reference_run['scenario_name']}` (fingerprint "
        f"`{reference_run['scenario_fingerprint']}`, the scorecard above).",
        "",
        "| check | pass rule | this scenario [95 % CI] | result | default | result |",
        "|---|---|---|---|---|---|",
    ]
    for c in claims:
        ref = by_id[c["id"]]
        lines.append(
            f"| {c['id']} | {c['rule']} | {_num(c['simulated'])} [{_num(c['ci_low'])}, "
            f"{_num(c['ci_high'])}] | {'pass' if c['passed'] else '**FAIL**'} | "
            f"{_num(ref['simulated'])} | {'pass' if ref['passed'] else '**FAIL**'} |")
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, body: str, page: Path) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{page}: missing the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def _scorecard(directory: Path) -> tuple[list[dict], dict]:
    return (json.loads((directory / "claims.json").read_text()),
            json.loads((directory / "validate.json").read_text()))


def main(record_path: str, page_path: str, section: str | None = None,
         reference_path: str | None = None) -> None:
    page = Path(page_path)
    text = page.read_text()
    source = Path(record_path)
    if source.is_dir():
        claims, run = _scorecard(source)
        markers = (CLAIMS_START, CLAIMS_END)
        body = (render_claims(claims, run) if reference_path is None
                else render_comparison(claims, run, *_scorecard(Path(reference_path))))
    else:
        markers = (START, END)
        body = render(json.loads(source.read_text()))
    if section is not None:
        markers = (f"<!-- {section}:start -->", f"<!-- {section}:end -->")
    text = _replace(text, *markers, body, page)
    page.write_text(text)


if __name__ == "__main__":
    main(*sys.argv[1:5])
