"""Accreditation log entries: round trip, one encoding per entry, garbage refused."""

from __future__ import annotations

import pytest

from dojang.core.log import AccreditationAction, AccreditationEntry, encode_entry, parse_entry
from dojang.errors import MalformedError

ENTRY = AccreditationEntry(
    AccreditationAction.GRANT,
    "https://jongno.example",
    "urn:dojang:kr:resident-register-copy:1",
    100,
    200,
    50,
)


@pytest.mark.parametrize("action", list(AccreditationAction))
def test_round_trip(action: AccreditationAction) -> None:
    entry = AccreditationEntry(action, "https://a.example", "subject-1", 10, None, 5)
    data = encode_entry(entry)
    assert data[:2] == b"\x03\x01"  # type, then the entry's own version
    assert parse_entry(data) == entry


def test_layout_is_pinned() -> None:
    data = encode_entry(ENTRY)
    assert data[2:10] == (50).to_bytes(8, "big")
    assert data[10] == AccreditationAction.GRANT
    assert data[11:19] == (100).to_bytes(8, "big")
    assert data[19:27] == (200).to_bytes(8, "big")
    assert data[27:29] == len(b"https://jongno.example").to_bytes(2, "big")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d[:1] + b"\x02" + d[2:],  # unknown version
        lambda d: d[:10] + b"\x09" + d[11:],  # unknown action
        lambda d: d[:-1],  # truncated
        lambda d: d + b"\x00",  # trailing bytes
        lambda d: d[:20],  # cut inside the dates
        lambda d: d[:27] + b"\x00\x00" + d[29:],  # issuer id length 0: text spills over
    ],
)
def test_garbage_is_refused(mutate: object) -> None:
    data = encode_entry(ENTRY)
    with pytest.raises(MalformedError):
        parse_entry(mutate(data))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("issuer_id", "subject", "not_after"),
    [
        ("", "vct", None),
        ("https://a.example", "with space", None),
        ("https://a.example", "ctrl\x00", None),
        ("https://a.example", "x" * 2000, None),
        ("https://a.example", "vct", 0),
    ],
)
def test_bad_fields_are_refused(issuer_id: str, subject: str, not_after: int | None) -> None:
    with pytest.raises(MalformedError):
        AccreditationEntry(AccreditationAction.GRANT, issuer_id, subject, 1, not_after, 1)


def test_no_personal_data_only_ids() -> None:
    """The entry has exactly the identifiers and times: nothing else fits in the encoding."""
    data = encode_entry(ENTRY)
    assert len(data) == 27 + 2 + len(ENTRY.issuer_id) + 2 + len(ENTRY.subject)
