"""Random index allocation: never repeats, fills a list completely, then refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from status_support import fixed_rng

from dojang.core.status import (
    DEFAULT_SIZE,
    StatusList,
    StatusListFullError,
    allocate_index,
    mark_used,
)
from dojang.errors import InputError


@pytest.mark.parametrize("size", [1, 2, 3, 8, 100, 128, 1000])
def test_fills_a_small_list_completely_then_refuses_set(size: int) -> None:
    rng = fixed_rng(size)
    used: set[int] = set()
    for _ in range(size):
        idx = allocate_index(used, size, rng)
        assert 0 <= idx < size
        assert idx not in used
        used.add(idx)
    assert used == set(range(size))
    with pytest.raises(StatusListFullError):
        allocate_index(used, size, rng)


@pytest.mark.parametrize("size", [8, 64, 1000])
def test_fills_a_small_list_completely_then_refuses_bitmap(size: int) -> None:
    rng = fixed_rng(size)
    bitmap = bytearray((size + 7) // 8)
    seen = []
    for _ in range(size):
        idx = allocate_index(bytes(bitmap), size, rng)
        mark_used(bitmap, idx)
        seen.append(idx)
    assert sorted(seen) == list(range(size))
    with pytest.raises(StatusListFullError):
        allocate_index(bitmap, size, rng)


def test_bitmap_is_a_1_bit_status_list() -> None:
    used = StatusList(1, 64)
    for idx in range(64):
        if idx != 37:
            used.set(idx, 1)
    assert allocate_index(used.to_bytes(), 64, fixed_rng(1)) == 37


@settings(max_examples=50, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32), st.sets(st.integers(min_value=0, max_value=299), max_size=299)
)
def test_never_returns_a_used_index(seed: int, used: set[int]) -> None:
    idx = allocate_index(used, 300, fixed_rng(seed))
    assert 0 <= idx < 300
    assert idx not in used


def test_spread_over_a_default_list() -> None:
    rng = fixed_rng(7)
    used: set[int] = set()
    for _ in range(2000):
        used.add(allocate_index(used, DEFAULT_SIZE, rng))
    assert len(used) == 2000
    # Uniform draws: each eighth of the list gets about 250 of 2000.
    eighths = [sum(1 for i in used if i * 8 // DEFAULT_SIZE == part) for part in range(8)]
    assert all(180 < n < 320 for n in eighths), eighths


def test_scan_takes_over_when_draws_keep_failing() -> None:
    size = 256
    used = set(range(size)) - {200}
    assert allocate_index(used, size, lambda n: b"\x00" * n) == 200  # every draw hits index 0


def test_draws_use_the_rng_and_nothing_else() -> None:
    first = [allocate_index(set(), DEFAULT_SIZE, fixed_rng(3)) for _ in range(3)]
    assert len(set(first)) == 1


@pytest.mark.parametrize("size", [0, -1, True, 2.0])
def test_bad_size(size: int) -> None:
    with pytest.raises(InputError):
        allocate_index(set(), size, fixed_rng(1))


def test_short_bitmap_and_double_marking() -> None:
    with pytest.raises(InputError, match="needs 2 bytes"):
        allocate_index(b"\x00", 16, fixed_rng(1))
    bitmap = bytearray(2)
    mark_used(bitmap, 15)
    with pytest.raises(InputError, match="already marked"):
        mark_used(bitmap, 15)
    with pytest.raises(InputError, match="outside"):
        mark_used(bitmap, 16)
