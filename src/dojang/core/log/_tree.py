"""Batched integration: leaf hashes onto the tree's right edge give the new root and changed tiles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from dojang.core.log._hashing import EMPTY_ROOT, HASH_SIZE, fold, subtree_roots
from dojang.core.log._ports import TileKey, TreeHead
from dojang.core.log._tiles import TILE_HEIGHT, TILE_WIDTH, edge_tiles
from dojang.errors import NotFoundError

__all__ = ["Edge", "Integration", "TileReader", "integrate", "read_edge", "subtree_root"]

#: Reads stored tiles by key (``LogStore.tiles``): missing keys are absent from the answer.
TileReader = Callable[[Iterable[TileKey]], Mapping[TileKey, bytes]]

_TILE_BYTES = TILE_WIDTH * HASH_SIZE


@dataclass(frozen=True, slots=True)
class Edge:
    """The right edge of a tree: its size and, per level, the bytes of its partial tile (b"" if none).

    A sequencer keeps the edge of the last integration in memory; after a restart it reads it back
    with :func:`read_edge`. Full tiles never change, so nothing else is needed to append.
    """

    size: int
    partials: tuple[bytes, ...] = ()

    def root(self) -> bytes:
        """The tree's root: the complete subtrees of every partial tile, largest first, folded."""
        peaks: list[bytes] = []
        for data in reversed(self.partials):
            width = len(data) // HASH_SIZE
            start = 0
            for r in range(TILE_HEIGHT - 1, -1, -1):
                if width >> r & 1:
                    end = start + (HASH_SIZE << r)
                    peaks.append(subtree_root(data[start:end]))
                    start = end
        return fold(peaks) if peaks else EMPTY_ROOT


@dataclass(frozen=True, slots=True)
class Integration:
    """The result of appending a batch: the new edge and head, and every tile to write."""

    edge: Edge
    head: TreeHead
    tiles: dict[TileKey, bytes]


def subtree_root(data: bytes) -> bytes:
    """The root of a perfect subtree given its 2**r bottom hashes, concatenated."""
    return subtree_roots(data, (len(data) // HASH_SIZE).bit_length() - 1) if data else data


def read_edge(read_tiles: TileReader, size: int) -> Edge:
    """Read the partial tiles of a tree of ``size`` (one batched read) and check their widths."""
    want = edge_tiles(size)
    got = read_tiles(list(want)) if want else {}
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    partials = [b""] * levels
    for key, width in want.items():
        data = got.get(key)
        if data is None or len(data) < width * HASH_SIZE:
            raise NotFoundError(f"tile {key.level}/{key.index} of width {width} is missing or short")
        partials[key.level] = bytes(data[: width * HASH_SIZE])
    return Edge(size, tuple(partials))


def integrate(edge: Edge, leaf_hashes: Sequence[bytes]) -> Integration:
    """Append ``leaf_hashes`` to the tree with right edge ``edge``: new root, new edge, changed tiles."""
    if set(map(len, leaf_hashes)) - {HASH_SIZE}:
        raise ValueError("leaf hashes are 32 bytes")
    tiles: dict[TileKey, bytes] = {}
    partials = list(edge.partials)
    new = b"".join(leaf_hashes)
    level = 0
    while new:
        old = partials[level] if level < len(partials) else b""
        first_tile = (edge.size >> (TILE_HEIGHT * level)) // TILE_WIDTH
        data = old + new
        full = len(data) // _TILE_BYTES
        for t in range(full):
            tiles[TileKey(level, first_tile + t)] = data[t * _TILE_BYTES : (t + 1) * _TILE_BYTES]
        rest = data[full * _TILE_BYTES :]
        if rest:
            tiles[TileKey(level, first_tile + full)] = rest
        if level < len(partials):
            partials[level] = rest
        else:
            partials.append(rest)
        # The full tiles' roots, one call for all of them: the next level's new hashes.
        new = subtree_roots(data[: full * _TILE_BYTES], TILE_HEIGHT)
        level += 1
    size = edge.size + len(leaf_hashes)
    result = Edge(size, tuple(partials))
    return Integration(result, TreeHead(size, result.root()), tiles)
