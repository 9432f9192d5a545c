"""Signed notes and checkpoints made by dojang: round trips, origin checks, every byte flip detected."""

from __future__ import annotations

import random

import pytest
from log_support import MemoryTiles

from dojang.core.crypto import generate_key
from dojang.core.log import (
    Checkpoint,
    IssuanceEntry,
    NoteSigner,
    TlogProof,
    encode_entry,
    inclusion_proof,
    leaf_hash,
    open_checkpoint,
    parse_tlog_proof,
    sign_checkpoint,
    verify_tlog_proof,
)
from dojang.errors import DojangError, MalformedError, VerificationError

ORIGIN = "log.dojang.example/v1"
SIGNER = NoteSigner(ORIGIN, generate_key("EdDSA", random.Random(3).randbytes))
WITNESS = NoteSigner("witness.example", generate_key("EdDSA", random.Random(4).randbytes))


def _checkpoint(size: int = 5) -> Checkpoint:
    return Checkpoint(ORIGIN, size, bytes(range(32)))


def test_checkpoint_round_trip() -> None:
    note = sign_checkpoint(_checkpoint(), [SIGNER, WITNESS])
    assert open_checkpoint(note, [SIGNER.verifier], origin=ORIGIN) == _checkpoint()
    assert open_checkpoint(note, [WITNESS.verifier], origin=ORIGIN) == _checkpoint()


def test_wrong_origin_or_key_fails() -> None:
    note = sign_checkpoint(_checkpoint(), [SIGNER])
    with pytest.raises(VerificationError) as err:
        open_checkpoint(note, [SIGNER.verifier], origin="other.example")
    assert err.value.check == "checkpoint-signature"
    with pytest.raises(VerificationError):
        open_checkpoint(note, [WITNESS.verifier], origin=ORIGIN)


@pytest.mark.parametrize(
    "bad", [Checkpoint("", 1, bytes(32)), Checkpoint("a b", -1, bytes(32)), Checkpoint("o", 1, b"x")]
)
def test_bad_checkpoints_are_not_signed(bad: Checkpoint) -> None:
    with pytest.raises((ValueError, MalformedError)):
        sign_checkpoint(bad, [SIGNER])


def test_every_byte_flip_of_a_checkpoint_fails() -> None:
    note = sign_checkpoint(_checkpoint(), [SIGNER])
    for i in range(len(note)):
        for bit in (0x01, 0x80):
            flipped = note[:i] + bytes([note[i] ^ bit]) + note[i + 1 :]
            with pytest.raises(DojangError):
                open_checkpoint(flipped, [SIGNER.verifier], origin=ORIGIN)


def test_tlog_proof_round_trip_and_tamper() -> None:
    entries = [encode_entry(IssuanceEntry(bytes([i]) * 32, "urn:kind", "kid", i)) for i in range(20)]
    store = MemoryTiles()
    store.add([leaf_hash(e) for e in entries])
    size = store.edge.size
    note = sign_checkpoint(Checkpoint(ORIGIN, size, store.edge.root()), [SIGNER])
    proof = TlogProof(7, tuple(inclusion_proof(store, 7, size)), note, entries[7])
    data = proof.encode()
    parsed = parse_tlog_proof(data)
    assert parsed == proof
    assert verify_tlog_proof(parsed, leaf_hash(entries[7]), [SIGNER.verifier], origin=ORIGIN).size == size
    with pytest.raises(VerificationError) as err:
        verify_tlog_proof(parsed, leaf_hash(entries[8]), [SIGNER.verifier], origin=ORIGIN)
    assert err.value.check == "log-inclusion"
    for i in range(len(data)):
        flipped = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        with pytest.raises(DojangError):
            _verify_file(flipped)


def _verify_file(data: bytes) -> None:
    """What a verifier holding only the file does: the leaf hash comes from the entry in ``extra``."""
    proof = parse_tlog_proof(data)
    verify_tlog_proof(proof, leaf_hash(proof.extra or b""), [SIGNER.verifier], origin=ORIGIN)
