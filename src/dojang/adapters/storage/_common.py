"""What both SQL backends share: the checks that guard ``integrate``, refusals, batching, the scan port."""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from dojang.core.log import LogStore, TreeHead
from dojang.errors import ConfigError, InputError

__all__ = [
    "Connected",
    "ScanningLogStore",
    "check_integrate",
    "is_run",
    "iter_batches",
    "refuse_checkpoint",
    "refuse_result",
    "refuse_taken",
]


class _Closable(Protocol):
    def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)


class Connected(ABC, Generic[_C]):
    """One connection per store, behind a lock, opened on first use and again after ``close()``.

    Subclasses set ``_conn = None`` and ``_lock`` in their constructor and implement ``_connection``.
    """

    _conn: _C | None
    _lock: threading.RLock

    @abstractmethod
    def _connection(self) -> _C:
        """The open connection, connecting (and migrating) first when there is none."""

    def _opening(self) -> contextlib.AbstractContextManager[None]:
        """Where opening errors are translated into dojang errors (nothing extra by default)."""
        return contextlib.nullcontext()

    def open(self) -> Self:
        """Open now (creating and migrating the schema), so that errors surface here."""
        with self._lock, self._opening():
            self._connection()
        return self

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class ScanningLogStore(LogStore, Protocol):
    """A ``LogStore`` that can also stream a range of entries in bounded memory (for audits)."""

    def iter_entries(self, start: int, stop: int, batch: int = 10_000) -> Iterator[bytes]:
        """Entries with index in ``[start, stop)``, in order, read ``batch`` rows at a time."""
        ...


def iter_batches(
    read: Callable[[int, int], list[bytes]], start: int, stop: int, batch: int
) -> Iterator[bytes]:
    """Stream ``read(start, stop)`` in slices of ``batch``; stops early at the end of the stored log."""
    if batch < 1:
        raise InputError(f"iter_entries needs a batch of at least 1 row, given {batch}")
    while start < stop:
        upto = min(start + batch, stop)
        rows = read(start, upto)
        yield from rows
        if len(rows) < upto - start:
            return
        start = upto


def is_run(numbers: Sequence[int]) -> bool:
    """Whether ``numbers`` are consecutive ascending integers (the usual shape of ``taken``)."""
    return bool(numbers) and all(b - a == 1 for a, b in pairwise(numbers))


def check_integrate(
    *, size: int, first_index: int, entries: Sequence[bytes], leaf_hashes: Sequence[bytes], head: TreeHead
) -> None:
    """Refuse a batch that does not extend the stored tree exactly where it ends."""
    if first_index != size:
        raise ConfigError(
            f"integrate refused: the batch starts at index {first_index} but the log holds {size} "
            f"entries (expected first_index {size}, given {first_index})",
            hint="another sequencer or a replayed batch; re-read the head and pending entries",
        )
    if len(leaf_hashes) != len(entries):
        raise ConfigError(
            f"integrate refused: {len(entries)} entries but {len(leaf_hashes)} leaf hashes "
            f"(expected {len(entries)}, given {len(leaf_hashes)})"
        )
    if head.size != first_index + len(entries):
        raise ConfigError(
            f"integrate refused: {size} + {len(entries)} entries make a tree of "
            f"{first_index + len(entries)}, not the given head size "
            f"(expected {first_index + len(entries)}, given {head.size})"
        )


def refuse_taken(taken: Sequence[int], removed: int) -> ConfigError:
    """The error for a batch whose ``taken`` are not all pending (or name one twice)."""
    return ConfigError(
        f"integrate refused: {len(taken) - removed} of the {len(taken)} taken sequence numbers are not "
        f"pending (expected {len(taken)} distinct pending entries, found {removed})",
        hint="already integrated by another sequencer, or never added; re-read pending entries",
    )


def refuse_checkpoint(size: int) -> ConfigError:
    """The error for a second, different checkpoint note at a size that already has one."""
    return ConfigError(
        f"checkpoint refused: tree size {size} already has a different signed note "
        f"(expected the stored note for size {size}, given another)",
        hint="two checkpoints for one size mean a fork or two log keys; investigate before signing again",
    )


def refuse_result(item_id: int) -> ConfigError:
    """The error for marking outbox work done a second time with a different result."""
    return ConfigError(
        f"outbox item {item_id} is already done with a different result (expected the stored result, "
        "given another)",
        hint="work is applied exactly once; a second result means it was done twice",
    )
