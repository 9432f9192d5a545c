"""sd-jwt-python's test cases run through dojang: issue, present, verify, compare the claims."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.issuer import SDJWTIssuer

from dojang.core.sdjwt import KbExpectation, issue, parse, present, verify
from dojang.errors import MalformedError

from .vectors import (
    Sd,
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
ISSUER = signing_key_from_jwk(KEYS["issuer_key"])
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


@pytest.mark.parametrize("name", SUPPORTED)
def test_case(name: str) -> None:
    case = load_case(name)
    assert case.get("serialization_format", "compact") == "compact"
    assert not case.get("add_decoy_claims", False)
    key_binding = bool(case.get("key_binding", False))
    extra_header = case.get("extra_header_parameters") or {}
    claims, sd = split_sd({"iss": ISSUER_ID, **case["user_claims"]})

    issued = issue(
        claims,
        sd=sd,
        key=ISSUER,
        rng=fixed_rng(SETTINGS["random_seed"]),
        header=extra_header,
        typ=None,
        holder_jwk=HOLDER.public.jwk if key_binding else None,
    )
    assert len(parse(issued).disclosures) == len(sd)
    presentation = present(
        issued,
        disclose=holder_paths(case["holder_disclosed_claims"]),
        holder_key=HOLDER if key_binding else None,
        aud=VERIFIER_ID if key_binding else None,
        nonce=NONCE if key_binding else None,
        iat=NOW if key_binding else None,
    )
    verified = verify(
        presentation,
        issuer_key=ISSUER.public,
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


def _reference_claims(value: Any) -> Any:
    """The case's claims with ``!sd`` marks as the reference package's ``SDObj``."""
    if isinstance(value, Sd):
        return SDObj(_reference_claims(value.value))
    if isinstance(value, dict):
        return {_reference_claims(k): _reference_claims(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reference_claims(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_json_serialization_is_refused_as_malformed(name: str) -> None:
    case = load_case(name)
    assert case["serialization_format"] == "json"
    issuer_jwk = JWK.from_json(json.dumps(KEYS["issuer_key"]))
    issued = SDJWTIssuer(
        _reference_claims({"iss": ISSUER_ID, **case["user_claims"]}),
        issuer_jwk,
        serialization_format="json",
    ).sd_jwt_issuance
    with pytest.raises(MalformedError):
        verify(issued, issuer_key=ISSUER.public, now=NOW, profile="sd-jwt")
