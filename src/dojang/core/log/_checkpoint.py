"""C2SP tlog-checkpoint: origin, tree size and root hash as the text of a signed note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dojang.core.log._b64 import b64_decode, b64_encode
from dojang.core.log._hashing import HASH_SIZE
from dojang.core.log._note import NoteSigner, NoteVerifier, open_note, sign_note
from dojang.errors import MalformedError, VerificationError

__all__ = ["Checkpoint", "open_checkpoint", "parse_checkpoint_text", "sign_checkpoint"]

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_MAX_SIZE = (1 << 63) - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's signed claim: the tree of ``size`` leaves under ``origin`` has root ``root``."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text: origin, decimal size, base64 root, extension lines, each ending in a newline."""
        lines = [self.origin, str(self.size), b64_encode(self.root), *self.extensions]
        text = "".join(f"{line}\n" for line in lines)
        if parse_checkpoint_text(text) != self:
            raise ValueError("checkpoint fields would not read back as themselves")
        return text


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse a checkpoint body; empty lines, leading zeroes or a root that is not 32 bytes are malformed."""
    if not text.endswith("\n"):
        raise MalformedError("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise MalformedError("checkpoint needs origin, size and root lines, none empty")
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
        raise MalformedError(
            f"checkpoint tree size {size_text[:30]!r} is not a decimal without leading zeroes"
        )
    root = b64_decode(root_text, what="checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise MalformedError(f"checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """The checkpoint as a signed note (the log key's name should be the origin)."""
    return sign_note(checkpoint.text(), signers)


def open_checkpoint(note: bytes, verifiers: Sequence[NoteVerifier], *, origin: str) -> Checkpoint:
    """Verify a signed checkpoint against trusted keys and the expected origin; return its contents.

    Raises ``VerificationError`` (check ``checkpoint-signature``) unless a trusted key signed it
    and its origin is ``origin``; ``MalformedError`` for bytes that are not a checkpoint.
    """
    opened, _ = open_note(note, verifiers)
    checkpoint = parse_checkpoint_text(opened.text)
    if checkpoint.origin != origin:
        raise VerificationError(
            f"checkpoint is for log {checkpoint.origin[:80]!r}, not {origin!r}", check="checkpoint-signature"
        )
    return checkpoint
