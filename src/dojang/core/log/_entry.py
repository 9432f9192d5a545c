"""Log entries: what the log commits to for an issuance or a status change (digests only, no personal data).

Encoding (version 1, big-endian, no padding; :func:`parse_entry` refuses anything else)::

    issuance  0x01 | time u64 | credential digest (32) | len u16 | vct (UTF-8) | len u16 | issuer kid (UTF-8)
    status    0x02 | time u64 | credential digest (32) | status u8 | reason u8

``time`` is seconds since the Unix epoch; the credential digest is SHA-256 of the issuer-signed JWT
(the part of the SD-JWT before the first ``~``), so nothing disclosed or disclosable is in the log;
``status`` uses the Token Status List values (0 valid, 1 revoked, 2 suspended).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from hashlib import sha256

from dojang.core.log._hashing import HASH_SIZE
from dojang.errors import MalformedError

__all__ = [
    "CredentialStatus",
    "IssuanceEntry",
    "LogEntry",
    "StatusEntry",
    "credential_digest",
    "encode_entry",
    "parse_entry",
]

_ISSUANCE = 0x01
_STATUS = 0x02
_MAX_TEXT = 1024
_MAX_TIME = (1 << 63) - 1
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# Text fields are identifiers: printable, no control characters, no surrounding space.
_BAD_TEXT = re.compile(r"[\x00-\x20\x7f-\x9f]")


class CredentialStatus(IntEnum):
    """A credential's status, numbered as in the IETF Token Status List."""

    VALID = 0
    REVOKED = 1
    SUSPENDED = 2


@dataclass(frozen=True, slots=True)
class IssuanceEntry:
    """A credential was issued: its digest, kind (``vct``), the issuer's key id and the time."""

    credential_digest: bytes
    vct: str
    issuer_kid: str
    time: int

    def __post_init__(self) -> None:
        _check_common(self.credential_digest, self.time)
        for name, value in (("vct", self.vct), ("issuer kid", self.issuer_kid)):
            if not value or len(value.encode("utf-8")) > _MAX_TEXT or _BAD_TEXT.search(value):
                raise MalformedError(f"log entry {name} is empty, too long or has spaces or controls")


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A credential's status changed: its digest, the new status, a reason code (0–255) and the time."""

    credential_digest: bytes
    status: CredentialStatus
    reason: int
    time: int

    def __post_init__(self) -> None:
        _check_common(self.credential_digest, self.time)
        if not isinstance(self.status, CredentialStatus) or not 0 <= self.reason <= 0xFF:
            raise MalformedError("log entry status or reason code is out of range")


LogEntry = IssuanceEntry | StatusEntry


def _check_common(digest: bytes, time: int) -> None:
    if len(digest) != HASH_SIZE:
        raise MalformedError(f"credential digest is {len(digest)} bytes, not {HASH_SIZE}")
    if isinstance(time, bool) or not 0 <= time <= _MAX_TIME:
        raise MalformedError("log entry time is out of range")


def credential_digest(sd_jwt: str) -> bytes:
    """SHA-256 of the issuer-signed JWT (before the first ``~``): how the log names a credential."""
    jwt = sd_jwt.partition("~")[0]
    if not _JWS.fullmatch(jwt):
        raise MalformedError("not an SD-JWT: no compact issuer-signed JWT before the first '~'")
    return sha256(jwt.encode("ascii")).digest()


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def encode_entry(entry: LogEntry) -> bytes:
    """The canonical version-1 bytes of an entry (what the leaf hash commits to)."""
    head = entry.time.to_bytes(8, "big") + entry.credential_digest
    if isinstance(entry, IssuanceEntry):
        return bytes([_ISSUANCE]) + head + _text(entry.vct) + _text(entry.issuer_kid)
    return bytes([_STATUS]) + head + bytes([entry.status, entry.reason])


def _read_text(data: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(data):
        raise MalformedError("log entry is truncated")
    end = pos + 2 + int.from_bytes(data[pos : pos + 2], "big")
    if end > len(data):
        raise MalformedError("log entry is truncated")
    try:
        return data[pos + 2 : end].decode("utf-8"), end
    except UnicodeDecodeError:
        raise MalformedError("log entry text is not UTF-8") from None


def parse_entry(data: bytes) -> LogEntry:
    """Parse version-1 entry bytes; unknown types, bad lengths or trailing bytes are malformed."""
    if len(data) < 41 or data[0] not in (_ISSUANCE, _STATUS):
        raise MalformedError("not a dojang log entry (unknown type or too short)")
    time = int.from_bytes(data[1:9], "big")
    digest = data[9:41]
    entry: LogEntry
    if data[0] == _STATUS:
        if len(data) != 43:
            raise MalformedError("status log entry must be 43 bytes")
        if data[41] > max(CredentialStatus):
            raise MalformedError(f"unknown credential status {data[41]}")
        entry = StatusEntry(digest, CredentialStatus(data[41]), data[42], time)
    else:
        vct, pos = _read_text(data, 41)
        kid, pos = _read_text(data, pos)
        if pos != len(data):
            raise MalformedError("log entry has trailing bytes")
        entry = IssuanceEntry(digest, vct, kid, time)
    # Re-encoding must give the same bytes: one entry, one encoding.
    if encode_entry(entry) != data:
        raise MalformedError("log entry is not in canonical form")
    return entry
