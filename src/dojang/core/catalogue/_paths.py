"""Claim paths: the dotted ``members[].name`` syntax, its tuple form, and the paths a schema declares."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

__all__ = ["ClaimPath", "format_path", "generic", "lookup", "parse_path", "schema_paths"]

#: A claim's place in a document: names, ``None`` for "every element of this array", or an element index.
ClaimPath = tuple[str | int | None, ...]

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]*\])*)")
_INDEX = re.compile(r"\[([0-9]*)\]")


def parse_path(text: str) -> ClaimPath:
    """``members[].name`` → ``("members", None, "name")``; ``members[2]`` → ``("members", 2)``.

    Raises ``ValueError`` on anything else, so callers can turn it into the error their layer owns.
    """
    path: list[str | int | None] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise ValueError(f"{text!r} is not a claim path like 'name', 'address.road' or 'members[].name'")
        path.append(match.group(1))
        path.extend(int(i) if i else None for i in _INDEX.findall(match.group(2)))
    return tuple(path)


def format_path(path: Sequence[str | int | None]) -> str:
    """The inverse of :func:`parse_path`: ``("members", 2, "birth_date")`` → ``members[2].birth_date``."""
    text = ""
    for step in path:
        if step is None:
            text += "[]"
        elif isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def generic(path: Sequence[str | int | None]) -> ClaimPath:
    """Forget element indices: ``("members", 2, "name")`` → ``("members", None, "name")``."""
    return tuple(None if isinstance(step, int) else step for step in path)


def schema_paths(schema: Mapping[str, Any], prefix: ClaimPath = ()) -> Iterator[ClaimPath]:
    """Every claim path a schema declares, parents before children, in the schema's own order."""
    if schema.get("type") == "object":
        for name, sub in schema.get("properties", {}).items():
            yield (*prefix, name)
            yield from schema_paths(sub, (*prefix, name))
    elif schema.get("type") == "array" and isinstance(schema.get("items"), Mapping):
        yield (*prefix, None)
        yield from schema_paths(schema["items"], (*prefix, None))


def lookup(schema: Mapping[str, Any], path: ClaimPath) -> Mapping[str, Any] | None:
    """The sub-schema at a generic path, or ``None`` if the schema has no such claim."""
    node: Any = schema
    for step in path:
        if step is None:
            node = node.get("items") if node.get("type") == "array" else None
        else:
            node = node.get("properties", {}).get(step) if node.get("type") == "object" else None
        if not isinstance(node, Mapping):
            return None
    return cast("Mapping[str, Any]", node)
