"""Atomic writes: readers see the old file (or directory) or the whole new one, never a part.

Both ways write beside the target, on the same file system, and rename into place
(:func:`os.replace` is atomic): :func:`write_text_atomic` for one text file,
:func:`make_staging_dir` for a directory of files (results, checkpoint chunks).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["make_staging_dir", "replace_dir", "write_text_atomic"]


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically.

    The text goes to a hidden temporary file beside ``path``, is flushed to disk and
    moved into place with :func:`os.replace`; a failure leaves no partial or temporary
    file behind. Missing parent directories are created.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                     dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def make_staging_dir(target: Path) -> Path:
    """A new hidden directory ``.<name>.partial-<random>`` beside ``target``.

    Write the files into it, then rename it to ``target`` (atomic: same file system).
    Missing parent directories are created; the directory honours the umask, unlike
    :func:`tempfile.mkdtemp`'s 0o700.

    Raises
    ------
    OSError
        The directory cannot be created.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


def replace_dir(staging: Path, target: Path, recheck: Callable[[Path], None]) -> None:
    """Rename a finished ``staging`` directory to ``target``, replacing what was there.

    An existing ``target`` is first passed to ``recheck`` (it may have changed while the
    files were written; ``recheck`` raises if it may no longer be replaced), then moved
    aside, and removed only once the rename worked; if the rename fails it is put back.
    """
    if not target.exists():
        os.replace(staging, target)
        return
    recheck(target)
    backup = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
    os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
