"""Issue one credential: catalogue policy decides what is plain and what the holder may withhold."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.catalogue import Catalogue, DocumentKind
from dojang.core.crypto import Certificate, Rng, SigningKey, encode_x5c
from dojang.core.sdjwt import issue
from dojang.core.status import StatusReference, status_claim
from dojang.core.trust import TrustListDocument
from dojang.errors import ForbiddenError, InputError, VerificationError

__all__ = ["KST", "IssuedCredential", "Issuer"]

#: Dates on Korean certificates (issue date, age thresholds) are Korean dates.
KST = datetime.timezone(datetime.timedelta(hours=9), "KST")
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """An issued SD-JWT VC and the facts about it an agency records."""

    sd_jwt: str
    kind: DocumentKind
    kid: str
    iat: int
    exp: int


@dataclass(frozen=True)
class Issuer:
    """An agency's signer: its identifier (``iss``), its active key and the catalogue it issues from."""

    iss: str
    key: SigningKey
    catalogue: Catalogue
    rng: Rng
    decoys: int = 2
    #: The agency's document-signer certificate: credentials then carry it in ``x5c``.
    certificate: Certificate | None = None
    #: The operator's trust list: issuing a kind the agency is not accredited for is refused.
    accreditations: TrustListDocument | None = None

    def __post_init__(self) -> None:
        cert = self.certificate
        if cert is not None and (cert.issuer_id != self.iss or cert.public_key.kid != self.key.kid):
            raise InputError(f"the certificate {cert.subject} is not for {self.iss} and this signing key")

    def check_may_issue(self, kind_id: str, *, now: datetime.datetime) -> None:
        """Raise ForbiddenError unless the agency is accredited for ``kind_id`` at ``now`` (checked
        again by :meth:`issue`; call it first to refuse before anything is allocated or stored)."""
        self._check_accredited(self.catalogue.get(kind_id).vct, int(now.timestamp()))

    def _check_accredited(self, vct: str, iat: int) -> None:
        if self.accreditations is None:
            return
        fingerprint = self.certificate.fingerprint if self.certificate is not None else None
        try:
            self.accreditations.check_accredited(self.iss, vct, iat, fingerprint=fingerprint)
        except VerificationError as exc:
            raise ForbiddenError(exc.message, hint="the operator accredits agencies per kind") from None

    def issue(
        self,
        kind_id: str,
        registry_claims: Mapping[str, Any],
        *,
        now: datetime.datetime,
        holder_jwk: Mapping[str, Any] | None = None,
        status: StatusReference | None = None,
    ) -> IssuedCredential:
        """Issue ``kind_id`` from registry data, bound to ``holder_jwk`` when given.

        ``status`` is the credential's entry in a status list: an always-visible ``status`` claim.

        Raises SchemaError (listing every field) when the registry data does not fit the kind.
        """
        kind = self.catalogue.get(kind_id)
        claims = kind.prepare(registry_claims, today=now.astimezone(KST).date())
        iat = int(now.timestamp())
        exp = iat + kind.validity_days * _DAY
        self._check_accredited(kind.vct, iat)
        payload = {"iss": self.iss, "iat": iat, "exp": exp, "vct": kind.vct, **claims}
        if status is not None:
            # Never selectively disclosable: a verifier must always see where to check (§6.2).
            payload["status"] = status_claim(status)
        sd_jwt = issue(
            payload,
            sd=kind.selective_paths(),
            key=self.key,
            rng=self.rng,
            header=self._header(),
            decoys=self.decoys,
            holder_jwk=holder_jwk,
        )
        return IssuedCredential(sd_jwt, kind, self.key.kid, iat, exp)

    def _header(self) -> dict[str, Any]:
        if self.certificate is None:
            return {"kid": self.key.kid}
        return {"kid": self.key.kid, "x5c": encode_x5c([self.certificate])}
