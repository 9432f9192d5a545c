"""The SD-JWT in its two serializations: compact ``<JWT>~<disclosure>~...~[<KB-JWT>]`` (§4), JSON (§8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.sdjwt._disclosure import Disclosure, decode_disclosures
from dojang.core.sdjwt._json import JsonEnvelope, json_text, read_json, write_json
from dojang.errors import MalformedError, TooLargeError

__all__ = ["MAX_DISCLOSURES", "MAX_TOKEN_BYTES", "SdJwt", "parse"]

#: Largest SD-JWT we read: a land register extract with a long history stays far below this.
MAX_TOKEN_BYTES = 512 * 1024
#: Most disclosures one SD-JWT may carry.
MAX_DISCLOSURES = 4096


@dataclass(frozen=True, slots=True)
class SdJwt:
    """A parsed, not yet verified, SD-JWT or presentation, from either serialization."""

    jwt: str
    disclosures: tuple[Disclosure, ...]
    kb_jwt: str | None
    #: Set when read from the JWS JSON serialization: its unprotected header and further signatures.
    envelope: JsonEnvelope | None = None

    def without_kb(self) -> str:
        """The text a KB-JWT's ``sd_hash`` covers: the SD-JWT up to and including the last ``~``.

        The compact form in both serializations: RFC 9901 §8.1 builds it from the JSON members.
        """
        return "~".join([self.jwt, *(d.encoded for d in self.disclosures), ""])

    def serialize(self) -> str:
        """The compact serialization (RFC 9901 §4)."""
        return self.without_kb() + (self.kb_jwt or "")

    def serialize_json(self) -> str:
        """The JWS JSON serialization (RFC 9901 §8): General when read so, else Flattened."""
        return write_json(self.jwt, [d.encoded for d in self.disclosures], self.kb_jwt, self.envelope)


def parse(text: str | Mapping[str, Any]) -> SdJwt:
    """Read an SD-JWT in either serialization; raise MalformedError or TooLargeError.

    ``text`` is the compact form, JSON text starting with ``{`` (the JWS JSON serialization), or
    that JSON document as an object.
    """
    if not isinstance(text, str):
        text = json_text(text)
    if len(text) > MAX_TOKEN_BYTES:
        raise TooLargeError(f"SD-JWT is {len(text)} bytes, over the limit of {MAX_TOKEN_BYTES}")
    text = text.strip()
    if text[:1] == "{":
        doc = read_json(text, max_disclosures=MAX_DISCLOSURES)
        return SdJwt(doc.jwt, decode_disclosures(doc.disclosures), doc.kb_jwt, doc.envelope)
    if not text.isascii():
        raise MalformedError("SD-JWT must be ASCII (base64url parts separated by '.' and '~')")
    parts = text.split("~")
    if len(parts) < 2:
        raise MalformedError("not an SD-JWT: no '~' separator after the issuer-signed JWT")
    if len(parts) - 2 > MAX_DISCLOSURES:
        raise TooLargeError(
            f"SD-JWT carries {len(parts) - 2} disclosures, over the limit of {MAX_DISCLOSURES}"
        )
    jwt, *middle, last = parts
    if not jwt:
        raise MalformedError("SD-JWT has an empty issuer-signed JWT")
    if any(not part for part in middle):
        raise MalformedError("SD-JWT has an empty disclosure between two '~'")
    return SdJwt(jwt, decode_disclosures(middle), last or None)
