"""Pydantic validation errors as one line a planner can act on.

`translate` turns the first error of a scenario's validation into a `ScenarioError` naming
the file that sets the key, what was given (its TOML type) and what is expected, with a fix.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scenarios.errors import ScenarioError

__all__ = ["kind_of", "show", "translate"]


def kind_of(value: object) -> str:
    """Name the TOML type of `value`, as a user would say it."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a decimal number"),
        (str, "text"),
        ((list, tuple), "a list"),
        (Mapping, "a table"),
        (dt.datetime, "a date-time"),
        (dt.date, "a date"),
        (dt.time, "a time"),
    )
    for types, name in kinds:
        if isinstance(value, types):
            return name
    return type(value).__name__


def show(value: object, depth: int = 0) -> str:
    """`value` written as in TOML, shortened (strings quoted as in the other messages)."""
    if depth > 2:
        return "..."
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(show(v, depth + 1) for v in value[:6]) + "]"
    elif isinstance(value, Mapping):
        pairs = [f"{k} = {show(v, depth + 1)}" for k, v in list(value.items())[:6]]
        text = "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


@dataclass(frozen=True)
class _Issue:
    """The first pydantic error of a scenario, in the terms of the TOML file."""

    kind: str
    value: object
    ctx: Mapping[str, Any]
    key: str
    #: The last part of the key when it is a name (not a list index): ``cutoff_minutes``.
    leaf: str | None
    #: The error is about a table key (``speed_factor = { snow = 1 }``), not a value.
    is_key: bool

    @property
    def shown(self) -> str:
        return show(self.value)

    def unquote(self) -> str:
        return (
            f"remove the quotes: {self.leaf} = {self.value}" if self.leaf else "remove the quotes"
        )


def _number_fix(issue: _Issue) -> str:
    value = issue.value
    if isinstance(value, bool):
        return "write a number, not true/false"
    if isinstance(value, int):  # beyond the range of a float
        return "write a smaller number"
    if isinstance(value, str) and _is_number(value):
        return issue.unquote()
    if isinstance(value, list | Mapping):
        return f"write one number, not {kind_of(value)}"
    return "write a number without quotes" if isinstance(value, str) else "write a number"


def _whole_fix(issue: _Issue) -> str:
    value = issue.value
    if isinstance(value, bool):
        return "write a whole number, not true/false"
    if isinstance(value, float) and value.is_integer():
        return f"write {int(value)}"
    if isinstance(value, str) and value.strip().isdigit():
        return issue.unquote()
    return "write a whole number"


def _bool_fix(issue: _Issue) -> str:
    if isinstance(issue.value, str):
        return "write true or false without quotes"
    return "write true or false"


def _text_fix(issue: _Issue) -> str:
    if isinstance(issue.value, list | tuple | Mapping):
        return "write text in quotes"
    return f'quote it: "{issue.shown}"'


def _list_fix(issue: _Issue) -> str:
    if issue.leaf and not isinstance(issue.value, Mapping):
        return f"write a list: {issue.leaf} = [{issue.shown}]"
    return "write a list: [...]"


def _table_fix(issue: _Issue) -> str:
    return f"write a [{issue.key}] table"


#: Pydantic type errors: what was expected, in the words of a TOML file, and how to write it.
_TYPE_ERRORS: dict[str, tuple[str, Callable[[_Issue], str]]] = {
    "float_type": ("a number", _number_fix),
    "int_type": ("a whole number", _whole_fix),
    "bool_type": ("true or false", _bool_fix),
    "string_type": ("text", _text_fix),
    "dict_type": ("a table", _table_fix),
    "model_type": ("a table", _table_fix),
    "model_attributes_type": ("a table", _table_fix),
    "tuple_type": ("a list", _list_fix),
    "list_type": ("a list", _list_fix),
}
#: Pydantic errors with a fixed message (``{shown}`` is the value as written).
_FIXED_ERRORS = {
    "missing": ("required key missing", "add {key} = ..."),
    "finite_number": ("{shown} is not a finite number", "write a finite number"),
    "too_short": ("{shown} is an empty list", "list at least one value"),
    "string_too_short": ("{shown} is empty text", "write some text"),
    "extra_forbidden": ("unknown key", "remove it"),
}


def _literal_message(issue: _Issue) -> tuple[str, str]:
    expected = issue.ctx.get("expected")
    if issue.is_key:
        return f"unknown key {issue.value!r}", f"use {expected}"
    if isinstance(issue.value, str):
        return f"unknown value {issue.value!r}", f"use {expected}"
    problem = f"{issue.shown} is {kind_of(issue.value)}, expected one of {expected}"
    return problem, "write one of them in quotes"


def _type_message(issue: _Issue) -> tuple[str, str]:
    value = issue.value
    is_id = issue.key.startswith("rules.") and issue.kind == "string_type"
    if is_id and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value!r} is a number, ids and codes are text", f'quote it: "{value}"'
    expected, fix = _TYPE_ERRORS[issue.kind]
    return f"{issue.shown} is {kind_of(value)}, expected {expected}", fix(issue)


def _message(issue: _Issue) -> tuple[str, str]:
    """Return the problem and the fix of `issue`."""
    if issue.kind == "literal_error":
        return _literal_message(issue)
    if issue.kind in _TYPE_ERRORS:
        return _type_message(issue)
    if issue.kind in _FIXED_ERRORS:
        problem, fix = _FIXED_ERRORS[issue.kind]
        return problem.format(shown=issue.shown), fix.format(key=issue.key)
    bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    limits = [f"{sign} {issue.ctx[b]:g}" for b, sign in bounds.items() if b in issue.ctx]
    if limits:
        return f"{issue.value!r} is out of range", f"use a value {limits[0]}"
    return f"{issue.shown} is not valid", "see scenarios/schema.json for the type"


def translate(
    error: ValidationError, file_of: Callable[[Sequence[str | int]], Path]
) -> ScenarioError:
    """Make a one-line `ScenarioError` of the first pydantic error.

    The error is reported against the file that sets the key at fault.
    """
    first = error.errors(include_url=False)[0]
    loc = [part for part in first["loc"] if part != "[key]"]
    key = ".".join(str(part) for part in loc) or "(top)"
    issue = _Issue(
        kind=first["type"],
        value=first.get("input"),
        ctx=first.get("ctx", {}),
        key=key,
        leaf=loc[-1] if loc and isinstance(loc[-1], str) else None,
        is_key=bool(first["loc"]) and first["loc"][-1] == "[key]",
    )
    return ScenarioError(file_of(loc), key, *_message(issue))
