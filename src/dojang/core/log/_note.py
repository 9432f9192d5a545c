"""C2SP signed-note: Ed25519 signature lines, verifier keys ``<name>+<id>+<key>``, strict parsing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256

from dojang.core.crypto import SigningKey, VerifyKey, verify_key_from_jwk
from dojang.core.encoding import b64url_encode
from dojang.core.log._b64 import b64_decode, b64_encode
from dojang.errors import MalformedError, SignatureError, TooLargeError, VerificationError

__all__ = [
    "MAX_NOTE_SIGNATURES",
    "MAX_NOTE_SIZE",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "note_key_id",
    "open_note",
    "parse_note",
    "parse_verifier_key",
    "sign_note",
]

#: The spec asks to accept at least 16 signatures; dojang's notes are checkpoints of a few hundred bytes.
MAX_NOTE_SIGNATURES = 100
MAX_NOTE_SIZE = 64 * 1024
_ED25519 = b"\x01"
_CHECK = "checkpoint-signature"
_SIGNATURE_LINE = re.compile(r"\u2014 ([^\s+]+) ([A-Za-z0-9+/=]+)")
# Any Unicode space or a plus in a key name would make signature lines and key strings ambiguous.
_BAD_NAME = re.compile(r"[\s+]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]."""
    return sha256(name.encode("utf-8") + b"\n" + _ED25519 + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or _BAD_NAME.search(name):
        raise MalformedError(f"note key name {name[:80]!r} is empty or has a space or '+'")


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted Ed25519 note key: its name, key ID and public key."""

    name: str
    key_id: bytes
    key: VerifyKey

    @classmethod
    def for_key(cls, name: str, key: VerifyKey) -> NoteVerifier:
        _check_name(name)
        if key.alg != "EdDSA":
            raise MalformedError("note keys are Ed25519")
        return cls(name, note_key_id(name, key.raw_public_bytes()), key)

    def key_string(self) -> str:
        """The verifier key as text: ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
        return f"{self.name}+{self.key_id.hex()}+{b64_encode(_ED25519 + self.key.raw_public_bytes())}"


def parse_verifier_key(text: str) -> NoteVerifier:
    """Parse ``<name>+<hex key ID>+<base64(0x01 || key)>``; the ID must match the name and key."""
    name, sep, rest = text.partition("+")
    key_hex, sep2, key_b64 = rest.partition("+")
    if not (sep and sep2) or not re.fullmatch(r"[0-9a-f]{8}", key_hex):
        raise MalformedError("verifier key is not <name>+<8 hex digits>+<base64 key>")
    _check_name(name)
    raw = b64_decode(key_b64, what="verifier key")
    if len(raw) != 33 or raw[:1] != _ED25519:
        raise MalformedError("verifier key is not a 0x01-tagged 32-byte Ed25519 key")
    verifier = NoteVerifier.for_key(
        name, verify_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw[1:])})
    )
    if verifier.key_id.hex() != key_hex:
        raise MalformedError("verifier key ID does not match its name and key")
    return verifier


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """A note signing key: a name and an Ed25519 private key."""

    name: str
    key: SigningKey

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.for_key(self.name, self.key.public)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note: its text (ending in a newline) and signature lines, none verified yet."""

    text: str
    signatures: tuple[NoteSignature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n") or _CONTROL.search(text):
        raise MalformedError("note text must end in a newline and hold no control characters")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    _check_text(text)
    if not signers:
        raise ValueError("a note needs at least one signer")
    lines = []
    for signer in signers:
        verifier = signer.verifier
        signature = signer.key.sign(text.encode("utf-8"))
        lines.append(f"\u2014 {signer.name} {b64_encode(verifier.key_id + signature)}\n")
    return (text + "\n" + "".join(lines)).encode("utf-8")


def parse_note(data: bytes) -> Note:
    """Split a note into text and signature lines; anything malformed, oversized or ambiguous is refused."""
    if len(data) > MAX_NOTE_SIZE:
        raise TooLargeError(f"note of {len(data)} bytes is over {MAX_NOTE_SIZE}")
    try:
        whole = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError("note is not UTF-8") from None
    if _CONTROL.search(whole) or not whole.endswith("\n"):
        raise MalformedError("note holds control characters or does not end in a newline")
    split = whole.rfind("\n\n")
    if split < 0:
        raise MalformedError("note has no blank line before its signatures")
    text, block = whole[: split + 1], whole[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines or len(lines) > MAX_NOTE_SIGNATURES:
        raise MalformedError(f"note has {len(lines)} signature lines; 1 to {MAX_NOTE_SIGNATURES} allowed")
    return Note(text, tuple(_parse_signature(line) for line in lines))


def _parse_signature(line: str) -> NoteSignature:
    match = _SIGNATURE_LINE.fullmatch(line)
    if match is None:
        raise MalformedError(f"not a signature line: {line[:80]!r}")
    raw = b64_decode(match.group(2), what="note signature")
    if len(raw) < 5:
        raise MalformedError("note signature is shorter than a key ID")
    return NoteSignature(match.group(1), raw[:4], raw[4:])


def open_note(data: bytes, verifiers: Sequence[NoteVerifier]) -> tuple[Note, tuple[NoteVerifier, ...]]:
    """Parse and verify a note: signatures by unknown keys are ignored, every known one must verify,
    and at least one must be known. Returns the note and the keys that verified it.

    Raises ``VerificationError`` with check ``checkpoint-signature``.
    """
    note = parse_note(data)
    known = {(v.name, v.key_id): v for v in verifiers}
    message = note.text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteVerifier] = {}
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            verifier.key.verify(message, sig.signature)
        except SignatureError:
            raise VerificationError(
                f"note signature by {sig.name}+{sig.key_id.hex()} does not verify", check=_CHECK
            ) from None
        verified[(sig.name, sig.key_id)] = verifier
    if not verified:
        raise VerificationError("note has no signature by a trusted key", check=_CHECK)
    return note, tuple(verified.values())
