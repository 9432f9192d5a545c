"""Composing the log service for a data directory: store, chain, log key, clock and the crash hook."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.adapters.anchor import InProcessChain, JsonRpcChain
from dojang.adapters.log_files import log_trust_document, write_log_trust
from dojang.adapters.settings import Settings
from dojang.adapters.storage import open_store
from dojang.core.log import Anchor, NoteSigner, NoteVerifier
from dojang.errors import ConfigError
from dojang.roles.operator import LogService

__all__ = ["CRASH_ENV", "LogParts", "contract_address", "open_chain", "open_log", "publish_log_trust"]

#: Test hook: ``DOJANG_CRASH_AT=step`` makes the process SIGKILL itself right after that step commits.
CRASH_ENV = "DOJANG_CRASH_AT"

LogParts = tuple[LogService, InProcessChain | JsonRpcChain]


def _crash_hook() -> Callable[[str], None] | None:
    target = os.environ.get(CRASH_ENV)
    if not target:
        return None

    def step(name: str) -> None:
        if name == target:
            os.kill(os.getpid(), signal.SIGKILL)

    return step


def open_chain(settings: Settings, *, read_only: bool = False) -> InProcessChain | JsonRpcChain:
    """The configured chain: a JSON-RPC node when ``DOJANG_CHAIN_RPC`` is set, else ``DATA/chain``."""
    log = settings.log
    if log.chain_rpc is None:
        return InProcessChain(settings.chain_dir, read_only=read_only)
    if log.chain_key is None and not read_only:
        raise ConfigError(
            "DOJANG_CHAIN_RPC needs DOJANG_CHAIN_KEY (hex private key of the anchoring account)"
        )
    try:
        key = bytes.fromhex(log.chain_key.removeprefix("0x")) if log.chain_key else os.urandom(32)
    except ValueError:
        raise ConfigError("DOJANG_CHAIN_KEY is not hex") from None
    # Deployed on first use when no address is known, then remembered in the data directory, so
    # that every later process (and log.json) names the same contract.
    return JsonRpcChain(
        log.chain_rpc, key, contract_address(settings), on_deploy=lambda address: _remember(settings, address)
    )


def _contract_file(settings: Settings) -> Path:
    return settings.chain_dir / "rpc-contract.json"


def contract_address(settings: Settings) -> str | None:
    """``$DOJANG_CHAIN_CONTRACT``, else the contract this data directory deployed on the same node."""
    log = settings.log
    if log.chain_contract is not None:
        return log.chain_contract
    try:
        remembered = json.loads(_contract_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(remembered, dict) or remembered.get("rpc") != log.chain_rpc:
        return None  # deployed on another node: not there
    address = remembered.get("address")
    return address if isinstance(address, str) else None


def _remember(settings: Settings, address: str) -> None:
    path = _contract_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        json.dump({"rpc": settings.log.chain_rpc, "address": address}, out)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)


def open_log(settings: Settings, keys: Any) -> LogParts:
    """The log service of a data directory (the log key is created on first use) and its chain."""
    record, _ = keys.ensure_active("log")
    signer = NoteSigner(settings.log.origin, keys.load(record.kid))
    chain = open_chain(settings)
    store = open_store(settings.log_db)
    anchor: Anchor = chain
    service = LogService(
        store,
        anchor,
        signer,
        settings.log.origin,
        time.time,
        interval=settings.log.interval,
        step=_crash_hook(),
    )
    return service, chain


def publish_log_trust(
    settings: Settings, verifier: NoteVerifier, trust_dir: Path, *, tiles: str | None = None
) -> Path:
    """Write ``trust_dir/log.json`` for this data directory's log and chain.

    It states the ``anchor_window`` the operator keeps (``$DOJANG_ANCHOR_WINDOW``, by default the
    verifier's own): the longest a genuine credential waits from its ``iat`` to being anchored.
    """
    log = settings.log
    if log.chain_rpc is None:
        chain: dict[str, Any] = {"kind": "inprocess", "path": os.path.relpath(settings.chain_dir, trust_dir)}
    else:
        contract = contract_address(settings)
        if contract is None:
            raise ConfigError("no LogAnchor contract yet: set DOJANG_CHAIN_CONTRACT or anchor once first")
        chain = {"kind": "rpc", "url": log.chain_rpc, "contract": contract}
    document = log_trust_document(
        log.origin, verifier, chain, log.confirmations, tiles, anchor_window=log.anchor_window
    )
    return write_log_trust(trust_dir, document)
