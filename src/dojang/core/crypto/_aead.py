"""Authenticated encryption at rest: AES-256-GCM with a random 96-bit nonce, keys derived with scrypt."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from dojang.core.crypto._keys import Rng
from dojang.errors import ConfigError, MalformedError

__all__ = ["AEAD_KEY_BYTES", "derive_key", "open_sealed", "seal"]

AEAD_KEY_BYTES = 32
_NONCE = 12
_VERSION = b"\x01"
# scrypt cost: ~50 ms and 32 MiB once per command that opens a wallet (RFC 7914 interactive-use range).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def derive_key(passphrase: bytes, salt: bytes) -> bytes:
    """A 256-bit key from a passphrase and a salt (scrypt): the same inputs give the same key."""
    if not passphrase or len(salt) < 16:
        raise ConfigError("deriving a key needs a passphrase and a salt of at least 16 bytes")
    kdf = Scrypt(salt=salt, length=AEAD_KEY_BYTES, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(passphrase)


def seal(key: bytes, plaintext: bytes, *, aad: bytes, rng: Rng) -> bytes:
    """``version || nonce || ciphertext+tag``; ``aad`` (e.g. the record's id) is bound but not stored."""
    nonce = rng(_NONCE)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, *, aad: bytes) -> bytes:
    """The plaintext of :func:`seal`'s output; MalformedError when it was altered or the key is wrong."""
    if len(sealed) < 1 + _NONCE + 16 or sealed[:1] != _VERSION:
        raise MalformedError("sealed data is truncated or of an unknown version")
    try:
        return AESGCM(key).decrypt(sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :], aad)
    except InvalidTag:
        raise MalformedError("sealed data does not open: altered, or another key") from None
