"""Historical status (draft-ietf-oauth-status-list-18 §8.4): "what was entry idx at time T" from snapshots.

An issuer records a :class:`StatusSnapshot` each time it publishes a changed list (and the log holds
a status entry for every change). A snapshot stands from its ``time`` until the next snapshot's
``time``; the latest stands until further notice. :func:`snapshot_at` picks the snapshot in force
at T (the latest at or before T) together with the end of its window, which is what a server
needs to answer ``GET <uri>?time=T``: a token signed with ``iat`` = the snapshot's time and ``exp``
no later than the window's end covers T, as §8.4 requires the client to check. A time before the
first snapshot has no answer (:class:`~dojang.errors.NotFoundError`, HTTP 404 as §8.4 suggests).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from dojang.core.log import CredentialStatus
from dojang.core.status._list import ALLOWED_BITS, StatusList
from dojang.core.status._reference import StatusReference, credential_status
from dojang.errors import InputError, NotFoundError

__all__ = ["SnapshotWindow", "StatusSnapshot", "snapshot_at", "status_at"]


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """The list at ``uri`` as it stood from ``time`` (epoch seconds): its ``bits`` and encoded ``lst``."""

    uri: str
    time: int
    lst: str
    bits: int = 2

    def __post_init__(self) -> None:
        StatusReference(0, self.uri)  # the same URI rules as a credential's reference
        if type(self.time) is not int or self.time < 0:
            raise InputError(f"snapshot time must be a non-negative integer, found {self.time!r}")
        if self.bits not in ALLOWED_BITS or not isinstance(self.lst, str) or not self.lst:
            raise InputError("snapshot needs bits in (1, 2, 4, 8) and a non-empty lst")

    @classmethod
    def of(cls, uri: str, time: int, status_list: StatusList) -> StatusSnapshot:
        """Snapshot ``status_list`` as it is now (encoded, so later changes to it do not leak in)."""
        return cls(uri, time, status_list.encode(), status_list.bits)

    def status_list(self) -> StatusList:
        """The decoded list (decoded on each call: history is asked for rarely, and kept small)."""
        return StatusList.decode(self.lst, self.bits)


@dataclass(frozen=True, slots=True)
class SnapshotWindow:
    """The snapshot in force at a time, and when it stopped being in force (``None``: it still is)."""

    snapshot: StatusSnapshot
    until: int | None


def _check_order(snapshots: Sequence[StatusSnapshot]) -> None:
    if not snapshots:
        raise NotFoundError("no status snapshots are recorded for this list")
    uri = snapshots[0].uri
    for before, after in pairwise(snapshots):
        if after.uri != uri:
            raise InputError(f"snapshots of two lists mixed: {uri!r} and {after.uri!r}")
        if after.time <= before.time:
            raise InputError(f"snapshot times must strictly increase ({before.time}, then {after.time})")


def snapshot_at(snapshots: Sequence[StatusSnapshot], time: int) -> SnapshotWindow:
    """The latest snapshot at or before ``time`` and the end of its window; NotFoundError before the first."""
    _check_order(snapshots)
    if type(time) is not int:
        raise InputError(f"time must be an integer number of seconds, found {time!r}")
    position = bisect_right(snapshots, time, key=lambda s: s.time)
    if position == 0:
        first = snapshots[0]
        raise NotFoundError(f"no status is recorded for {first.uri} at {time} (first: {first.time})")
    until = snapshots[position].time if position < len(snapshots) else None
    return SnapshotWindow(snapshots[position - 1], until)


def status_at(snapshots: Sequence[StatusSnapshot], idx: int, time: int) -> CredentialStatus:
    """The status of entry ``idx`` at ``time``, read from the snapshot in force then."""
    return credential_status(snapshot_at(snapshots, time).snapshot.status_list(), idx)
