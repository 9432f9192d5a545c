"""RFC 9162 §2.1.1 Merkle tree hashing: leaf and node hashes, subtree roots, the root of a list of leaves.

The batch functions (:func:`leaf_hashes`, :func:`subtree_roots`) run in C (``dojang.core.log._merkle``)
when the extension is built, and in Python otherwise; this module is the one place that chooses, and
both give the same bytes (tests/unit/core/log/test_log_merkle_c.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256

try:
    from dojang.core.log import _merkle
except ImportError:  # an interpreter that cannot load the C extension: the same bytes, slower
    _merkle = None  # type: ignore[assignment]

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_SUBTREE_HEIGHT",
    "fold",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "pair_up",
    "root_of",
    "subtree_roots",
]

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = sha256(b"").digest()
#: A log's tree never has more than 2**63 leaves (C2SP tile levels 0-63).
MAX_SUBTREE_HEIGHT = 63


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right).digest()


def python_leaf_hashes(entries: Sequence[bytes]) -> list[bytes]:
    """The leaf hash of each entry, in order (the pure-Python path of :func:`leaf_hashes`)."""
    return [sha256(b"\x00" + entry).digest() for entry in entries]


def python_subtree_roots(hashes: bytes, height: int) -> bytes:
    """The pure-Python path of :func:`subtree_roots`."""
    if not 0 <= height <= MAX_SUBTREE_HEIGHT:
        raise ValueError(f"subtree height {height!r} is outside 0-{MAX_SUBTREE_HEIGHT}")
    data = bytes(memoryview(hashes))
    if len(data) % (HASH_SIZE << height):
        raise ValueError(
            f"{len(data)} bytes are not whole subtrees of 2**{height} hashes of {HASH_SIZE} bytes"
        )
    for _ in range(height if data else 0):
        data = b"".join([sha256(b"\x01" + data[i : i + 64]).digest() for i in range(0, len(data), 64)])
    return data


#: ``leaf_hashes(entries)``: ``[leaf_hash(e) for e in entries]``, one call per batch.
leaf_hashes: Callable[[Sequence[bytes]], list[bytes]] = (
    _merkle.leaf_hashes if _merkle is not None else python_leaf_hashes
)
#: ``subtree_roots(hashes, height)``: the root of each consecutive perfect subtree of ``2**height``
#: of the concatenated 32-byte ``hashes``, concatenated (a tile's root is ``subtree_roots(tile, 8)``).
#: ValueError unless ``0 <= height <= 63`` and ``len(hashes)`` is a multiple of ``32 << height``.
subtree_roots: Callable[[bytes, int], bytes] = (
    _merkle.subtree_roots if _merkle is not None else python_subtree_roots
)


def pair_up(hashes: Sequence[bytes]) -> list[bytes]:
    """One level up: each pair hashed into its parent (an even count is the caller's promise)."""
    return [sha256(b"\x01" + hashes[i] + hashes[i + 1]).digest() for i in range(0, len(hashes), 2)]


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves with these hashes (RFC 9162 §2.1.1), computed level by level.

    Pure Python on purpose, whichever path the batch functions take: the tests check integration
    (which uses them) against it.
    """
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
