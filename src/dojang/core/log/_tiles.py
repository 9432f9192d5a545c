"""C2SP tlog-tiles: tile geometry, resource paths (``tile/<L>/<N>[.p/<W>]``) and entry bundles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dojang.core.log._ports import TileKey
from dojang.errors import MalformedError, TooLargeError

__all__ = [
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TilePath",
    "edge_tiles",
    "entries_path",
    "entry_bundle",
    "parse_entry_bundle",
    "parse_tile_path",
    "tile_path",
    "tile_width",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
#: Entry bundles frame each entry with a big-endian uint16 length.
MAX_ENTRY_SIZE = 0xFFFF

_PATH = re.compile(r"tile/(?:(0|[1-9][0-9]?)|(entries))/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


@dataclass(frozen=True, slots=True)
class TilePath:
    """A parsed tile resource: a hash tile (``level`` 0–63) or an entry bundle (``level`` None)."""

    level: int | None
    index: int
    width: int

    @property
    def key(self) -> TileKey:
        """The hash tile's key; entry bundles have the key of the level-0 tile they hash to."""
        return TileKey(self.level or 0, self.index)

    def __str__(self) -> str:
        return _path("entries" if self.level is None else str(self.level), self.index, self.width)


def _index_elements(index: int) -> str:
    digits = f"{index:d}"
    digits = "0" * (-len(digits) % 3) + digits
    parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{p}" for p in parts[:-1]), parts[-1]])


def _path(level: str, index: int, width: int) -> str:
    if index < 0 or not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"no tile has index {index} and width {width}")
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{_index_elements(index)}{suffix}"


def tile_path(key: TileKey, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>`` for a full tile, ``tile/<L>/<N>.p/<W>`` for a partial one."""
    if not 0 <= key.level <= MAX_LEVEL:
        raise ValueError(f"tile level {key.level} is outside 0-63")
    return _path(str(key.level), key.index, width)


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``: the bundle of the entries whose leaf hashes are tile (0, N)."""
    return _path("entries", index, width)


def parse_tile_path(path: str) -> TilePath:
    """Parse a tile or entry bundle path; anything not in its one canonical form is malformed."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise MalformedError(f"not a tile path: {path[:80]!r}")
    level_text, _entries, index_text, width_text = match.groups()
    level = None if level_text is None else int(level_text)
    width = int(width_text) if width_text else TILE_WIDTH
    if (level is not None and level > MAX_LEVEL) or (width_text and width >= TILE_WIDTH):
        raise MalformedError(f"tile path {path[:80]!r} has a level or width out of range")
    parsed = TilePath(level, int(index_text.replace("x", "").replace("/", "")), width)
    # Zero-padded elements like x000/001 would give a second path for one tile.
    if str(parsed) != path:
        raise MalformedError(f"tile path {path[:80]!r} is not canonical")
    return parsed


def tile_width(key: TileKey, size: int) -> int:
    """How many hashes tile ``key`` holds in a tree of ``size`` leaves (0 when it does not exist)."""
    below = size >> (TILE_HEIGHT * key.level)
    return max(0, min(TILE_WIDTH, below - key.index * TILE_WIDTH))


def edge_tiles(size: int) -> dict[TileKey, int]:
    """The partial tiles of a tree of ``size`` leaves with their widths: the only tiles that still grow."""
    edge: dict[TileKey, int] = {}
    level = 0
    while below := size >> (TILE_HEIGHT * level):
        if width := below % TILE_WIDTH:
            edge[TileKey(level, below // TILE_WIDTH)] = width
        level += 1
    return edge


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries framed by big-endian uint16 lengths, as ``tile/entries/<N>`` serves them."""
    if len(entries) > TILE_WIDTH:
        raise TooLargeError(f"an entry bundle holds at most {TILE_WIDTH} entries")
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise TooLargeError(f"log entry of {len(entry)} bytes is over {MAX_ENTRY_SIZE}")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """The entries of a bundle; truncation, trailing bytes or a count other than ``width`` are malformed."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data) or len(entries) == TILE_WIDTH:
            raise MalformedError("entry bundle is truncated or holds more than 256 entries")
        end = pos + 2 + int.from_bytes(data[pos : pos + 2], "big")
        if end > len(data):
            raise MalformedError("entry bundle is truncated")
        entries.append(data[pos + 2 : end])
        pos = end
    if width is not None and len(entries) != width:
        raise MalformedError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries
