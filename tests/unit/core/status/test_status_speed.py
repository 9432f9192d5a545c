"""Lookups from a cached decoded list are a bit read: far above the 100,000/s the issue asks for."""

from __future__ import annotations

import time

from dojang.core.status import DEFAULT_SIZE, StatusList


def test_lookup_rate_from_a_cached_list() -> None:
    status_list = StatusList(2, DEFAULT_SIZE)
    decoded = StatusList.decode(status_list.encode(), 2)
    get = decoded.get
    indexes = range(0, DEFAULT_SIZE, 3)
    start = time.perf_counter()
    for idx in indexes:
        get(idx)
    rate = len(indexes) / (time.perf_counter() - start)
    # Typically millions per second; the floor is the requirement, with room for a busy machine.
    assert rate > 100_000, f"{rate:,.0f} lookups/s"
