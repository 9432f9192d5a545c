"""The JobStore contract, run on every backend: SQLite in a temporary file, PostgreSQL in a new schema."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import pytest

from dojang.adapters.storage import SqlJobStore, open_job_store, open_store
from dojang.errors import NotFoundError
from dojang.roles.issuer import IdempotencyConflictError, IssuedRecord, Job, JobItem

AGENCY = "https://issuer.example/agencies/demo"
OTHER = "https://issuer.example/agencies/other"
T = TypeVar("T")


@pytest.fixture
def store(location: tuple[str, str]) -> Iterator[SqlJobStore]:
    opened = open_job_store(location[0], schema=location[1])
    yield opened
    opened.close()


def _digest(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _requests(count: int) -> list[str]:
    return [f'{{"n": {n}, "name": "홍길동"}}' for n in range(count)]


def _new(
    store: SqlJobStore, job_id: str = "job-1", *, key: str = "key-1", count: int = 3, now: int = 100,
    issuer: str = AGENCY, body: bytes = b"body-1",
) -> Job:  # fmt: skip
    job, created = store.create(
        job_id=job_id, issuer=issuer, key=key, body_hash=body, requests=_requests(count), now=now
    )
    assert created
    return job


def _signed(item: JobItem, digest: int) -> JobItem:
    return replace(
        item, state="signed", sd_jwt=f"eyJ.{item.n}~", digest=_digest(digest), kind="resident",
        vct="https://vct.example/resident", kid="kid-1", iat=1_000 + item.n, exp=9_000 + item.n,
    )  # fmt: skip


def _failed(item: JobItem, why: str = "no such citizen") -> JobItem:
    return replace(item, state="failed", error=why)


# -- creating and reading jobs ---------------------------------------------------------------------


def test_a_new_job_holds_every_item_pending_in_order(store: SqlJobStore) -> None:
    job = _new(store, count=3, now=100)
    assert job == Job("job-1", AGENCY, "key-1", 3, 0, 0, 100, 100, None, 0)
    assert (job.finished, job.state) == (False, "queued")
    assert store.job("job-1") == job
    assert store.items("job-1") == [JobItem(n, r) for n, r in enumerate(_requests(3))]
    assert store.open_items("job-1", 10) == store.items("job-1")
    with pytest.raises(NotFoundError):
        store.job("job-2")
    assert store.items("job-2") == []


def test_the_same_key_and_body_return_the_first_job(store: SqlJobStore) -> None:
    first = _new(store, count=2, now=100)
    again, created = store.create(
        job_id="job-2", issuer=AGENCY, key="key-1", body_hash=b"body-1", requests=_requests(5), now=200
    )
    assert (again, created) == (first, False)
    assert len(store.items("job-1")) == 2
    with pytest.raises(NotFoundError):
        store.job("job-2")  # nothing of the second call was stored


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(store: SqlJobStore) -> None:
    first = _new(store, count=2)
    with pytest.raises(IdempotencyConflictError, match="key-1"):
        store.create(
            job_id="job-2", issuer=AGENCY, key="key-1", body_hash=b"body-2", requests=_requests(4), now=200
        )
    assert store.jobs(AGENCY) == [first]
    assert len(store.items("job-1")) == 2
    assert store.items("job-2") == []


def test_a_key_is_scoped_to_its_agency(store: SqlJobStore) -> None:
    _new(store, "job-1", key="same", body=b"a")
    other = _new(store, "job-2", key="same", body=b"b", issuer=OTHER)
    assert (other.issuer, other.key) == (OTHER, "same")
    assert [j.id for j in store.jobs(AGENCY)] == ["job-1"]
    assert [j.id for j in store.jobs(OTHER)] == ["job-2"]


def test_jobs_are_listed_per_agency_newest_first(store: SqlJobStore) -> None:
    for n, now in ((1, 100), (2, 300), (3, 200)):
        _new(store, f"job-{n}", key=f"key-{n}", now=now)
    _new(store, "job-9", key="key-9", now=400, issuer=OTHER)
    assert [j.id for j in store.jobs(AGENCY)] == ["job-2", "job-3", "job-1"]
    assert [j.id for j in store.jobs(AGENCY, limit=2)] == ["job-2", "job-3"]
    assert store.jobs("https://nobody.example") == []


# -- leases ----------------------------------------------------------------------------------------


def test_claim_takes_the_oldest_unfinished_job(store: SqlJobStore) -> None:
    assert store.claim("w1", now=100, lease_until=160) is None
    _new(store, "job-b", key="b", now=200)
    _new(store, "job-a", key="a", now=100)
    taken = store.claim("w1", now=300, lease_until=360)
    assert taken is not None
    assert (taken.id, taken.owner, taken.lease_until, taken.state) == ("job-a", "w1", 360, "running")
    assert store.job("job-a") == taken
    second = store.claim("w2", now=300, lease_until=360)
    assert second is not None
    assert (second.id, second.owner) == ("job-b", "w2")
    assert store.claim("w3", now=300, lease_until=360) is None


def test_a_held_job_is_not_taken_until_its_lease_runs_out(store: SqlJobStore) -> None:
    _new(store)
    assert store.claim("w1", now=100, lease_until=160, job_id="job-1") is not None
    assert store.claim("w2", now=150, lease_until=210, job_id="job-1") is None
    assert store.claim("w2", now=160, lease_until=220) is None  # still held at the last second
    taken = store.claim("w2", now=161, lease_until=221, job_id="job-1")
    assert taken is not None
    assert (taken.owner, taken.lease_until) == ("w2", 221)


def test_renew_and_release_act_only_for_the_holder(store: SqlJobStore) -> None:
    _new(store)
    store.claim("w1", now=100, lease_until=160)
    store.renew("job-1", "w2", 999)
    store.release("job-1", "w2")
    assert (store.job("job-1").owner, store.job("job-1").lease_until) == ("w1", 160)
    store.renew("job-1", "w1", 260)
    assert store.job("job-1").lease_until == 260
    assert store.claim("w2", now=200, lease_until=300) is None  # the renewed lease holds
    store.release("job-1", "w1")
    released = store.job("job-1")
    assert (released.owner, released.lease_until, released.state) == (None, 0, "queued")
    taken = store.claim("w2", now=200, lease_until=300)
    assert taken is not None
    assert taken.owner == "w2"


def test_claim_by_id_of_an_unknown_or_finished_job_gives_none(store: SqlJobStore) -> None:
    _new(store, count=1)
    assert store.claim("w1", now=100, lease_until=160, job_id="nope") is None
    (item,) = store.open_items("job-1", 10)
    store.save_signed("job-1", [], [_failed(item)], 120)
    assert store.job("job-1").finished
    assert store.claim("w1", now=200, lease_until=260, job_id="job-1") is None
    assert store.claim("w1", now=200, lease_until=260) is None


# -- items -----------------------------------------------------------------------------------------


def test_signed_and_failed_items_are_saved_at_once(store: SqlJobStore) -> None:
    _new(store, count=4, now=100)
    items = store.open_items("job-1", 10)
    store.save_signed("job-1", [_signed(items[0], 1), _signed(items[2], 3)], [_failed(items[1])], 150)
    job = store.job("job-1")
    assert (job.done, job.failed, job.updated, job.finished) == (0, 1, 150, False)
    stored = store.items("job-1")
    assert stored[0] == _signed(items[0], 1)
    assert stored[1] == _failed(items[1])
    assert stored[2] == _signed(items[2], 3)
    assert stored[3] == items[3]
    assert [i.n for i in store.open_items("job-1", 10)] == [0, 2, 3]  # signed items wait to be logged
    assert store.issued(AGENCY) == []


def test_issued_items_are_counted_once_and_indexed(store: SqlJobStore) -> None:
    _new(store, count=3, now=100)
    items = store.open_items("job-1", 10)
    store.save_signed("job-1", [_signed(i, i.n + 1) for i in items[:2]], [_failed(items[2])], 150)
    store.mark_issued("job-1", [0, 1, 2], 160)  # item 2 failed: not issued
    store.mark_issued("job-1", [0, 1], 170)  # again, as after a crash between log and store
    job = store.job("job-1")
    assert (job.done, job.failed, job.updated, job.finished, job.state) == (2, 1, 170, True, "finished")
    assert [i.state for i in store.items("job-1")] == ["issued", "issued", "failed"]
    assert store.open_items("job-1", 10) == []
    records = store.issued(AGENCY)
    assert [(r.digest, r.kind, r.vct, r.iat, r.exp, r.job_id) for r in records] == [
        (_digest(n + 1), "resident", "https://vct.example/resident", 1_000 + n, 9_000 + n, "job-1")
        for n in range(2)
    ]
    assert records[0].seq < records[1].seq


def test_a_saved_item_is_not_overwritten_or_counted_twice(store: SqlJobStore) -> None:
    _new(store, count=2)
    first, second = store.open_items("job-1", 10)
    store.save_signed("job-1", [_signed(first, 1)], [_failed(second)], 150)
    store.save_signed("job-1", [_signed(first, 7)], [_failed(second, "again")], 160)
    assert store.items("job-1") == [_signed(first, 1), _failed(second)]
    assert store.job("job-1").failed == 1
    store.mark_issued("job-1", [0], 170)
    store.save_signed("job-1", [_signed(first, 8)], [_failed(first)], 180)
    assert store.items("job-1", state="issued") == [replace(_signed(first, 1), state="issued")]
    job = store.job("job-1")
    assert (job.done, job.failed) == (1, 1)


def test_an_interrupted_job_resumes_where_it_stopped(location: tuple[str, str]) -> None:
    first = open_job_store(location[0], schema=location[1])
    _new(first, count=3, now=100)
    first.claim("w1", now=100, lease_until=160)
    items = first.open_items("job-1", 2)
    first.save_signed("job-1", [_signed(i, i.n + 1) for i in items], [], 110)
    first.close()  # the worker dies before logging: its lease stays until it runs out
    again = open_job_store(location[0], schema=location[1])
    try:
        assert again.claim("w2", now=150, lease_until=210) is None
        taken = again.claim("w2", now=170, lease_until=230)
        assert taken is not None
        assert (taken.id, taken.owner, taken.done) == ("job-1", "w2", 0)
        resumed = again.open_items("job-1", 10)
        assert resumed == [_signed(items[0], 1), _signed(items[1], 2), JobItem(2, _requests(3)[2])]
        again.mark_issued("job-1", [0, 1], 180)
        assert again.job("job-1").done == 2
        assert [i.n for i in again.open_items("job-1", 10)] == [2]
    finally:
        again.close()


def test_items_are_paged_by_number_and_filtered_by_state(store: SqlJobStore) -> None:
    _new(store, count=7)
    items = store.open_items("job-1", 10)
    store.save_signed("job-1", [], [_failed(items[n]) for n in (1, 4, 5)], 150)
    assert [i.n for i in store.items("job-1", limit=3)] == [0, 1, 2]
    assert [i.n for i in store.items("job-1", after=2, limit=3)] == [3, 4, 5]
    assert [i.n for i in store.items("job-1", after=5, limit=3)] == [6]
    assert store.items("job-1", after=6) == []
    assert [i.n for i in store.items("job-1", state="failed")] == [1, 4, 5]
    assert [i.n for i in store.items("job-1", state="failed", after=1, limit=1)] == [4]
    assert [i.n for i in store.items("job-1", state="pending")] == [0, 2, 3, 6]
    assert [i.n for i in store.open_items("job-1", 2)] == [0, 2]


def test_an_empty_save_or_acknowledgement_changes_only_the_time(store: SqlJobStore) -> None:
    before = _new(store, count=2)
    store.save_signed("job-1", [], [], 150)
    store.mark_issued("job-1", [], 160)
    assert store.job("job-1") == replace(before, updated=160)
    assert store.items("job-1") == [JobItem(n, r) for n, r in enumerate(_requests(2))]


# -- the issued index ------------------------------------------------------------------------------


def _record(n: int, issuer: str = AGENCY, kind: str = "resident", job_id: str | None = None) -> IssuedRecord:
    return IssuedRecord(
        0, issuer, _digest(n), kind, f"https://vct.example/{kind}", 1_000 + n, 9_000 + n, job_id
    )


def test_records_get_increasing_numbers_and_are_paged_per_agency_and_kind(store: SqlJobStore) -> None:
    store.record_issued([_record(1), _record(2, kind="vehicle"), _record(3, issuer=OTHER)])
    store.record_issued([_record(4)])
    store.record_issued([])
    mine = store.issued(AGENCY)
    assert [(r.digest, r.kind, r.iat, r.exp, r.job_id) for r in mine] == [
        (_digest(1), "resident", 1_001, 9_001, None),
        (_digest(2), "vehicle", 1_002, 9_002, None),
        (_digest(4), "resident", 1_004, 9_004, None),
    ]
    assert mine[0].seq < mine[1].seq < mine[2].seq
    assert all(r.issuer == AGENCY for r in mine)
    assert [r.digest for r in store.issued(AGENCY, kind="resident")] == [_digest(1), _digest(4)]
    assert store.issued(AGENCY, after=mine[0].seq, limit=1) == [mine[1]]
    assert store.issued(AGENCY, after=mine[2].seq) == []
    assert [r.digest for r in store.issued(OTHER)] == [_digest(3)]


def test_direct_and_bulk_issuance_share_one_index(store: SqlJobStore) -> None:
    store.record_issued([_record(100)])
    _new(store, count=1)
    (item,) = store.open_items("job-1", 1)
    store.save_signed("job-1", [_signed(item, 5)], [], 150)
    store.mark_issued("job-1", [0], 160)
    assert [(r.digest, r.job_id) for r in store.issued(AGENCY)] == [
        (_digest(100), None),
        (_digest(5), "job-1"),
    ]


def test_jobs_live_beside_the_log_and_survive_reopening(location: tuple[str, str]) -> None:
    first = open_job_store(location[0], schema=location[1])
    job = _new(first)
    first.record_issued([_record(1)])
    first.close()
    log = open_store(location[0], schema=location[1])
    assert log.head().size == 0  # one database, one migration history, every port
    log.close()
    again = open_job_store(location[0], schema=location[1])
    try:
        assert again.job("job-1") == job
        assert len(again.items("job-1")) == 3
        assert [r.digest for r in again.issued(AGENCY)] == [_digest(1)]
    finally:
        again.close()


# -- concurrent workers ----------------------------------------------------------------------------


def _race(location: tuple[str, str], count: int, work: Callable[[SqlJobStore], T]) -> list[T]:
    """Run ``work`` at once on ``count`` stores, each with its own connection, as separate workers."""
    stores = [open_job_store(location[0], schema=location[1]) for _ in range(count)]
    start = threading.Barrier(count)

    def run(store: SqlJobStore) -> T:
        start.wait()
        return work(store)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(run, stores))
    finally:
        for store in stores:
            store.close()


def test_two_workers_never_hold_one_job(location: tuple[str, str], store: SqlJobStore) -> None:
    for n in range(3):
        _new(store, f"job-{n}", key=f"key-{n}", now=100 + n)
    counter = itertools.count()

    def claim(worker: SqlJobStore) -> str | None:
        job = worker.claim(f"w{next(counter)}", now=200, lease_until=260)
        return None if job is None else job.id

    taken = [t for t in _race(location, 6, claim) if t is not None]
    assert len(taken) == len(set(taken))  # no job went to two workers
    assert len({store.job(t).owner for t in taken}) == len(taken)
    assert sorted(taken) == ["job-0", "job-1", "job-2"]  # and no worker went idle while a job waited


def test_one_key_sent_twice_at_once_makes_one_job(location: tuple[str, str], store: SqlJobStore) -> None:
    counter = itertools.count()

    def create(worker: SqlJobStore) -> tuple[Job, bool]:
        job_id = f"job-{next(counter)}"
        return worker.create(
            job_id=job_id, issuer=AGENCY, key="same", body_hash=b"body", requests=_requests(50), now=100
        )

    results = _race(location, 4, create)
    assert [created for _, created in results].count(True) == 1
    assert len({job for job, _ in results}) == 1
    (job,) = store.jobs(AGENCY)
    assert len(store.items(job.id)) == 50
