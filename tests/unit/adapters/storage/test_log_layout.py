"""The packed log layout's pure helpers: entry packing, bundle rows, index buckets, record search."""

from __future__ import annotations

import hashlib

from dojang.adapters.storage._log import (
    BUNDLE,
    EPOCH_BITS,
    bundle_rows,
    find_records,
    index_buckets,
    pack,
    unpack,
)


def digest(i: int) -> bytes:
    return hashlib.sha256(b"%d" % i).digest()


def test_pack_and_unpack_round_trip_any_bytes() -> None:
    entries = [b"", b"\x00", bytes(range(256)), b"x" * 70_000]
    sizes, data = pack(entries)
    assert len(sizes) == 4 * len(entries)
    assert unpack(sizes, data) == entries
    assert unpack(sizes, data, 1, 3) == entries[1:3]
    assert unpack(sizes, data, 2, 99) == entries[2:]


def test_bundle_rows_extend_the_stored_partial_bundle() -> None:
    entries = [b"e%d" % i for i in range(300)]
    hashes = b"".join(digest(i) for i in range(300))
    first = bundle_rows(0, entries[:10], hashes[: 10 * 32], None)
    assert [n for n, *_ in first] == [0]
    (_, sizes, data, leaf) = first[0]
    rows = bundle_rows(10, entries[10:], hashes[10 * 32 :], (sizes, data, leaf))
    assert [n for n, *_ in rows] == [0, 1]
    assert unpack(rows[0][1], rows[0][2]) == entries[:BUNDLE]
    assert rows[0][3] == hashes[: BUNDLE * 32]
    assert unpack(rows[1][1], rows[1][2]) == entries[BUNDLE:]


def test_index_buckets_hold_every_leaf_once_in_its_epoch() -> None:
    first = (1 << EPOCH_BITS) - 100  # the batch crosses into the next epoch
    hashes = [digest(i) for i in range(1_000)]
    rows = index_buckets(first, b"".join(hashes))
    assert sorted({epoch for epoch, _, _ in rows}) == [0, 1]
    assert sum(len(data) for _, _, data in rows) == 8 * len(hashes)
    by_key = {(epoch, bucket): data for epoch, bucket, data in rows}
    for i, h in enumerate(hashes):
        index = first + i
        bucket = int.from_bytes(h[:8], "big") >> 54
        data = by_key[(index >> EPOCH_BITS, bucket)]
        assert index in find_records(data, h, index >> EPOCH_BITS)


def test_find_records_ignores_matches_that_straddle_records() -> None:
    leaf = bytes(range(1, 33))
    # the six hash bytes appear at offset 4, inside two records, but not at a record's start
    data = b"\xff" * 4 + leaf[:6] + b"\x00\x07" + b"\xee" * 4
    assert list(find_records(data, leaf, 0)) == []
    assert list(find_records(data + leaf[:6] + b"\x00\x09", leaf, 2)) == [2 << EPOCH_BITS | 9]
