"""The log store's SQL for both backends: packed pending runs, entry bundles, the leaf-hash index.

Layout (migrations 7 and 8). Every write is one transaction; the per-leaf work is packing bytes, not rows:

``pending_runs``  one row per ``add_pending`` call (split at 2**14 entries): entry sizes (u32 each,
                  big-endian) and the entries concatenated; ``taken`` counts the entries at its start
                  already integrated. Sequence number of entry ``k`` of run ``id``: ``id << 14 | k``.
``leaf_bundles``  integrated entries, 256 per row like C2SP entry bundles: row ``n`` holds indexes
                  ``256 n …``, with their sizes, the entries and their 32-byte leaf hashes; the last,
                  partial row is replaced as the tree grows (as its tiles are).
``leaf_index``    level 0 of the leaf-hash index: (epoch, bucket) rows of 8-byte records, with
                  ``epoch = index >> 16`` and the bucket the hash's top 10 bits; a record is the first
                  6 hash bytes and the leaf's offset in its epoch. A batch's records land in one small
                  partition of the B-tree, so inserting them dirties a bounded set of pages.
``leaf_eras``     the merged levels (migration 8): once 16 consecutive level-``k`` eras (level 0: epochs)
                  are complete they are merged into one level-``k + 1`` era with 16 times the buckets,
                  ``bucket_bits(k) = 10 + 4k``; keyed (level, bucket, era), so a lookup reads each level
                  with one index seek. A merge moves a few source buckets per sequencer batch, inside
                  the batch's transaction; ``leaf_merges`` holds each level's progress.
A lookup reads, in one statement (one snapshot), the hash's bucket in every level-0 epoch still there
(at most 15 complete ones, plus those a merge has not finished with) and in every level of eras (at
most 15 eras each), and checks the full hash of each candidate in its leaf bundle.
"""

from __future__ import annotations

import bisect
import contextlib
import struct
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from dojang.adapters.storage._common import (
    Connected,
    check_integrate,
    iter_batches,
    refuse_checkpoint,
    refuse_result,
    refuse_taken,
)
from dojang.core.log import OutboxItem, PendingBatch, PendingEntry, TileKey, TreeHead
from dojang.errors import ConfigError, NotFoundError

__all__ = [
    "BUNDLE",
    "EPOCH_BITS",
    "MERGE_FACTOR",
    "RUN_BITS",
    "SHAPE",
    "IndexShape",
    "SqlLogStore",
    "append_pending",
    "bundle_rows",
    "find_records",
    "index_buckets",
    "lookup_key",
    "merged_buckets",
    "pack",
    "placeholders",
    "unpack",
]

#: Entries per leaf bundle row (the C2SP entry bundle width).
BUNDLE = 256
#: A run holds at most 2**RUN_BITS entries (a sequencer batch reads at most two); its id, shifted,
#: numbers them.
RUN_BITS = 14
#: Leaves per level-0 partition (epoch) of the leaf-hash index, and buckets per epoch (as bits).
EPOCH_BITS = 16
BUCKET_BITS = 10
#: A sequencer batch of ``n`` leaves also merges about ``MERGE_FACTOR * n`` index records (when a merge
#: is due): more than the merge passes a leaf ever makes (one per level), so merges keep up with the log.
MERGE_FACTOR = 4
_HASH = 32
_WORD = (1 << 64) - 1
_PREFIX = 48  # hash bits a level-0 record keeps; every level is built from them


@dataclass(frozen=True, slots=True)
class IndexShape:
    """The leaf-hash index's geometry. Level ``k`` eras span ``2**span(k)`` leaves in ``2**buckets(k)``
    buckets; ``fan_bits`` says how many eras (as bits) merge into one of the next level; level ``top``
    is never merged. The default is the production layout; tests shrink it to see many merges.
    """

    epoch_bits: int = EPOCH_BITS
    bucket_bits: int = BUCKET_BITS
    fan_bits: int = 4
    top: int = 5

    def span(self, level: int) -> int:
        """Bits of a leaf's offset in its level-``level`` era."""
        return self.epoch_bits + self.fan_bits * level

    def buckets(self, level: int) -> int:
        """Bits of the bucket number: the hash's top bits."""
        return self.bucket_bits + self.fan_bits * level

    def known(self, level: int) -> int:
        """Hash bits a record leaves out because its bucket says them (level 0 keeps them: migration 7)."""
        return self.buckets(level) if level else 0

    def fan(self) -> int:
        return 1 << self.fan_bits


#: The production layout (16 epochs of 65,536 leaves make a level-1 era of 1,048,576 in 16,384 buckets).
SHAPE = IndexShape()

_PUT_INDEX = (
    "INSERT INTO leaf_index (epoch, bucket, data) VALUES (?, ?, ?)"
    " ON CONFLICT (epoch, bucket) DO UPDATE SET data = excluded.data"
)
# One statement, so one snapshot: a merge that commits meanwhile can never hide a leaf. Level 0 is one
# index seek per epoch still there (the epochs drive the loop); each merged level is one seek for the
# bucket, whose eras are adjacent. The database searches each row for the hash's leading record bytes
# and returns only the rows that hold them (``{contains}``: the dialect's search).
_FIND_LEVEL_0 = (
    "WITH RECURSIVE e (n) AS (SELECT min(epoch) FROM leaf_index"
    " UNION ALL SELECT n + 1 FROM e WHERE n < (SELECT max(epoch) FROM leaf_index))"
    " SELECT 0, i.epoch, i.data FROM e CROSS JOIN leaf_index AS i"
    " WHERE i.epoch = e.n AND i.bucket = ? AND {contains}"
)
_FIND_LEVEL = (
    " UNION ALL SELECT i.level, i.era, i.data FROM leaf_eras AS i"
    " WHERE i.level = ? AND i.bucket = ? AND {contains}"
)
_MERGES = "SELECT level, merged, bucket FROM leaf_merges"
_PUT_MERGE = (
    "INSERT INTO leaf_merges (level, merged, bucket) VALUES (?, ?, ?)"
    " ON CONFLICT (level) DO UPDATE SET merged = excluded.merged, bucket = excluded.bucket"
)
_PUT_BUNDLES = (
    "INSERT INTO leaf_bundles (n, sizes, data, hashes) VALUES (?, ?, ?, ?) ON CONFLICT (n) DO UPDATE"
    " SET sizes = excluded.sizes, data = excluded.data, hashes = excluded.hashes"
)


def placeholders(statement: str, mark: str) -> str:
    """``statement`` written with ``?`` marks, in the dialect whose parameter mark is ``mark``.

    Every SQL store shares this: statements are written once, for SQLite, and translated for PostgreSQL.
    """
    return statement if mark == "?" else statement.replace("?", mark)


def append_pending(conn: Any, mark: str, entries: Sequence[bytes]) -> list[int]:
    """Append ``entries`` to the log's pending runs inside the caller's transaction; their sequence numbers.

    The one place that writes ``pending_runs``: the log store's ``add_pending`` and the status store
    (a status change and its log entry commit together) both call it. ``mark`` is the dialect's
    placeholder.
    """
    insert = placeholders("INSERT INTO pending_runs (count, sizes, data) VALUES (?, ?, ?) RETURNING id", mark)
    seqs: list[int] = []
    for start in range(0, len(entries), 1 << RUN_BITS):
        chunk = entries[start : start + (1 << RUN_BITS)]
        (run,) = conn.execute(insert, (len(chunk), *pack(chunk))).fetchone()
        seqs.extend(range(run << RUN_BITS, (run << RUN_BITS) + len(chunk)))
    return seqs


def pack(entries: Sequence[bytes]) -> tuple[bytes, bytes]:
    """Entries as (sizes, data): one big-endian u32 per entry, then the entries concatenated."""
    return struct.pack(f">{len(entries)}I", *map(len, entries)), b"".join(entries)


def unpack(sizes: bytes, data: bytes, start: int = 0, stop: int | None = None) -> list[bytes]:
    """Entries ``start…stop`` of a packed (sizes, data) pair."""
    last = len(sizes) // 4 if stop is None else min(stop, len(sizes) // 4)
    offsets = list(accumulate(struct.unpack_from(f">{last}I", sizes), initial=0))
    return [data[offsets[i] : offsets[i + 1]] for i in range(start, last)]


def index_buckets(first: int, hashes: bytes, shape: IndexShape = SHAPE) -> list[tuple[int, int, bytes]]:
    """``leaf_index`` rows (epoch, bucket, records) for leaves ``first…`` with these concatenated hashes.

    A record is 8 bytes: the hash's first 6 bytes, then the leaf's offset in its epoch (u16, big-endian).
    The bucket is the hash's top ``bucket_bits`` bits. Grouping is one sort of integers, not a row each.
    """
    words = struct.unpack(f">{len(hashes) // 8}Q", hashes)[::4]
    rows: list[tuple[int, int, bytes]] = []
    shift, done, width = 64 - shape.bucket_bits, 0, 1 << shape.epoch_bits
    while done < len(words):
        epoch, offset = divmod(first + done, width)
        stop = min(len(words), done + width - offset)
        offsets = range(offset, offset + stop - done)
        records = sorted([(w & ~0xFFFF) | o for w, o in zip(words[done:stop], offsets, strict=True)])
        packed = struct.pack(f">{len(records)}Q", *records)
        position = 0
        while position < len(records):
            bucket = records[position] >> shift
            end = bisect.bisect_left(records, (bucket + 1) << shift, position)
            rows.append((epoch, bucket, packed[position * 8 : end * 8]))
            position = end
        done = stop
    return rows


def lookup_key(leaf_hash: bytes, level: int, shape: IndexShape = SHAPE) -> tuple[int, int]:
    """(bucket, needle) of a hash at ``level``: a record matches if its bits above the offset are these."""
    word = int.from_bytes(leaf_hash[:6], "big") << (64 - _PREFIX)
    return word >> (64 - shape.buckets(level)), (word << shape.known(level)) & _WORD


def find_records(
    data: bytes, leaf_hash: bytes, level: int, era: int, shape: IndexShape = SHAPE
) -> Iterator[int]:
    """Leaf indexes of the records in one bucket row of ``era`` at ``level`` that match ``leaf_hash``."""
    _, needle = lookup_key(leaf_hash, level, shape)
    span = shape.span(level)
    mask = (1 << span) - 1
    prefix = needle.to_bytes(8, "big")[: (_PREFIX - shape.known(level)) // 8]
    position = data.find(prefix)
    while position >= 0:
        if position % 8 == 0:
            (word,) = struct.unpack_from(">Q", data, position)
            if word & ~mask == needle:
                yield era << span | word & mask
        position = data.find(prefix, position + 1)


def merged_buckets(
    level: int, sources: Iterable[tuple[int, int, bytes]], shape: IndexShape = SHAPE
) -> list[tuple[int, bytes]]:
    """The level-``level + 1`` rows (bucket, records) merging level-``level`` rows (era, bucket, records).

    The sources are whole buckets of the ``fan`` eras that make one era of the next level; the result
    holds every record once, sorted, with the era's offset widened by ``fan_bits``. Each record becomes
    one integer ``bucket << 64 | record``, so the merge is one sort.
    """
    span, shift = shape.span(level), shape.known(level + 1) - shape.known(level)
    mask, fan = (1 << span) - 1, shape.fan() - 1
    high = ~mask & _WORD
    keys: list[int] = []
    for era, bucket, data in sources:
        base = (bucket << (64 + shift) if level else 0) | (era & fan) << span
        words = struct.unpack(f">{len(data) // 8}Q", data)
        keys.extend([base | (w & high) << shift | w & mask for w in words])
    keys.sort()
    rows, position = [], 0
    while position < len(keys):
        bucket = keys[position] >> 64
        end = bisect.bisect_left(keys, (bucket + 1) << 64, position)
        rows.append((bucket, struct.pack(f">{end - position}Q", *(k & _WORD for k in keys[position:end]))))
        position = end
    return rows


def bundle_rows(
    first: int, entries: Sequence[bytes], hashes: bytes, tail: tuple[bytes, bytes, bytes] | None
) -> list[tuple[int, bytes, bytes, bytes]]:
    """``leaf_bundles`` rows for leaves ``first…``; ``tail`` is the stored partial bundle they extend."""
    rows = []
    n, offset = divmod(first, BUNDLE)
    position = 0
    while position < len(entries):
        count = min(BUNDLE - offset, len(entries) - position)
        chunk = entries[position : position + count]
        sizes, data = pack(chunk)
        leaf = hashes[position * _HASH : (position + count) * _HASH]
        if offset and tail is not None:
            sizes, data, leaf = tail[0] + sizes, tail[1] + data, tail[2] + leaf
        rows.append((n, sizes, data, leaf))
        n, offset, position = n + 1, 0, position + count
    return rows


class SqlLogStore(Connected[Any]):
    """The ``LogStore`` port in SQL shared by SQLite and PostgreSQL; subclasses own the connection.

    They set ``_mark`` (the parameter mark), ``_for_update`` (`` FOR UPDATE`` where rows must be
    locked) and ``_contains`` (a search of a bucket row for a byte string), and implement ``_write``,
    ``_read`` and ``_tiles_query``.
    """

    _mark = "?"
    _for_update = ""
    _contains = "instr(i.data, ?) > 0"
    #: The leaf-hash index's geometry; a database keeps the one it was built with (tests shrink it).
    index_shape = SHAPE

    def _q(self, statement: str) -> str:
        return placeholders(statement, self._mark)

    @abstractmethod
    def _write(self) -> contextlib.AbstractContextManager[Any]:
        """One write transaction (taking the write lock up front)."""

    @abstractmethod
    def _read(self) -> contextlib.AbstractContextManager[Any]:
        """The connection, for reads."""

    @abstractmethod
    def _tiles_query(self, keys: list[TileKey]) -> tuple[str, tuple[Any, ...]]:
        """The statement and parameters reading these tiles in one round trip."""

    # -- pending entries and integration -----------------------------------------------------------

    def add_pending(self, entries: Sequence[bytes]) -> list[int]:
        if not entries:
            return []
        with self._write() as conn:
            return append_pending(conn, self._mark, entries)

    def pending(self, limit: int) -> list[PendingEntry]:
        batch = self.pending_batch(limit)
        return [PendingEntry(seq, entry) for seq, entry in zip(batch.seqs, batch.entries, strict=True)]

    def pending_batch(self, limit: int) -> PendingBatch:
        seqs: list[int] = []
        entries: list[bytes] = []
        if limit < 1:
            return PendingBatch(seqs, entries)
        with self._read() as conn:
            runs = self._oldest_runs(conn, limit)
            if not runs:
                return PendingBatch(seqs, entries)
            rows = conn.execute(
                self._q(
                    "SELECT id, taken, sizes, data FROM pending_runs WHERE id >= ? AND id <= ? ORDER BY id"
                ),
                (runs[0][0], runs[-1][0]),
            ).fetchall()
        for run, taken, sizes, data in rows:
            got = unpack(bytes(sizes), bytes(data), taken, taken + limit - len(entries))
            first = (run << RUN_BITS) + taken
            seqs.extend(range(first, first + len(got)))
            entries.extend(got)
        return PendingBatch(seqs, entries)

    def _oldest_runs(self, conn: Any, limit: int, lock: str = "") -> list[tuple[int, int, int]]:
        """(id, taken, count) of the oldest pending runs that hold the first ``limit`` entries."""
        rows = conn.execute(
            self._q(
                "SELECT id, taken, count FROM pending_runs WHERE id IN"  # noqa: S608 - a constant suffix
                f" (SELECT id FROM pending_runs ORDER BY id LIMIT ?) ORDER BY id{lock}"
            ),
            (limit,),
        ).fetchall()
        runs, held = [], 0
        for run, taken, count in rows:
            runs.append((int(run), int(taken), int(count)))
            held += count - taken
            if held >= limit:
                break
        return runs

    def integrate(
        self,
        *,
        taken: Sequence[int],
        first_index: int,
        entries: Sequence[bytes],
        leaf_hashes: Sequence[bytes],
        tiles: Mapping[TileKey, bytes],
        head: TreeHead,
    ) -> None:
        hashes = _joined_hashes(leaf_hashes)
        with self._write() as conn:
            (size,) = conn.execute(f"SELECT size FROM head WHERE id = 1{self._for_update}").fetchone()  # noqa: S608 - a constant suffix
            check_integrate(
                size=size, first_index=first_index, entries=entries, leaf_hashes=leaf_hashes, head=head
            )
            self._take(conn, taken)
            self._put_leaves(conn, first_index, entries, hashes)
            self._merge(conn, head.size, MERGE_FACTOR * len(entries))
            conn.cursor().executemany(
                self._q(
                    "INSERT INTO tiles (level, idx, data) VALUES (?, ?, ?)"
                    " ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data"
                ),
                [(key.level, key.index, data) for key, data in tiles.items()],
            )
            conn.execute(self._q("UPDATE head SET size = ?, root = ? WHERE id = 1"), (head.size, head.root))

    def _take(self, conn: Any, taken: Sequence[int]) -> None:
        """Remove ``taken`` from pending: it must be the oldest pending entries, in order."""
        if not taken:
            return
        rows = self._oldest_runs(conn, len(taken), self._for_update)
        expected: list[int] = []
        done_upto, partial = None, None
        for run, skip, count in rows:
            k = min(count - skip, len(taken) - len(expected))
            first = (run << RUN_BITS) + skip
            expected.extend(range(first, first + k))
            if skip + k == count:
                done_upto = run
            else:
                partial = (skip + k, run)
            if len(expected) == len(taken):
                break
        if list(taken) != expected:
            raise refuse_taken(taken, len(set(taken) & set(expected)))
        if done_upto is not None:
            conn.execute(self._q("DELETE FROM pending_runs WHERE id <= ?"), (done_upto,))
        if partial is not None:
            conn.execute(self._q("UPDATE pending_runs SET taken = ? WHERE id = ?"), partial)

    def _put_leaves(self, conn: Any, first: int, entries: Sequence[bytes], hashes: bytes) -> None:
        if not entries:
            return
        tail = None
        if first % BUNDLE:
            row = conn.execute(
                self._q("SELECT sizes, data, hashes FROM leaf_bundles WHERE n = ?"), (first // BUNDLE,)
            ).fetchone()
            tail = None if row is None else (bytes(row[0]), bytes(row[1]), bytes(row[2]))
        conn.cursor().executemany(self._q(_PUT_BUNDLES), bundle_rows(first, entries, hashes, tail))
        rows = index_buckets(first, hashes, self.index_shape)
        for epoch in sorted({row[0] for row in rows}):
            # the epoch's rows so far (at most 2**BUCKET_BITS short ones) get the new records appended
            stored = dict(
                conn.execute(
                    self._q("SELECT bucket, data FROM leaf_index WHERE epoch = ?"), (epoch,)
                ).fetchall()
            )
            if stored:
                rows = [
                    (e, b, bytes(stored[b]) + data if e == epoch and b in stored else data)
                    for e, b, data in rows
                ]
        conn.cursor().executemany(self._q(_PUT_INDEX), rows)

    def _merge(self, conn: Any, size: int, budget: int) -> None:
        """Merge about ``budget`` records of complete eras into the next level, lowest level first.

        A step moves whole source buckets (their rows in all ``fan`` eras) into the buckets they split
        into at the next level and records the progress, all in the caller's transaction: a crash
        undoes the step with the batch, and the next batch resumes from ``leaf_merges``.
        """
        shape = self.index_shape
        # records in one source bucket of all fan eras: about 2**(epoch_bits - bucket_bits) per era
        per_bucket = 1 << (shape.epoch_bits - shape.bucket_bits + shape.fan_bits)
        state = {int(lv): (int(m), int(b)) for lv, m, b in conn.execute(_MERGES).fetchall()}
        level = 0
        while budget > 0 and level < shape.top:
            merged, bucket = state.get(level, (0, 0))
            complete = (
                size >> shape.span(0) if level == 0 else state.get(level - 1, (0, 0))[0] >> shape.fan_bits
            )
            if merged + shape.fan() > complete:
                level += 1
                continue
            stop = min(bucket + max(1, budget // per_bucket), 1 << shape.buckets(level))
            self._merge_step(conn, level, merged, bucket, stop)
            budget -= (stop - bucket) * per_bucket
            state[level] = (merged + shape.fan(), 0) if stop == 1 << shape.buckets(level) else (merged, stop)
            conn.execute(self._q(_PUT_MERGE), (level, *state[level]))

    def _merge_step(self, conn: Any, level: int, first_era: int, low: int, high: int) -> None:
        """Buckets ``low…high - 1`` of the level-``level`` eras ``first_era…`` into one era above."""
        shape = self.index_shape
        fan = shape.fan()
        if level == 0:  # one seek per epoch: the primary key is (epoch, bucket)
            where = f"epoch IN ({', '.join('?' * fan)}) AND bucket >= ? AND bucket < ?"
            params: tuple[int, ...] = (*range(first_era, first_era + fan), low, high)
            select = f"SELECT epoch, bucket, data FROM leaf_index WHERE {where}"  # noqa: S608 - placeholders
        else:  # one range: the primary key is (level, bucket, era)
            where = "level = ? AND bucket >= ? AND bucket < ? AND era >= ? AND era < ?"
            params = (level, low, high, first_era, first_era + fan)
            select = f"SELECT era, bucket, data FROM leaf_eras WHERE {where}"  # noqa: S608 - a constant
        sources = conn.execute(self._q(select), params).fetchall()
        rows = merged_buckets(level, ((int(e), int(b), bytes(d)) for e, b, d in sources), shape)
        era = first_era >> shape.fan_bits
        conn.cursor().executemany(
            self._q("INSERT INTO leaf_eras (level, bucket, era, data) VALUES (?, ?, ?, ?)"),
            [(level + 1, bucket, era, data) for bucket, data in rows],
        )
        table = "leaf_index" if level == 0 else "leaf_eras"
        conn.execute(self._q(f"DELETE FROM {table} WHERE {where}"), params)  # noqa: S608 - constants

    # -- the tree ----------------------------------------------------------------------------------

    def head(self) -> TreeHead:
        with self._read() as conn:
            row = conn.execute("SELECT size, root FROM head WHERE id = 1").fetchone()
        if row is None:
            raise ConfigError(f"{self!r} has no head row: the schema is damaged")
        return TreeHead(int(row[0]), bytes(row[1]))

    def tiles(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        wanted = list(keys)
        if not wanted:
            return {}
        statement, params = self._tiles_query(wanted)
        with self._read() as conn:
            rows = conn.execute(statement, params).fetchall()
        return {TileKey(level, index): bytes(data) for level, index, data in rows}

    def entries(self, start: int, stop: int) -> list[bytes]:
        start = max(start, 0)
        if stop <= start:
            return []
        with self._read() as conn:
            rows = conn.execute(
                self._q("SELECT n, sizes, data FROM leaf_bundles WHERE n >= ? AND n <= ? ORDER BY n"),
                (start // BUNDLE, (stop - 1) // BUNDLE),
            ).fetchall()
        found: list[bytes] = []
        for n, sizes, data in rows:
            low = max(start - n * BUNDLE, 0)
            found.extend(unpack(bytes(sizes), bytes(data), low, stop - n * BUNDLE))
        return found

    def iter_entries(self, start: int, stop: int, batch: int = 10_000) -> Iterator[bytes]:
        """Entries with index in ``[start, stop)``, in order, read ``batch`` rows at a time."""
        return iter_batches(self.entries, start, stop, batch)

    def index_of(self, leaf_hash: bytes) -> int | None:
        if len(leaf_hash) != _HASH:
            return None
        shape = self.index_shape
        params: list[Any] = []
        for level in range(shape.top + 1):
            bucket, needle = lookup_key(leaf_hash, level, shape)
            prefix = needle.to_bytes(8, "big")[: (_PREFIX - shape.known(level)) // 8]
            params.extend((bucket, prefix) if level == 0 else (level, bucket, prefix))
        statement = _FIND_LEVEL_0 + _FIND_LEVEL * shape.top
        with self._read() as conn:
            rows = conn.execute(self._q(statement.format(contains=self._contains)), params).fetchall()
            found = sorted(
                i
                for level, era, data in rows
                for i in find_records(bytes(data), leaf_hash, level, era, shape)
            )
            for index in found:  # 48 bits matched: almost always the first candidate is the leaf
                row = conn.execute(
                    self._q("SELECT hashes FROM leaf_bundles WHERE n = ?"), (index // BUNDLE,)
                ).fetchone()
                at = index % BUNDLE * _HASH
                if row is not None and bytes(row[0])[at : at + _HASH] == leaf_hash:
                    return index
        return None

    # -- checkpoints -------------------------------------------------------------------------------

    def put_checkpoint(self, size: int, note: bytes, time: float | None = None) -> None:
        with self._write() as conn:
            added = conn.execute(
                self._q(
                    "INSERT INTO checkpoints (size, note, time) VALUES (?, ?, ?)"
                    " ON CONFLICT (size) DO NOTHING"
                ),
                (size, note, time),
            )
            if added.rowcount == 0:
                row = conn.execute(self._q("SELECT note FROM checkpoints WHERE size = ?"), (size,)).fetchone()
                if row is None or bytes(row[0]) != bytes(note):
                    raise refuse_checkpoint(size)

    def checkpoint(self, size: int | None = None) -> bytes | None:
        with self._read() as conn:
            if size is None:
                row = conn.execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
            else:
                row = conn.execute(self._q("SELECT note FROM checkpoints WHERE size = ?"), (size,)).fetchone()
        return None if row is None else bytes(row[0])

    def checkpoint_time(self) -> float | None:
        with self._read() as conn:
            row = conn.execute("SELECT time FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def checkpoint_sizes(self) -> list[int]:
        with self._read() as conn:
            rows = conn.execute("SELECT size FROM checkpoints ORDER BY size").fetchall()
        return [int(size) for (size,) in rows]

    # -- outbox ------------------------------------------------------------------------------------

    def outbox_add(self, kind: str, key: str, payload: bytes) -> None:
        with self._write() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO outbox (kind, key, payload) VALUES (?, ?, ?)"
                    " ON CONFLICT (kind, key) DO NOTHING"
                ),
                (kind, key, payload),
            )

    def outbox_pending(self, kind: str, limit: int = 100) -> list[OutboxItem]:
        with self._read() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT id, kind, key, payload, attempts FROM outbox WHERE kind = ? AND done = FALSE"
                    " ORDER BY id LIMIT ?"
                ),
                (kind, limit),
            ).fetchall()
        return [OutboxItem(int(i), k, key, bytes(p), int(a)) for i, k, key, p, a in rows]

    def outbox_attempted(self, item_id: int) -> None:
        with self._write() as conn:
            counted = conn.execute(
                self._q("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?"), (item_id,)
            )
            if counted.rowcount == 0:
                raise NotFoundError(f"no outbox item {item_id}")

    def outbox_done(self, item_id: int, result: bytes) -> None:
        with self._write() as conn:
            row = conn.execute(
                self._q(f"SELECT done, result FROM outbox WHERE id = ?{self._for_update}"),  # noqa: S608 - a constant suffix
                (item_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no outbox item {item_id}")
            if row[0]:
                if bytes(row[1]) != bytes(result):
                    raise refuse_result(item_id)
                return
            conn.execute(self._q("UPDATE outbox SET done = TRUE, result = ? WHERE id = ?"), (result, item_id))

    def outbox_result(self, kind: str, key: str) -> bytes | None:
        with self._read() as conn:
            row = conn.execute(
                self._q("SELECT result FROM outbox WHERE kind = ? AND key = ? AND done = TRUE"), (kind, key)
            ).fetchone()
        return None if row is None else bytes(row[0])


def _joined_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The leaf hashes concatenated; refuses anything but 32 bytes each (the bundles rely on it)."""
    try:
        joined = b"".join(leaf_hashes)
    except TypeError:
        joined = b""
    if len(joined) != _HASH * len(leaf_hashes) or set(map(len, leaf_hashes)) - {_HASH}:
        raise ConfigError(
            f"integrate refused: leaf hashes must be {_HASH} bytes each "
            f"(expected {_HASH * len(leaf_hashes)} bytes in all, given another shape)"
        )
    return joined
