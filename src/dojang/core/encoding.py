"""Strict encodings shared by the core: base64url without padding and JSON without duplicate keys."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from dojang.errors import MalformedError

__all__ = ["b64url_decode", "b64url_encode", "canonical_json", "loads_strict"]

_B64URL = re.compile(rb"^[A-Za-z0-9_-]*$")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes, *, what: str = "value") -> bytes:
    """Decode base64url without padding; anything else (padding, other alphabets, bad length) is malformed."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if not _B64URL.match(raw) or len(raw) % 4 == 1:
        raise MalformedError(f"{what} is not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedError(f"{what} is not valid base64url: {exc}") from None
    if b64url_encode(data).encode("ascii") != raw:
        # Non-canonical trailing bits would let two encodings stand for one value.
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


def loads_strict(data: str | bytes, *, what: str = "JSON") -> Any:
    """Parse JSON (RFC 8259) rejecting duplicate object keys, NaN/Infinity and invalid UTF-8."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except MalformedError as exc:
        raise MalformedError(f"{what}: {exc.message}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MalformedError(f"{what} is not valid JSON: {exc}") from None


def canonical_json(value: Any) -> str:
    """Compact JSON with non-ASCII kept as is (UTF-8 on the wire), keys in the caller's order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
