"""The transparency log: RFC 6962/9162 Merkle tree, proofs, C2SP checkpoints and tiles, log entries."""

from dojang.core.log._ports import (
    Anchor,
    AnchorReceipt,
    AnchorRecord,
    LogStore,
    OutboxItem,
    PendingEntry,
    TileKey,
    TreeHead,
)

__all__ = [
    "Anchor",
    "AnchorReceipt",
    "AnchorRecord",
    "LogStore",
    "OutboxItem",
    "PendingEntry",
    "TileKey",
    "TreeHead",
]
