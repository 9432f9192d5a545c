"""Compact JWS: round trip, the algorithm allow-list, ``crit``, and the shape of the token."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from dojang.core.crypto import (
    ALLOWED_ALGS,
    SigningKey,
    VerifyKey,
    check_alg,
    generate_key,
    parse_jws,
    sign_jws,
    verify_jws,
)
from dojang.core.crypto._keys import Alg
from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json, loads_strict
from dojang.errors import AlgorithmError, HeaderError, MalformedError, SignatureError

ALGS: list[Alg] = ["ES256", "EdDSA"]


def key(alg: Alg, seed: int = 1) -> SigningKey:
    return generate_key(alg, random.Random(seed).randbytes)


def b64json(value: Any) -> str:
    return b64url_encode(canonical_json(value).encode("utf-8"))


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signer: SigningKey) -> str:
    """A JWS with exactly this header (``alg`` included), signed by ``signer`` whatever the header says."""
    signing_input = f"{b64json(header)}.{b64json(payload)}"
    return f"{signing_input}.{b64url_encode(signer.sign(signing_input.encode('ascii')))}"


@pytest.mark.parametrize("alg", ALGS)
def test_round_trip(alg: Alg) -> None:
    k = key(alg)
    token = sign_jws({"typ": "JWT", "kid": k.kid}, {"sub": "홍길동", "n": [1, 2]}, k)
    parts = parse_jws(token)
    assert parts.header == {"alg": alg, "typ": "JWT", "kid": k.kid}
    assert parts.payload == {"sub": "홍길동", "n": [1, 2]}
    assert parts.signing_input == token.rsplit(".", 1)[0].encode("ascii")
    verify_jws(parts, k.public)
    verify_jws(parts, lambda header: k.public)


def test_header_alg_comes_first_and_encoding_is_compact() -> None:
    k = key("ES256")
    token = sign_jws({"typ": "dc+sd-jwt"}, {"a": 1}, k)
    head, body, _ = token.split(".")
    assert b64url_decode(head) == b'{"alg":"ES256","typ":"dc+sd-jwt"}'
    assert b64url_decode(body) == b'{"a":1}'


def test_key_callable_sees_the_header() -> None:
    keys = {k.kid: k for k in (key("ES256", 1), key("ES256", 2))}
    k2 = keys[key("ES256", 2).kid]
    parts = parse_jws(sign_jws({"kid": k2.kid}, {}, k2))
    seen: list[Mapping[str, Any]] = []

    def choose(header: Mapping[str, Any]) -> VerifyKey:
        seen.append(header)
        return keys[header["kid"]].public

    verify_jws(parts, choose)
    assert seen == [parts.header]


@pytest.mark.parametrize("alg", ALGS)
def test_tampered_payload_fails_signature(alg: Alg) -> None:
    k = key(alg)
    head, _, sig = sign_jws({}, {"grade": "B"}, k).split(".")
    with pytest.raises(SignatureError):
        verify_jws(parse_jws(f"{head}.{b64json({'grade': 'A'})}.{sig}"), k.public)


@pytest.mark.parametrize("alg", ALGS)
def test_wrong_key_fails_signature(alg: Alg) -> None:
    parts = parse_jws(sign_jws({}, {"a": 1}, key(alg, 1)))
    with pytest.raises(SignatureError) as info:
        verify_jws(parts, key(alg, 2).public)
    assert info.value.check == "signature"


@pytest.mark.parametrize(
    "alg",
    [
        "none",
        "None",
        "NONE",
        "HS256",
        "RS256",
        "ES384",
        "PS256",
        "ES256K",
        "Ed25519",
        "",
        None,
        256,
        ["ES256"],
    ],
)
def test_disallowed_alg_is_refused(alg: Any) -> None:
    k = key("ES256")
    parts = parse_jws(forge({"alg": alg}, {"a": 1}, k))
    with pytest.raises(AlgorithmError) as info:
        verify_jws(parts, k.public)
    assert info.value.check == "algorithm"


def test_missing_alg_is_refused() -> None:
    k = key("ES256")
    parts = parse_jws(forge({"typ": "JWT"}, {"a": 1}, k))
    with pytest.raises(AlgorithmError):
        verify_jws(parts, k.public)


def test_alg_none_with_empty_signature_is_refused() -> None:
    token = f"{b64json({'alg': 'none'})}.{b64json({'admin': True})}."
    parts = parse_jws(token)
    assert parts.signature == b""
    with pytest.raises(AlgorithmError):
        verify_jws(parts, key("ES256").public)


def test_caller_allow_list_cannot_widen_ours() -> None:
    k = key("ES256")
    with pytest.raises(AlgorithmError):
        check_alg({"alg": "none"}, frozenset({"none", "ES256"}))
    with pytest.raises(AlgorithmError):
        check_alg({"alg": "HS256"}, frozenset({"HS256"}))
    assert check_alg({"alg": "ES256"}, frozenset({"ES256", "none"})) == "ES256"
    assert frozenset({"ES256", "EdDSA"}) == ALLOWED_ALGS
    parts = parse_jws(sign_jws({}, {}, k))
    verify_jws(parts, k.public, allowed_algs=frozenset({"ES256"}))


def test_caller_allow_list_can_narrow_ours() -> None:
    k = key("EdDSA")
    parts = parse_jws(sign_jws({}, {}, k))
    with pytest.raises(AlgorithmError):
        verify_jws(parts, k.public, allowed_algs=frozenset({"ES256"}))


@pytest.mark.parametrize(("signer_alg", "verifier_alg"), [("ES256", "EdDSA"), ("EdDSA", "ES256")])
def test_alg_key_mismatch_is_refused(signer_alg: Alg, verifier_alg: Alg) -> None:
    parts = parse_jws(sign_jws({}, {"a": 1}, key(signer_alg)))
    with pytest.raises(AlgorithmError):
        verify_jws(parts, key(verifier_alg).public)


def test_header_claiming_another_alg_than_the_key_is_refused() -> None:
    """An EdDSA signature presented as ES256 to an EdDSA key: the key decides, not the header."""
    ed = key("EdDSA")
    parts = parse_jws(forge({"alg": "ES256"}, {"a": 1}, ed))
    with pytest.raises(AlgorithmError):
        verify_jws(parts, ed.public)


@pytest.mark.parametrize("crit", [["exp"], [], "b64", ["b64"]])
def test_crit_is_refused(crit: Any) -> None:
    k = key("ES256")
    parts = parse_jws(sign_jws({"crit": crit, "b64": False}, {"a": 1}, k))
    with pytest.raises(HeaderError) as info:
        verify_jws(parts, k.public)
    assert info.value.check == "header"


@pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "...."])
def test_wrong_part_count_is_malformed(token: str) -> None:
    with pytest.raises(MalformedError):
        parse_jws(token)


def _valid() -> tuple[str, str, str]:
    head, body, sig = sign_jws({}, {"a": 1}, key("ES256")).split(".")
    return head, body, sig


@pytest.mark.parametrize("part", [0, 1, 2])
@pytest.mark.parametrize("bad", ["a+b/", "QQ==", "Q", "QR", "Qé", " QQ", "QQ\n", "QU.I"])
def test_bad_base64_in_any_part_is_malformed(part: int, bad: str) -> None:
    parts = list(_valid())
    parts[part] = bad
    with pytest.raises(MalformedError):
        parse_jws(".".join(parts))


@pytest.mark.parametrize(
    "raw", [b"[]", b'"alg"', b"1", b"null", b"true", b'{"alg":"ES256","alg":"ES256"}', b"{", b"\xff", b""]
)
@pytest.mark.parametrize("part", [0, 1])
def test_non_object_or_bad_json_header_and_payload_are_malformed(raw: bytes, part: int) -> None:
    parts = list(_valid())
    parts[part] = b64url_encode(raw)
    with pytest.raises(MalformedError):
        parse_jws(".".join(parts))


def test_parse_error_names_what() -> None:
    with pytest.raises(MalformedError, match="key binding JWT"):
        parse_jws("a.b", what="key binding JWT")


def test_parse_does_not_verify() -> None:
    """parse_jws is only the shape; a bad signature is caught by verify_jws."""
    head, body, _ = _valid()
    parts = parse_jws(f"{head}.{body}.{b64url_encode(bytes(64))}")
    assert loads_strict(b64url_decode(head)) == parts.header
    with pytest.raises(SignatureError):
        verify_jws(parts, key("ES256").public)
