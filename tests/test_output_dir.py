"""The one rule for ``--out`` (tumorsim.io.output_dir): checks before work, and a lock."""

from __future__ import annotations

import errno
import multiprocessing
import os
import tempfile
from pathlib import Path

import pytest

from tumorsim.errors import ResultsError
from tumorsim.io.output_dir import (
    check_output_dir,
    check_output_file,
    claim_output_dir,
    lock_path,
)

KNOWN = ("patients.parquet", "events.parquet")


def _one_line(exc: pytest.ExceptionInfo[ResultsError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_new_directory_is_accepted_and_not_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    assert check_output_dir(out, known=KNOWN) == out
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_previous_output_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    for name in KNOWN:
        (tmp_path / "run" / name).write_text("x")
    assert check_output_dir(tmp_path / "run", known=KNOWN) == tmp_path / "run"


def test_directory_of_user_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    (out / "patients.parquet").write_text("x")
    with pytest.raises(ResultsError) as exc:
        check_output_dir(out, known=KNOWN)
    line = _one_line(exc)
    assert line.startswith(f"--out {out}: holds files tumorsim did not write (thesis.docx)")
    assert "expected: a new directory, an empty one, or a previous output" in line
    assert (out / "thesis.docx").exists()


def test_file_instead_of_directory(tmp_path: Path) -> None:
    out = tmp_path / "results.txt"
    out.write_text("x")
    with pytest.raises(ResultsError) as exc:
        check_output_dir(out)
    assert "exists and is not a directory" in _one_line(exc)


def test_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsError) as exc:
        check_output_dir(tmp_path / "file" / "out")
    assert f"{tmp_path / 'file'} is a file, not a directory" in _one_line(exc)


def test_unwritable_location(tmp_path: Path) -> None:
    # /sys refuses new files even to root (sysfs); elsewhere a read-only folder does.
    if os.geteuid() == 0:
        if not os.path.isdir("/sys"):
            pytest.skip("needs /sys as root")
        out = Path("/sys/tumorsim-out")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        out = locked / "out"
    with pytest.raises(ResultsError) as exc:
        check_output_dir(out)
    line = _one_line(exc)
    assert line.startswith(f"--out {out}: cannot write in ")
    assert "expected: a writable location" in line


def test_read_only_file_system_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ResultsError) as exc:
        check_output_dir(tmp_path / "out", option="--out-dir")
    assert "(read-only file system)" in _one_line(exc)
    assert str(exc.value).startswith("--out-dir ")


def test_nul_byte_in_path() -> None:
    with pytest.raises(ResultsError) as exc:
        check_output_dir("runs/a\0b")
    assert "NUL byte" in _one_line(exc)


def test_output_file_rules(tmp_path: Path) -> None:
    assert check_output_file(tmp_path / "model.xml") == tmp_path / "model.xml"
    with pytest.raises(ResultsError) as exc:
        check_output_file(tmp_path)
    assert "is a directory" in _one_line(exc)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ResultsError) as exc:
        check_output_file(tmp_path / "f" / "model.xml")
    assert "is a file, not a directory" in _one_line(exc)


def test_lock_refuses_a_second_claim_and_is_released(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with claim_output_dir(out, known=KNOWN) as claimed:
        assert claimed == out
        assert lock_path(out).read_text().strip() == str(os.getpid())
        with pytest.raises(ResultsError) as exc:
            with claim_output_dir(out, known=KNOWN):
                pass  # pragma: no cover - must not be reached
        line = _one_line(exc)
        assert f"another tumorsim run (pid {os.getpid()}) is writing there" in line
    assert not lock_path(out).exists()
    with claim_output_dir(out, known=KNOWN):  # free again
        pass


def _hold_lock(out: str, ready: multiprocessing.synchronize.Event,
               done: multiprocessing.synchronize.Event) -> None:
    with claim_output_dir(out):
        ready.set()
        done.wait(30)


def test_two_processes_cannot_share_one_output_directory(tmp_path: Path) -> None:
    out = tmp_path / "run"
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(out), ready, done))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(ResultsError) as exc:
            with claim_output_dir(out):
                pass  # pragma: no cover
        assert f"(pid {holder.pid})" in _one_line(exc)
    finally:
        done.set()
        holder.join(30)
    with claim_output_dir(out):  # released when the holder finished
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    out = tmp_path / "run"
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(out), ready, done))
    holder.start()
    assert ready.wait(60)
    holder.kill()
    holder.join(30)
    assert lock_path(out).exists()  # the file stays; the kernel dropped the flock
    with claim_output_dir(out):
        pass


# --- wired: tumorsim demo (its directory handling lives in tumorsim.demo) -----------------------


def test_demo_refuses_a_file_before_any_computation(tmp_path: Path) -> None:
    from cli_helpers import assert_one_line_error, run_cli

    target = tmp_path / "report.txt"
    target.write_text("mine")
    assert_one_line_error(run_cli("demo", "--out", target, "--no-claims"),
                          f"--out {target}: exists and is not a directory")
    assert target.read_text() == "mine"


def test_demo_refuses_a_directory_of_user_files(tmp_path: Path) -> None:
    from cli_helpers import assert_one_line_error, run_cli

    (tmp_path / "notes.txt").write_text("mine")
    assert_one_line_error(run_cli("demo", "--out", tmp_path, "--no-claims"),
                          "holds files tumorsim did not write (notes.txt)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_demo_refuses_a_directory_another_run_holds(tmp_path: Path) -> None:
    from tumorsim.demo import demo_files, run_demo

    out = tmp_path / "demo"
    with claim_output_dir(out, known=demo_files()):
        with pytest.raises(ResultsError, match="another tumorsim run .* is writing there"):
            run_demo(out, twins=1, claims=False)
    assert not out.exists()  # nothing computed, nothing written
