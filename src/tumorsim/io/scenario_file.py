"""Scenario files (TOML) and the scenario's JSON interchange form.

A scenario file is a TOML document whose tables mirror
:class:`tumorsim.model.scenario.Scenario`::

    # Does chronic arsenic exposure blunt tamoxifen?
    extends = "tumorsim:default"              # optional: a packaged name or a file
    name = "tamoxifen + arsenic"

    [exposures.arsenic]
    kind = "constant"
    level = 10.0                              # ug/L

``extends`` names a parent whose tables are merged under this one: tables merge key by
key (this file wins), arrays and values are replaced. The parent is either a file
(relative to this file) or one of the scenarios packaged with tumorsim, read through
:mod:`importlib.resources` so that they work from an installed package:

``tumorsim:calibrated``
    the GBSG2-calibrated biology (``[parameters]`` and ``[clones]``), registry defaults
    otherwise; what every example extends.
``tumorsim:default``
    the built-in default scenario (ER+ cohort, surgery and 5 years of tamoxifen, on the
    calibrated biology); what the commands use without a scenario file.
``tumorsim:registry``
    nothing: the registry defaults, the same as a file without ``extends``.

Parents may extend further files; a cycle is an error. Every error is a
:class:`tumorsim.errors.ScenarioError` naming the file that gave the offending value.

Files are read with limits, so that a wrong path cannot hang or exhaust memory: only
regular files (not a FIFO, a device such as ``/dev/zero`` or a directory) of at most
:data:`MAX_FILE_BYTES` bytes, UTF-8 text, tables nested at most :data:`MAX_DEPTH` deep.

File values are type-checked strictly: ``adherence = "0.9"`` or ``surgery = 1`` are
errors, not silently converted.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from tumorsim.errors import ScenarioError
from tumorsim.model.scenario import Scenario

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "PACKAGED_SCENARIOS",
    "load_default_scenario",
    "load_scenario",
    "read_document",
    "scenario_from_json",
    "scenario_to_json",
]

EXTENDS_KEY: Final[str] = "extends"
"""Top-level key naming the parent scenario file."""

PACKAGED_PREFIX: Final[str] = "tumorsim:"
"""Prefix of an ``extends`` value naming a packaged scenario."""

PACKAGED_SCENARIOS: Final[dict[str, str | None]] = {
    "calibrated": "calibrated_parameters.toml",
    "default": "default.toml",
    "registry": None,
}
"""Packaged scenarios by name: the file in ``tumorsim/data`` (``None``: no file)."""

MAX_FILE_BYTES: Final[int] = 1_000_000
"""Largest scenario or column-map file read, in bytes (the examples are below 3 kB)."""

MAX_DEPTH: Final[int] = 16
"""Deepest nesting of tables and arrays accepted (a trial arm's plan is 5 deep)."""

_BIOLOGY_KEY: Final[str] = "biology"
"""Scenario field that files may not set: their base is named by ``extends``."""

_KeyPath = tuple[str, ...]
_Origins = dict[_KeyPath, Path]

_TOML_LOCATION = re.compile(r"\s*\(at (line (\d+), column (\d+)|end of document)\)\s*$")


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file, following ``extends`` chains.

    Parameters
    ----------
    path : str or os.PathLike
        The scenario file, or a packaged name (``"tumorsim:default"``,
        ``"tumorsim:calibrated"``, ``"tumorsim:registry"``).

    Returns
    -------
    Scenario
        The validated, immutable scenario, with ``biology = "registry"``: every value
        the file chain gives is written out.

    Raises
    ------
    tumorsim.errors.ScenarioError
        The file (or a file it extends) is missing, is not valid TOML, the ``extends``
        chain loops, or a value is not allowed. The message names the file that gave the
        offending value, the field, the value and what is allowed.
    """
    file = Path(path)
    data, origins = read_document(file)
    return _validate(data, file=file, origins=origins)


def read_document(path: str | os.PathLike[str]) -> tuple[dict[str, Any], _Origins]:
    """The merged tables of a scenario or trial file and its ``extends`` chain.

    Parameters
    ----------
    path : str or os.PathLike
        The file, or a packaged name such as ``"tumorsim:default"``.

    Returns
    -------
    data : dict
        The merged document, ``extends`` removed and ``biology = "registry"`` set (a file
        chain writes out every value it gives; what no file sets is the registry's).
    origins : dict
        For each key path, the file that gave it (for error messages).

    Raises
    ------
    tumorsim.errors.ScenarioError
        A file cannot be read or parsed, or the chain loops.
    """
    data, origins = _read_chain(Path(path), chain=())
    data[_BIOLOGY_KEY] = "registry"
    return data, origins


def load_default_scenario() -> Scenario:
    """The built-in scenario: an ER+ cohort of 1000 patients, surgery and 5 years tamoxifen.

    Returns
    -------
    Scenario
        Parsed from ``tumorsim/data/default.toml``.
    """
    return load_scenario(PACKAGED_PREFIX + "default")


def scenario_to_json(scenario: Scenario, *, indent: int | None = 2) -> str:
    """The scenario as JSON text, with every value (defaults included) written out.

    Parameters
    ----------
    scenario : Scenario
    indent : int or None, optional
        Indentation of the JSON text; ``None`` for one line.

    Returns
    -------
    str
        JSON that :func:`scenario_from_json` turns back into an equal scenario.
        ``biology`` is written only when it is ``"calibrated"``: JSON without it is
        read as ``"registry"`` (every value written out).
    """
    data = scenario.model_dump(mode="json")
    if data.get(_BIOLOGY_KEY) == "registry":
        # the form written before the field existed (every value written out), so that
        # files, checkpoints and fingerprints of file scenarios are unchanged
        del data[_BIOLOGY_KEY]
    return json.dumps(data, indent=indent, allow_nan=False)


def scenario_from_json(text: str | bytes) -> Scenario:
    """Rebuild a scenario from :func:`scenario_to_json` output.

    Parameters
    ----------
    text : str or bytes
        JSON text.

    Returns
    -------
    Scenario

    Raises
    ------
    tumorsim.errors.ScenarioError
        The text is not JSON or does not describe a valid scenario.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise ScenarioError(None, None, allowed=f"at most {MAX_DEPTH} levels",
                            problem="JSON nested too deeply", label="expected") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            None,
            None,
            problem=f"invalid JSON at line {exc.lineno}, column {exc.colno}",
            allowed=exc.msg,
        ) from None
    if isinstance(data, dict):
        # JSON written before the ``biology`` field existed: every value was written out
        # on top of the registry defaults.
        data.setdefault(_BIOLOGY_KEY, "registry")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(exc) from None


# --- reading and merging -----------------------------------------------------------------------


def _display(path: Path) -> Path:
    """A path as a user recognises it: relative, with ``..`` collapsed where possible."""
    if _packaged_name(path) is not None:
        return path
    return Path(os.path.normpath(path))


def _packaged_name(path: Path) -> str | None:
    """``"default"`` for ``Path("tumorsim:default")``; ``None`` for an ordinary path."""
    text = str(path)
    return text.removeprefix(PACKAGED_PREFIX) if text.startswith(PACKAGED_PREFIX) else None


def _file_error(file: Path, problem: str, named_by: tuple[Path, str] | None,
                allowed: str = "a readable TOML file") -> ScenarioError:
    """The error for a file that cannot be read, named where the user gave it."""
    if named_by is not None:
        parent, value = named_by
        return ScenarioError(parent, EXTENDS_KEY, value, allowed,
                             problem=f"{problem}: {file}", label="expected")
    return ScenarioError(file, None, str(file), allowed, problem=problem, label="expected",
                         show_value=False)


def read_bounded(file: Path, *, named_by: tuple[Path, str] | None = None) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES` bytes.

    Opens without blocking (a FIFO would wait for a writer forever) and checks what was
    opened, so devices (``/dev/zero``), FIFOs and directories are refused before any read.

    Parameters
    ----------
    file : pathlib.Path
        The file.
    named_by : tuple of (pathlib.Path, str), optional
        ``(extending file, extends value)`` when a parent is read, so that the error
        names the line that asked for it.

    Raises
    ------
    tumorsim.errors.ScenarioError
        Missing, not a regular file, too large, or unreadable; one line.
    """
    if "\0" in str(file):
        raise _file_error(file, "the path contains a NUL byte", named_by,
                          "a file path without NUL bytes")
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _file_error(file, "file not found", named_by, "an existing TOML file") from None
    except OSError as exc:
        problem = ("a symbolic link loop" if exc.errno == errno.ELOOP
                   else f"cannot read: {exc.strerror or exc}")
        raise _file_error(file, problem, named_by) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = ("a directory" if stat.S_ISDIR(mode)
                else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket or other special file")
        raise _file_error(file, f"not a regular file ({kind})", named_by,
                          "a regular TOML file")
    with os.fdopen(fd, "rb") as handle:
        try:
            raw = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise _file_error(file, f"cannot read: {exc.strerror or exc}", named_by) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _file_error(file, f"larger than {MAX_FILE_BYTES:,} bytes", named_by,
                          f"a TOML file of at most {MAX_FILE_BYTES:,} bytes")
    return raw


def _read_packaged(name: str, file: Path, named_by: tuple[Path, str] | None) -> bytes:
    if name not in PACKAGED_SCENARIOS:
        known = ", ".join(PACKAGED_PREFIX + n for n in PACKAGED_SCENARIOS)
        if named_by is not None:
            parent, value = named_by
            raise ScenarioError(parent, EXTENDS_KEY, value, known,
                                problem=f"unknown packaged scenario {str(file)!r}",
                                label="allowed")
        raise ScenarioError(file, None, allowed=known, label="allowed",
                            problem="unknown packaged scenario")
    resource = PACKAGED_SCENARIOS[name]
    if resource is None:
        return b""
    return resources.files("tumorsim").joinpath("data", resource).read_bytes()


def _depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (0 for a plain value), iteratively."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _read_toml(file: Path, *, named_by: tuple[Path, str] | None) -> dict[str, Any]:
    """Parse one TOML file; ``named_by`` is (extending file, extends value) for parents."""
    name = _packaged_name(file)
    raw = (read_bounded(file, named_by=named_by) if name is None
           else _read_packaged(name, file, named_by))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            file,
            None,
            allowed="a UTF-8 text file",
            label="expected",
            problem=f"not UTF-8 text (byte {exc.start})",
        ) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:
        data = None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LOCATION.search(message)
        where = ""
        if match:
            message = message[: match.start()]
            where = (
                f" at line {match.group(2)}, column {match.group(3)}"
                if match.group(2)
                else " at end of file"
            )
        message = message[:1].lower() + message[1:]
        raise ScenarioError(
            file,
            None,
            allowed="valid TOML",
            label="expected",
            problem=f"invalid TOML syntax{where}: {message}",
        ) from None
    if data is None or _depth(data) > MAX_DEPTH:
        raise ScenarioError(file, None, allowed=f"at most {MAX_DEPTH} levels",
                            problem="tables or arrays nested too deeply", label="expected")
    return data


def _identity(path: Path) -> str:
    """What two names of one file share: the resolved path, or the packaged name."""
    if _packaged_name(path) is not None:
        return str(path)
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop; reading it reports the problem
        return os.path.abspath(path)


def _read_chain(
    file: Path, *, chain: tuple[Path, ...], named_by: tuple[Path, str] | None = None
) -> tuple[dict[str, Any], _Origins]:
    """Merged data of ``file`` and its ``extends`` ancestors, and each key's file."""
    file = _display(file)
    data = _read_toml(file, named_by=named_by)
    if _BIOLOGY_KEY in data:
        raise ScenarioError(
            file, _BIOLOGY_KEY, data[_BIOLOGY_KEY],
            'extends = "tumorsim:calibrated" (or "tumorsim:registry") instead',
            problem="not set in files", label="use",
        )
    own_origins: _Origins = {}
    _record_origins(data, file, (), own_origins)
    parent_name = data.pop(EXTENDS_KEY, None)
    if parent_name is None:
        return data, own_origins
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            file, EXTENDS_KEY, parent_name,
            "wrong type: expected a TOML file path or a packaged name "
            f"({', '.join(PACKAGED_PREFIX + n for n in PACKAGED_SCENARIOS)}) as a string",
        )
    if "\0" in parent_name:
        raise ScenarioError(file, EXTENDS_KEY, parent_name, "a file path without NUL bytes",
                            problem="contains a NUL byte", label="expected")
    if parent_name.startswith(PACKAGED_PREFIX):
        parent = Path(parent_name.strip())
    elif _packaged_name(file) is not None:
        # packaged files extend packaged names only
        parent = Path(PACKAGED_PREFIX + parent_name)
    else:
        parent = _display(file.parent / parent_name)
    here = (*chain, file)
    resolved = [_identity(p) for p in here]
    if _identity(parent) in resolved:
        start = resolved.index(_identity(parent))
        # Names relative to this file's folder keep the line short (usually bare names).
        cycle = " -> ".join(_relative(p, file.parent) for p in (*here[start:], parent))
        raise ScenarioError(
            file,
            EXTENDS_KEY,
            parent_name,
            "a chain of files without cycles",
            problem=f"extends loop: {cycle}",
            label="expected",
        )
    base, base_origins = _read_chain(parent, chain=here, named_by=(file, parent_name))
    return _merge(base, base_origins, data, file)


def _relative(path: Path, start: Path) -> str:
    if _packaged_name(path) is not None or _packaged_name(start) is not None:
        return str(path)
    return os.path.relpath(path, start)


def _record_origins(
    data: Mapping[str, Any], file: Path, prefix: _KeyPath, origins: _Origins
) -> None:
    for key, value in data.items():
        path = (*prefix, key)
        origins[path] = file
        if isinstance(value, dict):
            _record_origins(value, file, path, origins)


def _merge(
    base: dict[str, Any], base_origins: _Origins, override: dict[str, Any], file: Path
) -> tuple[dict[str, Any], _Origins]:
    """Deep-merge ``override`` (from ``file``) onto ``base``; tables merge, the rest replaces."""
    origins = dict(base_origins)

    def merge(into: dict[str, Any], new: Mapping[str, Any], prefix: _KeyPath) -> None:
        for key, value in new.items():
            path = (*prefix, key)
            origins[path] = file
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value, path)
                continue
            # A replaced value's old sub-keys came from the parent; forget them.
            for stale in [p for p in origins if p[: len(path)] == path and p != path]:
                del origins[stale]
            into[key] = _copy(value)
            if isinstance(value, dict):
                _record_origins(value, file, path, origins)

    merged = _copy(base)
    merge(merged, override, ())
    return merged, origins


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _as_tuples(value: Any) -> Any:
    """TOML arrays as tuples, so strict validation accepts them for tuple fields."""
    if isinstance(value, dict):
        return {k: _as_tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_as_tuples(v) for v in value)
    return value


def _validate(data: dict[str, Any], *, file: Path, origins: _Origins) -> Scenario:
    trial_keys = [k for k in _TRIAL_KEYS if k in data]
    if trial_keys:
        source = origins.get((trial_keys[0],), file)
        raise ScenarioError(
            _display(source), trial_keys[0], allowed="run it with `tumorsim trial`",
            problem=f"a trial file ([{trial_keys[0]}] tables), not a scenario", label="hint",
        )
    try:
        return Scenario.model_validate(_as_tuples(data), strict=True)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(
            exc, file=_display(file), origins=origins
        ) from None


_TRIAL_KEYS: Final[tuple[str, ...]] = ("arms", "trial")
"""Top-level tables of trial files (:mod:`tumorsim.trial.file`), not of scenarios."""
