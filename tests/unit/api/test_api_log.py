"""The log over HTTP in-process: checkpoint, hash tiles, entry bundles, caching headers, proofs from tiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import ORIGIN, Log, get, new_log
from fastapi import FastAPI

from dojang.api import CHECKPOINT_CACHE, IMMUTABLE_CACHE, PARTIAL_CACHE, create_app
from dojang.core.log import (
    Prover,
    TileKey,
    entries_path,
    leaf_hash,
    open_checkpoint,
    parse_entry_bundle,
    tile_path,
    tile_width,
    verify_inclusion,
)

SIZE = 70_000  # the tlog-tiles example: 273 full level-0 tiles, partials of width 112, 17 and 1


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Log:
    log = new_log(tmp_path_factory.mktemp("api") / "log.db")
    log.append(1_000)
    log.checkpoint()
    log.append(SIZE - 1_000)
    log.checkpoint()
    return log


@pytest.fixture(scope="module")
def app(log: Log) -> FastAPI:
    return create_app(log.store, origin=ORIGIN)


def _reader(app: FastAPI, size: int) -> Prover:
    def read(keys: object) -> dict[TileKey, bytes]:
        out = {}
        for key in keys:  # type: ignore[attr-defined]
            response = get(app, "/" + tile_path(key, tile_width(key, size)))
            assert response.status_code == 200, response.text
            out[key] = response.content
        return out

    return Prover(read)


def test_checkpoint_is_the_latest_signed_note(app: FastAPI, log: Log) -> None:
    response = get(app, "/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == CHECKPOINT_CACHE
    checkpoint = open_checkpoint(response.content, [log.verifier], origin=ORIGIN)
    assert (checkpoint.size, checkpoint.root) == (SIZE, log.store.head().root)


@pytest.mark.parametrize("key", [TileKey(0, 0), TileKey(0, 272), TileKey(1, 0)])
def test_full_tiles_are_immutable(app: FastAPI, log: Log, key: TileKey) -> None:
    response = get(app, "/" + tile_path(key))
    assert response.status_code == 200
    assert response.content == log.store.tiles([key])[key]
    assert len(response.content) == 8192
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["cache-control"] == IMMUTABLE_CACHE
    assert "content-encoding" not in response.headers  # hashes do not compress


@pytest.mark.parametrize(("key", "width"), [(TileKey(0, 273), 112), (TileKey(1, 1), 17), (TileKey(2, 0), 1)])
def test_partial_tiles_of_the_edge(app: FastAPI, log: Log, key: TileKey, width: int) -> None:
    assert tile_width(key, SIZE) == width
    response = get(app, "/" + tile_path(key, width))
    assert response.status_code == 200
    assert response.content == log.store.tiles([key])[key]
    assert response.headers["cache-control"] == PARTIAL_CACHE
    # The full tile does not exist yet, nor a wider partial one.
    assert get(app, "/" + tile_path(key)).status_code == 404
    assert get(app, "/" + tile_path(key, width + 1)).status_code == 404


def test_a_partial_request_of_a_full_tile_is_its_prefix(app: FastAPI, log: Log) -> None:
    # A tree of 1,000 leaves needed tile/0/003.p/232 then; the tile is full now and its prefix unchanged.
    key = TileKey(0, 3)
    response = get(app, "/" + tile_path(key, 1_000 - 3 * 256))
    assert response.status_code == 200
    assert response.content == log.store.tiles([key])[key][: 232 * 32]


def test_full_entry_bundle_is_gzipped_and_hashes_to_its_tile(app: FastAPI, log: Log) -> None:
    response = get(app, "/" + entries_path(5), **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == IMMUTABLE_CACHE
    assert "accept-encoding" in response.headers["vary"].lower()
    entries = parse_entry_bundle(response.content, 256)
    assert entries == log.entries[5 * 256 : 6 * 256]
    tile = get(app, "/" + tile_path(TileKey(0, 5))).content
    assert b"".join(leaf_hash(e) for e in entries) == tile


def test_entry_bundle_without_gzip(app: FastAPI, log: Log) -> None:
    response = get(app, "/" + entries_path(0), **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert parse_entry_bundle(response.content, 256) == log.entries[:256]


def test_partial_entry_bundle(app: FastAPI, log: Log) -> None:
    response = get(app, "/" + entries_path(273, 112))
    assert response.status_code == 200
    assert response.headers["cache-control"] == PARTIAL_CACHE
    assert parse_entry_bundle(response.content, 112) == log.entries[273 * 256 :]
    assert get(app, "/" + entries_path(273, 113)).status_code == 404
    assert get(app, "/" + entries_path(273)).status_code == 404


def test_root_and_proofs_from_tiles_over_http_match_the_checkpoint(app: FastAPI, log: Log) -> None:
    checkpoint = open_checkpoint(get(app, "/checkpoint").content, [log.verifier], origin=ORIGIN)
    prover = _reader(app, checkpoint.size)
    assert prover.root(checkpoint.size) == checkpoint.root
    for index in (0, 255, 256, 65_535, 69_999):
        proof = prover.inclusion_proof(index, checkpoint.size)
        verify_inclusion(leaf_hash(log.entries[index]), index, checkpoint.size, proof, checkpoint.root)


def test_healthz_reports_the_tree(app: FastAPI) -> None:
    response = get(app, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "origin": ORIGIN, "tree_size": SIZE}
    assert response.headers["cache-control"] == "no-store"


def test_a_fresh_log_has_no_checkpoint(tmp_path: Path) -> None:
    log = new_log(tmp_path / "log.db")
    app = create_app(log.store, origin=None)
    response = get(app, "/checkpoint")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["hint"]
    assert get(app, "/healthz").json() == {"status": "ok", "origin": None, "tree_size": 0}
    assert get(app, "/tile/0/000.p/1").status_code == 404
    assert get(app, "/tile/entries/000.p/1").status_code == 404


def test_without_a_pinned_origin_health_names_the_stored_one(log: Log) -> None:
    assert get(create_app(log.store, origin=None), "/healthz").json()["origin"] == ORIGIN


def test_a_checkpoint_of_another_log_is_refused(log: Log) -> None:
    response = get(create_app(log.store, origin="other.example/log"), "/checkpoint")
    assert response.status_code == 500
    assert response.json()["type"] == "urn:dojang:problem:config"
    assert "other.example/log" in response.json()["detail"]
