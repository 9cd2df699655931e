"""The demo: the GBSG2 twin with the calibrated parameters, one what-if per mechanism,
and one self-contained HTML report.

``run_demo(out_dir)`` simulates K twins of each of GBSG2's 686 women under her recorded
treatment (2 years of tamoxifen if horTh, CMF for all) and under what-if plans:

=======================================  =============================================
arm                                      question
=======================================  =============================================
as recorded                              the twin itself (compared with GBSG2)
arsenic 10 ug/L                          M1: chronic arsenic at the EPA limit
CMF + CXCR2 inhibitor                    M2: CXCR2 blockade during chemotherapy
cisplatin instead of CMF                 reference for M3
cisplatin + DRP1 and NRF2 inhibitors     M3: DRP1/NRF2 inhibition with cisplatin
=======================================  =============================================

Every arm uses the same twins and seed (common random numbers). Each arm's twin result
is saved under ``out_dir/<arm>/``; ``demo.json`` records the run; ``build_report(out_dir)``
(also ``tumorsim report DIR``) rebuilds ``report.html`` from the saved files alone.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from tumorsim import __version__
from tumorsim.analysis.ensemble import DrawDecomposition, mean_over_draws, survival_fan
from tumorsim.analysis.gbsg2 import horth_pr_groups
from tumorsim.analysis.intervals import Z95
from tumorsim.analysis.survival import cox_hazard_ratios
from tumorsim.cohort.data import load_gbsg2
from tumorsim.errors import ResultsError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.io.ensemble_file import ensemble_record, packaged_posterior_dir
from tumorsim.io.scenario_file import load_default_scenario, load_scenario
from tumorsim.io.twin_file import save_twin_result
from tumorsim.model.ensemble import Ensemble, parameters_text
from tumorsim.model.rules import format_rules, rules_for
from tumorsim.model.scenario import Scenario
from tumorsim.report.figures import (
    hazard_ratio_figure,
    km_comparison_figure,
    survival_curves_figure,
    survival_fan_figure,
)
from tumorsim.report.html import Report
from tumorsim.results import metastatic_at_diagnosis, metastatic_at_diagnosis_reason
from tumorsim.runner.twins import run_twin
from tumorsim.validation import all_claims, run_claims, write_scorecard
from tumorsim.validation.scorecard import load_scorecard

MANIFEST: Final[str] = "demo.json"
REPORT: Final[str] = "report.html"
HORIZON_YEARS: Final[float] = 10.0
DAYS_PER_YEAR: Final[float] = 365.25
VALIDATE_DIR: Final[str] = "validate"
CLAIMS_TASK: Final[str] = "claims (fast scorecard)"
SENSITIVITY_DIR: Final[str] = "sensitivity"
"""Sub-directory whose ``<name>/`` results of ``tumorsim sensitivity --out`` the report shows."""


@dataclass(frozen=True)
class WhatIf:
    """One demo arm: a name, a directory, a question and how it changes the twin.

    ``reference`` names the arm its effect is measured against (none for the twin
    itself); ``caveat`` says what the model can and cannot show with it, printed next to
    its answer in the report.
    """

    name: str
    slug: str
    question: str
    regimen: str
    exposures: dict[str, object] | None = None
    treatment: dict[str, object] | None = None
    reference: str | None = None
    caveat: str = ""


CMF_DAYS: Final[float] = 6 * 28.0
CISPLATIN_DAYS: Final[float] = 4 * 21.0
CHEMO_START_DAY: Final[float] = 28.0
"""Day chemotherapy starts in the twins' plans (``ChemotherapySpec.start_day``'s default);
the what-if drugs given with it start then too."""

WHAT_IFS: Final[tuple[WhatIf, ...]] = (
    WhatIf("as recorded", "as_recorded", "the GBSG2 twin: treatment as recorded", "CMF"),
    WhatIf("arsenic 10 ug/L", "arsenic", "M1: chronic arsenic in drinking water at the EPA "
           "limit, before and after diagnosis", "CMF",
           exposures={"arsenic": {"kind": "constant", "level": 10.0}},
           reference="as recorded",
           caveat="arsenic acts in this model only through ROS and the loss of PR (M1): "
           "fewer PR+ cells weaken tamoxifen, which only the women treated with it (horTh) "
           "can lose, and PR- clones disseminate more. M1 is stated for environmental "
           "exposure; direct toxicity of arsenic is not modelled."),
    WhatIf("CMF + CXCR2 inhibitor", "cxcr2", "M2: a CXCR2 inhibitor during CMF", "CMF",
           treatment={"cxcr2_inhibitor": {"start_day": CHEMO_START_DAY,
                                          "duration_days": CMF_DAYS}},
           reference="as recorded",
           caveat="the inhibitor blocks the myeloid niche that chemotherapy-induced "
           "CXCL1/2 recruits (M2). The primary tumour, whose niche chemotherapy inflames "
           "most, is removed at surgery on day 0, before CMF starts on day "
           f"{CHEMO_START_DAY:g}; after surgery a niche can only form around "
           "micrometastases, whose CXCL1/2 signal is small while they are small. An "
           "effect near none here therefore says that little niche is left to block after "
           "surgery, not that CXCR2 blockade fails: the scorecard's M2b checks measure it "
           "on an unresected tumour."),
    WhatIf("cisplatin", "cisplatin", "reference for M3: cisplatin instead of CMF",
           "cisplatin", reference="as recorded",
           caveat="a reference arm for M3: cisplatin (4 cycles of 21 days) in place of CMF "
           "for every woman, her tamoxifen as recorded; cisplatin is not a standard "
           "adjuvant treatment of these women."),
    WhatIf("cisplatin + DRP1/NRF2 inhibitors", "cisplatin_drp1_nrf2",
           "M3: DRP1 (mdivi-1) and NRF2 (ML385) inhibitors during cisplatin", "cisplatin",
           treatment={"drp1_inhibitor": {"start_day": CHEMO_START_DAY,
                                         "duration_days": CISPLATIN_DAYS},
                      "nrf2_inhibitor": {"start_day": CHEMO_START_DAY,
                                         "duration_days": CISPLATIN_DAYS}},
           reference="cisplatin",
           caveat="the inhibitors act only while they are given (with cisplatin, from day "
           f"{CHEMO_START_DAY:g} for {CISPLATIN_DAYS:g} days): they lower the antioxidant "
           "protection of soft sites (lung, brain and, less, liver) against cisplatin and "
           "dormant-cell death, and slow awakening meanwhile (M3); dormant cells that "
           "outlast them are unchanged."),
)


def _what_if_caveats(report: Report, out: Path, what_ifs: list[WhatIf]) -> None:
    """Beside a what-if figure: what each arm can show, and the failing checks it rests on.

    The failing checks are read from the demo's scorecard (``out/validate``); the note
    says so when there is none.
    """
    lines = [f"Caveat ({w.name}): {w.caveat}" for w in what_ifs if w.caveat]
    if not (out / VALIDATE_DIR / "claims.json").is_file():
        lines.append("No scorecard was run with this demo (--no-claims), so which of these "
                     "answers rest on a failing check is not shown here; see "
                     "docs/validation.md.")
    else:
        from tumorsim.validation.dependencies import failing_checks_for

        claim_rows, _ = load_scorecard(out / VALIDATE_DIR)
        failing = []
        for what_if in what_ifs:
            checks = failing_checks_for(what_if.name, claim_rows)
            if checks:
                failing.append(f"{what_if.name}: {len(checks)} failing checks of the same "
                               f"mechanisms ({', '.join(checks)})")
        if failing:
            lines.append("These answers rest on mechanisms the scorecard finds wanting, so "
                         "read them as the model's, not the biology's. " + "; ".join(failing)
                         + ".")
        else:
            lines.append("No failing check of the scorecard touches these arms.")
    report.add_note("\n\n".join(lines))


def calibrated_scenario() -> Scenario:
    """The package's calibrated parameters as a scenario (model defaults elsewhere)."""
    return load_scenario("tumorsim:calibrated")


def run_demo(
    out_dir: str | Path,
    *,
    twins: int = 10,
    seed: int = 2026,
    n_threads: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    command: str = "tumorsim demo",
    claims: bool = True,
    ensemble: Ensemble | None = None,
) -> Path:
    """Simulate the GBSG2 twin and the what-if arms, save them and write the report.

    Parameters
    ----------
    out_dir : str or Path
        Directory for ``<arm>/`` twin results, ``demo.json`` and ``report.html``.
    twins : int, default 10
        Twins per GBSG2 patient.
    seed : int, default 2026
    n_threads : int, optional
    progress : callable, optional
        ``progress(arm_name, done, total)`` while an arm runs.
    command : str
        Recorded in ``demo.json`` and the report.
    claims : bool, default True
        Also run the fast scorecard of every claim (``tumorsim validate --fast``) into
        ``<out_dir>/validate/``; the report includes it. ``progress`` then reports
        ``("claims", k, total)`` per claim.
    ensemble : Ensemble, optional
        Parameter draws (the ``demo`` command's default is ``tumorsim:ensemble``): each
        twin lives under one draw, the same in every arm, and every claim is judged over
        draws; the report then shows intervals over the parameters. Default: the
        calibrated parameters, one set.

    Returns
    -------
    Path
        The report file.

    Raises
    ------
    tumorsim.errors.ResultsError
        Before any computation: ``out_dir`` is a file, holds files the demo did not write,
        is not writable, or another run is writing there.
    """
    from tumorsim.io.output_dir import claim_output_dir

    # issue 16: --out is checked (and locked) before any computation
    with claim_output_dir(out_dir, known=demo_files()) as out:
        return _run_demo(out, twins=twins, seed=seed, n_threads=n_threads,
                         progress=progress, command=command, claims=claims,
                         ensemble=ensemble)


def demo_files() -> tuple[str, ...]:
    """The files and folders ``run_demo`` writes into its output directory."""
    return (*(w.slug for w in WHAT_IFS), VALIDATE_DIR, MANIFEST, REPORT)


def _run_demo(
    out: Path,
    *,
    twins: int,
    seed: int,
    n_threads: int | None,
    progress: Callable[[str, int, int], None] | None,
    command: str,
    claims: bool,
    ensemble: Ensemble | None,
) -> Path:
    """:func:`run_demo` into the claimed directory ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    base = calibrated_scenario().with_changes(cohort={"horizon_years": HORIZON_YEARS})
    cohort = load_gbsg2()
    started = time.perf_counter()
    arms = []
    for what_if in WHAT_IFS:
        scenario = base
        if what_if.exposures:
            scenario = scenario.with_changes(exposures=what_if.exposures)
        if what_if.treatment:
            scenario = scenario.with_changes(treatment=what_if.treatment)
        scenario = scenario.with_changes(name=what_if.name)

        def report_progress(done: int, total: int, name: str = what_if.name) -> None:
            if progress is not None:
                progress(name, done, total)

        t0 = time.perf_counter()
        result = run_twin(scenario, cohort, twins=twins, seed=seed,
                          chemotherapy_regimen=what_if.regimen,  # type: ignore[arg-type]
                          n_threads=n_threads, progress=report_progress, ensemble=ensemble)
        metadata = {"tumorsim.data": "GBSG2 (lifelines)"}
        if ensemble is not None:
            metadata["tumorsim.ensemble"] = ensemble_record(ensemble)
        save_twin_result(result, out / what_if.slug, metadata=metadata)
        arms.append({"name": what_if.name, "slug": what_if.slug,
                     "question": what_if.question, "wall_seconds": time.perf_counter() - t0})
    claims_seconds = None
    if claims:
        t0 = time.perf_counter()
        chosen = all_claims()

        def on_claim(claim: object, k: int, total: int) -> None:
            if progress is not None:
                progress(CLAIMS_TASK, k, total)

        card = run_claims(chosen, load_default_scenario(), seed=seed, fast=True,
                          n_threads=n_threads, on_claim=on_claim,
                          command=f"{command} (tumorsim validate --fast --seed {seed})",
                          ensemble=ensemble)
        write_scorecard(card, out / VALIDATE_DIR)
        if progress is not None:
            progress(CLAIMS_TASK, len(chosen), len(chosen))
        claims_seconds = time.perf_counter() - t0
    manifest = {
        "command": command,
        "version": __version__,
        "seed": seed,
        "twins_per_patient": twins,
        "patients": len(cohort),
        "horizon_years": HORIZON_YEARS,
        "arms": arms,
        "claims_wall_seconds": claims_seconds,
        "parameters": parameters_text(ensemble),
        "draws": len(ensemble) if ensemble is not None else 0,
        "wall_seconds": time.perf_counter() - started,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    write_text_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return build_report(out)


def _read_arm(out: Path, slug: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    directory = out / slug
    for name in ("patients.parquet", "twins.parquet"):
        if not (directory / name).is_file():
            raise ResultsError(directory / name, "missing",
                               "a demo directory written by `tumorsim demo`")
    return (pd.read_parquet(directory / "patients.parquet"),
            pd.read_parquet(directory / "twins.parquet"))


def _arm_scenario(out: Path, slug: str) -> Scenario:
    """The scenario an arm's twins ran under, from its ``twins.parquet`` metadata."""
    import pyarrow.parquet as pq

    from tumorsim.io.scenario_file import scenario_from_json

    path = out / slug / "twins.parquet"
    metadata = pq.read_schema(path).metadata or {}
    if b"tumorsim.scenario" not in metadata:
        raise ResultsError(path, "no tumorsim.scenario in its metadata",
                           "a twin result written by `tumorsim demo`")
    return scenario_from_json(metadata[b"tumorsim.scenario"])


@dataclass(frozen=True)
class _Arm:
    """One what-if arm as the report shows it: the M0 twins and what was left out."""

    what_if: WhatIf
    twins: pd.DataFrame  # arm, twin, rfs_days, rfs_event, lung, draw: M0 twins only
    excluded: int  # twins with a distant metastasis at diagnosis (day-0 relapse)
    total: int
    reason: str  # why there are such twins (results.metastatic_at_diagnosis_reason)


def _load_arm(out: Path, what_if: WhatIf) -> _Arm:
    """An arm's twins, followed to the horizon, without day-0 distant relapses."""
    _, twins = _read_arm(out, what_if.slug)
    at_diagnosis = metastatic_at_diagnosis(twins)
    kept = twins[~at_diagnosis]
    frame = pd.DataFrame({
        "arm": what_if.name,
        "twin": kept["source_row"].to_numpy(np.int64) * 1_000_000
        + kept["twin_index"].to_numpy(np.int64),
        "rfs_days": kept["rfs_days_uncensored"].to_numpy(float),
        "rfs_event": kept["rfs_event_uncensored"].to_numpy(bool),
        "lung": kept["distant_lung_days"].notna().to_numpy(),
        "draw": (kept["draw"].to_numpy(np.int64) if "draw" in kept
                 else np.zeros(len(kept), np.int64)),
    })
    return _Arm(what_if, frame, int(at_diagnosis.sum()), len(twins),
                metastatic_at_diagnosis_reason(_arm_scenario(out, what_if.slug)))


def _count_range(counts: list[int]) -> str:
    """``"53"`` or ``"53-59"``."""
    low, high = min(counts), max(counts)
    return f"{low:,}" if low == high else f"{low:,}\u2013{high:,}"


def _excluded_footnote(arms: list[_Arm]) -> str:
    """One line under a figure: how many twins per arm are not in its curves."""
    per_arm = " per arm" if len(arms) > 1 else ""
    return (f"Not shown: {_count_range([a.excluded for a in arms])} of "
            f"{_count_range([a.total for a in arms])} twins{per_arm} with a distant "
            "metastasis at diagnosis (see the note below the figure)")


def _excluded_note(arms: list[_Arm], *, also: str = "") -> str:
    """The note beside a figure: twins left out per arm, why, and what the curves are."""
    counts = "; ".join(f"{a.what_if.name} {a.excluded:,} of {a.total:,} "
                       f"({a.excluded / a.total:.1%})" for a in arms)
    reasons = sorted({a.reason for a in arms})
    return ("Left out of these curves, numbers at risk and hazard ratios: twins with a "
            "distant metastasis already at diagnosis, which the engine records as a relapse "
            f"on day 0 ({'; '.join(reasons)}): {counts}. The curves are of M0 twins, as "
            f"GBSG2's women were M0.{' ' + also if also else ''}")


def _early_relapses(rfs_days: np.ndarray, rfs_event: np.ndarray, days: float = 30.0) -> int:
    """Relapses after day 0 and within ``days`` of diagnosis."""
    return int((rfs_event & (rfs_days > 0) & (rfs_days <= days)).sum())


def _early_text(counts: list[int]) -> str:
    """The sentence on first-month relapses, which stay in the curves."""
    per_arm = " per arm" if len(counts) > 1 else ""
    return (f"A further {_count_range(counts)} twins{per_arm} relapse within 30 days of "
            "diagnosis (metastases close to the detection size at diagnosis); they stay in "
            "the curves.")


def _ci_text(estimate: float, lower: float, upper: float, spec: str = ".3f") -> str:
    """``"0.938 (0.868\u20130.972)"``."""
    return f"{estimate:{spec}} ({lower:{spec}}\u2013{upper:{spec}})"


def _unbroken(text: str) -> str:
    """``text`` kept on one line in a table cell: no-break spaces, word joiners around
    dashes (``"0.228 [0.223, 0.233]"``, ``"0.938 (0.868\u20130.972)"``)."""
    return text.replace(" ", "\u00a0").replace("\u2013", "\u2060\u2013\u2060")


def _interval_unbroken(text: str) -> str:
    """``"0.228 [0.223, 0.233]"`` that may break before the interval but not inside it."""
    return re.sub(r"\[[^\]]*\]", lambda m: _unbroken(m.group(0)), text)


def _ci_cell(estimate: float, lower: float, upper: float) -> str:
    """:func:`_ci_text` for a table cell, on one line."""
    return _unbroken(_ci_text(estimate, lower, upper))


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.1f} %"


def _observed_and_simulated(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, _Arm]:
    """GBSG2 (observed) and the M0 twins as recorded (simulated), censored at follow-up."""
    patients, twins = _read_arm(out, WHAT_IFS[0].slug)
    observed = pd.DataFrame({
        "rfs_days": patients["follow_up_days"].to_numpy(float),
        "rfs_event": patients["relapse_event"].to_numpy(bool),
        "hormone_therapy": patients["hormone_therapy"].to_numpy(int),
        "group": horth_pr_groups(patients["hormone_therapy"].to_numpy(),
                                 patients["pr_fmol"].to_numpy()),
    })
    at_diagnosis = metastatic_at_diagnosis(twins)
    kept = twins[~at_diagnosis]
    rows = kept["source_row"].to_numpy()
    simulated = pd.DataFrame({
        "rfs_days": kept["rfs_days"].to_numpy(float),
        "rfs_event": kept["rfs_event"].to_numpy(bool),
        "hormone_therapy": patients["hormone_therapy"].to_numpy(int)[rows],
        "group": np.asarray(observed["group"])[rows],
    })
    arm = _Arm(WHAT_IFS[0], simulated, int(at_diagnosis.sum()), len(twins),
               metastatic_at_diagnosis_reason(_arm_scenario(out, WHAT_IFS[0].slug)))
    return observed, simulated, arm


_GROUP_ORDER: Final[tuple[str, ...]] = ("horTh no, PR-", "horTh yes, PR-", "horTh no, PR+",
                                        "horTh yes, PR+")


def _add_observed_vs_simulated(report: Report, observed: pd.DataFrame,
                               simulated: pd.DataFrame, arm: _Arm) -> None:
    report.add_section(
        "Observed and simulated recurrence-free survival",
        "GBSG2 (686 node-positive women, lifelines) against their stochastic twins, each "
        "treated as recorded (CMF for all, 2 years of tamoxifen if horTh) and censored at "
        "her own follow-up. Bands are 95 % confidence intervals. Under each panel, the "
        "number at risk: women (or twins) still followed, without relapse and not yet "
        "censored, at each time; each woman has several twins.")
    report.add_figure(
        km_comparison_figure(observed, simulated, group_column="group",
                             group_order=list(_GROUP_ORDER),
                             title="RFS by horTh and PR (PR+ = 10 fmol/mg or more)",
                             footnote=_excluded_footnote([arm])),
        "Kaplan-Meier RFS, observed (GBSG2) and simulated (M0 twins), per horTh x PR group, "
        "with the numbers at risk", "km-groups")
    early = _early_relapses(simulated["rfs_days"].to_numpy(),
                            simulated["rfs_event"].to_numpy())
    report.add_note(_excluded_note([arm], also=_early_text([early])))


def _add_horth_hazard_ratios(report: Report, observed: pd.DataFrame,
                             simulated: pd.DataFrame) -> None:
    hr_rows = []
    for pr_label in ("PR+", "PR-"):
        for source, table in (("observed", observed), ("simulated", simulated)):
            mask = np.array([g.endswith(pr_label) for g in table["group"]])
            sub = table[mask][["rfs_days", "rfs_event", "hormone_therapy"]]
            hr = cox_hazard_ratios(sub, "rfs_days", "rfs_event", ["hormone_therapy"]).iloc[0]
            hr_rows.append({"label": f"horTh in {pr_label}", "hr": float(hr["hr"]),
                            "ci_lower": float(hr["ci_lower"]), "ci_upper": float(hr["ci_upper"]),
                            "source": source})
    hr_table = pd.DataFrame(hr_rows)
    report.add_section("Hazard ratio of tamoxifen (horTh)",
                       "Cox models of RFS on horTh within PR+ and PR- patients (simulated: "
                       "the M0 twins of the figure above). The simulated interval reflects "
                       "the K twins per woman and is therefore narrower than the observed "
                       "one.")
    report.add_figure(hazard_ratio_figure(hr_table, title="horTh hazard ratio, RFS"),
                      "horTh hazard ratio: observed vs simulated", "hr-forest")
    report.add_table(pd.DataFrame({
        "comparison": hr_table["label"],
        "source": hr_table["source"],
        "hazard ratio (95 % CI)": [_ci_cell(r.hr, r.ci_lower, r.ci_upper)
                                   for r in hr_table.itertuples()],
    }), "horTh hazard ratios of RFS, observed (GBSG2) and simulated (twins)", "hr-table")


def _unit_text(unit: str) -> str:
    return "dimensionless" if unit == "1" else unit


def _parameter_facts(name: str) -> tuple[str, str, float, float, float]:
    """``(symbol, unit, low, high, default)`` of a calibrated name from the registries."""
    from tumorsim.calibration.fit import clone_attribute
    from tumorsim.model.clones import CLONE_ATTRIBUTES, CLONE_DEFAULTS
    from tumorsim.model.parameters import PARAMETERS

    target = clone_attribute(name)
    if target is not None:
        clone, attribute = target
        spec = next(a for a in CLONE_ATTRIBUTES if a.name == attribute)
        symbol = spec.description.split(":", 1)[0] if ":" in spec.description else ""
        return (f"{symbol} ({clone})".strip(), spec.unit, spec.low, spec.high,
                CLONE_DEFAULTS[clone][attribute])
    p = PARAMETERS[name]
    return p.symbol, p.unit, p.low, p.high, p.default


def _calibrated_parameter_table(parameters: dict[str, float]) -> pd.DataFrame:
    """Each fitted value with its unit, allowed range, registry default and target."""
    from tumorsim.calibration.fit import CALIBRATED_PARAMETERS

    reasons = {c.name: c.reason for c in CALIBRATED_PARAMETERS}
    rows = []
    for name, value in parameters.items():
        symbol, unit, low, high, default = _parameter_facts(name)
        rows.append({"parameter": name, "symbol": symbol, "unit": _unit_text(unit),
                     "allowed range": f"{low:g} to {high:g}", "registry default": default,
                     "fitted": value, "fitted to": reasons.get(name, "")})
    return pd.DataFrame(rows)


def _add_calibration(report: Report) -> None:
    calibration = resources.files("tumorsim") / "data" / "calibrated_parameters.json"
    if not calibration.is_file():
        return
    record = json.loads(calibration.read_text())
    held = record["held_out"]
    report.add_section(
        "Base calibration and held-out check (target K1)",
        f"The base biology, one parameter set, produced by `{record['command']}`; the "
        "posterior of the next section replaces the values it fits. Fitted on a training "
        "split of GBSG2; the "
        "tables below are the held-out split: is the simulated RFS inside the observed "
        "95 % CI? c-index of the twins' risk score on held-out patients: "
        f"{held['c_index_twin']:.3f}; Cox model fitted on the training split: "
        f"{held['c_index_cox']:.3f}.")
    rfs = pd.DataFrame(held["rfs"])
    report.add_table(pd.DataFrame({
        "group": rfs["group"],
        "years": rfs["years"].to_numpy(float),
        "observed RFS (95 % CI)": [_ci_cell(r.survival_observed, r.observed_ci_lower,
                                            r.observed_ci_upper) for r in rfs.itertuples()],
        "simulated RFS (95 % CI)": [_ci_cell(r.survival_simulated, r.simulated_ci_lower,
                                             r.simulated_ci_upper) for r in rfs.itertuples()],
        "simulated inside observed CI": ["yes" if v else "no" for v in rfs["inside"]],
    }), "Held-out RFS at 1, 3 and 5 years since diagnosis: observed and simulated",
        "k1-rfs", column_formats={"years": "g"})
    hrs = pd.DataFrame(held["hazard_ratios"])
    report.add_table(pd.DataFrame({
        "PR status": hrs["pr"],
        "observed hazard ratio (95 % CI)": [_ci_cell(r.hr_observed, r.ci_lower_observed,
                                                     r.ci_upper_observed)
                                            for r in hrs.itertuples()],
        "simulated hazard ratio (95 % CI)": [_ci_cell(r.hr_simulated, r.ci_lower_simulated,
                                                      r.ci_upper_simulated)
                                             for r in hrs.itertuples()],
        "simulated inside observed CI": ["yes" if v else "no" for v in hrs["inside"]],
    }), "Held-out horTh hazard ratios of RFS", "k1-hr")
    report.add_table(_calibrated_parameter_table(record["parameters"]),
                     "Calibrated parameters: unit, allowed range and default from the "
                     "parameter registry (docs/parameters.md), fitted value, and what the "
                     "fit matches", "calibrated-parameters", float_format=".4g",
                     column_widths={"parameter": "24%"})


def _add_posterior(report: Report, parameters: str) -> None:
    """The packaged posterior behind the parameter draws: how it was fitted, its
    diagnostics, the predictive check of every fitted target, and the fitted parameters;
    ``parameters`` says what this run used (:func:`tumorsim.model.ensemble.parameters_text`)."""
    from tumorsim.calibration.summary import (
        chain_length_note,
        parameter_table,
        predictive_check_figure,
        target_table,
    )

    run = packaged_posterior_dir()
    if not (run / "predictive_checks.parquet").is_file():
        return
    record = json.loads((run / "posterior.json").read_text())
    diagnostics = record["diagnostics"]
    targets = target_table(run)
    checks = pd.read_parquet(run / "predictive_checks.parquet", use_threads=False)
    report.add_section(
        "The posterior behind the parameter draws",
        f"This run's parameters: {parameters}. "
        f"The default parameter draws (tumorsim:ensemble) carry {diagnostics['draws']} draws of a "
        f"posterior fitted to {len(targets)} targets on the training parts of GBSG2, "
        "TRANSBIG and GSE2034 and to published aggregates, by "
        f"{diagnostics['method']}: {diagnostics['design_points']} design points, "
        f"{diagnostics['walkers']} walkers x {diagnostics['steps']} steps "
        f"({diagnostics['burn_in_steps']} burn-in), acceptance "
        f"{diagnostics['acceptance_fraction']:.2f}, effective sample size "
        f"{diagnostics['effective_sample_size']:.0f}, seed {diagnostics['seed']}. "
        f"{chain_length_note(diagnostics)} Each draw "
        "replaces the base calibration's value of the parameters it fits; the mechanism "
        "parameters (M1-M3) come from their priors. Command: "
        f"`{record['command']}`.\n\n"
        f"Predictive check: {len(checks)} posterior draws re-simulated by the real "
        f"simulator; {int(targets['consistent'].sum())} of {len(targets)} observed targets "
        "lie within the draws' 90 % range widened by the observation's own 95 % error. "
        "The held-out parts were not used; their check is in docs/posterior.md of the "
        "repository.")
    report.add_figure(predictive_check_figure(run),
                      "Every fitted target: observed (95 % error bar) against the simulator "
                      "at the posterior draws (90 % range, median tick)",
                      "posterior-predictive")
    table = parameter_table(run)
    report.add_table(pd.DataFrame({
        "parameter": table["parameter"],
        "prior (scale)": [f"{r.prior_low:.3g} to {r.prior_high:.3g} ({r.scale})"
                          for r in table.itertuples()],
        "posterior median": [f"{v:.3g}" for v in table["median"]],
        "90 % interval": [f"[{lo:.3g}, {hi:.3g}]"
                          for lo, hi in zip(table["q05"], table["q95"], strict=True)],
    }), "Fitted parameters: prior, posterior median and 90 % interval over the draws",
        "posterior-parameters", column_widths={"parameter": "40%"})


def _hazard_ratio(arms: pd.DataFrame, arm: str, reference: str) -> tuple[float, float, float]:
    """Cox hazard ratio of RFS, ``arm`` against ``reference``, with its 95 % CI.

    The variance is clustered on the twin (the same twin runs in every arm, with the same
    random numbers), so the interval accounts for the pairing.
    """
    pair = arms[arms["arm"].isin([arm, reference])]
    data = pd.DataFrame({"rfs_days": pair["rfs_days"].to_numpy(float),
                         "rfs_event": pair["rfs_event"].to_numpy(bool),
                         "what_if": (pair["arm"] == arm).to_numpy(int),
                         "twin": pair["twin"].to_numpy()})
    row = cox_hazard_ratios(data, "rfs_days", "rfs_event", ["what_if"], cluster="twin").iloc[0]
    return float(row["hr"]), float(row["ci_lower"]), float(row["ci_upper"])


@dataclass(frozen=True)
class _Effect:
    """A what-if's effect against its reference arm.

    ``hr`` is the Cox hazard ratio of RFS with its 95 % CI (Monte Carlo, clustered on the
    twin); ``difference`` the difference in the share relapse-free at the horizon (arm
    minus reference, paired by twin), decomposed over parameter draws.
    """

    hr: tuple[float, float, float]
    difference: DrawDecomposition


def _rfs_difference(arms: pd.DataFrame, arm: str, reference: str) -> DrawDecomposition:
    """Relapse-free at the horizon, ``arm`` minus ``reference``, twin by twin, over draws."""
    horizon_days = HORIZON_YEARS * DAYS_PER_YEAR
    a = arms[arms["arm"] == arm].set_index("twin")
    r = arms[arms["arm"] == reference].set_index("twin")
    common = a.index.intersection(r.index)
    a, r = a.loc[common], r.loc[common]

    def free(table: pd.DataFrame) -> np.ndarray:
        return ~(table["rfs_event"].to_numpy(bool)
                 & (table["rfs_days"].to_numpy(float) <= horizon_days))

    return mean_over_draws(free(a).astype(float) - free(r).astype(float),
                           a["draw"].to_numpy(np.int64))


def _effects(arms: pd.DataFrame) -> dict[str, _Effect]:
    """The effect of each what-if against its reference arm."""
    return {w.name: _Effect(_hazard_ratio(arms, w.name, w.reference),
                            _rfs_difference(arms, w.name, w.reference))
            for w in WHAT_IFS if w.reference is not None}


def _difference_text(d: DrawDecomposition) -> str:
    """``"+0.4 [-0.3, +1.1] points (parameters 60 %)"``: the total 95 % interval."""
    low, high = d.mean - Z95 * d.total_sd, d.mean + Z95 * d.total_sd
    return (f"{100 * d.mean:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] points "
            f"(parameters {100 * d.parameter_share:.0f} %)")


def _effect_annotation(effects: dict[str, _Effect], what_ifs: list[WhatIf]) -> str:
    """The box on a what-if figure: each compared arm's hazard ratio (95 % CI) and its
    difference in RFS at the horizon with the total interval over parameter draws."""
    lines = [f"Hazard ratio of RFS (95 % CI); RFS at {HORIZON_YEARS:g} years, difference"]
    for w in what_ifs:
        if w.reference is not None and w.reference in {x.name for x in what_ifs}:
            effect = effects[w.name]
            lines.append(f"{w.name} vs {w.reference}: HR {_ci_text(*effect.hr)}; "
                         f"{_difference_text(effect.difference)}")
    return "\n".join(lines)


_EFFECT_METHOD: Final[str] = (
    "Effect sizes, each arm against the arm it changes: the hazard ratio of RFS from a Cox "
    "model (lifelines; below 1: fewer relapses), with a 95 % confidence interval "
    "clustered on the twin (every twin runs in every arm with the same random numbers and "
    "the same parameter draw), which is Monte Carlo uncertainty only; and the difference "
    "in the share relapse-free at 10 years (arm minus reference, in percentage points), "
    "with a 95 % interval over the parameter draws and Monte Carlo noise, and the share of "
    "its variance due to the parameters (a random-effects decomposition of the spread "
    "between draws; docs/uncertainty.md). A hazard ratio averages over the 10 years: the "
    "curves show when arms differ.")


def _add_what_if_figure(report: Report, out: Path, arms: list[_Arm],
                        effects: dict[str, _Effect], *, title: str,
                        caption: str, figure_id: str) -> None:
    """One what-if figure with its effect box, then its exclusion note and caveats."""
    what_ifs = [a.what_if for a in arms]
    twins = pd.concat([a.twins for a in arms], ignore_index=True)
    report.add_figure(
        survival_curves_figure(twins, duration_column="rfs_days", event_column="rfs_event",
                               title=title, arm_order=[w.name for w in what_ifs],
                               max_time=HORIZON_YEARS,
                               annotation=_effect_annotation(effects, what_ifs),
                               footnote=_excluded_footnote(arms)),
        caption, figure_id)
    early = [_early_relapses(a.twins["rfs_days"].to_numpy(), a.twins["rfs_event"].to_numpy())
             for a in arms]
    report.add_note(_excluded_note(arms, also=_early_text(early)))
    _what_if_caveats(report, out, what_ifs)


def _what_if_table(arms: list[_Arm], effects: dict[str, _Effect]) -> pd.DataFrame:
    rows = []
    for arm in arms:
        w = arm.what_if
        effect = effects.get(w.name)
        rows.append({
            "arm": w.name, "question": w.question,
            "M0 twins": f"{len(arm.twins):,}",
            "relapse by 10 years": _percent(float(arm.twins["rfs_event"].mean())),
            "lung relapse by 10 years": _percent(float(arm.twins["lung"].mean())),
            "compared with": w.reference or "\u2013",
            "hazard ratio of RFS (95 % CI)": _ci_cell(*effect.hr) if effect else "\u2013",
            f"RFS at {HORIZON_YEARS:g} years, difference (95 % interval over parameters "
            "and Monte Carlo)": _difference_text(effect.difference) if effect else "\u2013",
        })
    return pd.DataFrame(rows)


def _add_what_ifs(report: Report, out: Path) -> None:
    report.add_section(
        "What-ifs, one per mechanism",
        "The same twins under other plans (common random numbers), followed 10 years "
        f"without censoring at the GBSG2 follow-up.\n\n{_EFFECT_METHOD}")
    arms = [_load_arm(out, w) for w in WHAT_IFS]
    effects = _effects(pd.concat([a.twins for a in arms], ignore_index=True))
    _add_what_if_figure(report, out, arms[:3], effects, title="M1 and M2 what-ifs (RFS)",
                        caption="RFS of the twins as recorded, with arsenic, and with a "
                        "CXCR2 inhibitor; the box gives each what-if's hazard ratio",
                        figure_id="whatif-m1-m2")
    _add_what_if_figure(report, out, arms[3:], effects, title="M3 what-if (RFS)",
                        caption="RFS of the twins with cisplatin, with and without DRP1 + "
                        "NRF2 inhibitors; the box gives the inhibitors' hazard ratio",
                        figure_id="whatif-m3")
    report.add_table(_what_if_table(arms, effects),
                     "Relapse by 10 years and effect per what-if arm (M0 twins)",
                     "whatif-table", column_widths={"question": "26%"})
    _add_uncertainty_fan(report, arms[0])


FAN_YEARS: Final[tuple[float, ...]] = (1.0, 3.0, 5.0, 10.0)


def _add_uncertainty_fan(report: Report, arm: _Arm) -> None:
    """The twins' RFS over parameter draws: the mean curve with both bands, and a table
    of the parameter share at a few times."""
    twins = arm.twins
    draws = twins["draw"].to_numpy(np.int64)
    n_draws = int(pd.unique(draws).size)
    grid = np.linspace(0.0, HORIZON_YEARS, 41) * DAYS_PER_YEAR
    fan = survival_fan(twins["rfs_days"].to_numpy(float), twins["rfs_event"].to_numpy(bool),
                       draws, grid)
    report.add_section(
        "How sure: the twins' RFS over parameter draws",
        f"The {arm.what_if.name} twins (M0) are spread over {n_draws} parameter draw(s); "
        "at each time the share relapse-free is averaged over the draws, and its spread "
        "between draws is split into parameter uncertainty and Monte Carlo noise "
        "(docs/uncertainty.md). The light band is the total 95 % interval, the dark one "
        "the Monte Carlo part alone: the difference is what we do not know about the "
        "parameters." + ("" if n_draws > 1 else " This run used one parameter set, so the "
                         "two bands coincide."))
    report.add_figure(
        survival_fan_figure(fan, title=f"RFS of the {arm.what_if.name} twins over "
                            "parameter draws", ylabel="Recurrence-free survival probability",
                            max_time_years=HORIZON_YEARS,
                            at_risk_days=twins["rfs_days"].to_numpy(float),
                            footnote=_excluded_footnote([arm])),
        "Mean RFS over parameter draws with its total and Monte Carlo 95 % intervals",
        "uncertainty-fan")
    at = survival_fan(twins["rfs_days"].to_numpy(float), twins["rfs_event"].to_numpy(bool),
                      draws, np.asarray(FAN_YEARS) * DAYS_PER_YEAR)
    report.add_table(pd.DataFrame({
        "years": [f"{y:g}" for y in FAN_YEARS],
        "RFS, mean over draws": [f"{v:.3f}" for v in at["survival"]],
        "95 % interval, total": [_interval_unbroken(f"[{lo:.3f}, {hi:.3f}]") for lo, hi
                                 in zip(at["total_low"], at["total_high"], strict=True)],
        "95 % interval, Monte Carlo only": [
            _interval_unbroken(f"[{lo:.3f}, {hi:.3f}]")
            for lo, hi in zip(at["mc_low"], at["mc_high"], strict=True)],
        "share of the variance from parameters": [_percent(v) for v in at["parameter_share"]],
    }), "RFS of the twins over parameter draws at a few times", "uncertainty-table")


def _add_scorecard(report: Report, out: Path) -> None:
    if not (out / VALIDATE_DIR / "claims.json").is_file():
        return
    from tumorsim.validation.scorecard import display_row, headline

    claim_rows, run = load_scorecard(out / VALIDATE_DIR)
    report.add_section(
        "Scorecard: the claims of docs/model.md §5",
        f"{headline(claim_rows)} at the fast sizes (`tumorsim validate --fast`, seed "
        f"{run['seed']}, {run['wall_seconds']:.0f} s); only emergent checks count as "
        "evidence (structural checks hold by construction, calibration targets are "
        "fitted to). The full suite and the reason for every failure are in "
        "docs/validation.md. " + _scorecard_interval_text(run) + " Margin is the "
        "distance to the nearest edge of the pass band (negative: failed by that much).")
    table = pd.DataFrame([display_row(c) for c in claim_rows]).rename(
        columns={"simulated": "simulated [95 % CI]"})
    if not run.get("ensemble"):  # over draws the extra column needs the room
        table["simulated [95 % CI]"] = table["simulated [95 % CI]"].map(_interval_unbroken)
    report.add_table(table, "Claims: published vs simulated", "claims-table",
                     column_widths={"claim": "8%", "statistic": "16%", "published": "8%",
                                    "holds in; parameter share": "9%",
                                    "what it touches": "13%"})


def _scorecard_interval_text(run: dict[str, object]) -> str:
    """What the scorecard's intervals are: over parameter draws, or Monte Carlo only."""
    if run.get("ensemble"):
        return (f"Each claim was measured under {run.get('draws')} parameter draws "
                f"({run['ensemble']}), its patients spread over them; simulated values are "
                "means over the draws with their total 95 % interval (parameters and "
                "Monte Carlo noise), and the last columns say in how many draws the check "
                "holds and how much of the variance the parameters make. A mechanism "
                "check passes when it holds in at least 95 % of draws beyond Monte Carlo "
                "noise, and is uncertain when it holds in some draws but not so.")
    return ("Simulated values carry their 95 % Monte Carlo interval (none when exact given "
            "the parameters): one parameter set, no parameter uncertainty.")


def build_report(out_dir: str | Path) -> Path:
    """Build ``report.html`` from a demo directory's saved files (no simulation)."""
    out = Path(out_dir)
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ResultsError(manifest_path, "missing", "a demo directory written by "
                           "`tumorsim demo` (it holds demo.json)")
    manifest = json.loads(manifest_path.read_text())
    observed, simulated, as_recorded = _observed_and_simulated(out)
    report = Report("tumorsim demo: the GBSG2 twin and three what-ifs",
                    subtitle=f"tumorsim {manifest['version']}, seed {manifest['seed']}, "
                    f"{manifest['twins_per_patient']} twins per patient")
    _add_observed_vs_simulated(report, observed, simulated, as_recorded)
    _add_horth_hazard_ratios(report, observed, simulated)
    _add_calibration(report)
    _add_posterior(report, str(manifest.get("parameters", "")))
    _add_what_ifs(report, out)
    _add_sensitivity_sections(report, out / SENSITIVITY_DIR)
    _add_scorecard(report, out)
    report.add_section("Mechanisms in use",
                       "Printed from the same objects the engine uses (`tumorsim rules`).")
    report.add_preformatted(format_rules(rules_for(calibrated_scenario())), "Mechanism rules",
                            block_id="rules")
    report.add_key_values({
        "command": manifest["command"],
        "tumorsim version": manifest["version"],
        "seed": str(manifest["seed"]),
        "twins per patient": str(manifest["twins_per_patient"]),
        "parameters": str(manifest.get("parameters", "")),
        "simulation time": f"{manifest['wall_seconds']:.1f} s",
        "date": manifest["date"],
    }, "Run")
    return report.write(out / REPORT)


def _add_sensitivity_sections(report: object, directory: Path) -> None:
    """One report section per ``tumorsim sensitivity`` result saved under ``directory``."""
    if not directory.is_dir():
        return
    from tumorsim.report.html import Report, add_sensitivity_section
    from tumorsim.sensitivity import SENSITIVITY_FILES, load_sensitivity

    assert isinstance(report, Report)
    found = sorted(p.parent for p in directory.glob(f"*/{SENSITIVITY_FILES['record']}"))
    for k, path in enumerate(found):
        result = load_sensitivity(path)
        described = result.settings.get("output_descriptions") or {}
        question = "; ".join(f"{o}: {described.get(o, o)}" for o in result.outputs)
        add_sensitivity_section(
            report, result, heading=f"What drives the answer: {result.settings['model']} "
            f"({result.method}, {path.name})", question=f"Outputs: {question}.",
            element_id=f"sensitivity-{k + 1}")
