"""Choosing, opening and refusing stores: URLs, schema names, migrations plan, unusable databases."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from dojang.adapters.storage import PostgresLogStore, SqliteLogStore, open_store, store_for
from dojang.adapters.storage._migrations import EMPTY_ROOT, LATEST, MIGRATIONS, steps_to_apply
from dojang.adapters.storage._postgres import describe
from dojang.errors import ConfigError, UnavailableError


def test_the_empty_root_is_sha256_of_nothing_in_every_dialect() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    first = MIGRATIONS[0]
    assert any(EMPTY_ROOT.hex() in statement for statement in first.sqlite)
    assert any(EMPTY_ROOT.hex() in statement for statement in first.postgres)


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
    assert all(len(m.sqlite) == len(m.postgres) for m in MIGRATIONS)


def test_steps_to_apply_picks_the_missing_steps() -> None:
    assert steps_to_apply(0, where="db") == MIGRATIONS
    assert steps_to_apply(1, where="db") == MIGRATIONS[1:]
    assert steps_to_apply(LATEST, where="db") == ()
    assert steps_to_apply(0, where="db", target=1) == MIGRATIONS[:1]


def test_steps_to_apply_refuses_a_newer_database() -> None:
    with pytest.raises(ConfigError, match=f"db has log schema version {LATEST + 1}") as caught:
        steps_to_apply(LATEST + 1, where="db")
    assert "upgrade dojang" in caught.value.hint


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("sqlite:///srv/dojang/log.db", Path("/srv/dojang/log.db")),
        ("SQLITE:///srv/a%20b.db", Path("/srv/a b.db")),
        ("data/log.db", Path("data/log.db")),
        (Path("/x/log.db"), Path("/x/log.db")),
    ],
)
def test_sqlite_locations(location: str | Path, expected: Path) -> None:
    store = store_for(location)
    assert isinstance(store, SqliteLogStore)
    assert store.path == expected


@pytest.mark.parametrize("url", ["postgresql://u@db:5432/x", "postgres://db/x"])
def test_postgresql_urls(url: str) -> None:
    store = store_for(url, schema="log_a")
    assert isinstance(store, PostgresLogStore)
    assert store.schema == "log_a"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("sqlite://relative/log.db", "absolute path"),
        ("mysql://db/x", "scheme 'mysql' is not supported"),
        ("", "empty"),
    ],
)
def test_unusable_locations_are_config_errors(location: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        store_for(location)


@pytest.mark.parametrize("schema", ["Dojang", "1log", "log-a", 'x"; DROP TABLE y; --', "a" * 64])
def test_schema_names_that_would_need_quoting_are_refused(schema: str) -> None:
    with pytest.raises(ConfigError, match="schema name"):
        PostgresLogStore("postgresql://db/x", schema=schema)


def test_constructors_touch_nothing(tmp_path: Path) -> None:
    SqliteLogStore(tmp_path / "sub" / "log.db")
    PostgresLogStore("postgresql://nobody@127.0.0.1:1/none")
    assert list(tmp_path.iterdir()) == []


def test_messages_never_show_a_password() -> None:
    where = describe("postgresql://alice:s3cret@db.example:6543/log")
    assert where == "postgresql://db.example:6543/log"
    assert "s3cret" not in repr(PostgresLogStore("postgresql://alice:s3cret@db.example/log"))


def test_an_unreachable_server_is_unavailable_not_a_crash() -> None:
    store = PostgresLogStore("postgresql://nobody:pw@127.0.0.1:1/none", connect_timeout=2)
    with pytest.raises(UnavailableError, match=r"127\.0\.0\.1:1/none") as caught:
        store.head()
    assert ":pw@" not in caught.value.message


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    path.write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(ConfigError, match="not a usable SQLite database"):
        open_store(path)


def test_a_database_locked_by_another_writer_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    open_store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = SqliteLogStore(path, busy_timeout_ms=50)
    try:
        with pytest.raises(UnavailableError, match="busy"):
            store.add_pending([b"x"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    (seq,) = store.add_pending([b"x"])  # the refused call stored nothing
    assert [(p.seq, p.entry) for p in store.pending(10)] == [(seq, b"x")]
    store.close()


def test_a_store_works_as_a_context_manager(tmp_path: Path) -> None:
    with SqliteLogStore(tmp_path / "log.db") as store:
        store.add_pending([b"x"])
    with SqliteLogStore(tmp_path / "log.db") as store:
        assert [p.entry for p in store.pending(5)] == [b"x"]
