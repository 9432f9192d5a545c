"""The signed trust list: round trip, strict parsing, tampering and the wrong signer are named failures."""

from __future__ import annotations

import json
import secrets

import pytest

from dojang.core.crypto import generate_key
from dojang.core.encoding import b64url_decode, b64url_encode
from dojang.core.trust import (
    Accreditation,
    AgencyEntry,
    RevokedCertificate,
    TrustListDocument,
    sign_trust_list,
    verify_trust_list,
)
from dojang.errors import MalformedError, VerificationError

VCT = "urn:dojang:kr:resident-register-copy:1"
AGENCY = AgencyEntry("https://jongno.example", "종로구청", ("fp1",), (Accreditation(VCT, 100, 200),))
DOC = TrustListDocument("https://operator.example", 50, (AGENCY,), (RevokedCertificate("fp0", 70),))
KEY = generate_key("ES256", secrets.token_bytes)


def test_round_trip() -> None:
    token = sign_trust_list(DOC, KEY)
    assert verify_trust_list(token, KEY.public) == DOC


def _tamper(token: str) -> str:
    head, body, sig = token.split(".")
    payload = json.loads(b64url_decode(body))
    payload["agencies"][0]["accreditations"][0]["not_after"] = None
    return ".".join([head, b64url_encode(json.dumps(payload).encode()), sig])


def test_tampered_list_fails_the_trust_list_check() -> None:
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(_tamper(sign_trust_list(DOC, KEY)), KEY.public)
    assert caught.value.check == "trust-list"


def test_list_signed_by_another_key_fails() -> None:
    agency_key = generate_key("ES256", secrets.token_bytes)
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(sign_trust_list(DOC, agency_key), KEY.public)
    assert caught.value.check == "trust-list"


@pytest.mark.parametrize("token", ["", "a.b", "not.a.jws", "x" * 10])
def test_garbage_fails_the_trust_list_check(token: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(token, KEY.public)
    assert caught.value.check == "trust-list"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(version=2),
        lambda d: d.update(extra=1),
        lambda d: d.update(iat=-1),
        lambda d: d.update(iat=True),
        lambda d: d["agencies"].append(d["agencies"][0]),
        lambda d: d["agencies"][0].update(issuer_id=""),
        lambda d: d["agencies"][0]["accreditations"][0].update(not_after=50),
        lambda d: d["revoked"][0].pop("revoked_at"),
    ],
)
def test_strict_parsing(mutate: object) -> None:
    doc = DOC.to_json()
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(MalformedError):
        TrustListDocument.from_json(doc)


@pytest.mark.parametrize(("at", "ok"), [(99, False), (100, True), (199, True), (200, False)])
def test_accreditation_window(at: int, ok: bool) -> None:
    if ok:
        assert "accredited" in DOC.check_accredited("https://jongno.example", VCT, at)
    else:
        with pytest.raises(VerificationError) as caught:
            DOC.check_accredited("https://jongno.example", VCT, at)
        assert caught.value.check == "accreditation"


@pytest.mark.parametrize(
    ("issuer_id", "vct", "fingerprint"),
    [
        ("https://other.example", VCT, None),
        ("https://jongno.example", "urn:other:1", None),
        ("https://jongno.example", VCT, "not-its-certificate"),
        (None, VCT, None),
    ],
)
def test_not_accredited(issuer_id: str | None, vct: str, fingerprint: str | None) -> None:
    with pytest.raises(VerificationError) as caught:
        DOC.check_accredited(issuer_id, vct, 150, fingerprint=fingerprint)
    assert caught.value.check == "accreditation"


def test_revoked_map() -> None:
    assert {k: int(v.timestamp()) for k, v in DOC.revoked_map().items()} == {"fp0": 70}
