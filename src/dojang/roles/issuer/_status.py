"""An agency's status lists: an index per credential, revoke / suspend / reinstate, signed tokens.

Each agency (``iss``) fills its own lists of :data:`~dojang.core.status.DEFAULT_SIZE` entries at
``<base>/statuslists/<agency-slug>-<n>``; a credential gets a uniformly random unused index of the
current list, and a new list opens once :data:`FULL_AT` of it is reserved (herd privacy, and the
random draw never has to scan).

**Allocation by blocks of random indexes.** A process does not save the used-index bitmap per
credential. It reserves a block of indexes of the agency's current list in one short transaction
(``StatusStore.reserve``: drawn one by one, each uniformly random among the unused ones, marked used,
under the list's row lock, so that two processes queue rather than race), keeps them in memory and
hands them out in the order drawn. A block is a random sample of the free indexes, not a range: each
credential's index is distributed exactly as if drawn alone, and nothing ties indexes issued close
in time to each other, so the herd privacy of random allocation is kept. A credential is signed with
its index and then recorded (``StatusStore.record_credentials``: one inserted row, no list bytes)
before it is handed out. The first block of a process is one index and each next one twice the last,
up to :data:`MAX_BLOCK`: a one-shot ``dojang issue`` reserves exactly what it uses, a server soon
reserves 64 at a time. Processes thus meet only once per block, and then wait rather than retry;
no credential is ever signed again because another process allocated at the same time.

Crashes: an index is marked used before any credential carries it, so a crash at any moment never
hands an index out twice; a credential is recorded before it is handed out, so none that left the
issuer lacks its record. What a crash can cost is the rest of the dead process's block: indexes
reserved and never used, which stay VALID and unused for good, like the entries no one was issued
(at most :data:`MAX_BLOCK` per process and list). An index whose signing failed goes back to the
process's block; one whose record could not be saved does not (it might have been saved after all).

Opening a list races too: processes that find the current list full (or none) all try to create the
next one; the losers read the lists again and use the one the winner opened, which carries its first
all-valid snapshot from the same transaction. The races lost (a list opened, or filled, by someone
else between reading and acting) are counted in :attr:`StatusLists.lost_races`.

A change of status is one store transaction (``StatusStore.save_change``): the list's new bytes, a
snapshot, the credential's latest-change record and the ``StatusEntry`` appended to the pending
entries of the log that shares the store's database. A crash at any moment leaves the change either
logged and applied, or neither. Asking again for the change just made (same status, same reason,
say after a crash before the answer reached the caller) is answered with that change and its log
sequence number (``StatusChange.repeated``), not logged a second time.

Status List Tokens are signed by the agency: with its document-signer certificate in ``x5c`` when
the operator certified its key (:class:`StatusSigner`), so that a verifier checks them through the
same chain to the root as the agency's credentials; with the bare key (``kid`` only) otherwise.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import NamedTuple, Protocol

from dojang.core.crypto import Rng, SigningKey
from dojang.core.log import CredentialStatus, StatusEntry, credential_digest, encode_entry
from dojang.core.status import (
    DEFAULT_SIZE,
    CredentialRecord,
    ListHead,
    StatusChangeRecord,
    StatusConflictError,
    StatusList,
    StatusReason,
    StatusReference,
    StatusSnapshot,
    StatusStore,
    StoredList,
    credential_status,
    sign_status_list,
    snapshot_at,
)
from dojang.errors import ForbiddenError, InputError, NotFoundError

__all__ = [
    "DEFAULT_TTL",
    "FULL_AT",
    "MAX_BLOCK",
    "TOKEN_LIFETIME",
    "EntryRecorder",
    "Slot",
    "StatusChange",
    "StatusLists",
    "StatusSigner",
    "agency_slug",
]

#: Open the agency's next list once this share of the current one is handed out.
FULL_AT = 0.75
#: How long a verifier may cache a Status List Token (its ``ttl`` claim and Cache-Control max-age).
DEFAULT_TTL = 300
#: How long a signed Status List Token stays valid (``exp - iat``).
TOKEN_LIFETIME = 86_400
#: The most indexes a process reserves at once (see the module docstring).
MAX_BLOCK = 64
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
    #: True when this change had been made already (same status and reason): nothing new was logged.
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class StatusSigner:
    """Who signs an agency's Status List Tokens: its key and, when the operator certified that key, the
    certificate chain for the ``x5c`` header (standard base64 DER, leaf first)."""

    key: SigningKey
    x5c: tuple[str, ...] = ()

    @classmethod
    def of(cls, signer: SigningKey | StatusSigner) -> StatusSigner:
        return signer if isinstance(signer, StatusSigner) else cls(signer)

    def header(self) -> dict[str, list[str]]:
        return {"x5c": list(self.x5c)} if self.x5c else {}


def agency_slug(iss: str) -> str:
    """The short name of an agency in its list ids: the last path segment of ``iss``, else the first
    label of its host (``https://x.example/agencies/demo`` → ``demo``, ``https://jongno.x.example``
    → ``jongno``)."""
    host, _, path = iss.split("://", 1)[-1].partition("/")
    last = (path.rstrip("/").rsplit("/", 1)[-1] or host.split(".", 1)[0]).lower()
    return _SLUG_CHARS.sub("-", last).strip("-")[:40] or "agency"


class Slot(NamedTuple):
    """A reserved index, ready to hand out: the list it belongs to and the credential's reference."""

    list_id: str
    ref: StatusReference


class _Reserved:
    """The indexes this process reserved and has not handed out, per agency (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.agencies: dict[str, tuple[threading.Lock, deque[Slot]]] = {}
        self.next_block: dict[str, int] = {}
        self.lost_races = 0

    def of(self, issuer: str) -> tuple[threading.Lock, deque[Slot]]:
        with self.lock:
            return self.agencies.setdefault(issuer, (threading.Lock(), deque()))

    def block(self, issuer: str, need: int) -> int:
        """How many to reserve now: ``need`` or the agency's next block size, which then doubles."""
        with self.lock:
            size = self.next_block.get(issuer, 1)
            self.next_block[issuer] = min(MAX_BLOCK, size * 2)
        return max(need, size)

    def lost(self) -> None:
        with self.lock:
            self.lost_races += 1


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
    """The status lists in ``store``, published under ``base_url`` (e.g. ``https://status.example``).

    It holds the indexes this process reserved and has not handed out yet: keep one per process (its
    threads may share it), not one per credential.
    """

    store: StatusStore
    base_url: str
    rng: Rng
    size: int = DEFAULT_SIZE
    bits: int = 2
    #: Called with ``"checked"`` before a change's transaction and ``"saved"`` after it commits, and in
    #: ``allocate`` with ``"reserved"``, ``"signed"`` and ``"recorded"`` (the crash tests kill the
    #: process there).
    step: Callable[[str], None] | None = field(default=None, repr=False)

    _reserved: _Reserved = field(default_factory=_Reserved, init=False, repr=False, compare=False)

    # -- issuance ----------------------------------------------------------------------------------

    @property
    def lost_races(self) -> int:
        """How often this object found a list opened or filled by another writer between reading the
        lists and acting on them, and read them again (nothing was refused or signed again)."""
        return self._reserved.lost_races

    @property
    def limit(self) -> int:
        """How many indexes of a list are reserved before the next list opens (:data:`FULL_AT`)."""
        return math.ceil(self.size * FULL_AT)

    def current(self, issuer: str, now: int) -> StoredList:
        """The agency's list to allocate from, opened (with an all-valid first snapshot) when needed."""
        return self.store.load_list(self._current(issuer, now).id)

    def _current(self, issuer: str, now: int) -> ListHead:
        for _ in range(_RETRIES):
            heads = self.store.heads(issuer)
            if heads and heads[-1].allocated < self.limit:
                return heads[-1]
            try:
                return self._open(issuer, len(heads) + 1, now)
            except InputError:
                # Another thread or process opened this list (or took its id) first: read again.
                self._reserved.lost()
        raise StatusConflictError(f"status lists of {issuer} kept changing: {_RETRIES} attempts failed")

    def _open(self, issuer: str, number: int, now: int) -> ListHead:
        slug = agency_slug(issuer)
        list_id = f"{slug}-{number}"
        if any(other.id == list_id and other.issuer != issuer for other in self.store.heads()):
            # Another agency's iss ends in the same word: keep ids apart with a digest of ours.
            list_id = f"{slug}-{sha256(issuer.encode()).hexdigest()[:8]}-{number}"
        uri = f"{self.base_url.rstrip('/')}/statuslists/{list_id}"
        empty = StatusSnapshot.of(uri, now, StatusList(self.bits, self.size))
        stored = self.store.create_list(
            list_id=list_id, uri=uri, issuer=issuer, bits=self.bits, size=self.size, created=now,
            snapshot=empty,
        )  # fmt: skip
        return ListHead(stored.id, stored.uri, issuer, stored.bits, stored.size, 0, stored.created)

    def take(self, issuer: str, now: int, count: int = 1) -> list[Slot]:
        """``count`` reserved indexes of the agency's lists, to hand out in this order; each goes into
        one credential, then :meth:`record` (or back with :meth:`give_back` when none was made)."""
        lock, free = self._reserved.of(issuer)
        with lock:
            while len(free) < count:
                self._refill(issuer, now, free, count - len(free))
            return [free.popleft() for _ in range(count)]

    def _refill(self, issuer: str, now: int, free: deque[Slot], need: int) -> None:
        block = self._reserved.block(issuer, need)
        for _ in range(_RETRIES):
            head = self._current(issuer, now)
            drawn = self.store.reserve(head.id, block, self.rng, limit=self.limit)
            if drawn:
                free.extend(Slot(head.id, StatusReference(idx, head.uri)) for idx in drawn)
                return
            self._reserved.lost()  # another process filled the list since we read it: open the next
        raise StatusConflictError(f"status lists of {issuer} kept filling: {_RETRIES} attempts failed")

    def give_back(self, issuer: str, slots: Sequence[Slot]) -> None:
        """Indexes taken and put in no credential: this process hands them out again, first."""
        if slots:
            lock, free = self._reserved.of(issuer)
            with lock:
                free.extendleft(reversed(slots))

    def record(self, records: Sequence[CredentialRecord]) -> None:
        """Record the credentials made with taken indexes, in one transaction, before handing them out."""
        self.store.record_credentials(records)

    def allocate(
        self, issuer: str, now: int, sign: Callable[[StatusReference], str]
    ) -> tuple[str, CredentialRecord]:
        """Sign a credential with a fresh random index (``sign`` builds it) and record that index.

        The index is this process's alone before ``sign`` runs, so the credential is signed once;
        nothing signed is handed out before its index is recorded.
        """
        (slot,) = self.take(issuer, now)
        self._step("reserved")
        try:
            sd_jwt = sign(slot.ref)
        except BaseException:
            self.give_back(issuer, [slot])
            raise
        record = CredentialRecord(credential_digest(sd_jwt), slot.list_id, slot.ref.idx, issuer)
        self._step("signed")
        self.record([record])
        self._step("recorded")
        return sd_jwt, record

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
    ) -> StatusChange:
        """Revoke, suspend or reinstate (``after``) one credential of ``issuer``; see the module docstring.

        ForbiddenError when another agency issued it; InputError for a change that makes no sense
        (revoking twice for different reasons, reinstating a revoked credential, a reason that does
        not fit). The change just made, asked for again, is answered as ``repeated``.
        """
        record = self.lookup(digest)
        if record.issuer != issuer:
            raise ForbiddenError(f"this credential was issued by {record.issuer}, not by {issuer}")
        if not reason.allows(after):
            raise InputError(f"reason {reason.slug!r} does not fit a change to {after.name.lower()}")
        for _ in range(_RETRIES):
            stored = self.store.load_list(record.list_id)
            status_list = StatusList.from_bytes(stored.data, stored.bits)
            before = credential_status(status_list, record.idx)
            if before is after and (done := self._repeated(record, stored.uri, after, reason)) is not None:
                return done
            _check_transition(before, after)
            status_list.set(record.idx, after.value)
            self._step("checked")
            try:
                saved = self.store.save_change(
                    stored.id,
                    version=stored.version,
                    data=status_list.to_bytes(),
                    snapshot=StatusSnapshot.of(stored.uri, now, status_list),
                    change=StatusChangeRecord(digest, before, after, reason.value, now),
                    entry=encode_entry(StatusEntry(digest, after, reason.value, now)),
                )
            except StatusConflictError:
                continue
            self._step("saved")
            return StatusChange(record, stored.uri, before, after, reason, now, saved.log_seq)
        raise StatusConflictError(f"status list {record.list_id!r} kept changing: {_RETRIES} attempts failed")

    def _repeated(
        self, record: CredentialRecord, uri: str, after: CredentialStatus, reason: StatusReason
    ) -> StatusChange | None:
        """The change already made, when it is the one asked for now (same status and reason)."""
        last = self.store.last_change(record.digest)
        if last is None or last.after is not after or last.reason != reason.value:
            return None
        return StatusChange(record, uri, last.before, after, reason, last.time, last.log_seq, repeated=True)

    def _step(self, name: str) -> None:
        if self.step is not None:
            self.step(name)

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

    def token(
        self, list_id: str, signer: SigningKey | StatusSigner, *, now: int, ttl: int = DEFAULT_TTL
    ) -> str:
        """The list as it is now: a ``statuslist+jwt`` with ``iat`` now and ``exp`` a day later."""
        stored = self.store.load_list(list_id)
        status_list = StatusList.from_bytes(stored.data, stored.bits)
        chosen = StatusSigner.of(signer)
        return sign_status_list(
            status_list, uri=stored.uri, key=chosen.key, iat=now, exp=now + TOKEN_LIFETIME, ttl=ttl,
            header=chosen.header(),
        )  # fmt: skip

    def token_at(
        self, list_id: str, time: int, signer: SigningKey | StatusSigner, *, now: int, ttl: int = DEFAULT_TTL
    ) -> str:
        """The list as it stood at ``time`` (§8.4): ``iat`` its snapshot's time, ``exp`` the window's end.

        NotFoundError before the list's first snapshot.
        """
        stored = self.store.load_list(list_id)
        window = snapshot_at(self.store.snapshots(list_id), time)
        iat = window.snapshot.time
        exp = window.until if window.until is not None else max(now, time) + TOKEN_LIFETIME
        chosen = StatusSigner.of(signer)
        return sign_status_list(
            window.snapshot.status_list(), uri=stored.uri, key=chosen.key, iat=iat, exp=exp, ttl=ttl,
            header=chosen.header(),
        )  # fmt: skip
