"""One prepared ``dojang bench`` operation: what a worker's timed loop calls, and how to count it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Op"]


@dataclass(frozen=True, slots=True)
class Op:
    """``run`` is what the timed loop calls; each call counts ``per_run`` operations (e.g. 10,000 leaves).

    ``batch`` calls run between two clock reads and ``warm_up`` calls before timing; ``close`` frees
    what set-up made (temporary files); ``extra`` keys are copied into the row.
    """

    run: Callable[[], object]
    disclosures: int | None = None
    per_run: int = 1
    batch: int = 8
    warm_up: int = 5
    close: Callable[[], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
