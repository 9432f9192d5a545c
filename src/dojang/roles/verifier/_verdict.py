"""The verdict: every check that ran, in order, with the one that failed named."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "Verdict"]


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict line."""

    check: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one input. ``valid`` is true only when every check passed."""

    checks: tuple[Check, ...]
    vct: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> Check | None:
        """The failed check, if any."""
        return next((c for c in self.checks if not c.ok), None)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of DESIGN.md §5."""
        return {
            "valid": self.valid,
            "checks": [{"check": c.check, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "vct": self.vct,
            "claims": self.claims,
        }
