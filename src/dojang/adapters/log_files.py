"""The log as files: ``trust/log.json`` (what a verifier trusts) and C2SP tlog-tiles as static files.

``log.json``::

    {"origin": "dojang.example/log",
     "key": "<C2SP note verifier key>",
     "chain": {"kind": "inprocess", "path": "../data/chain"}          # or
              {"kind": "rpc", "url": "http://…", "contract": "0x…"},
     "confirmations": 3,
     "tiles": "../log"}                                                # optional

Relative paths are relative to the directory holding ``log.json``. Verification opens the chain
read-only and reads tiles from files: it needs no write access anywhere.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dojang.adapters.anchor import InProcessChain, JsonRpcChain
from dojang.adapters.keystore import atomic_write
from dojang.core.encoding import loads_strict
from dojang.core.log import (
    HASH_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    LogStore,
    NoteVerifier,
    TileKey,
    parse_verifier_key,
    tile_path,
)
from dojang.errors import ConfigError, DojangError
from dojang.roles.verifier import ChainView, LogTrust

__all__ = [
    "LOG_FILE",
    "StaticTiles",
    "export_tiles",
    "log_trust_document",
    "read_log_trust",
    "write_log_trust",
]

LOG_FILE = "log.json"
_MAX_BYTES = 64 * 1024


def log_trust_document(
    origin: str, key: NoteVerifier, chain: Mapping[str, Any], confirmations: int, tiles: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "origin": origin,
        "key": key.key_string(),
        "chain": dict(chain),
        "confirmations": confirmations,
    }
    if tiles is not None:
        doc["tiles"] = tiles
    return doc


def write_log_trust(trust_dir: Path, document: Mapping[str, Any]) -> Path:
    path = trust_dir / LOG_FILE
    atomic_write(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def read_log_trust(trust: Path) -> LogTrust | None:
    """The log a trust directory declares, or None when it declares none (or ``trust`` is a file)."""
    path = trust / LOG_FILE
    if not trust.is_dir() or not path.exists():
        return None
    try:
        raw = path.read_bytes()[: _MAX_BYTES + 1]
        if len(raw) > _MAX_BYTES:
            raise ConfigError(f"{path} is over {_MAX_BYTES} bytes")
        doc = loads_strict(raw, what="log trust")
        if not isinstance(doc, dict) or not isinstance(doc.get("chain"), dict):
            raise ConfigError(f"{path} is not a log trust document (origin, key, chain)")
        confirmations = doc.get("confirmations", 1)
        if not isinstance(confirmations, int) or confirmations < 1:
            raise ConfigError(f"{path}: confirmations must be a positive integer")
        tiles = doc.get("tiles")
        return LogTrust(
            origin=str(doc["origin"]),
            key=parse_verifier_key(str(doc["key"])),
            chain=_chain(doc["chain"], path.parent),
            confirmations=confirmations,
            tiles=StaticTiles(path.parent / str(tiles)) if tiles else None,
        )
    except KeyError as exc:
        raise ConfigError(f"{path} lacks {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ConfigError:
        raise
    except DojangError as exc:
        raise ConfigError(f"{path} cannot be used: {exc.message}") from None


def _chain(spec: Mapping[str, Any], base: Path) -> ChainView:
    kind = spec.get("kind")
    if kind == "inprocess":
        return InProcessChain(base / str(spec["path"]), read_only=True)
    if kind == "rpc":
        # A verifier only reads: the account key signs nothing, so a throwaway one will do.
        return JsonRpcChain(str(spec["url"]), secrets.token_bytes(32), str(spec["contract"]))
    raise ConfigError(f"unknown chain kind {kind!r} (expected 'inprocess' or 'rpc')")


class StaticTiles:
    """A ``TileReader`` over a C2SP tlog-tiles directory (``tile/<L>/<N>[.p/<W>]``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        found: dict[TileKey, bytes] = {}
        for key in keys:
            data = self._read(key)
            if data is not None:
                found[key] = data
        return found

    def _read(self, key: TileKey) -> bytes | None:
        full = self.root / tile_path(key)
        if full.is_file():
            return full.read_bytes()
        partial = (self.root / tile_path(key, 1)).parent
        widths = sorted((int(p.name) for p in partial.glob("*") if p.name.isdigit()), reverse=True)
        return (partial / str(widths[0])).read_bytes() if widths else None


def export_tiles(store: LogStore, size: int, root: Path) -> int:
    """Write every tile of the tree of ``size`` under ``root`` as static files; how many."""
    written = 0
    level, count = 0, size
    while count:
        tiles = (count + TILE_WIDTH - 1) // TILE_WIDTH
        for start in range(0, tiles, 1024):
            keys = [TileKey(level, i) for i in range(start, min(start + 1024, tiles))]
            stored = store.tiles(keys)
            for key in keys:
                width = min(TILE_WIDTH, count - key.index * TILE_WIDTH)
                data = stored.get(key)
                if data is None or len(data) < width * HASH_SIZE:
                    raise ConfigError(f"tile {key.level}/{key.index} is missing from the store")
                atomic_write(root / tile_path(key, width), bytes(data[: width * HASH_SIZE]))
                written += 1
        level, count = level + 1, count >> TILE_HEIGHT
    return written
