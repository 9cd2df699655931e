"""Write the posterior-median scenario from a posterior calibration's record.

Usage (from the repository root)::

    .venv/bin/python docs/tools/posterior_median_scenario.py \\
        src/tumorsim/data/posterior/posterior.json docs/calibration/posterior_median_scenario.toml

The scenario extends the packaged calibrated biology with the marginal posterior median of
every fitted parameter (``posterior_median`` of the record); ``sites.<attribute>`` values
set every metastatic site but bone, as the calibration fits them; ``sites.<site>.<attribute>``
and ``clones.<clone>.<attribute>`` set that site's or clone's value. A fit's cohort
selection effects (``cohort.<data set>.dissemination_multiplier``) describe its data sets,
not the biology: they stay out of the scenario and are named in its header (the scripts
read them from the record with ``--cohort-effects``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SOFT_SITES = ("lung", "liver", "brain")


def scenario_text(record: dict, source: str) -> str:
    """The TOML text of the posterior-median scenario (``source``: the record's path)."""
    lines = [
        "# The posterior median of the Bayesian calibration (docs/posterior.md), on the packaged",
        f"# calibrated biology. Written from {source}, produced by",
        f"# {record['command']}",
        'extends = "tumorsim:calibrated"',
        'name = "posterior-median"',
        'description = "posterior median of the relapse-dynamics calibration (emulator + emcee)"',
        "",
        "[parameters]",
    ]
    effects = {n: v for n, v in record["posterior_median"].items() if n.startswith("cohort.")}
    if effects:
        lines[3:3] = ["# Cohort selection effects of the fit (not in this scenario; they apply "
                      "to those data sets only):",
                      *(f"#   {n} = {v!r}" for n, v in effects.items())]
    sites: dict[str, dict[str, float]] = {s: {} for s in ("bone", *SOFT_SITES)}
    clones: dict[str, dict[str, float]] = {}
    for name, value in record["posterior_median"].items():
        parts = name.split(".")
        if parts[0] == "cohort":
            continue
        if parts[0] == "clones" and len(parts) == 3:
            clones.setdefault(parts[1], {})[parts[2]] = value
        elif parts[0] == "sites" and len(parts) == 3:
            sites[parts[1]][parts[2]] = value
        elif parts[0] == "sites" and len(parts) == 2:
            for site in SOFT_SITES:
                sites[site][parts[1]] = value
        else:
            lines.append(f"{name} = {value!r}")
    for site, values in sites.items():
        if values:
            lines += ["", f"[sites.{site}]", *(f"{k} = {v!r}" for k, v in values.items())]
    for clone, values in clones.items():
        lines += ["", f"[clones.{clone}]", *(f"{k} = {v!r}" for k, v in values.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", type=Path, help="a calibration's posterior.json")
    parser.add_argument("scenario", type=Path, help="the scenario TOML to write")
    args = parser.parse_args(argv)
    try:
        record = json.loads(args.record.read_text(encoding="utf-8"))
        text = scenario_text(record, str(args.record))
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"{args.record}: not a calibration record ({type(err).__name__}: {err}); "
              "allowed: the posterior.json of tumorsim calibrate-posterior", file=sys.stderr)
        return 2
    if not args.scenario.parent.is_dir():
        print(f"{args.scenario}: its folder does not exist; allowed: a path in an existing "
              "folder", file=sys.stderr)
        return 2
    args.scenario.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
