"""RFC 9901 examples: every disclosure digest, and every issued SD-JWT and presentation verified."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from dojang.core.crypto import verify_key_from_jwk
from dojang.core.sdjwt import Disclosure, KbExpectation, parse, present, verify
from dojang.errors import AudienceError, DisclosureError, HolderBindingError, NonceError, SignatureError

from .vectors import load_json, load_settings, signing_key_from_jwk

DISCLOSURES = load_json("rfc9901/disclosures.json")["vectors"]
RFC = load_json("rfc9901/examples.json")
EXAMPLES = {example["name"]: example for example in RFC["examples"]}
ISSUER = verify_key_from_jwk(RFC["issuer_jwk"])
NOW = RFC["now"]


def _verify(example: dict[str, Any], **overrides: Any) -> Any:
    kb = example["kb"]
    options: dict[str, Any] = {
        "issuer_key": ISSUER,
        "now": NOW,
        "profile": "sd-jwt",
        "kb": KbExpectation(kb["aud"], kb["nonce"]) if kb else None,
    }
    return verify(example["text"], **(options | overrides))


@pytest.mark.parametrize("vector", DISCLOSURES, ids=lambda v: f"{v['section']} {v['label']}")
def test_disclosure_digest_and_contents(vector: dict[str, Any]) -> None:
    disclosure = Disclosure.from_encoded(vector["disclosure"])
    contents = vector["contents"]
    if vector["digest"] is not None:
        assert disclosure.digest == vector["digest"]
    assert disclosure.encoded == vector["disclosure"]
    assert disclosure.salt == contents[0]
    assert disclosure.name == (contents[1] if len(contents) == 3 else None)
    assert disclosure.value == contents[-1]


def test_encoding_variants_give_distinct_digests_for_one_claim() -> None:
    # RFC 9901 §4.2.1: the digest covers the encoded string, so each variant has its own digest.
    variants = [v for v in DISCLOSURES if v["section"] == "4.2.1"]
    assert len(variants) == 4
    assert len({Disclosure.from_encoded(v["disclosure"]).digest for v in variants}) == 4
    assert len({repr(v["contents"]) for v in variants}) == 1


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_verifies_to_the_rfc_processed_payload(name: str) -> None:
    example = EXAMPLES[name]
    verified = _verify(example)
    assert verified.claims == example["claims"]
    assert dict(verified.header) == example["header"]
    if example["payload"] is not None:
        assert dict(verified.payload) == example["payload"]
    assert len(verified.disclosures) == example["disclosures"]
    if example["kb"] is None:
        assert verified.kb_payload is None
    else:
        assert dict(verified.kb_payload or {}) == example["kb"]["payload"]


@pytest.mark.parametrize("name", [n for n, e in EXAMPLES.items() if e["kb"]])
def test_kb_jwt_sd_hash_covers_the_presented_sd_jwt(name: str) -> None:
    example = EXAMPLES[name]
    presented = parse(example["text"])
    assert presented.kb_jwt is not None
    digest = hashlib.sha256(presented.without_kb().encode("ascii")).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == example["kb"]["payload"]["sd_hash"]
    assert presented.serialize() == example["text"]


def test_presenting_the_issued_example_reproduces_section_5_2() -> None:
    issued, expected = EXAMPLES["5.1-issued"], EXAMPLES["5.2-presentation"]
    # sd-jwt-python's settings hold the private key of the RFC's cnf key (same x and y).
    holder = signing_key_from_jwk(load_settings()["key_settings"]["holder_key"])
    assert dict(holder.public.jwk) == RFC["holder_jwk"]
    wanted = [("given_name",), ("family_name",), ("address",), ("nationalities", 0)]
    kb = expected["kb"]
    text = present(
        issued["text"], disclose=wanted, holder_key=holder, aud=kb["aud"], nonce=kb["nonce"], iat=NOW
    )
    verified = verify(
        text, issuer_key=ISSUER, now=NOW, profile="sd-jwt", kb=KbExpectation(kb["aud"], kb["nonce"])
    )
    assert verified.claims == expected["claims"]
    ours = {d.encoded for d in parse(text).disclosures}
    assert ours == {d.encoded for d in parse(expected["text"]).disclosures}


def test_required_key_binding_missing_is_rejected() -> None:
    example = EXAMPLES["5.2-presentation"]
    without_kb = parse(example["text"]).without_kb()
    with pytest.raises(HolderBindingError) as caught:
        _verify({**example, "text": without_kb})
    assert caught.value.check == "key-binding"


@pytest.mark.parametrize(
    ("kb", "error", "check"),
    [
        (KbExpectation("https://other.example.org", "1234567890"), AudienceError, "audience"),
        (KbExpectation("https://verifier.example.org", "0987654321"), NonceError, "nonce"),
    ],
)
def test_kb_jwt_for_another_audience_or_nonce_is_rejected(
    kb: KbExpectation, error: type[Exception], check: str
) -> None:
    with pytest.raises(error) as caught:
        _verify(EXAMPLES["5.2-presentation"], kb=kb)
    assert getattr(caught.value, "check", None) == check


def test_stale_kb_jwt_is_rejected() -> None:
    with pytest.raises(HolderBindingError) as caught:
        _verify(EXAMPLES["5.2-presentation"], now=NOW + 3600)
    assert caught.value.check == "key-binding"


def test_disclosure_from_another_credential_is_rejected() -> None:
    example = EXAMPLES["5.1-issued"]
    foreign = next(v["disclosure"] for v in DISCLOSURES if v["label"] == "address (flat)")
    with pytest.raises(DisclosureError) as caught:
        _verify({**example, "text": example["text"] + foreign + "~"})
    assert caught.value.check == "disclosures"


def test_example_with_another_issuer_key_is_rejected() -> None:
    holder_as_issuer = verify_key_from_jwk(RFC["holder_jwk"])
    with pytest.raises(SignatureError) as caught:
        _verify(EXAMPLES["5.1-issued"], issuer_key=holder_as_issuer)
    assert caught.value.check == "signature"
