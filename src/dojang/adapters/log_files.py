"""The log as files: ``trust/log.json`` (what a verifier trusts) and C2SP tlog-tiles as static files.

``log.json``::

    {"origin": "dojang.example/log",
     "key": "<C2SP note verifier key>",
     "chain": {"kind": "inprocess", "path": "../data/chain"}          # or
              {"kind": "rpc", "url": "http://…", "contract": "0x…"},
     "confirmations": 3,
     "tiles": "../log",                  # optional: a directory, or the URL `dojang serve` answers at
     "anchor_window": 3600}              # optional: seconds from iat to anchoring (log-time)

Relative paths are relative to the directory holding ``log.json``. ``tiles`` is either such a path
(C2SP tlog-tiles as static files) or an ``http(s)://`` URL under which ``tile/<L>/<N>[.p/<W>]`` and
``checkpoint`` are served (``dojang serve``, or any static file server or CDN in front of it).
``anchor_window`` is how long a genuine credential may wait from its ``iat`` to the anchoring of a
checkpoint holding it (default ``DEFAULT_ANCHOR_WINDOW``, one hour); see docs/transparency-log.md.
Verification opens the chain read-only and reads tiles from files or over HTTP: it needs no write
access anywhere.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from dojang.adapters._http import get_bounded
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
    TileReader,
    open_checkpoint,
    parse_verifier_key,
    tile_path,
    tile_width,
)
from dojang.errors import ConfigError, DojangError, NotFoundError
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW, ChainView, LogTrust

__all__ = [
    "LOG_FILE",
    "HttpTiles",
    "StaticTiles",
    "export_tiles",
    "log_trust_document",
    "read_log_trust",
    "write_log_trust",
]

LOG_FILE = "log.json"
_MAX_BYTES = 64 * 1024


def log_trust_document(
    origin: str,
    key: NoteVerifier,
    chain: Mapping[str, Any],
    confirmations: int,
    tiles: str | None,
    *,
    anchor_window: int | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "origin": origin,
        "key": key.key_string(),
        "chain": dict(chain),
        "confirmations": confirmations,
    }
    if tiles is not None:
        doc["tiles"] = tiles
    if anchor_window is not None:
        doc["anchor_window"] = anchor_window
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
        confirmations = _positive(doc, "confirmations", 1, path)
        window = _positive(doc, "anchor_window", DEFAULT_ANCHOR_WINDOW, path)
        origin, key = str(doc["origin"]), parse_verifier_key(str(doc["key"]))
        return LogTrust(
            origin=origin,
            key=key,
            chain=_chain(doc["chain"], path.parent),
            confirmations=confirmations,
            tiles=_tiles(doc.get("tiles"), path.parent, key, origin),
            anchor_window=window,
        )
    except KeyError as exc:
        raise ConfigError(f"{path} lacks {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ConfigError:
        raise
    except DojangError as exc:
        raise ConfigError(f"{path} cannot be used: {exc.message}") from None


def _positive(doc: Mapping[str, Any], name: str, default: int, path: Path) -> int:
    value = doc.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{path}: {name} must be a positive integer")
    return value


def _tiles(spec: Any, base: Path, key: NoteVerifier, origin: str) -> TileReader | None:
    if not spec:
        return None
    if not isinstance(spec, str):
        raise ConfigError("tiles must be a directory path or an http(s) URL")
    if spec.startswith(("http://", "https://")):
        return HttpTiles(spec, key, origin)
    return StaticTiles(base / spec)


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


class HttpTiles:
    """A ``TileReader`` over C2SP tlog-tiles served at ``base_url`` (``dojang serve``, a CDN, a file server).

    A full tile is fetched at ``tile/<L>/<N>``; the log's right edge is made of partial tiles, whose
    width depends on the tree size, so the first miss fetches ``checkpoint`` (checked against the
    log key) and asks for ``tile/<L>/<N>.p/<W>`` at that size. Every hash read is checked against a
    root from the chain by the proof that uses it, so the server needs no trust of its own.
    """

    def __init__(self, base_url: str, key: NoteVerifier, origin: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._key, self._origin, self._timeout = key, origin, timeout
        self._size: int | None = None

    def __call__(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        found: dict[TileKey, bytes] = {}
        # One connection per batch (a proof reads its tiles in one call): nothing left open between.
        with httpx.Client(timeout=self._timeout, follow_redirects=False, trust_env=False) as client:
            for key in keys:
                data = self._get(client, tile_path(key))
                if data is None:
                    width = tile_width(key, self._served_size(client))
                    data = self._get(client, tile_path(key, width)) if 0 < width < TILE_WIDTH else None
                if data is not None:
                    found[key] = data
        return found

    def _served_size(self, client: httpx.Client) -> int:
        if self._size is None:
            note = self._get(client, "checkpoint", limit=_MAX_BYTES)
            if note is None:
                raise NotFoundError(f"{self.base_url}checkpoint: the log serves no checkpoint yet")
            self._size = open_checkpoint(note, [self._key], origin=self._origin).size
        return self._size

    def _get(self, client: httpx.Client, path: str, *, limit: int = TILE_WIDTH * HASH_SIZE) -> bytes | None:
        return get_bounded(client, self.base_url + path, limit=limit)


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
