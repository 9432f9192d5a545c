"""Disclosures (RFC 9901 §4.2): the salted claim and its digest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from json.encoder import encode_basestring as _quote  # the C escaper; UTF-8 kept as is
from typing import Any, NamedTuple

from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json, loads_strict
from dojang.errors import MalformedError

try:
    from dojang.core import _speedups
except ImportError:  # an interpreter that cannot load the C module takes the pure-Python path below
    _speedups = None  # type: ignore[assignment]

__all__ = [
    "RESERVED_NAMES",
    "Disclosure",
    "decode_disclosures",
    "digest_of",
    "disclosure_json",
    "encode_disclosure",
    "encode_json",
    "make_disclosure",
]

#: Claim names a disclosure may never carry (RFC 9901 §4.2.1).
RESERVED_NAMES = frozenset({"_sd", "..."})
_new = tuple.__new__


def digest_of(encoded: str) -> str:
    """The sha-256 digest of a disclosure or SD-JWT, base64url, over its ASCII text."""
    fast = _speedups.digest(encoded) if _speedups is not None else None
    return fast if fast is not None else b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


class Disclosure(NamedTuple):
    """One disclosure: ``name`` is ``None`` for an array element.

    Immutable like the frozen dataclasses elsewhere; a named tuple because a verification builds
    dozens of these and a frozen dataclass costs four times as much to construct.
    """

    encoded: str
    digest: str
    salt: str
    name: str | None
    value: Any

    @classmethod
    def from_encoded(cls, encoded: str) -> Disclosure:
        """Decode and check the shape of a disclosure string."""
        fast = _speedups.decode_disclosure(encoded) if _speedups is not None else None
        if fast is not None:
            text, digest = fast
            item = loads_strict(text, what="disclosure")
        else:  # not canonical base64url of UTF-8 (or no C module): the general path names what is wrong
            item, digest = loads_strict(b64url_decode(encoded, what="disclosure"), what="disclosure"), ""
        return cls.from_item(encoded, digest or digest_of(encoded), item)

    @classmethod
    def from_item(cls, encoded: str, digest: str, item: Any) -> Disclosure:
        """Check the shape of a decoded disclosure ``item`` (the JSON array) and build it."""
        if type(item) is not list or not isinstance(item[0] if item else None, str):
            raise MalformedError("a disclosure must be a JSON array starting with a string salt")
        if len(item) == 3:
            name = item[1]
            if not isinstance(name, str) or name in RESERVED_NAMES:
                raise MalformedError(
                    f"a disclosure's claim name must be a string other than _sd and ...: {name!r}"
                )
        elif len(item) == 2:
            name = None
        else:
            raise MalformedError("a disclosure must be a JSON array of two or three elements")
        return _new(cls, (encoded, digest, item[0], name, item[-1]))


def decode_disclosures(parts: list[str]) -> tuple[Disclosure, ...]:
    """Decode every disclosure of an SD-JWT.

    The C path decodes them all into one JSON array and parses it in one call, which is valid
    because each part is checked to be exactly one bracketed array; anything unusual (or a parse
    error) takes the one-by-one path, which names the bad disclosure.
    """
    fast = _speedups.decode_disclosures(parts) if _speedups is not None and parts else None
    if fast is not None:
        joined, digests = fast
        try:
            items = loads_strict(joined, what="disclosures")
        except MalformedError:
            items = None
        if type(items) is list and len(items) == len(parts):
            built = _speedups.build_disclosures(Disclosure, parts, digests, items)
            if built is not None:
                return built
            return tuple(map(Disclosure.from_item, parts, digests, items))
    return tuple(Disclosure.from_encoded(part) for part in parts)


def disclosure_json(salt: str, name: str | None, value: Any) -> str:
    """The disclosure's JSON text.

    ``salt`` is base64url and needs no escaping; a string value is escaped directly, which gives
    the same text as the general JSON encoder without its per-call set-up.
    """
    text = _quote(value) if type(value) is str else canonical_json(value)
    return f'["{salt}",{text}]' if name is None else f'["{salt}",{_quote(name)},{text}]'


def _encode_json_python(json_text: str) -> tuple[str, str]:
    encoded = b64url_encode(json_text.encode("utf-8"))
    return encoded, digest_of(encoded)


#: ``encode_json(text)`` -> (base64url of its UTF-8, that string's digest): the issuance hot path.
encode_json: Callable[[str], tuple[str, str]] = (
    _speedups.encode_disclosure if _speedups is not None else _encode_json_python
)


def encode_disclosure(salt: str, name: str | None, value: Any) -> tuple[str, str]:
    """The disclosure string and its digest, without building a :class:`Disclosure`."""
    return encode_json(disclosure_json(salt, name, value))


def make_disclosure(salt: str, name: str | None, value: Any) -> Disclosure:
    """Build a disclosure; ``name=None`` makes an array-element disclosure."""
    encoded, digest = encode_disclosure(salt, name, value)
    return Disclosure(encoded, digest, salt, name, value)
