"""The ``Oid4vciStore`` port on both SQL backends (migration 5): credential offers and used c_nonces.

Like the status store it borrows a log store's connection (same database, same lock), one
transaction per call, so that every API worker sees every offer. Each offer update is a
compare-and-set on ``version``; :meth:`SqlOid4vciStore.consume` records the proofs' nonces as used
(``oid4vci_nonces``, keyed by digest, kept until they expire) and moves the offer on in one
transaction, or changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

from dojang.adapters.storage._open import store_for
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.roles.issuer import StoredOffer

__all__ = ["SqlOid4vciStore", "open_oid4vci_store"]

_COLUMNS = tuple(f.name for f in fields(StoredOffer))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM oid4vci_offers"  # noqa: S608 - constant columns
_MUTABLE = ("state", "attempts", "token_hash", "token_expires", "transaction_hash", "holder_jwks", "ready")
_BOOLS = ("deferred", "ready")


def _offer(row: Sequence[Any]) -> StoredOffer:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in ("code_hash", "pin_hash", "token_hash", "transaction_hash"):
        if values[name] is not None:
            values[name] = bytes(values[name])
    for name in _BOOLS:
        values[name] = bool(values[name])
    return StoredOffer(**values)


class SqlOid4vciStore:
    """Offers and nonces in the log's database (SQLite file or PostgreSQL schema)."""

    def __init__(self, db: SqliteLogStore | PostgresLogStore) -> None:
        self._db = db
        self._sqlite = isinstance(db, SqliteLogStore)

    def _q(self, statement: str) -> str:
        return self._db._q(statement)

    def _value(self, name: str, value: Any) -> Any:
        return int(value) if self._sqlite and name in _BOOLS else value

    def open(self) -> SqlOid4vciStore:
        self._db.open()
        return self

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqlOid4vciStore:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    def add_offer(self, offer: StoredOffer) -> None:
        marks = ", ".join("?" for _ in _COLUMNS)
        values = [self._value(n, v) for n, v in zip(_COLUMNS, astuple(offer), strict=True)]
        with self._db._write() as conn:
            conn.execute(
                self._q(f"INSERT INTO oid4vci_offers ({', '.join(_COLUMNS)}) VALUES ({marks})"),  # noqa: S608
                values,
            )

    def offer(
        self,
        *,
        id: str | None = None,  # noqa: A002 - the column's name
        code_hash: bytes | None = None,
        token_hash: bytes | None = None,
    ) -> StoredOffer | None:
        given = [(n, v) for n, v in (("id", id), ("code_hash", code_hash), ("token_hash", token_hash)) if v]
        if len(given) != 1:
            raise ValueError("look an offer up by exactly one of id, code_hash, token_hash")
        ((name, value),) = given
        with self._db._read() as conn:
            row = conn.execute(self._q(f"{_SELECT} WHERE {name} = ?"), (value,)).fetchone()
        return None if row is None else _offer(row)

    def save_offer(self, offer: StoredOffer, *, version: int) -> bool:
        with self._db._write() as conn:
            return self._save(conn, offer, version)

    def _save(self, conn: Any, offer: StoredOffer, version: int) -> bool:
        sets = ", ".join(f"{name} = ?" for name in _MUTABLE)
        values = [self._value(name, getattr(offer, name)) for name in _MUTABLE]
        cursor = conn.execute(
            # Only the constant column names of _MUTABLE are interpolated; values are parameters.
            self._q(f"UPDATE oid4vci_offers SET {sets}, version = ? WHERE id = ? AND version = ?"),  # noqa: S608
            (*values, version + 1, offer.id, version),
        )
        return bool(cursor.rowcount == 1)

    def consume(
        self, offer: StoredOffer, *, version: int, nonces: Sequence[tuple[bytes, int]], now: int
    ) -> bool:
        try:
            with self._db._write() as conn:
                conn.execute(self._q("DELETE FROM oid4vci_nonces WHERE expires <= ?"), (now,))
                for digest, expires in nonces:
                    fresh = conn.execute(
                        self._q(
                            "INSERT INTO oid4vci_nonces (hash, expires) VALUES (?, ?) ON CONFLICT DO NOTHING"
                        ),
                        (digest, expires),
                    )
                    if fresh.rowcount != 1:
                        raise _RollbackError
                if not self._save(conn, offer, version):
                    raise _RollbackError
        except _RollbackError:
            return False
        return True

    def counts(self) -> dict[str, int]:
        """Used nonces and offers per state: what tests compare before and after a refusal."""
        with self._db._read() as conn:
            nonces = conn.execute("SELECT count(*) FROM oid4vci_nonces").fetchone()
            states = conn.execute("SELECT state, count(*) FROM oid4vci_offers GROUP BY state").fetchall()
        total = 0 if nonces is None else int(nonces[0])
        return {"nonces": total, **{f"offers_{s}": int(n) for s, n in states}}


class _RollbackError(Exception):
    """Raised inside a write transaction to undo it (the caller's answer is then False)."""


def open_oid4vci_store(url_or_path: str | Path, *, schema: str = "dojang") -> SqlOid4vciStore:
    """Open the offer store in the log database a URL or path names (see ``store_for``)."""
    return SqlOid4vciStore(store_for(url_or_path, schema=schema)).open()
