"""The packed log layout's pure helpers: entry packing, bundle rows, index buckets, merges, record search."""

from __future__ import annotations

import hashlib

import pytest

from dojang.adapters.storage._log import (
    BUNDLE,
    EPOCH_BITS,
    SHAPE,
    IndexShape,
    bundle_rows,
    find_records,
    index_buckets,
    lookup_key,
    merged_buckets,
    pack,
    unpack,
)

SMALL = IndexShape(epoch_bits=4, bucket_bits=2, fan_bits=2, top=3)


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
        assert index in find_records(data, h, 0, index >> EPOCH_BITS)


def test_find_records_ignores_matches_that_straddle_records() -> None:
    leaf = bytes(range(1, 33))
    # the six hash bytes appear at offset 4, inside two records, but not at a record's start
    data = b"\xff" * 4 + leaf[:6] + b"\x00\x07" + b"\xee" * 4
    assert list(find_records(data, leaf, 0, 0)) == []
    assert list(find_records(data + leaf[:6] + b"\x00\x09", leaf, 0, 2)) == [2 << EPOCH_BITS | 9]


def merge_up(shape: IndexShape, size: int, hashes: list[bytes]) -> dict[tuple[int, int, int], bytes]:
    """Every leaf's records, merged as far up as whole groups allow: {(level, era, bucket): records}."""
    rows = {(0, e, b): d for e, b, d in index_buckets(0, b"".join(hashes[:size]), shape)}
    for level in range(shape.top):
        eras = sorted({era for lv, era, _ in rows if lv == level})
        for group in range(len(eras) // shape.fan()):
            if (group + 1) << shape.span(level + 1) > size:
                break
            members = range(group * shape.fan(), (group + 1) * shape.fan())
            sources = [
                (e, b, rows.pop((level, e, b))) for (lv, e, b) in list(rows) if lv == level and e in members
            ]
            for bucket, data in merged_buckets(level, sources, shape):
                rows[(level + 1, group, bucket)] = data
    return rows


def test_lookup_key_names_the_bucket_by_the_hash_top_bits_at_every_level() -> None:
    h = digest(7)
    top = int.from_bytes(h[:8], "big")
    for level in range(SHAPE.top + 1):
        bucket, needle = lookup_key(h, level)
        assert bucket == top >> (64 - SHAPE.buckets(level))
        assert needle & ((1 << SHAPE.span(level)) - 1) == 0  # the offset's bits are free


@pytest.mark.parametrize("shape", [SMALL, IndexShape(epoch_bits=6, bucket_bits=3, fan_bits=1, top=4)])
def test_merged_levels_hold_every_leaf_once_and_find_it_at_its_index(shape: IndexShape) -> None:
    # two eras at the top, then one complete era at every level below and a partial epoch
    size = (2 << shape.span(shape.top)) + sum(1 << shape.span(level) for level in range(shape.top)) + 5
    hashes = [digest(i) for i in range(size)]
    rows = merge_up(shape, size, hashes)
    assert {level for level, _, _ in rows} == set(range(shape.top + 1))
    assert sum(len(data) for data in rows.values()) == 8 * size
    for level, _, _ in rows:
        assert level < shape.top or len({e for lv, e, _ in rows if lv == level}) == 2
    for index, h in enumerate(hashes):
        found = [
            i
            for (level, era, bucket), data in rows.items()
            if bucket == lookup_key(h, level, shape)[0]
            for i in find_records(data, h, level, era, shape)
        ]
        assert found == [index]


def test_a_merged_row_is_sorted_and_splits_its_source_bucket_by_fan() -> None:
    size = 1 << SMALL.span(1)
    rows = index_buckets(0, b"".join(digest(i) for i in range(size)), SMALL)
    merged = merged_buckets(0, [r for r in rows if r[1] == 1], SMALL)
    assert {bucket >> SMALL.fan_bits for bucket, _ in merged} == {1}
    for _, data in merged:
        words = [int.from_bytes(data[i : i + 8], "big") for i in range(0, len(data), 8)]
        assert words == sorted(words)


def test_find_records_rejects_a_record_matching_only_the_leading_bytes() -> None:
    h = digest(3)
    _bucket, needle = lookup_key(h, 2)
    near = (needle ^ (1 << SHAPE.span(2))) | 5  # the lowest hash bit kept differs
    assert list(find_records(near.to_bytes(8, "big"), h, 2, 1)) == []
    assert list(find_records((needle | 5).to_bytes(8, "big"), h, 2, 1)) == [1 << SHAPE.span(2) | 5]
