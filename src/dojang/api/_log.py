"""The log as C2SP tlog-tiles resources: ``/checkpoint``, ``/tile/<L>/<N>[.p/<W>]``, ``/tile/entries/…``.

Everything here is a read of the store, as a static file server would answer: a CDN in front can
cache full tiles and full entry bundles for ever (their bytes never change), partial ones briefly,
and the checkpoint for a few seconds. Store reads block, so the handlers are plain ``def``
functions, which FastAPI runs in its thread pool; the store guards its connection with a lock.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from dojang.api._problems import Problem
from dojang.core.log import HASH_SIZE, TILE_WIDTH, TileKey, TilePath, TreeHead, entry_bundle, parse_tile_path
from dojang.errors import ConfigError, NotFoundError

__all__ = [
    "CHECKPOINT_CACHE",
    "IMMUTABLE_CACHE",
    "PARTIAL_CACHE",
    "Health",
    "LogReader",
    "log_router",
]

#: The checkpoint changes with every integration: tlog-tiles asks for no caching beyond a few seconds.
CHECKPOINT_CACHE = "public, max-age=5"
#: Full tiles and bundles never change once they exist.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
#: A partial tile's bytes never change either, but it is superseded by the full tile soon after; a
#: short lifetime keeps CDNs from holding many short-lived objects.
PARTIAL_CACHE = "public, max-age=60"
_OCTETS = "application/octet-stream"
_TilePathParam = Annotated[
    str,
    PathParam(
        description="``<L>/<N>[.p/<W>]`` for a hash tile, ``<N>[.p/<W>]`` for an entry bundle: ``<N>`` in "
        "zero-padded 3-digit elements, all but the last prefixed ``x`` (index 1234067 is ``x001/x234/067``)",
        examples=["0/000", "1/x001/234.p/17"],
    ),
]
_GZIP_FROM = 512
_TAGS: list[str | Enum] = ["transparency log (C2SP tlog-tiles)"]


class LogReader(Protocol):
    """What the API reads from a log store (a subset of ``dojang.core.log.LogStore``)."""

    def head(self) -> TreeHead: ...

    def tiles(self, keys: Iterable[TileKey]) -> Mapping[TileKey, bytes]: ...

    def entries(self, start: int, stop: int) -> list[bytes]: ...

    def checkpoint(self, size: int | None = None) -> bytes | None: ...


class Health(BaseModel):
    """The server is up and its store answers."""

    status: str = Field(description='"ok"')
    origin: str | None = Field(description="The log's origin (checkpoint first line), if known")
    tree_size: int = Field(description="Entries integrated into the tree so far")


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Not a canonical tile path (problem+json)",
        404: "No such resource in the log (yet) (problem+json)",
        500: "The server cannot serve this log (problem+json)",
        503: "The store cannot be reached now; retry (problem+json)",
    }
    return {status: {"model": Problem, "description": described[status]} for status in statuses}


def _binary(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {_OCTETS: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


def _checkpoint_origin(note: bytes) -> str:
    return note.split(b"\n", 1)[0].decode("utf-8", "replace")


def _cache(tile: TilePath) -> str:
    return IMMUTABLE_CACHE if tile.width == TILE_WIDTH else PARTIAL_CACHE


def _octets(request: Request, body: bytes, cache: str, *, compress: bool) -> Response:
    headers = {"Cache-Control": cache}
    if compress:
        headers["Vary"] = "Accept-Encoding"
        accepted = {
            part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")
        }
        if "gzip" in accepted and len(body) >= _GZIP_FROM:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=_OCTETS, headers=headers)


def log_router(store: LogReader, origin: str | None) -> APIRouter:
    """The read-only log routes over ``store``; with ``origin``, another log's checkpoint is refused."""
    router = APIRouter()

    @router.get(
        "/checkpoint",
        operation_id="get_checkpoint",
        tags=_TAGS,
        summary="The latest signed checkpoint",
        description="The latest C2SP tlog-checkpoint of the log as a signed note (Ed25519 log key): "
        "origin, tree size, base64 root hash, a blank line, signature lines. Cached for a few seconds.",
        response_class=Response,
        responses={
            200: {
                "description": "The signed checkpoint note",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **_problems(404, 500, 503),
        },
    )
    def checkpoint() -> Response:
        note = store.checkpoint()
        if note is None:
            raise NotFoundError(
                "the log has no signed checkpoint yet", hint="retry after the next checkpoint"
            )
        if origin is not None and (found := _checkpoint_origin(note)) != origin:
            raise ConfigError(f"the stored checkpoint is for log {found[:80]!r}, not {origin!r}")
        headers = {"Cache-Control": CHECKPOINT_CACHE}
        return Response(note, media_type="text/plain; charset=utf-8", headers=headers)

    # Registered before the hash tile route, whose ``{path:path}`` would otherwise take entries too.
    @router.get(
        "/tile/entries/{path:path}",
        operation_id="get_entry_bundle",
        tags=_TAGS,
        summary="An entry bundle",
        description="Entries ``N*256 …`` of the log, each framed by a big-endian uint16 length: "
        "``<N>`` in 3-digit path elements (``x001/234``), ``.p/<W>`` for a partial bundle of ``W`` entries. "
        "Each entry hashes (RFC 6962 leaf hash) to the matching hash of level-0 tile ``N``. Gzip-compressed "
        "when the client accepts it. Full bundles are immutable.",
        response_class=Response,
        responses={**_binary("The entry bundle"), **_problems(400, 404, 503)},
    )
    def entries(path: _TilePathParam, request: Request) -> Response:
        tile = parse_tile_path(f"tile/entries/{path}")
        start = tile.index * TILE_WIDTH
        found = store.entries(start, start + tile.width)
        if len(found) < tile.width:
            raise NotFoundError(f"{tile} is not in the log: it holds {start + len(found)} entries at most")
        return _octets(request, entry_bundle(found), _cache(tile), compress=True)

    @router.get(
        "/tile/{path:path}",
        operation_id="get_tile",
        tags=_TAGS,
        summary="A Merkle tree hash tile",
        description="Tile ``tile/<L>/<N>[.p/<W>]``: 256 consecutive 32-byte hashes at level ``L`` "
        "(0 = leaf hashes), or the first ``W`` of them for a partial tile. Full tiles are immutable.",
        response_class=Response,
        responses={**_binary("The tile's hashes, concatenated"), **_problems(400, 404, 503)},
    )
    def tile(path: _TilePathParam, request: Request) -> Response:
        wanted = parse_tile_path(f"tile/{path}")
        data = store.tiles([wanted.key]).get(wanted.key)
        size = wanted.width * HASH_SIZE
        if data is None or len(data) < size:
            raise NotFoundError(f"{wanted} is not in the log (yet)")
        return _octets(request, bytes(data[:size]), _cache(wanted), compress=False)

    @router.get(
        "/healthz",
        operation_id="get_health",
        summary="Liveness and readiness",
        description="``ok`` when the server runs and its store answers; reports the integrated tree size.",
        tags=["operations"],
        responses={200: {"description": "The server is up"}, **_problems(503)},
    )
    def healthz(response: Response) -> Health:
        head = store.head()
        note = store.checkpoint()
        response.headers["Cache-Control"] = "no-store"
        known = origin if origin is not None else (None if note is None else _checkpoint_origin(note))
        return Health(status="ok", origin=known, tree_size=head.size)

    return router
