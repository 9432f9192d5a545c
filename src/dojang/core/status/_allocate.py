"""Random index allocation for herd privacy (draft-ietf-oauth-status-list-18 §12.5, §13.2, §13.3).

Each credential gets a uniformly random, never reused index, so that neither the index nor the
order of issuance tells anything about the holder. The function is pure: the caller passes the set
of indexes already handed out (a ``set[int]`` or a bitmap, see below), the list size and the random
source, persists the result, and never calls it twice for one credential without persisting between.

Strategy. Up to ``attempts`` (default 64) uniform draws by rejection sampling: take the smallest
number of random bits covering ``size``, reject values ``>= size`` (never, for a power-of-two size
such as the default 131,072) and values already used. With a fraction ``f`` of the list in use a
draw fails with probability ``f``, so all 64 fail with probability ``f**64``: below 10⁻¹⁹ at half
full, 0.12 % at 90 % full. Only then does a linear scan run, from a random start, wrapping round,
and return the first free index (uniform start, so still unpredictable; at worst one pass over the
list, ~131,072 membership tests). A list with no free index raises :class:`StatusListFullError`.
Issuers should open the next list well before that (say at 75 %), which keeps the scan theoretical.

The bitmap form is ``ceil(size / 8)`` bytes with index ``i`` used when bit ``i % 8`` (least
significant first) of byte ``i // 8`` is set: the packing of a 1-bit status list, so
``StatusList(1, size)`` with used entries set to 1 is a ready-made store for it.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Protocol, TypeAlias

from dojang.core.crypto import Rng
from dojang.core.status._reference import StatusListFullError
from dojang.errors import InputError

__all__ = ["DRAW_ATTEMPTS", "UsedIndexes", "allocate_index", "draw_indexes", "mark_used"]

#: Random draws before the fallback scan; see the module docstring for the failure probability.
DRAW_ATTEMPTS = 64

#: The indexes already handed out: a set, or a bitmap with one bit per index (LSB first).
UsedIndexes: TypeAlias = Set[int] | bytes | bytearray


class _IsUsed(Protocol):
    def __call__(self, idx: int, /) -> bool: ...


def _membership(used: UsedIndexes, size: int) -> _IsUsed:
    if isinstance(used, bytes | bytearray):
        if len(used) < (size + 7) // 8:
            raise InputError(f"a used-index bitmap for {size} entries needs {(size + 7) // 8} bytes")
        # Read in place, not copied: draw_indexes marks each draw in the same bitmap between draws.
        return lambda idx: bool(used[idx >> 3] >> (idx & 7) & 1)
    return used.__contains__


def _draw(size: int, rng: Rng) -> int:
    """One uniform draw in ``[0, 2**nbits)`` where ``2**nbits`` is the smallest power of two ≥ ``size``."""
    nbits = (size - 1).bit_length()
    raw = rng(max(1, (nbits + 7) // 8))
    return int.from_bytes(raw, "little") & ((1 << nbits) - 1)


def allocate_index(used: UsedIndexes, size: int, rng: Rng, *, attempts: int = DRAW_ATTEMPTS) -> int:
    """A uniformly random index in ``[0, size)`` not in ``used``; StatusListFullError if none is left."""
    if type(size) is not int or size < 1:
        raise InputError(f"status list size must be a positive integer, found {size!r}")
    is_used = _membership(used, size)
    candidate = 0
    for _ in range(attempts):
        candidate = _draw(size, rng)
        if candidate < size and not is_used(candidate):
            return candidate
    start = candidate % size
    for offset in range(size):
        idx = (start + offset) % size
        if not is_used(idx):
            return idx
    raise StatusListFullError(f"all {size} indexes of the status list are in use")


def draw_indexes(used: bytearray, size: int, count: int, rng: Rng) -> list[int]:
    """``count`` distinct indexes, each a uniformly random one of those still unused when it is drawn,
    marked in ``used`` as drawn and returned **in draw order**.

    A block drawn this way is ``count`` independent draws of :func:`allocate_index`, not a range: an
    issuer may reserve it at once and hand its indexes out one by one, in this order, and each
    credential's index is as random as if it had been drawn alone. Never sort a block before handing
    it out: sorted, the order of issuance would show in the indexes.
    """
    drawn: list[int] = []
    for _ in range(count):
        idx = allocate_index(used, size, rng)
        mark_used(used, idx)
        drawn.append(idx)
    return drawn


def mark_used(bitmap: bytearray, idx: int) -> None:
    """Record ``idx`` as handed out in a bitmap (the persisted form of ``used``)."""
    if type(idx) is not int or not 0 <= idx < len(bitmap) * 8:
        raise InputError(f"index {idx!r} is outside the bitmap of {len(bitmap) * 8} entries")
    if bitmap[idx >> 3] >> (idx & 7) & 1:
        # Double allocation would give two credentials one identity on the list (§13.3): refuse loudly.
        raise InputError(f"index {idx} is already marked as used")
    bitmap[idx >> 3] |= 1 << (idx & 7)
