"""The ``log-time`` check: the time a credential claims against the time its anchoring block proves.

What the verifier holds: the credential's ``iat`` (signed by the issuer), the log entry in the
``.tlog-proof`` (whose ``time`` is that same ``iat``, copied by whoever logged it), and the chain:
the block that anchored the proof's checkpoint, and that block's timestamp. Checkpoints carry no time
of their own, so the only clock neither the issuer nor the operator sets alone is the chain's.

The entry can only be logged after the credential was signed, and a checkpoint including it only
anchored after that, so an anchoring block at time ``A`` proves the credential existed at ``A``
and was signed no later than ``A``. A genuine credential is logged when it is issued and anchored
within one checkpoint interval plus the anchoring delay, so its ``iat`` is at most ``window``
before ``A``; a back-dated one (signed today, claiming an ``iat`` long past) is not. And no credential
can claim an ``iat`` after its own anchoring (post-dated), beyond ``skew`` for the issuer's clock.

Any anchor including the entry gives a sound bound (it is never earlier than the signing), so the
proof's own checkpoint is tried first; only when it is too late (a proof refreshed against a later
checkpoint) is an earlier one looked for, among the anchors of the blocks within the window after
``iat``, and the entry proved into its tree from the log's tiles against the root on chain.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Protocol

from dojang.core.log import (
    AnchorRecord,
    IssuanceEntry,
    Prover,
    TileReader,
    encode_entry,
    leaf_hash,
    verify_inclusion,
)
from dojang.errors import DojangError, LogTimeError
from dojang.roles.verifier._verdict import Check

__all__ = ["DEFAULT_ANCHOR_WINDOW", "DEFAULT_LOG_SKEW", "ChainBlockView", "ChainView", "time_check"]

#: The default longest delay from a credential's ``iat`` to the anchoring of its checkpoint: one hour,
#: sixty times the default checkpoint interval (60 s), enough for restarts and a short node outage.
DEFAULT_ANCHOR_WINDOW = 3600
#: How far an issuer's clock may run ahead of the chain's (the verifier's own skew, 60 s).
DEFAULT_LOG_SKEW = 60

_CHECK = "log-time"


class ChainBlockView(Protocol):
    """What the check reads of a block: its number and timestamp (Unix seconds)."""

    @property
    def number(self) -> int: ...

    @property
    def timestamp(self) -> int: ...


class ChainView(Protocol):
    """What the verifier reads from the anchoring chain (both anchor adapters provide it)."""

    def lookup(self, origin: str, tree_size: int) -> AnchorRecord | None: ...

    def latest(self, origin: str) -> AnchorRecord | None: ...

    def head(self) -> int: ...

    def block(self, number: int) -> ChainBlockView | None: ...

    def anchored(
        self, origin: str, from_block: int = 0, to_block: int | None = None
    ) -> list[AnchorRecord]: ...


def time_check(
    chain: ChainView,
    tiles: TileReader | None,
    payload: Mapping[str, Any],
    *,
    entry: IssuanceEntry,
    index: int,
    record: AnchorRecord,
    window: int,
    skew: int,
) -> Check:
    """The ``log-time`` line for an entry at ``index`` proven into the checkpoint anchored by ``record``.

    Raises LogTimeError when the entry's time is not the credential's ``iat``, when ``iat`` is after
    the anchoring (beyond ``skew``), or when no anchor including the entry is within ``window`` of it.
    """
    iat = payload.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise LogTimeError("the credential has no iat to hold against the log")
    if entry.time != iat:
        raise LogTimeError(f"the log entry's time {_utc(entry.time)} is not the credential's iat {_utc(iat)}")
    try:
        anchored_at = _timestamp(chain, record.block_number)
        if iat > anchored_at + skew:
            raise LogTimeError(
                f"post-dated: iat {_utc(iat)} is {_span(iat - anchored_at)} after its checkpoint "
                f"{record.tree_size} was anchored (block {record.block_number}, {_utc(anchored_at)})"
            )
        if iat >= anchored_at - window:
            return _line(iat, record, anchored_at, window)
        earlier = _earlier_anchor(
            chain, tiles, entry=entry, index=index, record=record, iat=iat, window=window, skew=skew
        )
    except LogTimeError:
        raise
    except DojangError as exc:
        raise LogTimeError(f"cannot read the chain: {exc.message}") from None
    if earlier is None:
        raise LogTimeError(
            f"back-dated: iat {_utc(iat)} is {_span(anchored_at - iat)} before its checkpoint "
            f"{record.tree_size} was anchored (block {record.block_number}, {_utc(anchored_at)}), over the "
            f"{_span(window)} allowed, and no checkpoint anchored within {_span(window)} of iat includes it"
        )
    return _line(iat, earlier[0], earlier[1], window)


def _line(iat: int, record: AnchorRecord, anchored_at: int, window: int) -> Check:
    delay = anchored_at - iat
    when = f"{_span(delay)} after" if delay >= 0 else f"{_span(-delay)} before"
    return Check(
        _CHECK,
        True,
        f"iat {_utc(iat)}, the entry's time; checkpoint {record.tree_size} anchored {when} it "
        f"(block {record.block_number}, {_utc(anchored_at)}; within {_span(window)})",
    )


def _earlier_anchor(
    chain: ChainView,
    tiles: TileReader | None,
    *,
    entry: IssuanceEntry,
    index: int,
    record: AnchorRecord,
    iat: int,
    window: int,
    skew: int,
) -> tuple[AnchorRecord, int] | None:
    """An anchor within the window whose tree holds the entry, proved from the tiles; None if none."""
    first = _first_block_at(chain, iat - skew, record.block_number)
    last = _first_block_at(chain, iat + window + 1, record.block_number) - 1
    if first > last:
        return None
    found = [r for r in chain.anchored(record.origin, first, last) if index < r.tree_size]
    if not found:
        return None
    candidate = min(found, key=lambda r: r.tree_size)
    if tiles is None:
        raise LogTimeError(
            f"iat {_utc(iat)} is far before the proof's checkpoint {record.tree_size} was anchored; "
            f"checkpoint {candidate.tree_size} (block {candidate.block_number}) may include the entry, "
            "but the trust names no tiles to prove it"
        )
    try:
        proof = Prover(tiles, cache_tiles=64).inclusion_proof(index, candidate.tree_size)
        verify_inclusion(leaf_hash(encode_entry(entry)), index, candidate.tree_size, proof, candidate.root)
    except DojangError as exc:
        raise LogTimeError(
            f"back-dated or forked: checkpoint {candidate.tree_size}, anchored within {_span(window)} of "
            f"iat {_utc(iat)}, does not hold this entry at {index}: {exc.message}"
        ) from None
    return candidate, _timestamp(chain, candidate.block_number)


def _first_block_at(chain: ChainView, when: int, last: int) -> int:
    """The lowest block number in ``0…last`` stamped at or after ``when``; ``last + 1`` if none is.

    Block timestamps never decrease along a chain, so a binary search reads about log2(last) blocks.
    """
    lo, hi = 0, last + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _timestamp(chain, mid) >= when:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _timestamp(chain: ChainView, number: int) -> int:
    block = chain.block(number)
    if block is None:
        raise LogTimeError(f"the chain has no block {number}, which anchors the checkpoint")
    return block.timestamp


def _utc(seconds: int) -> str:
    try:
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{seconds} s"


def _span(seconds: int) -> str:
    """A duration for a person: ``45 s``, ``12 min``, ``5 h 3 min``, ``31 d 2 h``."""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes >= 5 else f"{minutes * 60 + secs} s"
