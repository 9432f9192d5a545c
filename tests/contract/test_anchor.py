"""One suite for the Anchor port, run against the in-process py-evm chain and a real anvil node.

The anvil node comes from the project's own npm install (``make chain-tools``); a fresh node is
started per test session on a free 127.0.0.1 port with ``--prune-history 64`` and stopped at the
end. Each test deploys its own contract on it, so tests never see each other's anchors.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dojang.adapters.anchor import InProcessChain, JsonRpcChain
from dojang.core.log import Anchor, AnchorReceipt
from dojang.errors import AnchorRejectedError, UnavailableError

ROOT = Path(__file__).resolve().parents[2]
# anvil's well-known first development account (funded by every fresh anvil node).
ANVIL_KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ORIGIN = "dojang.example/log/v1"
ROOT_A, ROOT_B = b"\xaa" * 32, b"\xbb" * 32
NOTE_A, NOTE_B = b"\x0a" * 32, b"\x0b" * 32
# A bare --prune-history breaks gas estimation (DESIGN.md §7): keep the last 64 states.
ANVIL_ARGS = ("--host", "127.0.0.1", "--prune-history", "64", "--silent")
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _anvil_binary() -> Path:
    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    for candidate in (
        ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil",
        ROOT / "node_modules" / ".bin" / "anvil",
    ):
        if candidate.exists():
            return candidate
    pytest.fail("anvil is not installed in node_modules: run `make chain-tools` (npm ci) first")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=5)
    return answer.json()["result"]


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(_anvil_binary()), *ANVIL_ARGS, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                errors = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"anvil exited with {process.returncode}: {errors}")
            try:
                _rpc(url, "eth_blockNumber", [])
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail("anvil did not answer within 30 s")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _mined(chain: InProcessChain | JsonRpcChain, tx_hash: str) -> AnchorReceipt:
    """The receipt once mined: a node may answer eth_sendRawTransaction before it mines (bounded)."""
    deadline = time.monotonic() + 10
    while (receipt := chain.receipt(tx_hash)) is None:
        assert time.monotonic() < deadline, f"{tx_hash} was not mined within 10 s"
        time.sleep(0.02)
    return receipt


@dataclass
class Backend:
    """A chain under test and how to mine empty blocks on it."""

    name: str
    chain: InProcessChain | JsonRpcChain
    mine: Callable[[int], None]


@pytest.fixture(params=["in-process", pytest.param("anvil", marks=pytest.mark.chain)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "in-process":
        local = InProcessChain(tmp_path / "chain")

        def advance(blocks: int) -> None:
            local.advance(blocks)

        yield Backend("in-process", local, advance)
        local.close()
        return
    url: str = request.getfixturevalue("anvil_url")
    remote = JsonRpcChain(url, ANVIL_KEY, None, timeout=5)

    def mine(blocks: int) -> None:
        _rpc(url, "anvil_mine", [hex(blocks)])

    yield Backend("anvil", remote, mine)
    remote.close()


def test_backends_implement_the_port(backend: Backend) -> None:
    port: Anchor = backend.chain  # mypy checks the structural match
    assert port is backend.chain


def test_anchor_then_lookup_and_latest(backend: Backend) -> None:
    chain = backend.chain
    assert chain.latest(ORIGIN) is None
    first = chain.submit(ORIGIN, 10, ROOT_A, NOTE_A)
    second = chain.submit(ORIGIN, 25, ROOT_B, NOTE_B)
    _mined(chain, first)
    receipt = _mined(chain, second)
    assert receipt.tx_hash == second
    record = chain.lookup(ORIGIN, 10)
    assert record is not None
    assert (record.origin, record.tree_size, record.root, record.note_hash) == (ORIGIN, 10, ROOT_A, NOTE_A)
    assert record.tx_hash == first
    latest = chain.latest(ORIGIN)
    assert latest is not None
    assert (latest.tree_size, latest.root, latest.note_hash) == (25, ROOT_B, NOTE_B)
    assert (latest.block_number, latest.tx_hash) == (receipt.block_number, second)
    assert chain.lookup(ORIGIN, 11) is None
    assert chain.latest("another.example/log") is None


def test_status_reads_block_transaction_and_events(backend: Backend) -> None:
    chain = backend.chain
    tx_hash = chain.submit(ORIGIN, 3, ROOT_A, NOTE_A)
    receipt = _mined(chain, tx_hash)
    block = chain.block(receipt.block_number)
    assert block is not None
    assert (block.hash, tx_hash in block.transactions) == (receipt.block_hash, True)
    tx = chain.transaction(tx_hash)
    assert tx is not None
    assert (tx.success, tx.to, tx.block_hash) == (True, chain.address, receipt.block_hash)
    assert [(r.tree_size, r.tx_hash) for r in chain.anchored(ORIGIN)] == [(3, tx_hash)]
    assert chain.block(chain.head() + 1000) is None
    assert chain.transaction("0x" + "00" * 32) is None
    assert chain.receipt("0x" + "00" * 32) is None


@pytest.mark.parametrize("size", [7, 10])
def test_refuses_smaller_or_equal_tree_size_and_changes_nothing(backend: Backend, size: int) -> None:
    chain = backend.chain
    _mined(chain, chain.submit(ORIGIN, 10, ROOT_A, NOTE_A))
    before = (chain.head(), chain.latest(ORIGIN), chain.lookup(ORIGIN, size))
    with pytest.raises(AnchorRejectedError, match="not larger") as caught:
        chain.submit(ORIGIN, size, ROOT_B, NOTE_B)
    assert caught.value.reason == "LogAnchor: tree size not larger than the last anchored"
    assert (chain.head(), chain.latest(ORIGIN), chain.lookup(ORIGIN, size)) == before


def test_confirmations_grow_with_mined_blocks(backend: Backend) -> None:
    tx_hash = backend.chain.submit(ORIGIN, 1, ROOT_A, NOTE_A)
    first = _mined(backend.chain, tx_hash)
    assert first.confirmations == backend.chain.head() - first.block_number + 1
    backend.mine(5)
    later = backend.chain.receipt(tx_hash)
    assert later is not None
    assert (later.block_hash, later.confirmations) == (first.block_hash, first.confirmations + 5)


def test_in_process_anchors_survive_a_restart(tmp_path: Path) -> None:
    chain = InProcessChain(tmp_path)
    tx_hash = chain.submit(ORIGIN, 42, ROOT_A, NOTE_A)
    chain.advance(2)
    receipt = chain.receipt(tx_hash)
    chain.close()
    restarted = InProcessChain(tmp_path)
    assert restarted.receipt(tx_hash) == receipt
    latest = restarted.latest(ORIGIN)
    assert latest is not None
    assert (latest.tree_size, latest.root, latest.tx_hash) == (42, ROOT_A, tx_hash)
    with pytest.raises(AnchorRejectedError):
        restarted.submit(ORIGIN, 42, ROOT_B, NOTE_B)
    restarted.submit(ORIGIN, 43, ROOT_B, NOTE_B)  # the nonce and the contract carried over
    restarted.close()


def test_in_process_refusal_leaves_the_state_file_untouched(tmp_path: Path) -> None:
    chain = InProcessChain(tmp_path)
    chain.submit(ORIGIN, 5, ROOT_A, NOTE_A)
    journal = tmp_path / "chain.journal"
    before = journal.read_bytes()
    with pytest.raises(AnchorRejectedError):
        chain.submit(ORIGIN, 4, ROOT_B, NOTE_B)
    assert journal.read_bytes() == before
    chain.close()


@pytest.mark.chain
def test_reorganisation_shows_in_receipt(anvil_url: str) -> None:
    chain = JsonRpcChain(anvil_url, ANVIL_KEY, None, timeout=5)
    snapshot = _rpc(anvil_url, "evm_snapshot", [])
    tx_hash = chain.submit(ORIGIN, 9, ROOT_A, NOTE_A)
    seen = _mined(chain, tx_hash)
    _rpc(anvil_url, "evm_revert", [snapshot])  # the block holding the anchor is gone
    assert chain.receipt(tx_hash) is None
    _rpc(anvil_url, "anvil_mine", ["0x2"])  # the new branch is longer and holds other blocks
    again = _mined(chain, chain.submit(ORIGIN, 9, ROOT_A, NOTE_A))
    assert (again.block_number, again.block_hash) != (seen.block_number, seen.block_hash)
    chain.close()


@pytest.mark.chain
def test_existing_contract_address_is_reused(anvil_url: str) -> None:
    first = JsonRpcChain(anvil_url, ANVIL_KEY, None, timeout=5)
    _mined(first, first.submit(ORIGIN, 8, ROOT_A, NOTE_A))
    second = JsonRpcChain(anvil_url, ANVIL_KEY, first.address, timeout=5)
    latest = second.latest(ORIGIN)
    assert latest is not None
    assert latest.tree_size == 8
    first.close()
    second.close()


def test_node_down_is_unavailable_quickly() -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    chain = JsonRpcChain(closed, ANVIL_KEY, "0x5FbDB2315678afecb367f032d93F642f64180aa3", timeout=2)
    started = time.monotonic()
    for call in (lambda: chain.submit(ORIGIN, 1, ROOT_A, NOTE_A), lambda: chain.latest(ORIGIN)):
        with pytest.raises(UnavailableError):
            call()
    with pytest.raises(UnavailableError):
        chain.receipt("0x" + "00" * 32)
    assert time.monotonic() - started < 5
    chain.close()


def test_silent_node_times_out_as_unavailable() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        chain = JsonRpcChain(url, ANVIL_KEY, "0x5FbDB2315678afecb367f032d93F642f64180aa3", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            chain.head()
        assert time.monotonic() - started < 3
        chain.close()


def test_in_process_chain_is_exclusive_per_directory(tmp_path: Path) -> None:
    first = InProcessChain(tmp_path)
    first.head()
    with pytest.raises(UnavailableError):
        InProcessChain(tmp_path).head()
    first.close()
    assert os.path.exists(tmp_path / "chain.journal")
