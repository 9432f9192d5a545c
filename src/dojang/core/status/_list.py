"""The Status List bit array (draft-ietf-oauth-status-list-18 §4.1, §4.2): LSB-first packing, zlib, base64url.

Each index owns ``bits`` consecutive bits; indexes fill a byte from its least significant bit
upwards (index 0 of a 2-bit list is ``byte[0] & 0b11``, index 3 is ``byte[0] >> 6``). The encoded
form (``lst``) is the byte array compressed with DEFLATE in the ZLIB format (RFC 1950/1951) at
the highest level, then base64url without padding.

Decoding refuses anything a careful reader should: another ``bits`` than 1, 2, 4 or 8, bad
base64url, raw DEFLATE or gzip instead of ZLIB, truncated or trailing data, an empty list, and
output larger than :data:`MAX_LIST_BYTES` (a decompression bomb stops at the limit; it is never
inflated in full).
"""

from __future__ import annotations

import zlib
from typing import Any

from dojang.core.encoding import b64url_decode, b64url_encode
from dojang.errors import InputError, MalformedError, TooLargeError

__all__ = ["ALLOWED_BITS", "DEFAULT_SIZE", "MAX_LIST_BYTES", "StatusList"]

#: The bit sizes the draft allows (§4.1 step 1).
ALLOWED_BITS = (1, 2, 4, 8)
#: dojang's list size: 2^17 entries (32 KiB at 2 bits), above the 100,000 the herd-privacy goal asks.
DEFAULT_SIZE = 131_072
#: The largest decompressed list we accept: 16 MiB, i.e. 67 million entries at 2 bits.
MAX_LIST_BYTES = 16 * 1024 * 1024
# zlib's compressBound: no honest encoder's output of MAX_LIST_BYTES is longer than this.
_MAX_COMPRESSED = MAX_LIST_BYTES + (MAX_LIST_BYTES >> 12) + (MAX_LIST_BYTES >> 14) + 13
_MAX_LST_CHARS = (_MAX_COMPRESSED * 4 + 2) // 3


def _check_bits(bits: Any) -> int:
    if type(bits) is not int or bits not in ALLOWED_BITS:
        raise MalformedError(f"status list bits must be one of {ALLOWED_BITS}, found {bits!r}")
    return bits


class StatusList:
    """A mutable array of ``size`` statuses of ``bits`` bits each, packed as the draft specifies.

    Mutable on purpose: an issuer flips one entry of a 32 KiB list per revocation, and a frozen copy
    per change would cost a copy of the whole list. Hand out :meth:`copy` where a snapshot is needed.
    """

    __slots__ = ("_data", "_mask", "bits", "size")
    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as list and bytearray)

    def __init__(self, bits: int, size: int = DEFAULT_SIZE) -> None:
        _check_bits(bits)
        if type(size) is not int or size < 1:
            raise InputError(f"status list size must be a positive integer, found {size!r}")
        if size * bits % 8:
            # The draft recommends whole bytes (§13.4); requiring them makes decode(encode(x)) == x.
            raise InputError(f"status list of {size} entries at {bits} bits does not fill whole bytes")
        if size * bits // 8 > MAX_LIST_BYTES:
            raise TooLargeError(f"status list of {size} entries is over {MAX_LIST_BYTES} bytes")
        self.bits = bits
        self.size = size
        self._mask = (1 << bits) - 1
        self._data = bytearray(size * bits // 8)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray, bits: int) -> StatusList:
        """A list over an uncompressed byte array; its size is ``len(data) * 8 // bits``."""
        if not data:
            raise MalformedError("a status list needs at least one byte")
        if len(data) > MAX_LIST_BYTES:
            raise TooLargeError(f"status list is over {MAX_LIST_BYTES} bytes")
        out = cls(_check_bits(bits), len(data) * 8 // bits)
        out._data[:] = data
        return out

    @classmethod
    def decode(cls, lst: Any, bits: Any) -> StatusList:
        """Parse a ``status_list`` object's ``lst`` and ``bits`` (§4.2) with every check above."""
        bits = _check_bits(bits)
        if not isinstance(lst, str) or not lst:
            raise MalformedError("status list lst must be a non-empty string")
        if len(lst) > _MAX_LST_CHARS:
            raise TooLargeError(f"status list lst is over {_MAX_LST_CHARS} characters")
        return cls.from_bytes(_inflate(b64url_decode(lst, what="status list lst")), bits)

    @classmethod
    def from_json(cls, obj: Any) -> StatusList:
        """Parse a whole ``status_list`` JSON object: ``{"bits": …, "lst": …}`` (other members ignored)."""
        if not isinstance(obj, dict):
            raise MalformedError("status_list must be a JSON object")
        return cls.decode(obj.get("lst"), obj.get("bits"))

    def get(self, idx: int) -> int:
        """The status value at ``idx``."""
        if type(idx) is not int or not 0 <= idx < self.size:
            raise InputError(f"index {idx!r} is outside the status list (size {self.size})")
        at = idx * self.bits
        return (self._data[at >> 3] >> (at & 7)) & self._mask

    def set(self, idx: int, value: int) -> None:
        """Set the status value at ``idx`` (``0 <= value < 2**bits``)."""
        if type(idx) is not int or not 0 <= idx < self.size:
            raise InputError(f"index {idx!r} is outside the status list (size {self.size})")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self._mask:
            raise InputError(f"status value {value!r} does not fit in {self.bits} bits")
        at = idx * self.bits
        shift = at & 7
        byte = self._data[at >> 3]
        self._data[at >> 3] = (byte & ~(self._mask << shift) & 0xFF) | (int(value) << shift)

    def to_bytes(self) -> bytes:
        """The uncompressed byte array (§4.1 step 3)."""
        return bytes(self._data)

    def encode(self) -> str:
        """``lst``: the byte array in ZLIB format at the best compression level, base64url (§4.1, §4.2)."""
        return b64url_encode(zlib.compress(self._data, 9))

    def to_json(self) -> dict[str, Any]:
        """The ``status_list`` claim of a Status List Token: ``{"bits": …, "lst": …}``."""
        return {"bits": self.bits, "lst": self.encode()}

    def copy(self) -> StatusList:
        """An independent copy (for a snapshot that later changes must not touch)."""
        return StatusList.from_bytes(self._data, self.bits)

    def count(self, value: int) -> int:
        """How many entries hold ``value`` (a linear scan; for reports, not the hot path)."""
        return sum(1 for idx in range(self.size) if self.get(idx) == value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return self.bits == other.bits and self._data == other._data

    def __repr__(self) -> str:
        return f"StatusList(bits={self.bits}, size={self.size})"


def _inflate(compressed: bytes) -> bytes:
    """Inflate ZLIB data up to :data:`MAX_LIST_BYTES`; refuse raw DEFLATE, gzip, truncation, trailers."""
    if len(compressed) > _MAX_COMPRESSED:
        raise TooLargeError(f"compressed status list is over {_MAX_COMPRESSED} bytes")
    # wbits=15: ZLIB header and Adler-32 trailer required (raw DEFLATE is -15, gzip 31).
    inflater = zlib.decompressobj(wbits=15)
    try:
        data = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except zlib.error as exc:
        raise MalformedError(f"status list is not ZLIB-compressed data: {exc}") from None
    if len(data) > MAX_LIST_BYTES:
        raise TooLargeError(f"status list inflates to more than {MAX_LIST_BYTES} bytes; refused")
    if not inflater.eof:
        raise MalformedError("status list compressed data is truncated")
    if inflater.unused_data:
        raise MalformedError("status list has bytes after the end of its compressed data")
    return data
