"""The ports the transparency log needs from the outside world: durable storage and an anchoring chain.

Adapters implement them (``dojang.adapters.storage`` for SQLite and PostgreSQL,
``dojang.adapters.anchor`` for the in-process EVM chain and any JSON-RPC node); the core only
declares them. Every method either completes or raises and leaves nothing half-written: each
call that writes is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Anchor",
    "AnchorReceipt",
    "AnchorRecord",
    "LogStore",
    "OutboxItem",
    "PendingBatch",
    "PendingEntry",
    "TileKey",
    "TreeHead",
]


@dataclass(frozen=True, slots=True, order=True)
class TileKey:
    """A C2SP tlog-tiles hash tile: ``level`` 0 holds leaf hashes; each tile holds up to 256 hashes.

    The stored bytes are the concatenated 32-byte hashes; a partial tile holds fewer than 256
    (its width is ``len(data) // 32``), and is replaced as the tree grows.
    """

    level: int
    index: int


@dataclass(frozen=True, slots=True)
class TreeHead:
    """Size and root hash of the integrated tree (the empty tree: size 0, SHA-256 of b"")."""

    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry acknowledged as durable but not yet integrated into the tree."""

    seq: int
    entry: bytes


@dataclass(frozen=True, slots=True)
class PendingBatch:
    """The oldest pending entries as the sequencer takes them: sequence numbers and entries, in order."""

    seqs: Sequence[int]
    entries: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One step of work to do at least once and apply exactly once (checkpoint, anchor, confirm)."""

    id: int
    kind: str
    key: str
    payload: bytes
    attempts: int


class LogStore(Protocol):
    """Durable state of one log: pending entries, the tree as tiles, entries, checkpoints, outbox."""

    def add_pending(self, entries: Sequence[bytes]) -> list[int]:
        """Store entries durably (committed when this returns); their sequence numbers, in order."""
        ...

    def pending(self, limit: int) -> list[PendingEntry]:
        """The oldest entries not yet integrated, at most ``limit``, in sequence order."""
        ...

    def pending_batch(self, limit: int) -> PendingBatch:
        """The same entries as ``pending(limit)``, without an object per entry (the sequencer's read)."""
        ...

    def integrate(
        self,
        *,
        taken: Sequence[int],
        first_index: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileKey, bytes],
        head: TreeHead,
    ) -> None:
        """In one transaction: remove ``taken`` from pending, store ``entries`` at indexes
        ``first_index…`` with their leaf hashes, write (insert or replace) ``tiles``, set ``head``.

        Refuses (raises ConfigError) unless ``first_index`` equals the current head's size, so a
        second sequencer or a replayed batch can never fork or duplicate the log; and unless
        ``taken`` are the oldest pending sequence numbers, in order (the log keeps the order in
        which entries were acknowledged), and every leaf hash is 32 bytes.
        """
        ...

    def head(self) -> TreeHead:
        """The integrated tree's head."""
        ...

    def tiles(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        """The stored tiles among ``keys`` (missing keys are simply absent)."""
        ...

    def entries(self, start: int, stop: int) -> list[bytes]:
        """Entries with index in ``[start, stop)``, in order."""
        ...

    def index_of(self, leaf_hash: bytes) -> int | None:
        """The index of the entry with this leaf hash, if integrated."""
        ...

    def put_checkpoint(self, size: int, note: bytes, time: float | None = None) -> None:
        """Store the signed checkpoint note for tree ``size`` (idempotent for the same note), and
        when it was signed (Unix seconds of the caller's clock), if given."""
        ...

    def checkpoint_time(self) -> float | None:
        """When the latest checkpoint was signed, as given to ``put_checkpoint`` (None: none or unknown)."""
        ...

    def checkpoint(self, size: int | None = None) -> bytes | None:
        """The signed checkpoint note for ``size``, or the latest one when ``size`` is None."""
        ...

    def checkpoint_sizes(self) -> list[int]:
        """Every tree size with a stored checkpoint, ascending."""
        ...

    def outbox_add(self, kind: str, key: str, payload: bytes) -> None:
        """Queue work; adding the same (kind, key) again does nothing (exactly-once by key)."""
        ...

    def outbox_pending(self, kind: str, limit: int = 100) -> list[OutboxItem]:
        """Work of ``kind`` not yet done, oldest first."""
        ...

    def outbox_attempted(self, item_id: int) -> None:
        """Count one more attempt (a failed try leaves the item pending)."""
        ...

    def outbox_done(self, item_id: int, result: bytes) -> None:
        """Mark the item done with its result (e.g. the transaction hash)."""
        ...

    def outbox_result(self, kind: str, key: str) -> bytes | None:
        """The result of done work, or None while it is pending or unknown."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class AnchorReceipt:
    """Where an anchoring transaction landed and how deep it now is."""

    tx_hash: str
    block_number: int
    block_hash: str
    confirmations: int


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    """What the chain says about one checkpoint of one log."""

    origin: str
    tree_size: int
    root: bytes
    note_hash: bytes
    block_number: int
    tx_hash: str


class Anchor(Protocol):
    """An EVM chain holding the anchoring contract (see contracts/LogAnchor.sol)."""

    def submit(self, origin: str, tree_size: int, root: bytes, note_hash: bytes) -> str:
        """Send the anchoring transaction; return its hash without waiting for it to be mined.

        Raises UnavailableError when the node cannot be reached (issuance never waits on this).
        """
        ...

    def receipt(self, tx_hash: str) -> AnchorReceipt | None:
        """The receipt with its current confirmation count, or None while not yet mined."""
        ...

    def lookup(self, origin: str, tree_size: int) -> AnchorRecord | None:
        """The anchored record for (origin, tree_size) as the chain's current state has it."""
        ...

    def latest(self, origin: str) -> AnchorRecord | None:
        """The anchored record with the largest tree size for ``origin``."""
        ...
