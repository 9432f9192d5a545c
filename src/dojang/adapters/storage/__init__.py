"""Durable log storage: the ``LogStore`` port on SQLite (embedded default) and PostgreSQL (at scale).

Both backends share one schema, created and upgraded by numbered migrations when a store opens
(``schema_version`` records each step; a database newer than this code is refused). Choose one
with ``open_store``::

    store = open_store(data_dir / "log.db")                       # SQLite, WAL, fsync per commit
    store = open_store("postgresql://dojang@db/dojang", schema="log")  # PostgreSQL

Besides the port, both stores offer ``iter_entries(start, stop, batch)`` to stream the log in
bounded memory (``ScanningLogStore``), ``open()`` and use as a context manager.

The same database holds the issuers' status lists (the ``StatusStore`` port of
``dojang.core.status``): ``open_status_store(location)`` takes the same URL or path, and so does
``open_job_store`` (the agencies' bulk jobs) and ``open_oid4vci_store`` (OpenID4VCI offers).
"""

from dojang.adapters.storage._common import ScanningLogStore
from dojang.adapters.storage._jobs import SqlJobStore, open_job_store
from dojang.adapters.storage._migrations import LATEST as SCHEMA_VERSION
from dojang.adapters.storage._oid4vci import SqlOid4vciStore, open_oid4vci_store
from dojang.adapters.storage._open import open_store, store_for
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.adapters.storage._status import SqlStatusStore, open_status_store

__all__ = [
    "SCHEMA_VERSION",
    "PostgresLogStore",
    "ScanningLogStore",
    "SqlJobStore",
    "SqlOid4vciStore",
    "SqlStatusStore",
    "SqliteLogStore",
    "open_job_store",
    "open_oid4vci_store",
    "open_status_store",
    "open_store",
    "store_for",
]
