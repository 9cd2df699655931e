"""Scenario files (TOML) and the scenario's JSON interchange form.

A scenario file is a TOML document whose tables mirror
:class:`tumorsim.model.scenario.Scenario`::

    # Does chronic arsenic exposure blunt tamoxifen?
    extends = "er_positive_tamoxifen.toml"   # optional, relative to this file
    name = "tamoxifen + arsenic"

    [exposures.arsenic]
    kind = "constant"
    level = 10.0                              # ug/L

``extends`` names a parent file whose tables are merged under this one: tables merge key
by key (this file wins), arrays and values are replaced. Parents may extend further
files; a cycle is an error. Every error is a :class:`tumorsim.errors.ScenarioError` naming
the file that gave the offending value.

File values are type-checked strictly: ``adherence = "0.9"`` or ``surgery = 1`` are
errors, not silently converted.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from tumorsim.errors import ScenarioError
from tumorsim.model.scenario import Scenario

__all__ = [
    "load_default_scenario",
    "load_scenario",
    "scenario_from_json",
    "scenario_to_json",
]

EXTENDS_KEY: Final[str] = "extends"
"""Top-level key naming the parent scenario file."""

_KeyPath = tuple[str, ...]
_Origins = dict[_KeyPath, Path]

_TOML_LOCATION = re.compile(r"\s*\(at (line (\d+), column (\d+)|end of document)\)\s*$")


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file, following ``extends`` chains.

    Parameters
    ----------
    path : str or os.PathLike
        The scenario file.

    Returns
    -------
    Scenario
        The validated, immutable scenario.

    Raises
    ------
    tumorsim.errors.ScenarioError
        The file (or a file it extends) is missing, is not valid TOML, the ``extends``
        chain loops, or a value is not allowed. The message names the file that gave the
        offending value, the field, the value and what is allowed.
    """
    file = Path(path)
    data, origins = _read_chain(file, chain=())
    return _validate(data, file=file, origins=origins)


def load_default_scenario() -> Scenario:
    """The built-in scenario: an ER+ cohort of 1000 patients, surgery and 5 years tamoxifen.

    Returns
    -------
    Scenario
        Parsed from ``tumorsim/data/default.toml``.
    """
    resource = resources.files("tumorsim").joinpath("data", "default.toml")
    with resources.as_file(resource) as path:
        return load_scenario(path)


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
    """
    return json.dumps(scenario.model_dump(mode="json"), indent=indent, allow_nan=False)


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
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            None,
            None,
            problem=f"invalid JSON at line {exc.lineno}, column {exc.colno}",
            allowed=exc.msg,
        ) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(exc) from None


# --- reading and merging -----------------------------------------------------------------------


def _display(path: Path) -> Path:
    """A path as a user recognises it: relative, with ``..`` collapsed where possible."""
    return Path(os.path.normpath(path))


def _read_toml(file: Path, *, named_by: tuple[Path, str] | None) -> dict[str, Any]:
    """Parse one TOML file; ``named_by`` is (extending file, extends value) for parents."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        if named_by is not None:
            parent, value = named_by
            raise ScenarioError(
                parent,
                EXTENDS_KEY,
                value,
                "an existing TOML file",
                problem=f"file not found: {file}",
                label="expected",
            ) from None
        raise ScenarioError(
            file,
            None,
            str(file),
            "an existing TOML file",
            problem="file not found",
            label="expected",
            show_value=False,
        ) from None
    except OSError as exc:
        raise ScenarioError(
            file,
            None,
            str(file),
            "a readable TOML file",
            problem=f"cannot read: {exc.strerror or exc}",
            label="expected",
            show_value=False,
        ) from None
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
        return tomllib.loads(text)
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


def _read_chain(
    file: Path, *, chain: tuple[Path, ...], named_by: tuple[Path, str] | None = None
) -> tuple[dict[str, Any], _Origins]:
    """Merged data of ``file`` and its ``extends`` ancestors, and each key's file."""
    file = _display(file)
    data = _read_toml(file, named_by=named_by)
    own_origins: _Origins = {}
    _record_origins(data, file, (), own_origins)
    parent_name = data.pop(EXTENDS_KEY, None)
    if parent_name is None:
        return data, own_origins
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            file, EXTENDS_KEY, parent_name, "wrong type: expected a TOML file path as a string"
        )
    parent = _display(file.parent / parent_name)
    here = (*chain, file)
    resolved = [p.resolve() for p in here]
    if parent.resolve() in resolved:
        start = resolved.index(parent.resolve())
        # Names relative to this file's folder keep the line short (usually bare names).
        cycle = " -> ".join(os.path.relpath(p, file.parent) for p in (*here[start:], parent))
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
    try:
        return Scenario.model_validate(_as_tuples(data), strict=True)
    except ValidationError as exc:
        raise ScenarioError.from_validation_error(
            exc, file=_display(file), origins=origins
        ) from None
