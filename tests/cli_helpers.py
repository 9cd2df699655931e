"""Running the command line from tests: in-process (fast) or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from tumorsim.cli import app

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path) -> Outcome:
    """``tumorsim ARGS`` in-process; an exception escaping the app fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args], terminal_width=200)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def run_python(*args: str | Path, timeout: float = 300) -> Outcome:
    """``python ARGS`` in a subprocess with this source tree importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["COLUMNS"] = "200"
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr)


def run_real_cli(*args: str | Path) -> Outcome:
    """``python -m tumorsim ARGS`` in a subprocess."""
    return run_python("-m", "tumorsim", *args, timeout=120)


def assert_one_line_error(outcome: Outcome, *parts: str) -> str:
    """Exit status 2, no traceback, one ``error: ...`` line on stderr containing ``parts``."""
    assert outcome.returncode == 2, (outcome.returncode, outcome.stdout, outcome.stderr)
    assert "Traceback" not in outcome.stdout + outcome.stderr
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    line = lines[0]
    assert line.startswith("error: ")
    for part in parts:
        assert part in line, (part, line)
    return line
