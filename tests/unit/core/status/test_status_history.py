"""Historical status: the snapshot in force at T answers "was it valid at T", across revoke and reinstate."""

from __future__ import annotations

import pytest
from status_support import T0, URI

from dojang.core.log import CredentialStatus
from dojang.core.status import (
    SnapshotWindow,
    StatusError,
    StatusList,
    StatusSnapshot,
    snapshot_at,
    status_at,
)
from dojang.errors import InputError, NotFoundError

IDX = 4242
T1, T2, T3 = T0 + 100, T0 + 5_000, T0 + 90_000


def _history() -> list[StatusSnapshot]:
    status_list = StatusList(2)
    snapshots = [StatusSnapshot.of(URI, T1, status_list)]
    status_list.set(IDX, CredentialStatus.REVOKED)
    snapshots.append(StatusSnapshot.of(URI, T2, status_list))
    status_list.set(IDX, CredentialStatus.VALID)  # reinstated
    snapshots.append(StatusSnapshot.of(URI, T3, status_list))
    return snapshots


def test_valid_revoked_valid_again() -> None:
    history = _history()
    assert status_at(history, IDX, T1) is CredentialStatus.VALID
    assert status_at(history, IDX, T2 - 1) is CredentialStatus.VALID
    assert status_at(history, IDX, T2) is CredentialStatus.REVOKED
    assert status_at(history, IDX, T3 - 1) is CredentialStatus.REVOKED
    assert status_at(history, IDX, T3) is CredentialStatus.VALID
    assert status_at(history, IDX, T3 + 10**6) is CredentialStatus.VALID
    assert status_at(history, IDX + 1, T2) is CredentialStatus.VALID


def test_windows() -> None:
    history = _history()
    assert snapshot_at(history, T1 + 1) == SnapshotWindow(history[0], T2)
    assert snapshot_at(history, T2) == SnapshotWindow(history[1], T3)
    assert snapshot_at(history, T3 + 1) == SnapshotWindow(history[2], None)


def test_snapshots_do_not_see_later_changes() -> None:
    status_list = StatusList(2, 8)
    snapshot = StatusSnapshot.of(URI, T1, status_list)
    status_list.set(0, CredentialStatus.SUSPENDED)
    assert snapshot.status_list().get(0) == 0


def test_before_the_first_snapshot_and_empty_history() -> None:
    with pytest.raises(NotFoundError):
        status_at(_history(), IDX, T1 - 1)
    with pytest.raises(NotFoundError):
        status_at([], IDX, T1)


def test_index_outside_the_list() -> None:
    with pytest.raises(StatusError) as info:
        status_at(_history(), 131_072, T2)
    assert info.value.failure == "index"


def test_order_and_uri_are_checked() -> None:
    history = _history()
    with pytest.raises(InputError, match="strictly increase"):
        status_at([history[1], history[0]], IDX, T3)
    with pytest.raises(InputError, match="strictly increase"):
        status_at([history[0], history[0]], IDX, T3)
    other = StatusSnapshot(URI + "-b", T3 + 1, history[0].lst)
    with pytest.raises(InputError, match="two lists"):
        status_at([*history, other], IDX, T3)
    with pytest.raises(InputError):
        snapshot_at(history, float(T2))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("uri", "time", "lst", "bits"),
    [("x", T1, "eNo", 2), (URI, -1, "eNo", 2), (URI, 1.5, "eNo", 2), (URI, T1, "", 2), (URI, T1, "eNo", 3)],
)
def test_snapshot_fields_are_checked(uri: str, time: int, lst: str, bits: int) -> None:
    with pytest.raises(InputError):
        StatusSnapshot(uri, time, lst, bits)
