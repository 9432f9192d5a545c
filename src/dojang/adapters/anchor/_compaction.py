"""Which values of the in-process chain's store are still needed: the mark phase of its compaction.

py-evm stores trie nodes, headers and code under the keccak hash of their bytes and never deletes
them, so every block leaves behind the state-trie nodes its successor replaced (most of the ~5 KB a
block adds). What an anchor's proof needs is kept: every canonical header, every block's transaction
and receipt tries (``receipt``, ``transaction``, ``anchored``), the lookup keys (not hash-keyed), and
the head's state (accounts, contract storage, code), which ``lookup`` and ``latest`` read and the next
block builds on. Only the state of earlier blocks goes, so nothing can read the chain at an old block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from eth_utils.crypto import keccak
from trie.constants import BLANK_NODE_HASH, NODE_TYPE_BLANK, NODE_TYPE_BRANCH, NODE_TYPE_LEAF
from trie.utils.nodes import decode_node, get_node_type

from dojang.errors import ConfigError

__all__ = ["live_keys", "prunable"]

_HASH = 32


def live_keys(chain: Any, values: Mapping[bytes, bytes]) -> set[bytes]:
    """Every hash key reachable from the canonical headers and the head's state."""
    live: set[bytes] = set()
    head = chain.get_canonical_head()
    for number in range(head.block_number + 1):
        header = chain.get_canonical_block_header_by_number(number)
        live.update((header.hash, header.uncles_hash))
        for root in (header.transaction_root, header.receipt_root, getattr(header, "withdrawals_root", None)):
            if root is not None:
                _walk(values, root, live, None)

    def account(value: bytes) -> None:
        # An account is the RLP list (nonce, balance, storage root, code hash), as a trie node is.
        _nonce, _balance, storage_root, code_hash = cast("list[bytes]", decode_node(value))
        _walk(values, storage_root, live, None)
        live.add(code_hash)

    _walk(values, head.state_root, live, account)
    return live


def prunable(values: Mapping[bytes, bytes], live: set[bytes]) -> Callable[[bytes], bool]:
    """``keep(key)`` for the store's compaction: drops only unreachable values stored under their own hash."""

    def keep(key: bytes) -> bool:
        return len(key) != _HASH or key in live or keccak(values[key]) != key

    return keep


def _walk(
    values: Mapping[bytes, bytes], root: bytes, live: set[bytes], leaf: Callable[[bytes], None] | None
) -> None:
    """Mark the trie under ``root``; ``leaf`` hears every leaf value (an account, for the state trie)."""
    stack: list[Any] = [root]
    while stack:
        ref: Any = stack.pop()
        if isinstance(ref, bytes):
            if ref in (b"", BLANK_NODE_HASH):
                continue
            if ref not in values:
                raise ConfigError(f"the chain store lacks trie node 0x{ref.hex()}: not compacting it")
            live.add(ref)
            node: Any = decode_node(values[ref])
        else:
            node = ref  # a node under 32 bytes is embedded in its parent
        kind = get_node_type(node)
        if kind == NODE_TYPE_BLANK:
            continue
        if kind == NODE_TYPE_LEAF:
            if leaf is not None:
                leaf(node[1])
        elif kind == NODE_TYPE_BRANCH:
            stack.extend(child for child in node[:16] if child)
            if node[16] and leaf is not None:
                leaf(node[16])
        else:  # an extension: its one child
            stack.append(node[1])
