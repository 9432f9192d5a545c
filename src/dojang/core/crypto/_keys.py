"""Signing and verification keys (ES256 on P-256, EdDSA on Ed25519), JWK, RFC 7638 thumbprints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json
from dojang.errors import ConfigError, MalformedError, SignatureError

__all__ = [
    "Alg",
    "Rng",
    "SigningKey",
    "VerifyKey",
    "generate_key",
    "jwk_thumbprint",
    "load_private_pem",
    "sha256",
    "signing_key_from_jwk",
    "verify_key_from_jwk",
]

#: A source of random bytes: ``rng(n)`` returns ``n`` bytes. Passed in, never owned by the core.
Rng = Callable[[int], bytes]
Alg = Literal["ES256", "EdDSA"]

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_COORD = 32


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) over the required members in lexicographic order."""
    kty = jwk.get("kty")
    if kty == "EC":
        members: tuple[str, ...] = ("crv", "kty", "x", "y")
    elif kty == "OKP":
        members = ("crv", "kty", "x")
    else:
        raise MalformedError(f"unsupported JWK key type {kty!r}")
    try:
        required = {name: jwk[name] for name in members}
    except KeyError as exc:
        raise MalformedError(f"JWK lacks member {exc.args[0]!r}") from None
    return b64url_encode(sha256(canonical_json(required).encode("utf-8")))


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A public key that checks signatures for exactly one algorithm."""

    alg: Alg
    jwk: Mapping[str, Any]
    _key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey = field(repr=False)

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint; computed on demand since holder keys are imported per presentation."""
        return jwk_thumbprint(self.jwk)

    def verify(self, data: bytes, signature: bytes) -> None:
        """Raise :class:`SignatureError` unless ``signature`` is this key's over ``data``."""
        try:
            if isinstance(self._key, ed25519.Ed25519PublicKey):
                self._key.verify(signature, data)
                return
            if len(signature) != 2 * _COORD:
                raise SignatureError("ES256 signature is not 64 bytes")
            r = int.from_bytes(signature[:_COORD], "big")
            s = int.from_bytes(signature[_COORD:], "big")
            self._key.verify(encode_dss_signature(r, s), data, _ECDSA_SHA256)
        except InvalidSignature:
            raise SignatureError(f"signature does not verify with key {self.kid}") from None

    def raw_public_bytes(self) -> bytes:
        """The raw public key (32 bytes for Ed25519, uncompressed point for P-256)."""
        if isinstance(self._key, ed25519.Ed25519PublicKey):
            return self._key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its algorithm and RFC 7638 ``kid``."""

    alg: Alg
    kid: str
    public: VerifyKey
    _key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = field(repr=False)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``; ES256 signatures are the 64-byte ``r || s`` form JWS uses."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        r, s = decode_dss_signature(self._key.sign(data, _ECDSA_SHA256))
        return r.to_bytes(_COORD, "big") + s.to_bytes(_COORD, "big")

    def private_pem(self, passphrase: bytes) -> bytes:
        """PKCS#8 PEM encrypted with ``passphrase``: how private keys rest on disk."""
        if not passphrase:
            raise ConfigError("a passphrase is required to store a private key")
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )

    def private_jwk(self) -> dict[str, Any]:
        """The private JWK (with ``d``); for export to another tool, never for the log."""
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            d = self._key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        else:
            d = self._key.private_numbers().private_value.to_bytes(_COORD, "big")
        return {**self.public.jwk, "d": b64url_encode(d)}


def _public_jwk(key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> dict[str, str]:
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(_COORD, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_COORD, "big")),
    }


def _verify_key(key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> VerifyKey:
    jwk = _public_jwk(key)
    alg: Alg = "EdDSA" if isinstance(key, ed25519.Ed25519PublicKey) else "ES256"
    return VerifyKey(alg=alg, jwk=jwk, _key=key)


def _signing_key(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> SigningKey:
    public = _verify_key(key.public_key())
    return SigningKey(alg=public.alg, kid=public.kid, public=public, _key=key)


def generate_key(alg: Alg, rng: Rng) -> SigningKey:
    """A new key from ``rng`` (deterministic for a deterministic source)."""
    if alg == "EdDSA":
        return _signing_key(ed25519.Ed25519PrivateKey.from_private_bytes(rng(32)))
    if alg == "ES256":
        # 64 bits of extra entropy make the modular bias negligible (FIPS 186-5 A.2.1).
        scalar = int.from_bytes(rng(40), "big") % (_P256_ORDER - 1) + 1
        return _signing_key(ec.derive_private_key(scalar, ec.SECP256R1()))
    raise ConfigError(f"unsupported algorithm {alg!r}")


def load_private_pem(pem: bytes, passphrase: bytes) -> SigningKey:
    """Load an encrypted PKCS#8 key written by :meth:`SigningKey.private_pem`."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot decrypt private key (wrong passphrase?): {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return _signing_key(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return _signing_key(key)
    raise ConfigError("stored key is neither P-256 nor Ed25519")


def _coordinate(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise MalformedError(f"JWK member {name!r} must be a string")
    raw = b64url_decode(value, what=f"JWK member {name!r}")
    if len(raw) != size:
        raise MalformedError(f"JWK member {name!r} must be {size} bytes")
    return raw


def signing_key_from_jwk(jwk: Any) -> SigningKey:
    """Import a private JWK (P-256 or Ed25519, with ``d``), e.g. a published test vector key."""
    public = verify_key_from_jwk(
        {k: v for k, v in jwk.items() if k != "d"} if isinstance(jwk, Mapping) else jwk
    )
    d = jwk.get("d") if isinstance(jwk, Mapping) else None
    if not isinstance(d, str):
        raise MalformedError("a private JWK needs the member 'd'")
    if public.alg == "EdDSA":
        private = _signing_key(ed25519.Ed25519PrivateKey.from_private_bytes(_coordinate(jwk, "d", 32)))
    else:
        scalar = int.from_bytes(_coordinate(jwk, "d", _COORD), "big")
        try:
            private = _signing_key(ec.derive_private_key(scalar, ec.SECP256R1()))
        except ValueError:
            raise MalformedError("JWK member 'd' is not a valid P-256 private scalar") from None
    if private.public.jwk != public.jwk:
        raise MalformedError("JWK member 'd' does not match the public key in 'x'/'y'")
    return private


def verify_key_from_jwk(jwk: Any) -> VerifyKey:
    """Import a public JWK (P-256 or Ed25519); private members are refused."""
    if not isinstance(jwk, Mapping):
        raise MalformedError("JWK must be a JSON object")
    if "d" in jwk:
        raise MalformedError("a public JWK must not contain the private member 'd'")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        point = b"\x04" + _coordinate(jwk, "x", _COORD) + _coordinate(jwk, "y", _COORD)
        try:
            ec_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            raise MalformedError("JWK point is not on P-256") from None
        return VerifyKey("ES256", {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}, ec_key)
    if kty == "OKP" and crv == "Ed25519":
        ed_key = ed25519.Ed25519PublicKey.from_public_bytes(_coordinate(jwk, "x", 32))
        return VerifyKey("EdDSA", {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}, ed_key)
    raise MalformedError(f"unsupported JWK (kty={kty!r}, crv={crv!r})")
