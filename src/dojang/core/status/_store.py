"""The ``StatusStore`` port: an issuer's status lists, which credential holds which index, and snapshots.

Adapters implement it (``dojang.adapters.storage``: SQLite and PostgreSQL, in the log's database);
the core only declares it. Every write is one transaction. Two kinds of writes touch a list, and
they never make each other retry:

- **Allocation.** :meth:`StatusStore.reserve` draws a block of random unused indexes and marks them
  in the used-index bitmap, under the list's row lock (writers queue, none loses); the issuer then
  hands them out and records each credential with :meth:`StatusStore.record_credentials`, an insert
  of small rows that never touches the list's bytes. A reserved index is used once or never: after a
  crash the indexes reserved and not handed out stay marked, so nothing is given out twice.
- **Status changes** (the list's ``data``, a snapshot, a change record) name the ``version`` they
  read, so two writers never lose each other's change (the second gets :class:`StatusConflictError`
  and starts again from a fresh read). Reservations leave ``version`` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dojang.core.crypto import Rng
from dojang.core.log import CredentialStatus
from dojang.core.status._history import StatusSnapshot
from dojang.errors import DojangError, InputError

__all__ = [
    "CredentialRecord",
    "ListHead",
    "StatusChangeRecord",
    "StatusConflictError",
    "StatusStore",
    "StoredList",
]


class StatusConflictError(DojangError):
    """Another writer saved the list since it was read: read it again and redo the change."""

    http_status = 409
    exit_code = 2
    hint = "retry: another writer changed the status list at the same time"


@dataclass(frozen=True, slots=True)
class StoredList:
    """One status list as stored: its short ``id`` (the last path segment of ``uri``), owner and state.

    ``data`` is the uncompressed list (``size * bits / 8`` bytes), ``used`` the one-bit bitmap of
    indexes reserved (handed out, or held by an issuer to hand out), ``allocated`` how many are,
    ``version`` the optimistic-locking counter of ``data``, and ``created`` the list's creation time
    (epoch seconds).
    """

    id: str
    uri: str
    issuer: str
    bits: int
    size: int
    data: bytes
    used: bytes
    allocated: int
    version: int
    created: int


@dataclass(frozen=True, slots=True)
class ListHead:
    """What an issuer needs to choose a list to allocate from: a :class:`StoredList` without its bytes."""

    id: str
    uri: str
    issuer: str
    bits: int
    size: int
    allocated: int
    created: int


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """Which list entry a credential owns: its digest (as the log names it), list, index and issuer."""

    digest: bytes
    list_id: str
    idx: int
    issuer: str

    def __post_init__(self) -> None:
        if len(self.digest) != 32:
            raise InputError(f"a credential digest is 32 bytes, found {len(self.digest)}")
        if type(self.idx) is not int or self.idx < 0:
            raise InputError(f"status idx must be a non-negative integer, found {self.idx!r}")


@dataclass(frozen=True, slots=True)
class StatusChangeRecord:
    """A credential's latest status change as stored: from, to, reason code, time, and the sequence number
    of its status entry in the log (``0`` until the store has appended that entry)."""

    digest: bytes
    before: CredentialStatus
    after: CredentialStatus
    reason: int
    time: int
    log_seq: int = 0

    def __post_init__(self) -> None:
        if len(self.digest) != 32:
            raise InputError(f"a credential digest is 32 bytes, found {len(self.digest)}")


class StatusStore(Protocol):
    """Durable status lists (see the module docstring for the transaction rules)."""

    def create_list(
        self,
        *,
        list_id: str,
        uri: str,
        issuer: str,
        bits: int,
        size: int,
        created: int,
        snapshot: StatusSnapshot | None = None,
    ) -> StoredList:
        """A new, all-VALID list, with its first ``snapshot`` in the same transaction; InputError when
        ``list_id`` or ``uri`` is taken (also when another writer took it a moment before)."""
        ...

    def heads(self, issuer: str | None = None) -> list[ListHead]:
        """Every list (of ``issuer``), oldest first, without reading its bytes."""
        ...

    def reserve(self, list_id: str, count: int, rng: Rng, *, limit: int) -> list[int]:
        """In one transaction, under the list's row lock: up to ``count`` indexes, each uniformly random
        among the unused ones (``draw_indexes``), marked used; ``allocated`` grows by their number and
        never past ``limit``. The indexes in draw order; ``[]`` once ``allocated`` has reached ``limit``.
        NotFoundError when there is no such list."""
        ...

    def record_credentials(self, credentials: Sequence[CredentialRecord]) -> None:
        """In one transaction, without touching the lists: each credential's entry (an index reserved
        before). InputError, and nothing written, when an index or a digest is recorded already or an
        index is outside its list."""
        ...

    def load_list(self, list_id: str) -> StoredList:
        """The list ``list_id``; NotFoundError when there is none."""
        ...

    def lists(self, issuer: str | None = None) -> list[StoredList]:
        """Every list (of ``issuer``), oldest first."""
        ...

    def save_list(
        self,
        list_id: str,
        *,
        version: int,
        data: bytes | None = None,
        credential: CredentialRecord | None = None,
        snapshot: StatusSnapshot | None = None,
        credentials: Sequence[CredentialRecord] = (),
    ) -> int:
        """In one transaction: replace ``data`` when given, record ``credential`` (and every one of
        ``credentials``) and ``snapshot``; the new version. StatusConflictError unless the stored
        version is ``version``. (The used-index bitmap is written by :meth:`reserve` only.)"""
        ...

    def save_change(
        self,
        list_id: str,
        *,
        version: int,
        data: bytes,
        snapshot: StatusSnapshot,
        change: StatusChangeRecord,
        entry: bytes,
    ) -> StatusChangeRecord:
        """In one transaction: the list's ``data`` and ``snapshot``, ``change`` as the credential's latest,
        and ``entry`` appended to the log's pending entries; ``change`` with its log sequence number.
        StatusConflictError unless the stored version is ``version`` (nothing is then written)."""
        ...

    def last_change(self, digest: bytes) -> StatusChangeRecord | None:
        """The credential's latest status change, if it ever changed."""
        ...

    def credential(self, digest: bytes) -> CredentialRecord | None:
        """Where the credential with this digest stands, if this store issued it."""
        ...

    def snapshots(self, list_id: str) -> list[StatusSnapshot]:
        """The list's snapshots, oldest first (a snapshot at an existing time replaced the old one)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
