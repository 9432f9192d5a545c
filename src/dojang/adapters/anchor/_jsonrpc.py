"""An ``Anchor`` on any EVM node over Ethereum JSON-RPC (HTTP): anvil in tests, Besu/geth at scale."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from eth_account import Account
from eth_utils.address import to_checksum_address

from dojang.adapters.anchor._contract import (
    ANCHORED_TOPIC,
    decode_anchored,
    decode_record,
    encode_anchor,
    encode_latest,
    encode_lookup,
    load_artifact,
    origin_hash,
    revert_reason,
)
from dojang.adapters.anchor._types import ChainBlock, ChainTransaction
from dojang.core.log import AnchorReceipt, AnchorRecord
from dojang.errors import AnchorRejectedError, DojangError, UnavailableError

__all__ = ["JsonRpcChain"]

_GAS_MARGIN = 1.25  # estimates are exact for this contract; the margin covers a changed state


class JsonRpcChain:
    """An ``Anchor`` that signs transactions locally (eth-account) and sends them to a node.

    Every request is bounded by ``timeout`` seconds; a node that cannot be reached, times out or
    answers garbage raises ``UnavailableError``; a contract revert raises ``AnchorRejectedError``
    with the contract's reason. With no ``contract_address`` the contract is deployed on first use
    and ``on_deploy`` is called with its address, for the caller to keep. Nothing connects in the
    constructor.

    Reorganisations: ``receipt()`` asks the node afresh on every call and checks that the block it
    names is still the canonical block at that height. A caller that stored an earlier receipt
    detects a reorganisation when a later ``receipt()`` returns None (the transaction is no longer
    in any canonical block) or a different ``block_hash``; it must then wait for the new receipt
    to reach its confirmation depth again (or resubmit), never trust the old one.
    """

    def __init__(
        self,
        url: str,
        private_key: bytes,
        contract_address: str | None = None,
        *,
        timeout: float = 5.0,
        deploy_wait: float = 60.0,
        on_deploy: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self._account = Account.from_key(private_key)
        self.sender: str = self._account.address
        self._address: str | None = to_checksum_address(contract_address) if contract_address else None
        self._timeout = timeout
        self._deploy_wait = deploy_wait
        self._on_deploy = on_deploy
        self._client: httpx.Client | None = None
        self._chain_id: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # -- the Anchor port -------------------------------------------------------------------

    def submit(self, origin: str, tree_size: int, root: bytes, note_hash: bytes) -> str:
        data = encode_anchor(origin, tree_size, root, note_hash)
        with self._lock:
            return self._send(self.address, data)

    def receipt(self, tx_hash: str) -> AnchorReceipt | None:
        found = self._rpc("eth_getTransactionReceipt", [tx_hash])
        if not found or found.get("blockNumber") is None:
            return None
        number = int(found["blockNumber"], 16)
        canonical = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if not canonical or canonical["hash"] != found["blockHash"]:
            return None  # the node's receipt names a block that is no longer canonical
        if int(found.get("status", "0x1"), 16) != 1:
            raise AnchorRejectedError(f"transaction {tx_hash} reverted in block {number}")
        head = int(self._rpc("eth_blockNumber", []), 16)
        return AnchorReceipt(
            tx_hash=found["transactionHash"],
            block_number=number,
            block_hash=found["blockHash"],
            confirmations=max(head - number + 1, 0),
        )

    def lookup(self, origin: str, tree_size: int) -> AnchorRecord | None:
        return self._record(origin, encode_lookup(origin, tree_size))

    def latest(self, origin: str) -> AnchorRecord | None:
        return self._record(origin, encode_latest(origin))

    # -- for `dojang anchor status`, the audit and tests -----------------------------------

    @property
    def address(self) -> str:
        """The contract's address (deploying it first when none was given)."""
        with self._lock:
            if self._address is None:
                self._address = self._deploy()
                if self._on_deploy is not None:
                    self._on_deploy(self._address)
            return self._address

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._rpc("eth_chainId", []), 16)
        return self._chain_id

    def head(self) -> int:
        """The number of the node's latest block."""
        return int(self._rpc("eth_blockNumber", []), 16)

    def block(self, number: int) -> ChainBlock | None:
        """The canonical block ``number``, or None beyond the head."""
        found = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if not found:
            return None
        return ChainBlock(
            number=int(found["number"], 16),
            hash=found["hash"],
            timestamp=int(found["timestamp"], 16),
            transactions=tuple(found["transactions"]),
        )

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        """The mined transaction ``tx_hash`` with its outcome, or None when unknown or pending."""
        tx = self._rpc("eth_getTransactionByHash", [tx_hash])
        found = self._rpc("eth_getTransactionReceipt", [tx_hash])
        if not tx or not found or found.get("blockNumber") is None:
            return None
        return ChainTransaction(
            tx_hash=found["transactionHash"],
            block_number=int(found["blockNumber"], 16),
            block_hash=found["blockHash"],
            sender=to_checksum_address(tx["from"]),
            to=to_checksum_address(tx["to"]) if tx.get("to") else None,
            success=int(found.get("status", "0x1"), 16) == 1,
            gas_used=int(found["gasUsed"], 16),
        )

    def anchored(self, origin: str, from_block: int = 0, to_block: int | None = None) -> list[AnchorRecord]:
        """Every ``Anchored`` event of ``origin`` in blocks ``from_block…to_block`` (eth_getLogs)."""
        logs = self._rpc(
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "fromBlock": hex(from_block),
                    "toBlock": "latest" if to_block is None else hex(to_block),
                    "topics": ["0x" + ANCHORED_TOPIC.hex(), "0x" + origin_hash(origin).hex()],
                }
            ],
        )
        records = []
        for log in logs:
            if log.get("removed"):
                continue
            size, root, note_hash = decode_anchored(_unhex(log["data"]))
            number = int(log["blockNumber"], 16)
            records.append(AnchorRecord(origin, size, root, note_hash, number, log["transactionHash"]))
        return records

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- internals -------------------------------------------------------------------------

    def _record(self, origin: str, call: bytes) -> AnchorRecord | None:
        output = self._rpc("eth_call", [{"to": self.address, "data": "0x" + call.hex()}, "latest"])
        found = decode_record(_unhex(output))
        if found is None:
            return None
        size, number, root, note_hash = found
        events = self.anchored(origin, number, number)
        tx_hash = next((r.tx_hash for r in events if r.tree_size == size), "")
        return AnchorRecord(origin, size, root, note_hash, number, tx_hash)

    def _send(self, to: str | None, data: bytes) -> str:
        call: dict[str, Any] = {"from": self.sender, "data": "0x" + data.hex()}
        if to is not None:
            call["to"] = to
        gas = int(int(self._rpc("eth_estimateGas", [call]), 16) * _GAS_MARGIN)  # reverts surface here
        tx: dict[str, Any] = {
            "nonce": int(self._rpc("eth_getTransactionCount", [self.sender, "pending"]), 16),
            "gasPrice": int(self._rpc("eth_gasPrice", []), 16),
            "gas": gas,
            "value": 0,
            "data": data,
            "chainId": self.chain_id,
        }
        if to is not None:
            tx["to"] = to
        signed = self._account.sign_transaction(tx)
        raw = "0x" + bytes(signed.raw_transaction).hex()
        local_hash = "0x" + bytes(signed.hash).hex()
        try:
            return str(self._rpc("eth_sendRawTransaction", [raw]))
        except UnavailableError as error:
            if "already known" in error.message:
                return local_hash  # a resend of a transaction the node already holds
            raise

    def _deploy(self) -> str:
        tx_hash = self._send(None, load_artifact().bytecode)
        deadline = time.monotonic() + self._deploy_wait
        while time.monotonic() < deadline:
            found = self._rpc("eth_getTransactionReceipt", [tx_hash])
            if found and found.get("blockNumber") is not None:
                if int(found.get("status", "0x1"), 16) != 1 or not found.get("contractAddress"):
                    raise DojangError(f"deploying the anchoring contract failed (transaction {tx_hash})")
                return to_checksum_address(found["contractAddress"])
            time.sleep(0.2)
        raise UnavailableError(
            f"the anchoring contract's deployment {tx_hash} was not mined within {self._deploy_wait:g} s"
        )

    def _rpc(self, method: str, params: list[Any]) -> Any:
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            response = self._http().post(self.url, json=request)
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise UnavailableError(
                f"the chain node at {self.url} did not answer {method}: {error or type(error).__name__}",
                hint="check that the node is running and reachable; anchoring resumes when it is",
            ) from error
        if not isinstance(answer, dict):
            raise UnavailableError(f"the chain node at {self.url} answered {method} with {answer!r}")
        if "error" in answer:
            raise _rpc_error(self.url, method, answer["error"])
        return answer.get("result")

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=httpx.Timeout(self._timeout), trust_env=False)
        return self._client


def _rpc_error(url: str, method: str, error: Any) -> DojangError:
    error = error if isinstance(error, dict) else {"message": str(error)}
    message = str(error.get("message", ""))
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest the revert data one level down
        data = data.get("data")
    if "revert" in message.lower() or error.get("code") == 3:
        return AnchorRejectedError(revert_reason(_unhex(data)) if isinstance(data, str) else message)
    return UnavailableError(f"the chain node at {url} refused {method}: {message}")


def _unhex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))
