"""Keys, JWK, JWS, X.509 issuer certificates: the only part of dojang that imports ``cryptography``."""

from dojang.core.crypto._aead import AEAD_KEY_BYTES, derive_key, open_sealed, seal
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
from dojang.core.crypto._x5c import (
    MAX_X5C_CERT_BYTES,
    MAX_X5C_CERTS,
    TRUST_CHECK,
    X5cResolver,
    check_issuer_id,
    check_not_revoked,
    encode_x5c,
    parse_x5c,
    validate_chain,
)
from dojang.core.crypto._x509 import (
    DOJANG_OID_ARC,
    SD_JWT_VC_ISSUANCE_EKU,
    Certificate,
    create_root_ca,
    issue_document_signer,
)

__all__ = [
    "AEAD_KEY_BYTES",
    "ALLOWED_ALGS",
    "DOJANG_OID_ARC",
    "MAX_X5C_CERTS",
    "MAX_X5C_CERT_BYTES",
    "SD_JWT_VC_ISSUANCE_EKU",
    "TRUST_CHECK",
    "Certificate",
    "JwsParts",
    "Rng",
    "SigningKey",
    "VerifyKey",
    "X5cResolver",
    "check_alg",
    "check_issuer_id",
    "check_not_revoked",
    "create_root_ca",
    "derive_key",
    "encode_x5c",
    "generate_key",
    "issue_document_signer",
    "jwk_thumbprint",
    "load_private_pem",
    "open_sealed",
    "parse_jws",
    "parse_x5c",
    "seal",
    "sha256",
    "sign_jws",
    "signing_key_from_jwk",
    "validate_chain",
    "verify_jws",
    "verify_key_from_jwk",
]
