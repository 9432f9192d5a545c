"""The ``StatusStore`` port on both SQL backends, in the log's own database (migration 3).

One implementation for both dialects: it borrows a log store's connection lifecycle (open on first
use, migrate, lock, one transaction per write, errors translated) and differs only in the parameter
mark. A save is a compare-and-set on the list's ``version`` (``UPDATE … WHERE version = ?``), so
two writers never overwrite each other: the loser gets :class:`StatusConflictError` and retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dojang.adapters.storage._open import store_for
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.core.status import CredentialRecord, StatusConflictError, StatusSnapshot, StoredList
from dojang.errors import InputError, NotFoundError

__all__ = ["SqlStatusStore", "open_status_store"]

_LIST_COLUMNS = "id, uri, issuer, bits, size, data, used, allocated, version, created"
_SELECT_LIST = f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE id = ?"  # noqa: S608 - constant columns
_ALL_LISTS = f"SELECT {_LIST_COLUMNS} FROM status_lists ORDER BY ord"  # noqa: S608 - constant columns
_ISSUER_LISTS = f"SELECT {_LIST_COLUMNS} FROM status_lists WHERE issuer = ? ORDER BY ord"  # noqa: S608 - constant


def _stored(row: Sequence[Any]) -> StoredList:
    list_id, uri, issuer, bits, size, data, used, allocated, version, created = row
    return StoredList(
        str(list_id), str(uri), str(issuer), int(bits), int(size), bytes(data), bytes(used),
        int(allocated), int(version), int(created),
    )  # fmt: skip


class SqlStatusStore:
    """Status lists in a SQLite file or a PostgreSQL schema (the log's database); see the module docstring."""

    def __init__(self, db: SqliteLogStore | PostgresLogStore) -> None:
        self._db = db
        self._mark = "?" if isinstance(db, SqliteLogStore) else "%s"

    def __repr__(self) -> str:
        return f"SqlStatusStore({self._db!r})"

    def _q(self, statement: str) -> str:
        return statement if self._mark == "?" else statement.replace("?", "%s")

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
        self, *, list_id: str, uri: str, issuer: str, bits: int, size: int, created: int
    ) -> StoredList:
        if size < 1 or size * bits % 8:
            raise InputError(f"a status list of {size} entries at {bits} bits does not fill whole bytes")
        data, used = bytes(size * bits // 8), bytes((size + 7) // 8)
        with self._db._write() as conn:
            taken = conn.execute(
                self._q("SELECT id FROM status_lists WHERE id = ? OR uri = ?"), (list_id, uri)
            )
            if taken.fetchone() is not None:
                raise InputError(f"status list {list_id!r} ({uri}) already exists")
            top = conn.execute("SELECT coalesce(max(ord), 0) FROM status_lists").fetchone()
            last = int(top[0]) if top is not None else 0
            conn.execute(
                self._q(
                    "INSERT INTO status_lists (id, uri, issuer, bits, size, data, used, allocated, version,"
                    " created, ord) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 1, ?, ?)"
                ),
                (list_id, uri, issuer, bits, size, data, used, created, last + 1),
            )
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
        changes = {"data": data, "used": used, "allocated": allocated}
        sets = "".join(f", {name} = ?" for name, value in changes.items() if value is not None)
        values = [value for value in changes.values() if value is not None]
        with self._db._write() as conn:
            row = conn.execute(
                self._q("SELECT version, size, uri FROM status_lists WHERE id = ?"), (list_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no status list {list_id!r}")
            updated = conn.execute(
                # Only the constant column names of ``changes`` are interpolated; values are parameters.
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
                conn.execute(
                    self._q(
                        "INSERT INTO status_snapshots (list_id, time, bits, lst) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (list_id, time) DO UPDATE SET bits = excluded.bits, lst = excluded.lst"
                    ),
                    (list_id, snapshot.time, snapshot.bits, snapshot.lst),
                )
        return version + 1

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
