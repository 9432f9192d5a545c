"""Calls to the LogAnchor contract: argument checks and revert decoding, no chain needed."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from dojang.adapters.anchor._contract import decode_record, encode_anchor, origin_hash, revert_reason
from dojang.errors import InputError


@pytest.mark.parametrize(
    ("origin", "size", "root", "note"),
    [
        ("", 1, bytes(32), bytes(32)),
        ("o", 0, bytes(32), bytes(32)),
        ("o", 2**64, bytes(32), bytes(32)),
        ("o", 1, bytes(31), bytes(32)),
        ("o", 1, bytes(32), bytes(33)),
    ],
)
def test_bad_anchor_arguments_are_input_errors(origin: str, size: int, root: bytes, note: bytes) -> None:
    with pytest.raises(InputError):
        encode_anchor(origin, size, root, note)


def test_revert_reason_decodes_error_string_and_falls_back_to_hex() -> None:
    payload = bytes.fromhex("08c379a0") + encode(["string"], ["LogAnchor: nope"])
    assert revert_reason(payload) == "LogAnchor: nope"
    assert revert_reason(b"\x01\x02") == "0x0102"
    assert revert_reason(b"") == "reverted without a reason"


def test_absent_record_decodes_to_none() -> None:
    assert decode_record(bytes(128)) is None


def test_origin_hash_is_keccak_of_utf8() -> None:
    # keccak256("") — the well-known empty-input digest.
    assert origin_hash("").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
