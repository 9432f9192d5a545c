"""Strict encodings shared by the core: base64url without padding and JSON without duplicate keys."""

from __future__ import annotations

import binascii
import json
import math
from collections.abc import Callable
from typing import Any

from dojang.errors import MalformedError

__all__ = [
    "MAX_JSON_DEPTH",
    "b64url_decode",
    "b64url_encode",
    "canonical_json",
    "json_b64url",
    "loads_strict",
]

# '-' and '_' become the standard alphabet; '+', '/' and '=' become a character strict decoding refuses.
_TO_STD = bytes.maketrans(b"-_+/=", b"+/!!!")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")
#: For each base64url character, its 6-bit value: the unused low bits of a final character must be zero.
_TAIL_BITS = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}


try:  # the C decoder for the common case; the Python path below decides, and words, every refusal
    from dojang.core._speedups import b64url_decode as _c_b64url_decode
    from dojang.core._speedups import json_b64url as _c_json_b64url
except ImportError:
    _c_b64url_decode = None  # type: ignore[assignment]
    _c_json_b64url = None  # type: ignore[assignment]


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes, *, what: str = "value") -> bytes:
    """Decode base64url without padding; padding, other alphabets or non-canonical tails are malformed."""
    if _c_b64url_decode is not None and type(text) is str:
        data = _c_b64url_decode(text)
        if data is not None:
            return data
    return _b64url_decode_python(text, what=what)


def _b64url_decode_python(text: str | bytes, *, what: str = "value") -> bytes:
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    tail = len(raw) % 4
    try:
        data = binascii.a2b_base64(raw.translate(_TO_STD) + _PADDING[tail], strict_mode=True)
    except (binascii.Error, IndexError):
        raise MalformedError(f"{what} is not base64url without padding") from None
    # Non-zero unused bits would let two encodings stand for one value.
    if tail and _TAIL_BITS[raw[-1]] & (0x0F if tail == 2 else 0x03):
        raise MalformedError(f"{what} has non-canonical base64url trailing bits")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise MalformedError(f"duplicate JSON key {key!r}")
        obj[key] = value
    return obj


def _no_constants(name: str) -> Any:
    raise MalformedError(f"JSON constant {name} is not allowed")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedError(f"number {text[:20]} is out of range")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite
)
# typeshed omits the scanner attribute; it is the C scanner JSONDecoder.decode itself uses.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


#: Deepest nesting of arrays and objects we parse. Credentials nest a handful of levels; a limit
#: well below the interpreter's keeps hostile input from exhausting the C stack (some libraries
#: raise Python's recursion limit, which would turn deep JSON into a crash, not an error).
MAX_JSON_DEPTH = 64


def _depth_exceeds_python(text: str, limit: int) -> bool:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


try:
    from dojang.core._speedups import json_depth_exceeds as _depth_exceeds
except ImportError:  # the pure-Python path, for an interpreter that cannot load the C module
    _depth_exceeds = _depth_exceeds_python


def loads_strict(data: str | bytes, *, what: str = "JSON") -> Any:
    """Parse JSON (RFC 8259) rejecting duplicate keys, NaN/Infinity, overflowing numbers, invalid UTF-8."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        # Counting brackets is cheap; only text that could be too deep gets the exact scan.
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth_exceeds(text, MAX_JSON_DEPTH):
            raise MalformedError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            # The scanner alone is the fast path; whitespace around the value takes the full decoder.
            value, end = _SCAN(text, 0)
            if end == len(text):
                return value
        except StopIteration:
            pass
        return _DECODER.decode(text)
    except MalformedError as exc:
        raise MalformedError(f"{what}: {exc.message}") from None
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and integers longer than Python's digit limit.
        raise MalformedError(f"{what} is not valid JSON: {str(exc)[:200]}") from None


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def canonical_json(value: Any) -> str:
    """Compact JSON with non-ASCII kept as is (UTF-8 on the wire), keys in the caller's order."""
    return _ENCODER.encode(value)


def json_b64url(value: Any) -> str:
    """Base64url of :func:`canonical_json`'s UTF-8: a JWS header or payload."""
    fast = _c_json_b64url(value) if _c_json_b64url is not None else None
    return fast if fast is not None else b64url_encode(canonical_json(value).encode("utf-8"))
