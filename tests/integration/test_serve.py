"""``dojang serve`` as a real process: the log over HTTP on 127.0.0.1, proofs from its tiles, clean stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest

import dojang.cli
from dojang.adapters.storage import open_store
from dojang.core.crypto import generate_key
from dojang.core.log import (
    Checkpoint,
    NoteSigner,
    Prover,
    TileKey,
    entries_path,
    integrate,
    leaf_hash,
    open_checkpoint,
    parse_entry_bundle,
    read_edge,
    sign_checkpoint,
    tile_path,
    tile_width,
    verify_inclusion,
)

ORIGIN = "dojang.test/serve"
SIZE = 70_000
STARTUP_SECONDS = 30.0
STOP_SECONDS = 15.0
DOJANG = Path(sys.executable).with_name("dojang")


def _command() -> list[str]:
    """The installed ``dojang serve``; the module itself until the command is registered in the CLI."""
    if "serve" in dojang.cli.cli.commands:
        return [str(DOJANG), "serve"]
    return [sys.executable, "-m", "dojang.cli._serve"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOJANG_", "LC_")) and k != "LANG"}
    return {**env, "LANG": "C.UTF-8", **extra}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fill(data_dir: Path, signer: NoteSigner) -> list[bytes]:
    """A 70,000-entry log written as the sequencer writes it: pending, integrated in batches, signed."""
    entries: list[bytes] = []
    with contextlib.closing(open_store(data_dir / "log.db")) as store:
        for batch in (1_000, 40_000, SIZE - 41_000):
            new = [f"serve entry {i}".encode() for i in range(len(entries), len(entries) + batch)]
            store.add_pending(new)
            pending = store.pending(batch)
            head = store.head()
            hashes = [leaf_hash(p.entry) for p in pending]
            result = integrate(read_edge(store.tiles, head.size), hashes)
            store.integrate(
                taken=[p.seq for p in pending],
                first_index=head.size,
                entries=[p.entry for p in pending],
                leaf_hashes=hashes,
                tiles=result.tiles,
                head=result.head,
            )
            note = sign_checkpoint(Checkpoint(ORIGIN, result.head.size, result.head.root), [signer])
            store.put_checkpoint(result.head.size, note)
            entries += new
    return entries


class Server:
    """A ``dojang serve`` subprocess and a client for it."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [*_command(), "--data-dir", str(data_dir), "--port", str(self.port), *extra]
        # Output to a file, not a pipe: a pipe nobody reads would fill with access logs and block the server.
        self.log = data_dir.parent / f"serve-{self.port}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(args, env=_env(), stdout=sink, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dojang serve exited with {self.process.returncode}: {self.output()}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"dojang serve did not answer /healthz within {STARTUP_SECONDS} s")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
            raise AssertionError("dojang serve did not stop within 15 s of the signal") from None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, generate_key("EdDSA", os.urandom))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve") / "data"


@pytest.fixture(scope="module")
def entries(data_dir: Path, signer: NoteSigner) -> list[bytes]:
    return _fill(data_dir, signer)


@pytest.fixture(scope="module")
def server(data_dir: Path, entries: list[bytes]) -> Iterator[Server]:
    server = Server(data_dir)
    try:
        server.wait_ready()
        yield server
    finally:
        code = server.stop()
    assert code == 0, server.output()


def _http_tiles(client: httpx.Client, size: int) -> Prover:
    def read(keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        out = {}
        for key in keys:
            response = client.get("/" + tile_path(key, tile_width(key, size)))
            response.raise_for_status()
            out[key] = response.content
        return out

    return Prover(read)


def test_checkpoint_is_signed_by_the_log(server: Server, signer: NoteSigner) -> None:
    response = server.client.get("/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=5"
    checkpoint = open_checkpoint(response.content, [signer.verifier], origin=ORIGIN)
    assert checkpoint.size == SIZE


def test_root_recomputed_from_fetched_tiles_is_the_checkpoints(server: Server, signer: NoteSigner) -> None:
    checkpoint = open_checkpoint(server.client.get("/checkpoint").content, [signer.verifier], origin=ORIGIN)
    assert _http_tiles(server.client, checkpoint.size).root(checkpoint.size) == checkpoint.root


def test_inclusion_proofs_from_fetched_tiles_and_bundles(
    server: Server, signer: NoteSigner, entries: list[bytes]
) -> None:
    checkpoint = open_checkpoint(server.client.get("/checkpoint").content, [signer.verifier], origin=ORIGIN)
    prover = _http_tiles(server.client, checkpoint.size)
    for index in (0, 1_000, 65_536, SIZE - 1):
        tile = index // 256
        width = tile_width(TileKey(0, tile), checkpoint.size)
        bundle = server.client.get("/" + entries_path(tile, width), headers={"Accept-Encoding": "gzip"})
        entry = parse_entry_bundle(bundle.content, width)[index % 256]
        assert entry == entries[index]
        proof = prover.inclusion_proof(index, checkpoint.size)
        verify_inclusion(leaf_hash(entry), index, checkpoint.size, proof, checkpoint.root)


def test_caching_headers_let_a_cdn_serve_tiles(server: Server) -> None:
    full = server.client.get("/tile/0/000")
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(full.content) == 8192
    partial = server.client.get("/tile/0/273.p/112")
    assert partial.headers["cache-control"] == "public, max-age=60"
    assert len(partial.content) == 112 * 32
    bundle = server.client.get("/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    assert bundle.headers["content-encoding"] == "gzip"


def test_openapi_lists_the_routes(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    assert {"/checkpoint", "/tile/{path}", "/tile/entries/{path}", "/healthz"} <= set(document["paths"])


@pytest.mark.parametrize(
    ("path", "status"), [("/tile/0/x000/001", 400), ("/tile/0/999", 404), ("/nope", 404)]
)
def test_bad_paths_are_problem_json(server: Server, path: str, status: int) -> None:
    response = server.client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_only_the_given_host_is_bound(server: Server) -> None:
    assert server.client.get("/healthz").json()["tree_size"] == SIZE
    with socket.socket() as other:
        # 127.0.0.2 is loopback too, but not the address the server was told to listen on.
        assert other.connect_ex(("127.0.0.2", server.port)) != 0


def test_a_fresh_data_directory_is_created_and_served(tmp_path: Path) -> None:
    server = Server(tmp_path / "fresh")
    try:
        server.wait_ready()
        assert server.client.get("/healthz").json() == {"status": "ok", "origin": None, "tree_size": 0}
        assert server.client.get("/checkpoint").status_code == 404
    finally:
        code = server.stop(signal.SIGINT)
    assert code == 0, server.output()
    assert (tmp_path / "fresh" / "log.db").exists()


@pytest.mark.slow
def test_several_workers_serve_the_same_log(data_dir: Path, entries: list[bytes], signer: NoteSigner) -> None:
    server = Server(data_dir, "--workers", "2")
    try:
        server.wait_ready()
        for _ in range(20):
            note = server.client.get("/checkpoint").content
            assert open_checkpoint(note, [signer.verifier], origin=ORIGIN).size == SIZE
    finally:
        code = server.stop()
    assert code == 0, server.output()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*_command(), "--data-dir", str(tmp_path / "d"), "--port", str(port)],
            env=_env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert b"cannot listen" in done.stderr


def test_the_sequencer_in_serve_logs_and_anchors_what_is_issued(tmp_path: Path) -> None:
    """Issuance only records the entry; the running server integrates, checkpoints and anchors it."""
    data = tmp_path / "live"
    env = {**_env(), "DOJANG_ANCHOR_INTERVAL": "1"}
    dojang = [str(Path(sys.executable).with_name("dojang"))]
    issued = subprocess.run(
        [*dojang, "issue", "--kind", "resident-register-copy", "--citizen", "C0005", "--holder",
         "--out", str(tmp_path / "c.sd-jwt"), "--data-dir", str(data)],
        env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    port = _free_port()
    process = subprocess.Popen(
        [*dojang, "serve", "--data-dir", str(data), "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline, size = time.monotonic() + 60, 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while size < 1 and time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    response = client.get("/checkpoint")
                except httpx.TransportError:
                    continue
                if response.status_code == 200:
                    size = int(response.text.splitlines()[1])
        assert size == 1
        status = ""
        while "0 anchor, 0 confirm" not in status and time.monotonic() < deadline:
            time.sleep(0.5)
            status = subprocess.run(
                [*dojang, "--lang", "en", "anchor", "status", "--data-dir", str(data)],
                env=env, capture_output=True, text=True, timeout=60, check=False,
            ).stdout  # fmt: skip
        assert "latest anchor: size 1" in status
        assert "0 anchor, 0 confirm" in status
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS) == 0
