"""Speed and memory of ``tumorsim.simulate``, measured against the project's targets.

Targets (from the performance issue): 100,000 patients followed for 20 years on 2 cores in
under 60 s of wall time and under 4 GB of peak memory.

Every case runs in its own fresh Python process (this script re-invoked with ``--case``),
so that

* peak memory (``ru_maxrss`` of that process) belongs to that case alone, and
* numba compilation is excluded from the timing: the child first simulates 10 patients of
  the same scenario (compiling the kernel), then times the real call with
  ``time.perf_counter``.

The timed call is the whole public ``simulate(...)`` call: cohort sampling, per-patient
parameters, the kernel and building the result table.

Usage::

    .venv/bin/python benchmarks/bench_simulate.py                     # print the table
    .venv/bin/python benchmarks/bench_simulate.py --out docs/performance.md

With ``--out`` the section between ``<!-- bench_simulate:start -->`` and
``<!-- bench_simulate:end -->`` of that file is replaced by this run's results (the file
is created with a short introduction if it does not exist).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_MARK = "<!-- bench_simulate:start -->"
END_MARK = "<!-- bench_simulate:end -->"
RESULT_PREFIX = "BENCH_RESULT "
WARMUP_PATIENTS = 10

TARGET_PATIENTS = 100_000
TARGET_YEARS = 20.0
TARGET_CORES = 2
TARGET_WALL_S = 60.0
TARGET_PEAK_MB = 4000.0  # 4 GB, decimal megabytes (10**6 bytes) as the table reports


@dataclass(frozen=True)
class Case:
    """One benchmark case: which scenario variant, how many patients, how many threads."""

    name: str
    description: str
    max_patients: int | None  # None: all --patients
    parameters: dict[str, float] | None = None
    numerics: dict[str, str | float] | None = None
    single_thread: bool = False


CASES: tuple[Case, ...] = (
    Case("target", "default scenario (ER+, 5 y tamoxifen), default threads", None),
    Case("one_thread", "same, 1 numba thread", 20_000, single_thread=True),
    Case("one_day_steps", "same, numerics.untreated_step_days = 1 (default 7)", 5_000,
         numerics={"untreated_step_days": 1.0}),
    Case("deterministic", "same, numerics.mode = deterministic", 20_000,
         numerics={"mode": "deterministic"}),
)
CASES_BY_NAME = {c.name: c for c in CASES}


# --- child: one case in this process -----------------------------------------------------
def run_case(case: Case, patients: int, years: float, seed: int,
             threads: int | None) -> dict[str, object]:
    """Simulate one case in this (fresh) process and return its measurements."""
    import resource
    import time

    import numba

    from tumorsim.io.scenario_file import load_default_scenario
    from tumorsim.runner.simulate import simulate

    changes: dict[str, object] = {"cohort": {"horizon_years": years}}
    if case.parameters:
        changes["parameters"] = case.parameters
    if case.numerics:
        changes["numerics"] = case.numerics
    scenario = load_default_scenario().with_changes(**changes)
    n_threads = 1 if case.single_thread else threads

    # compile the kernel (and touch every code path the small cohort reaches) untimed
    simulate(scenario, seed=seed, patients=WARMUP_PATIENTS, n_threads=n_threads)
    rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    start = time.perf_counter()
    result = simulate(scenario, seed=seed, patients=patients, n_threads=n_threads)
    wall_s = time.perf_counter() - start

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if n_threads is None:
        used_threads = numba.get_num_threads()
    else:
        used_threads = n_threads
    return {
        "case": case.name,
        "patients": int(len(result.patients)),
        "years": years,
        "seed": seed,
        "threads": int(used_threads),
        "wall_s": wall_s,
        "peak_rss_kib": int(peak_kib),
        "rss_before_timed_call_kib": int(rss_before_kib),
        "distant_relapse_fraction": float(result.patients["dmfs_event"].mean()),
    }


# --- parent: run every case in a subprocess ----------------------------------------------
def case_patients(case: Case, patients: int) -> int:
    return patients if case.max_patients is None else min(patients, case.max_patients)


def spawn_case(case: Case, patients: int, years: float, seed: int,
               threads: int | None) -> dict[str, object]:
    """Run one case in a fresh interpreter; return the child's measurements."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", case.name,
           "--patients", str(patients), "--years", repr(years), "--seed", str(seed)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"case {case.name!r} failed (exit code {proc.returncode}); "
                         "nothing was written")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def code_version() -> str:
    import tumorsim  # light: the package imports its engine lazily

    text = f"tumorsim {tumorsim.__version__}"
    commit = _git("rev-parse", "--short", "HEAD")
    if commit:
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        text += f", git {commit}" + (" with uncommitted changes" if dirty else "")
    return text


def machine() -> dict[str, str]:
    uname = platform.uname()
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        usable = "?"
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "os": f"{uname.system} {uname.release} {uname.machine}",
        "cpu": cpu or uname.machine,
        "cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "memory": memory,
        "python": platform.python_version(),
        "numba": metadata.version("numba"),
        "numpy": metadata.version("numpy"),
    }


def _mb(kib: object) -> float:
    return int(kib) * 1024 / 1e6  # type: ignore[call-overload]


def verdicts(target: dict[str, object]) -> list[tuple[str, str, str]]:
    """(target, measured, PASS/MISS) rows; only judged when the run is the target workload."""
    patients, years, threads = int(target["patients"]), float(target["years"]), int(
        target["threads"])
    wall, peak = float(target["wall_s"]), _mb(target["peak_rss_kib"])
    not_target = []
    if patients < TARGET_PATIENTS or years < TARGET_YEARS:
        not_target.append(f"run was {patients:,} patients x {years:g} y")
    if threads != TARGET_CORES:
        not_target.append(f"run used {threads} threads")
    rows = []
    for label, measured, ok in (
        (f"wall time < {TARGET_WALL_S:g} s", f"{wall:.1f} s", wall < TARGET_WALL_S),
        (f"peak memory < {TARGET_PEAK_MB / 1000:g} GB", f"{peak:,.0f} MB",
         peak < TARGET_PEAK_MB),
    ):
        if not_target:
            verdict = "n/a (" + "; ".join(not_target) + ")"
        else:
            verdict = "PASS" if ok else "MISS"
        rows.append((label, measured, verdict))
    return rows


def markdown(results: list[dict[str, object]], info: dict[str, str], command: str) -> str:
    by_case = {r["case"]: r for r in results}
    target = by_case["target"]
    target_rate = int(target["patients"]) / float(target["wall_s"])
    lines = [
        f"Command: `{command}`  ",
        f"Date: {info['date']}  ",
        f"Code: {info['code']}  ",
        f"Machine: {info['os']}; {info['cpu']}; {info['cores']}; {info['memory']} RAM  ",
        f"Software: Python {info['python']}, numba {info['numba']}, numpy {info['numpy']}  ",
        f"Seed: {target['seed']}; each case in a fresh process, numba compiled before "
        f"timing ({WARMUP_PATIENTS} patients), timed call = `simulate(...)` end to end.",
        "",
        "| case | what | patients | years | threads | wall (s) | patients/s "
        "| patient-years/s | vs target | peak RSS (MB) | RSS before timed call (MB) "
        "| distant relapse |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        case = CASES_BY_NAME[str(r["case"])]
        n, years, wall = int(r["patients"]), float(r["years"]), float(r["wall_s"])
        rate = n / wall
        lines.append(
            f"| `{case.name}` | {case.description} | {n:,} | {years:g} | {r['threads']} "
            f"| {wall:.2f} | {rate:,.0f} | {rate * years:,.0f} | {rate / target_rate:.2f}x "
            f"| {_mb(r['peak_rss_kib']):,.0f} | {_mb(r['rss_before_timed_call_kib']):,.0f} "
            f"| {float(r['distant_relapse_fraction']):.3f} |"
        )
    lines += [
        "",
        "\"vs target\" is patients/s relative to the `target` case. \"Distant relapse\" is "
        "the fraction of patients with a distant metastasis within the horizon "
        "(`dmfs_event`): the workload simulated. MB = 10^6 bytes; peak RSS is "
        "`ru_maxrss` of the case's process (interpreter, imports and JIT included; the "
        "column before it is the peak before the timed call).",
        "",
        f"Targets: {TARGET_PATIENTS:,} patients x {TARGET_YEARS:g} years on "
        f"{TARGET_CORES} cores (`target` case).",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in verdicts(target)]
    return "\n".join(lines) + "\n"


INTRO = """# Performance

How fast `tumorsim.simulate` runs and how much memory it needs, measured by
`benchmarks/bench_simulate.py` (see `benchmarks/README.md`).

**Targets:** 100,000 virtual patients followed for 20 years on 2 cores in under 60 s of
wall time and under 4 GB of peak memory.

**What is measured:** the built-in default scenario (ER+ cohort, surgery and 5 years of
tamoxifen) with the requested cohort size and horizon, plus baselines on smaller cohorts
(one thread; 1-day instead of 7-day untreated steps; deterministic mode), reported as
patients per second so that they can be compared. Each case runs in a fresh process, so
its peak memory is its own, and numba compilation is done before the clock starts.

**How to run it** (from the repository root; the full run takes a few minutes):

    .venv/bin/python benchmarks/bench_simulate.py --patients 100000 --years 20 \\
        --out docs/performance.md

The section below is rewritten by that command; every number in it comes from the run.

"""


def write_section(path: Path, body: str) -> None:
    """Replace the marked section of ``path`` with ``body`` (creating the file if needed)."""
    section = f"{START_MARK}\n{body}{END_MARK}\n"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(INTRO + section)
        return
    text = path.read_text()
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start == -1 or end == -1 or end < start:
        if start != -1 or end != -1:
            raise SystemExit(f"{path}: found only one of {START_MARK} / {END_MARK}, or "
                             "they are out of order; fix the file by hand")
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    after = text[end + len(END_MARK):].lstrip("\n")
    path.write_text(text[:start] + section + after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=TARGET_PATIENTS,
                        help="patients in the target case (default %(default)s)")
    parser.add_argument("--years", type=float, default=TARGET_YEARS,
                        help="follow-up horizon in years (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="master seed (default 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads for all but the one_thread case "
                             "(default: numba's default, usually the core count)")
    parser.add_argument("--out", type=Path, default=None,
                        help="markdown file whose bench_simulate section is rewritten")
    parser.add_argument("--case", choices=sorted(CASES_BY_NAME), default=None,
                        help=argparse.SUPPRESS)  # internal: run one case in this process
    args = parser.parse_args(argv)
    if args.patients < 1 or args.years <= 0:
        parser.error("--patients must be >= 1 and --years > 0")

    if args.case is not None:
        result = run_case(CASES_BY_NAME[args.case], args.patients, args.years, args.seed,
                          args.threads)
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    raw = [] if argv is None else argv
    shown = sys.argv[1:] if argv is None else raw
    python = os.path.relpath(sys.executable, REPO) if sys.executable.startswith(
        str(REPO)) else sys.executable
    command = shlex.join([python, os.path.relpath(Path(__file__).resolve(), REPO), *shown])
    info = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "code": code_version(), **machine()}

    results = []
    for case in CASES:
        n = case_patients(case, args.patients)
        print(f"running {case.name}: {n:,} patients x {args.years:g} years ...",
              file=sys.stderr, flush=True)
        results.append(spawn_case(case, n, args.years, args.seed, args.threads))

    body = markdown(results, info, command)
    print(body, end="")
    if args.out is not None:
        write_section(args.out, body)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
