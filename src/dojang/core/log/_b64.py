"""Strict standard base64 (RFC 4648 §4) as the C2SP formats use it: padded, canonical, nothing else."""

from __future__ import annotations

import binascii

from dojang.errors import MalformedError

__all__ = ["b64_decode", "b64_encode"]


def b64_encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64_decode(text: str, *, what: str) -> bytes:
    """Decode padded base64; any other spelling of the same bytes (or of none) is malformed."""
    try:
        data = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedError(f"{what} is not base64") from None
    # Non-zero padding bits would let two strings stand for one value.
    if b64_encode(data) != text:
        raise MalformedError(f"{what} is not canonical base64")
    return data
