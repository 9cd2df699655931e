"""Running claims and the scorecard they produce: table, JSON and an HTML section.

The headline counts *emergent* checks only (``Scorecard.headline``); structural checks
(true by construction) and calibration targets (fitted to) are counted and listed apart,
so that neither inflates how far the model can be trusted. A failing check names the
what-ifs and examples whose answer depends on the same mechanism
(:mod:`tumorsim.validation.dependencies`).
"""

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

import numpy as np
import pandas as pd

from tumorsim.errors import ResultsError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.model.ensemble import Ensemble
from tumorsim.model.scenario import Scenario
from tumorsim.validation.claim import (
    EVIDENCE_KINDS,
    CheckResult,
    Claim,
    ClaimContext,
    Estimate,
    evaluate,
    judge,
    measure,
)
from tumorsim.validation.over_draws import judge_over_draws

__all__ = [
    "CLAIMS_FILE",
    "CLAIMS_HTML",
    "RUN_FILE",
    "Scorecard",
    "display_row",
    "ensemble_fingerprint",
    "headline",
    "kind_counts",
    "load_scorecard",
    "run_claims",
    "scenario_fingerprint",
    "scorecard_html",
    "write_scorecard",
]

CLAIMS_FILE: Final[str] = "claims.json"
RUN_FILE: Final[str] = "validate.json"
CLAIMS_HTML: Final[str] = "claims.html"
SCORECARD_FILES: Final[tuple[str, ...]] = (CLAIMS_FILE, RUN_FILE, CLAIMS_HTML)
"""What ``tumorsim validate`` writes into its directory."""

DEFAULT_DRAWS: Final[int] = 10
"""Parameter draws a claim is measured under when an ensemble is given."""


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
    ensemble : str
        Where the parameter draws came from (empty: the scenario's own values).
    draws : int
        Draws each claim was measured under (0 without an ensemble).
    ensemble_fingerprint : str
        :func:`ensemble_fingerprint` of the whole ensemble given (empty without one): a
        newly adopted posterior changes it, as a new default changes the scenario's.
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
    ensemble: str = ""
    draws: int = 0
    ensemble_fingerprint: str = ""

    @property
    def passed(self) -> int:
        """Checks passed, of every kind (see :meth:`counts` for the headline)."""
        return sum(r.passed for r in self.rows)

    def counts(self) -> dict[str, tuple[int, int]]:
        """``{kind: (passed, total)}`` for each evidence kind present."""
        return kind_counts([asdict(r) for r in self.rows])

    def headline(self) -> str:
        """The one-line summary: emergent checks passed, the other kinds apart."""
        return headline([asdict(r) for r in self.rows])

    def table(self) -> pd.DataFrame:
        """One row per check: id, kind, statistic, published, simulated with CI, pass, margin."""
        return pd.DataFrame([{
            "id": r.id, "kind": r.kind, "statistic": r.statistic,
            "published": r.published_text, "published_ci": r.published_ci,
            "rule": r.rule, "simulated": r.simulated, "ci_low": r.ci_low,
            "ci_high": r.ci_high, "exact": r.exact, "passed": r.passed, "margin": r.margin,
            "affects": ", ".join(r.affects),
        } for r in self.rows])

    def display_rows(self) -> list[dict[str, str]]:
        """The table as text cells, for a terminal or a page (the CLI only renders them).

        Columns: ``claim``, ``kind``, ``statistic``, ``published``, ``pass rule``,
        ``simulated``, ``result``, ``margin``, ``what it touches``.
        """
        return [display_row({"id": r.id, **asdict(r)}) for r in self.rows]


def kind_counts(claims: Sequence[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """``{kind: (passed, total)}`` over rows of ``claims.json`` (or ``asdict`` rows)."""
    out: dict[str, tuple[int, int]] = {}
    for kind in EVIDENCE_KINDS:
        rows = [c for c in claims if c.get("kind") == kind]
        if rows:
            out[kind] = (sum(bool(c["passed"]) for c in rows), len(rows))
    return out


def headline(claims: Sequence[dict[str, Any]]) -> str:
    """``"E of N emergent checks pass; not counted: ..."`` over rows of ``claims.json``."""
    counts = kind_counts(claims)
    passed, total = counts.get("emergent", (0, 0))
    others = [f"{p} of {n} {kind} checks pass" for kind, (p, n) in counts.items()
              if kind != "emergent"]
    text = f"{passed} of {total} emergent checks pass"
    uncertain = sum(c.get("status") == "uncertain" for c in claims if c.get("kind") == "emergent")
    if uncertain:
        text += (f" ({uncertain} more uncertain: holding in some but fewer than 95 % of "
                 "parameter draws)")
    if others:
        text += "; not counted as evidence: " + ", ".join(others)
    return text


def simulated_text(c: dict[str, Any]) -> str:
    """``"0.53 [0.5, 0.56]"``, or ``"0.53 (exact)"`` for an exact value.

    A narrow interval gets the digits that show its width, so that a real interval never
    reads as a zero-width one.
    """
    if c.get("exact"):
        return f"{_fmt(c['simulated'])} (exact)"
    digits = 3
    while (digits < 8 and c["ci_low"] is not None and c["ci_high"] is not None
           and _fmt(c["ci_low"], f".{digits}g") == _fmt(c["ci_high"], f".{digits}g")):
        digits += 1
    spec = f".{digits}g"
    return (f"{_fmt(c['simulated'], spec)} [{_fmt(c['ci_low'], spec)}, "
            f"{_fmt(c['ci_high'], spec)}]")


def result_text(c: dict[str, Any]) -> str:
    """``"pass"``, ``"FAIL"`` or ``"uncertain"`` (see :class:`CheckResult`)."""
    if c.get("status") == "uncertain":
        return "uncertain"
    return "pass" if c["passed"] else "FAIL"


def over_draws_text(c: dict[str, Any]) -> str:
    """``"80 % of 10 draws; parameters 64 %"``: the share of draws the check holds in, and
    the share of the variance due to the parameters."""
    holding = c.get("draws_holding")
    held = "-" if holding is None or not math.isfinite(holding) else f"{100 * holding:.0f} %"
    return (f"{held} of {c.get('draws', 1)} draws; parameters "
            f"{100 * float(c.get('parameter_share') or 0.0):.0f} %")


def display_row(c: dict[str, Any]) -> dict[str, str]:
    """One row of ``claims.json`` as the text cells of the scorecard table (with an
    ``holds in; parameter share`` cell when the check was judged over parameter draws)."""
    row = {
        "claim": str(c["id"]), "kind": str(c.get("kind", "")),
        "statistic": str(c["statistic"]), "published": str(c["published_text"]),
        "pass rule": str(c["rule"]), "simulated": simulated_text(c),
        "result": result_text(c), "margin": _fmt(c["margin"], "+.3g"),
    }
    if int(c.get("draws", 1) or 1) > 1:
        row["holds in; parameter share"] = over_draws_text(c)
    row["what it touches"] = "" if c["passed"] else _touches(c.get("affects") or ())
    return row


def _touches(affects: Sequence[str]) -> str:
    """The what-ifs and examples a failing check touches, short when it is all of them."""
    from tumorsim.validation.dependencies import EXAMPLES, WHAT_IFS

    if set(affects) >= set(WHAT_IFS) | set(EXAMPLES):
        return "every what-if and example"
    return ", ".join(affects)


def scenario_fingerprint(scenario: Scenario) -> str:
    """First 12 hex digits of the SHA-256 of the scenario's full JSON and of every value
    it resolves to (registry defaults of parameters, sites and clones included), so that
    a change of a default also changes the fingerprint."""
    import hashlib

    from tumorsim.io.scenario_file import scenario_to_json
    from tumorsim.model.anatomy import CLONES, SITES
    from tumorsim.model.clones import CLONE_ATTRIBUTES
    from tumorsim.model.parameters import PARAMETER_SPECS
    from tumorsim.model.sites import SITE_ATTRIBUTES

    resolved = {
        "parameters": {p.name: scenario.parameter(p.name) for p in PARAMETER_SPECS},
        "sites": {s: {a.name: scenario.site_value(s, a.name) for a in SITE_ATTRIBUTES}
                  for s in SITES},
        "clones": {c: {a.name: scenario.clone_value(c, a.name) for a in CLONE_ATTRIBUTES}
                   for c in CLONES},
    }
    text = scenario_to_json(scenario) + json.dumps(resolved, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def ensemble_fingerprint(ensemble: Ensemble) -> str:
    """First 12 hex digits of :meth:`Ensemble.sha256 <tumorsim.model.ensemble.Ensemble.sha256>`
    (the digest a simulation checkpoint records), so that another posterior or another draw
    of the mechanism priors gives another fingerprint."""
    return ensemble.sha256()[:12]


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
    ensemble: Ensemble | None = None,
    draws: int = DEFAULT_DRAWS,
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
    ensemble : Ensemble, optional
        Parameter draws: every claim is measured under ``draws`` of them (evenly spaced
        rows), each on its own share of the claim's patients and its own seed, and judged
        over them (:mod:`tumorsim.validation.over_draws`). A one-draw ensemble is a point
        run at that draw. Default: the scenario's own values.
    draws : int
        Draws used from a larger ensemble.
    """
    from tumorsim.results import package_version

    started = time.perf_counter()
    biologies = _draw_scenarios(scenario, ensemble, draws)
    caches: list[dict[object, object]] = [{} for _ in biologies]
    rows: list[CheckResult] = []
    for k, claim in enumerate(claims):
        if on_claim is not None:
            on_claim(claim, k, len(claims))
        size = claim.fast_patients if fast else claim.patients
        if patients is not None and claim.size_unit != "twins per woman":
            size = patients
        if len(biologies) == 1:
            context = ClaimContext(scenario=biologies[0], seed=seed, patients=size,
                                   n_threads=n_threads, progress=progress, cache=caches[0])
            rows.extend(evaluate(claim, context))
        else:
            rows.extend(_evaluate_over_draws(claim, biologies, caches, seed=seed, size=size,
                                             n_threads=n_threads, progress=progress))
    return Scorecard(rows=rows, seed=seed, fast=fast, scenario_name=scenario.name,
                     version=package_version(), date=datetime.date.today().isoformat(),
                     wall_seconds=time.perf_counter() - started, command=command,
                     scenario_fingerprint=scenario_fingerprint(scenario),
                     ensemble=ensemble.source if ensemble is not None else "",
                     draws=len(biologies) if ensemble is not None else 0,
                     ensemble_fingerprint=(ensemble_fingerprint(ensemble)
                                           if ensemble is not None else ""))


def _draw_scenarios(scenario: Scenario, ensemble: Ensemble | None, draws: int
                    ) -> list[Scenario]:
    """The scenario under each draw used (``[scenario]`` without an ensemble)."""
    if ensemble is None:
        return [scenario]
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    n = min(draws, len(ensemble))
    rows = np.unique(np.round(np.linspace(0, len(ensemble) - 1, n)).astype(int))
    chosen = Ensemble(ensemble.draws.iloc[rows].reset_index(drop=True), ensemble.source)
    return chosen.scenarios(scenario)


def draw_seed(seed: int, draw: int) -> int:
    """The master seed of draw ``draw`` of a claim (draw 0 keeps ``seed``)."""
    if draw == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(draw)]).generate_state(1)[0])


def _evaluate_over_draws(claim: Claim, biologies: Sequence[Scenario],
                         caches: Sequence[dict[object, object]], *, seed: int, size: int,
                         n_threads: int | None,
                         progress: Callable[[int, int], None] | None) -> list[CheckResult]:
    """One claim measured under each draw (patients spread over draws), judged over them."""
    n_draws = len(biologies)
    per_draw_size = max(1, math.ceil(size / n_draws))
    estimates: list[dict[str, Estimate]] = []
    seconds = 0.0
    first: ClaimContext | None = None
    for k, biology in enumerate(biologies):
        inner = None if progress is None else _draw_progress(progress, k, n_draws)
        context = ClaimContext(scenario=biology, seed=draw_seed(seed, k),
                               patients=per_draw_size, n_threads=n_threads, progress=inner,
                               cache=caches[k])
        first = first or context
        found, secs = measure(claim, context)
        estimates.append(found)
        seconds += secs
    assert first is not None
    rows = judge(claim, first, estimates[0], seconds)
    return [judge_over_draws(check, row, [e[check.label] for e in estimates], n_draws,
                             per_draw_size)
            for check, row in zip(claim.checks, rows, strict=True)]


def _draw_progress(progress: Callable[[int, int], None], k: int, n: int
                   ) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(k * total + done, n * total)
    return report


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
    run["by_kind"] = {k: {"passed": p, "checks": n} for k, (p, n) in scorecard.counts().items()}
    run["headline"] = scorecard.headline()
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


def _fmt(x: Any, spec: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return format(x, spec)


def scorecard_html(claims: Sequence[dict[str, Any]], run: dict[str, Any]) -> str:
    """The scorecard as an HTML ``<section>`` (self-contained, no scripts)."""
    esc = html.escape
    rows = []
    for c in claims:
        cells = display_row(c)
        status = {"pass": "pass", "uncertain": "uncertain"}.get(result_text(c), "fail")
        rows.append(f'<tr class="{status}">' + "".join(
            f"<td>{esc(cells[k])}</td>" for k in cells) + f"<td>{esc(c['note'])}</td></tr>")
    mode = "fast subset sizes" if run.get("fast") else "full sizes"
    names = list(display_row(claims[0])) if claims else []
    header = "".join(f"<th>{esc(k)}</th>" for k in (
        *("simulated [95 % CI]" if k == "simulated" else k for k in names), "note"))
    biology = (f" Parameters: {esc(str(run['ensemble']))}; each claim measured under "
               f"{run.get('draws')} draws, its patients spread over them; the interval is "
               "the total one (parameters and Monte Carlo noise); a mechanism check "
               "passes when it holds in at least 95 % of draws, beyond Monte Carlo noise, "
               "and is uncertain when it holds in some draws but not so."
               if run.get("ensemble") else "")
    return (
        '<section id="claims"><h2>Scorecard: the claims of the model specification</h2>\n'
        f'<p><strong>{esc(headline(claims))}.</strong> Seed {run["seed"]}, {mode}, '
        f'scenario {esc(str(run["scenario_name"]))}, tumorsim {esc(str(run["version"]))}, '
        f'{esc(str(run["date"]))}, {run["wall_seconds"]:.0f} s. Only emergent checks count '
        'as evidence: structural checks hold by construction of the equations and '
        'calibration targets are fitted to. Simulated values carry their 95 % Monte Carlo '
        'interval, or are exact given the parameters; margin is the distance to the '
        'nearest edge of the pass band (negative: failed by that much). A failing check '
        f'lists the what-ifs and examples that rest on the same mechanism.{biology}</p>\n'
        f'<table class="claims"><thead><tr>{header}</tr></thead>\n<tbody>\n'
        + "\n".join(rows) + "\n</tbody></table></section>\n")
