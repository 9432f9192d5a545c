"""The embedded log store: one SQLite file in the data directory, WAL, every acknowledged write fsynced.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL``. In WAL mode ``NORMAL`` survives a killed
process but not a power cut: the WAL is only fsynced at checkpoints, so the last commits before the
cut can vanish after ``add_pending`` said they were stored. ``FULL`` fsyncs the WAL at every commit,
so an acknowledged entry survives both. Its cost is one fsync per commit, which the sequencer pays
once per batch (group commit), not once per entry. A new database file also gets its directory
fsynced, so the file itself survives a power cut; SQLite syncs the directory of a new WAL itself.

One connection per store, guarded by a lock (the store may be shared by threads); every write is one
``BEGIN IMMEDIATE`` transaction, which takes the write lock up front so that reading the head and
writing the batch cannot interleave with another writer; ``busy_timeout`` makes a second process
wait for the lock instead of failing at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import count
from pathlib import Path

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

__all__ = ["SqliteLogStore", "migrate"]

_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
_TILES_BY_KEY = (
    "SELECT t.level, t.idx, t.data FROM json_each(?) AS k JOIN tiles AS t"
    " ON t.level = json_extract(k.value, '$[0]') AND t.idx = json_extract(k.value, '$[1]')"
)

# Written to match the prefix index of migration 1 exactly, so that SQLite uses it.
_INDEX_OF = "SELECT min(idx) FROM leaves WHERE substr(leaf_hash, 1, 8) = substr(?1, 1, 8) AND leaf_hash = ?1"


def migrate(conn: sqlite3.Connection, *, where: str, target: int = LATEST) -> int:
    """Bring the schema up to ``target`` in one transaction; the version the database is at after."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SCHEMA_VERSION_TABLE)
        (current,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        steps = steps_to_apply(current, where=where, target=target)
        for step in steps:
            for statement in step.sqlite:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name) VALUES (?, ?)", (step.version, step.name)
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return steps[-1].version if steps else int(current)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def connect(path: Path, *, busy_timeout_ms: int = 10_000) -> sqlite3.Connection:
    """Open ``path`` (creating it and its directory) with the pragmas this store relies on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    # isolation_level=None: the module never opens transactions behind our back; we BEGIN ourselves.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode != "wal":
            raise ConfigError(f"{path}: SQLite refused WAL mode (journal_mode is {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB: keeps the leaf-hash index hot while integrating
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ConfigError(f"{path} is not a usable SQLite database: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    if created:
        _fsync_directory(path.parent)
    return conn


@contextlib.contextmanager
def _translated(path: Path) -> Iterator[None]:
    """SQLite's errors as dojang's: a busy database is unavailable for now, a broken one is a config error."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "locked" in message or "busy" in message:
            raise UnavailableError(f"{path} is busy (another writer holds it): {message}") from exc
        raise ConfigError(f"{path} cannot be used: {message}") from exc


class SqliteLogStore(Connected[sqlite3.Connection]):
    """The log's durable state in one SQLite file (see the module docstring for the durability rules).

    The constructor touches nothing; the file is opened (created and migrated) on first use, or by
    ``open()``. After ``close()`` the next call opens it again.
    """

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"SqliteLogStore({str(self.path)!r})"

    # -- connection and transactions ---------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            with _translated(self.path):
                conn = connect(self.path, busy_timeout_ms=self._busy_timeout_ms)
                try:
                    migrate(conn, where=str(self.path))
                except BaseException:
                    conn.close()
                    raise
            self._conn = conn
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translated(self.path):
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translated(self.path):
            yield self._connection()

    # -- pending entries and integration -----------------------------------------------------------

    def add_pending(self, entries: Sequence[bytes]) -> list[int]:
        if not entries:
            return []
        with self._write() as conn:
            # Under BEGIN IMMEDIATE nobody else writes, so the next numbers are ours to assign.
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'pending'").fetchone()
            first = (row[0] if row else 0) + 1
            conn.executemany("INSERT INTO pending (seq, entry) VALUES (?, ?)", zip(count(first), entries))
        return list(range(first, first + len(entries)))

    def pending(self, limit: int) -> list[PendingEntry]:
        with self._read() as conn:
            rows = conn.execute("SELECT seq, entry FROM pending ORDER BY seq LIMIT ?", (limit,)).fetchall()
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
            (size,) = conn.execute("SELECT size FROM head WHERE id = 1").fetchone()
            check_integrate(
                size=size, first_index=first_index, entries=entries, leaf_hashes=leaf_hashes, head=head
            )
            removed = _remove_pending(conn, taken)
            if removed != len(taken):
                raise refuse_taken(taken, removed)
            conn.executemany(
                "INSERT INTO leaves (idx, entry, leaf_hash) VALUES (?, ?, ?)",
                zip(count(first_index), entries, leaf_hashes),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO tiles (level, idx, data) VALUES (?, ?, ?)",
                ((key.level, key.index, data) for key, data in tiles.items()),
            )
            conn.execute("UPDATE head SET size = ?, root = ? WHERE id = 1", (head.size, head.root))

    # -- the tree ----------------------------------------------------------------------------------

    def head(self) -> TreeHead:
        with self._read() as conn:
            size, root = conn.execute("SELECT size, root FROM head WHERE id = 1").fetchone()
        return TreeHead(size, root)

    def tiles(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        wanted = json.dumps([[key.level, key.index] for key in keys])
        if wanted == "[]":
            return {}
        with self._read() as conn:
            rows = conn.execute(_TILES_BY_KEY, (wanted,)).fetchall()
        return {TileKey(level, index): data for level, index, data in rows}

    def entries(self, start: int, stop: int) -> list[bytes]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT entry FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx", (start, stop)
            ).fetchall()
        return [entry for (entry,) in rows]

    def iter_entries(self, start: int, stop: int, batch: int = 10_000) -> Iterator[bytes]:
        """Entries with index in ``[start, stop)``, in order, read ``batch`` rows at a time."""
        return iter_batches(self.entries, start, stop, batch)

    def index_of(self, leaf_hash: bytes) -> int | None:
        with self._read() as conn:
            (index,) = conn.execute(_INDEX_OF, (leaf_hash,)).fetchone()
        return None if index is None else int(index)

    # -- checkpoints -------------------------------------------------------------------------------

    def put_checkpoint(self, size: int, note: bytes) -> None:
        with self._write() as conn:
            added = conn.execute("INSERT OR IGNORE INTO checkpoints (size, note) VALUES (?, ?)", (size, note))
            if added.rowcount == 0:
                (stored,) = conn.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
                if stored != bytes(note):
                    raise refuse_checkpoint(size)

    def checkpoint(self, size: int | None = None) -> bytes | None:
        with self._read() as conn:
            if size is None:
                row = conn.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
            else:
                row = conn.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        return None if row is None else bytes(row[0])

    def checkpoint_sizes(self) -> list[int]:
        with self._read() as conn:
            rows = conn.execute("SELECT size FROM checkpoints ORDER BY size").fetchall()
        return [size for (size,) in rows]

    # -- outbox ------------------------------------------------------------------------------------

    def outbox_add(self, kind: str, key: str, payload: bytes) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO outbox (kind, key, payload) VALUES (?, ?, ?)", (kind, key, payload)
            )

    def outbox_pending(self, kind: str, limit: int = 100) -> list[OutboxItem]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, kind, key, payload, attempts FROM outbox WHERE kind = ? AND done = 0"
                " ORDER BY id LIMIT ?",
                (kind, limit),
            ).fetchall()
        return [OutboxItem(*row) for row in rows]

    def outbox_attempted(self, item_id: int) -> None:
        with self._write() as conn:
            counted = conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            if counted.rowcount == 0:
                raise NotFoundError(f"no outbox item {item_id}")

    def outbox_done(self, item_id: int, result: bytes) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT done, result FROM outbox WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no outbox item {item_id}")
            if row[0]:
                if row[1] != bytes(result):
                    raise refuse_result(item_id)
                return
            conn.execute("UPDATE outbox SET done = 1, result = ? WHERE id = ?", (result, item_id))

    def outbox_result(self, kind: str, key: str) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT result FROM outbox WHERE kind = ? AND key = ? AND done = 1", (kind, key)
            ).fetchone()
        return None if row is None else bytes(row[0])


def _remove_pending(conn: sqlite3.Connection, taken: Sequence[int]) -> int:
    """Delete ``taken`` from pending; how many distinct pending rows that removed."""
    if not taken:
        return 0
    if is_run(taken):
        return conn.execute("DELETE FROM pending WHERE seq BETWEEN ? AND ?", (taken[0], taken[-1])).rowcount
    # executemany sums rowcount over its statements; a repeated seq deletes nothing the second time.
    return conn.executemany("DELETE FROM pending WHERE seq = ?", ((seq,) for seq in taken)).rowcount
