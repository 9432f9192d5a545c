"""The issuer keys a verifier trusts, including retired ones for credentials signed before retirement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.crypto import VerifyKey, verify_key_from_jwk
from dojang.errors import IssuerKeyError, MalformedError

__all__ = ["TrustList", "TrustedKey"]

_PUBLIC_MEMBERS = frozenset({"kty", "crv", "x", "y"})


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """An issuer key: which ``iss`` may use it, and from when it no longer signs new credentials.

    ``iss`` is None for a key trusted on its own (a bare JWK from another issuer), and ``name`` is
    the JWK's own ``kid`` when it has one other than the RFC 7638 thumbprint.
    """

    iss: str | None
    key: VerifyKey
    retired_at: int | None = None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "iss": self.iss,
            "kid": self.key.kid,
            "jwk": dict(self.key.jwk),
            "retired_at": self.retired_at,
        }

    @classmethod
    def from_json(cls, entry: Any) -> TrustedKey:
        """An entry of dojang's trust list, or a bare public JWK (trusted for any ``iss``)."""
        if isinstance(entry, Mapping) and "kty" in entry:
            public = {k: v for k, v in entry.items() if k in _PUBLIC_MEMBERS}
            kid = entry.get("kid")
            return cls(None, verify_key_from_jwk(public), None, kid if isinstance(kid, str) else None)
        if not isinstance(entry, Mapping) or not isinstance(entry.get("iss"), str):
            raise MalformedError("a trusted key entry must be an object with 'iss' and 'jwk', or a JWK")
        retired = entry.get("retired_at")
        if retired is not None and (isinstance(retired, bool) or not isinstance(retired, int)):
            raise MalformedError("'retired_at' must be seconds since the epoch or null")
        return cls(entry["iss"], verify_key_from_jwk(entry.get("jwk")), retired)


class TrustList:
    """Trusted issuer keys by ``kid``."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self._by_kid = {k.key.kid: k for k in keys}
        # Another issuer's JWK may name itself with a kid of its own choosing.
        self._by_name = {k.name: k for k in self._by_kid.values() if k.name}

    def __len__(self) -> int:
        return len(self._by_kid)

    def keys(self) -> tuple[TrustedKey, ...]:
        return tuple(self._by_kid.values())

    def to_json(self) -> dict[str, Any]:
        return {"keys": [k.to_json() for k in self._by_kid.values()]}

    @classmethod
    def from_json(cls, document: Any) -> TrustList:
        """dojang's trust list, a JWK Set (``{"keys": [JWK, ...]}``) or a single JWK."""
        if isinstance(document, Mapping) and "kty" in document:
            return cls([TrustedKey.from_json(document)])
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise MalformedError("a trust list must be an object with a 'keys' array, or a JWK")
        return cls(TrustedKey.from_json(entry) for entry in document["keys"])

    def resolve(self, header: Mapping[str, Any]) -> TrustedKey:
        """The trusted key named by the header's ``kid``."""
        kid = header.get("kid")
        if kid is None and len(self._by_kid) == 1:
            return next(iter(self._by_kid.values()))  # one trusted key and an unnamed signer
        trusted = (self._by_kid.get(kid) or self._by_name.get(kid)) if isinstance(kid, str) else None
        if trusted is None:
            raise IssuerKeyError(f"signing key {kid!r} is not a trusted issuer key")
        return trusted

    @staticmethod
    def check_use(trusted: TrustedKey, payload: Mapping[str, Any]) -> str:
        """The key belongs to the credential's ``iss`` and was not retired before it was signed."""
        kid = trusted.key.kid
        if trusted.iss is None:
            return "key trusted on its own, for any iss"
        if payload.get("iss") != trusted.iss:
            raise IssuerKeyError(
                f"key {kid} belongs to {trusted.iss}, not to {payload.get('iss')!r}", check="issuer"
            )
        iat = payload.get("iat")
        if trusted.retired_at is not None and isinstance(iat, int | float) and iat > trusted.retired_at:
            raise IssuerKeyError(
                f"key {kid} was retired at {trusted.retired_at}, before this was signed ({iat})",
                check="issuer",
            )
        return f"{trusted.iss}, key in service when signed"
