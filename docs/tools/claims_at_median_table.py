"""The table of docs/posterior.md "Every claim at the posterior median".

Usage (from the repository root)::

    .venv/bin/python docs/tools/claims_at_median_table.py MEDIAN_CLAIMS.json ENSEMBLE_CLAIMS.json

reads the ``claims.json`` of ``tumorsim validate docs/calibration/posterior_median_scenario.toml
--ensemble none`` and of ``tumorsim validate`` (the default ensemble) and prints, as Markdown,
the checks that fail or are uncertain in either, and every K2, K3, K5, K6 and K7 check, with
each one's simulated value and status in both and the published value; then the counts of
passing checks by kind in each.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def _rows(path: Path) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in json.loads(path.read_text())}


def _cell(row: dict[str, object]) -> str:
    status = "pass" if row["passed"] else str(row.get("status") or "fail")
    return f"{float(row['simulated']):.3g} {status}"  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not all(Path(p).is_file() for p in argv):
        print(f"{' '.join(argv) or '(nothing)'}: allowed: two claims.json files (posterior "
              "median, then default ensemble)", file=sys.stderr)
        return 2
    median, ensemble = (_rows(Path(p)) for p in argv)
    print("| check | kind | posterior median | default ensemble | published |")
    print("|---|---|---|---|---|")
    for cid, row in median.items():
        other = ensemble.get(cid)
        if other is None:
            continue
        always = str(row["claim_id"]) in {"K2", "K3", "K5", "K6", "K7"}
        if always or not row["passed"] or not other["passed"]:
            print(f"| {cid} | {row['kind']} | {_cell(row)} | {_cell(other)} | "
                  f"{row['published_text']} |")
    for name, rows in (("posterior median", median), ("default ensemble", ensemble)):
        total = Counter(str(r["kind"]) for r in rows.values())
        passed = Counter(str(r["kind"]) for r in rows.values() if r["passed"])
        print(f"\n{name}: " + "; ".join(f"{k} {passed[k]} of {total[k]}" for k in sorted(total)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
