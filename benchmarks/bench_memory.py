"""Peak memory of ``tumorsim simulate`` against cohort size: streamed versus in memory.

Target (from the newcomer-proof issue): the memory of ``tumorsim simulate`` is bounded
by the chunk size (``--chunk-size``) whatever ``--patients`` is; before, 100,000,000
patients took about 16 GB before the first one was simulated.

For each cohort size, two cases, each in its own fresh Python process:

* ``streamed``: the real command, ``python -m tumorsim simulate --patients N
  --chunk-size C --out DIR`` on the built-in default scenario: chunks sampled, prepared
  and simulated on their own, written as row groups, the summary read back from the
  file in bounded passes;
* ``in memory``: the Python API for small cohorts, ``save_results(simulate(scenario,
  patients=N, chunk_size=C), DIR)`` and its ``summary()``: the whole result held, as
  every path did before the streamed command (the baseline).

The default sizes, 20,000, 100,000 and 200,000 patients in chunks of 20,000, are one,
five and ten chunks: the growth per patient is taken between the two largest, where both
have several chunks (the first two or three chunks raise a process's peak once, by the
pages the allocators, pyarrow's mimalloc pool above all, keep for reuse).

Peak memory is the process's ``ru_maxrss`` from ``os.wait4`` (interpreter, imports,
numba's compilation and pyarrow's pool included: what the operating system sees). The
parent imports nothing heavy, so a child's peak is its own. Wall time is the
command's own ``wall time`` line (the in-memory case times the same span: simulate,
write, summary), so start-up and compilation are left out of patients/s.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_memory.py --out docs/performance.md   # ~7 minutes
    .venv/bin/python benchmarks/bench_memory.py --sizes 20000 100000 200000 2000000 \\
        --out docs/performance.md                                  # an hour on 2 cores
    .venv/bin/python benchmarks/bench_memory.py --sizes 2000 8000 --years 2   # a quick check

With ``--out`` the section between ``<!-- bench_memory:start -->`` and
``<!-- bench_memory:end -->`` of that file is replaced by this run's results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_simulate import REPO, code_version, machine

START_MARK = "<!-- bench_memory:start -->"
END_MARK = "<!-- bench_memory:end -->"
RESULT_PREFIX = "BENCH_RESULT "
MODES = ("in memory", "streamed")
WARMUP_PATIENTS = 10


# --- children ----------------------------------------------------------------------------
def run_in_memory(scenario_file: Path, patients: int, seed: int, chunk_size: int,
                  out: Path) -> None:
    """The baseline in this (fresh) process: ``save_results(simulate(...))``, summary."""
    from tumorsim.io import save_results
    from tumorsim.io.scenario_file import load_scenario
    from tumorsim.runner.simulate import simulate

    scenario = load_scenario(scenario_file)
    simulate(scenario, seed=seed, patients=WARMUP_PATIENTS)  # compile, as the command does
    start = time.perf_counter()
    result = simulate(scenario, seed=seed, patients=patients, chunk_size=chunk_size)
    save_results(result, out)
    result.summary()
    wall_s = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps({"wall_s": wall_s}), flush=True)


def _scenario_file(years: float, directory: Path) -> Path:
    path = directory / "scenario.toml"
    path.write_text(f'extends = "{(REPO / "src/tumorsim/data/default.toml").as_posix()}"\n'
                    f"[cohort]\nhorizon_years = {years!r}\n")
    return path


def case_command(mode: str, patients: int, years: float, seed: int, chunk_size: int,
                 work: Path) -> list[str]:
    """The child's command line for one case."""
    out = work / ("streamed" if mode == "streamed" else "in_memory")
    scenario = _scenario_file(years, work)
    if mode == "streamed":
        return [sys.executable, "-m", "tumorsim", "simulate", str(scenario),
                "--patients", str(patients), "--seed", str(seed),
                "--chunk-size", str(chunk_size), "--out", str(out)]
    return [sys.executable, str(Path(__file__).resolve()), "--case-in-memory", str(scenario),
            "--sizes", str(patients), "--seed", str(seed), "--chunk-size", str(chunk_size),
            "--case-out", str(out)]


def _wall_of(stdout: str) -> float | None:
    """The command's own wall time (its summary row), or the in-memory child's."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return float(json.loads(line[len(RESULT_PREFIX):])["wall_s"])
        found = re.search(r"wall time\W+([0-9.]+) s", line)
        if found:
            return float(found.group(1))
    return None


def spawn_case(mode: str, patients: int, years: float, seed: int,
               chunk_size: int) -> dict[str, object]:
    """Run one case in a fresh process; its peak RSS from ``os.wait4``."""
    env = {**os.environ, "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"),
                                                     os.environ.get("PYTHONPATH")) if p)}
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        cmd = case_command(mode, patients, years, seed, chunk_size, Path(tmp))
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=stdout, stderr=stderr,
                                    text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            process_s = time.perf_counter() - started
            stdout.seek(0)
            stderr.seek(0)
            out_text, err_text = stdout.read(), stderr.read()
    wall_s = _wall_of(out_text)
    if proc.returncode != 0 or wall_s is None:
        sys.stderr.write(out_text + err_text)
        raise SystemExit(f"case {mode!r} at {patients:,} failed ({proc.returncode}); "
                         "nothing was written")
    return {"mode": mode, "patients": patients, "years": years, "chunk_size": chunk_size,
            "wall_s": wall_s, "process_s": process_s, "peak_rss_kib": usage.ru_maxrss}


# --- report ------------------------------------------------------------------------------
def _mb(kib: object) -> float:
    return int(kib) * 1024 / 1e6  # type: ignore[call-overload]


def slope_bytes_per_patient(rows: list[dict[str, object]], mode: str
                            ) -> tuple[float, int, int] | None:
    """Peak growth per extra patient between the two largest cohorts (and their sizes)."""
    mine = sorted((r for r in rows if r["mode"] == mode), key=lambda r: int(r["patients"]))
    if len(mine) < 2 or mine[-1]["patients"] == mine[-2]["patients"]:
        return None
    small, large = mine[-2], mine[-1]
    grown = (int(large["peak_rss_kib"]) - int(small["peak_rss_kib"])) * 1024
    extra = int(large["patients"]) - int(small["patients"])
    return grown / extra, int(small["patients"]), int(large["patients"])


def _growth_text(bytes_per_patient: float, small: int, large: int) -> str:
    span = f"from {small:,} to {large:,} patients"
    if bytes_per_patient <= 0:
        return f"no growth {span} ({bytes_per_patient:,.0f} bytes per patient)"
    return (f"{bytes_per_patient:,.0f} bytes per patient {span} "
            f"({bytes_per_patient * 1e8 / 1e9:,.1f} GB per 100,000,000 patients at that rate)")


def markdown(rows: list[dict[str, object]], info: dict[str, str], command: str) -> str:
    first = rows[0]
    lines = [
        f"Command: `{command}`  ",
        f"Date: {info['date']}  ",
        f"Code: {info['code']}  ",
        f"Machine: {info['os']}; {info['cpu']}; {info['cores']}; {info['memory']} RAM  ",
        f"Software: Python {info['python']}, numba {info['numba']}, numpy {info['numpy']}  ",
        f"Built-in default scenario, {float(first['years']):g} years, seed "
        f"{info['seed']}, chunks of {int(first['chunk_size']):,}; each case in a fresh "
        "process.",
        "",
        "| patients | path | peak RSS (MB) | wall (s) | patients/s | process (s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        n, wall = int(r["patients"]), float(r["wall_s"])
        path = ("`tumorsim simulate` (streamed)" if r["mode"] == "streamed"
                else "`save_results(simulate(...))` (in memory)")
        lines.append(f"| {n:,} | {path} | {_mb(r['peak_rss_kib']):,.0f} | {wall:.1f} "
                     f"| {n / wall:,.0f} | {float(r['process_s']):.1f} |")
    lines += ["", "Peak growth per extra patient between the two largest cohorts:", ""]
    for mode in MODES:
        found = slope_bytes_per_patient(rows, mode)
        if found is not None:
            lines.append(f"- {mode}: {_growth_text(*found)}")
    lines += [
        "",
        "Peak RSS is `ru_maxrss` of the case's process from `os.wait4` (interpreter, "
        "imports, numba's compilation and pyarrow's memory pool included); MB = 10^6 "
        "bytes. Wall is the span the command reports as its `wall time` (simulate, write, "
        "summary; the in-memory case times the same span after compiling on "
        f"{WARMUP_PATIENTS} patients); process is the whole child process, start-up and "
        "compilation included.",
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, body: str) -> None:
    """Replace the marked section of ``path`` with ``body`` (appended if absent)."""
    section = f"{START_MARK}\n{body}{END_MARK}\n"
    text = path.read_text() if path.exists() else "# Performance\n"
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start == -1 or end == -1 or end < start:
        if start != -1 or end != -1:
            raise SystemExit(f"{path}: found only one of {START_MARK} / {END_MARK}, or "
                             "they are out of order; fix the file by hand")
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    path.write_text(text[:start] + section + text[end + len(END_MARK):].lstrip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 200_000],
                        help="cohort sizes (default: 20000 100000 200000)")
    parser.add_argument("--years", type=float, default=20.0, help="horizon (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-size", type=int, default=20_000,
                        help="patients per chunk, the same at every size (default 20000)")
    parser.add_argument("--out", type=Path, default=None,
                        help="markdown file whose bench_memory section is rewritten")
    parser.add_argument("--case-in-memory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--case-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or args.years <= 0 or args.chunk_size < 1:
        parser.error("--sizes and --chunk-size must be >= 1 and --years > 0")
    if args.case_in_memory is not None:  # the child of an in-memory case
        run_in_memory(args.case_in_memory, args.sizes[0], args.seed, args.chunk_size,
                      args.case_out)
        return 0

    shown = sys.argv[1:] if argv is None else argv
    python = os.path.relpath(sys.executable, REPO) if sys.executable.startswith(
        str(REPO)) else sys.executable
    command = shlex.join([python, os.path.relpath(Path(__file__).resolve(), REPO), *shown])
    info = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "code": code_version(), "seed": str(args.seed), **machine()}
    rows = []
    for patients in sorted(args.sizes):
        for mode in MODES:
            print(f"running {mode}: {patients:,} patients x {args.years:g} years ...",
                  file=sys.stderr, flush=True)
            rows.append(spawn_case(mode, patients, args.years, args.seed, args.chunk_size))
            print(f"  peak {_mb(rows[-1]['peak_rss_kib']):,.0f} MB, "
                  f"{float(rows[-1]['wall_s']):.1f} s", file=sys.stderr, flush=True)
    body = markdown(rows, info, command)
    print(body, end="")
    if args.out is not None:
        write_section(args.out, body)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
