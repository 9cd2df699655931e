"""The same model, four ways: SciPy LSODA loop, libRoadRunner loop, our two modes.

One command, one cohort, one seed (the performance issue's benchmark):

(a) ``scipy_lsoda``   a loop over patients calling ``scipy.integrate.solve_ivp(method=
    "LSODA")`` on the deterministic model, segment by segment between treatment events,
    with detection as solver events. Its right-hand side is our own numba
    ``tumorsim.engine.ode.derivatives`` (a pure-Python one would be far slower), so the
    loop measures the solver, not Python arithmetic.
(b) ``roadrunner``    a loop over patients, libRoadRunner on the exported SBML model
    (:mod:`tumorsim.export.sbml`); only ``simulate`` is timed, model building is not (see
    ``case_roadrunner`` for why the instance is not reused).
(c) ``deterministic`` our deterministic mode (``simulate`` with ``numerics.mode =
    "deterministic"``), all threads and one thread.
(d) ``stochastic``    our stochastic mode through ``tumorsim simulate`` (chunked, results
    streamed to Parquet) at 100,000 and 1,000,000 patients: patient-years per second and
    peak memory of the whole command.
(e) ``dask``          the same command with ``--backend dask`` and 1 and 2 workers.

(a)-(c) use the built-in default scenario with death after relapse switched off, so every
solver integrates every patient over the full horizon (20 years after diagnosis, after
the natural history before it); the relapse times of (a) and (b) are compared with (c) on
the patients they share (largest relative difference is reported). Tolerances: relative
1e-6 for all three; absolute 1e-12 cells for LSODA and libRoadRunner (its default), our
default ``numerics.absolute_tolerance_cells`` = 1e-15. What each setting buys is measured, not
assumed: every solver's first distant relapse times are compared with a reference
solution (our integrator at relative 1e-10, absolute 1e-20 cells; the SBML test checks
that our integrator agrees with libRoadRunner at tight tolerances) on the same patients.

Every case runs in its own fresh process; numba and libRoadRunner compilation happen
before the clock starts for (a)-(c); (d) and (e) time the whole command (start-up, cohort
sampling, simulation, writing results). Peak memory is the process's (and its children's)
``ru_maxrss`` from ``os.wait4``.

Usage::

    .venv/bin/python benchmarks/bench_solvers.py --out docs/performance.md
    .venv/bin/python benchmarks/bench_solvers.py --quick     # small sizes, to try it

With ``--out`` the section between ``<!-- bench_solvers:start -->`` and
``<!-- bench_solvers:end -->`` is replaced by this run's table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_simulate import REPO, code_version, machine

START_MARK = "<!-- bench_solvers:start -->"
END_MARK = "<!-- bench_solvers:end -->"
RESULT_PREFIX = "BENCH_RESULT "
YEAR = 365.25


# --- child processes: one case each -----------------------------------------------------------
REFERENCE_TOLERANCES = {"relative_tolerance": 1e-10, "absolute_tolerance_cells": 1e-20}
"""Tolerances of the reference solution every solver's relapse times are compared with."""


def _scenario(years: float, tolerances: dict[str, float] | None = None):
    from tumorsim.io.scenario_file import load_default_scenario

    return load_default_scenario().with_changes(
        numerics={"mode": "deterministic", **(tolerances or {})},
        cohort={"horizon_years": years}, mechanisms={"death_after_relapse": False})


def _prepared(patients: int, years: float, seed: int,
              tolerances: dict[str, float] | None = None):
    import numpy as np

    from tumorsim import Cohort
    from tumorsim.engine.simulate import prepare_run

    scenario = _scenario(years, tolerances)
    cohort = Cohort.sample(scenario.population, patients, seed)
    return prepare_run([scenario], np.zeros(patients, dtype=np.int64), cohort, seed=seed)


def _first_distant(relapse: dict[str, float]) -> float:
    times = [v for k, v in relapse.items() if k != "breast" and v >= 0]
    return min(times) if times else float("nan")


def case_deterministic(patients: int, years: float, seed: int, threads: int | None,
                       tolerances: dict[str, float] | None = None):
    from tumorsim.engine.simulate import combine_chunks, run_chunk

    run = _prepared(patients, years, seed, tolerances)
    run_chunk(run, 0, min(10, patients), n_threads=threads)  # compile
    start = time.perf_counter()
    result = combine_chunks(run, [run_chunk(run, 0, patients, n_threads=threads)])
    wall = time.perf_counter() - start
    first = result.patients["dmfs_days"].where(result.patients["dmfs_event"])
    return wall, [float(x) for x in first.to_numpy()]


def case_roadrunner(patients: int, years: float, seed: int):
    import roadrunner

    from tumorsim.export.sbml import scenario_sbml
    from tumorsim.model.anatomy import SITES

    # One instance per patient, built from her own SBML file; only ``simulate`` is timed.
    # (Reusing one instance with init(...) values and resetAll() hung inside
    # libRoadRunner 2.10 after some patients on this model, so the loop does not
    # reuse; leaving model building out of the clock is the most favourable timing
    # libRoadRunner can get.)
    run = _prepared(patients, years, seed)
    horizon = years * YEAR
    firsts = []
    wall = 0.0
    for i in range(patients):
        rr = roadrunner.RoadRunner(scenario_sbml(run, i))
        rr.integrator.relative_tolerance = 1e-6
        rr.integrator.absolute_tolerance = 1e-12
        end = rr["natural_history_days"] + horizon
        start = time.perf_counter()
        rr.simulate(0.0, end, 2)
        wall += time.perf_counter() - start
        firsts.append(_first_distant({s: rr[f"relapse_{s}_days"] for s in SITES}))
    return wall, firsts


def case_lsoda(patients: int, years: float, seed: int):
    import numpy as np
    from scipy.integrate import solve_ivp

    from tumorsim.engine import ode
    from tumorsim.engine import structures as K
    from tumorsim.engine.courses import exposure_level
    from tumorsim.engine.plan import N_DRIVERS

    run = _prepared(patients, years, seed)
    arrays, compiled, pp = run.arrays, run.compiled, run.parameters
    horizon = years * YEAR
    p = 0
    bounds = compiled.boundaries[p][np.isfinite(compiled.boundaries[p])]
    detection = arrays.site_table[0, :, K.SITE_DETECTION]
    rrel = arrays.params[0, ode._RRES]
    dydt = np.zeros(ode.N_STATES)
    rates = np.zeros(ode.N_STATES)
    env = np.zeros((K.N_SITES, K.N_ENV))
    per_site = K.N_CLONES * K.N_ACTIVITIES

    def patient(i: int) -> float:
        pat = ode.patient_vector(pp.gompertz_rate_per_day[i], pp.dissemination_coefficient[i],
                                 pp.cxcl_multiplier[i], pp.diagnosis_cells[i],
                                 np.ascontiguousarray(pp.clone_fractions[i]),
                                 pp.endocrine_sensitivity[i], pp.growth_factor[i], 0,
                                 arrays)
        t_pre = pat[ode.PAT_PRE_DAYS]
        y = np.zeros(ode.N_STATES)
        for m in range(2):
            y[ode.IDX_METAL + m] = exposure_level(
                -t_pre, compiled.exposure_kind[p, m], compiled.exposure_times[p, m],
                compiled.exposure_levels[p, m], compiled.exposure_count[p, m],
                compiled.exposure_removal_day[p])
        edges = sorted({-t_pre, 0.0, horizon, *(b for b in bounds if -t_pre < b < horizon)})
        relapse = {}
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            pre = b <= 0.0
            if a == 0.0:  # diagnosis and surgery
                for c in range(K.N_CLONES):
                    y[c * K.N_ACTIVITIES] = (pat[ode.PAT_DIAGNOSIS_CELLS]
                                             * pat[ode.PAT_CLONE0 + c])
                    if compiled.surgery[p]:
                        y[c * K.N_ACTIVITIES] *= rrel
            j = np.searchsorted(bounds, a, side="right") - 1
            drivers = compiled.drivers[p, j] if j >= 0 else np.zeros(N_DRIVERS)

            def f(t, u, pre=pre, drivers=drivers, pat=pat):
                ode.derivatives(t, u, dydt, rates, pre, drivers, pat, arrays, compiled, p, env)
                return dydt.copy()

            events = []
            if not pre:
                for s in range(1, K.N_SITES):
                    def crossing(t, u, s=s):
                        return float(u[s * per_site:(s + 1) * per_site].sum() - detection[s])
                    crossing.direction = 1.0  # type: ignore[attr-defined]
                    events.append(crossing)
            sol = solve_ivp(f, (a, b), y, method="LSODA", rtol=1e-6, atol=1e-12,
                            events=events or None)
            y = np.maximum(sol.y[:, -1], 0.0)
            for s, times in enumerate(sol.t_events or [], start=1):
                if len(times) and s not in relapse:
                    relapse[s] = float(times[0])
            if a == 0.0:  # already detectable at diagnosis
                for s in range(1, K.N_SITES):
                    at_diagnosis = sol.y[s * per_site:(s + 1) * per_site, 0].sum()
                    if s not in relapse and at_diagnosis >= detection[s]:
                        relapse[s] = 0.0
        return min(relapse.values()) if relapse else float("nan")

    patient(0)  # warm up (numba dispatch)
    start = time.perf_counter()
    firsts = [patient(i) for i in range(patients)]
    return time.perf_counter() - start, firsts


def run_child(case: str, patients: int, years: float, seed: int) -> dict[str, object]:
    if case == "deterministic":
        wall, firsts = case_deterministic(patients, years, seed, None)
    elif case == "deterministic_1thread":
        wall, firsts = case_deterministic(patients, years, seed, 1)
    elif case == "reference":
        wall, firsts = case_deterministic(patients, years, seed, 1, REFERENCE_TOLERANCES)
    elif case == "roadrunner":
        wall, firsts = case_roadrunner(patients, years, seed)
    elif case == "scipy_lsoda":
        wall, firsts = case_lsoda(patients, years, seed)
    else:
        raise SystemExit(f"unknown case {case}")
    return {"case": case, "patients": patients, "years": years, "wall_s": wall,
            "first_distant_days": firsts}


# --- parent -------------------------------------------------------------------------------------
def spawn_case(case: str, patients: int, years: float, seed: int) -> dict[str, object]:
    """Run case (a)-(c) in a fresh interpreter; return its measurements."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--patients",
           str(patients), "--years", repr(years), "--seed", str(seed)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def spawn_cli(label: str, patients: int, years: float, seed: int, extra: list[str],
              out_dir: Path) -> dict[str, object]:
    """Time ``tumorsim simulate`` on the default scenario; peak RSS via ``os.wait4``."""
    scenario = out_dir / "scenario.toml"
    if not scenario.exists():
        scenario.write_text(f'extends = "{REPO / "src/tumorsim/data/default.toml"}"\n'
                            f"[cohort]\nhorizon_years = {years!r}\n")
    target = out_dir / label
    cmd = [str(Path(sys.executable).with_name("tumorsim")), "simulate", str(scenario),
           "--patients", str(patients), "--seed", str(seed), "--out", str(target), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if status != 0:
        sys.stderr.write(err)
        raise SystemExit(f"failed: {shlex.join(cmd)}")
    return {"case": label, "patients": patients, "years": years, "wall_s": wall,
            "peak_rss_kib": usage.ru_maxrss, "command": shlex.join(cmd[1:])}


def agreement(firsts: list[float], reference: list[float]) -> tuple[str, str]:
    """Largest absolute (days) and relative difference from the reference, same patients."""
    import math

    absolute, relative = [], []
    for a, b in zip(firsts, reference, strict=False):
        if math.isnan(a) and math.isnan(b):
            continue
        if math.isnan(a) or math.isnan(b):
            return "event missing", "event missing"
        absolute.append(abs(a - b))
        relative.append(abs(a - b) / max(abs(b), 1.0))
    if not absolute:
        return "no relapses", "no relapses"
    return f"{max(absolute):.1e}", f"{max(relative):.1e}"


def markdown(rows: list[dict[str, object]], info: dict[str, str], command: str) -> str:
    by = {str(r["case"]): r for r in rows}
    ref = by["reference"]["first_distant_days"]
    shared = int(by["reference"]["patients"])

    def rate(r):
        return int(r["patients"]) / float(r["wall_s"])

    lines = [
        f"Command: `{command}`  ",
        f"Date: {info['date']}  ",
        f"Code: {info['code']}  ",
        f"Machine: {info['os']}; {info['cpu']}; {info['cores']}; {info['memory']} RAM  ",
        "",
        "Same deterministic model, cohort (seed 1) and horizon (20 years after diagnosis, "
        "death after relapse off) for (a)-(c):",
        "",
        "| case | solver | patients | threads | wall (s) | patients/s | first distant "
        f"relapse vs reference, first {shared} patients: max abs. diff. (days) "
        "| max rel. diff. |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "scipy_lsoda": ("(a)", "SciPy `solve_ivp` LSODA loop, numba RHS", 1),
        "roadrunner": ("(b)", "libRoadRunner (CVODE) loop, `simulate` only", 1),
        "deterministic": ("(c)", "tumorsim deterministic mode", info["threads"]),
        "deterministic_1thread": ("(c1)", "tumorsim deterministic mode, 1 thread", 1),
        "reference": ("(ref)", "tumorsim deterministic mode, relative 1e-10, absolute 1e-20 "
                      "cells", 1),
    }
    for case, (tag, what, threads) in labels.items():
        r = by[case]
        firsts = r["first_distant_days"][:shared]  # type: ignore[index]
        absolute, relative = (("reference", "reference") if case == "reference"
                              else agreement(firsts, ref))  # type: ignore[arg-type]
        lines.append(f"| {tag} `{case}` | {what} | {int(r['patients']):,} | {threads} "
                     f"| {float(r['wall_s']):.2f} | {rate(r):,.1f} | {absolute} | {relative} |")
    c, b, a, c1 = by["deterministic"], by["roadrunner"], by["scipy_lsoda"], by[
        "deterministic_1thread"]
    lines += [
        "",
        f"- c/b = **{rate(c) / rate(b):,.1f}x** (one thread: c1/b = {rate(c1) / rate(b):,.1f}x;"
        " target >= 20x)",
        f"- c/a = **{rate(c) / rate(a):,.1f}x** (one thread: c1/a = {rate(c1) / rate(a):,.1f}x)",
        "",
        "Stochastic mode and scale-out, whole `tumorsim simulate` command (start-up, cohort, "
        "simulation, streamed Parquet output), built-in default scenario, 20 years:",
        "",
        "| case | patients | wall (s) | patients/s | patient-years/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "command" not in r:
            continue
        n, wall = int(r["patients"]), float(r["wall_s"])
        lines.append(f"| `{r['case']}` | {n:,} | {wall:.1f} | {n / wall:,.0f} | "
                     f"{n * float(r['years']) / wall:,.0f} | "
                     f"{int(r['peak_rss_kib']) * 1024 / 1e6:,.0f} |")
    dask1, dask2 = by.get("dask_1_worker"), by.get("dask_2_workers")
    if dask1 and dask2:
        speedup = float(dask1["wall_s"]) / float(dask2["wall_s"])
        lines += ["", f"- Dask 2 workers / 1 worker: **{speedup:.2f}x** (target >= 1.7x)"]
    lines += ["", "Commands of the stochastic rows (relative to the run's temporary "
              "directory):", ""]
    lines += [f"- `{r['case']}`: `tumorsim {r['command']}`" for r in rows if "command" in r]
    return "\n".join(lines) + "\n"


def write_section(path: Path, body: str) -> None:
    section = f"{START_MARK}\n{body}{END_MARK}\n"
    text = path.read_text() if path.exists() else "# Performance\n"
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start == -1 or end == -1:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    path.write_text(text[:start] + section + text[end + len(END_MARK):].lstrip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lsoda-patients", type=int, default=20)
    parser.add_argument("--roadrunner-patients", type=int, default=20)
    parser.add_argument("--deterministic-patients", type=int, default=20_000)
    parser.add_argument("--stochastic-patients", type=int, nargs="+",
                        default=[100_000, 1_000_000])
    parser.add_argument("--dask-patients", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try it")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--patients", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print(RESULT_PREFIX + json.dumps(run_child(args.case, args.patients, args.years,
                                                   args.seed)))
        return 0
    if args.quick:
        args.lsoda_patients, args.roadrunner_patients = 3, 3
        args.deterministic_patients, args.stochastic_patients = 500, [2_000, 4_000]
        args.dask_patients = 4_000

    command = shlex.join(["python", "benchmarks/bench_solvers.py", *(argv or sys.argv[1:])])
    rows = []
    one = min(args.deterministic_patients, 5_000)
    plan = [("scipy_lsoda", args.lsoda_patients), ("roadrunner", args.roadrunner_patients),
            ("deterministic", args.deterministic_patients), ("deterministic_1thread", one)]
    plan.append(("reference", max(args.lsoda_patients, args.roadrunner_patients)))
    for case, n in plan:
        print(f"{case}: {n} patients ...", file=sys.stderr, flush=True)
        rows.append(spawn_case(case, n, args.years, args.seed))
    with tempfile.TemporaryDirectory(prefix="bench_solvers_") as tmp:
        out_dir = Path(tmp)
        for n in args.stochastic_patients:
            print(f"stochastic: {n} patients ...", file=sys.stderr, flush=True)
            rows.append(spawn_cli(f"stochastic_{n}", n, args.years, args.seed, [], out_dir))
        if args.dask_patients:
            for workers in (1, 2):
                label = f"dask_{workers}_worker" + ("s" if workers > 1 else "")
                print(f"{label}: {args.dask_patients} patients ...", file=sys.stderr, flush=True)
                rows.append(spawn_cli(label, args.dask_patients, args.years, args.seed,
                                      ["--backend", "dask", "--workers", str(workers)],
                                      out_dir))
    info = {**machine(), "date": dt.date.today().isoformat(), "code": code_version()}
    info["threads"] = str(len(os.sched_getaffinity(0)))
    body = markdown(rows, info, command)
    print(body)
    if args.out:
        write_section(args.out, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
