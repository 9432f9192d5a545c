"""Disclosures (RFC 9901 §4.2): the salted claim and its digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json, loads_strict
from dojang.errors import MalformedError

__all__ = ["RESERVED_NAMES", "Disclosure", "digest_of", "make_disclosure"]

#: Claim names a disclosure may never carry (RFC 9901 §4.2.1).
RESERVED_NAMES = frozenset({"_sd", "..."})


def digest_of(encoded: str) -> str:
    """The sha-256 digest of a disclosure or SD-JWT, base64url, over its ASCII text."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One disclosure: ``name`` is ``None`` for an array element."""

    encoded: str
    digest: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def from_encoded(cls, encoded: str) -> Disclosure:
        """Decode and check the shape of a disclosure string."""
        item = loads_strict(b64url_decode(encoded, what="disclosure"), what="disclosure")
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise MalformedError("a disclosure must be a JSON array of two or three elements")
        if not isinstance(item[0], str):
            raise MalformedError("a disclosure's salt must be a string")
        name = item[1] if len(item) == 3 else None
        if len(item) == 3 and not isinstance(name, str):
            raise MalformedError("a disclosure's claim name must be a string")
        if name in RESERVED_NAMES:
            raise MalformedError(f"a disclosure must not carry the reserved claim name {name!r}")
        return cls(encoded, digest_of(encoded), item[0], name, item[-1])


def make_disclosure(salt: str, name: str | None, value: Any) -> Disclosure:
    """Build a disclosure; ``name=None`` makes an array-element disclosure."""
    item = [salt, value] if name is None else [salt, name, value]
    encoded = b64url_encode(canonical_json(item).encode("utf-8"))
    return Disclosure(encoded, digest_of(encoded), salt, name, value)
