"""The JSON Schema subset a kind's claims schema may use: closed objects, one type per node, no references.

Claim paths, disclosure policies and the compiled fast check all walk the schema as a plain tree, so
keywords that make it a graph (``$ref``) or a choice (``oneOf``, ``if``) are refused at load.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from dojang.core.catalogue._fastcheck import SUPPORTED_KEYWORDS
from dojang.core.catalogue._paths import ClaimPath, format_path

__all__ = ["schema_problems"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_TYPES = frozenset(("object", "array", "string", "integer", "number", "boolean"))


def schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Everything in an otherwise valid JSON Schema that a kind file may not use."""
    problems = []
    if schema.get("$schema", _DRAFT) != _DRAFT:
        problems.append(f"'schema' must declare draft 2020-12 ({_DRAFT})")
    if schema.get("type") != "object":
        problems.append("'schema' must describe an object (type: object) of claims")
    problems += [f"schema at {_where(path)}: {problem}" for path, problem in _node_problems(schema, ())]
    return problems


def _where(path: ClaimPath) -> str:
    return repr(format_path(path)) if path else "(root)"


def _node_problems(node: Mapping[str, Any], path: ClaimPath) -> Iterator[tuple[ClaimPath, str]]:
    unsupported = sorted(set(node) - SUPPORTED_KEYWORDS)
    if unsupported:
        yield path, f"unsupported keyword(s) {', '.join(unsupported)}"
    kind = node.get("type")
    if kind not in _TYPES:
        yield path, "needs exactly one 'type' (object, array, string, integer, number or boolean)"
    if "enum" in node and (kind != "string" or not all(isinstance(v, str) for v in node["enum"])):
        yield path, "'enum' is only for strings, with string values"
    if kind == "object":
        if node.get("additionalProperties") is not False:
            yield path, "objects must set additionalProperties: false so that typos are caught"
        for name, sub in node.get("properties", {}).items():
            yield from _node_problems(sub, (*path, name))
    elif kind == "array":
        items = node.get("items")
        if not isinstance(items, Mapping):
            yield path, "arrays need 'items', one schema for every element"
        else:
            yield from _node_problems(items, (*path, None))
