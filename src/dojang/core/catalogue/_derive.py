"""Derived claims computed at issuance, such as ``age_over_19``, so a holder can prove an age alone."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dojang.core.catalogue._paths import ClaimPath, format_path

__all__ = ["DerivedClaim", "age_over"]


@dataclass(frozen=True, slots=True)
class DerivedClaim:
    """``claim`` is computed by ``rule`` from the date at ``source``; ``years`` is the rule's threshold."""

    claim: str
    rule: Literal["age_over"]
    source: ClaimPath
    years: int

    def compute(self, claims: Mapping[str, Any], today: datetime.date) -> bool | None:
        """The claim's value, or ``None`` when the source is missing or not a date (validation says why)."""
        value: Any = claims
        for step in self.source:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
        try:
            birth = datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return None
        return age_over(birth, self.years, today)

    def describe(self) -> str:
        return f"{self.claim} = {self.rule}({format_path(self.source)}, {self.years})"


def age_over(birth: datetime.date, years: int, today: datetime.date) -> bool:
    """Whether someone born on ``birth`` is at least ``years`` old (만 나이) on ``today``.

    Korean Civil Code art. 158 and 160: the age is reached on the anniversary of the birth date; someone
    born on 29 February reaches it on 1 March in years without a 29 February.
    """
    try:
        anniversary = birth.replace(year=birth.year + years)
    except ValueError:
        anniversary = datetime.date(birth.year + years, 3, 1)
    return today >= anniversary
