"""The ``JobStore`` port on both SQL backends (migration 4): agencies' bulk jobs, items, issued index.

Like the status store it borrows a log store's connection (same database, same lock), one
transaction per call. A job is unique per (agency, idempotency key); creating it inserts every item
in the same transaction, so a job is either whole or absent. Workers hold a job by a lease
(``owner``, ``lease_until``) taken with a compare-and-set, so two workers never work one job at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dojang.adapters.storage._open import store_for
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.errors import NotFoundError
from dojang.roles.issuer import IdempotencyConflictError, IssuedRecord, Job, JobItem

__all__ = ["SqlJobStore", "open_job_store"]

_JOB_COLUMNS = "id, issuer, idem_key, total, done, failed, created, updated, owner, lease_until"
_ITEM_COLUMNS = "n, request, state, error, sd_jwt, digest, kind, vct, kid, iat, exp"
_ISSUED_COLUMNS = "seq, issuer, digest, kind, vct, iat, exp, job_id"


def _job(row: Sequence[Any]) -> Job:
    job_id, issuer, key, total, done, failed, created, updated, owner, lease = row
    return Job(
        str(job_id), str(issuer), str(key), int(total), int(done), int(failed), int(created),
        int(updated), None if owner is None else str(owner), int(lease),
    )  # fmt: skip


def _item(row: Sequence[Any]) -> JobItem:
    n, request, state, error, sd_jwt, digest, kind, vct, kid, iat, exp = row
    return JobItem(
        int(n), str(request), str(state), error, sd_jwt, None if digest is None else bytes(digest),
        kind, vct, kid, None if iat is None else int(iat), None if exp is None else int(exp),
    )  # fmt: skip


def _issued(row: Sequence[Any]) -> IssuedRecord:
    seq, issuer, digest, kind, vct, iat, exp, job_id = row
    return IssuedRecord(int(seq), str(issuer), bytes(digest), str(kind), str(vct), int(iat), int(exp), job_id)


class SqlJobStore:
    """Bulk jobs in a SQLite file or a PostgreSQL schema (the log's database); see the module docstring."""

    def __init__(self, db: SqliteLogStore | PostgresLogStore) -> None:
        self._db = db
        self._sqlite = isinstance(db, SqliteLogStore)

    def __repr__(self) -> str:
        return f"SqlJobStore({self._db!r})"

    def _q(self, statement: str) -> str:
        return self._db._q(statement)

    def _many(self, conn: Any, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        if self._sqlite:
            conn.executemany(statement, rows)
        else:
            with conn.cursor() as cursor:
                cursor.executemany(self._q(statement), list(rows))

    def open(self) -> SqlJobStore:
        self._db.open()
        return self

    def close(self) -> None:
        self._db.close()

    # -- jobs --------------------------------------------------------------------------------------

    def create(
        self, *, job_id: str, issuer: str, key: str, body_hash: bytes, requests: Sequence[str], now: int
    ) -> tuple[Job, bool]:
        with self._db._write() as conn:
            inserted = conn.execute(
                self._q(
                    "INSERT INTO agency_jobs (id, issuer, idem_key, body_hash, total, created, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer, idem_key) DO NOTHING"
                ),
                (job_id, issuer, key, body_hash, len(requests), now, now),
            ).rowcount
            if inserted == 1:
                self._many(
                    conn,
                    "INSERT INTO agency_job_items (job_id, n, request) VALUES (?, ?, ?)",
                    ((job_id, n, request) for n, request in enumerate(requests)),
                )
            row = conn.execute(
                self._q(
                    f"SELECT {_JOB_COLUMNS}, body_hash FROM agency_jobs WHERE issuer = ? AND idem_key = ?"  # noqa: S608 - constant columns
                ),
                (issuer, key),
            ).fetchone()
        if row is None:  # the insert or the row it collided with is in this transaction's view
            raise NotFoundError(f"bulk job for key {key!r} vanished while it was created")
        if bytes(row[-1]) != body_hash:
            raise IdempotencyConflictError(
                f"Idempotency-Key {key!r} was used for job {row[0]} with a different request body"
            )
        return _job(row[:-1]), inserted == 1

    def job(self, job_id: str) -> Job:
        with self._db._read() as conn:
            row = conn.execute(
                self._q(f"SELECT {_JOB_COLUMNS} FROM agency_jobs WHERE id = ?"),  # noqa: S608 - constant columns
                (job_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no bulk job {job_id!r}")
        return _job(row)

    def jobs(self, issuer: str, limit: int = 50) -> list[Job]:
        with self._db._read() as conn:
            rows = conn.execute(
                self._q(
                    f"SELECT {_JOB_COLUMNS} FROM agency_jobs WHERE issuer = ?"  # noqa: S608 - constant columns
                    " ORDER BY created DESC, id LIMIT ?"
                ),
                (issuer, limit),
            ).fetchall()
        return [_job(row) for row in rows]

    def claim(self, owner: str, *, now: int, lease_until: int, job_id: str | None = None) -> Job | None:
        free = "done + failed < total AND (owner IS NULL OR lease_until < ?)"
        # PostgreSQL runs claims side by side: skip a job another claim is taking, or every worker
        # would pick the same oldest one and all but one go idle. SQLite's writers queue anyway.
        skip = "" if self._sqlite else " FOR UPDATE SKIP LOCKED"
        with self._db._write() as conn:
            if job_id is None:
                row = conn.execute(
                    self._q(f"SELECT id FROM agency_jobs WHERE {free} ORDER BY created, id LIMIT 1{skip}"),  # noqa: S608 - constant
                    (now,),
                ).fetchone()
                if row is None:
                    return None
                job_id = str(row[0])
            taken = conn.execute(
                self._q(f"UPDATE agency_jobs SET owner = ?, lease_until = ? WHERE id = ? AND {free}"),  # noqa: S608 - constant
                (owner, lease_until, job_id, now),
            ).rowcount
        return self.job(job_id) if taken == 1 else None

    def renew(self, job_id: str, owner: str, lease_until: int) -> None:
        with self._db._write() as conn:
            conn.execute(
                self._q("UPDATE agency_jobs SET lease_until = ? WHERE id = ? AND owner = ?"),
                (lease_until, job_id, owner),
            )

    def release(self, job_id: str, owner: str) -> None:
        with self._db._write() as conn:
            conn.execute(
                self._q("UPDATE agency_jobs SET owner = NULL, lease_until = 0 WHERE id = ? AND owner = ?"),
                (job_id, owner),
            )

    # -- items -------------------------------------------------------------------------------------

    def open_items(self, job_id: str, limit: int) -> list[JobItem]:
        with self._db._read() as conn:
            rows = conn.execute(
                self._q(
                    f"SELECT {_ITEM_COLUMNS} FROM agency_job_items WHERE job_id = ?"  # noqa: S608 - constant columns
                    " AND state IN ('pending', 'signed') ORDER BY n LIMIT ?"
                ),
                (job_id, limit),
            ).fetchall()
        return [_item(row) for row in rows]

    def save_signed(
        self, job_id: str, signed: Sequence[JobItem], failed: Sequence[JobItem], now: int
    ) -> None:
        with self._db._write() as conn:
            self._many(
                conn,
                "UPDATE agency_job_items SET state = 'signed', sd_jwt = ?, digest = ?, kind = ?, vct = ?,"
                " kid = ?, iat = ?, exp = ? WHERE job_id = ? AND n = ? AND state = 'pending'",
                ((i.sd_jwt, i.digest, i.kind, i.vct, i.kid, i.iat, i.exp, job_id, i.n) for i in signed),
            )
            self._many(
                conn,
                "UPDATE agency_job_items SET state = 'failed', error = ? WHERE job_id = ? AND n = ?"
                " AND state = 'pending'",
                ((i.error, job_id, i.n) for i in failed),
            )
            # Recounted, not incremented: a repeated save (after a lost lease) changes no item.
            conn.execute(
                self._q(
                    "UPDATE agency_jobs SET updated = ?, failed = (SELECT count(*) FROM agency_job_items"
                    " WHERE job_id = ? AND state = 'failed') WHERE id = ?"
                ),
                (now, job_id, job_id),
            )

    def mark_issued(self, job_id: str, numbers: Sequence[int], now: int) -> None:
        with self._db._write() as conn:
            self._many(
                conn,
                "INSERT INTO agency_issued (issuer, digest, kind, vct, iat, exp, job_id)"
                " SELECT j.issuer, i.digest, i.kind, i.vct, i.iat, i.exp, i.job_id"
                " FROM agency_job_items AS i JOIN agency_jobs AS j ON j.id = i.job_id"
                " WHERE i.job_id = ? AND i.n = ? AND i.state = 'signed'",
                ((job_id, n) for n in numbers),
            )
            self._many(
                conn,
                "UPDATE agency_job_items SET state = 'issued'"
                " WHERE job_id = ? AND n = ? AND state = 'signed'",
                ((job_id, n) for n in numbers),
            )
            conn.execute(
                self._q(
                    "UPDATE agency_jobs SET updated = ?, done = (SELECT count(*) FROM agency_job_items"
                    " WHERE job_id = ? AND state = 'issued') WHERE id = ?"
                ),
                (now, job_id, job_id),
            )

    def items(
        self, job_id: str, *, after: int = -1, limit: int = 1000, state: str | None = None
    ) -> list[JobItem]:
        where, params = "job_id = ? AND n > ?", [job_id, after]
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        with self._db._read() as conn:
            rows = conn.execute(
                self._q(f"SELECT {_ITEM_COLUMNS} FROM agency_job_items WHERE {where} ORDER BY n LIMIT ?"),  # noqa: S608 - constant
                (*params, limit),
            ).fetchall()
        return [_item(row) for row in rows]

    # -- the issued index --------------------------------------------------------------------------

    def record_issued(self, records: Sequence[IssuedRecord]) -> None:
        with self._db._write() as conn:
            self._many(
                conn,
                "INSERT INTO agency_issued (issuer, digest, kind, vct, iat, exp, job_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((r.issuer, r.digest, r.kind, r.vct, r.iat, r.exp, r.job_id) for r in records),
            )

    def issued(
        self, issuer: str, *, kind: str | None = None, after: int = 0, limit: int = 100
    ) -> list[IssuedRecord]:
        where, params = "issuer = ? AND seq > ?", [issuer, after]
        if kind is not None:
            where += " AND kind = ?"
            params.append(kind)
        with self._db._read() as conn:
            rows = conn.execute(
                self._q(f"SELECT {_ISSUED_COLUMNS} FROM agency_issued WHERE {where} ORDER BY seq LIMIT ?"),  # noqa: S608 - constant
                (*params, limit),
            ).fetchall()
        return [_issued(row) for row in rows]


def open_job_store(url_or_path: str | Path, *, schema: str = "dojang") -> SqlJobStore:
    """Open the job store in the log database a URL or path names (see ``store_for``)."""
    return SqlJobStore(store_for(url_or_path, schema=schema)).open()
