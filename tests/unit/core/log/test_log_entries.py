"""Log entries: canonical round trips, digests only, and refusal of anything else."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dojang.core.log import (
    CredentialStatus,
    IssuanceEntry,
    StatusEntry,
    credential_digest,
    encode_entry,
    parse_entry,
)
from dojang.errors import MalformedError

DIGEST = sha256(b"jwt").digest()
names = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x2FFF, exclude_categories=("Cs", "Zs", "Cc")),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100)
@given(st.binary(min_size=32, max_size=32), names, names, st.integers(min_value=0, max_value=2**63 - 1))
def test_issuance_round_trip(digest: bytes, vct: str, kid: str, time: int) -> None:
    entry = IssuanceEntry(digest, vct, kid, time)
    assert parse_entry(encode_entry(entry)) == entry


@pytest.mark.parametrize("status", list(CredentialStatus))
def test_status_round_trip(status: CredentialStatus) -> None:
    entry = StatusEntry(DIGEST, status, 7, 1_700_000_000)
    data = encode_entry(entry)
    assert len(data) == 43
    assert parse_entry(data) == entry


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_garbage_is_refused_or_canonical(data: bytes) -> None:
    try:
        entry = parse_entry(data)
    except MalformedError:
        return
    assert encode_entry(entry) == data


def test_every_truncation_and_extension_is_refused() -> None:
    for entry in (
        IssuanceEntry(DIGEST, "urn:kind:1", "kid-1", 5),
        StatusEntry(DIGEST, CredentialStatus.REVOKED, 1, 5),
    ):
        data = encode_entry(entry)
        for cut in range(len(data)):
            with pytest.raises(MalformedError):
                parse_entry(data[:cut])
        with pytest.raises(MalformedError):
            parse_entry(data + b"\x00")
    with pytest.raises(MalformedError):
        parse_entry(b"\x02" + bytes(40) + b"\x03\x00")  # status 3 does not exist


@pytest.mark.parametrize(
    "bad", [("", "kid"), ("vct", ""), ("a b", "kid"), ("v\n", "kid"), ("v" * 1025, "kid")]
)
def test_bad_text_fields(bad: tuple[str, str]) -> None:
    with pytest.raises(MalformedError):
        IssuanceEntry(DIGEST, bad[0], bad[1], 0)


def test_credential_digest_is_of_the_issuer_signed_jwt() -> None:
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    assert credential_digest(jwt + "~WyJzYWx0Il0~") == sha256(jwt.encode()).digest()
    assert credential_digest(jwt + "~") == credential_digest(jwt + "~other~kb.jwt.x")
    for bad in ("", "~", "a.b~", "a.b.c d~", "한.b.c~"):
        with pytest.raises(MalformedError):
            credential_digest(bad)
