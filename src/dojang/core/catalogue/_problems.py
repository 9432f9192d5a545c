"""Turns ``jsonschema`` errors into one :class:`FieldProblem` per offending field, without echoing values.

Messages never quote the offending value: a rejected claim set may hold a resident registration number,
and error messages end up in logs and HTTP responses.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from jsonschema import ValidationError

from dojang.core.catalogue._paths import ClaimPath, format_path, generic
from dojang.errors import FieldProblem

__all__ = ["problems_from"]

_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
}

_Describe = Callable[[ValidationError], str]
_MESSAGES: dict[str, _Describe] = {
    "type": lambda e: f"must be {_TYPE_NAMES.get(str(e.validator_value), str(e.validator_value))}",
    "enum": lambda e: "must be one of: " + ", ".join(str(v) for v in _value(e)),
    "pattern": lambda e: f"does not match the expected form {e.validator_value}",
    "format": lambda e: (
        f"must be a valid {e.validator_value}" + (" (YYYY-MM-DD)" if e.validator_value == "date" else "")
    ),
    "minLength": lambda e: (
        "must not be empty" if e.validator_value == 1 else f"needs {e.validator_value}+ characters"
    ),
    "maxLength": lambda e: f"must be at most {e.validator_value} characters",
    "minItems": lambda e: f"must have at least {e.validator_value} item(s)",
    "maxItems": lambda e: f"must have at most {e.validator_value} items",
    "minimum": lambda e: f"must be at least {e.validator_value}",
    "maximum": lambda e: f"must be at most {e.validator_value}",
    "exclusiveMinimum": lambda e: f"must be more than {e.validator_value}",
    "exclusiveMaximum": lambda e: f"must be less than {e.validator_value}",
}


def _value(error: ValidationError) -> Any:
    return error.validator_value


def problems_from(errors: Iterable[ValidationError], never: Collection[ClaimPath]) -> list[FieldProblem]:
    """One problem per field, in the order ``jsonschema`` found them; ``never`` names withheld claims."""
    found: dict[FieldProblem, None] = {}
    for error in errors:
        for problem in _explain(error, never):
            found.setdefault(problem)
    return list(found)


def _explain(error: ValidationError, never: Collection[ClaimPath]) -> list[FieldProblem]:
    where: tuple[str | int, ...] = tuple(error.absolute_path)
    instance: Any = error.instance
    if error.validator == "required":
        missing = [name for name in _value(error) if name not in instance]
        return [FieldProblem(format_path((*where, name)), "is required") for name in missing]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [name for name in instance if name not in known]
        return [_unexpected((*where, name), never) for name in extra]
    describe = _MESSAGES.get(str(error.validator))
    problem = describe(error) if describe else f"does not satisfy '{error.validator}'"
    return [FieldProblem(format_path(where), problem)]


def _unexpected(path: tuple[str | int, ...], never: Collection[ClaimPath]) -> FieldProblem:
    if generic(path) in never:
        return FieldProblem(format_path(path), "is kept in the registry and must never be issued")
    return FieldProblem(format_path(path), "is not a claim of this kind")
