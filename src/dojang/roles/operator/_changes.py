"""The operator's changes carried out in one order: logged first (durable), then saved and published.

Every change of the operator's registry (agency registered and certified, accreditation granted or
withdrawn, certificate revoked) and of its receiving institutions is recorded in the transparency
log as an accreditation entry (type ``0x03``) before anything is saved: an acknowledged change is in
the log. Then the registry is saved and the trust list re-signed and republished. The CLI and the
HTTP API both act through :class:`AccreditationService`; where things are kept is theirs to say
(``load``, ``save_registry``, ``publish_trust_list``: the data directory's files).

A receiving institution is entered in the log by its id only (``subject`` = :data:`INSTITUTION`):
its name and contact stay in the operator's own registry, so the log carries no personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dojang.core.crypto import Certificate, Rng, VerifyKey
from dojang.core.log import AccreditationAction, AccreditationEntry, encode_entry
from dojang.roles.operator._accreditation import Operator, OperatorRegistry

__all__ = ["INSTITUTION", "AccreditationService", "EntryLog", "institution_entry"]

#: The subject of an institution's log entries: what it was registered as.
INSTITUTION = "receiving-institution"


class EntryLog(Protocol):
    """The log's durable ``record`` (committed when it returns); its sequence numbers."""

    def record(self, entries: Sequence[bytes]) -> list[int]: ...


def institution_entry(institution_id: str, *, registered: bool, now: int) -> AccreditationEntry:
    """The log entry of a receiving institution registered (or removed) at ``now``: its id only."""
    action = AccreditationAction.REMOVE_INSTITUTION
    if registered:
        action = AccreditationAction.REGISTER_INSTITUTION
    return AccreditationEntry(action, institution_id, INSTITUTION, now, None, now)


@dataclass(frozen=True)
class AccreditationService:
    """The operator's registry changes, each logged, saved and published in that order."""

    log: EntryLog
    load: Callable[[], Operator]
    save_registry: Callable[[OperatorRegistry], object]
    publish_trust_list: Callable[[str], Path]

    def commit(self, operator: Operator, entries: Sequence[AccreditationEntry], *, now: int) -> Path:
        """Log ``entries`` (durable first), then save ``operator``'s registry and republish its trust
        list; the trust list's path."""
        if entries:
            self.log.record([encode_entry(entry) for entry in entries])
        self.save_registry(operator.registry)
        return self.publish_trust_list(operator.publish(now=now))

    def add_agency(
        self,
        issuer_id: str,
        name: str,
        key_for: Callable[[str], VerifyKey],
        *,
        not_before: int,
        not_after: int,
        rng: Rng,
        now: int,
    ) -> tuple[Operator, Certificate]:
        """Register the agency and certify its key (``key_for(issuer_id)``, asked once the id is known
        to be new); the operator after the change and the certificate."""
        operator = self.load()
        operator.register_agency(issuer_id, name)
        cert, entry = operator.certify(
            issuer_id, key_for(issuer_id), not_before=not_before, not_after=not_after, rng=rng, now=now
        )
        self.commit(operator, [entry], now=now)
        return operator, cert

    def accredit(
        self, issuer_id: str, vct: str, *, not_before: int, not_after: int | None, now: int
    ) -> AccreditationEntry:
        operator = self.load()
        entry = operator.accredit(issuer_id, vct, not_before=not_before, not_after=not_after, now=now)
        self.commit(operator, [entry], now=now)
        return entry

    def withdraw(self, issuer_id: str, vct: str, *, at: int, now: int) -> AccreditationEntry:
        operator = self.load()
        entry = operator.withdraw(issuer_id, vct, at=at, now=now)
        self.commit(operator, [entry], now=now)
        return entry

    def revoke_certificate(self, fingerprint: str, *, at: int, now: int) -> AccreditationEntry:
        operator = self.load()
        entry = operator.revoke_certificate(fingerprint, at=at, now=now)
        self.commit(operator, [entry], now=now)
        return entry

    def record_institution(self, institution_id: str, *, registered: bool, now: int) -> AccreditationEntry:
        """Log a receiving institution's registration or removal (before the caller saves it)."""
        entry = institution_entry(institution_id, registered=registered, now=now)
        self.log.record([encode_entry(entry)])
        return entry
