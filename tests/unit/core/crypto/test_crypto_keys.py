"""Keys: ES256 and EdDSA signatures, deterministic generation, RFC 7638 thumbprints, JWK import, PEM."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from dojang.core.crypto import (
    SigningKey,
    generate_key,
    jwk_thumbprint,
    load_private_pem,
    sha256,
    signing_key_from_jwk,
    verify_key_from_jwk,
)
from dojang.core.crypto._keys import Alg
from dojang.core.encoding import b64url_decode, b64url_encode
from dojang.errors import ConfigError, MalformedError, SignatureError

ALGS: list[Alg] = ["ES256", "EdDSA"]
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1

# RFC 8037 Appendix A.1 (private and public Ed25519 key), A.3 (its thumbprint), A.4 (a signature).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_SIGNING_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
# RFC 7517 Appendix A.1, the public P-256 key.
RFC7517_EC = {
    "kty": "EC",
    "crv": "P-256",
    "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
    "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
}


def key(alg: Alg, seed: int = 1) -> SigningKey:
    return generate_key(alg, random.Random(seed).randbytes)


def _independent_thumbprint(jwk: dict[str, Any], members: tuple[str, ...]) -> str:
    required = {name: jwk[name] for name in members}
    text = json.dumps(required, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --- sign and verify --------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_sign_verify_round_trip(alg: Alg) -> None:
    k = key(alg)
    signature = k.sign(b"hello")
    assert len(signature) == 64
    k.public.verify(b"hello", signature)


@pytest.mark.parametrize("alg", ALGS)
def test_every_flipped_signature_bit_is_refused(alg: Alg) -> None:
    k = key(alg)
    data = b"the registry says so"
    signature = k.sign(data)
    for bit in range(len(signature) * 8):
        with pytest.raises(SignatureError):
            k.public.verify(data, _flip_bit(signature, bit))


@pytest.mark.parametrize("alg", ALGS)
def test_every_flipped_data_bit_is_refused(alg: Alg) -> None:
    k = key(alg)
    data = b"a short message"
    signature = k.sign(data)
    for bit in range(len(data) * 8):
        with pytest.raises(SignatureError):
            k.public.verify(_flip_bit(data, bit), signature)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("length", [0, 1, 63, 65, 128])
def test_wrong_signature_length_is_a_signature_error(alg: Alg, length: int) -> None:
    k = key(alg)
    with pytest.raises(SignatureError):
        k.public.verify(b"x", b"\x01" * length)


@pytest.mark.parametrize("alg", ALGS)
def test_another_keys_signature_is_refused(alg: Alg) -> None:
    with pytest.raises(SignatureError):
        key(alg, 2).public.verify(b"x", key(alg, 1).sign(b"x"))


def test_es256_zero_and_order_sized_scalars_are_refused() -> None:
    k = key("ES256")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    r_s = k.sign(b"x")
    r, s = r_s[:32], int.from_bytes(r_s[32:], "big")
    for bad in (
        bytes(64),
        r + bytes(32),
        r + order.to_bytes(32, "big"),
        r + (s + order).to_bytes(33, "big")[1:],
    ):
        with pytest.raises(SignatureError):
            k.public.verify(b"x", bad)


def test_es256_signature_is_raw_r_s_over_sha256() -> None:
    """JWS ES256 is r || s, not DER; check it against cryptography's own verifier."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    k = key("ES256")
    signature = k.sign(b"data")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), k.public.raw_public_bytes())
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, b"data", ec.ECDSA(hashes.SHA256()))


def test_rfc8037_ed25519_signature_vector() -> None:
    k = generate_key("EdDSA", lambda n: b64url_decode(RFC8037_D))
    assert k.public.jwk == {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}
    assert b64url_encode(k.sign(RFC8037_SIGNING_INPUT)) == RFC8037_SIGNATURE
    verify_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}).verify(
        RFC8037_SIGNING_INPUT, b64url_decode(RFC8037_SIGNATURE)
    )


# --- generation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_generate_key_is_deterministic_for_a_seeded_rng(alg: Alg) -> None:
    a, b = key(alg, 7), key(alg, 7)
    assert a.kid == b.kid
    assert a.private_jwk() == b.private_jwk()
    assert key(alg, 8).kid != a.kid


@pytest.mark.parametrize("alg", ALGS)
def test_generated_key_shape(alg: Alg) -> None:
    k = key(alg)
    assert k.alg == k.public.alg == alg
    assert k.kid == k.public.kid == jwk_thumbprint(k.public.jwk)
    assert "d" not in k.public.jwk
    assert "d" in k.private_jwk()
    assert {n: v for n, v in k.private_jwk().items() if n != "d"} == k.public.jwk
    assert "_key" not in repr(k)


def test_es256_scalar_uses_40_bytes_and_is_nonzero() -> None:
    calls: list[int] = []

    def zeros(n: int) -> bytes:
        calls.append(n)
        return bytes(n)

    k = generate_key("ES256", zeros)
    assert calls == [40]
    # scalar 0 mod (n-1), plus 1: the key is the generator point itself.
    gen_x = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
    assert b64url_decode(k.public.jwk["x"]) == gen_x.to_bytes(32, "big")


def test_eddsa_uses_32_rng_bytes_as_the_seed() -> None:
    seed = bytes(range(32))
    k = generate_key("EdDSA", lambda n: seed[:n])
    expected = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key()
    assert k.public.raw_public_bytes() == expected.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def test_generate_key_refuses_other_algorithms() -> None:
    with pytest.raises(ConfigError):
        generate_key("RS256", random.Random(0).randbytes)  # type: ignore[arg-type]


# --- thumbprints ------------------------------------------------------------------------------------


def test_rfc8037_ed25519_thumbprint() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}
    assert jwk_thumbprint(jwk) == RFC8037_THUMBPRINT
    assert verify_key_from_jwk(jwk).kid == RFC8037_THUMBPRINT
    assert generate_key("EdDSA", lambda n: b64url_decode(RFC8037_D)).kid == RFC8037_THUMBPRINT


def test_ec_thumbprint_matches_an_independent_computation() -> None:
    expected = _independent_thumbprint(RFC7517_EC, ("crv", "kty", "x", "y"))
    assert jwk_thumbprint(RFC7517_EC) == expected
    # Extra members and member order do not change a thumbprint (RFC 7638 §3.2).
    shuffled = {"y": RFC7517_EC["y"], "use": "sig", "kid": "k1", **RFC7517_EC, "alg": "ES256"}
    assert jwk_thumbprint(shuffled) == expected
    assert verify_key_from_jwk(shuffled).kid == expected


@pytest.mark.parametrize("seed", range(5))
def test_generated_ec_thumbprints_match_independent_computation(seed: int) -> None:
    k = key("ES256", seed)
    assert k.kid == _independent_thumbprint(dict(k.public.jwk), ("crv", "kty", "x", "y"))


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"crv": "P-256", "x": "a", "y": "b"},
        {"kty": "EC", "crv": "P-256", "x": "a"},
        {"kty": "OKP", "crv": "Ed25519"},
    ],
)
def test_thumbprint_refuses_unsupported_or_incomplete(jwk: dict[str, str]) -> None:
    with pytest.raises(MalformedError):
        jwk_thumbprint(jwk)


def test_sha256() -> None:
    assert sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- JWK import -------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_jwk_round_trip(alg: Alg) -> None:
    k = key(alg)
    imported = verify_key_from_jwk(dict(k.public.jwk))
    assert imported.alg == alg
    assert imported.kid == k.kid
    assert imported.raw_public_bytes() == k.public.raw_public_bytes()
    imported.verify(b"m", k.sign(b"m"))


def test_jwk_import_keeps_only_required_members() -> None:
    jwk = {**RFC7517_EC, "kid": "x", "use": "sig"}
    assert dict(verify_key_from_jwk(jwk).jwk) == RFC7517_EC


@pytest.mark.parametrize("alg", ALGS)
def test_jwk_import_refuses_private_member(alg: Alg) -> None:
    with pytest.raises(MalformedError, match="'d'"):
        verify_key_from_jwk(key(alg).private_jwk())


def _p256_jwk(k: SigningKey, **changes: str) -> dict[str, Any]:
    return {**k.public.jwk, **changes}


def test_jwk_import_refuses_off_curve_point() -> None:
    k = key("ES256")
    y = int.from_bytes(b64url_decode(k.public.jwk["y"]), "big")
    bad_y = b64url_encode(((y + 1) % P256_P).to_bytes(32, "big"))
    with pytest.raises(MalformedError):
        verify_key_from_jwk(_p256_jwk(k, y=bad_y))


def test_jwk_import_refuses_unreduced_coordinate() -> None:
    k = key("ES256")
    x = int.from_bytes(b64url_decode(k.public.jwk["x"]), "big")
    if x + P256_P < 2**256:
        with pytest.raises(MalformedError):
            verify_key_from_jwk(_p256_jwk(k, x=b64url_encode((x + P256_P).to_bytes(32, "big"))))
    with pytest.raises(MalformedError):
        verify_key_from_jwk(_p256_jwk(k, x=b64url_encode(b"\xff" * 32)))


@pytest.mark.parametrize(
    ("member", "raw"),
    [("x", bytes(31)), ("x", bytes(33)), ("y", b"\x01" * 31), ("y", b"\x01" * 33), ("x", b""), ("y", b"")],
)
def test_jwk_import_refuses_wrong_coordinate_length(member: str, raw: bytes) -> None:
    k = key("ES256")
    with pytest.raises(MalformedError):
        verify_key_from_jwk(_p256_jwk(k, **{member: b64url_encode(raw)}))


@pytest.mark.parametrize("size", [31, 33, 0])
def test_jwk_import_refuses_wrong_ed25519_length(size: int) -> None:
    with pytest.raises(MalformedError):
        verify_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(b"\x01" * size)})


@pytest.mark.parametrize(
    "jwk",
    [
        {**RFC7517_EC, "crv": "P-384"},
        {**RFC7517_EC, "crv": "secp256k1"},
        {**RFC7517_EC, "kty": "OKP"},
        {"kty": "OKP", "crv": "X25519", "x": RFC8037_X},
        {"kty": "OKP", "crv": "Ed448", "x": RFC8037_X},
        {"kty": "EC", "crv": "Ed25519", "x": RFC8037_X},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "oct", "k": "AQAB"},
        {},
    ],
)
def test_jwk_import_refuses_wrong_curve_or_type(jwk: dict[str, str]) -> None:
    with pytest.raises(MalformedError):
        verify_key_from_jwk(jwk)


@pytest.mark.parametrize(
    "jwk",
    [
        None,
        "a string",
        ["kty", "EC"],
        {**RFC7517_EC, "x": 5},
        {**RFC7517_EC, "y": None},
        {k: v for k, v in RFC7517_EC.items() if k != "y"},
        {**RFC7517_EC, "x": RFC7517_EC["x"] + "="},
        {**RFC7517_EC, "x": "+" + RFC7517_EC["x"][1:]},
        {"kty": "OKP", "crv": "Ed25519", "x": 12},
        {"kty": "OKP", "crv": "Ed25519"},
    ],
)
def test_jwk_import_refuses_malformed(jwk: Any) -> None:
    with pytest.raises(MalformedError):
        verify_key_from_jwk(jwk)


# --- encrypted PEM ----------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_encrypted_pem_round_trip(alg: Alg) -> None:
    k = key(alg)
    pem = k.private_pem(b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = load_private_pem(pem, b"correct horse")
    assert loaded.alg == alg
    assert loaded.kid == k.kid
    assert loaded.private_jwk() == k.private_jwk()
    k.public.verify(b"m", loaded.sign(b"m"))


@pytest.mark.parametrize("alg", ALGS)
def test_wrong_passphrase_is_config_error(alg: Alg) -> None:
    pem = key(alg).private_pem(b"correct horse")
    with pytest.raises(ConfigError):
        load_private_pem(pem, b"battery staple")
    with pytest.raises(ConfigError):
        load_private_pem(pem, b"")


@pytest.mark.parametrize("alg", ALGS)
def test_empty_passphrase_is_refused_when_storing(alg: Alg) -> None:
    with pytest.raises(ConfigError):
        key(alg).private_pem(b"")


def test_unencrypted_pem_is_refused() -> None:
    raw = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigError):
        load_private_pem(raw, b"pass")


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP256K1()])
def test_pem_of_another_curve_is_refused(curve: ec.EllipticCurve) -> None:
    pem = ec.generate_private_key(curve).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    )
    with pytest.raises(ConfigError):
        load_private_pem(pem, b"pass")


@pytest.mark.parametrize("pem", [b"", b"not a pem", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"])
def test_garbage_pem_is_config_error(pem: bytes) -> None:
    with pytest.raises(ConfigError):
        load_private_pem(pem, b"pass")


# --- private JWK import -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_round_trip(alg: Alg) -> None:
    k = key(alg)
    imported = signing_key_from_jwk(k.private_jwk())
    assert imported.kid == k.kid
    assert imported.private_jwk() == k.private_jwk()
    k.public.verify(b"m", imported.sign(b"m"))


def test_rfc8037_private_jwk() -> None:
    imported = signing_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X})
    assert imported.kid == RFC8037_THUMBPRINT
    assert b64url_encode(imported.sign(RFC8037_SIGNING_INPUT)) == RFC8037_SIGNATURE


@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_with_another_keys_d_is_refused(alg: Alg) -> None:
    mixed = {**key(alg, 1).private_jwk(), "d": key(alg, 2).private_jwk()["d"]}
    with pytest.raises(MalformedError):
        signing_key_from_jwk(mixed)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("d", [None, 5, "", "AA", "Q", b64url_encode(bytes(31)), b64url_encode(bytes(33))])
def test_private_jwk_with_bad_d_is_refused(alg: Alg, d: Any) -> None:
    jwk = {**key(alg).private_jwk(), "d": d}
    if d is None:
        del jwk["d"]
    with pytest.raises(MalformedError):
        signing_key_from_jwk(jwk)


@pytest.mark.parametrize(
    "d", [bytes(32), (0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551).to_bytes(32, "big")]
)
def test_private_jwk_with_out_of_range_p256_scalar_is_refused(d: bytes) -> None:
    jwk = {**key("ES256").private_jwk(), "d": b64url_encode(d)}
    with pytest.raises(MalformedError):
        signing_key_from_jwk(jwk)


@pytest.mark.parametrize("jwk", [None, "jwk", [], {"kty": "RSA", "d": "AQAB"}, {"d": RFC8037_D}])
def test_private_jwk_malformed(jwk: Any) -> None:
    with pytest.raises(MalformedError):
        signing_key_from_jwk(jwk)
