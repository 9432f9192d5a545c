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
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dojang.adapters._durable import fsync_directory
from dojang.adapters.storage._log import SqlLogStore
from dojang.adapters.storage._migrations import LATEST, apply_steps, steps_to_apply
from dojang.core.log import TileKey
from dojang.errors import ConfigError, UnavailableError

__all__ = ["SqliteLogStore", "migrate"]

_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
_TILES_BY_KEY = (
    "SELECT t.level, t.idx, t.data FROM json_each(?) AS k JOIN tiles AS t"
    " ON t.level = json_extract(k.value, '$[0]') AND t.idx = json_extract(k.value, '$[1]')"
)


def migrate(conn: sqlite3.Connection, *, where: str, target: int = LATEST) -> int:
    """Bring the schema up to ``target`` in one transaction; the version the database is at after."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_SCHEMA_VERSION_TABLE)
        (current,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        steps = steps_to_apply(current, where=where, target=target)
        apply_steps(conn, steps, "?")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return steps[-1].version if steps else int(current)


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
        # Copy the WAL back into the database every ~40 MB instead of every 4 MB: pending runs are
        # written and freed within a few batches, so most of their pages are never copied at all
        # (about 10 % of a sequencer batch). Durability is unchanged: every commit still fsyncs the WAL.
        conn.execute("PRAGMA wal_autocheckpoint = 10000")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ConfigError(f"{path} is not a usable SQLite database: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    if created:
        fsync_directory(path.parent)
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


class SqliteLogStore(SqlLogStore):
    """The log's durable state in one SQLite file (see the module docstring for the durability rules).

    The constructor touches nothing; the file is opened (created and migrated) on first use, or by
    ``open()``. After ``close()`` the next call opens it again. The SQL is ``SqlLogStore``'s.
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

    def _tiles_query(self, keys: list[TileKey]) -> tuple[str, tuple[Any, ...]]:
        return _TILES_BY_KEY, (json.dumps([[key.level, key.index] for key in keys]),)
