"""Path validation at the time of issuance, and SD-JWT VC credentials verified through ``X5cResolver``."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_x509_profiles import (
    AGENCY_KEY,
    COURT,
    GOV24,
    ROOT,
    ROOT_KEY,
    ROOT_UNTIL,
    SIGNER_UNTIL,
    T0,
    key,
    rng,
    signer,
)

from dojang.core.crypto import (
    SD_JWT_VC_ISSUANCE_EKU,
    TRUST_CHECK,
    Certificate,
    SigningKey,
    X5cResolver,
    check_issuer_id,
    check_not_revoked,
    create_root_ca,
    encode_x5c,
    parse_jws,
    validate_chain,
)
from dojang.core.sdjwt import issue, verify
from dojang.errors import InputError, MalformedError, VerificationError

AT = T0 + timedelta(days=100)
COURT_KEY = key(11)
GOV24_CERT = signer(GOV24, seed=12)
COURT_CERT = signer(COURT, subject=COURT_KEY, seed=13)
VCT = "https://dojang.example/kinds/resident-register-copy/1"


def credential(signing: SigningKey, x5c: Sequence[Any], *, iss: str = GOV24, at: datetime = AT) -> str:
    claims = {"iss": iss, "vct": VCT, "iat": int(at.timestamp()), "name": "홍길동", "birthdate": "1990-01-01"}
    return issue(claims, sd=[("name",), ("birthdate",)], key=signing, rng=rng(99), header={"x5c": list(x5c)})


def check(text: str, roots: Sequence[Certificate] = (ROOT,), **resolver: Any) -> dict[str, Any]:
    """Verify as a verifier would: ``at`` and ``iss`` come from the (then signature-checked) payload."""
    payload = parse_jws(text.split("~", 1)[0]).payload
    at = datetime.fromtimestamp(payload["iat"], UTC)
    options = {"at": at, "iss": payload["iss"], **resolver}
    return verify(text, issuer_key=X5cResolver(roots, **options), now=int(at.timestamp()) + 10).claims


def refused(match: str) -> AbstractContextManager[pytest.ExceptionInfo[VerificationError]]:
    return pytest.raises(VerificationError, match=match)


def test_two_agencies_issue_and_verify_end_to_end() -> None:
    gov24 = credential(AGENCY_KEY, encode_x5c([GOV24_CERT]))
    court = credential(COURT_KEY, encode_x5c([COURT_CERT]), iss=COURT)
    assert check(gov24)["name"] == "홍길동"
    assert check(court)["iss"] == COURT
    # The root may travel in the chain too; the trusted copy is still the one that counts.
    assert check(credential(AGENCY_KEY, encode_x5c([GOV24_CERT, ROOT])))["iss"] == GOV24
    assert validate_chain([GOV24_CERT], [ROOT], at=AT) == GOV24_CERT


def test_the_failure_names_the_trust_chain_check() -> None:
    other_root = create_root_ca(
        key(21), name="someone else", not_before=T0, not_after=ROOT_UNTIL, rng=rng(22)
    )
    with pytest.raises(VerificationError) as caught:
        check(credential(AGENCY_KEY, encode_x5c([GOV24_CERT])), roots=[other_root])
    assert caught.value.check == TRUST_CHECK == "trust-chain"
    assert caught.value.exit_code == 1


def test_leaf_from_another_root_of_the_same_name_is_refused() -> None:
    impostor_key = key(31)
    impostor = create_root_ca(
        impostor_key, name="행정안전부", not_before=T0, not_after=ROOT_UNTIL, rng=rng(32)
    )
    assert impostor.subject == ROOT.subject
    forged = signer(ca_key=impostor_key, ca=impostor, seed=33)
    with refused("broken signature"):
        check(credential(AGENCY_KEY, encode_x5c([forged])))


def test_leaf_from_an_unknown_root_is_refused() -> None:
    other_key = key(41)
    other = create_root_ca(other_key, name="다른 기관", not_before=T0, not_after=ROOT_UNTIL, rng=rng(42))
    leaf = signer(ca_key=other_key, ca=other, seed=43)
    with refused("unknown root: CN=dojang Root CA,O=다른 기관,C=KR"):
        check(credential(AGENCY_KEY, encode_x5c([leaf, other])))


def test_expired_at_issuance_time_is_refused_but_later_verification_is_fine() -> None:
    short = signer(not_after=T0 + timedelta(days=30), seed=51)
    with refused("had expired at 2025-04-11"):
        check(credential(AGENCY_KEY, encode_x5c([short])))
    # Signed while the certificate was valid: still verifies after it expires.
    assert validate_chain([short], [ROOT], at=T0 + timedelta(days=29)) == short


def test_not_yet_valid_at_issuance_time_is_refused() -> None:
    later = signer(not_before=T0 + timedelta(days=200), seed=52)
    with refused("not yet valid at 2025-04-11"):
        check(credential(AGENCY_KEY, encode_x5c([later])))


def test_root_not_valid_at_issuance_time_is_refused() -> None:
    with refused("expired|not valid"):
        validate_chain([GOV24_CERT], [ROOT], at=ROOT_UNTIL + timedelta(days=1))


def test_leaf_whose_san_is_not_the_iss_is_refused() -> None:
    with refused(r"subjectAltName URI 'https://gov24.example/agencies/jongno' does not match iss"):
        check(credential(AGENCY_KEY, encode_x5c([GOV24_CERT]), iss=COURT))
    with refused("does not match iss"):
        check_issuer_id(GOV24_CERT, None)
    check_issuer_id(GOV24_CERT, GOV24)


def test_ca_certificate_used_as_a_leaf_is_refused() -> None:
    with refused("a CA certificate cannot be a document signer"):
        check(credential(ROOT_KEY, encode_x5c([ROOT])))


def test_bit_flip_in_the_leaf_is_refused() -> None:
    x5c = encode_x5c([GOV24_CERT])
    der = bytearray(GOV24_CERT.der)
    flipped = 0
    for index in range(40, len(der), 23):  # through the names, key, extensions and signature
        der[index] ^= 0x01
        try:
            tampered = base64.b64encode(bytes(der)).decode()
            with pytest.raises((VerificationError, MalformedError)):
                check(credential(AGENCY_KEY, [tampered]))
            flipped += 1
        finally:
            der[index] ^= 0x01
    assert flipped > 20
    assert check(credential(AGENCY_KEY, x5c))["iss"] == GOV24


def test_bit_flip_in_the_signed_part_says_broken_signature() -> None:
    der = bytearray(GOV24_CERT.der)
    der[len(der) // 2] ^= 0x01  # inside the SubjectPublicKeyInfo or extensions of the TBS
    with pytest.raises((VerificationError, MalformedError), match=r"signature|DER|P-256|profile"):
        check(credential(AGENCY_KEY, [base64.b64encode(bytes(der)).decode()]))


def test_bad_base64_in_x5c_is_malformed() -> None:
    with pytest.raises(MalformedError, match=r"x5c\[0\] is not standard base64"):
        check(credential(AGENCY_KEY, ["%%%not-base64%%%"]))


def test_missing_x5c_is_refused() -> None:
    text = issue({"iss": GOV24, "vct": VCT, "iat": int(AT.timestamp())}, sd=[], key=AGENCY_KEY, rng=rng(1))
    with refused("no x5c"):
        check(text)


def test_another_agencys_certificate_with_this_key_fails_the_signature() -> None:
    with pytest.raises(VerificationError) as caught:
        check(credential(AGENCY_KEY, encode_x5c([COURT_CERT]), iss=COURT))
    assert caught.value.check == "signature"


def test_revoked_signer_is_refused_from_its_revocation_time_on() -> None:
    revoked = {GOV24_CERT.fingerprint: AT - timedelta(days=1)}
    text = credential(AGENCY_KEY, encode_x5c([GOV24_CERT]))
    with refused("was revoked at"):
        check(text, revoked=revoked)
    check_not_revoked(GOV24_CERT, revoked, at=AT - timedelta(days=2))
    check_not_revoked(COURT_CERT, revoked, at=AT)
    with refused("was revoked at"):
        check_not_revoked(GOV24_CERT, revoked, at=AT - timedelta(days=1))


def test_naive_times_and_empty_roots_are_usage_errors() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        validate_chain([GOV24_CERT], [ROOT], at=datetime(2025, 3, 1))
    with pytest.raises(InputError, match="root"):
        X5cResolver([], at=AT)
    with pytest.raises(MalformedError, match="empty"):
        validate_chain([], [ROOT], at=AT)


# --- general chains: an outside hierarchy with two intermediates, built with cryptography directly ---


def _ca(
    subject: str, key_: SigningKey, parent: tuple[x509.Name, SigningKey] | None, depth: int
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = parent or (name, key_)
    public = key_._key.public_key()
    issuer_private = issuer_key._key
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(issuer_private, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(depth + 1000)
        .not_valid_before(T0)
        .not_valid_after(ROOT_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=depth), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_private.public_key()), critical=False
        )
    )
    return builder.sign(issuer_private, hashes.SHA256())


def _cert(cert: x509.Certificate) -> Certificate:
    return Certificate(cert.public_bytes(serialization.Encoding.DER))


def test_intermediates_in_the_wrong_order_are_refused() -> None:
    top_key, mid_key, low_key = key(61), key(62), key(63)
    top = _ca("outside root", top_key, None, 2)
    mid = _ca("outside mid", mid_key, (top.subject, top_key), 1)
    low = _ca("outside low", low_key, (mid.subject, mid_key), 0)
    leaf = signer(ca_key=low_key, ca=_cert(low), seed=64)
    roots = [_cert(top)]
    assert validate_chain([leaf, _cert(low), _cert(mid)], roots, at=AT) == leaf
    with refused(r"x5c\[1\] \(CN=outside mid\) did not issue x5c\[0\]"):
        validate_chain([leaf, _cert(mid), _cert(low)], roots, at=AT)
    with refused(r"did not issue x5c\[0\]"):
        validate_chain([_cert(low), leaf, _cert(mid)], roots, at=AT)
    # Our own root is pathlen 0: an intermediate under it is refused by the path length limit.
    root_name = x509.load_der_x509_certificate(ROOT.der).subject
    rogue = _cert(_ca("rogue intermediate", key(65), (root_name, ROOT_KEY), 0))
    rogue_leaf = signer(ca_key=key(65), ca=rogue, seed=66)
    with refused("path length"):
        validate_chain([rogue_leaf, rogue], [ROOT], at=AT)


def test_leaf_without_our_extended_key_usage_is_refused() -> None:
    root = x509.load_der_x509_certificate(ROOT.der)
    private = ROOT_KEY._key
    public = AGENCY_KEY.public._key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert isinstance(public, ec.EllipticCurvePublicKey)

    def leaf(usages: list[x509.ObjectIdentifier], *, encipherment: bool = False) -> Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "tls client")]))
            .issuer_name(root.subject)
            .public_key(public)
            .serial_number(77)
            .not_valid_before(T0)
            .not_valid_after(SIGNER_UNTIL)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, encipherment, False, False, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(usages), critical=True)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(GOV24)]), critical=False
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(private.public_key()), False)
        )
        return _cert(builder.sign(private, hashes.SHA256()))

    ours = x509.ObjectIdentifier(SD_JWT_VC_ISSUANCE_EKU)
    with refused("extended key usage must be exactly SD-JWT VC issuance"):
        validate_chain([leaf([x509.ExtendedKeyUsageOID.CLIENT_AUTH])], [ROOT], at=AT)
    with refused("key usage must be digitalSignature only"):
        validate_chain([leaf([ours], encipherment=True)], [ROOT], at=AT)
    assert validate_chain([leaf([ours])], [ROOT], at=AT).subject == "CN=tls client"


def test_path_validation_speed() -> None:
    text = credential(AGENCY_KEY, encode_x5c([GOV24_CERT]))
    header = parse_jws(text.split("~", 1)[0]).header
    resolver = X5cResolver([ROOT], at=AT, iss=GOV24)
    n = 300
    start = time.perf_counter()
    for _ in range(n):
        resolver(header)
    rate = n / (time.perf_counter() - start)
    print(f"x5c resolve (parse + path validation + SAN check): {rate:,.0f} chains/s")
    assert rate > 300  # far below the measured ~7,000/s: catches a pathological slowdown only


def test_a_chain_validated_once_is_not_trusted_outside_its_validity_window() -> None:
    """Resolvers share one cache of validated chains per set of roots; it never widens validity."""
    short = signer(not_after=T0 + timedelta(days=30), seed=52)
    chain = encode_x5c([short])
    inside = X5cResolver([ROOT], at=T0 + timedelta(days=10))
    assert inside.leaf({"x5c": chain}) == short
    assert X5cResolver([ROOT], at=T0 + timedelta(days=20)).leaf({"x5c": chain}) == short  # from the cache
    with refused("had expired at"):
        X5cResolver([ROOT], at=T0 + timedelta(days=31)).leaf({"x5c": chain})
    with refused("not yet valid"):
        X5cResolver([ROOT], at=T0 - timedelta(days=1)).leaf({"x5c": chain})
