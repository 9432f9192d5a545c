"""Claim paths: where a claim sits in a credential, with ``None`` standing for every array element."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["ClaimPath", "PathTree", "covers"]

#: A claim's place: object keys (str), array indices (int), or ``None`` for every element of an array.
ClaimPath = tuple[str | int | None, ...]


@dataclass(slots=True)
class PathTree:
    """Claim paths folded into a tree, so that one walk of the claims finds every marked place.

    Never changed after :meth:`of` builds it (issuance caches one per path set).
    """

    marked: bool = False
    children: dict[str | int | None, PathTree] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: Iterable[ClaimPath]) -> PathTree:
        root = cls()
        for path in paths:
            node = root
            for step in path:
                node = node.children.setdefault(step, cls())
            node.marked = True
        return root

    def child(self, step: str | int) -> PathTree | None:
        """The subtree for a key or index; for an index, an exact entry and the wildcard merge."""
        exact = self.children.get(step)
        wild = self.children.get(None) if isinstance(step, int) else None
        if exact is None or wild is None:
            return exact or wild
        return _merge(exact, wild)


def _merge(a: PathTree, b: PathTree) -> PathTree:
    merged = PathTree(a.marked or b.marked, dict(a.children))
    for step, sub in b.children.items():
        merged.children[step] = _merge(merged.children[step], sub) if step in merged.children else sub
    return merged


def covers(wanted: ClaimPath, place: ClaimPath) -> bool:
    """True when disclosing ``wanted`` needs the disclosure at ``place``.

    That is when one is a prefix of the other: ``place`` lies inside the wanted claim, or is a
    parent that must be disclosed to reach it. ``None`` in ``wanted`` matches any array index.
    """
    return all(w == p or (w is None and isinstance(p, int)) for w, p in zip(wanted, place, strict=False))
