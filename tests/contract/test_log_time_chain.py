"""The ``log-time`` line against both anchoring chains: the in-process py-evm chain and a real anvil node.

A data directory is set up as an operator would (``DOJANG_CHAIN_RPC``, ``DOJANG_CHAIN_KEY`` and
``DOJANG_CHAIN_CONTRACT`` for anvil, nothing for the embedded chain); credentials are issued by its
own trusted key, logged, checkpointed and anchored, and a verifier reads ``trust/log.json`` as an
outsider does — for anvil a ``"kind": "rpc"`` chain, whose block timestamps come over JSON-RPC. The
anvil node is the session's (``test_anchor.anvil_url``); each test deploys its own contract on it,
and a test that moves the node's clock reverts it afterwards (``evm_snapshot`` / ``evm_revert``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from test_anchor import ANVIL_KEY, _rpc, anvil_url  # noqa: F401 - the session anvil node

from dojang.adapters.anchor import InProcessChain, JsonRpcChain
from dojang.adapters.log_files import read_log_trust
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.trust_files import read_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.cli._context import State, open_state
from dojang.cli._issue import issue_credential, registry_claims
from dojang.cli._log import checkpoint_and_anchor, prove_credential
from dojang.core.crypto import parse_jws
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW, Check, Verdict, Verifier

KIND = "family-relation-certificate"
DAY = 86_400


@dataclass
class Operator:
    """One data directory anchoring on one chain, and how to mine empty blocks on that chain."""

    name: str
    state: State
    mine: Callable[[int], None]
    rpc_url: str | None = None

    @property
    def trust(self) -> Path:
        return self.state.settings.trust_dir

    def clock(self) -> int:
        """Now, by the later of the wall clock and the chain's head (so iat never precedes the chain)."""
        chain = self.state.log[1]
        head = chain.block(chain.head())
        assert head is not None
        return max(int(time.time()), head.timestamp)

    def issue(self, iat: int) -> str:
        when = datetime.datetime.fromtimestamp(iat, datetime.UTC)
        claims = registry_claims(SyntheticRegistry(2026, 200), KIND, "C0005", when, None)
        return issue_credential(self.state, KIND, claims, now=when, holder_jwk=None).sd_jwt

    def anchor(self) -> None:
        """Integrate, checkpoint, anchor (publishing trust/log.json), then mine the confirmations."""
        checkpoint = checkpoint_and_anchor(self.state, "en")
        assert checkpoint is not None
        service, chain = self.state.log
        deadline = time.monotonic() + 10  # a node may answer before it mines (bounded, as in test_anchor)
        while chain.lookup(service.origin, checkpoint.size) is None:
            assert time.monotonic() < deadline, f"checkpoint {checkpoint.size} was not mined within 10 s"
            time.sleep(0.02)
        if isinstance(chain, JsonRpcChain):
            self.mine(self.state.settings.log.confirmations)

    def verify(self, sd_jwt: str, *, trust: Path | None = None) -> Verdict:
        where = trust or self.trust
        log = read_log_trust(where)
        assert log is not None
        verifier = Verifier(
            trust=read_trust(where), catalogue=self.state.catalogue, log=log, pki=read_pki(where)
        )
        proof = prove_credential(self.state.log[0], sd_jwt).encode()
        try:
            return verifier.verify(sd_jwt, now=self.clock() + 1, proof=proof)
        finally:
            if isinstance(log.chain, JsonRpcChain | InProcessChain):
                log.chain.close()

    def trust_copy(self, target: Path, **changes: Any) -> Path:
        shutil.copytree(self.trust, target)
        doc = json.loads((target / "log.json").read_text())
        if doc["chain"]["kind"] == "inprocess":
            doc["chain"]["path"] = str(self.state.settings.chain_dir)
        doc.update(changes)
        (target / "log.json").write_text(json.dumps(doc))
        return target


@contextlib.contextmanager
def _operating(data: Path, monkeypatch: pytest.MonkeyPatch, rpc_url: str | None) -> Iterator[Operator]:
    """A data directory anchoring on anvil at ``rpc_url`` (its own new contract), else in-process."""
    for name in list(os.environ):
        if name.startswith("DOJANG_"):
            monkeypatch.delenv(name)
    if rpc_url is not None:
        deployer = JsonRpcChain(rpc_url, ANVIL_KEY, None, timeout=5)
        monkeypatch.setenv("DOJANG_CHAIN_RPC", rpc_url)
        monkeypatch.setenv("DOJANG_CHAIN_KEY", ANVIL_KEY.hex())
        monkeypatch.setenv("DOJANG_CHAIN_CONTRACT", deployer.address)  # deployed now: no other test's anchors
        deployer.close()
    state = open_state(data, None)
    chain = state.log[1]

    def mine(blocks: int) -> None:
        if isinstance(chain, InProcessChain):
            chain.advance(blocks)
        else:
            _rpc(str(rpc_url), "anvil_mine", [hex(blocks)])

    try:
        yield Operator("in-process" if rpc_url is None else "anvil", state, mine, rpc_url)
    finally:
        state.close()


@pytest.fixture(params=["in-process", pytest.param("anvil", marks=pytest.mark.chain)])
def operator(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Operator]:
    url = request.getfixturevalue("anvil_url") if request.param == "anvil" else None
    with _operating(tmp_path / "data", monkeypatch, url) as operator:
        yield operator


def _lines(verdict: Verdict) -> dict[str, Check]:
    return {line.check: line for line in verdict.checks}


def test_the_trust_names_the_chain_the_log_is_anchored_on(operator: Operator) -> None:
    operator.issue(operator.clock())
    operator.anchor()
    doc = json.loads((operator.trust / "log.json").read_text())
    expected = "rpc" if operator.name == "anvil" else "inprocess"
    assert (doc["chain"]["kind"], doc["anchor_window"]) == (expected, DEFAULT_ANCHOR_WINDOW)
    if operator.name == "anvil":
        assert doc["chain"]["url"] == operator.rpc_url


def test_a_genuine_credential_passes_and_a_back_dated_one_fails_log_time(operator: Operator) -> None:
    now = operator.clock()
    genuine = operator.issue(now)
    # Signed now with the same trusted key, claiming ten days ago: inside its validity period.
    backdated = operator.issue(now - 10 * DAY)
    operator.anchor()

    verdict = operator.verify(genuine)
    assert verdict.valid, verdict.checks
    line = _lines(verdict)["log-time"]
    assert line.ok
    assert "anchored" in line.detail

    verdict = operator.verify(backdated)
    assert not verdict.valid
    assert [c.check for c in verdict.checks if c.check.startswith("log-")] == [
        "log-inclusion",
        "log-anchored",
        "log-consistency",
        "log-time",
    ]
    *others, failed = verdict.checks
    assert all(c.ok for c in others), others
    assert {"signature", "validity-period", "log-anchored"} <= {c.check for c in others}
    assert (failed.check, failed.ok) == ("log-time", False)
    assert failed.detail.startswith("back-dated: iat")
    assert "10 d before its checkpoint" in failed.detail


@pytest.mark.chain
def test_on_anvil_the_chains_clock_decides(
    anvil_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A genuine credential whose anchoring was stalled past the window fails; a wider window admits it.

    The anchoring block is stamped by the node (``evm_setNextBlockTimestamp``), not by the verifier's
    clock or the issuer's: 1 h 10 min after the credential's iat.
    """
    snapshot = _rpc(anvil_url, "evm_snapshot", [])
    try:
        with _operating(tmp_path / "data", monkeypatch, anvil_url) as operator:
            token = operator.issue(operator.clock())
            iat = int(parse_jws(token.partition("~")[0]).payload["iat"])
            _rpc(anvil_url, "evm_setNextBlockTimestamp", [hex(iat + DEFAULT_ANCHOR_WINDOW + 600)])
            operator.anchor()
            verdict = operator.verify(token)
            assert verdict.failed is not None
            assert verdict.failed.check == "log-time"
            assert verdict.failed.detail.startswith("back-dated: iat")
            assert "1 h 10 min before" in verdict.failed.detail
            wide = operator.trust_copy(tmp_path / "wide", anchor_window=2 * 3600)
            verdict = operator.verify(token, trust=wide)
            assert verdict.valid, verdict.checks
            assert "anchored 1 h 10 min after it" in _lines(verdict)["log-time"].detail
    finally:
        assert _rpc(anvil_url, "evm_revert", [snapshot]) is True  # the node's clock as it was


@pytest.mark.chain
def test_without_a_configured_contract_the_first_anchor_deploys_one_that_every_later_process_uses(
    anvil_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("DOJANG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DOJANG_CHAIN_RPC", anvil_url)
    monkeypatch.setenv("DOJANG_CHAIN_KEY", ANVIL_KEY.hex())
    data = tmp_path / "data"
    contracts = []
    for _ in range(2):  # two processes' worth of state, one after the other
        state = open_state(data, None)
        try:
            operator = Operator("anvil", state, lambda n: _rpc(anvil_url, "anvil_mine", [hex(n)]), anvil_url)
            token = operator.issue(operator.clock())
            operator.anchor()
            contracts.append(json.loads((operator.trust / "log.json").read_text())["chain"]["contract"])
            assert operator.verify(token).valid
        finally:
            state.close()
    assert contracts[0] is not None
    assert contracts[0] == contracts[1]
    remembered = json.loads((data / "chain" / "rpc-contract.json").read_text())
    assert remembered == {"rpc": anvil_url, "address": contracts[0]}
