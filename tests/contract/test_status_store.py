"""The StatusStore contract, run on every backend: SQLite in a temporary file, PostgreSQL in a new schema."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dojang.adapters.storage import SqlStatusStore, open_status_store, open_store
from dojang.core.status import (
    DEFAULT_SIZE,
    CredentialRecord,
    StatusConflictError,
    StatusList,
    StatusSnapshot,
    StatusStore,
    snapshot_at,
)
from dojang.errors import InputError, NotFoundError

URI = "https://status.example/statuslists/demo-1"
ISS = "https://issuer.example/agencies/demo"


@pytest.fixture
def store(location: tuple[str, str]) -> Iterator[SqlStatusStore]:
    opened = open_status_store(location[0], schema=location[1])
    yield opened
    opened.close()


def _digest(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _new(store: StatusStore, list_id: str = "demo-1", uri: str = URI) -> int:
    return store.create_list(
        list_id=list_id, uri=uri, issuer=ISS, bits=2, size=DEFAULT_SIZE, created=100
    ).version


def test_a_new_list_is_all_valid_and_unused(store: SqlStatusStore) -> None:
    _new(store)
    stored = store.load_list("demo-1")
    assert (stored.uri, stored.issuer, stored.bits, stored.size) == (URI, ISS, 2, 131_072)
    assert stored.data == bytes(32_768)
    assert stored.used == bytes(16_384)
    assert (stored.allocated, stored.version, stored.created) == (0, 1, 100)
    assert [s.id for s in store.lists()] == ["demo-1"]
    assert store.lists("https://someone.else") == []


def test_ids_and_uris_are_unique(store: SqlStatusStore) -> None:
    _new(store)
    with pytest.raises(InputError):
        _new(store)
    with pytest.raises(InputError):
        _new(store, "demo-2")  # the same URI under another id
    with pytest.raises(NotFoundError):
        store.load_list("nope-1")


def _is_used(used: bytes, idx: int) -> bool:
    return bool(used[idx >> 3] >> (idx & 7) & 1)


def test_a_reservation_marks_random_indexes_and_leaves_the_list_bytes_and_version(
    store: SqlStatusStore,
) -> None:
    version = _new(store)
    drawn = store.reserve("demo-1", 5, os.urandom, limit=100)
    assert len(set(drawn)) == 5
    assert all(0 <= idx < DEFAULT_SIZE for idx in drawn)
    stored = store.load_list("demo-1")
    assert [idx for idx in range(DEFAULT_SIZE) if _is_used(stored.used, idx)] == sorted(drawn)
    assert (stored.allocated, stored.version, stored.data) == (5, version, bytes(32_768))
    assert store.heads(ISS)[0].allocated == 5


def test_a_reservation_stops_at_the_limit_and_never_repeats_an_index(store: SqlStatusStore) -> None:
    store.create_list(list_id="small-1", uri=URI + "s", issuer=ISS, bits=2, size=16, created=1)
    first = store.reserve("small-1", 10, os.urandom, limit=12)
    second = store.reserve("small-1", 10, os.urandom, limit=12)
    assert (len(first), len(second)) == (10, 2)
    assert store.reserve("small-1", 1, os.urandom, limit=12) == []
    rest = store.reserve("small-1", 10, os.urandom, limit=16)
    assert sorted(first + second + rest) == list(range(16))  # all drawn, none twice
    assert store.reserve("small-1", 1, os.urandom, limit=99) == []  # full: never past the size
    with pytest.raises(NotFoundError):
        store.reserve("nope-1", 1, os.urandom, limit=1)


def test_recording_credentials_writes_rows_only(store: SqlStatusStore) -> None:
    version = _new(store)
    idx = store.reserve("demo-1", 2, os.urandom, limit=10)
    records = [CredentialRecord(_digest(n), "demo-1", i, ISS) for n, i in enumerate(idx, 1)]
    store.record_credentials(records)
    assert [store.credential(_digest(n)) for n in (1, 2)] == records
    assert store.credential(_digest(3)) is None
    stored = store.load_list("demo-1")
    assert (stored.allocated, stored.version) == (2, version)


def test_a_stale_version_is_refused_and_changes_nothing(store: SqlStatusStore) -> None:
    version = _new(store)
    store.save_list("demo-1", version=version, data=bytes([1]) + bytes(32_767))
    before = store.load_list("demo-1")
    record = CredentialRecord(_digest(1), "demo-1", 5, ISS)
    with pytest.raises(StatusConflictError):
        store.save_list("demo-1", version=version, data=bytes(32_768), credential=record)
    assert store.load_list("demo-1") == before
    assert store.credential(_digest(1)) is None


def test_an_index_or_credential_is_recorded_once(store: SqlStatusStore) -> None:
    version = _new(store)
    version = store.save_list(
        "demo-1", version=version, credential=CredentialRecord(_digest(1), "demo-1", 7, ISS)
    )
    for clash in (
        CredentialRecord(_digest(2), "demo-1", 7, ISS),
        CredentialRecord(_digest(1), "demo-1", 8, ISS),
    ):
        with pytest.raises(InputError):
            store.save_list("demo-1", version=version, credential=clash)
        with pytest.raises(InputError):  # the first record of the batch is rolled back with the clash
            store.record_credentials([CredentialRecord(_digest(9), "demo-1", 9, ISS), clash])
    with pytest.raises(InputError):
        store.record_credentials([CredentialRecord(_digest(9), "demo-1", DEFAULT_SIZE, ISS)])
    with pytest.raises(NotFoundError):
        store.record_credentials([CredentialRecord(_digest(9), "nope-1", 1, ISS)])
    assert store.credential(_digest(9)) is None
    assert store.load_list("demo-1").version == version  # the refused saves rolled back whole


def test_a_list_is_created_with_its_first_snapshot(store: SqlStatusStore) -> None:
    first = StatusSnapshot.of(URI, 100, StatusList(2))
    store.create_list(
        list_id="demo-1", uri=URI, issuer=ISS, bits=2, size=DEFAULT_SIZE, created=100, snapshot=first
    )
    assert store.snapshots("demo-1") == [first]
    with pytest.raises(InputError):  # a snapshot of another list
        store.create_list(
            list_id="demo-2", uri=URI[:-1] + "2", issuer=ISS, bits=2, size=8, created=1, snapshot=first
        )
    assert [h.id for h in store.heads()] == ["demo-1"]


def test_snapshots_are_kept_in_time_order_and_replaced_at_the_same_time(store: SqlStatusStore) -> None:
    version = _new(store)
    lst = StatusList(2)
    version = store.save_list("demo-1", version=version, snapshot=StatusSnapshot.of(URI, 100, lst))
    lst.set(3, 1)
    data = lst.to_bytes()
    version = store.save_list("demo-1", version=version, data=data, snapshot=StatusSnapshot.of(URI, 300, lst))
    lst.set(4, 2)
    version = store.save_list("demo-1", version=version, snapshot=StatusSnapshot.of(URI, 200, lst))
    lst.set(4, 0)
    store.save_list("demo-1", version=version, snapshot=StatusSnapshot.of(URI, 200, lst))
    snapshots = store.snapshots("demo-1")
    assert [s.time for s in snapshots] == [100, 200, 300]
    assert snapshot_at(snapshots, 250).snapshot.status_list().get(4) == 0  # the later save at 200 won
    assert store.load_list("demo-1").data == data
    assert store.snapshots("other-1") == []


def test_a_snapshot_of_another_list_is_refused(store: SqlStatusStore) -> None:
    version = _new(store)
    with pytest.raises(InputError):
        store.save_list("demo-1", version=version, snapshot=StatusSnapshot.of(URI + "x", 1, StatusList(2)))
    assert store.snapshots("demo-1") == []
    assert store.load_list("demo-1").version == version


def test_lists_are_listed_per_issuer_in_creation_order(store: SqlStatusStore) -> None:
    for n in (1, 2, 10):
        _new(store, f"demo-{n}", f"{URI[:-1]}{n}")
    store.create_list(
        list_id="gov-1", uri="https://x.example/gov-1", issuer="https://gov", bits=2, size=8, created=1
    )
    assert [s.id for s in store.lists(ISS)] == ["demo-1", "demo-2", "demo-10"]
    assert [s.id for s in store.lists()] == ["demo-1", "demo-2", "demo-10", "gov-1"]
    heads = store.heads()
    assert [(h.id, h.issuer, h.size, h.allocated) for h in heads][-1] == ("gov-1", "https://gov", 8, 0)
    assert [h.id for h in store.heads(ISS)] == ["demo-1", "demo-2", "demo-10"]


def test_the_lists_live_beside_the_log_and_survive_reopening(location: tuple[str, str]) -> None:
    first = open_status_store(location[0], schema=location[1])
    _new(first)
    first.close()
    log = open_store(location[0], schema=location[1])
    assert log.head().size == 0  # one database, one migration history, both ports
    log.close()
    again = open_status_store(location[0], schema=location[1])
    assert again.load_list("demo-1").uri == URI
    again.close()
