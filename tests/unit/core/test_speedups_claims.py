"""The C claim walks and JSON text give exactly what the Python paths give, and leave them the rest."""

from __future__ import annotations

import json
import random
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dojang.core import _speedups
from dojang.core.crypto import generate_key, parse_jws, sign_jws
from dojang.core.encoding import b64url_encode, canonical_json
from dojang.core.sdjwt import _disclosure, _issue, _verify, issue, parse, verify
from dojang.core.sdjwt._disclosure import Disclosure
from dojang.core.sdjwt._issue import _Concealer
from dojang.core.sdjwt._paths import ClaimPath, PathTree
from dojang.core.sdjwt._verify import _Resolver
from dojang.errors import DisclosureError, InputError, MalformedError

JSON_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "\x00\x1f\x7f", '"\\/', "\b\f\n\r\t", "홍길동", "\u2028\u2029", "😀", "_sd", "..."]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | JSON_TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=25,
)
CLAIMS = st.dictionaries(JSON_TEXT.filter(lambda k: k not in {"_sd", "..."}), VALUES, max_size=6)


def seeded(seed: int) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


# ---- JSON text ----


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_json_b64url_is_canonical_json(value: Any) -> None:
    assert _speedups.json_b64url(value) == b64url_encode(canonical_json(value).encode("utf-8"))


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        [1, float("inf")],
        {1: "non-str key"},
        "lone \ud800 surrogate",
        type("Text", (str,), {})("a str subclass"),
        {"a": {1, 2}},
        b"bytes",
    ],
)
def test_json_b64url_leaves_the_unusual_to_python(value: Any) -> None:
    assert _speedups.json_b64url(value) is None


def test_json_b64url_gives_up_on_cycles_and_depth_instead_of_crashing() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    deep: Any = 0
    for _ in range(10_000):
        deep = [deep]
    assert _speedups.json_b64url(cycle) is None
    assert _speedups.json_b64url(deep) is None


# ---- issuance: concealment ----


def places(value: Any, prefix: ClaimPath = ()) -> Iterator[ClaimPath]:
    """Every claim path in value: keys, indices and the wildcard."""
    if isinstance(value, dict):
        for name, sub in value.items():
            yield (*prefix, name)
            yield from places(sub, (*prefix, name))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            for step in (index, None):
                yield (*prefix, step)
                yield from places(sub, (*prefix, step))


def python_conceal(claims: dict[str, Any], tree: PathTree, rng: Any, decoys: int) -> tuple[Any, list[str]]:
    concealer = _Concealer(rng, decoys)
    return concealer.object(claims, tree), concealer.disclosures


@settings(max_examples=300, deadline=None)
@given(CLAIMS, st.data(), st.integers(0, 3), st.integers(0, 2**32))
def test_conceal_is_the_python_walk_salt_for_salt(
    claims: dict[str, Any], data: st.DataObject, decoys: int, seed: int
) -> None:
    every = sorted(set(places(claims)), key=repr)
    chosen = data.draw(st.lists(st.sampled_from(every), unique=True) if every else st.just([]))
    tree = PathTree.of(chosen)
    try:
        expected = python_conceal(claims, tree, seeded(seed), decoys)
    except InputError:  # a reserved name inside a plain value: the C walk must leave it to Python
        assert _speedups.conceal(claims, tree, seeded(seed), decoys) is None
        return
    assert _speedups.conceal(claims, tree, seeded(seed), decoys) == expected


def household() -> dict[str, Any]:
    return {
        "address": {"road": "세종대로 110", "city": "서울특별시"},
        "members": [
            {"name": "김민준", "rrn": "900101-1234567", "relation": "본인"},
            {"name": "이서연", "rrn": "920202-2345678", "relation": "배우자"},
        ],
        "head": "김민준",
    }


SD_PATHS: list[ClaimPath] = [
    ("address",),
    ("address", "road"),
    ("members",),
    ("members", None),
    ("members", None, "name"),
    ("members", None, "rrn"),
    ("members", 1),
    ("members", 1, "relation"),
]


def test_conceal_merges_an_exact_index_with_the_wildcard_like_python() -> None:
    tree = PathTree.of(SD_PATHS)
    expected = python_conceal(household(), tree, seeded(7), 2)
    assert _speedups.conceal(household(), tree, seeded(7), 2) == expected


@pytest.mark.parametrize(
    "claims",
    [
        {"plain": {"_sd": ["a digest someone smuggled in"]}},
        {"plain": [{"...": "x"}]},
        {"_sd": []},
        {1: "non-str name"},
        {"address": types.MappingProxyType({"road": "x"})},
        {"when": object()},
    ],
)
def test_conceal_leaves_what_python_must_refuse_or_decide_to_python(claims: dict[Any, Any]) -> None:
    tree = PathTree.of([("address", "road"), ("when",)])
    assert _speedups.conceal(claims, tree, seeded(1), 0) is None


def test_a_repeating_random_source_is_refused_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key("ES256", seeded(2))

    def stuck(n: int) -> bytes:
        return bytes(n)

    for native in (_issue._c_conceal, None):
        monkeypatch.setattr(_issue, "_c_conceal", native)
        with pytest.raises(InputError, match="repeated a salt"):
            issue(household(), sd=SD_PATHS, key=key, rng=stuck)


def test_conceal_takes_the_python_path_for_a_random_source_returning_other_types() -> None:
    tree = PathTree.of(SD_PATHS)
    assert _speedups.conceal(household(), tree, bytearray, 0) is None
    assert _speedups.conceal(household(), tree, lambda n: b"short", 0) is None


def test_conceal_passes_on_the_random_sources_own_error() -> None:
    def broken(_n: int) -> bytes:
        raise OSError("no entropy")

    with pytest.raises(OSError, match="no entropy"):
        _speedups.conceal(household(), PathTree.of(SD_PATHS), broken, 0)


def test_deep_claims_fall_back_and_issue_like_python() -> None:
    deep: Any = "leaf"
    for _ in range(150):
        deep = {"d": deep}
    tree = PathTree.of([("x",), ("x", *(["d"] * 150))])
    assert _speedups.conceal({"x": deep}, tree, seeded(3), 0) is None
    key = generate_key("ES256", seeded(3))
    assert issue({"x": deep}, sd=[("x",)], key=key, rng=seeded(3), typ=None).count("~") == 2


# ---- verification: disclosures and digest resolution ----


def presented(claims: dict[str, Any], sd: list[ClaimPath], seed: int, keep: float) -> str:
    key = generate_key("ES256", seeded(seed))
    text = issue(claims, sd=sd, key=key, rng=seeded(seed), decoys=1, typ=None)
    jwt, *parts, _ = text.split("~")
    kept = [p for p in parts if random.Random(seed).random() < keep or not parts]
    return "~".join([jwt, *kept, ""])


@settings(max_examples=200, deadline=None)
@given(CLAIMS, st.data(), st.integers(0, 2**32), st.floats(0, 1))
def test_resolve_is_the_python_resolver(
    claims: dict[str, Any], data: st.DataObject, seed: int, keep: float
) -> None:
    every = sorted(set(places(claims)), key=repr)
    chosen = data.draw(st.lists(st.sampled_from(every), unique=True) if every else st.just([]))
    try:
        sd = parse(presented(claims, chosen, seed, keep))
    except InputError:
        assume(False)  # reserved names: nothing to present
    payload = parse_jws(sd.jwt).payload
    resolver = _Resolver(sd.disclosures)
    expected = (
        resolver.object(dict(payload), top=True),
        resolver.from_disclosure,
        len(resolver.seen & resolver.by_digest.keys()),
    )
    assert _speedups.resolve(dict(payload), sd.disclosures) == expected


def disclosure(salt: str, *rest: Any) -> Disclosure:
    return Disclosure.from_encoded(b64url_encode(json.dumps([salt, *rest]).encode()))


@pytest.mark.parametrize(
    ("payload", "disclosures"),
    [
        ({"_sd": "not a list"}, ()),
        ({"_sd": [1]}, ()),
        ({"a": [{"...": "d", "extra": 1}]}, ()),
        ({"_sd": ["same", "same"]}, ()),
        ({"a": 1, "_sd": ["{D}"]}, ("a", 2)),
        ({"_sd": ["{D}"]}, (3,)),
        ({"list": [{"...": "{D}"}]}, ("name", 4)),
    ],
)
def test_resolve_leaves_every_refusal_to_python(
    payload: dict[str, Any], disclosures: tuple[Any, ...]
) -> None:
    found = (disclosure("salt-salt-salt-salt", *disclosures),) if disclosures else ()
    text = json.dumps(payload).replace("{D}", found[0].digest if found else "")
    assert _speedups.resolve(json.loads(text), found) is None


def test_resolve_leaves_non_str_names_to_python() -> None:
    assert _speedups.resolve({1: "not from JSON"}, ()) is None


def test_resolve_leaves_a_repeated_disclosure_to_python() -> None:
    d = disclosure("salt-salt-salt-salt", "a", 1)
    assert _speedups.resolve({"_sd": [d.digest]}, (d, d)) is None


@pytest.mark.parametrize(
    "item",
    [[], ["salt"], ["s", "n", 1, 2], [1, "n", 2], ["s", 5, 1], ["s", "_sd", 1], ["s", "...", 1], {"a": 1}],
)
def test_build_disclosures_leaves_malformed_ones_to_python(item: Any) -> None:
    assert _speedups.build_disclosures(Disclosure, ["x"], ["d"], [item]) is None


def test_build_disclosures_builds_what_from_item_builds() -> None:
    items = [["s1", "name", {"a": [1]}], ["s2", "element"]]
    built = _speedups.build_disclosures(Disclosure, ["e1", "e2"], ["d1", "d2"], items)
    assert built == tuple(map(Disclosure.from_item, ["e1", "e2"], ["d1", "d2"], items))
    assert built is not None
    assert all(type(d) is Disclosure for d in built)
    assert built[1].name is None
    assert built[0].value == {"a": [1]}


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"_sd": "not a list"}, DisclosureError),
        ({"_sd": ["x", "x"]}, DisclosureError),
        ({"a": [{"...": "x", "b": 1}]}, DisclosureError),
    ],
)
def test_verify_names_the_same_failure_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, payload: dict[str, Any], error: type[Exception]
) -> None:
    key = generate_key("ES256", seeded(5))
    text = sign_jws({"typ": "dc+sd-jwt"}, {"vct": "urn:x", **payload}, key) + "~"
    messages = []
    for native in (_verify._c_resolve, None):
        monkeypatch.setattr(_verify, "_c_resolve", native)
        with pytest.raises(error) as caught:
            verify(text, issuer_key=key.public, now=0)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_malformed_disclosures_are_named_on_the_c_path() -> None:
    key = generate_key("ES256", seeded(6))
    jwt = sign_jws({"typ": "dc+sd-jwt"}, {"vct": "urn:x"}, key)
    bad = b64url_encode(b'["salt", "_sd", 1]')
    with pytest.raises(MalformedError, match="claim name"):
        verify(f"{jwt}~{bad}~", issuer_key=key.public, now=0)
    assert _disclosure._speedups is _speedups
