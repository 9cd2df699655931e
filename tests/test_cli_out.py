"""One rule for ``--out``: every command checks it before computing anything, says what is
wrong in one line (exit status 2, nothing written), and two runs cannot share one
output directory."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from cli_helpers import run_cli

# /sys is mounted read-only: nothing can be created under it, even by root
UNWRITABLE_DIR = "/sys/tumorsim-out-test/run"
UNWRITABLE_FILE = "/sys/tumorsim-out-test/model.xml"

COMMANDS = {
    "simulate": ["simulate", "--patients", "2", "--out", UNWRITABLE_DIR],
    "twin": ["twin", "--dataset", "transbig", "--twins", "1", "--out", UNWRITABLE_DIR],
    "trial": ["trial", "examples/trial_cxcr2.toml", "--patients", "2", "--out",
              UNWRITABLE_DIR],
    "validate": ["validate", "--claims", "M2a", "--fast", "--out", UNWRITABLE_DIR],
    "demo": ["demo", "--twins", "1", "--out", UNWRITABLE_DIR],
    "calibrate-posterior": ["calibrate-posterior", "--points", "4", "--out", UNWRITABLE_DIR],
    "sbml": ["sbml", "--out", UNWRITABLE_FILE],
    "calibrate": ["calibrate", "--max-evaluations", "1", "--out", UNWRITABLE_FILE],
    "rules": ["rules", "--format", "physicell", "--out", UNWRITABLE_DIR],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unwritable_out_is_one_line_before_any_work(name: str) -> None:
    result = run_cli(*COMMANDS[name])
    assert result.returncode == 2, (name, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "/sys/tumorsim-out-test" in lines[0]
    assert not Path("/sys/tumorsim-out-test").exists()


def _hold(out: str, ready: multiprocessing.synchronize.Event,
          done: multiprocessing.synchronize.Event) -> None:
    from tumorsim.io.output_dir import claim_output_dir

    with claim_output_dir(out):
        ready.set()
        done.wait(60)


@pytest.mark.parametrize("args", [
    ["trial", "examples/trial_cxcr2.toml", "--patients", "2"],
    ["simulate", "--patients", "2"],
])
def test_two_runs_cannot_share_one_output_directory(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "shared"
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(out), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        result = run_cli(*args, "--out", out)
        assert result.returncode == 2, result.stdout
        assert result.stderr.count("\n") == 1 and f"pid {holder.pid}" in result.stderr
    finally:
        done.set()
        holder.join(60)
    result = run_cli(*args, "--out", out)  # the lock is released with its holder
    assert result.returncode == 0, result.stderr


def test_a_directory_of_other_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    result = run_cli("validate", "--claims", "M2a", "--fast", "--out", out)
    assert result.returncode == 2
    assert "thesis.tex" in result.stderr and result.stderr.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
