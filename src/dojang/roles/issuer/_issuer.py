"""Issue one credential: catalogue policy decides what is plain and what the holder may withhold."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.catalogue import Catalogue, DocumentKind
from dojang.core.crypto import Rng, SigningKey
from dojang.core.sdjwt import issue

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

    def issue(
        self,
        kind_id: str,
        registry_claims: Mapping[str, Any],
        *,
        now: datetime.datetime,
        holder_jwk: Mapping[str, Any] | None = None,
    ) -> IssuedCredential:
        """Issue ``kind_id`` from registry data, bound to ``holder_jwk`` when given.

        Raises SchemaError (listing every field) when the registry data does not fit the kind.
        """
        kind = self.catalogue.get(kind_id)
        claims = kind.prepare(registry_claims, today=now.astimezone(KST).date())
        iat = int(now.timestamp())
        exp = iat + kind.validity_days * _DAY
        payload = {"iss": self.iss, "iat": iat, "exp": exp, "vct": kind.vct, **claims}
        sd_jwt = issue(
            payload,
            sd=kind.selective_paths(),
            key=self.key,
            rng=self.rng,
            header={"kid": self.key.kid},
            decoys=self.decoys,
            holder_jwk=holder_jwk,
        )
        return IssuedCredential(sd_jwt, kind, self.key.kid, iat, exp)
