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
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from tumorsim import __version__
from tumorsim.analysis.gbsg2 import horth_pr_groups
from tumorsim.analysis.survival import cox_hazard_ratios
from tumorsim.cohort.data import load_gbsg2
from tumorsim.errors import ResultsError
from tumorsim.io.atomic import write_text_atomic
from tumorsim.io.scenario_file import load_default_scenario, load_scenario
from tumorsim.io.twin_file import save_twin_result
from tumorsim.model.rules import format_rules, rules_for
from tumorsim.model.scenario import Scenario
from tumorsim.report.figures import (
    hazard_ratio_figure,
    km_comparison_figure,
    survival_curves_figure,
)
from tumorsim.report.html import Report
from tumorsim.runner.twins import run_twin
from tumorsim.validation import all_claims, run_claims, write_scorecard
from tumorsim.validation.scorecard import load_scorecard

if TYPE_CHECKING:
    from tumorsim.report.html import Report

MANIFEST: Final[str] = "demo.json"
REPORT: Final[str] = "report.html"
HORIZON_YEARS: Final[float] = 10.0
VALIDATE_DIR: Final[str] = "validate"
CLAIMS_TASK: Final[str] = "claims (fast scorecard)"
SENSITIVITY_DIR: Final[str] = "sensitivity"
"""Sub-directory whose ``<name>/`` results of ``tumorsim sensitivity --out`` the report shows."""


@dataclass(frozen=True)
class WhatIf:
    """One demo arm: a name, a directory, a question and how it changes the twin."""

    name: str
    slug: str
    question: str
    regimen: str
    exposures: dict[str, object] | None = None
    treatment: dict[str, object] | None = None


CMF_DAYS: Final[float] = 6 * 28.0
CISPLATIN_DAYS: Final[float] = 4 * 21.0

WHAT_IFS: Final[tuple[WhatIf, ...]] = (
    WhatIf("as recorded", "as_recorded", "the GBSG2 twin: treatment as recorded", "CMF"),
    WhatIf("arsenic 10 ug/L", "arsenic", "M1: chronic arsenic in drinking water at the EPA "
           "limit, before and after diagnosis", "CMF",
           exposures={"arsenic": {"kind": "constant", "level": 10.0}}),
    WhatIf("CMF + CXCR2 inhibitor", "cxcr2", "M2: a CXCR2 inhibitor during CMF", "CMF",
           treatment={"cxcr2_inhibitor": {"start_day": 28.0, "duration_days": CMF_DAYS}}),
    WhatIf("cisplatin", "cisplatin", "reference for M3: cisplatin instead of CMF",
           "cisplatin"),
    WhatIf("cisplatin + DRP1/NRF2 inhibitors", "cisplatin_drp1_nrf2",
           "M3: DRP1 (mdivi-1) and NRF2 (ML385) inhibitors during cisplatin", "cisplatin",
           treatment={"drp1_inhibitor": {"start_day": 28.0, "duration_days": CISPLATIN_DAYS},
                      "nrf2_inhibitor": {"start_day": 28.0, "duration_days": CISPLATIN_DAYS}}),
)


def _what_if_caveat(report: Report, out: Path, names: list[str]) -> None:
    """Beside a what-if figure: the failing checks each of its arms depends on.

    Read from the demo's scorecard (``out/validate``); says so when there is none.
    """
    if not (out / VALIDATE_DIR / "claims.json").is_file():
        report.add_text("Caveat: no scorecard was run with this demo (--no-claims), so "
                        "which of these answers rest on a failing check is not shown here; "
                        "see docs/validation.md.")
        return
    from tumorsim.validation.dependencies import failing_checks_for
    from tumorsim.validation.scorecard import load_scorecard

    claim_rows, _ = load_scorecard(out / VALIDATE_DIR)
    lines = []
    for name in names:
        failing = failing_checks_for(name, claim_rows)
        if failing:
            lines.append(f"{name}: {len(failing)} failing checks of the same mechanisms "
                         f"({', '.join(failing)})")
    if lines:
        report.add_text("Caveat: these answers rest on mechanisms the scorecard finds "
                        "wanting, so read them as the model's, not the biology's. "
                        + "; ".join(lines) + ".")
    else:
        report.add_text("No failing check of the scorecard touches these arms.")


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
                         progress=progress, command=command, claims=claims)


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
                          n_threads=n_threads, progress=report_progress)
        save_twin_result(result, out / what_if.slug,
                         metadata={"tumorsim.data": "GBSG2 (lifelines)"})
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
                          command=f"{command} (tumorsim validate --fast --seed {seed})")
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


def build_report(out_dir: str | Path) -> Path:
    """Build ``report.html`` from a demo directory's saved files (no simulation)."""
    out = Path(out_dir)
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ResultsError(manifest_path, "missing", "a demo directory written by "
                           "`tumorsim demo` (it holds demo.json)")
    manifest = json.loads(manifest_path.read_text())
    patients, twins = _read_arm(out, WHAT_IFS[0].slug)
    # observed: the real patients; simulated: their twins, censored at follow-up
    observed = pd.DataFrame({
        "rfs_days": patients["follow_up_days"].to_numpy(float),
        "rfs_event": patients["relapse_event"].to_numpy(bool),
        "hormone_therapy": patients["hormone_therapy"].to_numpy(int),
        "group": horth_pr_groups(patients["hormone_therapy"].to_numpy(),
                                 patients["pr_fmol"].to_numpy()),
    })
    rows = twins["source_row"].to_numpy()
    simulated = pd.DataFrame({
        "rfs_days": twins["rfs_days"].to_numpy(float),
        "rfs_event": twins["rfs_event"].to_numpy(bool),
        "hormone_therapy": patients["hormone_therapy"].to_numpy(int)[rows],
        "group": np.asarray(observed["group"])[rows],
    })
    order = ["horTh no, PR-", "horTh yes, PR-", "horTh no, PR+", "horTh yes, PR+"]

    report = Report("tumorsim demo: the GBSG2 twin and three what-ifs",
                    subtitle=f"tumorsim {manifest['version']}, seed {manifest['seed']}, "
                    f"{manifest['twins_per_patient']} twins per patient")
    report.add_section(
        "Observed and simulated recurrence-free survival",
        "GBSG2 (686 node-positive women, lifelines) against their stochastic twins, each "
        "treated as recorded (CMF for all, 2 years of tamoxifen if horTh) and censored at "
        "her own follow-up. Bands are 95 % confidence intervals.")
    report.add_figure(km_comparison_figure(observed, simulated, group_column="group",
                                           group_order=order,
                                           title="RFS by horTh and PR (PR+ = 10 fmol/mg or more)"),
                      "Kaplan-Meier RFS, observed (GBSG2) and simulated (twins), per horTh x PR "
                      "group", "km-groups")
    hr_rows = []
    for pr_label, positive in (("PR+", True), ("PR-", False)):
        for source, table in (("observed", observed), ("simulated", simulated)):
            mask = np.array([g.endswith(pr_label) for g in table["group"]])
            sub = table[mask][["rfs_days", "rfs_event", "hormone_therapy"]]
            hr = cox_hazard_ratios(sub, "rfs_days", "rfs_event", ["hormone_therapy"]).iloc[0]
            hr_rows.append({"label": f"horTh in {pr_label}", "hr": float(hr["hr"]),
                            "ci_lower": float(hr["ci_lower"]), "ci_upper": float(hr["ci_upper"]),
                            "source": source})
        del positive
    hr_table = pd.DataFrame(hr_rows)
    report.add_section("Hazard ratio of tamoxifen (horTh)",
                       "Cox models of RFS on horTh within PR+ and PR- patients. The "
                       "simulated interval reflects the K twins per woman and is therefore "
                       "narrower than the observed one.")
    report.add_figure(hazard_ratio_figure(hr_table, title="horTh hazard ratio, RFS"),
                      "horTh hazard ratio: observed vs simulated", "hr-forest")
    report.add_table(hr_table.rename(columns={"label": "comparison", "hr": "HR",
                                              "ci_lower": "95 % CI lower",
                                              "ci_upper": "95 % CI upper"}),
                     "horTh hazard ratios, observed (GBSG2) and simulated (twins)", "hr-table",
                     float_format=".3f")

    calibration = resources.files("tumorsim") / "data" / "calibrated_parameters.json"
    if calibration.is_file():
        record = json.loads(calibration.read_text())
        held = record["held_out"]
        report.add_section(
            "Calibration and held-out check (target K1)",
            f"Produced by `{record['command']}`. Fitted on a training split of GBSG2; the "
            "table below is the held-out split: is the simulated RFS inside the observed "
            "95 % CI? c-index of the twins' risk score on held-out patients: "
            f"{held['c_index_twin']:.3f}; Cox model fitted on the training split: "
            f"{held['c_index_cox']:.3f}.")
        report.add_table(pd.DataFrame(held["rfs"]), "Held-out RFS: observed (95 % CI) and "
                         "simulated", "k1-rfs", float_format=".3f")
        report.add_table(pd.DataFrame(held["hazard_ratios"]), "Held-out horTh hazard ratios",
                         "k1-hr", float_format=".3f")
        report.add_table(pd.DataFrame({"parameter": list(record["parameters"]),
                                       "fitted": list(record["parameters"].values())}),
                         "Calibrated parameters", "calibrated-parameters", float_format=".4g")

    report.add_section(
        "What-ifs, one per mechanism",
        "The same twins under other plans (common random numbers), followed 10 years "
        "without censoring at the GBSG2 follow-up.")
    arm_tables = []
    summary = []
    for what_if in WHAT_IFS:
        _, arm_twins = _read_arm(out, what_if.slug)
        frame = pd.DataFrame({
            "arm": what_if.name,
            "rfs_days": arm_twins["rfs_days_uncensored"].to_numpy(float),
            "rfs_event": arm_twins["rfs_event_uncensored"].to_numpy(bool),
            "lung": arm_twins["distant_lung_days"].notna().to_numpy(),
        })
        arm_tables.append(frame)
        summary.append({"arm": what_if.name, "question": what_if.question,
                        "relapse by 10 y": float(frame["rfs_event"].mean()),
                        "lung relapse by 10 y": float(frame["lung"].mean())})
    arms = pd.concat(arm_tables, ignore_index=True)
    names = [w.name for w in WHAT_IFS]
    report.add_figure(survival_curves_figure(arms[arms["arm"].isin(names[:3])],
                                             duration_column="rfs_days",
                                             event_column="rfs_event",
                                             title="M1 and M2 what-ifs (RFS)"),
                      "RFS of the twins as recorded, with arsenic, and with a CXCR2 inhibitor",
                      "whatif-m1-m2")
    _what_if_caveat(report, out, names[:3])
    report.add_figure(survival_curves_figure(arms[arms["arm"].isin(names[3:])],
                                             duration_column="rfs_days",
                                             event_column="rfs_event",
                                             title="M3 what-if (RFS)"),
                      "RFS of the twins with cisplatin, with and without DRP1 + NRF2 inhibitors",
                      "whatif-m3")
    _what_if_caveat(report, out, names[3:])
    report.add_table(pd.DataFrame(summary), "Relapse by 10 years per what-if arm",
                     "whatif-table", float_format=".3f")

    _add_sensitivity_sections(report, out / SENSITIVITY_DIR)

    if (out / VALIDATE_DIR / "claims.json").is_file():
        claim_rows, run = load_scorecard(out / VALIDATE_DIR)
        from tumorsim.validation.scorecard import headline

        report.add_section(
            "Scorecard: the claims of docs/model.md §5",
            f"{headline(claim_rows)} at the fast sizes (`tumorsim validate --fast`, seed "
            f"{run['seed']}, {run['wall_seconds']:.0f} s); only emergent checks count as "
            "evidence (structural checks hold by construction, calibration targets are "
            "fitted to). The full suite and the reason for every failure are in "
            "docs/validation.md. Simulated values carry their 95 % Monte Carlo interval "
            "(none when exact given the parameters); margin is the distance to the nearest "
            "edge of the pass band (negative: failed by that much).")
        report.add_table(pd.DataFrame([{
            "claim": c["id"], "kind": c.get("kind", ""), "statistic": c["statistic"],
            "published": c["published_text"], "pass rule": c["rule"],
            "simulated": c["simulated"], "CI low": c["ci_low"], "CI high": c["ci_high"],
            "exact": bool(c.get("exact", False)),
            "result": "pass" if c["passed"] else "FAIL",
            "margin": c["margin"]} for c in claim_rows]),
            "Claims: published vs simulated", "claims-table", float_format=".3g")

    base = calibrated_scenario()
    report.add_section("Mechanisms in use",
                       "Printed from the same objects the engine uses (`tumorsim rules`).")
    report.add_preformatted(format_rules(rules_for(base)), "Mechanism rules",
                            block_id="rules")
    report.add_key_values({
        "command": manifest["command"],
        "tumorsim version": manifest["version"],
        "seed": str(manifest["seed"]),
        "twins per patient": str(manifest["twins_per_patient"]),
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
