"""The bit array: packing, round trips for every bit size, boundaries, and strict decoding."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dojang.core.encoding import b64url_encode
from dojang.core.log import CredentialStatus
from dojang.core.status import ALLOWED_BITS, DEFAULT_SIZE, MAX_LIST_BYTES, StatusList
from dojang.errors import InputError, MalformedError, TooLargeError


@st.composite
def lists(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    bits = draw(st.sampled_from(ALLOWED_BITS))
    size = draw(st.integers(min_value=1, max_value=512)) * (8 // bits)
    values = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1), st.integers(min_value=0, max_value=2**bits - 1)
        )
    )
    return bits, size, values


@settings(max_examples=150, deadline=None)
@given(lists())
def test_round_trip_every_bit_size(case: tuple[int, int, dict[int, int]]) -> None:
    bits, size, values = case
    status_list = StatusList(bits, size)
    for idx, value in values.items():
        status_list.set(idx, value)
    decoded = StatusList.decode(status_list.encode(), bits)
    assert decoded == status_list
    assert decoded.size == size
    assert [decoded.get(i) for i in range(size)] == [values.get(i, 0) for i in range(size)]
    assert StatusList.from_json(status_list.to_json()) == status_list


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_lsb_first_packing(bits: int) -> None:
    status_list = StatusList(bits, 16)
    status_list.set(1, 1)
    # Entry 1 starts at bit `bits` of byte 0 (for 8 bits: all of byte 1).
    expected = bytearray(2 * bits)
    expected[bits // 8] = 1 << (bits % 8)
    assert status_list.to_bytes() == bytes(expected)


def test_every_dojang_status_in_a_2_bit_list() -> None:
    status_list = StatusList(2, DEFAULT_SIZE)
    assert len(status_list.to_bytes()) == 32 * 1024
    for idx, status in enumerate(CredentialStatus):
        status_list.set(idx, status)
    assert [CredentialStatus(status_list.get(i)) for i in range(3)] == list(CredentialStatus)
    status_list.set(1, CredentialStatus.VALID)  # a reinstatement clears the bits again
    assert status_list.get(1) == 0
    assert status_list.get(2) == CredentialStatus.SUSPENDED


def test_first_and_last_index_and_out_of_range() -> None:
    status_list = StatusList(2, DEFAULT_SIZE)
    status_list.set(0, 3)
    status_list.set(DEFAULT_SIZE - 1, 2)
    assert status_list.get(0) == 3
    assert status_list.get(DEFAULT_SIZE - 1) == 2
    assert status_list.get(1) == status_list.get(DEFAULT_SIZE - 2) == 0
    for bad in (-1, DEFAULT_SIZE, 2**64, True, 1.0, "3"):
        with pytest.raises(InputError, match="outside the status list"):
            status_list.get(bad)  # type: ignore[arg-type]
        with pytest.raises(InputError, match="outside the status list"):
            status_list.set(bad, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(("bits", "value"), [(1, 2), (2, 4), (4, 16), (8, 256), (2, -1), (2, True)])
def test_values_that_do_not_fit_are_refused(bits: int, value: int) -> None:
    with pytest.raises(InputError, match="does not fit"):
        StatusList(bits, 8).set(0, value)


@pytest.mark.parametrize(("bits", "size"), [(3, 8), (0, 8), (2, 0), (2, 3), (1, 7), (True, 8)])
def test_bad_shapes_are_refused(bits: int, size: int) -> None:
    with pytest.raises(InputError):
        StatusList(bits, size)


def test_list_larger_than_the_limit_cannot_be_made() -> None:
    with pytest.raises(TooLargeError):
        StatusList(8, MAX_LIST_BYTES + 8)


def _lst(data: bytes, *, wbits: int = 15) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b64url_encode(compressor.compress(data) + compressor.flush())


def test_decompression_bomb_is_refused_without_inflating_it() -> None:
    bomb = _lst(bytes(MAX_LIST_BYTES + 1))
    assert len(bomb) < 40_000  # 16 MiB of zeros compresses to a few KiB
    with pytest.raises(TooLargeError, match="inflates to more than"):
        StatusList.decode(bomb, 2)


def test_exactly_the_limit_is_accepted() -> None:
    decoded = StatusList.decode(_lst(bytes(MAX_LIST_BYTES)), 8)
    assert decoded.size == MAX_LIST_BYTES


def test_oversized_lst_text_is_refused_before_decoding() -> None:
    with pytest.raises(TooLargeError):
        StatusList.decode("A" * (MAX_LIST_BYTES * 2), 1)


@pytest.mark.parametrize(
    ("lst", "message"),
    [
        (_lst(b"\x01", wbits=-15), "not ZLIB"),  # raw DEFLATE
        (_lst(b"\x01", wbits=31), "not ZLIB"),  # gzip
        (_lst(b"\x01\x02\x03\x04")[:-4], "truncated|not ZLIB"),
        (b64url_encode(zlib.compress(b"\x01") + b"\x00"), "after the end"),
        (_lst(b""), "at least one byte"),
        ("eNrbuRgAAhcBXQ==", "base64url"),
        ("eNrbuRgAAhcBXR", "non-canonical"),
        ("", "non-empty"),
    ],
)
def test_malformed_lists_are_refused(lst: str, message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        StatusList.decode(lst, 1)


@pytest.mark.parametrize("bits", [0, 3, 16, "2", 2.0, True, None])
def test_decode_refuses_bad_bits(bits: object) -> None:
    with pytest.raises(MalformedError, match="bits must be one of"):
        StatusList.decode("eNrbuRgAAhcBXQ", bits)


@pytest.mark.parametrize(
    "obj", [None, [], "x", {"bits": 1}, {"lst": "eNrbuRgAAhcBXQ"}, {"bits": 1, "lst": 5}]
)
def test_from_json_refuses_incomplete_objects(obj: object) -> None:
    with pytest.raises(MalformedError):
        StatusList.from_json(obj)


def test_copy_is_independent_and_lists_are_unhashable() -> None:
    original = StatusList(2, 8)
    copy = original.copy()
    original.set(3, 1)
    assert copy.get(3) == 0
    assert copy != original
    assert original.count(1) == 1
    with pytest.raises(TypeError):
        hash(original)
