"""The ``bulk_issue`` bench row: credentials/s through the agency's bulk job path, persisted and logged.

A fresh data directory gets an operator, one accredited agency and one job of holder-bound
``resident-register-abstract`` items for citizens of the synthetic registry; the row times one
worker (one thread, so one core) working the whole job: registry data, signing, status indexes
saved per chunk, the job's items stored, issuance entries made durable in the log, items acknowledged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from dojang.cli._agency import agency_service
from dojang.cli._context import open_state
from dojang.cli._operator import accredit_agency, add_agency, init_operator
from dojang.core.crypto import generate_key

__all__ = ["BULK_KIND", "bulk_row"]

BULK_KIND = "resident-register-abstract"
_AGENCY = "https://bench.example/agency"
_CITIZENS = 200


def _prepare(data: Path) -> None:
    state = open_state(data, None)
    try:
        now = int(time.time())
        init_operator(state, name="bench operator", operator_id="bench", not_before=now - 60, now=now)
        add_agency(state, _AGENCY, "bench agency", not_before=now - 60, now=now)
        accredit_agency(state, _AGENCY, BULK_KIND, not_before=now - 60, not_after=None, now=now)
    finally:
        state.close()


def bulk_row(items: int, *, chunk: int = 500) -> dict[str, Any]:
    """Issue ``items`` credentials as one bulk job in a temporary data directory; the row."""
    directory = Path(tempfile.mkdtemp(prefix="dojang-bench-bulk-"))
    try:
        data = directory / "data"
        _prepare(data)
        holder = dict(generate_key("ES256", os.urandom).public.jwk)
        requests = [
            {"kind": BULK_KIND, "citizen": f"C{n % _CITIZENS + 1:04d}", "holder_jwk": holder}
            for n in range(items)
        ]
        with agency_service(data, None) as service:
            start = time.perf_counter()
            job, _ = service.submit(_AGENCY, "bench", requests)
            done = service.worker("bench", chunk=chunk).run_job(job.id)
            seconds = time.perf_counter() - start
        issued = done.done if done is not None else 0
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "name": "bulk_issue",
        "cores": 1,
        "ops_per_s": issued / seconds,
        "ops": issued,
        "seconds": round(seconds, 3),
        "chunk": chunk,
    }
