"""Entry bundles: uint16-framed entries round trip; truncation, overflow and wrong counts are refused."""

from __future__ import annotations

import pytest

from dojang.core.log import entry_bundle, parse_entry_bundle
from dojang.errors import MalformedError, TooLargeError


def test_round_trip() -> None:
    entries = [b"", b"a", bytes(300), b"\xff" * 65535]
    data = entry_bundle(entries)
    assert data[:2] == b"\x00\x00"
    assert parse_entry_bundle(data, 4) == entries


def test_refusals() -> None:
    data = entry_bundle([b"abc", b"de"])
    for cut in range(1, len(data)):
        if cut != 5:  # after the first entry the prefix is itself a valid one-entry bundle
            with pytest.raises(MalformedError):
                parse_entry_bundle(data[:cut])
    with pytest.raises(MalformedError):
        parse_entry_bundle(data, 3)
    with pytest.raises(TooLargeError):
        entry_bundle([bytes(65536)])
    with pytest.raises(TooLargeError):
        entry_bundle([b""] * 257)
    with pytest.raises(MalformedError):
        parse_entry_bundle(entry_bundle([b"x"] * 256) + b"\x00\x00")
