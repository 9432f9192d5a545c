"""sd-jwt-python's test cases run through dojang: issue, present, verify, compare the claims.

The ``serialization_format: json`` cases are presented in the JWS JSON serialization (RFC 9901 §8):
Flattened, or General with a second issuer signature where the case names two issuer keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pytest

from dojang.core.crypto import SigningKey, parse_jws, verify_jws
from dojang.core.encoding import b64url_encode
from dojang.core.sdjwt import KbExpectation, issue, parse, present, verify

from .vectors import (
    case_names,
    fixed_rng,
    holder_paths,
    load_case,
    load_settings,
    signing_key_from_jwk,
    split_sd,
    unsupported_cases,
)

SETTINGS = load_settings()
KEYS = SETTINGS["key_settings"]
HOLDER = signing_key_from_jwk(KEYS["holder_key"])
ISSUER_ID = SETTINGS["identifiers"]["issuer"]
VERIFIER_ID = SETTINGS["identifiers"]["verifier"]
NONCE = SETTINGS["key_binding_nonce"]
NOW = SETTINGS["iat"]
UNSUPPORTED = unsupported_cases()
SUPPORTED = [name for name in case_names() if name not in UNSUPPORTED]


def test_every_case_is_run_or_listed_as_unsupported() -> None:
    assert set(UNSUPPORTED) <= set(case_names())
    assert len(case_names()) == len(SUPPORTED) + len(UNSUPPORTED) == 16


def _issuer_keys(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The case's issuer keys: its ``settings_override`` (either place it puts them), else the default."""
    override = case.get("settings_override") or {}
    keys = override.get("issuer_keys") or (override.get("key_settings") or {}).get("issuer_keys")
    return list(keys) if keys else [KEYS["issuer_key"]]


def _cosign(flattened: str, keys: list[dict[str, Any]]) -> dict[str, Any]:
    """The General JSON serialization (RFC 9901 §8.3) of a Flattened one, with a second signature.

    As in the RFC's example, each signature names its key with a ``kid`` in its unprotected header;
    ``disclosures`` stay in the first one's. Built from JSON members here, not by the code under test.
    """
    doc = json.loads(flattened)
    signing_input = f"{doc['protected']}.{doc['payload']}".encode("ascii")
    second = b64url_encode(signing_key_from_jwk(keys[1]).sign(signing_input))
    return {
        "payload": doc["payload"],
        "signatures": [
            {
                "protected": doc["protected"],
                "header": {"kid": keys[0]["kid"], **doc["header"]},
                "signature": doc["signature"],
            },
            {"protected": doc["protected"], "header": {"kid": keys[1]["kid"]}, "signature": second},
        ],
    }


def _check_json_form(presentation: str, issuer_keys: list[dict[str, Any]], key_binding: bool) -> None:
    """The JSON presentation's shape, each issuer signature verifying with its key, and the sd_hash.

    RFC 9901 §8.1: the ``sd_hash`` covers the compact form rebuilt from the (first) signature's
    ``protected``, the ``payload``, its ``signature`` and the ``disclosures``; recomputed here.
    """
    doc = json.loads(presentation)
    signatures = doc["signatures"] if len(issuer_keys) > 1 else [doc]
    assert len(signatures) == len(issuer_keys)
    assert all("disclosures" not in s["header"] and "kb_jwt" not in s["header"] for s in signatures[1:])
    for jwk, sig in zip(issuer_keys, signatures, strict=True):
        jws = parse_jws(f"{sig['protected']}.{doc['payload']}.{sig['signature']}")
        verify_jws(jws, signing_key_from_jwk(jwk).public, allowed_algs=frozenset({"ES256"}))
    header = signatures[0]["header"]
    assert ("kb_jwt" in header) == key_binding
    if key_binding:
        first = signatures[0]
        compact = "~".join(
            [f"{first['protected']}.{doc['payload']}.{first['signature']}", *header["disclosures"], ""]
        )
        kb_payload = parse_jws(header["kb_jwt"]).payload
        assert kb_payload["sd_hash"] == b64url_encode(hashlib.sha256(compact.encode("ascii")).digest())


def _issuer(case: Mapping[str, Any]) -> SigningKey:
    return signing_key_from_jwk(_issuer_keys(case)[0])


@pytest.mark.parametrize("name", SUPPORTED)
def test_case(name: str) -> None:
    case = load_case(name)
    serialization = case.get("serialization_format", "compact")
    assert serialization in {"compact", "json"}
    assert not case.get("add_decoy_claims", False)
    issuer_keys = _issuer_keys(case)
    key_binding = bool(case.get("key_binding", False))
    extra_header = case.get("extra_header_parameters") or {}
    claims, sd = split_sd({"iss": ISSUER_ID, **case["user_claims"]})

    issued = issue(
        claims,
        sd=sd,
        key=_issuer(case),
        rng=fixed_rng(SETTINGS["random_seed"]),
        header=extra_header,
        typ=None,
        holder_jwk=HOLDER.public.jwk if key_binding else None,
    )
    assert len(parse(issued).disclosures) == len(sd)
    if serialization == "json":
        # The holder's copy in the JSON serialization: Flattened, or General with the second signature.
        flattened = present(issued, serialization="json")
        holder_copy: str | dict[str, Any] = (
            _cosign(flattened, issuer_keys) if len(issuer_keys) > 1 else flattened
        )
    else:
        holder_copy = issued
    presentation = present(
        holder_copy,
        disclose=holder_paths(case["holder_disclosed_claims"]),
        holder_key=HOLDER if key_binding else None,
        aud=VERIFIER_ID if key_binding else None,
        nonce=NONCE if key_binding else None,
        iat=NOW if key_binding else None,
        serialization=serialization,
    )
    if serialization == "json":
        _check_json_form(presentation, issuer_keys, key_binding)
    verified = verify(
        presentation,
        issuer_key=_issuer(case).public,
        now=NOW,
        profile="sd-jwt",
        kb=KbExpectation(VERIFIER_ID, NONCE) if key_binding else None,
    )

    expected = {**case["expect_verified_user_claims"], "iss": ISSUER_ID}
    if key_binding:
        expected["cnf"] = {"jwk": dict(HOLDER.public.jwk)}
    assert verified.claims == expected
    assert dict(verified.header) == {"alg": "ES256", **extra_header}
    assert (verified.kb_payload is not None) == key_binding
