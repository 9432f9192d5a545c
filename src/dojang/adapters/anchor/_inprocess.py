"""The embedded default: an EVM chain run in-process by py-evm, persisted in the data directory."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth import constants
from eth._utils.address import generate_contract_address
from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import Revert, TransactionNotFound
from eth.vm.forks.cancun import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_typing import Address
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from dojang.adapters.anchor._compaction import live_keys, prunable
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
from dojang.adapters.anchor._filestore import JournalStore
from dojang.adapters.anchor._types import ChainBlock, ChainTransaction
from dojang.core.log import AnchorReceipt, AnchorRecord
from dojang.errors import AnchorRejectedError, ConfigError, DojangError, InputError

__all__ = ["InProcessChain"]

CHAIN_ID = 1337
# The chain is private to one data directory, so its only account's key protects nothing; a fixed
# key keeps the genesis, and so the contract address, the same in every data directory.
_KEY = PrivateKey(keccak(b"dojang in-process anchoring account"))
_SENDER = Address(_KEY.public_key.to_canonical_address())
_GENESIS: dict[str, Any] = {
    "coinbase": constants.ZERO_ADDRESS,
    "difficulty": 0,
    "gas_limit": 30_000_000,
    "timestamp": 1_767_225_600,  # 2026-01-01T00:00:00Z: fixed so that every genesis is the same
    "extra_data": b"dojang in-process chain",
}
_GAS = 500_000
_CALL_GAS = 1_000_000
#: Compact once the journal holds this many frames (about one per block) beyond its snapshot, and at
#: least half as many as the chain has blocks: a compaction walks every block, so its total cost stays
#: linear in the chain's length while the journal never holds more than ~1.5 times what is live.
COMPACT_AFTER = 1024

_Chain = MiningChain.configure(
    __name__="DojangInProcessChain",
    vm_configuration=((constants.GENESIS_BLOCK_NUMBER, CancunVM),),
    chain_id=CHAIN_ID,
)


class InProcessChain:
    """An ``Anchor`` on a one-node EVM chain inside this process (py-evm, Cancun rules).

    State, blocks and receipts live in ``state_dir/chain.journal`` (see ``JournalStore``): each
    mined block is fsynced before the call that mined it returns, so anchors survive a restart.
    The contract is deployed from the committed artefact on first use; every anchoring
    transaction is mined at once in its own block, and ``advance(n)`` mines empty blocks.
    A refused transaction (``AnchorRejectedError``) is never mined and leaves the store as it was.
    With ``read_only`` the journal is read once, without a lock or any write (a verifier's view);
    submitting or mining then raises ConfigError.

    One process owns a state directory at a time (a file lock); ``close()`` releases it. The chain
    has a single block producer, so it never reorganises.

    The journal is compacted (``compact()``, see ``_compaction``) once ``compact_after`` blocks have
    been added since its last snapshot: the state of earlier blocks is dropped, every header,
    transaction and receipt is kept, so old anchors stay provable and a restart replays a snapshot.
    """

    def __init__(
        self, state_dir: Path, *, read_only: bool = False, compact_after: int = COMPACT_AFTER
    ) -> None:
        self._store = JournalStore(Path(state_dir) / "chain.journal", read_only=read_only)
        self._read_only = read_only
        self._compact_after = compact_after
        self._chain: Any = None
        self._lock = threading.RLock()
        self.chain_id = CHAIN_ID
        self.sender = to_checksum_address(_SENDER)
        self.address = to_checksum_address(_contract_address())

    # -- the Anchor port -------------------------------------------------------------------

    def submit(self, origin: str, tree_size: int, root: bytes, note_hash: bytes) -> str:
        data = encode_anchor(origin, tree_size, root, note_hash)
        self._check_writable()
        with self._lock:
            tx = self._sign(_contract_address(), data)
            return "0x" + self._mine(tx).hex()

    def receipt(self, tx_hash: str) -> AnchorReceipt | None:
        with self._lock:
            chain = self._open()
            try:
                number, _index = chain.chaindb.get_transaction_index(_hash_bytes(tx_hash))
            except TransactionNotFound:
                return None
            header = chain.get_canonical_block_header_by_number(number)
            head = chain.get_canonical_head().block_number
            return AnchorReceipt(
                tx_hash=tx_hash.lower(),
                block_number=number,
                block_hash="0x" + header.hash.hex(),
                confirmations=head - number + 1,
            )

    def lookup(self, origin: str, tree_size: int) -> AnchorRecord | None:
        return self._record(origin, encode_lookup(origin, tree_size))

    def latest(self, origin: str) -> AnchorRecord | None:
        return self._record(origin, encode_latest(origin))

    # -- for `dojang anchor status`, the audit and tests -----------------------------------

    def head(self) -> int:
        """The number of the latest canonical block."""
        with self._lock:
            return int(self._open().get_canonical_head().block_number)

    def advance(self, blocks: int = 1) -> int:
        """Mine ``blocks`` empty blocks (more confirmations); the new head number."""
        self._check_writable()
        with self._lock:
            chain = self._open()
            for _ in range(blocks):
                chain.mine_block()
                self._store.commit()
                self._maybe_compact()
            return int(chain.get_canonical_head().block_number)

    def compact(self, *, before_rename: Callable[[], None] | None = None) -> int:
        """Drop the state of earlier blocks from the journal (crash-safe); the bytes saved.

        Every header, transaction and receipt stays, and the head's state: anchors, receipts and
        events read as before. Refuses (ConfigError), changing nothing, if a needed node is missing.
        ``before_rename`` runs once the new journal is durable, before it replaces the old (tests).
        """
        self._check_writable()
        with self._lock:
            chain = self._open()
            values = self._store.values_view()
            keep = prunable(values, live_keys(chain, values))
            return self._store.compact(keep, before_rename=before_rename)

    def block(self, number: int) -> ChainBlock | None:
        """The canonical block ``number``, or None beyond the head."""
        with self._lock:
            chain = self._open()
            if not 0 <= number <= chain.get_canonical_head().block_number:
                return None
            block = chain.get_canonical_block_by_number(number)
            return ChainBlock(
                number=number,
                hash="0x" + block.hash.hex(),
                timestamp=block.header.timestamp,
                transactions=tuple("0x" + tx.hash.hex() for tx in block.transactions),
            )

    def transaction(self, tx_hash: str) -> ChainTransaction | None:
        """The mined transaction ``tx_hash`` with its outcome, or None when unknown."""
        with self._lock:
            chain = self._open()
            try:
                number, index = chain.chaindb.get_transaction_index(_hash_bytes(tx_hash))
            except TransactionNotFound:
                return None
            block = chain.get_canonical_block_by_number(number)
            tx = block.transactions[index]
            receipt = chain.get_transaction_receipt_by_index(number, index)
            gas_before = block.get_receipts(chain.chaindb)[index - 1].gas_used if index else 0
            return ChainTransaction(
                tx_hash="0x" + tx.hash.hex(),
                block_number=number,
                block_hash="0x" + block.hash.hex(),
                sender=to_checksum_address(tx.sender),
                to=to_checksum_address(tx.to) if tx.to else None,
                success=receipt.state_root == b"\x01",  # EIP-658 status byte
                gas_used=receipt.gas_used - gas_before,
            )

    def anchored(self, origin: str, from_block: int = 0, to_block: int | None = None) -> list[AnchorRecord]:
        """Every ``Anchored`` event of ``origin`` in blocks ``from_block…to_block``, in chain order."""
        with self._lock:
            chain = self._open()
            last = chain.get_canonical_head().block_number if to_block is None else to_block
            records: list[AnchorRecord] = []
            for number in range(max(from_block, 0), last + 1):
                records.extend(self._events(number, origin))
            return records

    def close(self) -> None:
        """Release the state directory (the next call reopens it)."""
        with self._lock:
            self._chain = None
            self._store.close()

    # -- internals -------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._read_only:
            raise ConfigError("this view of the in-process chain is read-only")

    def _open(self) -> Any:
        if self._chain is None:
            self._store.open()
            db = AtomicDB(self._store)
            if len(self._store) == 0 and self._read_only:
                self._store.close()
                raise ConfigError("the in-process chain has no blocks yet: nothing is anchored")
            if len(self._store) == 0:
                state: dict[Any, Any] = {_SENDER: {"balance": 10**30, "nonce": 0, "code": b"", "storage": {}}}
                self._chain = _Chain.from_genesis(db, _GENESIS, state)
                self._store.commit()
                self._mine(self._sign(b"", load_artifact().bytecode))
            else:
                self._chain = _Chain(db)
        return self._chain

    def _sign(self, to: bytes, data: bytes) -> SignedTransactionAPI:
        chain = self._open()
        unsigned = chain.create_unsigned_transaction(
            nonce=chain.get_vm().state.get_nonce(_SENDER),
            gas_price=chain.header.base_fee_per_gas,
            gas=_GAS,
            to=to,
            value=0,
            data=data,
        )
        return unsigned.as_signed_transaction(_KEY, chain_id=CHAIN_ID)  # type: ignore[no-any-return]

    def _mine(self, tx: SignedTransactionAPI) -> bytes:
        chain = self._chain
        try:
            _block, _receipt, computation = chain.apply_transaction(tx)
        except Exception:
            self._discard_pending()
            raise
        if computation.is_error:
            self._discard_pending()
            error = computation.error
            output = error.args[0] if isinstance(error, Revert) and error.args else b""
            raise AnchorRejectedError(revert_reason(output if isinstance(output, bytes) else b""))
        chain.mine_block()
        self._store.commit()
        self._maybe_compact()
        return tx.hash

    def _maybe_compact(self) -> None:
        head = int(self._chain.get_canonical_head().block_number)
        if self._store.tail_frames >= max(self._compact_after, head // 2):
            self.compact()

    def _discard_pending(self) -> None:
        self._store.rollback()
        chain = self._chain
        chain.header = chain.create_header_from_parent(chain.get_canonical_head())

    def _call(self, data: bytes, at: BlockHeaderAPI) -> bytes:
        chain = self._open()
        unsigned = chain.create_unsigned_transaction(
            nonce=0, gas_price=0, gas=_CALL_GAS, to=_contract_address(), value=0, data=data
        )
        try:
            return chain.get_transaction_result(SpoofTransaction(unsigned, from_=constants.ZERO_ADDRESS), at)  # type: ignore[no-any-return]
        except Revert as error:
            raise DojangError(f"the anchoring contract failed a read: {error}") from error

    def _record(self, origin: str, call: bytes) -> AnchorRecord | None:
        with self._lock:
            chain = self._open()
            found = decode_record(self._call(call, chain.get_canonical_head()))
            if found is None:
                return None
            size, number, root, note_hash = found
            tx_hash = next((r.tx_hash for r in self._events(number, origin) if r.tree_size == size), "")
            return AnchorRecord(origin, size, root, note_hash, number, tx_hash)

    def _events(self, number: int, origin: str) -> list[AnchorRecord]:
        chain = self._chain
        block = chain.get_canonical_block_by_number(number)
        key = origin_hash(origin)
        address = _contract_address()
        records = []
        for tx, receipt in zip(block.transactions, block.get_receipts(chain.chaindb), strict=True):
            for log in receipt.logs:
                topics = [t.to_bytes(32, "big") for t in log.topics]
                if log.address == address and topics == [ANCHORED_TOPIC, key]:
                    size, root, note_hash = decode_anchored(log.data)
                    records.append(AnchorRecord(origin, size, root, note_hash, number, "0x" + tx.hash.hex()))
        return records


def _contract_address() -> bytes:
    # The first transaction of the sender (nonce 0) deploys the contract.
    return bytes(generate_contract_address(_SENDER, 0))


def _hash_bytes(tx_hash: str) -> bytes:
    try:
        raw = bytes.fromhex(tx_hash.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InputError(f"not a transaction hash: {tx_hash!r}")
    return raw
