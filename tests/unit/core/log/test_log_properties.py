"""Properties: every proof verifies, every single-hash change fails, batch splits leave the tree alone."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from log_support import MemoryTiles

from dojang.core.log import (
    Prover,
    consistency_proof_size,
    inclusion_proof,
    inclusion_proof_size,
    read_edge,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from dojang.errors import NotFoundError, VerificationError


def _hashes(n: int) -> list[bytes]:
    return [sha256(i.to_bytes(8, "big")).digest() for i in range(n)]


HASHES = _hashes(70_000)
FULL = MemoryTiles()
FULL.add(HASHES)
PROVER = Prover(FULL)
sizes = st.integers(min_value=1, max_value=70_000)


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    bad = list(proof)
    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
    return bad


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_inclusion_proofs_verify_and_mutations_fail(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    root = root_of(HASHES[:size])
    proof = PROVER.inclusion_proof(index, size)
    assert len(proof) == inclusion_proof_size(index, size) <= (size - 1).bit_length()
    verify_inclusion(HASHES[index], index, size, proof, root)
    for i in range(len(proof)):
        with pytest.raises(VerificationError):
            verify_inclusion(HASHES[index], index, size, _flip(proof, i), root)
    with pytest.raises(VerificationError):
        verify_inclusion(HASHES[index], index, size, [*proof, root], root)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_consistency_proofs_verify_and_mutations_fail(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(min_value=1, max_value=size2))
    root1, root2 = root_of(HASHES[:size1]), root_of(HASHES[:size2])
    proof = PROVER.consistency_proof(size1, size2)
    if size1 < size2:
        assert len(proof) == consistency_proof_size(size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)
    for i in range(len(proof)):
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, _flip(proof, i), root1, root2)
    if size1 < size2:
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, proof, root2, root1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=12))
def test_batch_splits_give_the_same_tiles_and_root(batches: list[int]) -> None:
    total = sum(batches)
    one_shot = MemoryTiles()
    one_shot.add(HASHES[:total])
    split = MemoryTiles()
    start = 0
    for n in batches:
        split.add(HASHES[start : start + n])
        start += n
        # A restarted sequencer reads the same edge back from the tiles.
        assert read_edge(split, start) == split.edge
    final = {k: v for k, v in split.tiles.items() if v == one_shot.tiles.get(k)}
    assert final == one_shot.tiles
    assert split.edge == one_shot.edge
    assert split.edge.root() == root_of(HASHES[:total])


def test_proofs_of_old_sizes_from_grown_tiles() -> None:
    store = MemoryTiles()
    store.add(HASHES[:300])
    early = Prover(store).inclusion_proof(5, 300)
    store.add(HASHES[300:70_000])
    assert Prover(store).inclusion_proof(5, 300) == early
    verify_inclusion(HASHES[5], 5, 300, early, root_of(HASHES[:300]))


def test_reads_are_batched_and_cached() -> None:
    store = MemoryTiles()
    store.add(HASHES)
    prover = Prover(store)
    prover.inclusion_proof(12_345, 70_000)
    assert store.reads == 1
    prover.inclusion_proof(12_346, 70_000)
    assert store.reads == 1


def test_missing_or_short_tiles_are_named() -> None:
    store = MemoryTiles()
    store.add(HASHES[:1000])
    del store.tiles[next(k for k in store.tiles if k.level == 0 and k.index == 1)]
    with pytest.raises(NotFoundError):
        inclusion_proof(store, 300, 1000)
    with pytest.raises(NotFoundError):
        read_edge(store, 2000)


def test_tampered_tile_gives_a_proof_that_fails() -> None:
    store = MemoryTiles()
    store.add(HASHES[:1000])
    root = store.edge.root()
    key = next(k for k in store.tiles if k.level == 0 and k.index == 0)
    store.tiles[key] = b"\xff" + store.tiles[key][1:]
    proof = inclusion_proof(store, 200, 1000)
    with pytest.raises(VerificationError):
        verify_inclusion(HASHES[200], 200, 1000, proof, root)
