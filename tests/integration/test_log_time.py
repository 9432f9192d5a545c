"""The ``log-time`` line (a credential's ``iat`` against the block that anchored its entry) and tiles by URL.

Real parts throughout: a data directory's SQLite log, the in-process py-evm chain, the issuer's own
trusted key. A back-dated credential (validly signed, claiming an ``iat`` long before it was logged)
passes every other check and fails ``log-time`` by name.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.log_files import export_tiles, read_log_trust
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.trust_files import read_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.cli._context import State, open_state
from dojang.cli._issue import issue_credential, registry_claims
from dojang.cli._log import checkpoint_and_anchor, prove_credential
from dojang.core.crypto import parse_jws
from dojang.core.log import IssuanceEntry, Prover, TlogProof, credential_digest, encode_entry, leaf_hash
from dojang.roles.verifier import Verdict, Verifier

KIND = "family-relation-certificate"
Invoke = Callable[..., Any]


@dataclass
class World:
    """One data directory: its state (log, chain, keys) and the trust directory it publishes."""

    data: Path
    state: State

    @property
    def trust(self) -> Path:
        return self.state.settings.trust_dir

    def issue(self, when: datetime.datetime) -> str:
        registry = SyntheticRegistry(2026, 200)
        claims = registry_claims(registry, KIND, "C0005", when, None)
        holder, _ = self.state.keys.ensure_active("holder")
        jwk = dict(holder.public_key().jwk)
        return issue_credential(self.state, KIND, claims, now=when, holder_jwk=jwk).sd_jwt

    def anchor(self) -> None:
        checkpoint_and_anchor(self.state, "en")

    def prove(self, sd_jwt: str) -> bytes:
        return prove_credential(self.state.log[0], sd_jwt).encode()

    def verify(
        self, sd_jwt: str, proof: bytes, *, trust: Path | None = None, now: int | None = None
    ) -> Verdict:
        where = trust or self.trust
        verifier = Verifier(
            trust=read_trust(where),
            catalogue=self.state.catalogue,
            log=read_log_trust(where),
            pki=read_pki(where),
        )
        return verifier.verify(sd_jwt, now=int(time.time()) if now is None else now, proof=proof)

    def trust_copy(self, target: Path, **changes: Any) -> Path:
        shutil.copytree(self.trust, target)
        doc = json.loads((target / "log.json").read_text())
        doc["chain"]["path"] = str(self.state.settings.chain_dir)
        doc.update(changes)
        (target / "log.json").write_text(json.dumps(doc))
        return target


@pytest.fixture
def world(tmp_path: Path, invoke: Invoke) -> Iterator[World]:
    del invoke  # requested for its clean environment (no DOJANG_* settings leaking in)
    data = tmp_path / "data"
    state = open_state(data, None)
    yield World(data, state)
    state.close()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _lines(verdict: Verdict) -> dict[str, Any]:
    return {line.check: line for line in verdict.checks}


def test_a_genuine_credential_passes_log_time(world: World) -> None:
    token = world.issue(_now())
    world.anchor()
    verdict = world.verify(token, world.prove(token))
    assert verdict.valid, verdict.checks
    assert [c.check for c in verdict.checks if c.check.startswith("log-")] == [
        "log-inclusion",
        "log-anchored",
        "log-consistency",
        "log-time",
    ]
    assert "anchored" in _lines(verdict)["log-time"].detail


def test_a_back_dated_credential_fails_log_time_and_only_that(world: World, invoke: Invoke) -> None:
    world.issue(_now())
    # Signed today with the agency's own trusted key, claiming to be ten days old: still inside its
    # validity period, so nothing but the log can tell.
    token = world.issue(_now() - datetime.timedelta(days=10))
    world.anchor()
    proof = world.prove(token)
    verdict = world.verify(token, proof)
    assert not verdict.valid
    failed = verdict.failed
    assert failed is not None
    assert failed.check == "log-time"
    assert failed.detail.startswith("back-dated")
    assert all(line.ok for line in verdict.checks[:-1])
    assert {"signature", "validity-period", "log-inclusion", "log-anchored"} <= _lines(verdict).keys()
    # The same verdict from `dojang verify`, as a user runs it.
    world.state.close()
    path = world.data.parent / "backdated.sd-jwt"
    path.write_text(token)
    path.with_name(path.name + ".tlog-proof").write_bytes(proof)
    result = invoke("verify", str(path), "--data-dir", str(world.data), "--json")
    assert result.code == 1, result.stdout + result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert (checks[-1]["check"], checks[-1]["ok"]) == ("log-time", False)
    assert "back-dated" in checks[-1]["detail"]


def test_the_window_is_a_stated_parameter(world: World, tmp_path: Path) -> None:
    token = world.issue(_now() - datetime.timedelta(minutes=10))
    world.anchor()
    proof = world.prove(token)
    assert world.verify(token, proof).valid  # ten minutes late: within the default hour
    strict = world.trust_copy(tmp_path / "strict", anchor_window=120)
    verdict = world.verify(token, proof, trust=strict)
    assert verdict.failed is not None
    assert (verdict.failed.check, verdict.failed.detail[:10]) == ("log-time", "back-dated")


def test_a_post_dated_credential_fails_log_time(world: World) -> None:
    later = _now() + datetime.timedelta(hours=2)
    token = world.issue(later)
    world.anchor()
    # Verified once its iat has come (so validity-period holds): it was anchored two hours before it.
    verdict = world.verify(token, world.prove(token), now=int(later.timestamp()) + 10)
    assert verdict.failed is not None
    assert verdict.failed.check == "log-time"
    assert verdict.failed.detail.startswith("post-dated")


def test_an_entry_whose_time_is_not_the_iat_fails_log_time(world: World) -> None:
    token = world.issue(_now())
    service = world.state.log[0]
    jws = parse_jws(token.partition("~")[0])
    # An operator's entry for the same credential, dated one day earlier than the credential says.
    iat, vct, kid = jws.payload["iat"], jws.payload["vct"], jws.header["kid"]
    forged = IssuanceEntry(credential_digest(token), vct, kid, iat - 86_400)
    service.record([encode_entry(forged)])
    world.anchor()
    index = service.store.index_of(leaf_hash(encode_entry(forged)))
    assert index is not None
    note = service.store.checkpoint()
    assert note is not None
    size = int(note.split(b"\n")[1])
    hashes = Prover(service.store.tiles).inclusion_proof(index, size)
    proof = TlogProof(index, tuple(hashes), note, encode_entry(forged)).encode()
    verdict = world.verify(token, proof)
    assert verdict.failed is not None
    assert verdict.failed.check == "log-time"
    assert "is not the credential's iat" in verdict.failed.detail


def test_a_proof_refreshed_later_finds_the_first_anchor_in_the_tiles(world: World, tmp_path: Path) -> None:
    token = world.issue(_now())
    world.anchor()
    first_size = world.state.log[0].store.head().size
    _, chain = world.state.log
    assert isinstance(chain, InProcessChain)
    chain.advance(150)  # an empty chain stamps each block a second after the last: the chain's time moves on
    world.issue(_now())
    world.anchor()
    proof = world.prove(token)  # against the latest checkpoint, anchored ~150 s after the iat
    store = world.state.log[0].store
    tiles = tmp_path / "tiles"
    export_tiles(store, store.head().size, tiles)
    with_tiles = world.trust_copy(tmp_path / "with-tiles", anchor_window=60, tiles=str(tiles))
    verdict = world.verify(token, proof, trust=with_tiles)
    assert verdict.valid, verdict.checks
    assert f"checkpoint {first_size} anchored" in _lines(verdict)["log-time"].detail
    bare = world.trust_copy(tmp_path / "bare", anchor_window=60)
    (bare / "log.json").write_text(
        json.dumps({k: v for k, v in json.loads((bare / "log.json").read_text()).items() if k != "tiles"})
    )
    verdict = world.verify(token, proof, trust=bare)
    assert verdict.failed is not None
    # Without tiles the first checkpoint cannot be shown to hold the entry: the late anchor is all there is.
    assert verdict.failed.check == "log-time"
    assert "no tiles" in verdict.failed.detail


# -- tiles named by URL in trust/log.json: read over HTTP from `dojang serve` -----------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serving(data: Path) -> Iterator[str]:
    """``dojang serve`` on the data directory, as a real process; its base URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOJANG_", "LC_")) and k != "LANG"}
    dojang = Path(sys.executable).with_name("dojang")
    with (data.parent / "serve.log").open("wb") as sink:
        process = subprocess.Popen(
            [str(dojang), "serve", "--data-dir", str(data), "--port", str(port)],
            env={**env, "LANG": "C.UTF-8"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (data.parent / "serve.log").read_text()
            try:
                if httpx.get(url + "checkpoint", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "dojang serve did not answer within 30 s"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_tiles_named_by_url_prove_consistency_over_http(world: World, tmp_path: Path) -> None:
    token = world.issue(_now())
    world.anchor()
    proof = world.prove(token)  # to the first checkpoint
    for _ in range(3):  # more entries and checkpoints: the first one is now a prefix to prove
        world.issue(_now())
        world.anchor()
    world.state.close()  # `dojang serve` takes the chain's lock
    with _serving(world.data) as url:
        by_url = world.trust_copy(tmp_path / "by-url", tiles=url)
        verdict = world.verify(token, proof, trust=by_url)
        assert verdict.valid, verdict.checks
        assert "is a prefix of the latest anchored" in _lines(verdict)["log-consistency"].detail
        nowhere = world.trust_copy(tmp_path / "nowhere", tiles=f"http://127.0.0.1:{_free_port()}/")
        verdict = world.verify(token, proof, trust=nowhere)
        assert verdict.failed is not None
        assert verdict.failed.check == "log-consistency"
        assert "cannot fetch" in verdict.failed.detail
    # The path form still works: the same tiles as files.
    state = open_state(world.data, None)
    try:
        store = state.log[0].store
        export_tiles(store, store.head().size, tmp_path / "tiles")
    finally:
        state.close()
    by_path = world.trust_copy(tmp_path / "by-path", tiles=str(tmp_path / "tiles"))
    assert world.verify(token, proof, trust=by_path).valid
