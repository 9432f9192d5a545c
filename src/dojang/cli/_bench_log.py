"""The transparency log rows of ``dojang bench``: append and integrate, proofs from storage, a full audit.

``log_append_integrate`` is the log's whole write path per batch, timed: make 10,000 fresh entries,
store them as pending (one fsynced commit: the acknowledgement), then what the sequencer does — read
the oldest pending batch, hash and integrate it, write entry bundles, index, tiles and head (a second
fsynced commit). ``log_integrate`` is the sequencer's part alone, from entries appended before timing.
``log_integrate_core`` is the in-memory part alone (leaf hashes + tile integration).
``log_inclusion_proof`` draws random indexes in a log built before timing and proves each from the
SQLite tiles with one long-lived ``Prover``. ``log_audit`` replays a whole log from SQLite in a fresh
process (``python -m dojang.cli._bench_log audit DB``) so that its peak RSS is the audit's own.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dojang.adapters.storage import ScanningLogStore, open_store
from dojang.cli._bench_op import Op
from dojang.core.log import (
    Edge,
    IssuanceEntry,
    Prover,
    encode_entry,
    integrate,
    leaf_hash,
    leaf_hashes,
    verify_inclusion,
)
from dojang.errors import ConfigError, VerificationError

__all__ = [
    "ANCHOR_INTERVAL_S",
    "BATCH",
    "DEFAULT_AUDIT_ENTRIES",
    "DEFAULT_PROOF_LOG",
    "LOG_ROWS",
    "LogParams",
    "anchor_row",
    "audit_log",
    "audit_row",
    "build_log",
    "log_setups",
]

#: Leaves in the log proofs are drawn from, and entries in the log the audit replays (by default).
DEFAULT_PROOF_LOG = 1_000_000
DEFAULT_AUDIT_ENTRIES = 1_000_000
#: Entries per sequencer batch (one pair of fsynced commits).
BATCH = 10_000
#: The checkpoint and anchoring interval the anchoring row assumes: one transaction per interval.
ANCHOR_INTERVAL_S = 60.0
#: Rows measured in the worker processes (the audit and anchoring rows are measured apart).
LOG_ROWS = ("log_append_integrate", "log_integrate", "log_integrate_core", "log_inclusion_proof")
_BUILD_BATCH = 100_000
#: A generous upper bound of the integration rate, to pre-fill pending entries for the timed phase.
_MAX_RATE = 400_000
_VCT = "https://dojang.example/kinds/resident-register-copy/1"
_KID = "agency-jumin-2026-01"


@dataclass(frozen=True, slots=True)
class LogParams:
    """Sizes for the log rows: the log proofs are drawn from, and the log the audit replays."""

    proof_log: int = DEFAULT_PROOF_LOG
    audit_entries: int = DEFAULT_AUDIT_ENTRIES
    seconds: float = 2.0


class _Entries:
    """Issuance entries as the issuer hands them to the log: same shape, a fresh random digest each."""

    def __init__(self) -> None:
        template = encode_entry(IssuanceEntry(bytes(32), _VCT, _KID, int(time.time())))
        self.head, self.tail = template[:9], template[41:]

    def make(self, count: int) -> list[bytes]:
        digests = os.urandom(32 * count)
        head, tail = self.head, self.tail
        return [head + digests[i : i + 32] + tail for i in range(0, 32 * count, 32)]


def build_log(path: Path, size: int) -> ScanningLogStore:
    """A SQLite log of ``size`` entries, integrated in large batches straight from memory (set-up only)."""
    store = open_store(path)
    maker, edge = _Entries(), Edge(0)
    while edge.size < size:
        entries = maker.make(min(_BUILD_BATCH, size - edge.size))
        hashes = leaf_hashes(entries)
        result = integrate(edge, hashes)
        store.integrate(
            taken=[],
            first_index=edge.size,
            entries=entries,
            leaf_hashes=hashes,
            tiles=result.tiles,
            head=result.head,
        )
        edge = result.edge
    return store


@dataclass(slots=True)
class _Sequencer:
    """The sequencer's memory between batches: the tree's edge and the pending batches left."""

    edge: Edge
    left: int = 0


def _workspace() -> tuple[Path, Callable[[], None]]:
    directory = Path(tempfile.mkdtemp(prefix="dojang-bench-"))
    return directory, lambda: shutil.rmtree(directory, ignore_errors=True)


def _log_integrate(params: LogParams) -> Op:
    directory, remove = _workspace()
    store = open_store(directory / "log.db")
    maker = _Entries()
    # Enough entries made durable (pending) before timing for the whole timed phase; how fast that
    # went is reported too (``append_per_s``), so append + integrate can be read off the row.
    batches = int(params.seconds * _MAX_RATE) // BATCH + 3
    start = time.perf_counter()
    for _ in range(batches):
        store.add_pending(maker.make(BATCH))
    append_rate = batches * BATCH / (time.perf_counter() - start)
    state = _Sequencer(Edge(0), batches)

    def run() -> None:
        edge = state.edge
        if not state.left:  # only if the timed phase outran the estimate: then appending is timed too
            store.add_pending(maker.make(BATCH))
            state.left = 1
        state.edge, state.left = _sequence(store, edge), state.left - 1

    def close() -> None:
        store.close()
        remove()

    extra = {"batch": BATCH, "append_per_s": round(append_rate)}
    return Op(run, per_run=BATCH, batch=1, warm_up=2, close=close, extra=extra)


def _sequence(store: ScanningLogStore, edge: Edge) -> Edge:
    """One sequencer batch: read the oldest pending entries, hash, integrate, commit; the new edge."""
    pending = store.pending_batch(BATCH)
    hashes = leaf_hashes(pending.entries)
    result = integrate(edge, hashes)
    store.integrate(
        taken=pending.seqs,
        first_index=edge.size,
        entries=pending.entries,
        leaf_hashes=hashes,
        tiles=result.tiles,
        head=result.head,
    )
    return result.edge


def _log_append_integrate(_params: LogParams) -> Op:
    directory, remove = _workspace()
    store = open_store(directory / "log.db")
    maker = _Entries()
    state = _Sequencer(Edge(0))

    def run() -> None:
        # Made inside the timed loop (about 2 ms of the batch): the rate is a lower bound of the log's.
        store.add_pending(maker.make(BATCH))
        state.edge = _sequence(store, state.edge)

    def close() -> None:
        store.close()
        remove()

    return Op(run, per_run=BATCH, batch=1, warm_up=2, close=close, extra={"batch": BATCH})


def _log_integrate_core(_params: LogParams) -> Op:
    entries = _Entries().make(BATCH)
    state = _Sequencer(Edge(0))

    def run() -> None:
        state.edge = integrate(state.edge, leaf_hashes(entries)).edge

    return Op(run, per_run=BATCH, batch=1, warm_up=2, extra={"batch": BATCH})


def _log_inclusion_proof(params: LogParams) -> Op:
    directory, remove = _workspace()
    store = build_log(directory / "log.db", params.proof_log)
    head = store.head()
    prover = Prover(store.tiles)
    rng = random.Random(2026)  # noqa: S311 - which leaves to prove, not a secret
    size = head.size
    # One proof checked before timing: the rate is of proofs that verify.
    index = rng.randrange(size)
    (entry,) = store.entries(index, index + 1)
    verify_inclusion(leaf_hash(entry), index, size, prover.inclusion_proof(index, size), head.root)

    def close() -> None:
        store.close()
        remove()

    return Op(
        lambda: prover.inclusion_proof(rng.randrange(size), size),
        batch=64,
        close=close,
        extra={"log_size": size},
    )


def log_setups() -> dict[str, Any]:
    """Row name to set-up, for the bench workers (each set-up takes the ``LogParams``)."""
    return {
        "log_append_integrate": _log_append_integrate,
        "log_integrate": _log_integrate,
        "log_integrate_core": _log_integrate_core,
        "log_inclusion_proof": _log_inclusion_proof,
    }


def audit_log(store: ScanningLogStore) -> int:
    """Replay the whole log: hash every entry, rebuild every tile and compare it with the stored one,
    and the root with the head. Memory stays bounded: one batch of entries and the tree's edge.

    Returns the entries replayed; raises ``VerificationError`` (check ``log-audit``) at the first tile
    that differs, naming the first index it covers.
    """
    head = store.head()
    edge, entries = Edge(0), []
    for entry in store.iter_entries(0, head.size, BATCH):
        entries.append(entry)
        if len(entries) == BATCH:
            edge, entries = _replay(store, edge, leaf_hashes(entries)), []
    if entries:
        edge = _replay(store, edge, leaf_hashes(entries))
    if edge.size != head.size or edge.root() != head.root:
        raise VerificationError(
            f"replaying {edge.size} entries does not give the stored root", check="log-audit"
        )
    return edge.size


def _replay(store: ScanningLogStore, edge: Edge, hashes: list[bytes]) -> Edge:
    result = integrate(edge, hashes)
    stored = store.tiles(result.tiles)
    for key, data in result.tiles.items():
        # A stored tile may be wider now (a partial tile since completed); its prefix never changes.
        if stored.get(key, b"")[: len(data)] != data:
            raise VerificationError(
                f"stored tile {key.level}/{key.index} differs from the replayed entries "
                f"(the log was changed at or after index {edge.size})",
                check="log-audit",
            )
    return result.edge


def audit_row(entries: int, *, timeout: float | None = None) -> dict[str, Any]:
    """Build a log of ``entries`` (not timed), then replay it in a fresh process: rate, time, peak RSS."""
    directory, remove = _workspace()
    try:
        build_log(directory / "log.db", entries).close()
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "dojang.cli._bench_log", "audit", str(directory / "log.db")],
            capture_output=True,
            check=False,
            timeout=timeout if timeout is not None else max(300.0, entries / 5_000),
        )
    finally:
        remove()
    if done.returncode != 0:
        raise ConfigError(f"the audit process failed: {done.stderr.decode(errors='replace')[-500:]}")
    report = json.loads(done.stdout)
    return {
        "name": "log_audit",
        "cores": 1,
        "ops_per_s": report["entries"] / report["seconds"],
        "ops": report["entries"],
        "seconds": round(report["seconds"], 3),
        "peak_rss_mb": report["peak_rss_mb"],
        # What the process held before replaying (interpreter, imports, open store): the audit's own
        # memory is the difference, and it does not grow with the log.
        "start_rss_mb": report["start_rss_mb"],
    }


def anchor_row(issue_row: dict[str, Any], interval: float = ANCHOR_INTERVAL_S) -> dict[str, Any]:
    """Anchoring transactions while 1,000,000 credentials are issued at the measured issuance rate.

    One transaction per checkpoint interval whatever the number of issuances in it, so the count is
    the issuing time divided by the interval: set by the interval, not by the count.
    """
    seconds = 1_000_000 / issue_row["ops_per_s"]
    return {
        "name": "anchor_tx_per_million_issuances",
        "cores": issue_row["cores"],
        "ops_per_s": 1 / interval,
        "tx_per_million": math.ceil(seconds / interval),
        "interval_s": interval,
        "issue_rate": round(issue_row["ops_per_s"], 1),
        "computed": True,
    }


def _rss_mb() -> float:
    """Resident memory now (Linux ``/proc/self/statm``), to tell the audit's growth from start-up."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _audit_main(path: str) -> None:
    with contextlib.closing(open_store(Path(path))) as store:
        before = _rss_mb()
        start = time.perf_counter()
        entries = audit_log(store)
        seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    report = {
        "entries": entries,
        "seconds": seconds,
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "start_rss_mb": before,
    }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    _audit_main(sys.argv[2])
