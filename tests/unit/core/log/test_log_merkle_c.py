"""The C Merkle hashing (dojang.core.log._merkle) gives exactly the bytes of the pure-Python path."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from log_support import MemoryTiles, b64, load

from dojang.core.log import (
    Edge,
    Integration,
    Prover,
    _hashing,
    _merkle,
    _proofs,
    _tree,
    integrate,
    leaf_hash,
    root_of,
)

REF = load("merkle/rfc6962-reference.json")
LEAVES = [bytes.fromhex(x) for x in REF["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(x) for x in REF["root_hashes_hex"]]
# SHA-256 pads in 64-byte blocks; a leaf adds one prefix byte, a node 65 bytes in all.
BLOCK_EDGES = [0, 1, 2, 54, 55, 56, 62, 63, 64, 65, 118, 119, 120, 127, 128, 1000, 0xFFFF]


def _hashes(count: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(32 * count)


@pytest.fixture
def python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Integration and proofs on the pure-Python hashing, as on an interpreter without the C module."""
    monkeypatch.setattr(_tree, "subtree_roots", _hashing.python_subtree_roots)
    monkeypatch.setattr(_proofs, "subtree_roots", _hashing.python_subtree_roots)


def test_the_c_module_is_built_here() -> None:
    # make test builds it; a silent fallback to pure Python would make the sequencer 4x slower.
    assert _merkle.__name__ == "dojang.core.log._merkle"
    assert _hashing.leaf_hashes is _merkle.leaf_hashes
    assert _hashing.subtree_roots is _merkle.subtree_roots


def test_without_the_c_module_the_python_path_gives_the_same_log() -> None:
    # A fresh interpreter where the extension cannot load (sys.modules[name] = None makes import fail).
    script = textwrap.dedent(
        """
        import sys
        sys.modules["dojang.core.log._merkle"] = None
        from dojang.core.log import Edge, _hashing, integrate, leaf_hashes
        assert _hashing._merkle is None
        assert leaf_hashes is _hashing.python_leaf_hashes
        assert _hashing.subtree_roots is _hashing.python_subtree_roots
        result = integrate(Edge(0), leaf_hashes([b"entry %d" % i for i in range(70_000)]))
        print(result.head.root.hex(), len(result.tiles))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = integrate(Edge(0), _merkle.leaf_hashes([b"entry %d" % i for i in range(70_000)]))
    assert done.stdout.split() == [result.head.root.hex(), str(len(result.tiles))]


@pytest.mark.parametrize("size", BLOCK_EDGES)
def test_leaf_hashes_at_block_boundaries(size: int) -> None:
    entries = [random.Random(size + i).randbytes(size) for i in range(3)]
    assert _merkle.leaf_hashes(entries) == _hashing.python_leaf_hashes(entries)
    assert _merkle.leaf_hashes(entries) == [sha256(b"\x00" + e).digest() for e in entries]


def test_leaf_hashes_of_the_reference_leaves() -> None:
    levels = [[bytes.fromhex(h) for h in level] for level in REF["node_hashes_hex"]]
    assert _merkle.leaf_hashes(LEAVES) == levels[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40))
def test_leaf_hashes_match_python(entries: list[bytes]) -> None:
    assert _merkle.leaf_hashes(entries) == _hashing.python_leaf_hashes(entries)


def test_leaf_hashes_of_nothing() -> None:
    assert _merkle.leaf_hashes([]) == _hashing.python_leaf_hashes([]) == []
    assert _merkle.leaf_hashes(()) == []


def test_a_batch_large_enough_to_hash_without_the_gil() -> None:
    entries = [random.Random(i).randbytes(115) for i in range(10_000)]
    assert _merkle.leaf_hashes(entries) == [leaf_hash(e) for e in entries]


def test_leaf_hashes_take_any_bytes_like_entry_and_any_iterable() -> None:
    entries = [b"abc", bytearray(b"def"), memoryview(b"ghi")]
    expected = [leaf_hash(b"abc"), leaf_hash(b"def"), leaf_hash(b"ghi")]
    assert _merkle.leaf_hashes(entries) == _hashing.python_leaf_hashes(entries) == expected  # type: ignore[arg-type]
    assert _merkle.leaf_hashes(e for e in [b"abc"]) == expected[:1]  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [["text"], [1], [b"ok", None], 5, None])
def test_leaf_hashes_refuse_what_python_refuses(bad: object) -> None:
    with pytest.raises(TypeError):
        _hashing.python_leaf_hashes(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _merkle.leaf_hashes(bad)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=5), st.integers())
def test_subtree_roots_match_python(height: int, groups: int, seed: int) -> None:
    data = _hashes(groups << height, seed)
    assert _merkle.subtree_roots(data, height) == _hashing.python_subtree_roots(data, height)


@pytest.mark.parametrize("tiles", [1, 2, 39, 40])
def test_tile_roots_match_python(tiles: int) -> None:
    data = _hashes(256 * tiles)
    roots = _merkle.subtree_roots(data, 8)
    assert roots == _hashing.python_subtree_roots(data, 8)
    assert roots[-32:] == root_of([data[i : i + 32] for i in range(len(data) - 8192, len(data), 32)])


def test_subtree_roots_of_one_big_subtree_is_the_tree_root() -> None:
    data = _hashes(1 << 12)
    assert _merkle.subtree_roots(data, 12) == root_of([data[i : i + 32] for i in range(0, len(data), 32)])


def test_subtree_roots_take_any_bytes_like() -> None:
    data = _hashes(4)
    expected = _hashing.python_subtree_roots(data, 2)
    assert _merkle.subtree_roots(bytearray(data), 2) == expected  # type: ignore[arg-type]
    assert _merkle.subtree_roots(memoryview(data)[:128], 2) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "height"),
    [
        (b"", 0),
        (b"", 63),
        (bytes(32), 0),
        (bytes(64), 1),
    ],
)
def test_subtree_roots_edge_cases_agree(data: bytes, height: int) -> None:
    assert _merkle.subtree_roots(data, height) == _hashing.python_subtree_roots(data, height)


@pytest.mark.parametrize(
    ("data", "height"),
    [
        (bytes(31), 0),
        (bytes(33), 0),
        (bytes(32), 1),
        (bytes(96), 1),
        (bytes(64 * 3), 2),
        (bytes(32), 58),
        (bytes(32), 63),
        (b"", 64),
        (b"", -1),
        (bytes(64), 2**70),
        (bytes(64), -(2**70)),
    ],
)
def test_subtree_roots_refuse_what_python_refuses(data: bytes, height: int) -> None:
    with pytest.raises(ValueError, match="subtree"):
        _hashing.python_subtree_roots(data, height)
    with pytest.raises(ValueError, match="subtree"):
        _merkle.subtree_roots(data, height)


@pytest.mark.parametrize(("data", "height"), [("text", 0), (None, 1), (bytes(64), 1.0), (bytes(64), "1")])
def test_subtree_roots_refuse_wrong_types(data: object, height: object) -> None:
    with pytest.raises(TypeError):
        _hashing.python_subtree_roots(data, height)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _merkle.subtree_roots(data, height)  # type: ignore[arg-type]


def _integrate_in_batches(hashes: bytes, batches: list[int]) -> list[Integration]:
    edge, results = Edge(0), []
    leaves = [hashes[i : i + 32] for i in range(0, len(hashes), 32)]
    start = 0
    for count in batches:
        result = integrate(edge, leaves[start : start + count])
        results.append(result)
        edge, start = result.edge, start + count
    return results


BATCHES = st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(BATCHES)
def test_integration_at_partial_widths_is_the_same_on_both_paths(batches: list[int]) -> None:
    hashes = _hashes(sum(batches), len(batches))
    fast = _integrate_in_batches(hashes, batches)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_tree, "subtree_roots", _hashing.python_subtree_roots)
        slow = _integrate_in_batches(hashes, batches)
    assert fast == slow


@pytest.mark.usefixtures("python_path")
@pytest.mark.parametrize("size", range(9))
def test_reference_roots_on_the_python_path(size: int) -> None:
    store = MemoryTiles()
    store.add(_hashing.python_leaf_hashes(LEAVES[:size]))
    assert store.edge.root() == ROOTS[size]
    assert Prover(store).root(size) == ROOTS[size]


@pytest.mark.parametrize("path", ["c", "python"])
def test_boulder_three_level_tree_on_both_paths(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "python":
        monkeypatch.setattr(_tree, "subtree_roots", _hashing.python_subtree_roots)
        monkeypatch.setattr(_proofs, "subtree_roots", _hashing.python_subtree_roots)
    hash_batch = _merkle.leaf_hashes if path == "c" else _hashing.python_leaf_hashes
    vector = load("merkle/boulder-tiles-66000.json")
    prefix = bytes.fromhex(vector["entry_prefix_hex"])
    entries = [prefix + f"entry-{i}-".encode() + b"x" * (i % 37) for i in range(vector["size"])]
    store = MemoryTiles()
    for start in range(0, len(entries), 10_000):
        store.add(hash_batch(entries[start : start + 10_000]))
    root = b64(vector["root_b64"])
    assert store.edge.root() == root
    assert Prover(store).root(vector["size"]) == root


@pytest.mark.parametrize("size", [1, 2, 3, 255, 256, 257, 511, 513, 65_535, 65_537])
def test_proofs_from_partial_tiles_are_the_same_on_both_paths(size: int) -> None:
    leaves = [sha256(i.to_bytes(8, "big")).digest() for i in range(size)]
    store = MemoryTiles()
    store.add(leaves)
    indexes = sorted({0, size // 2, size - 1})
    fast = [Prover(store).inclusion_proof(i, size) for i in indexes]
    fast.append(Prover(store).consistency_proof(max(1, size // 3), size))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_proofs, "subtree_roots", _hashing.python_subtree_roots)
        slow = [Prover(store).inclusion_proof(i, size) for i in indexes]
        slow.append(Prover(store).consistency_proof(max(1, size // 3), size))
    assert fast == slow
    assert Prover(store).root(size) == root_of(leaves)
