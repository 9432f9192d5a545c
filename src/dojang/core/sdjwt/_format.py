"""The SD-JWT compact form (RFC 9901 §4): ``<JWT>~<disclosure>~...~[<KB-JWT>]``."""

from __future__ import annotations

from dataclasses import dataclass

from dojang.core.sdjwt._disclosure import Disclosure, decode_disclosures
from dojang.errors import MalformedError, TooLargeError

__all__ = ["MAX_DISCLOSURES", "MAX_TOKEN_BYTES", "SdJwt", "parse"]

#: Largest SD-JWT we read: a land register extract with a long history stays far below this.
MAX_TOKEN_BYTES = 512 * 1024
#: Most disclosures one SD-JWT may carry.
MAX_DISCLOSURES = 4096


@dataclass(frozen=True, slots=True)
class SdJwt:
    """A parsed, not yet verified, SD-JWT or presentation."""

    jwt: str
    disclosures: tuple[Disclosure, ...]
    kb_jwt: str | None

    def without_kb(self) -> str:
        """The text a KB-JWT's ``sd_hash`` covers: the SD-JWT up to and including the last ``~``."""
        return "~".join([self.jwt, *(d.encoded for d in self.disclosures), ""])

    def serialize(self) -> str:
        return self.without_kb() + (self.kb_jwt or "")


def parse(text: str) -> SdJwt:
    """Split an SD-JWT and decode its disclosures; raise MalformedError or TooLargeError."""
    if len(text) > MAX_TOKEN_BYTES:
        raise TooLargeError(f"SD-JWT is {len(text)} bytes, over the limit of {MAX_TOKEN_BYTES}")
    text = text.strip()
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
