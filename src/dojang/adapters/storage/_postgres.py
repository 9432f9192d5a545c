"""The log store at scale: PostgreSQL through psycopg 3, one schema per log, one transaction per write.

Durability is the server's: with its defaults (``fsync = on``, ``synchronous_commit = on``) a commit
returns only after its WAL record is flushed, so an acknowledged ``add_pending`` survives a crash.
Bulk rows go in with binary COPY and bulk keys with arrays, so a batch costs a few round trips.
``integrate`` locks the head row (``SELECT … FOR UPDATE``), so two sequencers serialise and the
second is refused. A lost connection is reported as UnavailableError and re-opened on the next call.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from dojang.adapters.storage._common import (
    Connected,
    check_integrate,
    is_run,
    iter_batches,
    refuse_checkpoint,
    refuse_result,
    refuse_taken,
)
from dojang.adapters.storage._migrations import LATEST, steps_to_apply
from dojang.core.log import OutboxItem, PendingEntry, TileKey, TreeHead
from dojang.errors import ConfigError, NotFoundError, UnavailableError

__all__ = ["PostgresLogStore", "migrate"]

Connection = psycopg.Connection[tuple[Any, ...]]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_NEXT_SEQS = "SELECT nextval(pg_get_serial_sequence('pending', 'seq')) FROM generate_series(1, %s)"
_TILES_BY_KEY = (
    "SELECT t.level, t.idx, t.data FROM unnest(%s::int4[], %s::int8[]) AS k (level, idx)"
    " JOIN tiles AS t USING (level, idx)"
)
_PUT_TILES = (
    "INSERT INTO tiles (level, idx, data) SELECT * FROM unnest(%s::int4[], %s::int8[], %s::bytea[])"
    " ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data"
)


def migrate(conn: Connection, schema: str, *, where: str, target: int = LATEST) -> int:
    """Create ``schema`` if needed and bring it up to ``target`` in one transaction; the version after."""
    with conn.transaction():
        # Two processes opening a fresh schema at once must not both run the steps.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dojang.storage:{schema}",))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(_SCHEMA_VERSION_TABLE)
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(row[0]) if row else 0
        steps = steps_to_apply(current, where=where, target=target)
        for step in steps:
            for statement in step.postgres:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name) VALUES (%s, %s)", (step.version, step.name)
            )
    return steps[-1].version if steps else current


def describe(dsn: str) -> str:
    """Where a DSN points, without its password: for messages and logs."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable DSN)"
    host, port, db = info.get("host", "localhost"), info.get("port", "5432"), info.get("dbname", "")
    return f"postgresql://{host}:{port}/{db}"


class PostgresLogStore(Connected[Connection]):
    """The log's durable state in one PostgreSQL schema (see the module docstring).

    The constructor touches nothing; the connection opens (creating and migrating the schema) on
    first use, or by ``open()``. After ``close()`` or a lost connection the next call opens it again.
    """

    def __init__(self, dsn: str, *, schema: str = "dojang", connect_timeout: int = 10) -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ConfigError(
                f"PostgreSQL schema name {schema!r} is not usable: expected lower-case letters, digits "
                "and underscores, starting with a letter or underscore, at most 63 characters"
            )
        self.schema = schema
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._where = f"{describe(dsn)} schema {schema}"
        self._conn: Connection | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"PostgresLogStore({self._where!r})"

    # -- connection and transactions ---------------------------------------------------------------

    def _opening(self) -> contextlib.AbstractContextManager[None]:
        return self._translated()

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=self._connect_timeout)
            try:
                migrate(conn, self.schema, where=self._where)
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg.OperationalError as exc:
            if self._conn is not None and self._conn.broken:
                self._conn.close()
                self._conn = None
            raise UnavailableError(f"{self._where} cannot be used now: {exc}".strip()) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._lock, self._translated():
            conn = self._connection()
            with conn.transaction():
                yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._lock, self._translated():
            yield self._connection()

    # -- pending entries and integration -----------------------------------------------------------

    def add_pending(self, entries: Sequence[bytes]) -> list[int]:
        if not entries:
            return []
        with self._write() as conn:
            seqs = sorted(seq for (seq,) in conn.execute(_NEXT_SEQS, (len(entries),)))
            with conn.cursor().copy("COPY pending (seq, entry) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "bytea"])
                for row in zip(seqs, entries, strict=True):
                    copy.write_row(row)
        return seqs

    def pending(self, limit: int) -> list[PendingEntry]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, entry FROM pending ORDER BY seq LIMIT %s", (limit,), binary=True
            ).fetchall()
        return [PendingEntry(seq, entry) for seq, entry in rows]

    def integrate(
        self,
        *,
        taken: Sequence[int],
        first_index: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileKey, bytes],
        head: TreeHead,
    ) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT size FROM head WHERE id = 1 FOR UPDATE").fetchone()
            size = int(row[0]) if row else 0
            check_integrate(
                size=size, first_index=first_index, entries=entries, leaf_hashes=leaf_hashes, head=head
            )
            removed = _remove_pending(conn, taken)
            if removed != len(taken):
                raise refuse_taken(taken, removed)
            with conn.cursor().copy("COPY leaves (idx, entry, leaf_hash) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "bytea", "bytea"])
                indexes = range(first_index, first_index + len(entries))
                for row in zip(indexes, entries, leaf_hashes, strict=True):
                    copy.write_row(row)
            if tiles:
                keys = list(tiles)
                conn.execute(
                    _PUT_TILES,
                    ([k.level for k in keys], [k.index for k in keys], [tiles[k] for k in keys]),
                )
            conn.execute("UPDATE head SET size = %s, root = %s WHERE id = 1", (head.size, head.root))

    # -- the tree ----------------------------------------------------------------------------------

    def head(self) -> TreeHead:
        with self._read() as conn:
            row = conn.execute("SELECT size, root FROM head WHERE id = 1", binary=True).fetchone()
        if row is None:
            raise ConfigError(f"{self._where} has no head row: the schema is damaged")
        return TreeHead(int(row[0]), bytes(row[1]))

    def tiles(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        wanted = list(keys)
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                _TILES_BY_KEY, ([k.level for k in wanted], [k.index for k in wanted]), binary=True
            ).fetchall()
        return {TileKey(level, index): data for level, index, data in rows}

    def entries(self, start: int, stop: int) -> list[bytes]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT entry FROM leaves WHERE idx >= %s AND idx < %s ORDER BY idx",
                (start, stop),
                binary=True,
            ).fetchall()
        return [entry for (entry,) in rows]

    def iter_entries(self, start: int, stop: int, batch: int = 10_000) -> Iterator[bytes]:
        """Entries with index in ``[start, stop)``, in order, read ``batch`` rows at a time."""
        return iter_batches(self.entries, start, stop, batch)

    def index_of(self, leaf_hash: bytes) -> int | None:
        with self._read() as conn:
            row = conn.execute("SELECT min(idx) FROM leaves WHERE leaf_hash = %s", (leaf_hash,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- checkpoints -------------------------------------------------------------------------------

    def put_checkpoint(self, size: int, note: bytes) -> None:
        with self._write() as conn:
            added = conn.execute(
                "INSERT INTO checkpoints (size, note) VALUES (%s, %s) ON CONFLICT (size) DO NOTHING",
                (size, note),
            )
            if added.rowcount == 0:
                row = conn.execute("SELECT note FROM checkpoints WHERE size = %s", (size,)).fetchone()
                if row is None or bytes(row[0]) != bytes(note):
                    raise refuse_checkpoint(size)

    def checkpoint(self, size: int | None = None) -> bytes | None:
        with self._read() as conn:
            if size is None:
                row = conn.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
            else:
                row = conn.execute("SELECT note FROM checkpoints WHERE size = %s", (size,)).fetchone()
        return None if row is None else bytes(row[0])

    def checkpoint_sizes(self) -> list[int]:
        with self._read() as conn:
            rows = conn.execute("SELECT size FROM checkpoints ORDER BY size").fetchall()
        return [int(size) for (size,) in rows]

    # -- outbox ------------------------------------------------------------------------------------

    def outbox_add(self, kind: str, key: str, payload: bytes) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO outbox (kind, key, payload) VALUES (%s, %s, %s)"
                " ON CONFLICT (kind, key) DO NOTHING",
                (kind, key, payload),
            )

    def outbox_pending(self, kind: str, limit: int = 100) -> list[OutboxItem]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, kind, key, payload, attempts FROM outbox WHERE kind = %s AND NOT done"
                " ORDER BY id LIMIT %s",
                (kind, limit),
            ).fetchall()
        return [OutboxItem(int(i), k, key, bytes(p), int(a)) for i, k, key, p, a in rows]

    def outbox_attempted(self, item_id: int) -> None:
        with self._write() as conn:
            counted = conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = %s", (item_id,))
            if counted.rowcount == 0:
                raise NotFoundError(f"no outbox item {item_id}")

    def outbox_done(self, item_id: int, result: bytes) -> None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT done, result FROM outbox WHERE id = %s FOR UPDATE", (item_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no outbox item {item_id}")
            if row[0]:
                if bytes(row[1]) != bytes(result):
                    raise refuse_result(item_id)
                return
            conn.execute("UPDATE outbox SET done = TRUE, result = %s WHERE id = %s", (result, item_id))

    def outbox_result(self, kind: str, key: str) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT result FROM outbox WHERE kind = %s AND key = %s AND done", (kind, key)
            ).fetchone()
        return None if row is None else bytes(row[0])


def _remove_pending(conn: Connection, taken: Sequence[int]) -> int:
    """Delete ``taken`` from pending; how many distinct pending rows that removed."""
    if not taken:
        return 0
    if is_run(taken):
        deleted = conn.execute("DELETE FROM pending WHERE seq BETWEEN %s AND %s", (taken[0], taken[-1]))
    else:
        deleted = conn.execute("DELETE FROM pending WHERE seq = ANY(%s::int8[])", (list(taken),))
    return deleted.rowcount
