"""RFC 9162 §2.1.1 Merkle tree hashing: leaf and node hashes, the root of a list of leaf hashes."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "fold", "leaf_hash", "node_hash", "pair_up", "root_of"]

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right).digest()


def pair_up(hashes: Sequence[bytes]) -> list[bytes]:
    """One level up: each pair hashed into its parent (an even count is the caller's promise)."""
    return [sha256(b"\x01" + hashes[i] + hashes[i + 1]).digest() for i in range(0, len(hashes), 2)]


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves with these hashes (RFC 9162 §2.1.1), computed level by level."""
    if not leaf_hashes:
        return EMPTY_ROOT
    # Complete subtrees first, then the right edge folded right to left, exactly as the recursion splits.
    level = list(leaf_hashes)
    peaks: list[bytes] = []
    while len(level) > 1:
        if len(level) % 2:
            peaks.append(level.pop())
        level = pair_up(level)
    return fold([*level, *reversed(peaks)])


def fold(subtrees: Sequence[bytes]) -> bytes:
    """Hash complete subtrees, largest (leftmost) first, into one root, right to left."""
    acc = subtrees[-1]
    for h in reversed(subtrees[:-1]):
        acc = node_hash(h, acc)
    return acc
