"""An agency's status lists: an index per credential, revoke / suspend / reinstate, signed tokens.

Each agency (``iss``) fills its own lists of :data:`~dojang.core.status.DEFAULT_SIZE` entries at
``<base>/statuslists/<agency-slug>-<n>``; a credential gets a uniformly random unused index of the
current list, and a new list opens once :data:`FULL_AT` of it is handed out (herd privacy, and the
random draw never has to scan). Issuance saves the used-index bitmap and the credential's record in
one transaction, after the credential is signed and before it is handed out.

A change of status is logged first (a ``StatusEntry`` recorded durably through ``log``), then saved
with a snapshot, in one transaction: an acknowledged change is both in the log and in the list. A
crash between the two leaves a logged change that the list does not show yet; running the same
command again applies it (and logs it once more, which an auditor reads as a retry).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Protocol

from dojang.core.crypto import Rng, SigningKey
from dojang.core.log import CredentialStatus, StatusEntry, credential_digest, encode_entry
from dojang.core.status import (
    DEFAULT_SIZE,
    CredentialRecord,
    StatusConflictError,
    StatusList,
    StatusReason,
    StatusReference,
    StatusSnapshot,
    StatusStore,
    StoredList,
    allocate_index,
    credential_status,
    mark_used,
    sign_status_list,
    snapshot_at,
)
from dojang.errors import ForbiddenError, InputError, NotFoundError

__all__ = [
    "DEFAULT_TTL",
    "FULL_AT",
    "TOKEN_LIFETIME",
    "EntryRecorder",
    "StatusChange",
    "StatusLists",
    "agency_slug",
]

#: Open the agency's next list once this share of the current one is handed out.
FULL_AT = 0.75
#: How long a verifier may cache a Status List Token (its ``ttl`` claim and Cache-Control max-age).
DEFAULT_TTL = 300
#: How long a signed Status List Token stays valid (``exp - iat``).
TOKEN_LIFETIME = 86_400
_RETRIES = 8
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


class EntryRecorder(Protocol):
    """Where status entries go: the log service's durable ``record`` (committed when it returns)."""

    def record(self, entries: Sequence[bytes]) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What a revoke, suspend or reinstate did: the credential's entry, before, after, why and when."""

    record: CredentialRecord
    uri: str
    before: CredentialStatus
    after: CredentialStatus
    reason: StatusReason
    time: int
    log_seq: int


def agency_slug(iss: str) -> str:
    """The short name of an agency in its list ids: the last path segment of ``iss``, else the first
    label of its host (``https://x.example/agencies/demo`` → ``demo``, ``https://jongno.x.example``
    → ``jongno``)."""
    host, _, path = iss.split("://", 1)[-1].partition("/")
    last = (path.rstrip("/").rsplit("/", 1)[-1] or host.split(".", 1)[0]).lower()
    return _SLUG_CHARS.sub("-", last).strip("-")[:40] or "agency"


_ALLOWED = {
    CredentialStatus.REVOKED: (CredentialStatus.VALID, CredentialStatus.SUSPENDED),
    CredentialStatus.SUSPENDED: (CredentialStatus.VALID,),
    CredentialStatus.VALID: (CredentialStatus.SUSPENDED,),
}


def _check_transition(before: CredentialStatus, after: CredentialStatus) -> None:
    if before not in _ALLOWED[after]:
        final = " (revocation is final)" if before is CredentialStatus.REVOKED else ""
        raise InputError(f"cannot change a {before.name.lower()} credential to {after.name.lower()}{final}")


@dataclass(frozen=True)
class StatusLists:
    """The status lists in ``store``, published under ``base_url`` (e.g. ``https://status.example``)."""

    store: StatusStore
    base_url: str
    rng: Rng
    size: int = DEFAULT_SIZE
    bits: int = 2

    # -- issuance ----------------------------------------------------------------------------------

    def current(self, issuer: str, now: int) -> StoredList:
        """The agency's list to allocate from, opened (with an all-valid first snapshot) when needed."""
        lists = self.store.lists(issuer)
        if lists and lists[-1].allocated < self.size * FULL_AT:
            return lists[-1]
        slug, number = agency_slug(issuer), len(lists) + 1
        list_id = f"{slug}-{number}"
        if any(other.id == list_id for other in self.store.lists()):
            # Another agency's iss ends in the same word: keep ids apart with a digest of ours.
            list_id = f"{slug}-{sha256(issuer.encode()).hexdigest()[:8]}-{number}"
        uri = f"{self.base_url.rstrip('/')}/statuslists/{list_id}"
        stored = self.store.create_list(
            list_id=list_id, uri=uri, issuer=issuer, bits=self.bits, size=self.size, created=now
        )
        empty = StatusSnapshot.of(uri, now, StatusList(self.bits, self.size))
        self.store.save_list(list_id, version=stored.version, snapshot=empty)
        return self.store.load_list(list_id)

    def allocate(
        self, issuer: str, now: int, sign: Callable[[StatusReference], str]
    ) -> tuple[str, CredentialRecord]:
        """Sign a credential with a fresh random index (``sign`` builds it) and record that index.

        On a concurrent writer the credential is signed again with another index: nothing signed
        is handed out before its index is saved.
        """
        for _ in range(_RETRIES):
            stored = self.current(issuer, now)
            idx = allocate_index(stored.used, stored.size, self.rng)
            sd_jwt = sign(StatusReference(idx, stored.uri))
            used = bytearray(stored.used)
            mark_used(used, idx)
            record = CredentialRecord(credential_digest(sd_jwt), stored.id, idx, issuer)
            try:
                self.store.save_list(
                    stored.id, version=stored.version, used=bytes(used),
                    allocated=stored.allocated + 1, credential=record,
                )  # fmt: skip
            except StatusConflictError:
                continue
            return sd_jwt, record
        raise StatusConflictError(f"status list of {issuer} kept changing: {_RETRIES} attempts failed")

    # -- changes -----------------------------------------------------------------------------------

    def lookup(self, digest: bytes) -> CredentialRecord:
        """The credential's entry; NotFoundError when these lists do not hold it."""
        record = self.store.credential(digest)
        if record is None:
            raise NotFoundError(
                "no status entry for this credential here",
                hint="was it issued from this data directory (or database)?",
            )
        return record

    def change(
        self,
        digest: bytes,
        after: CredentialStatus,
        reason: StatusReason,
        *,
        issuer: str,
        now: int,
        log: EntryRecorder,
    ) -> StatusChange:
        """Revoke, suspend or reinstate (``after``) one credential of ``issuer``; see the module docstring.

        ForbiddenError when another agency issued it; InputError for a change that makes no sense
        (revoking twice, reinstating a revoked credential, a reason that does not fit).
        """
        record = self.lookup(digest)
        if record.issuer != issuer:
            raise ForbiddenError(f"this credential was issued by {record.issuer}, not by {issuer}")
        if not reason.allows(after):
            raise InputError(f"reason {reason.slug!r} does not fit a change to {after.name.lower()}")
        seq: int | None = None
        for _ in range(_RETRIES):
            stored = self.store.load_list(record.list_id)
            status_list = StatusList.from_bytes(stored.data, stored.bits)
            before = credential_status(status_list, record.idx)
            _check_transition(before, after)
            if seq is None:
                (seq,) = log.record([encode_entry(StatusEntry(digest, after, reason.value, now))])
            status_list.set(record.idx, after.value)
            snapshot = StatusSnapshot.of(stored.uri, now, status_list)
            try:
                self.store.save_list(
                    stored.id, version=stored.version, data=status_list.to_bytes(), snapshot=snapshot
                )
            except StatusConflictError:
                continue
            return StatusChange(record, stored.uri, before, after, reason, now, seq)
        raise StatusConflictError(f"status list {record.list_id!r} kept changing: {_RETRIES} attempts failed")

    def status_of(self, digest: bytes, at: int | None = None) -> tuple[CredentialRecord, CredentialStatus]:
        """The credential's entry and its status now, or at time ``at`` (from the snapshots)."""
        record = self.lookup(digest)
        if at is None:
            stored = self.store.load_list(record.list_id)
            status_list = StatusList.from_bytes(stored.data, stored.bits)
        else:
            status_list = snapshot_at(self.store.snapshots(record.list_id), at).snapshot.status_list()
        return record, credential_status(status_list, record.idx)

    # -- tokens ------------------------------------------------------------------------------------

    def token(self, list_id: str, key: SigningKey, *, now: int, ttl: int = DEFAULT_TTL) -> str:
        """The list as it is now: a ``statuslist+jwt`` with ``iat`` now and ``exp`` a day later."""
        stored = self.store.load_list(list_id)
        status_list = StatusList.from_bytes(stored.data, stored.bits)
        return sign_status_list(
            status_list, uri=stored.uri, key=key, iat=now, exp=now + TOKEN_LIFETIME, ttl=ttl
        )

    def token_at(self, list_id: str, time: int, key: SigningKey, *, now: int, ttl: int = DEFAULT_TTL) -> str:
        """The list as it stood at ``time`` (§8.4): ``iat`` its snapshot's time, ``exp`` the window's end.

        NotFoundError before the list's first snapshot.
        """
        stored = self.store.load_list(list_id)
        window = snapshot_at(self.store.snapshots(list_id), time)
        iat = window.snapshot.time
        exp = window.until if window.until is not None else max(now, time) + TOKEN_LIFETIME
        return sign_status_list(
            window.snapshot.status_list(), uri=stored.uri, key=key, iat=iat, exp=exp, ttl=ttl
        )
