"""Anchoring backends: an in-process py-evm chain (the embedded default) and any JSON-RPC EVM node.

Both implement ``dojang.core.log.Anchor`` on the LogAnchor contract (contracts/LogAnchor.sol,
compiled artefact ``LogAnchor.json``) and add what `dojang anchor status` and the audit read:
``head()``, ``block(n)``, ``transaction(hash)``, ``anchored(origin, …)`` and ``address``.
"""

from dojang.adapters.anchor._contract import Artifact, load_artifact
from dojang.adapters.anchor._inprocess import InProcessChain
from dojang.adapters.anchor._jsonrpc import JsonRpcChain
from dojang.adapters.anchor._types import ChainBlock, ChainTransaction

__all__ = [
    "Artifact",
    "ChainBlock",
    "ChainTransaction",
    "InProcessChain",
    "JsonRpcChain",
    "load_artifact",
]
