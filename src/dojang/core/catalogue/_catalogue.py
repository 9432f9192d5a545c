"""The catalogue: every known document kind, found by id or by vct."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dojang.core.catalogue._kind import DocumentKind
from dojang.errors import ConfigError, NotFoundError

__all__ = ["Catalogue"]


@dataclass(frozen=True)
class Catalogue:
    """Document kinds, each with a unique id and a unique vct."""

    all_kinds: tuple[DocumentKind, ...]
    _index: Mapping[str, DocumentKind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, DocumentKind] = {}
        for kind in self.all_kinds:
            for key in (kind.id, kind.vct):
                if key in index:
                    raise ConfigError(
                        f"document kind {key!r} is defined twice: in {index[key].source or '?'}"
                        f" and in {kind.source or '?'}",
                        hint="each kind file needs its own id and vct",
                    )
                index[key] = kind
        object.__setattr__(self, "_index", index)

    def get(self, key: str) -> DocumentKind:
        """The kind with this id (``resident-register-copy``) or vct (``urn:dojang:kr:…:1``)."""
        try:
            return self._index[key]
        except KeyError:
            known = ", ".join(sorted(kind.id for kind in self.all_kinds)) or "none"
            raise NotFoundError(f"unknown document kind {key!r}; known kinds: {known}") from None

    def kinds(self) -> tuple[DocumentKind, ...]:
        """Every kind, in the order they were loaded."""
        return self.all_kinds
