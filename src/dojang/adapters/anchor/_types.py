"""What `dojang anchor status` and the audit read from a chain, beside the Anchor port's own values."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChainBlock", "ChainTransaction"]


@dataclass(frozen=True, slots=True)
class ChainBlock:
    """A canonical block: number, hash (0x-hex), timestamp (Unix seconds) and its transactions."""

    number: int
    hash: str
    timestamp: int
    transactions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChainTransaction:
    """A mined transaction: where it landed, who sent it to whom, whether it succeeded."""

    tx_hash: str
    block_number: int
    block_hash: str
    sender: str
    to: str | None
    success: bool
    gas_used: int
