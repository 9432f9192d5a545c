"""Presentation: the holder keeps what the recipient asked for, parents and children included."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sdjwt_support import (
    AUD,
    CLAIMS,
    HOLDER,
    ISSUER,
    NONCE,
    NOW,
    PLACES,
    base_payload,
    credential,
    digest,
    disclosure,
    expectation,
    forge,
)

from dojang.core.crypto import parse_jws
from dojang.core.sdjwt import ClaimPath, disclosure_paths, parse, present, verify
from dojang.errors import DojangError, InputError

ALWAYS_PLAIN = {"iss", "vct", "iat", "exp", "cnf"}


def places_kept(presentation: str) -> set[ClaimPath]:
    parsed = parse(presentation)
    paths = disclosure_paths(parse_jws(parsed.jwt).payload, parsed.disclosures)
    assert set(paths) == {d.digest for d in parsed.disclosures}  # every kept disclosure is reachable
    return set(paths.values())


def claims_seen(presentation: str) -> dict[str, Any]:
    claims = verify(presentation, issuer_key=ISSUER.public, now=NOW).claims
    return {k: v for k, v in claims.items() if k not in ALWAYS_PLAIN}


def test_disclosure_paths_of_an_issued_credential() -> None:
    issued = parse(credential(decoys=2))
    paths = disclosure_paths(parse_jws(issued.jwt).payload, issued.disclosures)
    assert set(paths.values()) == PLACES
    assert set(paths) == {d.digest for d in issued.disclosures}


def test_none_keeps_everything() -> None:
    sd_jwt = credential()
    assert present(sd_jwt) == sd_jwt
    assert present(sd_jwt, disclose=None) == sd_jwt


def test_empty_selection_keeps_nothing() -> None:
    presentation = present(credential(), disclose=[])
    assert parse(presentation).disclosures == ()
    assert claims_seen(presentation) == {"members": [], "nationalities": ["KR"]}


def test_child_brings_its_parents() -> None:
    presentation = present(credential(), disclose=[("address", "city")])
    assert places_kept(presentation) == {("address",), ("address", "city")}
    seen = claims_seen(presentation)
    assert seen["address"] == {"city": "서울", "postal_code": "04524"}
    assert "name" not in seen


def test_parent_brings_its_children() -> None:
    presentation = present(credential(), disclose=[("address",)])
    assert places_kept(presentation) == {("address",), ("address", "street"), ("address", "city")}
    assert claims_seen(presentation)["address"] == CLAIMS["address"]


def test_exact_array_index() -> None:
    presentation = present(credential(), disclose=[("members", 1, "name")])
    assert places_kept(presentation) == {("members", 1), ("members", 1, "name")}
    assert claims_seen(presentation)["members"] == [{"name": "홍민수", "relation": "child"}]


def test_array_wildcard() -> None:
    presentation = present(credential(), disclose=[("members", None, "relation")])
    # relation is plain inside each element, so only the elements are needed, not the names.
    assert places_kept(presentation) == {("members", 0), ("members", 1)}
    assert claims_seen(presentation)["members"] == [{"relation": "spouse"}, {"relation": "child"}]
    every = present(credential(), disclose=[("members", None)])
    assert claims_seen(every)["members"] == CLAIMS["members"]


def test_plain_array_element_disclosure() -> None:
    presentation = present(credential(), disclose=[("nationalities",)])
    assert places_kept(presentation) == {("nationalities", 1)}
    assert claims_seen(presentation)["nationalities"] == ["KR", "US"]


def test_several_paths() -> None:
    presentation = present(credential(decoys=2), disclose=[("name",), ("address", "street"), ("birthdate",)])
    assert places_kept(presentation) == {("name",), ("birthdate",), ("address",), ("address", "street")}


@pytest.mark.parametrize(
    "path",
    [("nope",), ("address", "country"), ("members", 5), ("members", 5, "name"), ("name", "deeper"), ("iss",)],
)
def test_unknown_paths_disclose_nothing(path: ClaimPath) -> None:
    """A path that names no claim must not reveal a concealed parent (and its plain members) either."""
    presentation = present(credential(), disclose=[path])
    assert places_kept(presentation) == set()


def test_presentation_keeps_the_issuer_jwt_byte_for_byte() -> None:
    sd_jwt = credential()
    presentation = present(sd_jwt, disclose=[("name",)])
    assert presentation.split("~")[0] == sd_jwt.split("~")[0]
    assert presentation.endswith("~")


def test_key_binding_jwt_fields() -> None:
    presentation = present(
        credential(), disclose=[("name",)], holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW
    )
    body, kb = presentation.rsplit("~", 1)
    parts = parse_jws(kb)
    assert parts.header == {"alg": "ES256", "typ": "kb+jwt"}
    assert parts.payload == {"iat": NOW, "aud": AUD, "nonce": NONCE, "sd_hash": digest(body + "~")}
    HOLDER.public.verify(parts.signing_input, parts.signature)
    verified = verify(presentation, issuer_key=ISSUER.public, now=NOW, kb=expectation())
    assert verified.kb_payload == parts.payload
    assert verified.claims["name"] == "홍길동"


@pytest.mark.parametrize("missing", ["aud", "nonce", "iat"])
def test_key_binding_needs_aud_nonce_and_iat(missing: str) -> None:
    args: dict[str, Any] = {"aud": AUD, "nonce": NONCE, "iat": NOW}
    del args[missing]
    with pytest.raises(InputError):
        present(credential(), holder_key=HOLDER, **args)


def test_cannot_present_a_presentation() -> None:
    bound = present(credential(), holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW)
    with pytest.raises(InputError):
        present(bound)


@pytest.mark.parametrize("bad_sd", [5, None, True, {"a": 1}, "abc", [1, [2]]])
def test_present_refuses_a_credential_with_a_broken_sd_array_cleanly(bad_sd: Any) -> None:
    """A wallet may be handed a malformed credential; present must fail with a DojangError, not crash."""
    encoded, _ = disclosure("c2FsdHNhbHRzYWx0", "name", "x")
    sd_jwt = forge(base_payload(_sd=bad_sd), [encoded])
    with contextlib.suppress(DojangError):
        present(sd_jwt, disclose=[("name",)])


@pytest.mark.parametrize("bad_item", [{"...": 5}, {"...": ["x"]}, {"...": None}])
def test_present_tolerates_odd_array_items(bad_item: Any) -> None:
    encoded, _ = disclosure("c2FsdHNhbHRzYWx0", None, "x")
    sd_jwt = forge(base_payload(l=[bad_item, 1]), [encoded])
    presentation = present(sd_jwt, disclose=[("l",)])
    assert parse(presentation).disclosures == ()
