"""Strict base64url and strict JSON: one value, one encoding; anything else is MalformedError."""

from __future__ import annotations

import base64
import contextlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json, loads_strict
from dojang.errors import MalformedError

BOUNDED = settings(max_examples=200, deadline=None)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --- base64url --------------------------------------------------------------------------------------


@BOUNDED
@given(st.binary(min_size=0, max_size=64))
def test_b64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert set(text) <= set(ALPHABET)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(text) == data
    assert b64url_decode(text.encode("ascii")) == data


@pytest.mark.parametrize("length", range(65))
def test_b64url_round_trip_every_length(length: int) -> None:
    data = bytes((i * 37 + 11) % 256 for i in range(length))
    assert b64url_decode(b64url_encode(data)) == data
    assert len(b64url_encode(data)) == math.ceil(length * 4 / 3)


@pytest.mark.parametrize(
    "text",
    [
        "QQ==",  # padding
        "QUI=",
        "QUJD====",
        "=",
        "a+b/",  # the standard alphabet
        "+A",
        "/w",
        "QU E",  # whitespace anywhere
        " QUI",
        "QUI ",
        "QUI\n",
        "QU\tJD",
        "Q\r\nUJD",
        "Qé",  # non-ASCII
        "QUJ\u00a0",
        "ＱＵＪＤ",
        "Q",  # length = 1 mod 4
        "QUJDR",
        "QUJDRUZHS",
        "QR",  # non-canonical trailing bits: 'QQ' is the one encoding of b'A'
        "QUJ",  # 'QUI' is the one encoding of b'AB'
        "QB",
        "__9",
        "QUJD!",  # punctuation outside both alphabets
        "QU.D",
        "QU~D",
        "QUJD\x00",
    ],
)
def test_b64url_refuses_non_canonical(text: str) -> None:
    with pytest.raises(MalformedError):
        b64url_decode(text)


@pytest.mark.parametrize("raw", [b"\xff\xff", b"QQ==", b"QR", b"Q", b"QU E", b"a+b/"])
def test_b64url_refuses_non_canonical_bytes(raw: bytes) -> None:
    with pytest.raises(MalformedError):
        b64url_decode(raw)


def test_b64url_error_names_what() -> None:
    with pytest.raises(MalformedError, match="JWS header"):
        b64url_decode("Q", what="JWS header")


@BOUNDED
@given(st.binary(min_size=1, max_size=48), st.data())
def test_b64url_each_value_has_one_encoding(data: bytes, draw: st.DataObject) -> None:
    """Changing any one character of an encoding either fails or decodes to different bytes."""
    text = b64url_encode(data)
    index = draw.draw(st.integers(0, len(text) - 1))
    other = draw.draw(st.sampled_from([c for c in ALPHABET if c != text[index]]))
    mutated = text[:index] + other + text[index + 1 :]
    try:
        decoded = b64url_decode(mutated)
    except MalformedError:
        return
    assert decoded != data


@BOUNDED
@given(st.text(max_size=40))
def test_b64url_decode_only_raises_malformed(text: str) -> None:
    try:
        decoded = b64url_decode(text)
    except MalformedError:
        return
    assert b64url_encode(decoded) == text


# --- strict JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "b": {"c": 1, "c": 1}}',
        '[{"x": [{"y": 1, "y": 1}]}]',
        '{"a": {"b": [1, 2, {"c": {"d": 0, "d": 0}}]}}',
        '{"\\u0061": 1, "a": 2}',  # the same key once escaped
    ],
)
def test_duplicate_keys_at_any_depth(text: str) -> None:
    with pytest.raises(MalformedError, match="duplicate"):
        loads_strict(text)


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-Infinity", '{"a": NaN}', "[1, Infinity]", '{"a": [-Infinity]}']
)
def test_nan_and_infinity_refused(text: str) -> None:
    with pytest.raises(MalformedError):
        loads_strict(text)


@pytest.mark.parametrize("text", ["1e999", "[-1e999]", '{"exp": 1e400}'])
def test_numbers_that_overflow_to_infinity_refused(text: str) -> None:
    """A literal too big for a float is Infinity by another name; the result could not be re-encoded."""
    with pytest.raises(MalformedError):
        loads_strict(text)


def test_integer_with_too_many_digits_is_malformed_not_value_error() -> None:
    """Python refuses to convert integers of more than 4300 digits; that must surface as MalformedError."""
    with pytest.raises(MalformedError):
        loads_strict("1" * 5000)
    with pytest.raises(MalformedError):
        loads_strict(b'{"iat": ' + b"9" * 4301 + b"}")


@pytest.mark.parametrize(
    "data",
    [b'"\xff"', b'{"a": "\xc3"}', b"\xc0\xaf", b'"\xed\xa0\x80"', b'{"\xe2\x82": 1}'],
)
def test_invalid_utf8_refused(data: bytes) -> None:
    with pytest.raises(MalformedError):
        loads_strict(data)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1} x',
        '{"a": 1}{"b": 2}',
        "[1] ]",
        "1 2",
        '{"a": 1},',
        '"x"\x00',
        "",
        "   ",
        "{",
        "[1,]",
        "{'a': 1}",
    ],
)
def test_trailing_garbage_and_broken_json_refused(text: str) -> None:
    with pytest.raises(MalformedError):
        loads_strict(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('  {"a": 1}', {"a": 1}),
        ('{"a": 1}  ', {"a": 1}),
        ('\n\t {"a": [1, 2]} \r\n', {"a": [1, 2]}),
        (" 7 ", 7),
        ('"x"\n', "x"),
    ],
)
def test_surrounding_whitespace_accepted(text: str, value: object) -> None:
    assert loads_strict(text) == value
    assert loads_strict(text.encode("utf-8")) == value


@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}")])
def test_deep_nesting_is_malformed_not_a_crash(depth: int, open_: str, close: str) -> None:
    with pytest.raises(MalformedError):
        loads_strict(open_ * depth + "1" + close * depth)


def test_moderate_nesting_parses() -> None:
    expected: list[object] = []
    for _ in range(49):
        expected = [expected]
    assert loads_strict("[" * 50 + "]" * 50) == expected


def test_bytes_and_text_agree_and_keep_non_ascii() -> None:
    text = '{"name": "홍길동", "n": [1, 2.5, true, false, null]}'
    assert loads_strict(text) == loads_strict(text.encode("utf-8")) == json.loads(text)


def test_error_message_names_what() -> None:
    with pytest.raises(MalformedError, match=r"^disclosure"):
        loads_strict('{"a":1,"a":1}', what="disclosure")
    with pytest.raises(MalformedError, match=r"^KB payload"):
        loads_strict("{", what="KB payload")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@BOUNDED
@given(json_values)
def test_canonical_json_round_trips_through_loads_strict(value: object) -> None:
    text = canonical_json(value)
    assert loads_strict(text) == value
    assert loads_strict(text.encode("utf-8")) == value


def test_canonical_json_is_compact_and_keeps_order_and_non_ascii() -> None:
    assert canonical_json({"b": 1, "a": [1, "홍"]}) == '{"b":1,"a":[1,"홍"]}'


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="Out of range"):
        canonical_json({"a": float("nan")})


@BOUNDED
@given(st.binary(max_size=64))
def test_loads_strict_only_raises_malformed(data: bytes) -> None:
    with contextlib.suppress(MalformedError):
        loads_strict(data)
