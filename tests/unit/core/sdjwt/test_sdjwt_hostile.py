"""Hostile input: whatever text reaches ``verify``, it returns or raises a DojangError, never anything else.

And no single-character change of a genuine presentation verifies.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sdjwt_support import (
    AUD,
    HOLDER,
    ISSUER,
    NONCE,
    NOW,
    b64json,
    credential,
    disclosure,
    expectation,
    rng,
)

from dojang.core.encoding import b64url_encode
from dojang.core.sdjwt import issue, parse, present, verify
from dojang.errors import (
    ClaimsError,
    DojangError,
    MalformedError,
    ValidityPeriodError,
    VerificationError,
)

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

SMALL = issue(
    {"vct": "v", "iat": NOW - 10, "a": "x", "l": [1, 2]},
    sd=[("a",), ("l", 1)],
    key=ISSUER,
    rng=rng(3),
    holder_jwk=HOLDER.public.jwk,
)
SMALL_PRESENTATION = present(SMALL, holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW)
FULL = present(credential(decoys=1), holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW)


def run(text: str, **kwargs: Any) -> None:
    """Verify; only a DojangError may escape (pytest reports anything else as the failure it is)."""
    with contextlib.suppress(DojangError):
        verify(text, issuer_key=ISSUER.public, now=NOW, **kwargs)


def signed_raw(payload_text: str, header: dict[str, Any] | None = None) -> str:
    """An issuer-signed JWT over exactly these payload bytes (which need not be what canonical_json makes)."""
    head = b64json(header or {"alg": "ES256", "typ": "dc+sd-jwt"})
    signing_input = f"{head}.{b64url_encode(payload_text.encode('utf-8'))}"
    return f"{signing_input}.{b64url_encode(ISSUER.sign(signing_input.encode('ascii')))}"


def test_the_genuine_presentations_verify() -> None:
    verify(SMALL_PRESENTATION, issuer_key=ISSUER.public, now=NOW, kb=expectation())
    verify(FULL, issuer_key=ISSUER.public, now=NOW, kb=expectation())


# --- arbitrary text ---------------------------------------------------------------------------------


@BOUNDED
@given(st.text(max_size=300))
@example("~")
@example("a.b.c~")
@example("e30.e30.~")
@example("W10~W10~")
def test_arbitrary_text(text: str) -> None:
    run(text)
    run(text, kb=expectation())


@BOUNDED
@given(st.text(alphabet=B64 + ".~ =+/", max_size=300))
def test_arbitrary_text_in_the_token_alphabet(text: str) -> None:
    run(text, kb=expectation())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["_sd", "...", "a", "vct", "cnf", "jwk", "exp", "typ"]), children, max_size=4
        )
    ),
    max_leaves=15,
)


@BOUNDED
@given(header=json_values, payload=json_values, disclosures=st.lists(json_values, max_size=3), kb=json_values)
def test_arbitrary_json_in_every_part(header: Any, payload: Any, disclosures: list[Any], kb: Any) -> None:
    """Well-formed base64 and JSON with any structure: the parser's type assumptions are all tested."""
    jwt = f"{b64json(header)}.{b64json(payload)}.{b64url_encode(bytes(64))}"
    parts = [jwt, *(b64json(d) for d in disclosures)]
    kb_jwt = f"{b64json(kb)}.{b64json(kb)}.AA"
    run("~".join([*parts, ""]))
    run("~".join([*parts, kb_jwt]), kb=expectation())


@BOUNDED
@given(payload=json_values, disclosures=st.lists(st.tuples(st.text(max_size=4), json_values), max_size=4))
def test_arbitrary_signed_payloads_and_disclosures(payload: Any, disclosures: list[tuple[str, Any]]) -> None:
    """Past the signature check: a validly signed payload of any shape, with disclosures it may reference."""
    encoded = [
        disclosure("c2FsdHNhbHRzYWx0" + str(i), name or None, value)[0]
        for i, (name, value) in enumerate(disclosures)
    ]
    jwt = signed_raw(json.dumps(payload))
    run("~".join([jwt, *encoded, ""]))
    run("~".join([jwt, *encoded, ""]), profile="sd-jwt")


@BOUNDED
@given(st.dictionaries(st.sampled_from(["iat", "aud", "nonce", "sd_hash", "cnf"]), json_values))
def test_arbitrary_kb_payloads_signed_by_the_holder(kb_claims: dict[str, Any]) -> None:
    """The holder is not trusted by the verifier: any KB-JWT it signs must fail cleanly or pass."""
    body = present(SMALL)
    head = b64json({"alg": "ES256", "typ": "kb+jwt"})
    signing_input = f"{head}.{b64json(kb_claims)}"
    kb = f"{signing_input}.{b64url_encode(HOLDER.sign(signing_input.encode('ascii')))}"
    run(body + kb, kb=expectation())
    run(body + kb)


# --- mutations of a genuine presentation ------------------------------------------------------------


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert~"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert."), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("byte"), st.integers(0, 10**6), st.integers(0, 255)),
)


def mutate(text: str, ops: list[tuple[str, int, int]]) -> str:
    for op, where, arg in ops:
        i = where % (len(text) + 1)
        if op == "flip" and text:
            i %= len(text)
            text = text[:i] + chr(ord(text[i]) ^ (1 << arg)) + text[i + 1 :]
        elif op == "truncate":
            text = text[:i]
        elif op == "insert~":
            text = text[:i] + "~" + text[i:]
        elif op == "insert.":
            text = text[:i] + "." + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "byte":
            text = text[:i] + chr(arg) + text[i:]
    return text


@BOUNDED
@given(st.lists(mutation, min_size=1, max_size=4), st.sampled_from([SMALL_PRESENTATION, FULL, SMALL]))
def test_mutations_of_a_genuine_presentation(ops: list[tuple[str, int, int]], genuine: str) -> None:
    mutated = mutate(genuine, ops)
    run(mutated)
    run(mutated, kb=expectation())


def _other_char(c: str) -> str:
    if c in B64:
        return B64[(B64.index(c) + 1) % len(B64)]
    return "A"


def test_every_single_character_change_of_a_presentation_is_refused() -> None:
    """Not a sample: every position of a small presentation, changed, deleted, and bit-flipped."""
    text = SMALL_PRESENTATION
    assert len(text) < 2_000
    accepted: list[tuple[int, str]] = []
    for i in range(len(text)):
        variants = {
            "change": text[:i] + _other_char(text[i]) + text[i + 1 :],
            "delete": text[:i] + text[i + 1 :],
            "flip": text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :],
        }
        for how, variant in variants.items():
            if variant == text:
                continue
            try:
                verify(variant, issuer_key=ISSUER.public, now=NOW, kb=expectation())
            except DojangError:
                continue
            accepted.append((i, how))
    assert accepted == []


def test_every_single_character_change_of_a_credential_is_refused() -> None:
    """The same for an issued credential without key binding, verified without a KB expectation."""
    text = SMALL
    accepted: list[int] = []
    for i in range(len(text)):
        variant = text[:i] + _other_char(text[i]) + text[i + 1 :]
        try:
            verify(variant, issuer_key=ISSUER.public, now=NOW)
        except DojangError:
            continue
        accepted.append(i)
    assert accepted == []


def test_removing_a_disclosure_from_a_bound_presentation_is_refused() -> None:
    jwt, d1, d2, kb = SMALL_PRESENTATION.split("~")
    for variant in (f"{jwt}~{d1}~{kb}", f"{jwt}~{d2}~{kb}", f"{jwt}~{d2}~{d1}~{kb}", f"{jwt}~{kb}"):
        with pytest.raises(VerificationError):
            verify(variant, issuer_key=ISSUER.public, now=NOW, kb=expectation())


# --- targeted hostile inputs that random text will not find -----------------------------------------


def test_huge_integer_in_an_unsigned_disclosure_is_malformed() -> None:
    """No signature protects a disclosure: its JSON reaches the parser from anyone."""
    encoded = b64url_encode(('["salt","a",' + "1" * 5000 + "]").encode("ascii"))
    with pytest.raises(MalformedError):
        verify(f"{SMALL.split('~')[0]}~{encoded}~", issuer_key=ISSUER.public, now=NOW)


def test_huge_integer_in_an_unsigned_header_is_malformed() -> None:
    head = b64url_encode(('{"alg":"ES256","x":' + "7" * 5000 + "}").encode("ascii"))
    _, body, sig = SMALL.split("~")[0].split(".")
    with pytest.raises(MalformedError):
        verify(f"{head}.{body}.{sig}~", issuer_key=ISSUER.public, now=NOW)


@pytest.mark.parametrize("depth", [50, 400, 600, 900, 5_000])
def test_deeply_nested_disclosure_is_refused_cleanly(depth: int) -> None:
    encoded = b64url_encode(('["salt","a",' + "[" * depth + "]" * depth + "]").encode("ascii"))
    with pytest.raises(DojangError):
        verify(f"{SMALL.split('~')[0]}~{encoded}~", issuer_key=ISSUER.public, now=NOW)


@pytest.mark.parametrize("depth", [50, 400, 600, 900])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_signed_payload_does_not_crash_verify(depth: int, open_: str, close: str) -> None:
    """Nesting the JSON parser accepts must not overflow the stack in the disclosure resolver."""
    jwt = signed_raw('{"vct":"v","deep":' + open_ * depth + "1" + close * depth + "}")
    run(f"{jwt}~")


@pytest.mark.parametrize("depth", [50, 400, 600, 900])
def test_deeply_nested_credential_does_not_crash_present(depth: int) -> None:
    jwt = signed_raw('{"vct":"v","deep":' + "[" * depth + "]" * depth + "}")
    with contextlib.suppress(DojangError):
        present(f"{jwt}~", disclose=[("deep",)])


@pytest.mark.parametrize(("name", "literal"), [("nbf", "1e999"), ("iat", "1e999"), ("exp", "-1e999")])
def test_times_that_overflow_to_infinity_fail_cleanly(name: str, literal: str) -> None:
    jwt = signed_raw(f'{{"vct":"v","{name}":{literal}}}')
    with pytest.raises((ValidityPeriodError, MalformedError)):
        verify(f"{jwt}~", issuer_key=ISSUER.public, now=NOW)


def test_lone_surrogates_do_not_crash() -> None:
    jwt = signed_raw('{"vct":"v","a":"\\ud800","_sd":["\\udfff"]}')
    encoded = b64url_encode(b'["\\ud800","\\udc00","\\ud800"]')
    run(f"{jwt}~{encoded}~")
    with pytest.raises(MalformedError):
        parse(f"{jwt}~\udc80~")


def test_non_ascii_anywhere_is_malformed() -> None:
    with pytest.raises(MalformedError):
        verify(SMALL[:-1] + "é~", issuer_key=ISSUER.public, now=NOW)


def test_vct_as_disclosed_claim_only_is_refused() -> None:
    encoded, d = disclosure("c2FsdHNhbHRzYWx0", "vct", "v")
    jwt = signed_raw(json.dumps({"_sd": [d]}))
    with pytest.raises(ClaimsError):
        verify(f"{jwt}~{encoded}~", issuer_key=ISSUER.public, now=NOW)
