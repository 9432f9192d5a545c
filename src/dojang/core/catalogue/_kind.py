"""A document kind: claim schema, ko/en labels, disclosure policy, validity and derived claims, as data."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dojang.core.catalogue._compile import Compiled, Disclosure, compile_kind, prune
from dojang.core.catalogue._derive import DerivedClaim
from dojang.core.catalogue._paths import ClaimPath, format_path, generic, parse_path
from dojang.core.catalogue._problems import problems_from
from dojang.errors import NotFoundError, SchemaError

__all__ = ["ISSUANCE_MODES", "DocumentKind", "Issuance", "Lang"]

Lang = Literal["ko", "en"]
#: ``immediate``: the credential is signed when the wallet asks. ``deferred``: the agency's back office
#: approves each one first (OpenID4VCI deferred issuance), e.g. a register with applications pending.
Issuance = Literal["immediate", "deferred"]
ISSUANCE_MODES: tuple[Issuance, ...] = ("immediate", "deferred")


@dataclass(frozen=True)
class DocumentKind:
    """One kind of certificate, e.g. 주민등록표 등본. Build it with ``parse_kind``, which checks the file.

    ``disclosure`` has a policy for every claim path of ``schema``, in schema order (parents first);
    ``labels`` has ko and en labels for every claim path.
    """

    id: str
    vct: str
    version: str
    validity_days: int
    titles: Mapping[Lang, str]
    labels: Mapping[ClaimPath, Mapping[Lang, str]]
    schema: Mapping[str, Any]
    disclosure: Mapping[ClaimPath, Disclosure]
    derived: tuple[DerivedClaim, ...] = ()
    notes: str = ""
    issuance: Issuance = "immediate"
    source: str = field(default="", compare=False)
    _compiled: Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_kind(self.schema, self.disclosure))

    def validate(self, claims: Mapping[str, Any], *, partial: bool = False) -> None:
        """Raise :class:`~dojang.errors.SchemaError` listing every offending field, or return.

        A full claim set (as issued) must match the schema and carry no ``never`` claim. With
        ``partial=True`` (a presentation) selective claims may be missing; what is present must match.
        """
        compiled = self._compiled
        if (compiled.partial_check if partial else compiled.full_check)(claims):
            return
        validator = compiled.partial_validator if partial else compiled.full_validator
        problems = problems_from(validator.iter_errors(claims), compiled.never_paths)
        if problems:
            what = "disclosed claims" if partial else "claims"
            raise SchemaError(f"{what} do not match document kind {self.id}", problems)

    def prepare(self, registry_claims: Mapping[str, Any], *, today: datetime.date) -> dict[str, Any]:
        """Claims ready to issue: ``never`` claims stripped, derived ones computed for ``today``, checked."""
        claims: dict[str, Any] = prune(registry_claims, self._compiled.never_tree)
        for rule in self.derived:
            value = rule.compute(claims, today)
            # A registry-supplied value is never trusted: it is recomputed, or dropped with its source.
            claims.pop(rule.claim, None)
            if value is not None:
                claims[rule.claim] = value
        self.validate(claims)
        return claims

    @property
    def deferred(self) -> bool:
        """Whether offers of this kind wait for the back office's approval by default."""
        return self.issuance == "deferred"

    def selective_paths(self) -> tuple[ClaimPath, ...]:
        """Claims the holder chooses to disclose, each its own disclosure, e.g. ``("members", None)``."""
        return self._paths("selective")

    def always_paths(self) -> tuple[ClaimPath, ...]:
        """Claims in plain view in every copy (document number, issuing office, issue date …)."""
        return self._paths("always")

    def never_paths(self) -> tuple[ClaimPath, ...]:
        """Claims kept in the registry and never placed in a credential."""
        return self._paths("never")

    def policy(self, path: str | ClaimPath) -> Disclosure:
        """The disclosure policy of one claim; element indices are allowed (``members[2].name``)."""
        return self.disclosure[self._known(path)]

    def label(self, path: str | ClaimPath, lang: Lang) -> str:
        """The display label of one claim in ``lang``; element indices are allowed."""
        return self.labels[self._known(path)][lang]

    def title(self, lang: Lang) -> str:
        """The kind's own name, e.g. 주민등록표 등본 / Resident registration copy."""
        return self.titles[lang]

    def _paths(self, policy: Disclosure) -> tuple[ClaimPath, ...]:
        return tuple(path for path, value in self.disclosure.items() if value == policy)

    def _known(self, path: str | ClaimPath) -> ClaimPath:
        try:
            key = generic(parse_path(path) if isinstance(path, str) else path)
        except ValueError as exc:
            raise NotFoundError(f"document kind {self.id}: {exc}") from None
        if key not in self.disclosure:
            shown = path if isinstance(path, str) else format_path(path)
            raise NotFoundError(f"document kind {self.id} has no claim {shown!r}")
        return key
