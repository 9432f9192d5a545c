"""Where the SQL contract suites run: SQLite in a temporary file, PostgreSQL in a new schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_DSN = os.environ.get("DOJANG_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(database location, schema) for a fresh store; the PostgreSQL schema is dropped afterwards."""
    if request.param == "sqlite":
        yield str(tmp_path / "log.db"), "dojang"
        return
    schema = f"test_{uuid.uuid4().hex}"
    yield PG_DSN, schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
