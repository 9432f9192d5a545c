"""The log store at scale: PostgreSQL through psycopg 3, one schema per log, one transaction per write.

Durability is the server's: with its defaults (``fsync = on``, ``synchronous_commit = on``) a commit
returns only after its WAL record is flushed, so an acknowledged ``add_pending`` survives a crash.
A batch is a few packed rows (see ``_log``), so it costs a few round trips.
``integrate`` locks the head row (``SELECT … FOR UPDATE``), so two sequencers serialise and the
second is refused. A lost connection is reported as UnavailableError and re-opened on the next call.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from dojang.adapters.storage._log import SqlLogStore
from dojang.adapters.storage._migrations import LATEST, apply_steps, steps_to_apply
from dojang.core.log import TileKey
from dojang.errors import ConfigError, UnavailableError

__all__ = ["PostgresLogStore", "migrate"]

Connection = psycopg.Connection[tuple[Any, ...]]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_TILES_BY_KEY = (
    "SELECT t.level, t.idx, t.data FROM unnest(%s::int4[], %s::int8[]) AS k (level, idx)"
    " JOIN tiles AS t USING (level, idx)"
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
        apply_steps(conn, steps, "%s")
    return steps[-1].version if steps else current


def describe(dsn: str) -> str:
    """Where a DSN points, without its password: for messages and logs."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (unparsable DSN)"
    host, port, db = info.get("host", "localhost"), info.get("port", "5432"), info.get("dbname", "")
    return f"postgresql://{host}:{port}/{db}"


class PostgresLogStore(SqlLogStore):
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
        self._mark, self._for_update = "%s", " FOR UPDATE"
        self._contains = "position(%s IN i.data) > 0"

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

    def _tiles_query(self, keys: list[TileKey]) -> tuple[str, tuple[Any, ...]]:
        return _TILES_BY_KEY, ([k.level for k in keys], [k.index for k in keys])
