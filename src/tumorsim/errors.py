"""Exceptions raised by tumorsim for bad input.

Every error a user can cause by writing a scenario is a :class:`ScenarioError` whose
``str()`` is one line naming the file, the field, the value given and what is allowed::

    examples/x.toml: treatment.tamoxifen.adherence = 1.5: must be <= 1
    x.toml: sites.lungs: unknown site 'lungs'; allowed: breast, bone, lung, liver, brain

The command line prints that line after ``error:`` and exits with status 2.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ValidationError

from tumorsim.model.parameters import PARAMETERS
from tumorsim.model.scenario import Scenario

__all__ = ["AnalysisError", "CohortError", "ResultsError", "ScenarioError", "TumorsimError"]

_UNSET: Final[Any] = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()
_MAX_VALUE_REPR: Final[int] = 80


class TumorsimError(Exception):
    """Base class of the errors tumorsim raises for bad input or bad use.

    The command line catches it and prints its one-line message without a traceback.
    """


class ScenarioError(TumorsimError):
    """A scenario (file, JSON or Python object) is invalid.

    Parameters
    ----------
    file : str, pathlib.Path or None
        The file that gave the bad value; ``None`` for scenarios built in Python.
    field : str or None
        Dotted path of the offending entry, e.g. ``"treatment.tamoxifen.adherence"`` or
        ``"sites.lung.stiffness_kpa"``; ``None`` when the problem is the file itself.
    value : object, optional
        What was given. Shown with ``repr`` unless ``show_value`` is false.
    allowed : str
        What is allowed (``"must be <= 1"``, ``"breast, bone, lung, liver, brain"``,
        ``"an existing TOML file"``).
    problem : str or None, optional
        What is wrong, when ``allowed`` alone does not say it (``"unknown site 'lungs'"``).
        Printed before ``allowed``, separated by ``"; "``.
    label : str or None, optional
        Printed before ``allowed`` as ``"label: allowed"`` (``"allowed"``, ``"expected"``).
    show_value : bool, optional
        Whether ``value`` appears as ``field = value`` in the message. Off when
        ``problem`` already names the value.

    Attributes
    ----------
    file, field, value, allowed, problem, label : as above
    """

    def __init__(
        self,
        file: str | Path | None,
        field: str | None,
        value: Any = _UNSET,
        allowed: str = "",
        *,
        problem: str | None = None,
        label: str | None = None,
        show_value: bool = True,
    ) -> None:
        self.file = Path(file) if file is not None else None
        self.field = field
        self.value = None if value is _UNSET else value
        self.allowed = allowed
        self.problem = problem
        self.label = label
        self._show_value = show_value and value is not _UNSET
        super().__init__(self._message())

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable across processes (dask workers) despite keyword-only arguments.
        return (
            _rebuild_scenario_error,
            (
                self.file,
                self.field,
                self.value,
                self.allowed,
                self.problem,
                self.label,
                self._show_value,
            ),
        )

    def _message(self) -> str:
        head: list[str] = []
        if self.file is not None:
            head.append(str(self.file))
        lhs = self.field or ""
        if self._show_value:
            shown = _short_repr(self.value)
            lhs = f"{lhs} = {shown}" if lhs else shown
        if lhs:
            head.append(lhs)
        allowed = f"{self.label}: {self.allowed}" if self.label and self.allowed else self.allowed
        tail = "; ".join(t for t in (self.problem, allowed) if t)
        text = ": ".join([*head, tail] if tail else head)
        # One line, always: a newline inside a message would break the CLI contract.
        return " ".join(text.split("\n"))

    @classmethod
    def from_validation_error(
        cls,
        exc: ValidationError,
        *,
        file: str | Path | None = None,
        origins: Mapping[tuple[str, ...], str | Path] | None = None,
        model: type[BaseModel] | None = None,
    ) -> ScenarioError:
        """Turn a pydantic ``ValidationError`` of a scenario into a one-line error.

        Only the first error is reported; fixing it reveals the next.

        Parameters
        ----------
        exc : pydantic.ValidationError
            Raised by ``Scenario.model_validate`` (or a nested model's validation).
        file : str, pathlib.Path or None, optional
            File to name when ``origins`` does not say which file gave the value.
        origins : mapping of tuple of str to path, optional
            For each key path in the input (``("treatment", "tamoxifen", "adherence")``),
            the file that gave it. The longest prefix of the error's location is used, so
            an error inside a table names the file that set that table.
        model : type of pydantic.BaseModel, optional
            The model that was validated; defaults to
            :class:`tumorsim.model.scenario.Scenario`. Used to list allowed keys and names.

        Returns
        -------
        ScenarioError
        """
        if model is None:
            model = Scenario
        errors = exc.errors(include_url=False)
        if not errors:  # pragma: no cover - pydantic always reports at least one
            return cls(file, None, allowed=str(exc))
        err = errors[0]
        loc = tuple(err.get("loc", ()))
        error = _describe(err, loc, model, top_level_extends=file is not None)
        path = error.pop("path", _key_path(loc))
        source = _origin(path, origins) if origins else None
        return cls(source if source is not None else file, _format_field(path), **error)


class ResultsError(TumorsimError):
    """A results directory or file cannot be written or read back.

    The message is one line naming the path, what is wrong and what is expected::

        runs/a/patients.parquet: no tumorsim metadata in the Parquet schema; expected: a
        file written by tumorsim.save_results (tumorsim simulate --out)

    Parameters
    ----------
    path : str or pathlib.Path
        The directory or file concerned.
    problem : str
        What is wrong (``"file not found"``, ``"not a Parquet file"``).
    expected : str, optional
        What was expected instead; printed after ``"expected: "``.

    Attributes
    ----------
    path, problem, expected : as above
    """

    def __init__(self, path: str | Path, problem: str, expected: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.expected = expected
        text = f"{self.path}: {problem}" + (f"; expected: {expected}" if expected else "")
        super().__init__(" ".join(text.splitlines()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.expected))


class AnalysisError(TumorsimError):
    """An analysis was asked of a table that cannot answer it.

    The message is one line saying what is wrong and what was expected::

        column 'rfs_dayz' not in the table; expected: one of patient_id, arm, rfs_days, ...

    Parameters
    ----------
    problem : str
        What is wrong (``"column 'rfs_dayz' not in the table"``, ``"no rows"``).
    expected : str, optional
        What was expected instead; printed after ``"expected: "``.

    Attributes
    ----------
    problem, expected : as above
    """

    def __init__(self, problem: str, expected: str = "") -> None:
        self.problem = problem
        self.expected = expected
        text = problem + (f"; expected: {expected}" if expected else "")
        super().__init__(" ".join(text.split()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problem, self.expected))


class CohortError(TumorsimError):
    """A table of patients (a data file or DataFrame) cannot be turned into a cohort.

    The message is one line naming the source, the data row (1-based, the header not
    counted) with the patient's own id when the data has one, the column and the
    covariate it gives, the value, what is wrong and what is allowed::

        data.csv: row 12 (pid = 1043), column 'tsize' (tumour_size_mm) = 250: out of
        range; allowed: 0.1 to 200 mm
        data.csv: column 'tsize' (tumour_size_mm): not found; columns present: age, ...

    Parameters
    ----------
    source : str, pathlib.Path or None
        The file, or a name for an in-memory table; ``None`` to leave it out.
    problem : str
        What is wrong (``"out of range"``, ``"missing value"``, ``"not found"``).
    allowed : str, optional
        What is allowed; printed after ``"<label>: "``.
    row : int or None, optional
        1-based data row.
    patient : str or None, optional
        The patient's own id as ``"column = value"``, shown after the row.
    column : str or None, optional
        The column in the source.
    covariate : str or None, optional
        The tumorsim covariate the column gives, shown when it differs from ``column``.
    value : object, optional
        The value found (shown with ``repr``).
    label : str, optional
        Word before ``allowed``; default ``"allowed"``.

    Attributes
    ----------
    source, problem, allowed, row, patient, column, covariate, value : as above
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | None,
        problem: str,
        allowed: str = "",
        *,
        row: int | None = None,
        patient: str | None = None,
        column: str | None = None,
        covariate: str | None = None,
        value: Any = _UNSET,
        label: str = "allowed",
    ) -> None:
        self.source = source
        self.problem = problem
        self.allowed = allowed
        self.row = row
        self.patient = patient
        self.column = column
        self.covariate = covariate
        self.value = None if value is _UNSET else value
        self.label = label
        self._has_value = value is not _UNSET
        where: list[str] = []
        if row is not None:
            where.append(f"row {row}" + (f" ({patient})" if patient else ""))
        if column is not None:
            text = f"column {column!r}"
            if covariate and covariate != column:
                text += f" ({covariate})"
            if self._has_value:
                text += f" = {_short_repr(value)}"
            where.append(text)
        head = [str(source)] if source is not None else []
        if where:
            head.append(", ".join(where))
        tail = problem + (f"; {label}: {allowed}" if allowed else "")
        super().__init__(" ".join(": ".join([*head, tail]).split("\n")))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_cohort_error, (self.source, self.problem, self.allowed, self.row,
                                        self.patient, self.column, self.covariate,
                                        self.value, self._has_value, self.label))


def _rebuild_cohort_error(
    source: str | os.PathLike[str] | None,
    problem: str,
    allowed: str,
    row: int | None,
    patient: str | None,
    column: str | None,
    covariate: str | None,
    value: Any,
    has_value: bool,
    label: str,
) -> CohortError:
    shown = value if has_value else _UNSET
    return CohortError(source, problem, allowed, row=row, patient=patient, column=column,
                       covariate=covariate, value=shown, label=label)


def _rebuild_scenario_error(
    file: Path | None,
    field: str | None,
    value: Any,
    allowed: str,
    problem: str | None,
    label: str | None,
    show_value: bool,
) -> ScenarioError:
    return ScenarioError(
        file, field, value, allowed, problem=problem, label=label, show_value=show_value
    )


# --- helpers for from_validation_error ------------------------------------------------------

_TYPE_NAMES: Final[dict[str, str]] = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
    "tuple_type": "an array",
    "list_type": "an array",
}

_PLURAL_TO_SINGULAR: Final[dict[str, str]] = {"sites": "site", "clones": "clone"}


def _short_repr(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


def _key_path(loc: Sequence[Any]) -> tuple[str | int, ...]:
    """The location without pydantic's ``[key]`` marker for dictionary keys."""
    return tuple(p for p in loc if p != "[key]")


def _format_field(path: Sequence[str | int]) -> str | None:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def _origin(
    path: Sequence[str | int], origins: Mapping[tuple[str, ...], str | Path]
) -> str | Path | None:
    keys = tuple(str(p) for p in path if isinstance(p, str))
    for n in range(len(keys), -1, -1):
        source = origins.get(keys[:n])
        if source is not None:
            return source
    return None


def _fmt_number(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``None`` from an annotation (``X | None`` -> ``X``)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _annotation_at(model: type[BaseModel], path: Sequence[Any]) -> Any:
    """The annotation at ``path`` inside ``model`` (``[key]`` means a dict's key type)."""
    annotation: Any = model
    for part in path:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif origin is dict:
            key_type, value_type = typing.get_args(annotation)
            annotation = key_type if part == "[key]" else value_type
        elif origin is tuple:
            args = typing.get_args(annotation)
            if len(args) == 2 and args[1] is Ellipsis:
                annotation = args[0]
            elif isinstance(part, int) and part < len(args):
                annotation = args[part]
            else:
                return None
        else:
            return None
    return _unwrap(annotation)


def _literal_values(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    return None


def _describe(
    err: Mapping[str, Any],
    loc: tuple[Any, ...],
    model: type[BaseModel],
    *,
    top_level_extends: bool,
) -> dict[str, Any]:
    """Keyword arguments of ScenarioError (value, allowed, problem, ...) for one error."""
    kind: str = err.get("type", "")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    given = err.get("input", _UNSET)

    if kind == "extra_forbidden":
        parent = _annotation_at(model, loc[:-1])
        keys = (
            list(parent.model_fields)
            if isinstance(parent, type) and issubclass(parent, BaseModel)
            else []
        )
        if not loc[:-1] and top_level_extends:
            # files name their base biology with extends, never with the biology field
            keys = [k for k in keys if k != "biology"]
            keys.append("extends")
        return {
            "value": loc[-1],
            "show_value": False,
            "problem": f"unknown key {loc[-1]!r}",
            "label": "allowed keys",
            "allowed": ", ".join(keys),
        }

    if kind == "literal_error":
        if loc and loc[-1] == "[key]":
            # pydantic's location of a bad dict key is (..., dict_field, key, "[key]")
            choices = _literal_values(_annotation_at(model, (*loc[:-2], "[key]")))
            what = _PLURAL_TO_SINGULAR.get(str(loc[-3]) if len(loc) >= 3 else "", "key")
            names = ", ".join(str(c) for c in choices) if choices else ctx.get("expected", "")
            return {
                "value": given,
                "show_value": False,
                "problem": f"unknown {what} {given!r}",
                "label": "allowed",
                "allowed": names,
            }
        choices = _literal_values(_annotation_at(model, loc))
        if choices:
            names = ", ".join(repr(c) for c in choices)
        else:
            names = str(ctx.get("expected", "")).replace(" or ", ", ")
        return {"value": given, "label": "allowed", "allowed": names}

    if kind == "value_error" and tuple(loc) == ("parameters",) and isinstance(given, dict):
        refined = _describe_parameters(given)
        if refined is not None:
            return refined

    bounds = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return {"value": given, "allowed": f"must be {op} {_fmt_number(ctx.get(key))}"}
    if kind in _TYPE_NAMES:
        return {"value": given, "allowed": f"wrong type: expected {_TYPE_NAMES[kind]}"}
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            return {"show_value": False, "allowed": "missing item (too few items)"}
        return {"show_value": False, "allowed": "required key is missing"}
    if kind in ("too_short", "too_long"):
        actual = ctx.get("actual_length")
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return {"value": given, "allowed": f"expected {limit} items, got {actual}"}
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return {"value": given, "allowed": "must not be empty"}
        return {"value": given, "allowed": f"must have at least {ctx.get('min_length')} characters"}
    if kind == "string_too_long":
        return {"value": given, "allowed": f"must have at most {ctx.get('max_length')} characters"}
    if kind == "finite_number":
        return {"value": given, "allowed": "must be a finite number"}
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err.get("msg", "")))
        # A whole table as "value" would drown the message; the validator names the issue.
        show = not isinstance(given, dict | BaseModel)
        return {"value": given, "show_value": show, "allowed": message}
    return {"value": given, "allowed": str(err.get("msg", kind))}


def _describe_parameters(given: Mapping[Any, Any]) -> dict[str, Any] | None:
    """Point a ``parameters`` table error at the one offending entry."""
    for name, value in given.items():
        spec = PARAMETERS.get(name)
        if spec is None:
            return {
                "path": ("parameters", name),
                "value": name,
                "show_value": False,
                "problem": f"unknown parameter {name!r}",
                "allowed": f"see `tumorsim params` for the {len(PARAMETERS)} allowed names",
            }
        problem = spec.check(value)
        if problem is not None:
            return {"path": ("parameters", name), "value": value, "allowed": problem}
    return None
