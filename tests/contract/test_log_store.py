"""The LogStore contract, run on every backend: SQLite in a temporary file, PostgreSQL in a new schema."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dojang.adapters.storage import SCHEMA_VERSION, ScanningLogStore, open_store
from dojang.adapters.storage import _postgres as postgres_backend
from dojang.adapters.storage import _sqlite as sqlite_backend
from dojang.adapters.storage._log import IndexShape, bundle_rows, index_buckets
from dojang.core.log import LogStore, OutboxItem, PendingEntry, TileKey, TreeHead
from dojang.errors import ConfigError, InputError, NotFoundError

PG_DSN = os.environ.get("DOJANG_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
EMPTY_ROOT = hashlib.sha256(b"").digest()


@dataclass
class Backend:
    """Where one test's database lives, and raw access to it for what the port cannot do."""

    name: str
    url: str
    schema: str = "dojang"
    opened: list[ScanningLogStore] = field(default_factory=list)

    def open(self) -> ScanningLogStore:
        store = open_store(self.url, schema=self.schema)
        self.opened.append(store)
        return store

    def raw(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement outside the store (``?`` placeholders) and return its rows."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.url, isolation_level=None)
            try:
                return conn.execute(statement, params).fetchall()
            finally:
                conn.close()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{self.schema}"')
            cursor = conn.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one SQL statement (``?`` placeholders) once per row, outside the store, in one transaction."""
        if self.name == "sqlite":
            conn = sqlite3.connect(self.url)
            try:
                with conn:
                    conn.executemany(statement, rows)
            finally:
                conn.close()
            return
        with psycopg.connect(self.url) as pg:
            pg.execute(f'SET search_path TO "{self.schema}"')
            pg.cursor().executemany(statement.replace("?", "%s"), rows)

    def migrate_to(self, target: int) -> int:
        """Create the database at an older schema version, as an older dojang would have left it."""
        if self.name == "sqlite":
            conn = sqlite_backend.connect(Path(self.url))
            try:
                return sqlite_backend.migrate(conn, where=self.url, target=target)
            finally:
                conn.close()
        with psycopg.connect(self.url, autocommit=True) as pg:
            return postgres_backend.migrate(pg, self.schema, where=self.schema, target=target)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        where = Backend("sqlite", str(tmp_path / "data" / "log.db"))
    else:
        where = Backend("postgres", PG_DSN, schema=f"test_{uuid.uuid4().hex}")
    yield where
    for store in where.opened:
        store.close()
    if where.name == "postgres":
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{where.schema}" CASCADE')


@pytest.fixture
def store(backend: Backend) -> ScanningLogStore:
    return backend.open()


# -- helpers ---------------------------------------------------------------------------------------


def leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def root(size: int) -> bytes:
    """A stand-in root: the store treats roots and tiles as opaque bytes."""
    return hashlib.sha256(b"root %d" % size).digest()


def tile(width: int, salt: int = 0) -> bytes:
    return b"".join(hashlib.sha256(b"%d/%d" % (salt, i)).digest() for i in range(width))


def integrate_pending(
    store: LogStore, limit: int = 1000, tiles: dict[TileKey, bytes] | None = None
) -> list[PendingEntry]:
    """What the sequencer does: take the oldest pending entries and integrate them at the head."""
    taken = store.pending(limit)
    size = store.head().size
    store.integrate(
        taken=[p.seq for p in taken],
        first_index=size,
        entries=[p.entry for p in taken],
        leaf_hashes=[leaf(p.entry) for p in taken],
        tiles=tiles or {TileKey(0, size // 256): tile((size + len(taken)) % 256 or 256)},
        head=TreeHead(size + len(taken), root(size + len(taken))),
    )
    return taken


def snapshot(store: LogStore) -> tuple[object, ...]:
    """Everything observable through the port, to show that a refused call changed nothing."""
    keys = [TileKey(level, index) for level in range(3) for index in range(8)]
    return (
        store.head(),
        store.pending(10**6),
        store.entries(0, 10**6),
        store.tiles(keys),
        store.checkpoint_sizes(),
        [store.checkpoint(size) for size in store.checkpoint_sizes()],
        store.outbox_pending("anchor"),
    )


def entries(*names: str) -> list[bytes]:
    return [name.encode() for name in names]


# -- a fresh store ---------------------------------------------------------------------------------


def test_a_fresh_store_is_an_empty_log(store: ScanningLogStore) -> None:
    assert store.head() == TreeHead(0, EMPTY_ROOT)
    assert store.pending(10) == []
    assert store.entries(0, 10) == []
    assert store.tiles([TileKey(0, 0)]) == {}
    assert store.checkpoint() is None
    assert store.checkpoint_sizes() == []
    assert store.outbox_pending("anchor") == []


# -- pending entries -------------------------------------------------------------------------------


def test_add_pending_numbers_entries_in_order_and_pending_lists_oldest_first(store: ScanningLogStore) -> None:
    first = store.add_pending(entries("a", "b", "c"))
    second = store.add_pending(entries("d"))
    assert len(first) == 3
    assert first == sorted(first)
    assert second[0] > first[-1]
    assert store.pending(10) == [
        PendingEntry(s, e) for s, e in zip(first + second, entries("a", "b", "c", "d"), strict=True)
    ]
    assert store.pending(2) == [PendingEntry(first[0], b"a"), PendingEntry(first[1], b"b")]


def test_add_pending_of_nothing_stores_nothing(store: ScanningLogStore) -> None:
    assert store.add_pending([]) == []
    assert store.pending(10) == []


def test_sequence_numbers_are_never_reused_after_integration(store: ScanningLogStore) -> None:
    first = store.add_pending(entries("a", "b"))
    integrate_pending(store)
    assert store.pending(10) == []
    (later,) = store.add_pending(entries("c"))
    assert later > max(first)


def test_binary_entries_round_trip_byte_for_byte(store: ScanningLogStore) -> None:
    odd = [bytes(range(256)), b"\x00", b"\x00" * 1000, os.urandom(4096)]
    store.add_pending(odd)
    assert [p.entry for p in store.pending(10)] == odd
    integrate_pending(store)
    assert store.entries(0, 4) == odd


# -- integration -----------------------------------------------------------------------------------


def test_integrate_moves_entries_from_pending_into_the_tree(store: ScanningLogStore) -> None:
    store.add_pending(entries("a", "b", "c"))
    taken = store.pending(2)
    store.integrate(
        taken=[p.seq for p in taken],
        first_index=0,
        entries=[b"a", b"b"],
        leaf_hashes=[leaf(b"a"), leaf(b"b")],
        tiles={TileKey(0, 0): tile(2)},
        head=TreeHead(2, root(2)),
    )
    assert store.head() == TreeHead(2, root(2))
    assert store.entries(0, 2) == [b"a", b"b"]
    assert [p.entry for p in store.pending(10)] == [b"c"]
    assert store.index_of(leaf(b"b")) == 1
    assert store.index_of(leaf(b"c")) is None
    assert store.tiles([TileKey(0, 0)]) == {TileKey(0, 0): tile(2)}


def test_a_partial_tile_is_replaced_as_the_tree_grows(store: ScanningLogStore) -> None:
    store.add_pending(entries("a"))
    integrate_pending(store, tiles={TileKey(0, 0): tile(1), TileKey(1, 0): tile(1, salt=1)})
    store.add_pending(entries("b"))
    integrate_pending(store, tiles={TileKey(0, 0): tile(2)})
    assert store.tiles([TileKey(0, 0), TileKey(1, 0)]) == {
        TileKey(0, 0): tile(2),
        TileKey(1, 0): tile(1, salt=1),
    }


def test_a_batch_of_ten_thousand_entries_integrates_in_one_call(store: ScanningLogStore) -> None:
    batch = [b"entry %06d" % i for i in range(10_000)]
    store.add_pending(batch)
    tiles = {TileKey(0, i): tile(256, salt=i) for i in range(39)} | {TileKey(0, 39): tile(16)}
    integrate_pending(store, limit=10_000, tiles=tiles)
    assert store.head().size == 10_000
    assert store.entries(0, 10_000) == batch
    assert store.index_of(leaf(b"entry 009999")) == 9_999
    assert store.tiles(tiles) == tiles
    assert store.pending(1) == []


def test_batches_of_any_size_cross_bundles_and_index_epochs(store: ScanningLogStore) -> None:
    """Entries are packed 256 to a row and indexed per 65,536: odd batches must land where they belong."""
    made: list[bytes] = []
    for count in (1, 255, 2, 7_777, 256, 60_000, 3, 1_000):
        batch = [b"odd %d" % (len(made) + i) for i in range(count)]
        store.add_pending(batch[: count // 2])
        store.add_pending(batch[count // 2 :])  # two runs per batch, the first maybe empty
        integrate_pending(store, limit=count)
        made += batch
    assert store.head().size == len(made) == 69_294
    assert store.pending(1) == []
    assert store.entries(0, len(made)) == made
    assert store.entries(65_530, 65_540) == made[65_530:65_540]
    for index in (0, 1, 255, 256, 257, 511, 8_289, 65_535, 65_536, 69_293):
        assert store.index_of(leaf(made[index])) == index
    assert list(store.iter_entries(256, 1_000, batch=100)) == made[256:1_000]


def test_a_batch_may_take_part_of_a_run(store: ScanningLogStore) -> None:
    seqs = store.add_pending(entries("a", "b", "c", "d", "e"))
    integrate_pending(store, limit=2)
    assert [p.seq for p in store.pending(10)] == seqs[2:]
    with pytest.raises(ConfigError, match="not pending"):  # skipping the oldest pending is refused
        store.integrate(
            taken=seqs[3:4],
            first_index=2,
            entries=[b"d"],
            leaf_hashes=[leaf(b"d")],
            tiles={},
            head=TreeHead(3, root(3)),
        )
    integrate_pending(store, limit=2)
    assert [p.entry for p in store.pending(10)] == [b"e"]
    assert store.entries(0, 5) == entries("a", "b", "c", "d")


@pytest.mark.parametrize("first_index", [0, 1, 3, 99])
def test_integrate_refuses_a_batch_that_does_not_start_at_the_head(
    store: ScanningLogStore, first_index: int
) -> None:
    store.add_pending(entries("a", "b", "c"))
    integrate_pending(store, limit=2)
    (pending,) = store.pending(10)
    before = snapshot(store)
    with pytest.raises(ConfigError, match=f"expected first_index 2, given {first_index}"):
        store.integrate(
            taken=[pending.seq],
            first_index=first_index,
            entries=[b"c"],
            leaf_hashes=[leaf(b"c")],
            tiles={TileKey(0, 0): b"forged"},
            head=TreeHead(first_index + 1, root(99)),
        )
    assert snapshot(store) == before


def test_a_replayed_batch_is_refused(store: ScanningLogStore) -> None:
    store.add_pending(entries("a", "b"))
    taken = store.pending(10)
    batch: dict[str, Any] = {
        "taken": [p.seq for p in taken],
        "first_index": 0,
        "entries": [b"a", b"b"],
        "leaf_hashes": [leaf(b"a"), leaf(b"b")],
        "tiles": {TileKey(0, 0): tile(2)},
        "head": TreeHead(2, root(2)),
    }
    store.integrate(**batch)
    before = snapshot(store)
    with pytest.raises(ConfigError, match="expected first_index 2, given 0"):
        store.integrate(**batch)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "taken_of",
    [lambda seqs: [seqs[0], 10**9], lambda seqs: [seqs[0], seqs[0]], lambda seqs: [seqs[1], seqs[0] - 1]],
)
def test_integrate_refuses_taken_entries_that_are_not_pending(store: ScanningLogStore, taken_of: Any) -> None:
    seqs = store.add_pending(entries("a", "b", "c"))
    before = snapshot(store)
    with pytest.raises(ConfigError, match="not pending"):
        store.integrate(
            taken=taken_of(seqs),
            first_index=0,
            entries=[b"a", b"b"],
            leaf_hashes=[leaf(b"a"), leaf(b"b")],
            tiles={TileKey(0, 0): tile(2)},
            head=TreeHead(2, root(2)),
        )
    assert snapshot(store) == before  # the pending rows deleted before the refusal are back


def test_integrate_refuses_already_integrated_entries(store: ScanningLogStore) -> None:
    (seq,) = store.add_pending(entries("a"))
    integrate_pending(store)
    store.add_pending(entries("b"))
    before = snapshot(store)
    with pytest.raises(ConfigError, match="not pending"):
        store.integrate(
            taken=[seq],
            first_index=1,
            entries=[b"a"],
            leaf_hashes=[leaf(b"a")],
            tiles={},
            head=TreeHead(2, root(2)),
        )
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("leaf_hashes", "head_size", "message"),
    [([leaf(b"a")], 2, "expected 2, given 1"), ([leaf(b"a"), leaf(b"b")], 3, "expected 2, given 3")],
)
def test_integrate_refuses_an_inconsistent_batch(
    store: ScanningLogStore, leaf_hashes: list[bytes], head_size: int, message: str
) -> None:
    seqs = store.add_pending(entries("a", "b"))
    before = snapshot(store)
    with pytest.raises(ConfigError, match=message):
        store.integrate(
            taken=seqs,
            first_index=0,
            entries=[b"a", b"b"],
            leaf_hashes=leaf_hashes,
            tiles={},
            head=TreeHead(head_size, root(head_size)),
        )
    assert snapshot(store) == before


def test_a_batch_failing_inside_the_database_changes_nothing(store: ScanningLogStore) -> None:
    seqs = store.add_pending(entries("a", "b", "c"))
    integrate_pending(store, limit=1)
    before = snapshot(store)
    with pytest.raises(Exception, match=r"(?i)null|not.null|constraint"):  # the driver's own error
        store.integrate(
            taken=seqs[1:],
            first_index=1,
            entries=[b"b", b"c"],
            leaf_hashes=[leaf(b"b"), leaf(b"c")],
            # written after the pending runs, bundles and index rows: fails after the first writes
            tiles={TileKey(0, 0): tile(3), TileKey(1, 0): None},  # type: ignore[dict-item]
            head=TreeHead(3, root(3)),
        )
    assert snapshot(store) == before
    assert store.index_of(leaf(b"b")) is None
    integrate_pending(store)  # and the store is still usable
    assert store.head().size == 3
    assert store.index_of(leaf(b"b")) == 1


@pytest.mark.parametrize("bad", [None, b"short", bytes(33)])
def test_integrate_refuses_leaf_hashes_that_are_not_32_bytes(store: ScanningLogStore, bad: Any) -> None:
    seqs = store.add_pending(entries("a", "b"))
    before = snapshot(store)
    with pytest.raises(ConfigError, match="leaf hashes must be 32 bytes"):
        store.integrate(
            taken=seqs,
            first_index=0,
            entries=[b"a", b"b"],
            leaf_hashes=[leaf(b"a"), bad],
            tiles={},
            head=TreeHead(2, root(2)),
        )
    assert snapshot(store) == before


def test_a_second_sequencer_on_the_same_database_is_refused(
    backend: Backend, store: ScanningLogStore
) -> None:
    other = backend.open()
    store.add_pending(entries("a", "b"))
    seen_by_other = other.pending(10)
    integrate_pending(store)
    with pytest.raises(ConfigError, match="expected first_index 2, given 0"):
        other.integrate(
            taken=[p.seq for p in seen_by_other],
            first_index=0,
            entries=[p.entry for p in seen_by_other],
            leaf_hashes=[leaf(p.entry) for p in seen_by_other],
            tiles={},
            head=TreeHead(2, root(99)),
        )
    assert other.head() == TreeHead(2, root(2))


# -- reading the tree ------------------------------------------------------------------------------


def test_tiles_returns_only_the_stored_keys_in_one_batch(store: ScanningLogStore) -> None:
    stored = {
        TileKey(level, index): tile(1, salt=level * 1000 + index) for level in range(3) for index in range(50)
    }
    store.add_pending(entries("a"))
    integrate_pending(store, tiles=stored)
    wanted = [*stored, TileKey(0, 50), TileKey(7, 0)]
    assert store.tiles(wanted) == stored
    assert store.tiles(iter([TileKey(2, 3)])) == {TileKey(2, 3): stored[TileKey(2, 3)]}
    assert store.tiles([]) == {}


def test_entries_reads_a_half_open_range(store: ScanningLogStore) -> None:
    names = [b"e%d" % i for i in range(10)]
    store.add_pending(names)
    integrate_pending(store)
    assert store.entries(2, 5) == names[2:5]
    assert store.entries(0, 10) == names
    assert store.entries(8, 100) == names[8:]
    assert store.entries(5, 5) == []
    assert store.entries(10, 20) == []


@pytest.mark.parametrize("batch", [1, 3, 10, 10_000])
def test_iter_entries_streams_the_same_entries_in_batches(store: ScanningLogStore, batch: int) -> None:
    names = [b"e%d" % i for i in range(25)]
    store.add_pending(names)
    integrate_pending(store)
    assert list(store.iter_entries(0, 25, batch=batch)) == names
    assert list(store.iter_entries(4, 17, batch=batch)) == names[4:17]
    assert list(store.iter_entries(20, 99, batch=batch)) == names[20:]


def test_iter_entries_refuses_an_empty_batch(store: ScanningLogStore) -> None:
    with pytest.raises(InputError, match="at least 1"):
        list(store.iter_entries(0, 10, batch=0))


def test_index_of_finds_the_first_index_of_a_leaf_hash(store: ScanningLogStore) -> None:
    store.add_pending(entries("a", "b", "a"))
    integrate_pending(store)
    assert store.index_of(leaf(b"a")) == 0
    assert store.index_of(leaf(b"b")) == 1
    assert store.index_of(leaf(b"zzz")) is None
    assert store.index_of(leaf(b"b")[:8] + bytes(24)) is None  # a shared prefix is not a match


# -- the leaf-hash index's merged levels --------------------------------------------------------------

#: A shrunken index: epochs of 16 leaves, 4 of them to a level-1 era, up to level 3 (1,024 leaves an era).
SMALL = IndexShape(epoch_bits=4, bucket_bits=2, fan_bits=2, top=3)


def small(store: ScanningLogStore) -> ScanningLogStore:
    store.index_shape = SMALL  # type: ignore[attr-defined]
    return store


def grow(store: ScanningLogStore, names: Sequence[bytes]) -> None:
    """Integrate these entries straight from memory, as one sequencer batch."""
    size = store.head().size
    store.integrate(
        taken=[],
        first_index=size,
        entries=list(names),
        leaf_hashes=[leaf(e) for e in names],
        tiles={},
        head=TreeHead(size + len(names), root(size + len(names))),
    )


def merges(backend: Backend) -> dict[int, tuple[int, int]]:
    return {int(lv): (int(m), int(b)) for lv, m, b in backend.raw("SELECT * FROM leaf_merges")}


def assert_all_found(store: ScanningLogStore, size: int, prefix: bytes = b"leaf") -> None:
    for index in range(size):
        assert store.index_of(leaf(b"%s %d" % (prefix, index))) == index


def test_every_leaf_is_found_across_several_levels_of_merges(backend: Backend) -> None:
    store = small(backend.open())
    sizes = [1, 7, 40, 200, 3, 64, 500, 17, 1200, 33, 900]  # 2,965 leaves: two eras at the top level
    done = 0
    for count in sizes:
        grow(store, [b"leaf %d" % i for i in range(done, done + count)])
        done += count
    levels = {int(level) for (level,) in backend.raw("SELECT DISTINCT level FROM leaf_eras")}
    assert levels == {1, 2, 3}
    assert backend.raw("SELECT count(DISTINCT era) FROM leaf_eras WHERE level = 3") == [(2,)]
    assert_all_found(store, done)
    for absent in (leaf(b"leaf %d" % done), leaf(b"never"), leaf(b"leaf 5")[:6] + bytes(26)):
        assert store.index_of(absent) is None
    store.close()
    assert_all_found(small(backend.open()), done)


def test_a_lookup_in_the_middle_of_a_merge_finds_every_leaf(backend: Backend) -> None:
    store = small(backend.open())
    done, seen_midway = 0, 0
    while done < 600:  # one leaf a batch: a merge moves one source bucket per batch
        grow(store, [b"leaf %d" % done])
        done += 1
        if any(bucket for _, bucket in merges(backend).values()) and done % 5 == 0:
            seen_midway += 1
            assert_all_found(store, done)
            assert store.index_of(leaf(b"leaf %d" % done)) is None
    assert seen_midway > 10


def test_a_repeated_leaf_is_found_at_its_first_index_after_merges(backend: Backend) -> None:
    store = small(backend.open())
    grow(store, [b"twice"] + [b"leaf %d" % i for i in range(1, 300)] + [b"twice"])
    assert merges(backend)[0][0] > 0
    assert store.index_of(leaf(b"twice")) == 0
    assert store.index_of(leaf(b"leaf 299")) == 299


def test_a_log_from_before_the_merged_levels_keeps_working_and_merges_as_it_grows(backend: Backend) -> None:
    """Migration 8 only adds tables: the level-0 index a version-7 database holds is read as it is."""
    assert backend.migrate_to(7) == 7
    size = 300
    old = [b"leaf %d" % i for i in range(size)]
    hashes = b"".join(leaf(e) for e in old)
    backend.many(
        "INSERT INTO leaf_bundles (n, sizes, data, hashes) VALUES (?, ?, ?, ?)",
        bundle_rows(0, old, hashes, None),
    )
    backend.many(
        "INSERT INTO leaf_index (epoch, bucket, data) VALUES (?, ?, ?)", index_buckets(0, hashes, SMALL)
    )
    backend.raw("UPDATE head SET size = ?, root = ? WHERE id = 1", (size, root(size)))
    store = small(backend.open())
    assert versions(backend) == list(range(1, SCHEMA_VERSION + 1))
    assert backend.raw("SELECT count(*) FROM leaf_eras") == [(0,)]
    assert_all_found(store, size)
    grow(store, [b"leaf %d" % i for i in range(size, size + 200)])  # the merges catch up
    assert merges(backend)[0] == (28, 0)  # 31 complete epochs: 7 whole groups of 4 merged
    assert_all_found(store, size + 200)
    assert store.index_of(leaf(b"leaf 500")) is None


MERGER = """
import hashlib, sys
from dojang.adapters.storage import open_store
from dojang.adapters.storage._log import IndexShape
from dojang.core.log import TreeHead
store = open_store(sys.argv[1], schema=sys.argv[2])
store.index_shape = IndexShape(epoch_bits=4, bucket_bits=2, fan_bits=2, top=3)
size = store.head().size
while True:
    names = [b"leaf %d" % i for i in range(size, size + 1 + size % 7)]
    store.integrate(
        taken=[], first_index=size, entries=names, tiles={},
        leaf_hashes=[hashlib.sha256(b"\\x00" + e).digest() for e in names],
        head=TreeHead(size + len(names), b"r" * 32),
    )
    size += len(names)
    print(size, flush=True)
"""


def test_a_sequencer_killed_in_the_middle_of_merges_loses_no_leaf(backend: Backend) -> None:
    backend.open().close()
    child = subprocess.Popen(
        [sys.executable, "-c", MERGER, backend.url, backend.schema], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = 0
    while acknowledged < 1500:
        line = child.stdout.readline()
        assert line, f"the child died early with {child.wait()}"
        acknowledged = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    store = small(backend.open())
    size = store.head().size
    assert size >= acknowledged
    assert_all_found(store, size)
    grow(store, [b"leaf %d" % i for i in range(size, size + 700)])  # the merges resume where they were
    assert_all_found(store, size + 700)


# -- checkpoints -----------------------------------------------------------------------------------


def test_checkpoints_are_stored_per_size_and_the_latest_is_the_largest(store: ScanningLogStore) -> None:
    store.put_checkpoint(10, b"note 10")
    store.put_checkpoint(2, b"note 2")
    assert store.checkpoint_sizes() == [2, 10]
    assert store.checkpoint() == b"note 10"
    assert store.checkpoint(2) == b"note 2"
    assert store.checkpoint(3) is None


def test_the_latest_checkpoint_keeps_the_time_it_was_signed(store: ScanningLogStore) -> None:
    assert store.checkpoint_time() is None
    store.put_checkpoint(2, b"note 2", 1_767_225_600.5)
    store.put_checkpoint(10, b"note 10", 1_767_225_660.25)
    store.put_checkpoint(5, b"note 5")  # an older size, without a time
    assert store.checkpoint_time() == 1_767_225_660.25
    store.put_checkpoint(11, b"note 11")
    assert store.checkpoint_time() is None  # the latest has no time: unknown


def test_put_checkpoint_is_idempotent_for_the_same_note(store: ScanningLogStore) -> None:
    store.put_checkpoint(5, b"note")
    store.put_checkpoint(5, b"note")
    assert store.checkpoint_sizes() == [5]


def test_put_checkpoint_refuses_a_different_note_for_a_stored_size(store: ScanningLogStore) -> None:
    store.put_checkpoint(5, b"note")
    with pytest.raises(ConfigError, match="size 5 already has a different signed note"):
        store.put_checkpoint(5, b"another note")
    assert store.checkpoint(5) == b"note"


# -- outbox ----------------------------------------------------------------------------------------


def test_outbox_add_is_exactly_once_per_kind_and_key(store: ScanningLogStore) -> None:
    store.outbox_add("anchor", "size-10", b"first")
    store.outbox_add("anchor", "size-10", b"second")
    store.outbox_add("confirm", "size-10", b"other kind")
    (item,) = store.outbox_pending("anchor")
    assert (item.kind, item.key, item.payload, item.attempts) == ("anchor", "size-10", b"first", 0)
    assert [i.payload for i in store.outbox_pending("confirm")] == [b"other kind"]


def test_outbox_pending_is_oldest_first_and_limited(store: ScanningLogStore) -> None:
    for n in range(5):
        store.outbox_add("anchor", f"k{n}", b"%d" % n)
    assert [i.key for i in store.outbox_pending("anchor")] == ["k0", "k1", "k2", "k3", "k4"]
    assert [i.key for i in store.outbox_pending("anchor", limit=2)] == ["k0", "k1"]
    assert store.outbox_pending("checkpoint") == []


def test_a_failed_attempt_is_counted_and_leaves_the_item_pending(store: ScanningLogStore) -> None:
    store.outbox_add("anchor", "k", b"p")
    (item,) = store.outbox_pending("anchor")
    store.outbox_attempted(item.id)
    store.outbox_attempted(item.id)
    assert store.outbox_pending("anchor") == [OutboxItem(item.id, "anchor", "k", b"p", 2)]
    assert store.outbox_result("anchor", "k") is None


def test_done_work_leaves_the_queue_and_keeps_its_result(store: ScanningLogStore) -> None:
    store.outbox_add("anchor", "k", b"p")
    (item,) = store.outbox_pending("anchor")
    store.outbox_done(item.id, b"0xabc")
    assert store.outbox_pending("anchor") == []
    assert store.outbox_result("anchor", "k") == b"0xabc"
    store.outbox_done(item.id, b"0xabc")  # a repeated acknowledgement is harmless
    store.outbox_add("anchor", "k", b"again")  # and done work is never queued again
    assert store.outbox_pending("anchor") == []
    assert store.outbox_result("anchor", "unknown") is None


def test_done_work_refuses_a_second_different_result(store: ScanningLogStore) -> None:
    store.outbox_add("anchor", "k", b"p")
    (item,) = store.outbox_pending("anchor")
    store.outbox_done(item.id, b"0xabc")
    with pytest.raises(ConfigError, match="already done with a different result"):
        store.outbox_done(item.id, b"0xdef")
    assert store.outbox_result("anchor", "k") == b"0xabc"


def test_unknown_outbox_items_are_not_found(store: ScanningLogStore) -> None:
    with pytest.raises(NotFoundError):
        store.outbox_attempted(12345)
    with pytest.raises(NotFoundError):
        store.outbox_done(12345, b"x")


# -- migrations ------------------------------------------------------------------------------------


def versions(backend: Backend) -> list[int]:
    return [v for (v,) in backend.raw("SELECT version FROM schema_version ORDER BY version")]


def test_opening_twice_migrates_once(backend: Backend) -> None:
    backend.open().close()
    backend.open().close()
    assert versions(backend) == list(range(1, SCHEMA_VERSION + 1))


def test_an_older_schema_is_upgraded_and_keeps_its_data(backend: Backend) -> None:
    assert backend.migrate_to(1) == 1
    backend.raw("INSERT INTO leaves (idx, entry, leaf_hash) VALUES (0, ?, ?)", (b"old", leaf(b"old")))
    backend.raw("UPDATE head SET size = 1, root = ? WHERE id = 1", (root(1),))
    store = backend.open()
    assert versions(backend) == list(range(1, SCHEMA_VERSION + 1))
    assert store.head() == TreeHead(1, root(1))
    assert store.entries(0, 1) == [b"old"]
    assert store.index_of(leaf(b"old")) == 0
    store.outbox_add("anchor", "k", b"p")  # the outbox came with version 2
    assert len(store.outbox_pending("anchor")) == 1


def test_a_log_in_the_row_per_leaf_layout_is_repacked_and_keeps_working(backend: Backend) -> None:
    """Migration 7: leaves into bundles and the bucket index, pending rows into runs, nothing lost."""
    assert backend.migrate_to(6) == 6
    size = 66_000  # more than one index epoch (65,536 leaves) and a partial last bundle
    old = [b"old entry %d" % i for i in range(size)]
    waiting = [b"pending %d" % i for i in range(300)]
    old_seqs = [3_000_000 + 2 * i for i in range(300)]  # gaps, and above one run's numbers
    backend.many(
        "INSERT INTO leaves (idx, entry, leaf_hash) VALUES (?, ?, ?)",
        [(i, e, leaf(e)) for i, e in enumerate(old)],
    )
    backend.many("INSERT INTO pending (seq, entry) VALUES (?, ?)", list(zip(old_seqs, waiting, strict=True)))
    backend.raw("UPDATE head SET size = ?, root = ? WHERE id = 1", (size, root(size)))
    backend.raw("INSERT INTO checkpoints (size, note) VALUES (?, ?)", (size, b"old note"))
    store = backend.open()
    assert versions(backend) == list(range(1, SCHEMA_VERSION + 1))
    assert store.head() == TreeHead(size, root(size))
    assert store.entries(0, size) == old
    assert (store.checkpoint(), store.checkpoint_time()) == (
        b"old note",
        None,
    )  # signed before times were kept
    for index in (0, 255, 256, 65_535, 65_536, size - 1):
        assert store.index_of(leaf(old[index])) == index
    assert store.index_of(leaf(b"never logged")) is None
    moved = store.pending(1000)
    assert [p.entry for p in moved] == waiting
    assert min(p.seq for p in moved) > max(old_seqs)  # no number is handed out twice
    integrate_pending(store, limit=1000)
    assert store.entries(size, size + 300) == waiting
    assert store.index_of(leaf(waiting[299])) == size + 299
    (later,) = store.add_pending([b"new"])
    assert later > max(p.seq for p in moved)


def test_a_newer_schema_is_refused_and_left_alone(backend: Backend) -> None:
    backend.open().close()
    backend.raw("INSERT INTO schema_version (version, name) VALUES (?, ?)", (SCHEMA_VERSION + 1, "future"))
    with pytest.raises(ConfigError, match=f"expected at most {SCHEMA_VERSION}, found {SCHEMA_VERSION + 1}"):
        backend.open()
    assert versions(backend) == [*range(1, SCHEMA_VERSION + 1), SCHEMA_VERSION + 1]


# -- durability ------------------------------------------------------------------------------------


def test_everything_survives_close_and_reopen(backend: Backend, store: ScanningLogStore) -> None:
    store.add_pending(entries("a", "b", "c"))
    integrate_pending(store, limit=2)
    store.put_checkpoint(2, b"note 2")
    store.outbox_add("anchor", "k", b"p")
    before = snapshot(store)
    store.close()
    assert snapshot(backend.open()) == before
    assert snapshot(store) == before  # a closed store opens again on its next call


ADDER = """
import sys
from dojang.adapters.storage import open_store
store = open_store(sys.argv[1], schema=sys.argv[2])
n = 0
while True:
    store.add_pending([b"entry %d" % i for i in range(n, n + 20)])
    n += 20
    print(n, flush=True)  # acknowledged: add_pending returned
"""


def test_acknowledged_entries_survive_kill_9_mid_stream(backend: Backend) -> None:
    backend.open().close()  # create the schema before the child races to write
    child = subprocess.Popen(
        [sys.executable, "-c", ADDER, backend.url, backend.schema], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 10
    while acknowledged < 400 and time.monotonic() < deadline:
        line = child.stdout.readline()
        assert line, f"the child died early with {child.wait()}"
        acknowledged = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    stored = [p.entry for p in backend.open().pending(10**6)]
    assert acknowledged >= 400
    assert stored[:acknowledged] == [b"entry %d" % i for i in range(acknowledged)]
    assert len(stored) % 20 == 0  # a killed batch is all there or not at all


INTEGRATOR = """
import hashlib, sys
from dojang.adapters.storage import open_store
from dojang.core.log import TileKey, TreeHead
store = open_store(sys.argv[1], schema=sys.argv[2])
while taken := store.pending(100):
    size = store.head().size
    store.integrate(
        taken=[p.seq for p in taken], first_index=size, entries=[p.entry for p in taken],
        leaf_hashes=[hashlib.sha256(p.entry).digest() for p in taken],
        tiles={TileKey(0, size // 256): b"t" * 32}, head=TreeHead(size + len(taken), b"r" * 32),
    )
    print(size + len(taken), flush=True)
"""


def test_a_sequencer_killed_mid_integration_leaves_a_whole_log(backend: Backend) -> None:
    store = backend.open()
    store.add_pending([b"entry %d" % i for i in range(20_000)])
    child = subprocess.Popen(
        [sys.executable, "-c", INTEGRATOR, backend.url, backend.schema], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = 0
    while acknowledged < 1000:
        line = child.stdout.readline()
        assert line, f"the child died early with {child.wait()}"
        acknowledged = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    size = store.head().size
    assert size >= acknowledged
    assert store.entries(0, 20_000) == [b"entry %d" % i for i in range(size)]
    assert [p.entry for p in store.pending(10**6)] == [b"entry %d" % i for i in range(size, 20_000)]


def test_the_sqlite_file_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = open_store(tmp_path / "log.db")
    try:
        assert isinstance(store, sqlite_backend.SqliteLogStore)
        conn = store._connection()
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    finally:
        store.close()
