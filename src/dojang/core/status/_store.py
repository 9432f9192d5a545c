"""The ``StatusStore`` port: an issuer's status lists, which credential holds which index, and snapshots.

Adapters implement it (``dojang.adapters.storage``: SQLite and PostgreSQL, in the log's database);
the core only declares it. Every write is one transaction: a list's bytes, its used-index bitmap, a
credential's record and a snapshot change together or not at all, and a save names the version it
read, so two writers never lose each other's change (the second gets :class:`StatusConflictError`
and starts again from a fresh read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dojang.core.status._history import StatusSnapshot
from dojang.errors import DojangError, InputError

__all__ = [
    "CredentialRecord",
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
    indexes handed out, ``allocated`` how many are, ``version`` the optimistic-locking counter, and
    ``created`` the list's creation time (epoch seconds).
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


class StatusStore(Protocol):
    """Durable status lists (see the module docstring for the transaction rules)."""

    def create_list(
        self, *, list_id: str, uri: str, issuer: str, bits: int, size: int, created: int
    ) -> StoredList:
        """A new, all-VALID list; InputError when ``list_id`` or ``uri`` is taken."""
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
        used: bytes | None = None,
        allocated: int | None = None,
        credential: CredentialRecord | None = None,
        snapshot: StatusSnapshot | None = None,
        credentials: Sequence[CredentialRecord] = (),
    ) -> int:
        """In one transaction: replace what is given (None keeps it), record ``credential`` (and every
        one of ``credentials``: a bulk chunk in one commit) and ``snapshot``; the new version.
        StatusConflictError unless the stored version is ``version``."""
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
