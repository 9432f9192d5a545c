"""What a kind compiles to once, at load: validators for full and partial claim sets, and the never-tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import Draft202012Validator

from dojang.core.catalogue._fastcheck import Check, compile_check
from dojang.core.catalogue._paths import ClaimPath

__all__ = ["Compiled", "Disclosure", "NeverTree", "compile_kind", "prune"]

Disclosure = Literal["always", "selective", "never"]

#: Which names to drop (``None`` leaf) or descend into (subtree); the key ``None`` means every element.
NeverTree = Mapping[str | None, "NeverTree | None"]


@dataclass(frozen=True, slots=True)
class Compiled:
    """Per-kind validators, built once so that issuance pays only for the check itself."""

    full_check: Check
    partial_check: Check
    full_validator: Draft202012Validator
    partial_validator: Draft202012Validator
    never_tree: NeverTree
    never_paths: frozenset[ClaimPath]


def compile_kind(schema: Mapping[str, Any], disclosure: Mapping[ClaimPath, Disclosure]) -> Compiled:
    full = _issuable(schema, (), disclosure, partial=False)
    partial = _issuable(schema, (), disclosure, partial=True)
    never = frozenset(path for path, policy in disclosure.items() if policy == "never")
    checker = Draft202012Validator.FORMAT_CHECKER
    return Compiled(
        full_check=compile_check(full),
        partial_check=compile_check(partial),
        full_validator=Draft202012Validator(full, format_checker=checker),
        partial_validator=Draft202012Validator(partial, format_checker=checker),
        never_tree=_never_tree(never),
        never_paths=never,
    )


def _issuable(
    node: Mapping[str, Any], path: ClaimPath, disclosure: Mapping[ClaimPath, Disclosure], *, partial: bool
) -> dict[str, Any]:
    """The schema of issued claims: ``never`` claims removed, so a credential carrying one is refused.

    ``partial`` is the schema of a presentation: selective claims may be left out, so only ``always``
    claims stay required, and a selective array may show fewer elements than its ``minItems``.
    """
    out = dict(node)
    if node.get("type") == "object":
        props = {
            name: _issuable(sub, (*path, name), disclosure, partial=partial)
            for name, sub in node.get("properties", {}).items()
            if disclosure.get((*path, name)) != "never"
        }
        required = [name for name in node.get("required", ()) if name in props]
        if partial:
            required = [name for name in required if disclosure.get((*path, name)) == "always"]
        out["properties"], out["required"] = props, required
    elif node.get("type") == "array":
        out["items"] = _issuable(node["items"], (*path, None), disclosure, partial=partial)
        if partial and disclosure.get((*path, None)) == "selective":
            out.pop("minItems", None)
    return out


def _never_tree(never: frozenset[ClaimPath]) -> NeverTree:
    tree: dict[str | None, Any] = {}
    for path in sorted(never, key=len):
        node = tree
        for step in path[:-1]:
            assert not isinstance(step, int)  # generic paths carry no element indices
            child = node.setdefault(step, {})
            if child is None:  # an ancestor is already dropped whole
                break
            node = child
        else:
            last = path[-1]
            assert not isinstance(last, int)  # generic paths carry no element indices
            node[last] = None
    return tree


_SCALARS = frozenset({str, int, float, bool, type(None)})


def prune(value: Any, tree: NeverTree | None) -> Any:
    """A deep copy of JSON ``value`` without the claims ``tree`` marks as never issued."""
    if type(value) in _SCALARS:  # the common case, and an ABC isinstance check costs ten times more
        return value
    if isinstance(value, Mapping):
        if tree is None:
            return {name: prune(item, None) for name, item in value.items()}
        return {
            name: prune(item, tree.get(name))
            for name, item in value.items()
            if name not in tree or tree[name] is not None
        }
    if isinstance(value, list):
        sub = tree.get(None) if tree is not None else None
        return [prune(item, sub) for item in value]
    return value
