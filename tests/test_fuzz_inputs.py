"""Fuzzing the input files through the command line: one line or success, never worse.

Seeded mutations of the examples' scenario files, the trial file, the column map and a
small GBSG2-like CSV are run through the real command line (typer's ``CliRunner`` on
``tumorsim.cli:app`` in-process for speed, and a sample through ``python -m tumorsim``
in a subprocess). Each case must either succeed (exit 0) or fail with exit status 2 and
exactly one ``error: ...`` line on stderr. A traceback, an exception escaping the app,
another exit status, a multi-line error or a case running past its time limit (a hang)
fails the suite, which prints every offending case with the file that caused it.

Mutations are of two kinds: structural (parse the TOML, change one entry: another
type, a boundary or non-finite number, a deleted, renamed or unknown key, a table in
place of a value, deep nesting, a strange ``extends``) and textual (flip, insert or
delete bytes and lines, truncate, NUL bytes, invalid UTF-8). CSVs get bad cells
(empty, ``NA``, text, huge, negative, ``nan``, ``inf``), dropped, repeated and renamed
columns, no rows, and the same textual mutations.

The figures are printed at the end (``pytest tests/test_fuzz_inputs.py -s``) and the
seed is fixed, so a failure reproduces.
"""

from __future__ import annotations

import copy
import math
import random
import signal
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_real_cli
from typer.testing import CliRunner

from tumorsim.cli import app

SEED = 2026
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCENARIO_FILES = sorted(p for p in EXAMPLES.glob("*.toml") if p.name != "gbsg2_columns.toml")
COLUMN_MAP = EXAMPLES / "gbsg2_columns.toml"
N_SCENARIO = 700     # validate-scenario (most), params, rules
N_SIMULATE = 30      # simulate (or trial) --patients 2 on mutations that still validate
N_COLUMN_MAP = 160   # twin --twins 1 on a 4-patient CSV with a mutated map
N_CSV = 200          # twin --twins 1 on a mutated CSV
N_REAL = 12          # through `python -m tumorsim` in a subprocess
CASE_TIMEOUT_S = 30  # a case running longer is reported as a hang

CSV_TEXT = (
    "horTh,age,menostat,tsize,tgrade,pnodes,progrec,estrec,time,cens\n"
    "no,70,Post,21,II,3,48,66,1814,1\n"
    "yes,56,Post,12,II,7,61,77,2018,1\n"
    "yes,58,Post,35,II,9,52,271,712,1\n"
    "yes,32,Pre,57,III,6,60,29,1807,1\n"
)

STRANGE_VALUES: tuple[Any, ...] = (
    "", "x", "ünïcødé ☃", "a\u0000b", " " * 3, "1e999", "NaN", "-1", "true",
    0, 1, -1, 2**63, -(2**63), 10**30,
    0.0, -0.0, 1e-300, 1e300, -1e300, math.nan, math.inf, -math.inf, 0.5, 1.5, -2.5,
    True, False,
    [], [0.0], [1.0, math.nan], [math.inf, 1.0], ["a", "b"], [[1.0]], [1, 2, 3] * 20,
    {}, {"x": 1}, {"kind": "steps"},
)
STRANGE_EXTENDS = (
    "", " ", "/dev/zero", "/dev/null", "/proc/self/status", "/proc/self/mem", "/",
    ".", "..", "missing.toml", "tumorsim:", "tumorsim:calibratd", "tumorsim:registry",
    "tumorsim:default", "tumorsim:calibrated", "a\u0000b", "x" * 5000,
    "../../../../../../etc/passwd", "SELF",
)


@dataclass
class Figures:
    """What the fuzz run saw."""

    cases: int = 0
    ok: int = 0
    one_line_errors: int = 0
    tracebacks: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    multi_line: list[str] = field(default_factory=list)
    other_status: list[str] = field(default_factory=list)
    by_command: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"fuzz: {self.cases} cases ({dict(self.by_command)}): {self.ok} ok, "
                f"{self.one_line_errors} one-line errors; tracebacks {len(self.tracebacks)}, "
                f"hangs {len(self.hangs)}, multi-line errors {len(self.multi_line)}, "
                f"other exit status {len(self.other_status)}; seconds by command "
                f"{ {k: round(v, 1) for k, v in self.seconds.items()} }")


# --- TOML text from data (the few types the mutations produce) --------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))  # pragma: no cover


def _key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "_-" for c in key) and key.isascii()
    return key if bare else _toml_value(key)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for ``data``: plain values first, then one ``[table]`` per sub-table."""
    lines: list[str] = []

    def emit(table: dict[str, Any], prefix: tuple[str, ...]) -> None:
        subtables = {k: v for k, v in table.items() if isinstance(v, dict) and v}
        if prefix:
            lines.append("[" + ".".join(_key(p) for p in prefix) + "]")
        for k, v in table.items():
            if k not in subtables:
                lines.append(f"{_key(k)} = {_toml_value(v)}")
        for k, v in subtables.items():
            emit(v, (*prefix, k))

    emit(data, ())
    return "\n".join(lines) + "\n"


# --- mutations --------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in ``data`` (tables and arrays)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate_structure(rng: random.Random, data: dict[str, Any], extends_dir: Path) -> str:
    """One structural change to a parsed TOML document, as TOML text."""
    paths = list(_paths(data))
    kind = rng.choice(["value", "value", "value", "delete", "rename", "unknown", "nest",
                       "extends", "table_for_value", "number_edge"])
    if kind == "extends":
        target = rng.choice(STRANGE_EXTENDS)
        data["extends"] = "SELF.toml" if target == "SELF" else target
        return to_toml(data)
    if kind == "nest":
        depth = rng.choice([5, 17, 40, 200, 1000, 100_000])
        if depth > 200:  # written as text: too deep for a recursive writer
            return to_toml(data) + "deep = " + "[" * depth + "]" * depth + "\n"
        inner: Any = 1.0
        for _ in range(depth):
            inner = [inner] if rng.random() < 0.5 else {"t": inner}
        data[rng.choice(["cohort", "parameters", "deep", "exposures"])] = inner
        return to_toml(data)
    if not paths:
        data["x"] = 1
        return to_toml(data)
    path = rng.choice(paths)
    parent = _parent(data, path)
    last = path[-1]
    if kind == "delete":
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    elif kind == "rename" and isinstance(parent, dict):
        parent[last + rng.choice(["s", "_", "X", " ", "é"])] = parent.pop(last)
    elif kind == "unknown" and isinstance(parent, dict):
        parent[rng.choice(["patient", "lungs", "tamoxifenn", "level", "kind", "arms"])] = (
            rng.choice(STRANGE_VALUES))
    elif kind == "table_for_value":
        parent[last] = {"value": parent[last]}
    elif kind == "number_edge":
        old = parent[last]
        if isinstance(old, int | float) and not isinstance(old, bool):
            parent[last] = rng.choice([old * 10**rng.randint(1, 12), -old, old + 1e-9, 0,
                                       math.nan, math.inf, -math.inf, float(old)])
        else:
            parent[last] = rng.choice(STRANGE_VALUES)
    else:
        parent[last] = rng.choice(STRANGE_VALUES)
    return to_toml(data)


def mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    """One textual change: bytes or lines flipped, inserted, deleted or cut."""
    data = bytearray(raw)
    kind = rng.choice(["flip", "insert", "delete", "truncate", "dup_line", "del_line",
                       "nul", "bad_utf8", "bom", "crlf", "swap_lines"])
    pos = rng.randrange(len(data) + 1)
    lines = bytes(data).split(b"\n")
    line = rng.randrange(len(lines))
    if kind == "flip" and data:
        data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
    elif kind == "insert":
        data[pos:pos] = rng.choice([b"[", b"]", b"=", b'"', b"\n", b"#", b"[[x]]\n", b",",
                                    b"{", b"\\", b"'''", b" = 1\n", b"nan", b"inf"])
    elif kind == "delete":
        del data[pos:pos + rng.randint(1, 40)]
    elif kind == "truncate":
        del data[pos:]
    elif kind == "dup_line":
        lines.insert(line, lines[line])
        data = bytearray(b"\n".join(lines))
    elif kind == "del_line":
        del lines[line]
        data = bytearray(b"\n".join(lines))
    elif kind == "nul":
        data[pos:pos] = b"\x00"
    elif kind == "bad_utf8":
        data[pos:pos] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82"])
    elif kind == "bom":
        data[0:0] = b"\xef\xbb\xbf"
    elif kind == "crlf":
        data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
    elif kind == "swap_lines":
        other = rng.randrange(len(lines))
        lines[line], lines[other] = lines[other], lines[line]
        data = bytearray(b"\n".join(lines))
    return bytes(data)


def mutate_csv(rng: random.Random, text: str) -> bytes:
    """One change to a CSV: a bad cell, a column dropped, repeated or renamed, no rows..."""
    rows = [line.split(",") for line in text.strip("\n").split("\n")]
    kind = rng.choice(["cell", "cell", "cell", "drop_column", "repeat_header",
                       "rename_header", "no_rows", "extra_column", "short_row", "long_row",
                       "delimiter", "bytes", "bytes", "empty", "header_only_blank"])
    if kind == "cell":
        r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
        rows[r][c] = rng.choice(["", "NA", "nan", "inf", "-inf", "-1", "1e308", "1e999",
                                 "abc", "0", "101", "IV", "Premenopausal", '"', "0x10",
                                 "1,5", "ünï", " 70 ", "99999999999999999999"])
    elif kind == "drop_column":
        c = rng.randrange(len(rows[0]))
        rows = [r[:c] + r[c + 1:] for r in rows]
    elif kind == "repeat_header":
        a, b = rng.sample(range(len(rows[0])), 2)
        rows[0][a] = rows[0][b]
    elif kind == "rename_header":
        c = rng.randrange(len(rows[0]))
        rows[0][c] = rng.choice(["", "Age", "age ", "pid", "patient_id", "x"])
    elif kind == "no_rows":
        rows = rows[:1]
    elif kind == "extra_column":
        rows = [r + [rng.choice(["extra", "1", ""])] for r in rows]
    elif kind == "short_row":
        rows[rng.randrange(1, len(rows))].pop()
    elif kind == "long_row":
        rows[rng.randrange(1, len(rows))].append("1")
    elif kind == "delimiter":
        return "\n".join(";".join(r) for r in rows).encode()
    elif kind == "empty":
        return b""
    elif kind == "header_only_blank":
        return (",".join(rows[0]) + "\n\n\n").encode()
    else:
        return mutate_bytes(rng, text.encode())
    return ("\n".join(",".join(r) for r in rows) + "\n").encode()


# --- running one case ---------------------------------------------------------------------------


class _Hang(Exception):
    pass


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _judge(figures: Figures, label: str, status: int, stdout: str, stderr: str) -> None:
    figures.cases += 1
    if "Traceback" in stdout + stderr:
        figures.tracebacks.append(f"{label}: {(stdout + stderr)[-400:]}")
    elif status == 0:
        figures.ok += 1
    elif status != 2:
        figures.other_status.append(f"{label}: exit {status}: {stderr[-300:]}")
    else:
        lines = stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: "):
            figures.multi_line.append(f"{label}: {stderr[-400:]!r}")
        else:
            figures.one_line_errors += 1


def run_case(figures: Figures, label: str, args: list[str]) -> None:
    """One in-process run of ``tumorsim ARGS``, judged."""
    figures.by_command[args[0]] += 1
    started = time.perf_counter()
    try:
        with _time_limit(CASE_TIMEOUT_S):
            result = CliRunner().invoke(app, args, terminal_width=120)
        figures.seconds[args[0]] += time.perf_counter() - started
    except _Hang:
        figures.cases += 1
        figures.hangs.append(f"{label}: over {CASE_TIMEOUT_S} s")
        return
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        figures.cases += 1
        figures.tracebacks.append(
            f"{label}: {type(result.exception).__name__}: {result.exception}"[:400])
        return
    _judge(figures, label, result.exit_code, result.stdout, result.stderr)


# --- the suite ------------------------------------------------------------------------------------


def _scenario_cases(rng: random.Random, folder: Path) -> Iterator[tuple[str, Path, bytes]]:
    """(label, file, bytes) of mutated scenario and trial files, in ``folder``."""
    sources = {p.name: p.read_bytes() for p in SCENARIO_FILES}
    for name, raw in sources.items():  # siblings that mutated files may extend
        (folder / name).write_bytes(raw)
    for i in range(N_SCENARIO + N_SIMULATE * 4):
        name = rng.choice(sorted(sources))
        raw = sources[name]
        if rng.random() < 0.6:
            data = tomllib.loads(raw.decode())
            text = mutate_structure(rng, data, folder)
            mutated = text.encode()
        else:
            mutated = mutate_bytes(rng, raw)
        path = folder / f"case{i:04d}_{name}"
        mutated = mutated.replace(b'"SELF.toml"', f'"{path.name}"'.encode())
        yield f"scenario case {i} (from {name})", path, mutated


def test_fuzz_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    figures = Figures()
    scenario_dir = tmp_path / "scenarios"
    scenario_dir.mkdir()
    real_sample: list[list[str]] = []
    simulated = 0
    validated = 0

    for label, path, mutated in _scenario_cases(rng, scenario_dir):
        path.write_bytes(mutated)
        if validated < N_SCENARIO:
            validated += 1
            command = rng.choices(["validate-scenario", "params", "rules"], [6, 1, 1])[0]
            args = [command, str(path)]
            run_case(figures, f"{label}: {command}", args)
            if len(real_sample) < N_REAL // 2 and rng.random() < 0.05:
                real_sample.append(args)
            continue
        if simulated >= N_SIMULATE:
            break
        # simulate the mutations that pass validation (or most of them would stop early);
        # a trial file runs through `tumorsim trial`
        check = CliRunner().invoke(app, ["validate-scenario", str(path)])
        if check.exit_code == 0 or rng.random() < 0.2:
            simulated += 1
            out = tmp_path / f"sim{simulated}"
            command = "trial" if "trial_" in path.name else "simulate"
            run_case(figures, f"{label}: {command}", [command, str(path), "--patients", "2",
                                                      "--out", str(out)])

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    good_csv = data_dir / "patients.csv"
    good_csv.write_text(CSV_TEXT, encoding="utf-8")
    map_data = tomllib.loads(COLUMN_MAP.read_text(encoding="utf-8"))
    for i in range(N_COLUMN_MAP):
        path = data_dir / f"map{i:04d}.toml"
        if rng.random() < 0.7:
            mutated = mutate_structure(rng, copy.deepcopy(map_data), data_dir)
            path.write_text(mutated, encoding="utf-8")
        else:
            path.write_bytes(mutate_bytes(rng, COLUMN_MAP.read_bytes()))
        args = ["twin", str(good_csv), "--columns", str(path), "--twins", "1", "--seed", "1",
                "--out", str(tmp_path / "twin_map")]
        run_case(figures, f"column map case {i}", args)
        if len(real_sample) < 3 * N_REAL // 4 and rng.random() < 0.05:
            real_sample.append(args)
    for i in range(N_CSV):
        path = data_dir / f"data{i:04d}.csv"
        path.write_bytes(mutate_csv(rng, CSV_TEXT))
        args = ["twin", str(path), "--twins", "1", "--seed", "1",
                "--out", str(tmp_path / "twin_csv")]
        run_case(figures, f"CSV case {i}", args)
        if len(real_sample) < N_REAL and rng.random() < 0.05:
            real_sample.append(args)

    for args in real_sample:
        figures.by_command["real " + args[0]] += 1
        started = time.perf_counter()
        outcome = run_real_cli(*args)
        figures.seconds["real " + args[0]] += time.perf_counter() - started
        _judge(figures, f"real: {' '.join(args)}", outcome.returncode, outcome.stdout,
               outcome.stderr)

    with capsys.disabled():
        print("\n" + figures.summary())
    problems = figures.tracebacks + figures.hangs + figures.multi_line + figures.other_status
    assert figures.cases >= 1000, figures.summary()
    assert len(real_sample) >= 5, "too few cases through the real entry point"
    assert not problems, figures.summary() + "\n" + "\n".join(problems[:30])


def test_mutations_are_seeded() -> None:
    """The same seed gives the same cases (a failure reproduces)."""
    def sample(make: Callable[[random.Random], bytes]) -> list[bytes]:
        rng = random.Random(SEED)
        return [make(rng) for _ in range(20)]

    raw = SCENARIO_FILES[0].read_bytes()
    assert sample(lambda r: mutate_bytes(r, raw)) == sample(lambda r: mutate_bytes(r, raw))
    assert sample(lambda r: mutate_csv(r, CSV_TEXT)) == sample(lambda r: mutate_csv(r, CSV_TEXT))
    assert len(set(sample(lambda r: mutate_csv(r, CSV_TEXT)))) > 10
