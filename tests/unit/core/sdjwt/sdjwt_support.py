"""Shared test material for the SD-JWT tests: keys, a household credential, and a way to forge one."""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

from dojang.core.crypto import SigningKey, generate_key, sign_jws
from dojang.core.encoding import b64url_encode, canonical_json
from dojang.core.sdjwt import ClaimPath, KbExpectation, issue

ISSUER = generate_key("ES256", random.Random(101).randbytes)
HOLDER = generate_key("ES256", random.Random(202).randbytes)
OTHER = generate_key("ES256", random.Random(303).randbytes)

IAT = 1_700_000_000
NOW = IAT + 100
EXP = IAT + 86_400 * 90
AUD = "https://bank.example"
NONCE = "n-0S6_WzA2Mj"
VCT = "urn:kr:go:resident-register-copy:1"

CLAIMS: dict[str, Any] = {
    "iss": "https://gov24.example",
    "vct": VCT,
    "iat": IAT,
    "exp": EXP,
    "name": "홍길동",
    "birthdate": "1990-01-01",
    "address": {"street": "세종대로 110", "city": "서울", "postal_code": "04524"},
    "members": [
        {"name": "김영희", "relation": "spouse"},
        {"name": "홍민수", "relation": "child"},
    ],
    "nationalities": ["KR", "US"],
}

SD: list[ClaimPath] = [
    ("name",),
    ("birthdate",),
    ("address",),
    ("address", "street"),
    ("address", "city"),
    ("members", None),
    ("members", None, "name"),
    ("nationalities", 1),
]

#: Every place a disclosure sits in the issued credential above.
PLACES: set[ClaimPath] = {
    ("name",),
    ("birthdate",),
    ("address",),
    ("address", "street"),
    ("address", "city"),
    ("members", 0),
    ("members", 0, "name"),
    ("members", 1),
    ("members", 1, "name"),
    ("nationalities", 1),
}


def rng(seed: int = 7) -> Any:
    return random.Random(seed).randbytes


def claims() -> dict[str, Any]:
    return copy.deepcopy(CLAIMS)


def credential(*, seed: int = 7, decoys: int = 0, holder: SigningKey | None = HOLDER) -> str:
    return issue(
        claims(),
        sd=SD,
        key=ISSUER,
        rng=rng(seed),
        decoys=decoys,
        holder_jwk=holder.public.jwk if holder is not None else None,
        header={"kid": ISSUER.kid},
    )


def expectation(max_age: int = 300) -> KbExpectation:
    return KbExpectation(aud=AUD, nonce=NONCE, max_age=max_age)


def b64json(value: Any) -> str:
    return b64url_encode(canonical_json(value).encode("utf-8"))


def digest(encoded: str) -> str:
    """Computed here from hashlib, independently of the code under test."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def disclosure(salt: str, name: str | None, value: Any) -> tuple[str, str]:
    """An encoded disclosure and its digest, built independently of the code under test."""
    encoded = b64json([salt, value] if name is None else [salt, name, value])
    return encoded, digest(encoded)


def forge(
    payload: Mapping[str, Any],
    disclosures: Sequence[str] = (),
    *,
    header: Mapping[str, Any] | None = None,
    key: SigningKey = ISSUER,
) -> str:
    """An SD-JWT whose issuer-signed payload is exactly ``payload``, validly signed by ``key``."""
    head = {"typ": "dc+sd-jwt"} if header is None else header
    return "~".join([sign_jws(head, payload, key), *disclosures, ""])


def base_payload(**extra: Any) -> dict[str, Any]:
    return {"iss": CLAIMS["iss"], "vct": VCT, "iat": IAT, "exp": EXP, "_sd_alg": "sha-256", **extra}


def kb_jwt(
    presentation: str,
    *,
    key: SigningKey = HOLDER,
    header: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> str:
    """A KB-JWT over ``presentation`` (which must end in '~'), with any claim overridden."""
    claims_ = {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(presentation), **overrides}
    return sign_jws({"typ": "kb+jwt"} if header is None else header, claims_, key)
