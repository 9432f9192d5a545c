"""The root CA and document-signer profiles, the Certificate wrapper, and the strict ``x5c`` encoding."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from dojang.core.crypto import (
    MAX_X5C_CERTS,
    SD_JWT_VC_ISSUANCE_EKU,
    Certificate,
    Rng,
    SigningKey,
    create_root_ca,
    encode_x5c,
    generate_key,
    issue_document_signer,
    parse_x5c,
)
from dojang.errors import InputError, MalformedError

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ROOT_UNTIL = T0 + timedelta(days=365 * 20)
SIGNER_UNTIL = T0 + timedelta(days=365 * 3)
GOV24 = "https://gov24.example/agencies/jongno"
COURT = "https://iros.example/agencies/seoul-central"


def rng(seed: int) -> Rng:
    return random.Random(seed).randbytes


def key(seed: int) -> SigningKey:
    return generate_key("ES256", rng(seed))


ROOT_KEY = key(1)
ROOT = create_root_ca(ROOT_KEY, name="행정안전부", not_before=T0, not_after=ROOT_UNTIL, rng=rng(2))
AGENCY_KEY = key(3)


def signer(
    issuer_id: str = GOV24,
    *,
    subject: SigningKey = AGENCY_KEY,
    not_before: datetime = T0,
    not_after: datetime = SIGNER_UNTIL,
    ca_key: SigningKey = ROOT_KEY,
    ca: Certificate = ROOT,
    seed: int = 4,
) -> Certificate:
    return issue_document_signer(
        ca_key,
        ca,
        subject.public,
        agency_name="종로구청",
        issuer_id=issuer_id,
        not_before=not_before,
        not_after=not_after,
        rng=rng(seed),
    )


def parsed(cert: Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.der)


def test_root_profile() -> None:
    cert = parsed(ROOT)
    assert ROOT.subject == "CN=dojang Root CA,O=행정안전부,C=KR"
    assert ROOT.issuer == ROOT.subject
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca
    assert basic.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert not usage.value.digital_signature
    assert ROOT.is_ca
    assert ROOT.public_key.jwk == ROOT_KEY.public.jwk
    assert (ROOT.not_before, ROOT.not_after) == (T0, ROOT_UNTIL)
    cert.verify_directly_issued_by(cert)


def test_document_signer_profile() -> None:
    leaf = signer()
    cert = parsed(leaf)
    assert leaf.subject == "CN=종로구청,C=KR"
    assert leaf.issuer == ROOT.subject
    assert leaf.issuer_id == GOV24
    assert not leaf.is_ca
    assert leaf.public_key.jwk == AGENCY_KEY.public.jwk
    assert (leaf.not_before, leaf.not_after) == (T0, SIGNER_UNTIL)
    ext = cert.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert not basic.value.ca
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [x509.ObjectIdentifier(SD_JWT_VC_ISSUANCE_EKU)]
    assert ExtendedKeyUsageOID.CLIENT_AUTH not in eku.value
    san = ext.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [GOV24]
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    ski = parsed(ROOT).extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert aki == ski
    cert.verify_directly_issued_by(parsed(ROOT))


def test_creation_is_deterministic_and_serials_come_from_the_rng() -> None:
    assert signer().der == signer().der
    other = signer(seed=5)
    assert other.der != signer().der
    assert other.serial_number != signer().serial_number
    assert 0 < signer().serial_number < 2**159


def test_fingerprint_is_x5t_s256_and_pem_round_trips() -> None:
    import hashlib

    digest = hashlib.sha256(ROOT.der).digest()
    assert ROOT.fingerprint == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert Certificate.from_pem(ROOT.to_pem()) == ROOT
    assert parsed(ROOT).subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "KR"


@pytest.mark.parametrize(
    "issuer_id",
    ["http://gov24.example", "gov24.example", "https://", "https://gov 24.example", "https://정부.kr"],
)
def test_issuer_id_must_be_an_https_uri(issuer_id: str) -> None:
    with pytest.raises(InputError, match="https URI"):
        signer(issuer_id)


def test_signer_must_fit_in_the_root_and_come_from_its_key() -> None:
    with pytest.raises(InputError, match="outlive"):
        signer(not_after=ROOT_UNTIL + timedelta(days=1))
    with pytest.raises(InputError, match="within the root"):
        signer(not_before=T0 - timedelta(days=1))
    with pytest.raises(InputError, match="CA certificate of ca_key"):
        signer(ca_key=key(9))
    with pytest.raises(InputError, match="CA certificate of ca_key"):
        signer(ca=signer())
    with pytest.raises(InputError, match="later than"):
        signer(not_after=T0)
    with pytest.raises(InputError, match="timezone-aware"):
        signer(not_before=datetime(2025, 1, 2))


def test_ed25519_keys_are_refused() -> None:
    ed = generate_key("EdDSA", rng(7))
    with pytest.raises(InputError, match="P-256"):
        create_root_ca(ed, name="x", not_before=T0, not_after=ROOT_UNTIL, rng=rng(8))
    with pytest.raises(InputError, match="P-256"):
        signer(subject=ed)


def test_x5c_is_standard_base64_leaf_first() -> None:
    leaf = signer()
    x5c = encode_x5c([leaf, ROOT])
    assert x5c == [base64.b64encode(leaf.der).decode(), base64.b64encode(ROOT.der).decode()]
    assert parse_x5c(x5c) == (leaf, ROOT)
    with pytest.raises(InputError):
        encode_x5c([])


def _url_safe_variant() -> str:
    """The leaf in base64url: differs from standard base64 whenever the DER has a '+' or '/' sextet."""
    for seed in range(50):
        text = base64.b64encode(signer(seed=seed).der).decode()
        if "+" in text or "/" in text:
            return text.replace("+", "-").replace("/", "_")
    raise AssertionError("no certificate with '+' or '/' in its base64")


@pytest.mark.parametrize(
    ("x5c", "message"),
    [
        (None, "non-empty array"),
        ("MIIB", "non-empty array"),
        ([], "non-empty array"),
        ([1], "must be a string"),
        (["not base64!"], "not standard base64"),
        (["AAAA AAAA"], "not standard base64"),
        (["AAA"], "not standard base64"),  # missing padding
        (["AAF="], "not canonical"),  # non-zero trailing bits
        ([_url_safe_variant()], "not standard base64"),
        (["AAAA"], "not a DER X.509 certificate"),
        ([base64.b64encode(b"\x30\x03\x02\x01\x01").decode()], "not a DER X.509 certificate"),
        (["A" * 5_468], "over 4096 bytes"),
    ],
)
def test_x5c_parsing_is_strict(x5c: object, message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        parse_x5c(x5c)


def test_x5c_trailing_bytes_and_too_many_certificates() -> None:
    leaf = signer()
    with pytest.raises(MalformedError, match="DER"):
        parse_x5c([base64.b64encode(leaf.der + b"\x00").decode()])
    with pytest.raises(MalformedError, match=f"at most {MAX_X5C_CERTS}"):
        parse_x5c(encode_x5c([leaf] * (MAX_X5C_CERTS + 1)))
