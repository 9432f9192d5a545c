"""The operator's registry of agencies: document-signer certificates, accreditations, revocations.

Only the holder of the root CA key acts as the operator: :class:`Operator` refuses any other key.
Every change returns the :class:`~dojang.core.log.AccreditationEntry` the caller records in the log
before it publishes the new trust list. Times are seconds since the epoch; the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from dojang.core.crypto import Certificate, Rng, SigningKey, VerifyKey, encode_x5c, issue_document_signer
from dojang.core.log import AccreditationAction, AccreditationEntry
from dojang.core.trust import (
    Accreditation,
    AgencyEntry,
    RevokedCertificate,
    TrustListDocument,
    sign_trust_list,
)
from dojang.errors import ForbiddenError, InputError, MalformedError, NotFoundError

__all__ = ["DEFAULT_OPERATOR_ID", "AgencyRecord", "Operator", "OperatorRegistry"]

_REGISTRY_VERSION = 1
#: The operator's id in the trust list (``iss``) unless the operator names itself.
DEFAULT_OPERATOR_ID = "https://operator.dojang.example"


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    """One registered agency: issuer id, name, its document-signer certificates and accreditations."""

    issuer_id: str
    name: str
    certificates: tuple[Certificate, ...] = ()
    accreditations: tuple[Accreditation, ...] = ()

    def entry(self) -> AgencyEntry:
        fingerprints = tuple(c.fingerprint for c in self.certificates)
        return AgencyEntry(self.issuer_id, self.name, fingerprints, self.accreditations)

    def certificate_for(self, key: VerifyKey) -> Certificate | None:
        """The newest certificate of ``key``, if the operator certified it."""
        mine = [c for c in self.certificates if c.public_key.kid == key.kid]
        return max(mine, key=lambda c: c.not_before) if mine else None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.entry().to_json(),
            "certificates": [c.to_pem() for c in self.certificates],
        }

    @classmethod
    def from_json(cls, value: Any) -> AgencyRecord:
        pems = value.get("certificates") if isinstance(value, dict) else None
        if not isinstance(pems, list) or not all(isinstance(pem, str) for pem in pems):
            raise MalformedError("a stored agency needs a 'certificates' array of PEM strings")
        # The same members as a trust-list entry, with PEM certificates instead of fingerprints.
        entry = AgencyEntry.from_json({**value, "certificates": []})
        certificates = tuple(Certificate.from_pem(pem) for pem in pems)
        return cls(entry.issuer_id, entry.name, certificates, entry.accreditations)


@dataclass(frozen=True, slots=True)
class OperatorRegistry:
    """Everything the operator decided, as stored: its id, agencies and revoked certificates."""

    operator_id: str = DEFAULT_OPERATOR_ID
    agencies: tuple[AgencyRecord, ...] = ()
    revoked: tuple[RevokedCertificate, ...] = ()

    def trust_list(self, *, now: int) -> TrustListDocument:
        """The trust list this registry makes (unsigned): what an agency checks before it issues."""
        agencies = tuple(a.entry() for a in self.agencies)
        return TrustListDocument(self.operator_id, now, agencies, self.revoked)

    def agency(self, issuer_id: str) -> AgencyRecord:
        for agency in self.agencies:
            if agency.issuer_id == issuer_id:
                return agency
        raise NotFoundError(
            f"no agency {issuer_id!r} is registered",
            hint="register it with: dojang operator agency add --id URL --name NAME",
        )

    def with_agency(self, agency: AgencyRecord) -> OperatorRegistry:
        others = tuple(a for a in self.agencies if a.issuer_id != agency.issuer_id)
        ordered = sorted((*others, agency), key=lambda a: a.issuer_id)
        return replace(self, agencies=tuple(ordered))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _REGISTRY_VERSION,
            "operator_id": self.operator_id,
            "agencies": [a.to_json() for a in self.agencies],
            "revoked": [r.to_json() for r in self.revoked],
        }

    @classmethod
    def from_json(cls, value: Any) -> OperatorRegistry:
        if not isinstance(value, dict) or value.get("version") != _REGISTRY_VERSION:
            raise MalformedError(f"the operator registry must be an object with version {_REGISTRY_VERSION}")
        agencies, revoked = value.get("agencies"), value.get("revoked")
        if not isinstance(agencies, list) or not isinstance(revoked, list):
            raise MalformedError("the operator registry needs 'agencies' and 'revoked' arrays")
        operator_id = value.get("operator_id")
        if not isinstance(operator_id, str) or not operator_id:
            raise MalformedError("the operator registry needs its 'operator_id'")
        return cls(
            operator_id,
            tuple(AgencyRecord.from_json(a) for a in agencies),
            tuple(RevokedCertificate.from_json(r) for r in revoked),
        )


def _overlaps(a: Accreditation, b: Accreditation) -> bool:
    a_end = a.not_after if a.not_after is not None else float("inf")
    b_end = b.not_after if b.not_after is not None else float("inf")
    return a.not_before < b_end and b.not_before < a_end


class Operator:
    """The platform operator, acting with the root CA key over its registry.

    The registry is replaced on every change (read it back from ``.registry`` to store it).
    """

    def __init__(self, key: SigningKey, root: Certificate, registry: OperatorRegistry) -> None:
        if not root.is_ca or root.public_key.jwk != key.public.jwk:
            raise ForbiddenError("only the holder of the root CA key acts as the operator")
        self._key, self.root, self.registry = key, root, registry

    def register_agency(self, issuer_id: str, name: str) -> AgencyRecord:
        """Register an agency (no accreditation yet); refuses an issuer id already registered."""
        if any(a.issuer_id == issuer_id for a in self.registry.agencies):
            raise InputError(f"agency {issuer_id} is already registered")
        agency = AgencyRecord(issuer_id, name)
        agency.entry()  # the trust list's own checks on the id and the name
        self.registry = self.registry.with_agency(agency)
        return agency

    def certify(
        self, issuer_id: str, agency_key: VerifyKey, *, not_before: int, not_after: int, rng: Rng, now: int
    ) -> tuple[Certificate, AccreditationEntry]:
        """Issue a document-signer certificate for ``agency_key`` (profile in ``docs/trust.md``)."""
        agency = self.registry.agency(issuer_id)
        cert = issue_document_signer(
            self._key,
            self.root,
            agency_key,
            agency_name=agency.name,
            issuer_id=issuer_id,
            not_before=_dt(not_before),
            not_after=_dt(min(not_after, int(self.root.not_after.timestamp()))),
            rng=rng,
        )
        self.registry = self.registry.with_agency(replace(agency, certificates=(*agency.certificates, cert)))
        entry = AccreditationEntry(
            AccreditationAction.CERTIFY, issuer_id, cert.fingerprint, not_before, not_after, now
        )
        return cert, entry

    def accredit(
        self, issuer_id: str, vct: str, *, not_before: int, not_after: int | None, now: int
    ) -> AccreditationEntry:
        """Accredit the agency for ``vct`` over [not_before, not_after); overlapping grants are refused."""
        agency = self.registry.agency(issuer_id)
        try:
            grant = Accreditation(vct, not_before, not_after)
        except MalformedError as exc:
            raise InputError(exc.message) from None
        if any(a.vct == vct and _overlaps(a, grant) for a in agency.accreditations):
            raise InputError(f"{agency.name} is already accredited for {vct} over part of that period")
        self.registry = self.registry.with_agency(
            replace(agency, accreditations=(*agency.accreditations, grant))
        )
        return AccreditationEntry(AccreditationAction.GRANT, issuer_id, vct, not_before, not_after, now)

    def withdraw(self, issuer_id: str, vct: str, *, at: int, now: int) -> AccreditationEntry:
        """End the agency's accreditation for ``vct`` at ``at``; later grants for it are cancelled."""
        agency = self.registry.agency(issuer_id)
        kept: list[Accreditation] = []
        changed = False
        for grant in agency.accreditations:
            if grant.vct != vct or (grant.not_after is not None and grant.not_after <= at):
                kept.append(grant)
                continue
            changed = True
            if grant.not_before < at:
                kept.append(replace(grant, not_after=at))
        if not changed:
            raise InputError(f"{agency.name} holds no accreditation for {vct} at or after that time")
        self.registry = self.registry.with_agency(replace(agency, accreditations=tuple(kept)))
        return AccreditationEntry(AccreditationAction.WITHDRAW, issuer_id, vct, at, at, now)

    def revoke_certificate(self, fingerprint: str, *, at: int, now: int) -> AccreditationEntry:
        """Revoke a document-signer certificate from ``at`` (when its key stopped being trustworthy)."""
        owner = next(
            (a for a in self.registry.agencies if any(c.fingerprint == fingerprint for c in a.certificates)),
            None,
        )
        if owner is None:
            raise NotFoundError(f"no registered agency holds certificate {fingerprint}")
        if any(r.fingerprint == fingerprint for r in self.registry.revoked):
            raise InputError(f"certificate {fingerprint} is already revoked")
        revoked = (*self.registry.revoked, RevokedCertificate(fingerprint, at))
        self.registry = replace(self.registry, revoked=revoked)
        return AccreditationEntry(
            AccreditationAction.REVOKE_CERTIFICATE, owner.issuer_id, fingerprint, at, None, now
        )

    def publish(self, *, now: int) -> str:
        """The signed trust list (compact JWS, the root certificate in ``x5c``)."""
        return sign_trust_list(self.registry.trust_list(now=now), self._key, x5c=encode_x5c([self.root]))
