"""The four log checks: the credential is in the log, anchored, the log has not forked, its time holds.

``log-inclusion``   the ``.tlog-proof`` verifies to a checkpoint signed by the trusted log key, and
                    the entry it proves is this credential's issuance (same digest and ``vct``);
``log-anchored``    the chain holds that checkpoint's root and note for (origin, size), at least
                    ``confirmations`` blocks deep;
``log-consistency`` the checkpoint is a prefix of the latest anchored one (a consistency proof read
                    from the log's tiles, checked against both roots from the chain);
``log-time``        the credential's ``iat`` fits the time the chain proves (see ``_log_time``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from dojang.core.log import (
    AnchorRecord,
    Checkpoint,
    IssuanceEntry,
    NoteVerifier,
    Prover,
    TileReader,
    credential_digest,
    leaf_hash,
    parse_entry,
    parse_tlog_proof,
    verify_consistency,
    verify_tlog_proof,
)
from dojang.errors import (
    DojangError,
    LogAnchorError,
    LogConsistencyError,
    LogInclusionError,
    VerificationError,
)
from dojang.roles.verifier._log_time import DEFAULT_ANCHOR_WINDOW, DEFAULT_LOG_SKEW, ChainView, time_check
from dojang.roles.verifier._verdict import Check

__all__ = ["LogTrust", "log_checks"]


@dataclass(frozen=True)
class LogTrust:
    """A trusted log: its origin and note key, the chain that anchors it, and where its tiles are.

    ``anchor_window`` is the longest a genuine credential's entry may take from its ``iat`` to the
    anchoring of a checkpoint that includes it (checkpoint interval, anchoring delay, confirmations
    and slack for a node outage); ``skew`` is how far the issuer's clock may run ahead of the chain's.
    """

    origin: str
    key: NoteVerifier
    chain: ChainView
    confirmations: int = 1
    tiles: TileReader | None = None
    anchor_window: int = DEFAULT_ANCHOR_WINDOW
    skew: int = DEFAULT_LOG_SKEW


_ERRORS: dict[str, type[VerificationError]] = {
    "log-inclusion": LogInclusionError,
    "log-anchored": LogAnchorError,
    "log-consistency": LogConsistencyError,
}


def _fail(check: str, message: str) -> VerificationError:
    return _ERRORS[check](message)


def log_checks(
    log: LogTrust, token: str, payload: Mapping[str, Any], proof: bytes | None, lines: list[Check]
) -> None:
    """Append the four lines in order; the first failure raises VerificationError naming its check."""
    checkpoint, index, entry = _inclusion(log, token, payload, proof, lines)
    record = _anchored(log, checkpoint, proof or b"", lines)
    _consistency(log, checkpoint, record, lines)
    lines.append(
        time_check(
            log.chain,
            log.tiles,
            payload,
            entry=entry,
            index=index,
            record=record,
            window=log.anchor_window,
            skew=log.skew,
        )
    )


def _inclusion(
    log: LogTrust, token: str, payload: Mapping[str, Any], proof: bytes | None, lines: list[Check]
) -> tuple[Checkpoint, int, IssuanceEntry]:
    check = "log-inclusion"
    if proof is None:
        raise _fail(check, "no .tlog-proof for this credential, and the trusted log requires one")
    try:
        parsed = parse_tlog_proof(proof)
        if parsed.extra is None:
            raise _fail(check, "the proof carries no log entry")
        entry = parse_entry(parsed.extra)
        checkpoint = verify_tlog_proof(parsed, leaf_hash(parsed.extra), [log.key], origin=log.origin)
    except DojangError as exc:
        raise _fail(check, exc.message) from None
    if not isinstance(entry, IssuanceEntry) or entry.credential_digest != credential_digest(token):
        raise _fail(check, "the proof is for another credential (its entry's digest differs)")
    if entry.vct != payload.get("vct"):
        raise _fail(check, "the proof's entry names another document kind")
    lines.append(
        Check(
            check, True, f"entry {parsed.index} of {checkpoint.size} in {log.origin}, signed by the log key"
        )
    )
    return checkpoint, parsed.index, entry


def _anchored(log: LogTrust, checkpoint: Checkpoint, proof: bytes, lines: list[Check]) -> AnchorRecord:
    check = "log-anchored"
    note = parse_tlog_proof(proof).checkpoint
    try:
        record = log.chain.lookup(log.origin, checkpoint.size)
        head = log.chain.head()
    except DojangError as exc:
        raise _fail(check, f"cannot read the chain: {exc.message}") from None
    if record is None:
        raise _fail(check, f"checkpoint {checkpoint.size} of {log.origin} is not anchored on the chain")
    if record.root != checkpoint.root or record.note_hash != sha256(note).digest():
        raise _fail(check, f"the chain anchors a different root or note for size {checkpoint.size}")
    depth = head - record.block_number + 1
    if depth < log.confirmations:
        raise _fail(
            check,
            f"block {record.block_number} has {depth} of the {log.confirmations} confirmations required",
        )
    lines.append(
        Check(check, True, f"block {record.block_number}, tx {record.tx_hash}, {depth} confirmations")
    )
    return record


def _consistency(log: LogTrust, checkpoint: Checkpoint, record: AnchorRecord, lines: list[Check]) -> None:
    check = "log-consistency"
    try:
        latest = log.chain.latest(log.origin)
    except DojangError as exc:
        raise _fail(check, f"cannot read the chain: {exc.message}") from None
    if latest is None or latest.tree_size < record.tree_size:
        raise _fail(check, "the chain's latest anchor is older than this checkpoint")
    if latest.tree_size == record.tree_size:
        lines.append(Check(check, True, f"this is the latest anchored checkpoint (size {latest.tree_size})"))
        return
    if log.tiles is None:
        raise _fail(check, f"no tiles to prove {record.tree_size} → {latest.tree_size}; the trust names none")
    try:
        proof = Prover(log.tiles, cache_tiles=64).consistency_proof(record.tree_size, latest.tree_size)
        verify_consistency(record.tree_size, latest.tree_size, proof, checkpoint.root, latest.root)
    except DojangError as exc:
        raise _fail(check, exc.message) from None
    lines.append(
        Check(check, True, f"size {record.tree_size} is a prefix of the latest anchored {latest.tree_size}")
    )
