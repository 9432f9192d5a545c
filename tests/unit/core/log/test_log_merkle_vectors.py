"""transparency-dev/merkle and letsencrypt/boulder vectors: hashes, roots, proofs, positive and negative."""

from __future__ import annotations

import itertools

import pytest
from log_support import MemoryTiles, b64, load

from dojang.core.log import (
    EMPTY_ROOT,
    Prover,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from dojang.errors import VerificationError

REF = load("merkle/rfc6962-reference.json")
TABLES = load("merkle/verify-test-tables.json")
LEAVES = [bytes.fromhex(x) for x in REF["leaf_inputs_hex"]]
ROOTS = [bytes.fromhex(x) for x in REF["root_hashes_hex"]]
INCLUSION_FILES = load("merkle/testdata/inclusion-1.json")["cases"]
CONSISTENCY_FILES = load("merkle/testdata/consistency-1.json")["cases"]


def _tiles(n: int) -> MemoryTiles:
    store = MemoryTiles()
    store.add([leaf_hash(x) for x in LEAVES[:n]])
    return store


def test_empty_root() -> None:
    assert ROOTS[0] == EMPTY_ROOT


def test_leaf_and_node_hashes() -> None:
    levels = [[bytes.fromhex(h) for h in level] for level in REF["node_hashes_hex"]]
    assert [leaf_hash(x) for x in LEAVES] == levels[0]
    for below, above in itertools.pairwise(levels):
        assert [node_hash(below[i], below[i + 1]) for i in range(0, len(below), 2)] == above


@pytest.mark.parametrize("size", range(9))
def test_roots(size: int) -> None:
    hashes = [leaf_hash(x) for x in LEAVES[:size]]
    assert root_of(hashes) == ROOTS[size]
    assert _tiles(size).edge.root() == ROOTS[size]
    assert Prover(_tiles(size)).root(size) == ROOTS[size]


@pytest.mark.parametrize("case", TABLES["inclusion"], ids=lambda c: f"{c['leaf']}-of-{c['size']}")
def test_inclusion_table(case: dict[str, object]) -> None:
    index, size = int(str(case["leaf"])) - 1, int(str(case["size"]))
    proof = [bytes.fromhex(h) for h in case["proof_hex"]]  # type: ignore[attr-defined]
    assert Prover(_tiles(size)).inclusion_proof(index, size) == proof
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize("case", TABLES["consistency"], ids=lambda c: f"{c['size1']}-to-{c['size2']}")
def test_consistency_table(case: dict[str, object]) -> None:
    size1, size2 = int(str(case["size1"])), int(str(case["size2"]))
    proof = [bytes.fromhex(h) for h in case["proof_hex"]]  # type: ignore[attr-defined]
    assert Prover(_tiles(size2)).consistency_proof(size1, size2) == proof
    verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])


def _named(value: str) -> bytes:
    if value.startswith("text:"):
        return value[5:].encode()
    return bytes.fromhex(TABLES[f"{value}_hex"])


@pytest.mark.parametrize("case", TABLES["consistency_edge_cases"]["cases"], ids=str)
def test_consistency_edge_cases(case: dict[str, object]) -> None:
    proof = [] if case["proof"] == "empty" else [bytes.fromhex(TABLES["empty_tree_hash_hex"])]
    args = (int(str(case["size1"])), int(str(case["size2"])), proof)
    roots = (_named(str(case["root1"])), _named(str(case["root2"])))
    if case["want_err"]:
        with pytest.raises(VerificationError) as err:
            verify_consistency(*args, *roots)
        assert err.value.check == "log-consistency"
    else:
        verify_consistency(*args, *roots)


@pytest.mark.parametrize("probe", TABLES["inclusion_edge_cases"]["probes"], ids=str)
def test_inclusion_edge_cases(probe: list[int]) -> None:
    some, empty = bytes.fromhex(TABLES["some_hash_hex"]), bytes.fromhex(TABLES["empty_tree_hash_hex"])
    for leaf, root in ((some, b""), (b"", empty), (some, empty)):
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, probe[0], probe[1], [], root)


@pytest.mark.parametrize("case", TABLES["single_entry"]["cases"], ids=str)
def test_single_entry(case: dict[str, object]) -> None:
    value = {"hash": leaf_hash(b"data"), "empty": b""}
    leaf, root = value[str(case["leaf"])], value[str(case["root"])]
    if case["want_err"]:
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, 0, 1, [], root)
    else:
        verify_inclusion(leaf, 0, 1, [], root)


@pytest.mark.parametrize("item", INCLUSION_FILES, ids=lambda c: c["file"])
def test_inclusion_testdata(item: dict[str, dict[str, object]]) -> None:
    case = item["case"]
    args = (
        b64(str(case["leafHash"])),
        int(str(case["leafIdx"])),
        int(str(case["treeSize"])),
        [b64(h) for h in case["proof"]],  # type: ignore[attr-defined]
        b64(str(case["root"])),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError) as err:
            verify_inclusion(*args)
        assert err.value.check == "log-inclusion"
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("item", CONSISTENCY_FILES, ids=lambda c: c["file"])
def test_consistency_testdata(item: dict[str, dict[str, object]]) -> None:
    case = item["case"]
    args = (
        int(str(case["size1"])),
        int(str(case["size2"])),
        [b64(h) for h in case["proof"]],  # type: ignore[attr-defined]
        b64(str(case["root1"])),
        b64(str(case["root2"])),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError) as err:
            verify_consistency(*args)
        assert err.value.check == "log-consistency"
    else:
        verify_consistency(*args)


def _corrupt_inclusion(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[tuple]:
    """The probes of transparency-dev/merkle's corruptInclusionProof, applied to a table proof."""
    some = bytes.fromhex(TABLES["some_hash_hex"])
    probes = [
        (index - 1, size, root, leaf, proof),
        (index + 1, size, root, leaf, proof),
        (index ^ 2, size, root, leaf, proof),
        (index, size * 2, root, leaf, proof),
        (index, size // 2, root, leaf, proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, leaf, proof),
        (index, size, some, leaf, proof),
        (index, size, root, leaf, [*proof, b""]),
        (index, size, root, leaf, [*proof, root]),
        (index, size, root, leaf, [b"", *proof]),
        (index, size, root, leaf, [root, *proof]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((index, size, root, leaf, bad))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], some, *proof[1:]]))
    return probes


@pytest.mark.parametrize("case", TABLES["inclusion"], ids=lambda c: f"{c['leaf']}-of-{c['size']}")
def test_inclusion_table_corruptions(case: dict[str, object]) -> None:
    index, size = int(str(case["leaf"])) - 1, int(str(case["size"]))
    proof = [bytes.fromhex(h) for h in case["proof_hex"]]  # type: ignore[attr-defined]
    for i, s, root, leaf, bad in _corrupt_inclusion(
        index, size, proof, ROOTS[size], leaf_hash(LEAVES[index])
    ):
        if (i, s, root, leaf, bad) == (index, size, ROOTS[size], leaf_hash(LEAVES[index]), proof):
            continue  # size // 2 or index ^ 2 can coincide with the original for tiny trees
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, i, s, bad, root)


def test_boulder_three_level_tree() -> None:
    vector = load("merkle/boulder-tiles-66000.json")
    prefix = bytes.fromhex(vector["entry_prefix_hex"])
    store = MemoryTiles()
    hashes = [leaf_hash(prefix + f"entry-{i}-".encode() + b"x" * (i % 37)) for i in range(vector["size"])]
    for start in range(0, len(hashes), 999):
        store.add(hashes[start : start + 999])
    root = b64(vector["root_b64"])
    assert store.edge.root() == root
    assert Prover(store).root(vector["size"]) == root
    assert {k.level for k in store.tiles} == {0, 1, 2}
