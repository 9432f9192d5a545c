"""The trust list document (JSON, version 1) and its compact JWS, ``typ: dojang-trust-list+jwt``.

The payload::

    {"version": 1, "iss": <operator id>, "iat": <seconds>,
     "agencies": [{"issuer_id": <https URI>, "name": <text>, "certificates": [<x5t#S256>, ...],
                   "accreditations": [{"vct": <vct>, "not_before": <seconds>, "not_after": <seconds|null>}]}],
     "revoked": [{"fingerprint": <x5t#S256>, "revoked_at": <seconds>}]}

Parsing is strict: unknown members, wrong types and duplicates are refused, so one list has one meaning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dojang.core.crypto import SigningKey, VerifyKey, parse_jws, sign_jws, verify_jws
from dojang.errors import DojangError, MalformedError, VerificationError

__all__ = [
    "ACCREDITATION_CHECK",
    "TRUST_LIST_CHECK",
    "TRUST_LIST_TYP",
    "Accreditation",
    "AgencyEntry",
    "RevokedCertificate",
    "TrustListDocument",
    "sign_trust_list",
    "verify_trust_list",
]

TRUST_LIST_TYP = "dojang-trust-list+jwt"
#: The verdict line of "this agency was accredited for this vct when it signed".
ACCREDITATION_CHECK = "accreditation"
#: The verdict line of "the trust list is the operator's, unaltered".
TRUST_LIST_CHECK = "trust-list"
_VERSION = 1
_MAX_TEXT = 1024


def _int(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedError(f"trust list {what} must be a non-negative integer (seconds)")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise MalformedError(f"trust list {what} must be a non-empty string of at most {_MAX_TEXT}")
    return value


def _object(value: Any, what: str, members: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedError(f"trust list {what} must be an object")
    if set(value) != members:
        raise MalformedError(f"trust list {what} must have exactly the members {sorted(members)}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedError(f"trust list {what} must be an array")
    return value


def _iso(seconds: int | None) -> str:
    return "open-ended" if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Accreditation:
    """An agency may issue ``vct`` from ``not_before`` up to (not including) ``not_after`` (None: open)."""

    vct: str
    not_before: int
    not_after: int | None = None

    def __post_init__(self) -> None:
        _text(self.vct, "vct")
        _int(self.not_before, "not_before")
        _int(self.not_after, "not_after", optional=True)
        if self.not_after is not None and self.not_after <= self.not_before:
            raise MalformedError(f"accreditation for {self.vct}: not_after must be later than not_before")

    def covers(self, at: int) -> bool:
        return self.not_before <= at and (self.not_after is None or at < self.not_after)

    def to_json(self) -> dict[str, Any]:
        return {"vct": self.vct, "not_before": self.not_before, "not_after": self.not_after}

    @classmethod
    def from_json(cls, value: Any) -> Accreditation:
        doc = _object(value, "accreditation", {"vct", "not_before", "not_after"})
        return cls(doc["vct"], doc["not_before"], doc["not_after"])


@dataclass(frozen=True, slots=True)
class AgencyEntry:
    """One accredited agency: its issuer id (the ``iss`` and certificate SAN), name, certificates, kinds."""

    issuer_id: str
    name: str
    certificates: tuple[str, ...] = ()
    accreditations: tuple[Accreditation, ...] = ()

    def __post_init__(self) -> None:
        _text(self.issuer_id, "issuer_id")
        _text(self.name, "agency name")
        for fingerprint in self.certificates:
            _text(fingerprint, "certificate fingerprint")
        if len(set(self.certificates)) != len(self.certificates):
            raise MalformedError(f"agency {self.issuer_id} lists a certificate twice")

    def to_json(self) -> dict[str, Any]:
        return {
            "issuer_id": self.issuer_id,
            "name": self.name,
            "certificates": list(self.certificates),
            "accreditations": [a.to_json() for a in self.accreditations],
        }

    @classmethod
    def from_json(cls, value: Any) -> AgencyEntry:
        doc = _object(value, "agency", {"issuer_id", "name", "certificates", "accreditations"})
        certificates = tuple(_text(c, "certificate fingerprint") for c in _list(doc["certificates"], "certs"))
        accreditations = tuple(Accreditation.from_json(a) for a in _list(doc["accreditations"], "accreds"))
        return cls(doc["issuer_id"], doc["name"], certificates, accreditations)


@dataclass(frozen=True, slots=True)
class RevokedCertificate:
    """A document-signer certificate the operator revoked: untrustworthy from ``revoked_at`` on."""

    fingerprint: str
    revoked_at: int

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "revoked_at": self.revoked_at}

    @classmethod
    def from_json(cls, value: Any) -> RevokedCertificate:
        doc = _object(value, "revoked certificate", {"fingerprint", "revoked_at"})
        return cls(_text(doc["fingerprint"], "fingerprint"), _int(doc["revoked_at"], "revoked_at") or 0)


@dataclass(frozen=True)
class TrustListDocument:
    """The operator's trust list at ``iat``: what a verifier reads to decide accreditation."""

    iss: str
    iat: int
    agencies: tuple[AgencyEntry, ...] = ()
    revoked: tuple[RevokedCertificate, ...] = ()
    _by_id: dict[str, AgencyEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {a.issuer_id: a for a in self.agencies}
        if len(by_id) != len(self.agencies):
            raise MalformedError("the trust list names an agency twice")
        object.__setattr__(self, "_by_id", by_id)

    def agency(self, issuer_id: str) -> AgencyEntry | None:
        return self._by_id.get(issuer_id)

    def revoked_map(self) -> dict[str, datetime]:
        """Fingerprint → revocation time, the shape ``X5cResolver(revoked=...)`` takes."""
        return {r.fingerprint: datetime.fromtimestamp(r.revoked_at, UTC) for r in self.revoked}

    def check_accredited(self, issuer_id: Any, vct: Any, at: int, *, fingerprint: str | None = None) -> str:
        """Raise ``accreditation`` unless ``issuer_id`` was accredited for ``vct`` at ``at``; the detail."""
        agency = self.agency(issuer_id) if isinstance(issuer_id, str) else None
        if agency is None:
            raise VerificationError(
                f"{issuer_id!r} is not an agency on the trust list", check=ACCREDITATION_CHECK
            )
        if fingerprint is not None and fingerprint not in agency.certificates:
            raise VerificationError(
                f"the signing certificate is not one the trust list gives {agency.name}",
                check=ACCREDITATION_CHECK,
            )
        grants = [a for a in agency.accreditations if a.vct == vct]
        current = next((a for a in grants if a.covers(at)), None)
        if current is None:
            when = _iso(at)
            spans = ", ".join(f"{_iso(a.not_before)} – {_iso(a.not_after)}" for a in grants)
            held = f" (accredited {spans})" if spans else ""
            raise VerificationError(
                f"{agency.name} ({agency.issuer_id}) was not accredited for {vct} at {when}{held}",
                check=ACCREDITATION_CHECK,
            )
        return (
            f"{agency.name} accredited for {vct} from {_iso(current.not_before)} to {_iso(current.not_after)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _VERSION,
            "iss": self.iss,
            "iat": self.iat,
            "agencies": [a.to_json() for a in self.agencies],
            "revoked": [r.to_json() for r in self.revoked],
        }

    @classmethod
    def from_json(cls, value: Any) -> TrustListDocument:
        doc = _object(value, "payload", {"version", "iss", "iat", "agencies", "revoked"})
        if doc["version"] != _VERSION:
            raise MalformedError(f"trust list version {doc['version']!r} is not {_VERSION}")
        return cls(
            _text(doc["iss"], "iss"),
            _int(doc["iat"], "iat") or 0,
            tuple(AgencyEntry.from_json(a) for a in _list(doc["agencies"], "agencies")),
            tuple(RevokedCertificate.from_json(r) for r in _list(doc["revoked"], "revoked")),
        )


def sign_trust_list(document: TrustListDocument, key: SigningKey, *, x5c: Sequence[str] = ()) -> str:
    """The compact JWS of ``document``, signed by the operator key."""
    header: dict[str, Any] = {"typ": TRUST_LIST_TYP, "kid": key.kid}
    if x5c:
        header["x5c"] = list(x5c)
    return sign_jws(header, document.to_json(), key)


def verify_trust_list(token: str, key: VerifyKey) -> TrustListDocument:
    """Verify the operator's signature and ``typ``; any failure is the ``trust-list`` check."""
    try:
        jws = parse_jws(token.strip(), what="trust list")
        if jws.header.get("typ") != TRUST_LIST_TYP:
            raise MalformedError(f"trust list typ must be {TRUST_LIST_TYP!r}")
        verify_jws(jws, key, allowed_algs=frozenset({"ES256"}), what="trust list")
        return TrustListDocument.from_json(jws.payload)
    except DojangError as exc:
        raise VerificationError(
            f"the trust list is not usable: {exc.message}", check=TRUST_LIST_CHECK
        ) from None
