"""Running claims and the scorecard they produce: table, JSON and an HTML section."""

from __future__ import annotations

import datetime
import html
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from tumorsim.errors import ResultsError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.model.scenario import Scenario
from tumorsim.validation.claim import CheckResult, Claim, ClaimContext, evaluate

__all__ = [
    "CLAIMS_FILE",
    "CLAIMS_HTML",
    "RUN_FILE",
    "Scorecard",
    "load_scorecard",
    "run_claims",
    "scenario_fingerprint",
    "scorecard_html",
    "write_scorecard",
]

CLAIMS_FILE: Final[str] = "claims.json"
RUN_FILE: Final[str] = "validate.json"
CLAIMS_HTML: Final[str] = "claims.html"


@dataclass(frozen=True)
class Scorecard:
    """The results of one ``validate`` run.

    Attributes
    ----------
    rows : list of CheckResult
        One per check, in registry order.
    seed : int
    fast : bool
    scenario_name : str
    version : str
    date : str
        ISO date of the run.
    wall_seconds : float
    command : str
        The command line that produced it (empty when run from Python).
    scenario_fingerprint : str
        :func:`scenario_fingerprint` of the scenario under test: a scorecard belongs to
        one parameter set, and a recalibration without a new scorecard shows as a
        mismatch (``tests/test_validation.py`` checks the one in docs/validation.md).
    """

    rows: list[CheckResult]
    seed: int
    fast: bool
    scenario_name: str
    version: str
    date: str
    wall_seconds: float
    command: str = ""
    scenario_fingerprint: str = ""

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    def table(self) -> pd.DataFrame:
        """One row per check: id, statistic, published, simulated with CI, pass, margin."""
        return pd.DataFrame([{
            "id": r.id, "statistic": r.statistic, "published": r.published_text,
            "rule": r.rule, "simulated": r.simulated, "ci_low": r.ci_low,
            "ci_high": r.ci_high, "passed": r.passed, "margin": r.margin,
        } for r in self.rows])


def scenario_fingerprint(scenario: Scenario) -> str:
    """First 12 hex digits of the SHA-256 of the scenario's full JSON (every value)."""
    import hashlib

    from tumorsim.io.scenario_file import scenario_to_json

    return hashlib.sha256(scenario_to_json(scenario).encode("utf-8")).hexdigest()[:12]


def run_claims(
    claims: Sequence[Claim],
    scenario: Scenario,
    *,
    seed: int,
    fast: bool = False,
    patients: int | None = None,
    n_threads: int | None = None,
    on_claim: Callable[[Claim, int, int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    command: str = "",
) -> Scorecard:
    """Run claims one after another (each simulates its patients in parallel threads).

    Parameters
    ----------
    claims : sequence of Claim
    scenario : Scenario
        The biology under test.
    seed : int
        Master seed of every claim (claims do not share random numbers with each other
        except through it; the result does not depend on which other claims run).
    fast : bool, default False
        Use each claim's ``fast_patients`` instead of ``patients``.
    patients : int, optional
        Override the size of every claim counted in patients (not K1's twins per woman).
    n_threads : int, optional
    on_claim : callable, optional
        ``on_claim(claim, k, total)`` before claim ``k`` (0-based) starts.
    progress : callable, optional
        ``progress(done, total)`` within the running claim.
    command : str
        Recorded with the results.
    """
    from tumorsim.results import package_version

    started = time.perf_counter()
    cache: dict[object, object] = {}
    rows: list[CheckResult] = []
    for k, claim in enumerate(claims):
        if on_claim is not None:
            on_claim(claim, k, len(claims))
        size = claim.fast_patients if fast else claim.patients
        if patients is not None and claim.size_unit != "twins per woman":
            size = patients
        context = ClaimContext(scenario=scenario, seed=seed, patients=size,
                               n_threads=n_threads, progress=progress, cache=cache)
        rows.extend(evaluate(claim, context))
    return Scorecard(rows=rows, seed=seed, fast=fast, scenario_name=scenario.name,
                     version=package_version(), date=datetime.date.today().isoformat(),
                     wall_seconds=time.perf_counter() - started, command=command,
                     scenario_fingerprint=scenario_fingerprint(scenario))


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return [_clean(v) for v in value]
    return value


def write_scorecard(scorecard: Scorecard, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``claims.json`` (a list, one object per check), ``validate.json`` (the run)
    and ``claims.html`` (the section the demo report includes); each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    claims = []
    for r in scorecard.rows:
        record = {k: _clean(v) for k, v in asdict(r).items()}
        record = {"id": r.id, **record}
        claims.append(record)
    run = {k: v for k, v in asdict(scorecard).items() if k != "rows"}
    run["passed"] = scorecard.passed
    run["checks"] = len(scorecard.rows)
    paths = {"claims": out / CLAIMS_FILE, "run": out / RUN_FILE, "html": out / CLAIMS_HTML}
    write_text_atomic(paths["claims"], json.dumps(claims, indent=2, allow_nan=False) + "\n")
    write_text_atomic(paths["run"], json.dumps(run, indent=2, allow_nan=False) + "\n")
    write_text_atomic(paths["html"], scorecard_html(claims, run))
    return paths


def load_scorecard(out_dir: str | os.PathLike[str]) -> tuple[list[dict[str, Any]],
                                                             dict[str, Any]]:
    """Read back ``claims.json`` and ``validate.json`` from a validate output directory.

    Raises
    ------
    ResultsError
        If a file is missing or is not what ``write_scorecard`` writes.
    """
    out = Path(out_dir)
    try:
        claims = json.loads((out / CLAIMS_FILE).read_text(encoding="utf-8"))
        run = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ResultsError(exc.filename, "file not found",
                           f"the output of tumorsim validate --out {out}") from exc
    except json.JSONDecodeError as exc:
        raise ResultsError(out / CLAIMS_FILE, f"not valid JSON ({exc.msg})",
                           "the output of tumorsim validate") from exc
    required = {"id", "passed", "published", "simulated", "ci_low", "ci_high"}
    if not isinstance(claims, list) or not all(
            isinstance(c, dict) and required <= set(c) for c in claims):
        raise ResultsError(out / CLAIMS_FILE, "not a scorecard",
                           f"a list of objects with {sorted(required)}")
    return claims, run


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3g}"


def scorecard_html(claims: Sequence[dict[str, Any]], run: dict[str, Any]) -> str:
    """The scorecard as an HTML ``<section>`` (self-contained, no scripts)."""
    esc = html.escape
    rows = []
    for c in claims:
        status = "pass" if c["passed"] else "fail"
        rows.append(
            f'<tr class="{status}"><td>{esc(c["id"])}</td><td>{esc(c["statistic"])}</td>'
            f'<td>{esc(c["published_text"])}</td><td>{esc(c["rule"])}</td>'
            f'<td>{_fmt(c["simulated"])} [{_fmt(c["ci_low"])}, {_fmt(c["ci_high"])}]</td>'
            f'<td>{status}</td><td>{_fmt(c["margin"])}</td><td>{esc(c["note"])}</td></tr>')
    mode = "fast subset sizes" if run.get("fast") else "full sizes"
    return (
        '<section id="claims"><h2>Scorecard: claims of MODEL.md section 5</h2>\n'
        f'<p>{run["passed"]} of {run["checks"]} checks pass; seed {run["seed"]}, {mode}, '
        f'scenario {esc(str(run["scenario_name"]))}, tumorsim {esc(str(run["version"]))}, '
        f'{esc(str(run["date"]))}, {run["wall_seconds"]:.0f} s. Simulated values carry '
        'their 95 % Monte Carlo interval; margin is the distance to the nearest edge of '
        'the pass band (negative: failed by that much).</p>\n'
        '<table class="claims"><thead><tr><th>claim</th><th>statistic</th><th>published'
        '</th><th>pass rule</th><th>simulated [95 % CI]</th><th>result</th><th>margin</th>'
        '<th>note</th></tr></thead>\n<tbody>\n' + "\n".join(rows)
        + "\n</tbody></table></section>\n")
