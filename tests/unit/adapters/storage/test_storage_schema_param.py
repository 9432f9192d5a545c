"""A PostgreSQL URL may name its schema (``?schema=``), so one database holds several platforms."""

from __future__ import annotations

import pytest

from dojang.adapters.storage import PostgresLogStore, store_for
from dojang.errors import ConfigError


def test_the_url_names_the_schema_and_libpq_never_sees_the_parameter() -> None:
    store = store_for("postgresql://u@db:5432/x?schema=bench_1&connect_timeout=3", schema="dojang")
    assert isinstance(store, PostgresLogStore)
    assert store.schema == "bench_1"
    assert store._dsn == "postgresql://u@db:5432/x?connect_timeout=3"


def test_without_the_parameter_the_caller_chooses() -> None:
    store = store_for("postgresql://u@db/x", schema="log")
    assert isinstance(store, PostgresLogStore)
    assert (store.schema, store._dsn) == ("log", "postgresql://u@db/x")
    default = store_for("postgres://db/x?sslmode=disable")
    assert isinstance(default, PostgresLogStore)
    assert (default.schema, default._dsn) == ("dojang", "postgres://db/x?sslmode=disable")


@pytest.mark.parametrize("schema", ["Bench", "a-b", "", "x;drop"])
def test_a_schema_that_would_need_quoting_is_refused(schema: str) -> None:
    with pytest.raises(ConfigError, match="schema name"):
        store_for(f"postgresql://db/x?schema={schema}")
