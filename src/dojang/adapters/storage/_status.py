"""The ``StatusStore`` port on both SQL backends, in the log's own database (migrations 3 and 6).

One implementation for both dialects: it borrows a log store's connection lifecycle (open on first
use, migrate, lock, one transaction per write, errors translated) and differs only in the parameter
mark. A save is a compare-and-set on the list's ``version`` (``UPDATE … WHERE version = ?``), so
two writers never overwrite each other: the loser gets :class:`StatusConflictError` and retries.

Allocation takes no part in that race. ``reserve`` reads and rewrites the used-index bitmap under the
row's lock (SQLite's ``BEGIN IMMEDIATE``; PostgreSQL's ``FOR NO KEY UPDATE``, which a concurrent
credential insert's foreign-key check does not wait for) and leaves ``version`` alone, so reservers
queue instead of failing and a status change in between still saves. ``record_credentials`` only
inserts ``status_credentials`` rows, whose ``UNIQUE (list_id, idx)`` is the last word on an index
being given twice. ``heads`` selects no list bytes.
Creating a list is an ``INSERT … ON CONFLICT DO NOTHING``: a writer that loses the race to open a
list gets an InputError it can act on (read the lists again), not a driver's unique violation.

A status change (``save_change``) also appends its log entry to the log's pending entries, in the
same transaction as the list, through the log store's own ``_log.append_pending``, so the
sequencer integrates it like any other entry, and a crash can never leave a change logged but not
applied, or applied but not logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from dojang.adapters.storage._log import append_pending
from dojang.adapters.storage._open import store_for
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.core.crypto import Rng
from dojang.core.log import CredentialStatus
from dojang.core.status import (
    CredentialRecord,
    ListHead,
    StatusChangeRecord,
    StatusConflictError,
    StatusSnapshot,
    StoredList,
    draw_indexes,
)
from dojang.errors import InputError, NotFoundError

__all__ = ["SqlStatusStore", "open_status_store"]

_LIST_COLUMNS = "id, uri, issuer, bits, size, data, used, allocated, version, created"
_SELECT_LIST = f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE id = ?"  # noqa: S608 - constant columns
_ALL_LISTS = f"SELECT {_LIST_COLUMNS} FROM status_lists ORDER BY ord"  # noqa: S608 - constant columns
_ISSUER_LISTS = f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE issuer = ? ORDER BY ord"  # noqa: S608 - constant
# No list bytes: PostgreSQL then never fetches them from TOAST (SQLite walks past them, copying none).
_HEAD_COLUMNS = "id, uri, issuer, bits, size, allocated, created"
_ALL_HEADS = f"SELECT {_HEAD_COLUMNS} FROM status_lists ORDER BY ord"  # noqa: S608 - constant columns
_ISSUER_HEADS = f"SELECT {_HEAD_COLUMNS} FROM status_lists WHERE issuer = ? ORDER BY ord"  # noqa: S608 - constant
_LAST_CHANGE = "SELECT status_from, status_to, reason, time, log_seq FROM status_changes WHERE digest = ?"
_PUT_CHANGE = (
    "INSERT INTO status_changes (digest, status_from, status_to, reason, time, log_seq)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO UPDATE SET status_from = excluded.status_from,"
    " status_to = excluded.status_to, reason = excluded.reason, time = excluded.time,"
    " log_seq = excluded.log_seq"
)


def _stored(row: Sequence[Any]) -> StoredList:
    list_id, uri, issuer, bits, size, data, used, allocated, version, created = row
    return StoredList(
        str(list_id), str(uri), str(issuer), int(bits), int(size), bytes(data), bytes(used),
        int(allocated), int(version), int(created),
    )  # fmt: skip


def _head(row: Sequence[Any]) -> ListHead:
    list_id, uri, issuer, bits, size, allocated, created = row
    return ListHead(str(list_id), str(uri), str(issuer), int(bits), int(size), int(allocated), int(created))


class SqlStatusStore:
    """Status lists in a SQLite file or a PostgreSQL schema (the log's database); see the module docstring."""

    def __init__(self, db: SqliteLogStore | PostgresLogStore) -> None:
        self._db = db
        self._mark = db._mark
        # SQLite's BEGIN IMMEDIATE already holds the only write lock; PostgreSQL locks the one row.
        self._row_lock = "" if self._mark == "?" else " FOR NO KEY UPDATE"

    def __repr__(self) -> str:
        return f"SqlStatusStore({self._db!r})"

    def _q(self, statement: str) -> str:
        return self._db._q(statement)

    def open(self) -> SqlStatusStore:
        """Open now (creating and migrating the schema), so that errors surface here."""
        self._db.open()
        return self

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqlStatusStore:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- lists -------------------------------------------------------------------------------------

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
        if size < 1 or size * bits % 8:
            raise InputError(f"a status list of {size} entries at {bits} bits does not fill whole bytes")
        if snapshot is not None and snapshot.uri != uri:
            raise InputError(f"snapshot of {snapshot.uri} given for the new list {list_id!r}")
        data, used = bytes(size * bits // 8), bytes((size + 7) // 8)
        with self._db._write() as conn:
            top = conn.execute("SELECT coalesce(max(ord), 0) FROM status_lists").fetchone()
            last = int(top[0]) if top is not None else 0
            inserted = conn.execute(
                self._q(
                    "INSERT INTO status_lists (id, uri, issuer, bits, size, data, used, allocated, version,"
                    " created, ord) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?) ON CONFLICT DO NOTHING"
                ),
                (list_id, uri, issuer, bits, size, data, used, created, last + 1),
            )
            if inserted.rowcount != 1:
                raise InputError(f"status list {list_id!r} ({uri}) already exists")
            if snapshot is not None:
                self._put_snapshot(conn, list_id, snapshot)
        return StoredList(list_id, uri, issuer, bits, size, data, used, 0, 1, created)

    def load_list(self, list_id: str) -> StoredList:
        with self._db._read() as conn:
            row = conn.execute(self._q(_SELECT_LIST), (list_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no status list {list_id!r}")
        return _stored(row)

    def lists(self, issuer: str | None = None) -> list[StoredList]:
        with self._db._read() as conn:
            if issuer is None:
                rows = conn.execute(_ALL_LISTS).fetchall()
            else:
                rows = conn.execute(
                    self._q(_ISSUER_LISTS),
                    (issuer,),
                ).fetchall()
        return [_stored(row) for row in rows]

    def heads(self, issuer: str | None = None) -> list[ListHead]:
        with self._db._read() as conn:
            if issuer is None:
                rows = conn.execute(_ALL_HEADS).fetchall()
            else:
                rows = conn.execute(self._q(_ISSUER_HEADS), (issuer,)).fetchall()
        return [_head(row) for row in rows]

    def reserve(self, list_id: str, count: int, rng: Rng, *, limit: int) -> list[int]:
        with self._db._write() as conn:
            row = conn.execute(
                # Only the constant lock clause is interpolated; the id is a parameter.
                self._q(f"SELECT size, allocated, used FROM status_lists WHERE id = ?{self._row_lock}"),  # noqa: S608
                (list_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no status list {list_id!r}")
            size, allocated = int(row[0]), int(row[1])
            take = min(count, limit - allocated, size - allocated)
            if take <= 0:
                return []
            used = bytearray(row[2])
            drawn = draw_indexes(used, size, take, rng)
            conn.execute(
                self._q("UPDATE status_lists SET used = ?, allocated = ? WHERE id = ?"),
                (bytes(used), allocated + take, list_id),
            )
        return drawn

    def record_credentials(self, credentials: Sequence[CredentialRecord]) -> None:
        if not credentials:
            return
        with self._db._write() as conn:
            sizes: dict[str, int] = {}
            for record in credentials:
                if record.list_id not in sizes:
                    row = conn.execute(
                        self._q("SELECT size FROM status_lists WHERE id = ?"), (record.list_id,)
                    ).fetchone()
                    if row is None:
                        raise NotFoundError(f"no status list {record.list_id!r}")
                    sizes[record.list_id] = int(row[0])
                self._add_credential(conn, record, record.list_id, sizes[record.list_id])

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
        with self._db._write() as conn:
            self._save(conn, list_id, version, data, credential, snapshot, credentials)
        return version + 1

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
        with self._db._write() as conn:
            self._save(conn, list_id, version, data, None, snapshot, ())
            (seq,) = append_pending(conn, self._mark, [entry])
            conn.execute(
                self._q(_PUT_CHANGE),
                (change.digest, int(change.before), int(change.after), change.reason, change.time, seq),
            )
        return replace(change, log_seq=seq)

    def _save(  # noqa: PLR0917 - private: save_list's arguments, passed through in one place
        self,
        conn: Any,
        list_id: str,
        version: int,
        data: bytes | None,
        credential: CredentialRecord | None,
        snapshot: StatusSnapshot | None,
        credentials: Sequence[CredentialRecord],
    ) -> None:
        sets, values = ("", ()) if data is None else (", data = ?", (data,))
        row = conn.execute(
            self._q("SELECT version, size, uri FROM status_lists WHERE id = ?"), (list_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no status list {list_id!r}")
        updated = conn.execute(
            # Only the constant ``sets`` is interpolated; values are parameters.
            self._q(f"UPDATE status_lists SET version = version + 1{sets} WHERE id = ? AND version = ?"),  # noqa: S608
            (*values, list_id, version),
        )
        if updated.rowcount != 1:
            raise StatusConflictError(
                f"status list {list_id!r} is at version {row[0]}, not {version} as read"
            )
        for record in (credential, *credentials) if credential is not None else credentials:
            self._add_credential(conn, record, list_id, int(row[1]))
        if snapshot is not None:
            if snapshot.uri != row[2]:
                raise InputError(f"snapshot of {snapshot.uri} saved with list {list_id!r}")
            self._put_snapshot(conn, list_id, snapshot)

    def _put_snapshot(self, conn: Any, list_id: str, snapshot: StatusSnapshot) -> None:
        conn.execute(
            self._q(
                "INSERT INTO status_snapshots (list_id, time, bits, lst) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (list_id, time) DO UPDATE SET bits = excluded.bits, lst = excluded.lst"
            ),
            (list_id, snapshot.time, snapshot.bits, snapshot.lst),
        )

    def _add_credential(self, conn: Any, credential: CredentialRecord, list_id: str, size: int) -> None:
        if credential.list_id != list_id or credential.idx >= size:
            raise InputError(f"credential entry {credential.list_id}[{credential.idx}] is not in {list_id!r}")
        clash = conn.execute(
            self._q("SELECT 1 FROM status_credentials WHERE digest = ? OR (list_id = ? AND idx = ?)"),
            (credential.digest, list_id, credential.idx),
        ).fetchone()
        if clash is not None:
            raise InputError(f"the credential or index {credential.idx} of {list_id!r} is already recorded")
        conn.execute(
            self._q("INSERT INTO status_credentials (digest, list_id, idx, issuer) VALUES (?, ?, ?, ?)"),
            (credential.digest, list_id, credential.idx, credential.issuer),
        )

    # -- credentials and snapshots -----------------------------------------------------------------

    def credential(self, digest: bytes) -> CredentialRecord | None:
        with self._db._read() as conn:
            row = conn.execute(
                self._q("SELECT list_id, idx, issuer FROM status_credentials WHERE digest = ?"), (digest,)
            ).fetchone()
        return None if row is None else CredentialRecord(bytes(digest), str(row[0]), int(row[1]), str(row[2]))

    def last_change(self, digest: bytes) -> StatusChangeRecord | None:
        with self._db._read() as conn:
            row = conn.execute(self._q(_LAST_CHANGE), (digest,)).fetchone()
        if row is None:
            return None
        before, after, reason, time, seq = (int(value) for value in row)
        return StatusChangeRecord(
            bytes(digest), CredentialStatus(before), CredentialStatus(after), reason, time, seq
        )

    def snapshots(self, list_id: str) -> list[StatusSnapshot]:
        with self._db._read() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT l.uri, s.time, s.lst, s.bits FROM status_snapshots AS s"
                    " JOIN status_lists AS l ON l.id = s.list_id WHERE s.list_id = ? ORDER BY s.time"
                ),
                (list_id,),
            ).fetchall()
        return [StatusSnapshot(str(uri), int(time), str(lst), int(bits)) for uri, time, lst, bits in rows]


def open_status_store(url_or_path: str | Path, *, schema: str = "dojang") -> SqlStatusStore:
    """Open the status store in the log database a URL or path names (see ``store_for``)."""
    return SqlStatusStore(store_for(url_or_path, schema=schema)).open()
