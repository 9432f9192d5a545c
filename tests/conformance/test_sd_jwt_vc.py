"""SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-12): the draft's examples, and the claims never disclosable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.issuer import SDJWTIssuer

from dojang.core.crypto import VerifyKey, verify_key_from_jwk
from dojang.core.sdjwt import KbExpectation, issue, parse, verify
from dojang.errors import ClaimsError, HeaderError, InputError

from .vectors import fixed_rng, load_json, load_settings, public_jwk, signing_key_from_jwk

VC = load_json("sd-jwt-vc/draft-12-examples.json")
EXAMPLES = {example["name"]: example for example in VC["examples"]}
RFC = load_json("rfc9901/examples.json")
RFC_VC = {e["name"]: e for e in RFC["examples"] if e["header"].get("typ") == "dc+sd-jwt"}
ISSUER = verify_key_from_jwk(public_jwk(VC["issuer_jwk"]))
KEYS = load_settings()["key_settings"]
NEVER = VC["never_selectively_disclosable"]
VALUES: dict[str, Any] = {
    "iss": "https://issuer.example.kr",
    "nbf": 1700000000,
    "exp": 1900000000,
    "cnf": {"jwk": VC["holder_jwk"]},
    "vct": "https://credentials.example.kr/resident-registration/1",
    "vct#integrity": "sha256-1odmyxoVQCuQx8SAym8rWHXba41fM/Iv/V1H8VHGN00=",
    "status": {"status_list": {"idx": 7, "uri": "https://status.example.kr/lists/1"}},
}
NOW = 1800000000


def _by_kid(header: Any) -> VerifyKey:
    # The draft's issuer key is published with kid doc-signer-05-25-2022 (§5.2); one example has no kid.
    assert header.get("kid", VC["issuer_jwk"]["kid"]) == VC["issuer_jwk"]["kid"]
    return ISSUER


def test_draft_lists_the_never_disclosable_claims_dojang_enforces() -> None:
    assert sorted(NEVER) == sorted(VALUES)
    assert VC["typ"] == "dc+sd-jwt"


@pytest.mark.parametrize("example", VC["examples"] + list(RFC_VC.values()), ids=lambda e: e["name"])
def test_example_verifies_under_the_sd_jwt_vc_profile(example: dict[str, Any]) -> None:
    kb = example["kb"]
    verified = verify(
        example["text"],
        issuer_key=_by_kid,
        now=example.get("now", RFC["now"]),
        kb=KbExpectation(kb["aud"], kb["nonce"]) if kb else None,
    )
    assert verified.header["typ"] == "dc+sd-jwt"
    assert verified.claims == example["claims"]
    assert dict(verified.header) == example["header"]
    if example["payload"] is not None:
        assert dict(verified.payload) == example["payload"]
    if kb:
        assert dict(verified.kb_payload or {}) == kb["payload"]


def test_plain_sd_jwt_typ_is_rejected_by_the_vc_profile() -> None:
    example = next(e for e in RFC["examples"] if e["name"] == "5.1-issued")
    with pytest.raises(HeaderError) as caught:
        verify(example["text"], issuer_key=ISSUER, now=RFC["now"])
    assert caught.value.check == "header"


def test_reissued_draft_example_has_the_draft_structure() -> None:
    issued = EXAMPLES["3.3-issued"]
    claims = {k: v for k, v in issued["claims"].items() if k != "cnf"}
    subject = [(name,) for name in claims if name not in {"iss", "iat", "exp", "vct"}]
    text = issue(
        claims,
        sd=subject,
        key=signing_key_from_jwk(KEYS["issuer_key"]),
        rng=fixed_rng(12),
        header={"kid": VC["issuer_jwk"]["kid"]},
        holder_jwk=VC["holder_jwk"],
    )
    verified = verify(text, issuer_key=_by_kid, now=issued["now"])
    assert dict(verified.header) == issued["header"]
    assert verified.claims == issued["claims"]
    assert sorted(verified.payload) == sorted(issued["payload"])
    assert len(verified.payload["_sd"]) == len(issued["payload"]["_sd"]) == len(subject)
    assert len(parse(text).disclosures) == issued["disclosures"]


@pytest.mark.parametrize("claim", NEVER)
def test_dojang_refuses_to_issue_a_never_disclosable_claim_as_disclosable(claim: str) -> None:
    claims = {"vct": VALUES["vct"], "given_name": "길동", claim: VALUES[claim]}
    with pytest.raises(InputError):
        issue(
            claims,
            sd=[(claim,), ("given_name",)],
            key=signing_key_from_jwk(KEYS["issuer_key"]),
            rng=fixed_rng(1),
        )


@pytest.mark.parametrize("claim", NEVER)
def test_credential_with_a_never_disclosable_claim_disclosable_is_rejected(
    claim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issued by the reference package, which does not know the SD-JWT VC rule.
    monkeypatch.setattr(SDJWTIssuer, "SD_JWT_HEADER", "dc+sd-jwt")
    monkeypatch.setattr(SDJWTIssuer, "unsafe_randomness", False)
    # The claim appears only as a disclosure (a vct in the clear too would be a duplicate claim).
    claims: dict[Any, Any] = (
        {"given_name": "길동"} if claim == "vct" else {"vct": VALUES["vct"], "given_name": "길동"}
    )
    claims[SDObj(claim)] = VALUES[claim]
    issued = SDJWTIssuer(claims, JWK.from_json(json.dumps(KEYS["issuer_key"]))).sd_jwt_issuance
    assert parse(issued).disclosures[0].name == claim
    with pytest.raises(ClaimsError) as caught:
        verify(issued, issuer_key=ISSUER, now=NOW)
    assert caught.value.check == "claims"
