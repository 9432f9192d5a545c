"""RFC 9162 §2.1.3–2.1.4 inclusion and consistency proofs: generated from tiles, verified from hashes."""

from __future__ import annotations

from collections.abc import Sequence

from dojang.core.log._hashing import EMPTY_ROOT, HASH_SIZE, fold, node_hash, subtree_roots
from dojang.core.log._ports import TileKey
from dojang.core.log._tiles import TILE_HEIGHT, TILE_WIDTH
from dojang.core.log._tree import TileReader
from dojang.errors import NotFoundError, VerificationError

__all__ = [
    "Prover",
    "consistency_proof",
    "consistency_proof_size",
    "inclusion_proof",
    "inclusion_proof_size",
    "verify_consistency",
    "verify_inclusion",
]

_Node = tuple[
    int, int
]  # (height, index): the perfect subtree over leaves [index << height, (index + 1) << height)
_Key = tuple[int, int]  # (level, index) of a tile, as a plain tuple: cheaper to hash than TileKey
_Tiles = dict[_Key, tuple[bytes, ...]]


def inclusion_proof_size(index: int, size: int) -> int:
    """How many hashes the inclusion proof of ``index`` in a tree of ``size`` has (at most ⌈log2 size⌉)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_size(size1: int, size2: int) -> int:
    """The number of hashes in the consistency proof from ``size1`` to ``size2`` (0 < size1 < size2)."""
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    inner = (index ^ ((size2 - 1) >> level)).bit_length()
    return (1 if index else 0) + inner + (index >> inner).bit_count()


def _decompose(lo: int, hi: int) -> list[_Node]:
    """The perfect subtrees covering ``[lo, hi)``, largest first (``lo`` is aligned to the largest)."""
    nodes = []
    while lo < hi:
        height = min((lo & -lo).bit_length() - 1 if lo else 64, (hi - lo).bit_length() - 1)
        nodes.append((height, lo >> height))
        lo += 1 << height
    return nodes


_EDGE_MEMO = 4096

#: For each offset in a tile, per inner level r: where the sibling's hash sits in that level's bytes.
_SIBLINGS = tuple(
    tuple((r, ((o >> r) ^ 1) * HASH_SIZE) for r in range(TILE_HEIGHT)) for o in range(TILE_WIDTH)
)


def _node_key(height: int, index: int) -> _Key:
    level, r = divmod(height, TILE_HEIGHT)
    return (level, (index << r) >> TILE_HEIGHT)


def _node_at(tiles: _Tiles, height: int, index: int) -> bytes:
    r = height % TILE_HEIGHT
    at = (index & ((TILE_WIDTH >> r) - 1)) * HASH_SIZE
    return tiles[_node_key(height, index)][r][at : at + HASH_SIZE]


class _Path:
    """The RFC 9162 audit path of node (``level``, ``index``) in a tree of ``size`` leaves, bottom up.

    Below the height where the node's path meets the last leaf's path every sibling is a perfect
    subtree, read straight from the tiles on the node's own path; at that height the sibling may be
    the ragged right edge (a fold of perfect subtrees); above it, the border's left siblings are
    perfect again.
    """

    __slots__ = ("border", "edge", "first", "level", "top")

    def __init__(self, index: int, size: int, level: int = 0) -> None:
        inner = (index ^ ((size - 1) >> level)).bit_length()
        self.first, self.level = index << level, level
        height = level + inner - 1
        sibling = (index >> (inner - 1)) ^ 1 if inner else 0
        ragged = inner > 0 and (sibling + 1) << height > size
        self.top = height if ragged else level + inner
        self.edge = (sibling << height, size) if ragged else None
        rest, h = index >> inner, level + inner
        self.border: list[_Node] = []
        while rest:
            if rest & 1:
                self.border.append((h, (self.first >> h) ^ 1))
            rest, h = rest >> 1, h + 1

    def keys(self, edges: dict[tuple[int, int], bytes]) -> list[_Key]:
        """Every tile the path reads, given the right-edge hashes already known."""
        keys = [
            (level, self.first >> (TILE_HEIGHT * level + TILE_HEIGHT))
            for level in range(self.level // TILE_HEIGHT, (self.top - 1) // TILE_HEIGHT + 1)
        ]
        if self.edge is not None and self.edge not in edges:
            keys += [_node_key(h, i) for h, i in _decompose(*self.edge)]
        return keys + [_node_key(h, i) for h, i in self.border]

    def hashes(self, tiles: _Tiles, edges: dict[tuple[int, int], bytes]) -> list[bytes]:
        """The proof hashes, from expanded tiles holding every key of :meth:`keys`."""
        out: list[bytes] = []
        height, first = self.level, self.first
        # Plain tuples and a table of sibling offsets: this loop is most of a proof's cost.
        while height < self.top:
            level = height // TILE_HEIGHT
            upto = min(TILE_HEIGHT, self.top - level * TILE_HEIGHT)
            levels = tiles[(level, first >> (TILE_HEIGHT * level + TILE_HEIGHT))]
            spots = _SIBLINGS[(first >> (TILE_HEIGHT * level)) & (TILE_WIDTH - 1)]
            out += [levels[r][at : at + HASH_SIZE] for r, at in spots[height % TILE_HEIGHT : upto]]
            height = level * TILE_HEIGHT + upto
        if self.edge is not None:
            edge = edges.get(self.edge)
            if edge is None:
                edge = fold([_node_at(tiles, h, i) for h, i in _decompose(*self.edge)])
                if len(edges) > _EDGE_MEMO:
                    edges.clear()
                edges[self.edge] = edge
            out.append(edge)
        out += [_node_at(tiles, h, i) for h, i in self.border]
        return out


class Prover:
    """Proofs and roots from a tile reader, with a bounded cache of expanded tiles.

    A tile is expanded once into its eight inner levels; full tiles never change, and a partial
    tile's first ``w`` hashes never change either, so cached expansions stay true as the log grows.
    Reads are batched: one ``read_tiles`` call per proof, for the tiles not cached. A cached tile
    costs about 16 KiB.
    """

    def __init__(self, read_tiles: TileReader, *, cache_tiles: int = 4096) -> None:
        self._read = read_tiles
        self._cache: dict[_Key, tuple[bytes, ...]] = {}
        self._cache_tiles = cache_tiles
        # MTH(D[lo:size]) of ragged right edges: few per tree size, and never changing once known.
        self._edges: dict[tuple[int, int], bytes] = {}

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` leaves, leaf's sibling first."""
        if not 0 <= index < size:
            raise ValueError(f"index {index} is not in a tree of size {size}")
        path = _Path(index, size)
        return path.hashes(self._load(path.keys(self._edges), size), self._edges)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """The RFC 9162 §2.1.4.1 proof that the tree of ``size1`` is a prefix of the tree of ``size2``."""
        if not 0 <= size1 <= size2:
            raise ValueError(f"no consistency proof from size {size1} to {size2}")
        if size1 in (0, size2):
            return []
        # The largest perfect subtree ending at size1 (left out when it is the whole old tree, whose
        # root the verifier has), then that subtree's audit path in the new tree.
        level = (size1 & -size1).bit_length() - 1
        index = (size1 - 1) >> level
        path = _Path(index, size2, level)
        keys = path.keys(self._edges)
        if index:
            keys.append(_node_key(level, index))
        tiles = self._load(keys, size2)
        hashes = path.hashes(tiles, self._edges)
        return [_node_at(tiles, level, index), *hashes] if index else hashes

    def root(self, size: int) -> bytes:
        """The root of the tree of ``size`` leaves, recomputed from its tiles."""
        nodes = _decompose(0, size)
        tiles = self._load([_node_key(h, i) for h, i in nodes], size)
        return fold([_node_at(tiles, h, i) for h, i in nodes]) if nodes else EMPTY_ROOT

    def _load(self, keys: Sequence[_Key], size: int) -> _Tiles:
        """The expanded tiles named, each as wide as in the tree of ``size``; one read for the rest."""
        tiles: _Tiles = {}
        missing: dict[_Key, int] = {}
        for key in keys:
            level, index = key
            width = min(TILE_WIDTH, (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
            levels = self._cache.get(key)
            if levels is not None and len(levels[0]) >= width * HASH_SIZE:
                tiles[key] = levels
            else:
                missing[key] = width
        if missing:
            got = self._read([TileKey(*key) for key in missing])
            for key, width in missing.items():
                data = got.get(TileKey(*key))
                if data is None or len(data) < width * HASH_SIZE or len(data) % HASH_SIZE:
                    raise NotFoundError(f"tile {key[0]}/{key[1]} is missing or narrower than {width}")
                tiles[key] = self._remember(key, _expand(bytes(data)))
        return tiles

    def _remember(self, key: _Key, levels: tuple[bytes, ...]) -> tuple[bytes, ...]:
        self._cache[key] = levels
        while len(self._cache) > self._cache_tiles:
            # Oldest first: dicts keep insertion order.
            del self._cache[next(iter(self._cache))]
        return levels


def _expand(data: bytes) -> tuple[bytes, ...]:
    """A tile's hashes and the hashes of its inner levels, each level's hashes concatenated."""
    levels = [data]
    while len(data) >= 2 * HASH_SIZE:
        # An odd last hash has no parent yet.
        data = subtree_roots(data[: len(data) // (2 * HASH_SIZE) * 2 * HASH_SIZE], 1)
        levels.append(data)
    return tuple(levels)


def inclusion_proof(read_tiles: TileReader, index: int, size: int) -> list[bytes]:
    """One inclusion proof from tiles, without keeping a cache (see :class:`Prover` for many)."""
    return Prover(read_tiles, cache_tiles=64).inclusion_proof(index, size)


def consistency_proof(read_tiles: TileReader, size1: int, size2: int) -> list[bytes]:
    """One consistency proof from tiles, without keeping a cache (see :class:`Prover` for many)."""
    return Prover(read_tiles, cache_tiles=64).consistency_proof(size1, size2)


def _fail(check: str, message: str) -> VerificationError:
    return VerificationError(message, check=check)


def _check_hashes(check: str, proof: Sequence[bytes], *named: tuple[str, bytes]) -> None:
    for name, value in named:
        if len(value) != HASH_SIZE:
            raise _fail(check, f"{name} is {len(value)} bytes, not {HASH_SIZE}")
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise _fail(check, f"proof hash {i} is {len(h)} bytes, not {HASH_SIZE}")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ``VerificationError`` (check ``log-inclusion``) unless the leaf sits at ``index`` of ``root``."""
    check = "log-inclusion"
    if not 0 <= index < size:
        raise _fail(check, f"index {index} is not in a tree of size {size}")
    _check_hashes(check, proof, ("leaf hash", leaf_hash), ("root", root))
    if len(proof) != (want := inclusion_proof_size(index, size)):
        raise _fail(check, f"inclusion proof has {len(proof)} hashes; index {index} of {size} needs {want}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise _fail(check, "inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise _fail(check, f"inclusion proof for index {index} does not lead to the root of size {size}")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ``VerificationError`` (check ``log-consistency``) unless tree ``size1`` prefixes ``size2``."""
    check = "log-consistency"
    if not 0 <= size1 <= size2:
        raise _fail(check, f"tree size went from {size1} to {size2}")
    if size1 in (0, size2):
        if proof:
            raise _fail(check, f"a consistency proof from {size1} to {size2} must be empty")
        if size1 == size2 and root1 != root2:
            raise _fail(check, f"two different roots for the same tree size {size1}")
        return
    _check_hashes(check, proof, ("first root", root1), ("second root", root2))
    if len(proof) != (want := consistency_proof_size(size1, size2)):
        raise _fail(check, f"consistency proof has {len(proof)} hashes; {size1} to {size2} needs {want}")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _fail(check, "consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != root1 or sr != root2:
        raise _fail(check, f"consistency proof does not link the roots of sizes {size1} and {size2}")
