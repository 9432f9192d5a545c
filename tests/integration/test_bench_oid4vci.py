"""The ``oid4vci_flow`` bench rows run whole flows against a real ``dojang serve`` (rates are not checked)."""

from __future__ import annotations

import os

import psycopg
import pytest

from dojang.cli._bench import ALL_ROWS, FLOW_ROWS, table
from dojang.cli._bench_oid4vci import DEFAULT_POSTGRES, oid4vci_flow_rate

PG_DSN = os.environ.get("DOJANG_TEST_POSTGRES_DSN", DEFAULT_POSTGRES)


def _check(row: dict[str, object], name: str, workers: int, db: str) -> None:
    assert (row["name"], row["cores"], row["workers"], row["db"]) == (name, workers, workers, db)
    assert isinstance(row["ops"], int)
    assert row["ops"] > 0
    assert isinstance(row["ops_per_s"], float)
    assert row["ops_per_s"] > 0
    assert {"server_cpu_s", "client_cpu_s", "other_load", "threads", "seconds"} <= set(row)
    assert any(line.startswith(f"{name}: offer → token → nonce → credential") for line in table([row]))


def test_flow_rows_are_bench_rows() -> None:
    assert set(FLOW_ROWS) <= set(ALL_ROWS)


def test_two_workers_on_sqlite_issue_whole_flows() -> None:
    _check(oid4vci_flow_rate(workers=2, seconds=0.5, threads=3), "oid4vci_flow", 2, "sqlite")


@pytest.mark.postgres
def test_postgresql_flows_run_in_a_schema_of_their_own_dropped_afterwards() -> None:
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        before = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}
    _check(
        oid4vci_flow_rate(workers=1, backend="postgres", seconds=0.5, threads=3, dsn=PG_DSN),
        "oid4vci_flow_pg",
        1,
        "postgres",
    )
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        after = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}
    assert not {name for name in after - before if name.startswith("bench_oid4vci_")}
