"""Keys, JWK, JWS: the only part of dojang that imports ``cryptography``."""

from dojang.core.crypto._jws import ALLOWED_ALGS, JwsParts, check_alg, parse_jws, sign_jws, verify_jws
from dojang.core.crypto._keys import (
    Rng,
    SigningKey,
    VerifyKey,
    generate_key,
    jwk_thumbprint,
    load_private_pem,
    sha256,
    signing_key_from_jwk,
    verify_key_from_jwk,
)

__all__ = [
    "ALLOWED_ALGS",
    "JwsParts",
    "Rng",
    "SigningKey",
    "VerifyKey",
    "check_alg",
    "generate_key",
    "jwk_thumbprint",
    "load_private_pem",
    "parse_jws",
    "sha256",
    "sign_jws",
    "signing_key_from_jwk",
    "verify_jws",
    "verify_key_from_jwk",
]
