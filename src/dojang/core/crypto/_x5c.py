"""The JWS ``x5c`` header and path validation to the operator's root CA at the time of issuance.

Path building and the RFC 5280 checks are ``cryptography``'s verifier (``x509.verification``), with
the web PKI extension policies adapted to the document-signer profile (``docs/trust.md``); the checks
before and after it only make its refusals name what failed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509 import verification as pkix

from dojang.core.crypto._keys import VerifyKey
from dojang.core.crypto._x509 import (
    SD_JWT_VC_ISSUANCE_EKU,
    Certificate,
    b64_der,
    der_from_b64,
)
from dojang.errors import InputError, MalformedError, VerificationError

__all__ = [
    "MAX_X5C_CERTS",
    "MAX_X5C_CERT_BYTES",
    "TRUST_CHECK",
    "X5cResolver",
    "check_issuer_id",
    "check_not_revoked",
    "encode_x5c",
    "parse_x5c",
    "validate_chain",
]

#: The verdict line every refusal in this module names.
TRUST_CHECK = "trust-chain"
#: Our chains are a leaf (and perhaps the root); a few more leave room for other profiles, no more.
MAX_X5C_CERTS = 4
MAX_X5C_CERT_BYTES = 4096
_MAX_B64_CHARS = (MAX_X5C_CERT_BYTES + 2) // 3 * 4
_EKU_OID = x509.ObjectIdentifier(SD_JWT_VC_ISSUANCE_EKU)
_ENCOUNTERED = re.compile(r" \(encountered processing <Certificate\(subject=<Name\((.*?)\)>.*$")


def _refuse(message: str) -> VerificationError:
    return VerificationError(message, check=TRUST_CHECK)


def encode_x5c(chain: Sequence[Certificate]) -> list[str]:
    """The ``x5c`` header value: standard base64 DER, leaf first (RFC 7515 §4.1.6)."""
    if not chain:
        raise InputError("an x5c chain needs at least the leaf certificate")
    return [b64_der(cert) for cert in chain]


def parse_x5c(value: Any) -> tuple[Certificate, ...]:
    """Parse an ``x5c`` header strictly: a non-empty, short array of canonical base64 DER certificates."""
    if not isinstance(value, list) or not value:
        raise MalformedError("x5c must be a non-empty array of base64 certificates")
    if len(value) > MAX_X5C_CERTS:
        raise MalformedError(f"x5c has {len(value)} certificates; at most {MAX_X5C_CERTS} are accepted")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise MalformedError(f"x5c[{index}] must be a string")
        if len(item) > _MAX_B64_CHARS:
            raise MalformedError(f"x5c[{index}] is over {MAX_X5C_CERT_BYTES} bytes")
    return _parse_strings(tuple(value))


# An agency's chain is the same in millions of credentials: parse it (and derive its key) once. At
# most 1024 chains of at most 4 x 4 KiB stay cached; failures are not cached.
@functools.lru_cache(maxsize=1024)
def _parse_strings(items: tuple[str, ...]) -> tuple[Certificate, ...]:
    return tuple(Certificate(der_from_b64(item, what=f"x5c[{i}]")) for i, item in enumerate(items))


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InputError("the validation time must be timezone-aware")
    return at.astimezone(UTC)


def _eku(_policy: pkix.Policy, _cert: x509.Certificate, eku: x509.ExtendedKeyUsage) -> None:
    if list(eku) != [_EKU_OID]:
        raise ValueError(f"extended key usage must be exactly SD-JWT VC issuance ({SD_JWT_VC_ISSUANCE_EKU})")


def _key_usage(_policy: pkix.Policy, _cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    others = (
        usage.content_commitment,
        usage.key_encipherment,
        usage.data_encipherment,
        usage.key_agreement,
        usage.key_cert_sign,
        usage.crl_sign,
    )
    if not usage.digital_signature or any(others):
        raise ValueError("key usage must be digitalSignature only")


# The web PKI end-entity policy, with two changes for a document signer: our extended key usage
# (critical, exactly one purpose) instead of serverAuth/clientAuth, and keyUsage required.
_EE_POLICY = (
    pkix.ExtensionPolicy.webpki_defaults_ee()
    .require_present(x509.ExtendedKeyUsage, pkix.Criticality.CRITICAL, _eku)
    .require_present(x509.KeyUsage, pkix.Criticality.CRITICAL, _key_usage)
)
_CA_POLICY = pkix.ExtensionPolicy.webpki_defaults_ca()


_VALIDATED_CACHE = 1024


class _Anchors:
    """The trusted roots, with the verifier's store built once and the chains it validated.

    Path validation depends only on the certificates, the roots, the policy and the time, and the
    time only through each certificate's validity window; so a chain validated once is valid at any
    time inside the intersection of the windows of its built path, and only then is it reused.
    """

    def __init__(self, roots: Sequence[Certificate]) -> None:
        if not roots:
            raise InputError("at least one trusted root certificate is needed")
        self.roots = tuple(roots)
        self.subjects = {root._cert.subject for root in self.roots}
        self.store = pkix.Store([root._cert for root in self.roots])
        self._validated: dict[tuple[bytes, ...], tuple[Certificate, datetime, datetime]] = {}

    def validate(self, chain: Sequence[Certificate], at: datetime) -> Certificate:
        if not chain:
            raise MalformedError("the x5c chain is empty")
        at = _utc(at)
        key = tuple(cert.der for cert in chain)
        known = self._validated.get(key)
        if known is not None and known[1] <= at <= known[2]:
            return known[0]
        leaf, path = self._validate(chain, at)
        if len(self._validated) >= _VALIDATED_CACHE:
            self._validated.clear()
        start = max(cert.not_valid_before_utc for cert in path)
        end = min(cert.not_valid_after_utc for cert in path)
        self._validated[key] = (leaf, start, end)
        return leaf

    def _validate(
        self, chain: Sequence[Certificate], at: datetime
    ) -> tuple[Certificate, list[x509.Certificate]]:
        """Full validation; the leaf and the path built up to the root."""
        leaf = chain[0]
        _check_order(chain)
        _check_leaf_times(leaf, at)
        top = chain[-1]._cert
        if top.issuer not in self.subjects:
            raise _refuse(f"unknown root: {top.issuer.rfc4514_string()} is not a trusted root CA")
        verifier = (
            pkix.PolicyBuilder()
            .store(self.store)
            .time(at.replace(tzinfo=None))
            .max_chain_depth(MAX_X5C_CERTS)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        try:
            built = verifier.verify(leaf._cert, [cert._cert for cert in chain[1:]])
        except pkix.VerificationError as exc:
            raise _refuse(_explain(str(exc), at)) from None
        if not all(
            cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
            for cert in built.chain
        ):
            raise _refuse("every certificate of the chain must be signed with ECDSA-SHA256")
        try:
            leaf.public_key  # noqa: B018 - the property refuses keys other than P-256
        except MalformedError as exc:
            raise _refuse(exc.message) from None
        return leaf, list(built.chain)


@functools.lru_cache(maxsize=16)
def _anchors_for(roots: tuple[Certificate, ...]) -> _Anchors:
    """One store (and one cache of validated chains) per set of trusted roots, shared by resolvers."""
    return _Anchors(roots)


def _check_order(chain: Sequence[Certificate]) -> None:
    """RFC 7515 §4.1.6: each certificate is followed by the one that certified it."""
    for index in range(len(chain) - 1):
        child, parent = chain[index], chain[index + 1]
        try:
            child._cert.verify_directly_issued_by(parent._cert)
        except (ValueError, TypeError, InvalidSignature):  # wrong issuer name, key type or signature
            raise _refuse(
                f"x5c[{index + 1}] ({parent.subject}) did not issue x5c[{index}] ({child.subject}):"
                " the chain must be leaf first, each certificate followed by its issuer"
            ) from None


def _check_leaf_times(leaf: Certificate, at: datetime) -> None:
    if at < leaf.not_before:
        raise _refuse(
            f"document-signer certificate {leaf.subject} is not yet valid at {at.isoformat()}"
            f" (valid from {leaf.not_before.isoformat()})"
        )
    if at > leaf.not_after:
        raise _refuse(
            f"document-signer certificate {leaf.subject} had expired at {at.isoformat()}"
            f" (valid until {leaf.not_after.isoformat()})"
        )


def _explain(reason: str, at: datetime) -> str:
    """The verifier's reason in our words: what failed, and on which certificate."""
    reason = reason.removeprefix("validation failed: ")
    found = _ENCOUNTERED.search(reason)
    where = f" (certificate {found.group(1)})" if found else ""
    reason = _ENCOUNTERED.sub("", reason).removeprefix("Python extension validator failed: ValueError: ")
    if "not valid at validation time" in reason:
        return f"a CA certificate of the chain is not valid at {at.isoformat()}{where}"
    if "candidates exhausted" in reason or "signature" in reason:
        return f"broken signature: no trusted root's key verifies the chain ({reason}){where}"
    if "basicConstraints.cA" in reason:
        return f"a CA certificate cannot be a document signer{where}"
    return f"wrong certificate profile: {reason}{where}"


def validate_chain(
    x5c_chain: Sequence[Certificate], roots: Sequence[Certificate], *, at: datetime
) -> Certificate:
    """Validate the chain (leaf first) to one of ``roots`` at time ``at``; return the leaf.

    ``at`` is the time of issuance: a credential stays verifiable after its signer's certificate
    expires, and a signer cannot sign before its certificate starts.
    """
    return _Anchors(roots).validate(x5c_chain, at)


def check_issuer_id(leaf: Certificate, iss: Any) -> None:
    """The credential's ``iss`` is the issuer id the certificate was issued for (its SAN URI)."""
    if leaf.issuer_id is None or leaf.issuer_id != iss:
        raise _refuse(f"the certificate's subjectAltName URI {leaf.issuer_id!r} does not match iss {iss!r}")


def check_not_revoked(cert: Certificate, revoked: Mapping[str, datetime], *, at: datetime) -> None:
    """Refuse ``cert`` if the operator revoked it (``revoked``: fingerprint → time) at or before ``at``.

    A revocation time is when the key stopped being trustworthy; credentials signed before it stay valid.
    """
    since = revoked.get(cert.fingerprint)
    if since is not None and _utc(at) >= _utc(since):
        raise _refuse(f"document-signer certificate {cert.subject} was revoked at {since.isoformat()}")


class X5cResolver:
    """An issuer-key resolver for ``sdjwt.verify``: the key of the ``x5c`` leaf, once its chain validates.

    ``at`` is the time of issuance (the credential's ``iat``); with ``iss``, the leaf must be issued for
    that issuer id; with ``revoked``, the leaf must not have been revoked by then.
    """

    def __init__(
        self,
        roots: Sequence[Certificate],
        *,
        at: datetime,
        iss: str | None = None,
        revoked: Mapping[str, datetime] | None = None,
    ) -> None:
        self._anchors = _anchors_for(tuple(roots))
        self.at = _utc(at)
        self.iss = iss
        self.revoked = revoked or {}

    def leaf(self, header: Mapping[str, Any]) -> Certificate:
        """The validated leaf certificate named by the header's ``x5c``."""
        if "x5c" not in header:
            raise _refuse("the header has no x5c certificate chain")
        leaf = self._anchors.validate(parse_x5c(header["x5c"]), self.at)
        if self.iss is not None:
            check_issuer_id(leaf, self.iss)
        check_not_revoked(leaf, self.revoked, at=self.at)
        return leaf

    def __call__(self, header: Mapping[str, Any]) -> VerifyKey:
        return self.leaf(header).public_key
