"""C2SP tlog-proof (``c2sp.org/tlog-proof@v1``): index, inclusion proof and signed checkpoint in one file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dojang.core.log._b64 import b64_decode, b64_encode
from dojang.core.log._checkpoint import Checkpoint, open_checkpoint
from dojang.core.log._hashing import HASH_SIZE
from dojang.core.log._note import MAX_NOTE_SIZE, NoteVerifier
from dojang.core.log._proofs import verify_inclusion
from dojang.errors import MalformedError, TooLargeError

__all__ = ["TLOG_PROOF_HEADER", "TlogProof", "parse_tlog_proof", "verify_tlog_proof"]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,18})")
_MAX_HASHES = 64


@dataclass(frozen=True, slots=True)
class TlogProof:
    """An offline proof: entry ``index``, inclusion ``hashes``, the signed ``checkpoint``, opaque ``extra``.

    dojang puts the encoded log entry in ``extra`` so that a verifier can recompute the leaf hash.
    """

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def encode(self) -> bytes:
        """The ``.tlog-proof`` file bytes."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64_encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [b64_encode(h) for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode("ascii") + self.checkpoint


def parse_tlog_proof(data: bytes) -> TlogProof:
    """Parse a ``.tlog-proof`` file; the checkpoint is kept verbatim and not yet verified."""
    if len(data) > MAX_NOTE_SIZE + 8 * 1024:
        raise TooLargeError("tlog-proof file is too large")
    head, sep, checkpoint = data.partition(b"\n\n")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise MalformedError("tlog-proof header is not ASCII") from None
    if not sep or lines[0] != TLOG_PROOF_HEADER:
        raise MalformedError(f"tlog-proof must start with {TLOG_PROOF_HEADER!r} and hold a checkpoint")
    pos, extra = 1, None
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = b64_decode(lines[pos][6:], what="tlog-proof extra data")
        pos += 1
    match = _INDEX.fullmatch(lines[pos]) if len(lines) > pos else None
    if match is None:
        raise MalformedError("tlog-proof lacks an 'index N' line (decimal, no leading zeroes)")
    hashes = tuple(b64_decode(line, what="tlog-proof hash") for line in lines[pos + 1 :])
    if len(hashes) > _MAX_HASHES or any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedError("tlog-proof hashes must be at most 64 SHA-256 hashes")
    return TlogProof(int(match.group(1)), hashes, checkpoint, extra)


def verify_tlog_proof(
    proof: TlogProof, leaf_hash: bytes, verifiers: Sequence[NoteVerifier], *, origin: str
) -> Checkpoint:
    """Check the checkpoint's signature (``checkpoint-signature``), then inclusion (``log-inclusion``)."""
    checkpoint = open_checkpoint(proof.checkpoint, verifiers, origin=origin)
    verify_inclusion(leaf_hash, proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    return checkpoint
