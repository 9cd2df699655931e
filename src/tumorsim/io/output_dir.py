"""One rule for every command's ``--out``: checked before any computation, and locked.

A command that writes a directory claims it first::

    with claim_output_dir(out, known=RESULTS_FILES.values()):
        ...  # compute, then write into ``out``

:func:`claim_output_dir` checks, before anything is computed, that

- the path is a directory or can become one (not a file, not under a file);
- it is empty, new, or a previous output of the same command: every entry in it is one
  of the names the command writes (``known``), so a directory of the user's own files is
  never written into or replaced;
- tumorsim can create files there and beside it (results are written beside the
  directory and moved into place), by creating and removing a probe file: permission
  bits, read-only mounts and full or busy file systems all show up here;

and then holds a lock beside the directory (``.<name>.lock``) until the block ends, so
that two runs cannot write into one directory: the second stops at once with a line
naming the first one's process id. The lock is an advisory ``flock`` that the operating
system releases when its process ends, so a killed run leaves no stale lock.

A command that writes one file (``sbml``, ``calibrate``) checks it with
:func:`check_output_file`.

Every problem is a :class:`tumorsim.errors.ResultsError`: one line naming the option,
the path, what is wrong and what is expected, e.g. ::

    --out runs/a: exists and is not a directory; expected: a new directory, an empty
    one, or a previous output of this command
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Final

from tumorsim.errors import ResultsError

__all__ = [
    "LOCK_SUFFIX",
    "check_output_dir",
    "check_output_file",
    "claim_output_dir",
    "lock_path",
]

LOCK_SUFFIX: Final[str] = ".lock"
"""The lock of output directory ``d`` is the hidden file ``.<d's name>.lock`` beside it."""

_EXPECTED_DIR: Final[str] = (
    "a new directory, an empty one, or a previous output of this command"
)
_SHOWN_NAMES: Final[int] = 5


def _error(option: str, path: Path, problem: str, expected: str = "") -> ResultsError:
    """A one-line error naming the option and the path as the user gave it."""
    return ResultsError(f"{option} {path}" if option else path, problem, expected)


def _why(exc: OSError) -> str:
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def _target(path: Path) -> Path:
    """The directory a write replaces: what a link points to; ``.`` and ``..`` resolved."""
    if path.is_symlink() or path.name in ("", ".", ".."):
        return path.resolve()
    return path


def _existing_ancestor(path: Path, option: str, shown: Path) -> Path:
    """The nearest existing ancestor of ``path``; it must be a directory."""
    current = path.absolute()
    while True:
        try:
            is_dir = current.is_dir()
            exists = is_dir or current.exists()
        except OSError as exc:
            raise _error(option, shown, f"cannot check {current}: {_why(exc)}") from None
        if exists:
            if not is_dir:
                raise _error(option, shown, f"{current} is a file, not a directory",
                             "a path whose parent folders are directories")
            return current
        if current.parent == current:  # pragma: no cover - the root always exists
            return current
        current = current.parent


def _probe(directory: Path, option: str, shown: Path) -> None:
    """Create and remove a file in ``directory``; any failure is the user's error."""
    try:
        fd, name = tempfile.mkstemp(prefix=".tumorsim-probe-", dir=directory)
    except OSError as exc:
        raise _error(option, shown, f"cannot write in {directory} ({_why(exc)})",
                     "a writable location") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def _check_path_text(path: Path, option: str) -> None:
    if "\0" in str(path):
        raise _error(option, Path(repr(str(path))), "the path contains a NUL byte",
                     "a path without NUL bytes")
    if str(path) == "":
        raise _error(option, path, "empty path", "a directory path")


def check_output_dir(
    path: str | os.PathLike[str], *, known: Collection[str] = (), option: str = "--out"
) -> Path:
    """Check that a command may write the directory ``path``, before it computes anything.

    Parameters
    ----------
    path : str or os.PathLike
        The output directory as the user gave it.
    known : collection of str, optional
        Names of the files and folders the command writes there: a directory holding
        only these is a previous output and may be replaced. Hidden entries of tumorsim's
        own (``.tumorsim-*``) are allowed too.
    option : str, optional
        The option named in messages.

    Returns
    -------
    pathlib.Path
        The directory that will be written (a symbolic link resolved).

    Raises
    ------
    tumorsim.errors.ResultsError
        ``path`` is a file or lies under one, holds entries other than ``known``, cannot
        be listed, or tumorsim cannot create files in it or beside it.
    """
    shown = Path(path)
    _check_path_text(shown, option)
    out = _target(shown)
    try:
        exists = out.exists() or out.is_symlink()
        is_dir = out.is_dir()
    except OSError as exc:
        raise _error(option, shown, f"cannot check: {_why(exc)}") from None
    if exists and not is_dir:
        kind = "a broken symbolic link" if out.is_symlink() else "not a directory"
        raise _error(option, shown, f"exists and is {kind}", _EXPECTED_DIR)
    if is_dir:
        try:
            names = sorted(entry.name for entry in os.scandir(out))
        except OSError as exc:
            raise _error(option, shown, f"cannot list: {_why(exc)}", _EXPECTED_DIR) from None
        allowed = set(known)
        others = [n for n in names if n not in allowed and not n.startswith(".tumorsim-")]
        if others:
            listed = ", ".join(others[:_SHOWN_NAMES]) + (
                ", ..." if len(others) > _SHOWN_NAMES else "")
            raise _error(option, shown, f"holds files tumorsim did not write ({listed}); "
                         "not writing there", _EXPECTED_DIR)
        _probe(out, option, shown)
    # Results are staged beside the directory and moved into place; the lock lives there.
    _probe(_existing_ancestor(out.parent, option, shown), option, shown)
    return out


def check_output_file(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that a command may write the file ``path`` (replacing it if it exists).

    Parameters
    ----------
    path : str or os.PathLike
        The output file as the user gave it.
    option : str, optional
        The option named in messages.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    tumorsim.errors.ResultsError
        ``path`` is a directory or lies under a file, or its folder is not writable.
    """
    shown = Path(path)
    _check_path_text(shown, option)
    try:
        is_dir = shown.is_dir()
    except OSError as exc:
        raise _error(option, shown, f"cannot check: {_why(exc)}") from None
    if is_dir or str(path).endswith(os.sep):
        raise _error(option, shown, "is a directory", "a file path, e.g. out/model.xml")
    _probe(_existing_ancestor(shown.absolute().parent, option, shown), option, shown)
    return shown


def lock_path(out: str | os.PathLike[str]) -> Path:
    """The lock file of the output directory ``out``: ``.<name>.lock`` beside it."""
    target = _target(Path(out))
    return target.parent / f".{target.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def claim_output_dir(
    path: str | os.PathLike[str], *, known: Collection[str] = (), option: str = "--out"
) -> Iterator[Path]:
    """Check ``path`` (:func:`check_output_dir`) and hold its lock for the ``with`` block.

    Parameters
    ----------
    path, known, option
        As for :func:`check_output_dir`.

    Yields
    ------
    pathlib.Path
        The directory to write (not created here: writers create it).

    Raises
    ------
    tumorsim.errors.ResultsError
        As :func:`check_output_dir`, or another run holds the lock.
    """
    out = check_output_dir(path, known=known, option=option)
    shown = Path(path)
    lock = lock_path(out)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(option, shown, f"cannot create {lock.parent} ({_why(exc)})",
                     "a writable location") from None
    handle = _acquire(lock, option, shown)
    try:
        # Checked again under the lock: another run may have written there meanwhile.
        check_output_dir(path, known=known, option=option)
        yield out
    finally:
        _release(lock, handle)


def _acquire(lock: Path, option: str, shown: Path) -> int:
    """Open and ``flock`` the lock file; the descriptor holds the lock."""
    import fcntl

    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _error(option, shown, f"cannot create the lock {lock} ({_why(exc)})",
                         "a writable location") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise _error(option, shown,
                         f"another tumorsim run{holder} is writing there (lock {lock})",
                         "wait for it to finish, or choose another directory") from None
        # The previous holder may have removed the file between our open and flock:
        # then we hold a lock on a deleted file; open the new one instead.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _release(lock: Path, fd: int) -> None:
    # Unlink while still holding the lock, so a waiting run never locks a deleted file.
    with contextlib.suppress(OSError):
        os.unlink(lock)
    os.close(fd)
