"""Issuance: concealed claims leave the payload, digests are sorted and salted, decoys pad every ``_sd``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sdjwt_support import (
    CLAIMS,
    HOLDER,
    ISSUER,
    NOW,
    PLACES,
    SD,
    claims,
    credential,
    digest,
    rng,
)

from dojang.core.crypto import parse_jws
from dojang.core.encoding import b64url_decode, loads_strict
from dojang.core.sdjwt import NEVER_SELECTIVE, Disclosure, issue, parse, present, verify
from dojang.core.sdjwt._disclosure import encode_disclosure
from dojang.errors import InputError, MalformedError

# RFC 9901 §4.2.1 and §4.2.2: an object-property and an array-element disclosure with their digests.
RFC_PROPERTY = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
RFC_PROPERTY_DIGEST = "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
RFC_ELEMENT = "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0"
RFC_ELEMENT_DIGEST = "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"


def payload_of(sd_jwt: str) -> dict[str, Any]:
    return dict(parse_jws(sd_jwt.split("~", maxsplit=1)[0]).payload)


def decoded(sd_jwt: str) -> list[list[Any]]:
    return [loads_strict(b64url_decode(d)) for d in sd_jwt.split("~")[1:-1]]


def all_sd_arrays(value: Any) -> list[list[str]]:
    found: list[list[str]] = []
    if isinstance(value, dict):
        if "_sd" in value:
            found.append(value["_sd"])
        for sub in value.values():
            found.extend(all_sd_arrays(sub))
    elif isinstance(value, list):
        for sub in value:
            found.extend(all_sd_arrays(sub))
    return found


def test_rfc9901_disclosure_vectors() -> None:
    prop = Disclosure.from_encoded(RFC_PROPERTY)
    assert (prop.salt, prop.name, prop.value, prop.digest) == (
        "_26bc4LT-ac6q2KI6cBW5es",
        "family_name",
        "Möbius",
        RFC_PROPERTY_DIGEST,
    )
    element = Disclosure.from_encoded(RFC_ELEMENT)
    assert (element.salt, element.name, element.value, element.digest) == (
        "lklxF5jMYlGTPUovMNIvCA",
        None,
        "FR",
        RFC_ELEMENT_DIGEST,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'["salt"]',
        b'["salt", "a", "b", "c"]',
        b'[1, "name", "v"]',
        b'["salt", 5, "v"]',
        b'["salt", "_sd", "v"]',
        b'["salt", "...", "v"]',
        b'{"salt": "a"}',
        b'"salt"',
        b'["s", "a", "v", ]',
        b'["s", "a", NaN]',
    ],
)
def test_disclosure_shape_is_checked(raw: bytes) -> None:
    from dojang.core.encoding import b64url_encode

    with pytest.raises(MalformedError):
        Disclosure.from_encoded(b64url_encode(raw))


def test_round_trip_restores_every_claim() -> None:
    verified = verify(credential(), issuer_key=ISSUER.public, now=NOW)
    assert verified.claims == {**CLAIMS, "cnf": {"jwk": dict(HOLDER.public.jwk)}}
    assert len(verified.disclosures) == len(PLACES)


def test_concealed_values_are_not_in_the_payload() -> None:
    jwt = credential().split("~")[0]
    text = b64url_decode(jwt.split(".")[1]).decode("utf-8")
    for secret in ("홍길동", "1990-01-01", "세종대로", "서울", "04524", "김영희", "spouse", "child", "US"):
        assert secret not in text
    payload = payload_of(credential())
    assert set(payload) == {"iss", "vct", "iat", "exp", "members", "nationalities", "_sd", "_sd_alg", "cnf"}
    assert payload["_sd_alg"] == "sha-256"
    assert payload["cnf"] == {"jwk": dict(HOLDER.public.jwk)}


def test_array_elements_become_ellipsis_digests() -> None:
    sd_jwt = credential()
    payload = payload_of(sd_jwt)
    by_digest = {digest(d): loads_strict(b64url_decode(d)) for d in sd_jwt.split("~")[1:-1]}
    assert payload["nationalities"][0] == "KR"
    assert by_digest[payload["nationalities"][1]["..."]][1] == "US"
    members = payload["members"]
    assert [set(m) for m in members] == [{"..."}, {"..."}]
    first = by_digest[members[0]["..."]]
    assert len(first) == 2  # array-element disclosures carry no name
    assert first[1]["relation"] == "spouse"
    assert "name" not in first[1]  # recursively concealed inside the element
    (name_digest,) = first[1]["_sd"]
    assert by_digest[name_digest][1:] == ["name", "김영희"]


def test_recursive_disclosure_of_an_object() -> None:
    sd_jwt = credential()
    by_digest = {digest(d): loads_strict(b64url_decode(d)) for d in sd_jwt.split("~")[1:-1]}
    address = next(v for v in by_digest.values() if len(v) == 3 and v[1] == "address")[2]
    assert address["postal_code"] == "04524"
    assert {by_digest[d][1] for d in address["_sd"]} == {"street", "city"}


@pytest.mark.parametrize("decoys", [0, 1, 3])
def test_sd_arrays_hold_disclosed_plus_decoys_sorted(decoys: int) -> None:
    sd_jwt = credential(decoys=decoys)
    payload = payload_of(sd_jwt)
    digests = {digest(d) for d in sd_jwt.split("~")[1:-1]}
    arrays = all_sd_arrays(payload) + [a for d in decoded(sd_jwt) for a in all_sd_arrays(d[-1])]
    # top: name, birthdate, address; address: street, city; each member: name
    assert sorted(len(a) - decoys for a in arrays) == [1, 1, 2, 3]
    every = [x for a in arrays for x in a]
    assert len(every) == len(set(every))  # decoys never repeat and never collide with a digest
    assert sum(1 for x in every if x in digests) == 7
    for array in arrays:
        assert array == sorted(array)
        assert all(isinstance(x, str) and len(b64url_decode(x)) == 32 for x in array)
    assert verify(sd_jwt, issuer_key=ISSUER.public, now=NOW).claims["name"] == "홍길동"


def test_no_sd_array_where_nothing_is_concealed() -> None:
    sd_jwt = issue({"vct": "v", "a": {"b": 1}}, sd=[("a", "zz")], key=ISSUER, rng=rng(), decoys=2)
    assert payload_of(sd_jwt) == {"vct": "v", "a": {"b": 1}, "_sd_alg": "sha-256"}
    assert sd_jwt.endswith("~")
    assert sd_jwt.count("~") == 1


def test_salts_are_distinct_and_at_least_128_bits() -> None:
    salts = [d[0] for seed in range(5) for d in decoded(credential(seed=seed, decoys=2))]
    assert len(salts) == 5 * len(PLACES)
    assert len(set(salts)) == len(salts)
    for salt in salts:
        assert len(b64url_decode(salt)) >= 16


def test_salts_come_from_the_rng_only() -> None:
    assert decoded(credential(seed=1)) == decoded(credential(seed=1))
    assert [d[0] for d in decoded(credential(seed=1))] != [d[0] for d in decoded(credential(seed=2))]


def test_disclosures_encode_compact_utf8_json() -> None:
    for encoded in credential().split("~")[1:-1]:
        raw = b64url_decode(encoded)
        value = json.loads(raw)
        assert raw == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("name", sorted(NEVER_SELECTIVE))
def test_never_selective_claims_refused_at_issuance(name: str) -> None:
    with pytest.raises(InputError, match=name):
        issue({"vct": "v", name: "x"}, sd=[(name,)], key=ISSUER, rng=rng())


def test_never_selective_set_covers_sd_jwt_vc() -> None:
    assert {"iss", "nbf", "exp", "cnf", "vct", "status"} <= NEVER_SELECTIVE


def test_plain_sd_jwt_may_conceal_exp() -> None:
    sd_jwt = issue({"exp": 5, "a": 1}, sd=[("exp",)], key=ISSUER, rng=rng(), typ=None)
    assert "exp" not in payload_of(sd_jwt)
    assert "typ" not in parse_jws(sd_jwt.split("~")[0]).header


@pytest.mark.parametrize(
    "bad", [{"_sd": ["x"]}, {"...": 1}, {"a": {"_sd": []}}, {"a": [{"b": 1, "...": "x"}]}]
)
def test_reserved_claim_names_refused_where_claims_are_concealed(bad: dict[str, Any]) -> None:
    sd = [("a",), ("a", "b"), ("a", None), ("a", None, "b"), ("_sd",), ("...",)]
    with pytest.raises(InputError):
        issue({"vct": "v", **bad}, sd=sd, key=ISSUER, rng=rng())


@pytest.mark.parametrize(
    "bad",
    [
        {"a": [{"...": "x"}]},  # verify would read it as an undisclosed array element and drop it
        {"a": {"_sd": ["x"]}},  # verify would read it as a digest list and drop the member
        {"a": {"_sd": 5}},  # verify would refuse the credential outright
        {"a": {"b": [{"c": {"...": 1}}]}},
    ],
)
def test_reserved_claim_names_refused_at_any_depth(bad: dict[str, Any]) -> None:
    """RFC 9901 §4.2: `_sd` and `...` are reserved everywhere, not only next to a concealed claim.

    Otherwise the issuer signs a credential whose verified claims differ from what it issued.
    """
    with pytest.raises(InputError):
        issue({"vct": "v", "name": "x", **bad}, sd=[("name",)], key=ISSUER, rng=rng())


def test_whole_payload_cannot_be_a_disclosure() -> None:
    with pytest.raises(InputError):
        issue(claims(), sd=[()], key=ISSUER, rng=rng())


def test_exact_index_conceals_only_that_element() -> None:
    sd_jwt = issue({"vct": "v", "l": ["a", "b", "c"]}, sd=[("l", 1)], key=ISSUER, rng=rng())
    payload = payload_of(sd_jwt)
    assert payload["l"][0] == "a"
    assert payload["l"][2] == "c"
    assert set(payload["l"][1]) == {"..."}
    assert [d[1] for d in decoded(sd_jwt)] == ["b"]


def test_wildcard_and_exact_index_merge() -> None:
    value = {"vct": "v", "l": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}
    sd_jwt = issue(value, sd=[("l", None, "x"), ("l", 1, "y")], key=ISSUER, rng=rng())
    payload = payload_of(sd_jwt)
    assert payload["l"][0]["y"] == 2
    assert "y" not in payload["l"][1]
    assert len(payload["l"][1]["_sd"]) == 2
    assert sorted((d[1], d[2]) for d in decoded(sd_jwt)) == [("x", 1), ("x", 3), ("y", 4)]
    assert verify(sd_jwt, issuer_key=ISSUER.public, now=NOW).claims == value


def test_paths_to_absent_claims_conceal_nothing() -> None:
    sd_jwt = issue(
        {"vct": "v", "a": [1], "s": "x"}, sd=[("zz",), ("a", 5), ("s", "deeper")], key=ISSUER, rng=rng()
    )
    assert decoded(sd_jwt) == []


def test_header_and_holder_binding() -> None:
    sd_jwt = credential()
    header = parse_jws(sd_jwt.split("~")[0]).header
    assert header == {"alg": "ES256", "kid": ISSUER.kid, "typ": "dc+sd-jwt"}
    unbound = credential(holder=None)
    assert "cnf" not in payload_of(unbound)


def test_issue_does_not_modify_the_callers_claims() -> None:
    original = claims()
    issue(original, sd=SD, key=ISSUER, rng=rng(), decoys=1)
    assert original == CLAIMS


def test_parse_round_trips_an_issued_credential() -> None:
    sd_jwt = credential(decoys=1)
    parsed = parse(sd_jwt)
    assert parsed.kb_jwt is None
    assert parsed.serialize() == sd_jwt
    assert parsed.without_kb() == sd_jwt
    assert [d.encoded for d in parsed.disclosures] == sd_jwt.split("~")[1:-1]
    assert all(d.digest == digest(d.encoded) for d in parsed.disclosures)


# --- the random source ------------------------------------------------------------------------------


@pytest.mark.parametrize(("sd", "decoys"), [([("a",), ("b",)], 0), ([("a",)], 1)])
def test_a_repeating_random_source_is_refused(sd: list[Any], decoys: int) -> None:
    """Equal salts give equal decoys or linkable disclosures; a stuck RNG must not issue."""
    with pytest.raises(InputError):
        issue({"vct": "v", "a": 1, "b": 1}, sd=sd, key=ISSUER, rng=bytes, decoys=decoys)


def test_one_disclosure_from_a_constant_source_still_issues() -> None:
    """The check is for repetition within the credential; one salt cannot repeat."""
    issue({"vct": "v", "a": 1}, sd=[("a",)], key=ISSUER, rng=bytes)


# --- properties -------------------------------------------------------------------------------------

_BOUNDED = settings(max_examples=200, deadline=None)

_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
)
_values = st.recursive(
    _leaf,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["a", "b", "이름", "x y", '"q"', "\\", "\n", "_sd", "..."]), children, max_size=3
        )
    ),
    max_leaves=12,
)


@_BOUNDED
@given(
    name=st.one_of(st.none(), st.text(st.characters(exclude_categories=("Cs",)), max_size=12)), value=_values
)
def test_disclosure_text_is_compact_utf8_json(name: str | None, value: Any) -> None:
    """The issuance fast path must write exactly the JSON a general encoder writes, and parse back."""
    salt = "c2FsdHNhbHRzYWx0c2FsdHNh"
    encoded, d = encode_disclosure(salt, name, value)
    item = [salt, value] if name is None else [salt, name, value]
    expected = json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert b64url_decode(encoded).decode("utf-8") == expected
    assert d == digest(encoded)
    if name not in ("_sd", "..."):
        parsed = Disclosure.from_encoded(encoded)
        assert (parsed.salt, parsed.name, parsed.value) == (salt, name, value)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


@_BOUNDED
@given(
    body=st.dictionaries(st.sampled_from(["a", "b", "c", "_sd", "..."]), _values, max_size=4),
    data=st.data(),
    decoys=st.integers(0, 2),
)
def test_issue_then_verify_gives_back_the_claims(body: dict[str, Any], data: Any, decoys: int) -> None:
    """Whatever an issuer signs and whatever it conceals, verification restores exactly those claims.

    (Or issuance refuses with InputError: reserved names.)
    """
    value = {"vct": "v", **body}
    candidates = [p for p in _paths(value) if p != ("vct",)]
    sd = data.draw(st.lists(st.sampled_from(candidates), unique=True) if candidates else st.just([]))
    try:
        sd_jwt = issue(value, sd=sd, key=ISSUER, rng=rng(data.draw(st.integers(0, 2**32))), decoys=decoys)
    except InputError:
        return
    assert verify(sd_jwt, issuer_key=ISSUER.public, now=NOW).claims == value
    assert present(sd_jwt) == sd_jwt
