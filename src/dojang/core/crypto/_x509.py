"""X.509 certificates of the issuer trust: the operator's root CA and each agency's document signer.

The two profiles are documented in ``docs/trust.md``. Creation is pure: keys, validity dates and the
random source for serial numbers are passed in, and ECDSA signatures are deterministic (RFC 6979),
so the same inputs give the same certificate bytes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from dojang.core.crypto._keys import Rng, SigningKey, VerifyKey, _verify_key, sha256
from dojang.core.encoding import b64url_encode
from dojang.errors import InputError, MalformedError

__all__ = [
    "DOJANG_OID_ARC",
    "SD_JWT_VC_ISSUANCE_EKU",
    "Certificate",
    "create_root_ca",
    "issue_document_signer",
]

#: dojang's own OID arc: a UUID arc (ITU-T X.667, ``2.25.<uuid as integer>``), which needs no
#: registration; the UUID 708dfd13-b894-4c6f-ad83-af2013499427 was drawn once for dojang.
DOJANG_OID_ARC = "2.25.149610782397053323892863641246549775399"
#: Extended key usage "sign SD-JWT VC credentials" (arc .1 = key purposes, .1 = this purpose).
SD_JWT_VC_ISSUANCE_EKU = f"{DOJANG_OID_ARC}.1.1"
_EKU_OID = x509.ObjectIdentifier(SD_JWT_VC_ISSUANCE_EKU)
ROOT_COMMON_NAME = "dojang Root CA"
_SERIAL_BYTES = 20  # RFC 5280 §4.1.2.2: at most 20 octets; the top bit is cleared to keep it positive
_ECDSA_SHA256 = SignatureAlgorithmOID.ECDSA_WITH_SHA256


@dataclass(frozen=True, slots=True)
class Certificate:
    """A DER-encoded X.509 certificate, parsed once on construction (malformed bytes are refused)."""

    der: bytes
    _cert: x509.Certificate = field(init=False, repr=False, compare=False)
    # Derived values a verifier asks for on every credential: computed once per certificate.
    _memo: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            cert = x509.load_der_x509_certificate(self.der)
        except ValueError as exc:
            raise MalformedError(f"not a DER X.509 certificate: {exc}") from None
        if cert.version is not x509.Version.v3:
            raise MalformedError("only X.509 v3 certificates are accepted")
        object.__setattr__(self, "_cert", cert)
        object.__setattr__(self, "_memo", {})

    @classmethod
    def from_pem(cls, pem: bytes | str) -> Certificate:
        """One PEM ``CERTIFICATE`` block, e.g. the root CA file of a trust directory."""
        data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise MalformedError(f"not a PEM X.509 certificate: {exc}") from None
        return cls(cert.public_bytes(serialization.Encoding.DER))

    def to_pem(self) -> str:
        return self._cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def subject(self) -> str:
        """The subject name as an RFC 4514 string (``CN=...,C=KR``)."""
        return self._cert.subject.rfc4514_string()

    @property
    def issuer(self) -> str:
        """The issuer name as an RFC 4514 string."""
        return self._cert.issuer.rfc4514_string()

    @property
    def issuer_id(self) -> str | None:
        """The agency's issuer id (``iss``): the certificate's one subjectAltName URI, if it has one."""
        if "issuer_id" not in self._memo:
            try:
                san = self._cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                uris = san.get_values_for_type(x509.UniformResourceIdentifier)
            except x509.ExtensionNotFound:
                uris = []
            self._memo["issuer_id"] = uris[0] if len(uris) == 1 else None
        issuer_id: str | None = self._memo["issuer_id"]
        return issuer_id

    @property
    def not_before(self) -> datetime:
        return self._cert.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self._cert.not_valid_after_utc

    @property
    def serial_number(self) -> int:
        return self._cert.serial_number

    @property
    def is_ca(self) -> bool:
        try:
            return self._cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            return False

    @property
    def signed_with_es256(self) -> bool:
        """Signed with ECDSA over SHA-256, the only certificate signature our profiles use."""
        return self._cert.signature_algorithm_oid == _ECDSA_SHA256

    @property
    def public_key(self) -> VerifyKey:
        """The subject's key as an ES256 :class:`VerifyKey`; other key types are refused."""
        if "public_key" not in self._memo:
            key = self._cert.public_key()
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
                raise MalformedError(f"certificate {self.subject} does not hold a P-256 key")
            self._memo["public_key"] = _verify_key(key)
        public: VerifyKey = self._memo["public_key"]
        return public

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER, base64url: the JOSE ``x5t#S256`` value (RFC 7515 §4.1.8)."""
        if "fingerprint" not in self._memo:
            self._memo["fingerprint"] = b64url_encode(sha256(self.der))
        fingerprint: str = self._memo["fingerprint"]
        return fingerprint


def _aware(when: datetime, what: str) -> datetime:
    if when.tzinfo is None:
        raise InputError(f"{what} must be timezone-aware")
    return when.astimezone(UTC)


def _serial(rng: Rng) -> int:
    # 159 random bits: far above the 64 bits CA/Browser Forum rules ask for, never zero in practice.
    serial = int.from_bytes(rng(_SERIAL_BYTES), "big") >> 1
    if serial == 0:
        raise InputError("the random source gave a zero serial number (is it really random?)")
    return serial


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public: VerifyKey,
    *,
    not_before: datetime,
    not_after: datetime,
    rng: Rng,
) -> x509.CertificateBuilder:
    start, end = _aware(not_before, "not_before"), _aware(not_after, "not_after")
    if end <= start:
        raise InputError("not_after must be later than not_before")
    if not isinstance(public._key, ec.EllipticCurvePublicKey):
        raise InputError("dojang certificates hold P-256 keys only")
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public._key)
        .serial_number(_serial(rng))
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public._key), critical=False)
    )


def _sign(builder: x509.CertificateBuilder, key: SigningKey) -> Certificate:
    if not isinstance(key._key, ec.EllipticCurvePrivateKey):
        raise InputError("dojang certificates are signed with P-256 keys only")
    cert = builder.sign(key._key, hashes.SHA256(), ecdsa_deterministic=True)
    return Certificate(cert.public_bytes(serialization.Encoding.DER))


def _key_usage(*, digital_signature: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def create_root_ca(
    key: SigningKey,
    *,
    name: str,
    not_before: datetime,
    not_after: datetime,
    rng: Rng,
    common_name: str = ROOT_COMMON_NAME,
) -> Certificate:
    """The operator's self-signed root: ``CN=<common_name>, O=<name>, C=KR``, CA with pathlen 0."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        _builder(subject, subject, key.public, not_before=not_before, not_after=not_after, rng=rng)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
    )
    return _sign(builder, key)


def _check_issuer_id(issuer_id: str) -> None:
    parts = urlsplit(issuer_id)
    if parts.scheme != "https" or not parts.netloc or not issuer_id.isascii() or " " in issuer_id:
        raise InputError(f"issuer id {issuer_id!r} must be an absolute https URI")


def issue_document_signer(
    ca_key: SigningKey,
    ca_cert: Certificate,
    subject_key: VerifyKey,
    *,
    agency_name: str,
    issuer_id: str,
    not_before: datetime,
    not_after: datetime,
    rng: Rng,
) -> Certificate:
    """An agency's document-signer certificate, issued by the root: the key that signs its credentials."""
    _check_issuer_id(issuer_id)
    if not ca_cert.is_ca or ca_cert.public_key.jwk != ca_key.public.jwk:
        raise InputError("ca_cert must be the CA certificate of ca_key")
    if not (ca_cert.not_before <= _aware(not_before, "not_before") < ca_cert.not_after):
        raise InputError("the document signer must start within the root CA's validity")
    if _aware(not_after, "not_after") > ca_cert.not_after:
        raise InputError("the document signer must not outlive the root CA")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.COMMON_NAME, agency_name),
        ]
    )
    ca_public = ca_cert._cert.public_key()
    assert isinstance(ca_public, ec.EllipticCurvePublicKey)  # checked through public_key above
    builder = (
        _builder(
            subject, ca_cert._cert.subject, subject_key, not_before=not_before, not_after=not_after, rng=rng
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([_EKU_OID]), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(issuer_id)]), critical=False
        )
    )
    return _sign(builder, ca_key)


def b64_der(cert: Certificate) -> str:
    """Standard base64 with padding (not base64url): the encoding of one ``x5c`` element."""
    return base64.b64encode(cert.der).decode("ascii")


def der_from_b64(text: str, *, what: str) -> bytes:
    """Strict standard base64: padding required, no whitespace, no non-canonical trailing bits."""
    try:
        raw = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedError(f"{what} is not standard base64 (RFC 4648 §4)") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedError(f"{what} is not canonical standard base64")
    return raw
