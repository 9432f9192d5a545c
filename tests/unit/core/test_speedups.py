"""The C speedups give exactly the bytes of the pure-Python path, and refuse what it refuses."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dojang.core import _speedups
from dojang.core.encoding import b64url_decode, b64url_encode
from dojang.errors import MalformedError


def python_digest(text: str) -> str:
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


def test_the_c_module_is_built_here() -> None:
    # make test builds it; a silent fallback to pure Python would hide a 30 % slowdown.
    assert _speedups.__name__ == "dojang.core._speedups"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000])
def test_digest_matches_hashlib_at_block_boundaries(size: int) -> None:
    text = b64url_encode(random.Random(size).randbytes(size))
    assert _speedups.digest(text) == python_digest(text)


def test_digest_of_non_ascii_falls_back() -> None:
    assert _speedups.digest("한글") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_encode_disclosure_matches_python(text: str) -> None:
    encoded, digest = _speedups.encode_disclosure(text)
    assert encoded == b64url_encode(text.encode("utf-8", "surrogatepass"))
    assert digest == python_digest(encoded)


def test_encode_disclosure_refuses_non_str() -> None:
    with pytest.raises(TypeError):
        _speedups.encode_disclosure(b"bytes")  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_disclosure_agrees_with_python(data: bytes) -> None:
    encoded = b64url_encode(data)
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError:
        assert _speedups.decode_disclosure(encoded) is None
        return
    assert _speedups.decode_disclosure(encoded) == (expected, python_digest(encoded))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ABCxyz019-_+/= \n.~é", max_size=40))
def test_decode_disclosure_refuses_exactly_what_python_refuses(text: str) -> None:
    try:
        python = b64url_decode(text)
    except MalformedError:
        assert _speedups.decode_disclosure(text) is None
        return
    try:
        expected = python.decode("utf-8")
    except UnicodeDecodeError:
        assert _speedups.decode_disclosure(text) is None
        return
    assert _speedups.decode_disclosure(text) == (expected, python_digest(text))


@pytest.mark.parametrize("text", ["QR", "QUF", "QUG", "A", "QQ==", "Q Q", "QQ\n"])
def test_non_canonical_or_padded_base64_is_refused(text: str) -> None:
    # The standard library's urlsafe_b64decode accepts several of these; dojang does not.
    assert _speedups.decode_disclosure(text) is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='[]{}"\\a,:', max_size=80), st.integers(min_value=0, max_value=6))
def test_json_depth_matches_python(text: str, limit: int) -> None:
    from dojang.core.encoding import _depth_exceeds_python

    assert _speedups.json_depth_exceeds(text, limit) is _depth_exceeds_python(text, limit)


def test_brackets_inside_strings_do_not_count() -> None:
    from dojang.core.encoding import MAX_JSON_DEPTH, loads_strict

    quoted = '["' + "[" * (MAX_JSON_DEPTH + 10) + '\\"' + '"]'
    assert loads_strict(quoted) == ["[" * (MAX_JSON_DEPTH + 10) + '"']
    with pytest.raises(MalformedError, match="nested deeper"):
        loads_strict("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert loads_strict("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


_JSON_PIECES = st.sampled_from(
    [
        '["s","n",1]',
        '["s",[1,{"a":"]"}]]',
        '["s","x","\\\\"]"]',
        "[1]",
        '["a"],["b"]',
        " [1]",
        "[",
        '["s",{"a":1,"a":2}]',
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_JSON_PIECES, max_size=6))
def test_decoding_all_disclosures_at_once_equals_one_by_one(texts: list[str]) -> None:
    from dojang.core.sdjwt._disclosure import Disclosure, decode_disclosures

    parts = [b64url_encode(t.encode()) for t in texts]
    try:
        expected: tuple[Disclosure, ...] | type[Exception] = tuple(Disclosure.from_encoded(p) for p in parts)
    except MalformedError:
        expected = MalformedError
    if expected is MalformedError:
        with pytest.raises(MalformedError):
            decode_disclosures(parts)
    else:
        assert decode_disclosures(parts) == expected


def test_one_bracketed_array_per_part_is_required() -> None:
    # '["a"],["b"]' would split into two elements if joined blindly; the C path refuses it.
    assert _speedups.decode_disclosures([b64url_encode(b'["a"],["b"]')]) is None
    assert _speedups.decode_disclosures([b64url_encode(b'["a","]"]')]) == (
        '[["a","]"]]',
        [python_digest(b64url_encode(b'["a","]"]'))],
    )


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ABCxyz019-_+/= \n.é", max_size=60))
def test_c_base64url_refuses_what_python_refuses(text: str) -> None:
    from dojang.core.encoding import _b64url_decode_python

    try:
        expected: bytes | None = _b64url_decode_python(text)
    except MalformedError:
        expected = None
    assert _speedups.b64url_decode(text) == expected
