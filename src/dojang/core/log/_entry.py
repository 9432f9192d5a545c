"""Log entries: what the log commits to for an issuance or a status change (digests only, no personal data).

Encoding (version 1, big-endian, no padding; :func:`parse_entry` refuses anything else)::

    issuance  0x01 | time u64 | credential digest (32) | len u16 | vct (UTF-8) | len u16 | issuer kid (UTF-8)
    status    0x02 | time u64 | credential digest (32) | status u8 | reason u8
    accredit  0x03 | version u8 (1) | time u64 | action u8 | not_before u64 | not_after u64 (0: none)
                   | len u16 | issuer id (UTF-8) | len u16 | subject (UTF-8)

``time`` is seconds since the Unix epoch; the credential digest is SHA-256 of the issuer-signed JWT
(the part of the SD-JWT before the first ``~``), so nothing disclosed or disclosable is in the log;
``status`` uses the Token Status List values (0 valid, 1 revoked, 2 suspended).

An accreditation change (the operator's, see ``docs/trust.md``) names the agency by its issuer id (a
public URI) and its subject by identifier only: the ``vct`` for grant and withdraw, the certificate's
``x5t#S256`` fingerprint for certify and revoke. The registration or removal of a receiving
institution takes the same shape: the institution's id in place of the issuer id, and the subject
``receiving-institution`` (no name, no contact). It carries its own version byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from hashlib import sha256

from dojang.core.log._hashing import HASH_SIZE
from dojang.errors import MalformedError

__all__ = [
    "AccreditationAction",
    "AccreditationEntry",
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
_ACCREDITATION = 0x03
_ACCREDITATION_VERSION = 1
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


class AccreditationAction(IntEnum):
    """What the operator changed about an agency."""

    GRANT = 1  # accredited for a vct from not_before (to not_after, if set)
    WITHDRAW = 2  # accreditation for a vct ends at not_after
    REVOKE_CERTIFICATE = 3  # a document-signer certificate is untrustworthy from not_before
    CERTIFY = 4  # a document-signer certificate was issued, valid from not_before to not_after
    REGISTER_INSTITUTION = 5  # a receiving institution (issuer id: its id) was registered at not_before
    REMOVE_INSTITUTION = 6  # a receiving institution (issuer id: its id) was removed at not_before


@dataclass(frozen=True, slots=True)
class AccreditationEntry:
    """An accreditation change: agency issuer id, action, subject (vct or fingerprint), dates, time."""

    action: AccreditationAction
    issuer_id: str
    subject: str
    not_before: int
    not_after: int | None
    time: int

    def __post_init__(self) -> None:
        if not isinstance(self.action, AccreditationAction):
            raise MalformedError("unknown accreditation action")
        for name, text in (("issuer id", self.issuer_id), ("subject", self.subject)):
            if not text or len(text.encode("utf-8")) > _MAX_TEXT or _BAD_TEXT.search(text):
                raise MalformedError(f"log entry {name} is empty, too long or has spaces or controls")
        for seconds in (self.time, self.not_before, self.not_after or 0):
            if isinstance(seconds, bool) or not 0 <= seconds <= _MAX_TIME:
                raise MalformedError("log entry time is out of range")
        if self.not_after == 0:
            raise MalformedError("an open-ended accreditation is not_after=None, not 0")


LogEntry = IssuanceEntry | StatusEntry | AccreditationEntry


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
    if isinstance(entry, AccreditationEntry):
        return (
            bytes([_ACCREDITATION, _ACCREDITATION_VERSION])
            + entry.time.to_bytes(8, "big")
            + bytes([entry.action])
            + entry.not_before.to_bytes(8, "big")
            + (entry.not_after or 0).to_bytes(8, "big")
            + _text(entry.issuer_id)
            + _text(entry.subject)
        )
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
    if data[:1] == bytes([_ACCREDITATION]):
        return _parse_accreditation(data)
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


def _parse_accreditation(data: bytes) -> AccreditationEntry:
    if len(data) < 30:
        raise MalformedError("accreditation log entry is truncated")
    if data[1] != _ACCREDITATION_VERSION:
        raise MalformedError(f"accreditation log entry version {data[1]} is not {_ACCREDITATION_VERSION}")
    if data[10] not in AccreditationAction._value2member_map_:
        raise MalformedError(f"unknown accreditation action {data[10]}")
    not_after = int.from_bytes(data[19:27], "big")
    issuer_id, pos = _read_text(data, 27)
    subject, pos = _read_text(data, pos)
    if pos != len(data):
        raise MalformedError("log entry has trailing bytes")
    entry = AccreditationEntry(
        AccreditationAction(data[10]),
        issuer_id,
        subject,
        int.from_bytes(data[11:19], "big"),
        not_after or None,
        int.from_bytes(data[2:10], "big"),
    )
    if encode_entry(entry) != data:
        raise MalformedError("log entry is not in canonical form")
    return entry
