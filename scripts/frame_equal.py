"""Record and compare the numbers a refactor must not change.

A refactor of the package (a module moved, an interface reshaped) must leave every result
bitwise identical. This script runs a fixed set of commands through the real ``tumorsim``
command line and keeps their outputs, then compares two such records frame by frame:

    python scripts/frame_equal.py record BEFORE_DIR      # on the commit before the change
    python scripts/frame_equal.py record AFTER_DIR       # on the changed code
    python scripts/frame_equal.py compare BEFORE_DIR AFTER_DIR

What it runs (the "Must show" of the one-law-one-place issue):

* the built-in default scenario and every scenario file in ``examples/``: stochastic with
  3,000 patients and deterministic with 300 (a trial file through ``tumorsim trial``);
* ``tumorsim validate --fast`` (its ``claims.json``);
* a GBSG2 twin run (``tumorsim twin --gbsg2 --twins 2``).

Parquet tables are compared with :func:`pandas.testing.assert_frame_equal` with
``check_exact=True``; JSON files are compared after removing keys that record wall time,
dates or versions. Exit status 0 when everything is equal, 1 otherwise (each difference
named).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TUMORSIM = [sys.executable, "-m", "tumorsim"]
STOCHASTIC_PATIENTS = 3000
DETERMINISTIC_PATIENTS = 300
VOLATILE_KEYS = {"wall_s", "wall_seconds", "seconds", "created", "created_utc", "date",
                 "version", "package_version", "tumorsim_version", "elapsed_s", "command",
                 "python", "platform", "numba", "numpy", "hostname", "out",
                 # a hash of the scenario's serialised form: it changes when the schema
                 # gains a field (provenance, not a result)
                 "scenario_fingerprint"}


def _run(args: list[str], cwd: Path) -> None:
    print("$ tumorsim " + " ".join(args), flush=True)
    subprocess.run([*TUMORSIM, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _scenarios() -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = [("default", None)]
    for path in sorted((ROOT / "examples").glob("*.toml")):
        text = path.read_text()
        if "[population]" in text or "[cohort]" in text or "extends" in text:
            if path.name.endswith("_columns.toml"):
                continue
            out.append((path.stem, path))
    return out


def _deterministic_copy(name: str, path: Path | None, work: Path) -> Path:
    """A scenario file that extends ``path`` (or the default) in deterministic mode."""
    target = path if path is not None else ROOT / "src/tumorsim/data/default.toml"
    text = (f'extends = "{target.as_posix()}"\nname = "{name}-deterministic"\n\n'
            '[numerics]\nmode = "deterministic"\n')
    out = work / f"{name}_deterministic.toml"
    out.write_text(text)
    return out


def record(out: Path) -> None:
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, path in _scenarios():
            is_trial = path is not None and "[arms." in path.read_text()
            command = "trial" if is_trial else "simulate"
            scn = [] if path is None else [str(path)]
            _run([command, *scn, "--patients", str(STOCHASTIC_PATIENTS), "--seed", "7",
                  "--out", str(out / f"{name}_stochastic")], work)
            det = _deterministic_copy(name, path, work)
            _run([command, str(det), "--patients", str(DETERMINISTIC_PATIENTS), "--seed", "7",
                  "--out", str(out / f"{name}_deterministic")], work)
        _run(["validate", "--fast", "--seed", "2026", "--out", str(out / "validate_fast")],
             work)
        _run(["twin", "--gbsg2", "--twins", "2", "--seed", "5", "--out",
              str(out / "twin_gbsg2")], work)


def _strip(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def compare(a: Path, b: Path) -> int:
    problems: list[str] = []
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(files_a ^ files_b):
        problems.append(f"only in one record: {rel}")
    compared = 0
    for rel in sorted(files_a & files_b):
        pa, pb = a / rel, b / rel
        if rel.suffix == ".parquet":
            # one thread: a threaded pyarrow read can abort the interpreter at exit
            fa = pd.read_parquet(pa, use_threads=False)
            fb = pd.read_parquet(pb, use_threads=False)
            try:
                pd.testing.assert_frame_equal(fa, fb, check_exact=True)
            except AssertionError as exc:
                problems.append(f"{rel}: {str(exc).splitlines()[0]}")
            compared += 1
        elif rel.suffix == ".csv":
            try:
                pd.testing.assert_frame_equal(pd.read_csv(pa), pd.read_csv(pb),
                                              check_exact=True)
            except AssertionError as exc:
                problems.append(f"{rel}: {str(exc).splitlines()[0]}")
            compared += 1
        elif rel.suffix == ".json" and rel.name in {"claims.json", "validate.json"}:
            ja = _strip(json.loads(pa.read_text()))
            jb = _strip(json.loads(pb.read_text()))
            if ja != jb:
                problems.append(f"{rel}: JSON differs")
            compared += 1
    for p in problems:
        print("DIFFERENT:", p)
    print(f"{compared} files compared, {len(problems)} differences")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "record":
        record(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
