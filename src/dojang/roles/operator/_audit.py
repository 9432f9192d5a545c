"""The audit: replay the whole log in bounded memory; check it against its checkpoints and the chain.

Anyone with read access to the store (or a copy of it) and the log's public key can run it; it
trusts nothing the operator computed. Checks, in order of the replay:

``log-entry``            every entry parses (a rewritten row that is no longer an entry);
``log-tile``             every stored tile equals the one recomputed from the entries (the first
                         differing hash names the first leaf index it covers);
``checkpoint-root``      each stored checkpoint's root is the replayed root at its size;
``checkpoint-signature`` each checkpoint is signed by the log key for the log's origin;
``log-head``             the stored head is the replayed tree;
``log-consistency``      a consistency proof from the stored tiles links consecutive checkpoints;
``log-anchored``         every checkpoint the chain has for the origin carries the same root and note.

The first failure raises :class:`AuditError` naming the check and, where one exists, the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from itertools import pairwise
from typing import Protocol

from dojang.core.log import (
    HASH_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    Anchor,
    Checkpoint,
    Edge,
    LogStore,
    NoteVerifier,
    Prover,
    TileKey,
    integrate,
    leaf_hashes,
    open_checkpoint,
    parse_entry,
    verify_consistency,
)
from dojang.errors import DojangError, MalformedError, UnavailableError, VerificationError

__all__ = ["AuditError", "AuditReport", "ScanningStore", "audit_log"]


class ScanningStore(LogStore, Protocol):
    """A log store that streams entries in bounded memory (both storage adapters do)."""

    def iter_entries(self, start: int, stop: int, batch: int = 10_000) -> Iterator[bytes]: ...


class AuditError(VerificationError):
    """The log is not what its checkpoints, tiles or anchors say; ``index`` is the first bad leaf, if any."""

    check = "audit"

    def __init__(self, check: str, message: str, *, index: int | None = None) -> None:
        super().__init__(message, check=check)
        self.index = index


@dataclass(frozen=True, slots=True)
class AuditReport:
    """A clean audit: entries replayed, checkpoints checked, how many the chain anchors, the root."""

    size: int
    checkpoints: int
    anchored: int
    root: bytes


def audit_log(
    store: ScanningStore,
    verifier: NoteVerifier,
    origin: str,
    anchor: Anchor | None,
    *,
    progress: Callable[[int], None] | None = None,
    batch: int = 10_000,
) -> AuditReport:
    """Replay and check the whole log (see the module docstring); raises AuditError at the first problem."""
    head = store.head()
    sizes = [s for s in store.checkpoint_sizes() if s > 0]
    if sizes and sizes[-1] > head.size:
        raise AuditError(
            "checkpoint-root", f"a checkpoint of size {sizes[-1]} is beyond the head {head.size}"
        )
    checkpoints: dict[int, Checkpoint] = {}
    edge = Edge(0)
    stops = sorted({*sizes, head.size})
    entries = store.iter_entries(0, head.size, batch)
    for stop in stops:
        while edge.size < stop:
            upto = min(edge.size + batch, stop)
            chunk = [next(entries, None) for _ in range(upto - edge.size)]
            edge = _replay(store, edge, chunk)
            if progress is not None:
                progress(len(chunk))
        if stop in sizes:
            checkpoints[stop] = _check_checkpoint(store, verifier, origin, stop, edge.root())
    if edge.root() != head.root:
        raise AuditError(
            "log-head", f"the stored head's root is not the replayed root of {head.size} entries"
        )
    _check_consistency(store, [checkpoints[s] for s in sizes])
    anchored = _check_anchors(store, anchor, origin, checkpoints) if anchor is not None else 0
    return AuditReport(head.size, len(sizes), anchored, head.root)


def _replay(store: LogStore, edge: Edge, chunk: list[bytes | None]) -> Edge:
    entries = []
    for offset, entry in enumerate(chunk):
        index = edge.size + offset
        if entry is None:
            raise AuditError("log-entry", f"entry {index} is missing from the store", index=index)
        try:
            parse_entry(entry)
        except MalformedError as exc:
            raise AuditError(
                "log-entry", f"entry {index} is not a log entry: {exc.message}", index=index
            ) from None
        entries.append(entry)
    result = integrate(edge, leaf_hashes(entries))
    stored = store.tiles(result.tiles)
    # Level order: a rewritten entry shows first in its level-0 tile, which names the index exactly.
    for key in sorted(result.tiles, key=lambda k: (k.level, k.index)):
        ours, theirs = result.tiles[key], stored.get(key)
        # A stored partial tile may since have grown: only its first len(ours) bytes are ours to check.
        if theirs is None or bytes(theirs[: len(ours)]) != ours:
            raise _tile_error(key, ours, theirs)
    return result.edge


def _tile_error(key: TileKey, ours: bytes, theirs: bytes | None) -> AuditError:
    if theirs is None:
        first = key.index * TILE_WIDTH << (TILE_HEIGHT * key.level)
        return AuditError("log-tile", f"tile {key.level}/{key.index} is missing", index=first)
    at = next(
        (i for i in range(0, len(ours), HASH_SIZE) if ours[i : i + HASH_SIZE] != theirs[i : i + HASH_SIZE]),
        len(ours),
    )
    node = key.index * TILE_WIDTH + at // HASH_SIZE
    first = node << (TILE_HEIGHT * key.level)
    what = "entry" if key.level == 0 else f"tile {key.level}/{key.index} hash {at // HASH_SIZE} over entry"
    return AuditError(
        "log-tile", f"{what} {first} was rewritten: its stored hash is not the replayed one", index=first
    )


def _check_checkpoint(
    store: LogStore, verifier: NoteVerifier, origin: str, size: int, root: bytes
) -> Checkpoint:
    note = store.checkpoint(size)
    if note is None:
        raise AuditError("checkpoint-signature", f"checkpoint {size} is listed but not stored")
    try:
        checkpoint = open_checkpoint(note, [verifier], origin=origin)
    except (VerificationError, MalformedError) as exc:
        raise AuditError("checkpoint-signature", f"checkpoint {size}: {exc.message}") from None
    if checkpoint.size != size:
        raise AuditError(
            "checkpoint-root", f"checkpoint stored under size {size} says size {checkpoint.size}"
        )
    if checkpoint.root != root:
        raise AuditError(
            "checkpoint-root",
            f"checkpoint {size}'s root is not the replayed root of the first {size} entries",
        )
    return checkpoint


def _check_consistency(store: LogStore, checkpoints: list[Checkpoint]) -> None:
    prover = Prover(store.tiles, cache_tiles=256)
    for old, new in pairwise(checkpoints):
        try:
            proof = prover.consistency_proof(old.size, new.size)
            verify_consistency(old.size, new.size, proof, old.root, new.root)
        except (VerificationError, DojangError) as exc:
            raise AuditError(
                "log-consistency", f"checkpoints {old.size} → {new.size}: {exc.message}"
            ) from None


def _check_anchors(store: LogStore, anchor: Anchor, origin: str, checkpoints: dict[int, Checkpoint]) -> int:
    anchored = 0
    for size, checkpoint in checkpoints.items():
        try:
            record = anchor.lookup(origin, size)
        except UnavailableError as exc:
            raise AuditError(
                "log-anchored", f"cannot ask the chain about checkpoint {size}: {exc.message}"
            ) from None
        if record is None:
            continue
        note = store.checkpoint(size) or b""
        if record.root != checkpoint.root:
            raise AuditError(
                "log-anchored",
                f"the chain anchors a different root for size {size} (block {record.block_number})",
            )
        if record.note_hash != sha256(note).digest():
            raise AuditError("log-anchored", f"the chain anchors a different note for size {size}")
        anchored += 1
    return anchored
