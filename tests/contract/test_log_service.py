"""The operator's LogService on real stores (SQLite, PostgreSQL) and real chains (in-process, anvil).

Crash safety is tested by killing a real process (SIGKILL from the ``DOJANG_CRASH_AT`` hook) right
after each step commits, then resuming in a fresh process: nothing lost, nothing anchored twice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_anchor import ANVIL_KEY, _rpc, anvil_url  # noqa: F401 - the session anvil node
from test_log_store import Backend, backend  # noqa: F401 - the storage fixture, both backends

from dojang.adapters.anchor import InProcessChain, JsonRpcChain
from dojang.core.crypto import generate_key
from dojang.core.encoding import b64url_encode
from dojang.core.log import NoteSigner, leaf_hash, verify_tlog_proof
from dojang.roles.operator import LogService, audit_log

ORIGIN = "dojang.example/log"


def credential(i: int) -> str:
    """An SD-JWT shaped token: what the log reads of a credential (digest, vct, kid, iat)."""
    head = b64url_encode(json.dumps({"kid": "issuer-key-1", "typ": "dc+sd-jwt"}).encode())
    body = b64url_encode(json.dumps({"vct": "urn:test:kind:1", "iat": 1_767_225_600 + i}).encode())
    return f"{head}.{body}.{b64url_encode(b'sig%d' % i)}~"


def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, generate_key("EdDSA", lambda n: b"\x07" * n))


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


def test_record_integrate_checkpoint_anchor_prove_audit(backend: Backend, tmp_path: Path) -> None:  # noqa: F811
    store = backend.open()
    chain = InProcessChain(tmp_path / "chain")
    service = LogService(store, chain, signer(), ORIGIN, Clock())
    tokens = [credential(i) for i in range(700)]
    for start in range(0, 700, 100):
        service.record([service_entry(t) for t in tokens[start : start + 100]])
    assert service.integrate(batch=256) == 700
    checkpoint = service.checkpoint()
    assert checkpoint is not None
    assert checkpoint.size == 700
    assert service.anchor_pending(confirmations=2) == (1, 0)
    chain.advance(1)
    assert service.anchor_pending(confirmations=2) == (0, 1)
    assert service.confirmed(700) is not None
    proof = service.prove(tokens[345])
    assert proof.index == 345
    assert proof.extra is not None
    verify_tlog_proof(proof, leaf_hash(proof.extra), [service.signer.verifier], origin=ORIGIN)
    report = audit_log(store, service.signer.verifier, ORIGIN, chain)
    assert (report.size, report.checkpoints, report.anchored) == (700, 1, 1)
    assert len(chain.anchored(ORIGIN)) == 1
    chain.close()


def service_entry(token: str) -> bytes:
    from dojang.core.log import encode_entry
    from dojang.roles.operator import issuance_entry

    return encode_entry(issuance_entry(token))


def test_one_checkpoint_per_interval_whatever_the_rate(tmp_path: Path) -> None:
    from dojang.adapters.storage import open_store

    clock = Clock()
    chain = InProcessChain(tmp_path / "chain")
    service = LogService(open_store(tmp_path / "log.db"), chain, signer(), ORIGIN, clock, interval=60)
    made = 0
    for second in range(0, 180, 5):  # three minutes of issuance, a batch every five seconds
        clock.now += 5
        service.record([service_entry(credential(second * 10 + i)) for i in range(10)])
        service.integrate()
        made += service.maybe_checkpoint() is not None
        service.anchor_pending(1)
    assert made == 3
    assert len(chain.anchored(ORIGIN)) == 3
    chain.close()
    service.store.close()


def test_the_checkpoint_interval_holds_across_a_restart(tmp_path: Path) -> None:
    from dojang.adapters.storage import open_store

    clock = Clock()
    chain = InProcessChain(tmp_path / "chain")
    store = open_store(tmp_path / "log.db")
    first = LogService(store, chain, signer(), ORIGIN, clock, interval=60)
    first.record([service_entry(credential(1))])
    first.integrate()
    assert first.maybe_checkpoint() is not None
    clock.now += 30
    first.record([service_entry(credential(2))])
    first.integrate()
    store.close()
    restarted = LogService(open_store(tmp_path / "log.db"), chain, signer(), ORIGIN, clock, interval=60)
    assert restarted.maybe_checkpoint() is None  # 30 s after the stored checkpoint: not yet
    clock.now += 31
    made = restarted.maybe_checkpoint()
    assert made is not None
    assert made.size == 2
    assert restarted.store.checkpoint_time() == clock.now
    chain.close()
    restarted.store.close()


_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from dojang.adapters.keystore import KeyStore
    from dojang.adapters.settings import Settings
    from dojang.cli._logsvc import open_log
    settings = Settings.from_env(os.environ, data_dir=Path(sys.argv[1]))
    keys = KeyStore(settings.keys_dir, lambda: b"test passphrase")
    service, chain = open_log(settings, keys)
    if sys.argv[2] == "run":
        service.record([bytes.fromhex(e) for e in json.loads(sys.argv[3])])
    service.integrate()
    service.checkpoint()
    service.anchor_pending(1)
    service.anchor_pending(1)
    """
)

STEPS = ["record", "integrate", "checkpoint", "queue", "submit", "confirming", "confirm"]


def _run(data: Path, *args: str, crash: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOJANG_")}
    if crash:
        env["DOJANG_CRASH_AT"] = crash
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(data), *args],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, -9), done.stderr.decode()
    return done.returncode


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_each_step_then_resume(tmp_path: Path, step: str) -> None:
    from dojang.adapters.storage import open_store

    data = tmp_path / "data"
    script_entries = json.dumps([service_entry(credential(i)).hex() for i in range(5)])
    assert _run(data, "run", script_entries, crash=step) == -9
    assert _run(data, "resume") == 0
    assert _run(data, "resume") == 0
    with open_store(data / "log.db") as store:
        assert store.head().size == 5
        assert store.pending(10) == []
        assert store.outbox_pending("anchor") == []
        assert store.outbox_pending("confirm") == []
        assert store.checkpoint_sizes() == [5]
    chain = InProcessChain(data / "chain", read_only=True)
    anchored = chain.anchored(ORIGIN)
    assert [r.tree_size for r in anchored] == [5]  # anchored exactly once
    chain.close()


@pytest.mark.chain
def test_a_node_that_is_down_delays_anchoring_not_issuance(tmp_path: Path, anvil_url: str) -> None:  # noqa: F811 - the imported fixture
    from dojang.adapters.storage import open_store

    store = open_store(tmp_path / "log.db")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    down = JsonRpcChain(dead, ANVIL_KEY, "0x" + "11" * 20, timeout=0.5)
    service = LogService(store, down, signer(), ORIGIN, Clock())
    service.record([service_entry(credential(i)) for i in range(20)])
    assert service.integrate() == 20
    assert service.checkpoint() is not None
    assert service.anchor_pending(1) == (0, 0)
    service.record([service_entry(credential(100))])  # issuance goes on meanwhile
    assert service.integrate() == 1
    assert len(store.outbox_pending("anchor")) == 1
    up = JsonRpcChain(anvil_url, ANVIL_KEY, None, timeout=5)
    back = LogService(store, up, signer(), ORIGIN, Clock())
    back.checkpoint()
    back.anchor_pending(1)
    back.anchor_pending(1)
    assert store.outbox_pending("anchor") == []
    assert store.outbox_pending("confirm") == []
    assert [r.tree_size for r in up.anchored(ORIGIN)] == [20, 21]
    for closing in (down, up, store):
        closing.close()


@pytest.mark.chain
def test_a_reorg_below_the_confirmation_depth_records_no_confirmation(tmp_path: Path, anvil_url: str) -> None:  # noqa: F811 - the imported fixture
    from dojang.adapters.storage import open_store

    store = open_store(tmp_path / "log.db")
    chain = JsonRpcChain(anvil_url, ANVIL_KEY, None, timeout=5)
    assert chain.address  # deploy before the snapshot, so the revert keeps the contract
    service = LogService(store, chain, signer(), ORIGIN, Clock())
    service.record([service_entry(credential(i)) for i in range(3)])
    service.integrate()
    service.checkpoint()
    snapshot = _rpc(anvil_url, "evm_snapshot", [])
    assert service.anchor_pending(3) == (1, 0)
    assert chain.lookup(ORIGIN, 3) is not None
    _rpc(anvil_url, "evm_revert", [snapshot])  # the block holding the anchor is gone
    assert chain.lookup(ORIGIN, 3) is None
    assert service.anchor_pending(3) == (0, 0)  # re-sent, not confirmed
    assert store.outbox_result("confirm", "3") is None
    _rpc(anvil_url, "anvil_mine", [hex(3)])
    assert service.anchor_pending(3) == (0, 1)
    assert [r.tree_size for r in chain.anchored(ORIGIN)] == [3]
    chain.close()
    store.close()
