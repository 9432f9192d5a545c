"""Compact JWS (RFC 7515) with an algorithm allow-list: ``none`` and anything unlisted is refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.crypto._keys import SigningKey, VerifyKey
from dojang.core.encoding import b64url_decode, b64url_encode, json_b64url, loads_strict
from dojang.errors import AlgorithmError, HeaderError, InputError, MalformedError

__all__ = ["ALLOWED_ALGS", "JwsParts", "check_alg", "parse_jws", "sign_jws", "verify_jws"]

ALLOWED_ALGS: frozenset[str] = frozenset({"ES256", "EdDSA"})


@dataclass(frozen=True, slots=True)
class JwsParts:
    """A parsed, not yet verified, compact JWS."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes


def sign_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: SigningKey) -> str:
    """Compact JWS over JSON ``payload``; ``alg`` is set from the key and must not be given."""
    if "alg" in header:
        raise InputError("sign_jws sets alg from the key; do not pass it in the header")
    head = json_b64url({"alg": key.alg, **header})
    body = json_b64url(payload)
    signing_input = f"{head}.{body}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def parse_jws(token: str, *, what: str = "JWS") -> JwsParts:
    """Split and decode a compact JWS whose header and payload are JSON objects."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedError(f"{what} must have three dot-separated parts, found {len(parts)}")
    head_b64, body_b64, sig_b64 = parts
    header = loads_strict(b64url_decode(head_b64, what=f"{what} header"), what=f"{what} header")
    payload = loads_strict(b64url_decode(body_b64, what=f"{what} payload"), what=f"{what} payload")
    if not isinstance(header, dict):
        raise MalformedError(f"{what} header must be a JSON object")
    if not isinstance(payload, dict):
        raise MalformedError(f"{what} payload must be a JSON object")
    signature = b64url_decode(sig_b64, what=f"{what} signature")
    return JwsParts(header, payload, f"{head_b64}.{body_b64}".encode("ascii"), signature)


def check_alg(header: Mapping[str, Any], allowed_algs: frozenset[str], *, what: str = "JWS") -> str:
    """Return ``alg`` if it is on both the caller's allow-list and ours; ``none`` never is."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algs or alg not in ALLOWED_ALGS:
        raise AlgorithmError(f"{what} algorithm {alg!r} is not allowed (allowed: {sorted(allowed_algs)})")
    return alg


def verify_jws(
    parts: JwsParts,
    key: VerifyKey | Callable[[Mapping[str, Any]], VerifyKey],
    *,
    allowed_algs: frozenset[str] = ALLOWED_ALGS,
    what: str = "JWS",
) -> None:
    """Check ``alg`` against the allow-list and the key, refuse unknown ``crit``, verify the signature.

    ``key`` is a key or a function choosing one from the header (by ``kid`` or ``x5c``).
    """
    alg = check_alg(parts.header, allowed_algs, what=what)
    if "crit" in parts.header:
        raise HeaderError(
            f"{what} header lists critical extensions {parts.header['crit']!r} we do not understand"
        )
    chosen = key(parts.header) if callable(key) else key
    if chosen.alg != alg:
        raise AlgorithmError(f"{what} says alg {alg!r} but the key is for {chosen.alg!r}")
    chosen.verify(parts.signing_input, parts.signature)
