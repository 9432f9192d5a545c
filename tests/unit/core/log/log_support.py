"""Shared helpers for the log tests: vector loading and an in-memory tile store built by integration."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dojang.core.crypto import SigningKey, generate_key
from dojang.core.log import Edge, TileKey, integrate

ASSETS = Path(__file__).resolve().parents[3] / "assets"


def load(relative: str) -> Any:
    return json.loads((ASSETS / relative).read_text(encoding="utf-8"))


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def signer_key_from_go(skey: str) -> tuple[str, SigningKey]:
    """A ``PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`` key as published in golang.org/x/mod."""
    _, _, name, _, material = skey.split("+", 4)
    raw = base64.b64decode(material)
    assert raw[0] == 1
    return name, generate_key("EdDSA", lambda n: raw[1 : 1 + n])


class MemoryTiles:
    """Tiles in a dict, filled by integrating batches: what a LogStore's ``tiles`` does, in memory."""

    def __init__(self) -> None:
        self.tiles: dict[TileKey, bytes] = {}
        self.edge = Edge(0)
        self.reads = 0

    def add(self, leaf_hashes: Sequence[bytes]) -> None:
        result = integrate(self.edge, leaf_hashes)
        self.tiles.update(result.tiles)
        self.edge = result.edge

    def __call__(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        self.reads += 1
        return {k: self.tiles[k] for k in keys if k in self.tiles}
