"""Issuer trust through X.509: the ``trust-list``, ``trust-chain`` and ``accreditation`` verdict lines.

``trust-list``     the operator's signed trust list verifies with the root CA key (read once);
``trust-chain``    the ``x5c`` leaf chains to the platform root at the credential's ``iat``, its SAN
                   URI is the credential's ``iss``, and the trust list had not revoked it by then;
``accreditation``  the trust list says the agency, with this certificate, was accredited for the
                   credential's ``vct`` at its ``iat``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dojang.core.crypto import TRUST_CHECK, Certificate, X5cResolver
from dojang.core.trust import TRUST_LIST_CHECK, TrustListDocument, verify_trust_list
from dojang.errors import VerificationError
from dojang.roles.verifier._verdict import Check

__all__ = ["IssuerPki", "X5cUse"]


@dataclass(frozen=True)
class IssuerPki:
    """The platform roots and the operator's signed trust list (a compact JWS, checked on first use).

    The trust list is signed with the root CA key: the verifier needs no key beyond ``root-ca.pem``.
    """

    roots: tuple[Certificate, ...]
    trust_list_token: str | None

    @functools.cached_property
    def _document(self) -> TrustListDocument | VerificationError:
        if self.trust_list_token is None:
            return VerificationError("no trust list (trust-list.jwt) beside the root", check=TRUST_LIST_CHECK)
        failure: VerificationError | None = None
        for root in self.roots:
            try:
                return verify_trust_list(self.trust_list_token, root.public_key)
            except VerificationError as exc:
                failure = exc
        return failure or VerificationError("no trusted root", check=TRUST_LIST_CHECK)

    def document(self) -> TrustListDocument:
        """The verified trust list; raises ``trust-list`` when it is missing, altered or not the root's."""
        found = self._document
        if isinstance(found, VerificationError):
            raise VerificationError(found.message, check=TRUST_LIST_CHECK)
        return found


class X5cUse:
    """One credential's trip through the x5c path: resolve the key, then the accreditation line."""

    def __init__(self, pki: IssuerPki, payload: Mapping[str, Any], lines: list[Check]) -> None:
        self.pki, self.payload, self.lines = pki, payload, lines
        self.leaf: Certificate | None = None

    def applies(self, header: Mapping[str, Any]) -> bool:
        """True for a credential with ``x5c``; an agency on the trust list must use it (no downgrade
        to its bare key); any other issuer without ``x5c`` takes the bare-key path."""
        if "x5c" in header:
            return True
        iss = self.payload.get("iss")
        if isinstance(iss, str) and self.pki.document().agency(iss) is not None:
            raise VerificationError(
                f"{iss} is an accredited agency: its credentials must carry its certificate (x5c)",
                check=TRUST_CHECK,
            )
        return False

    def resolve(self, header: Mapping[str, Any]) -> Certificate:
        """The validated leaf; appends ``trust-list`` (ok) and raises ``trust-chain`` when it fails."""
        document = self.pki.document()
        self.lines.append(
            Check(
                TRUST_LIST_CHECK,
                True,
                f"signed by {self.pki.roots[0].subject}, {len(document.agencies)} agencies,"
                f" issued {datetime.fromtimestamp(document.iat, UTC).isoformat()}",
            )
        )
        iat, iss = self.payload.get("iat"), self.payload.get("iss")
        if isinstance(iat, bool) or not isinstance(iat, int | float):
            raise VerificationError(
                "no iat: the chain cannot be validated at issuance time", check=TRUST_CHECK
            )
        resolver = X5cResolver(
            self.pki.roots,
            at=datetime.fromtimestamp(iat, UTC),
            iss=iss if isinstance(iss, str) else "",
            revoked=document.revoked_map(),
        )
        self.leaf = resolver.leaf(header)
        return self.leaf

    def trust_chain_detail(self) -> str:
        assert self.leaf is not None  # resolve() ran
        return (
            f"{self.leaf.subject} ← {self.leaf.issuer} at iat, SAN {self.leaf.issuer_id},"
            f" not revoked (x5t#S256 {self.leaf.fingerprint[:12]}…)"
        )

    def accreditation(self, payload: Mapping[str, Any]) -> Check:
        assert self.leaf is not None
        iat = payload.get("iat")
        detail = self.pki.document().check_accredited(
            payload.get("iss"), payload.get("vct"), int(iat or 0), fingerprint=self.leaf.fingerprint
        )
        return Check("accreditation", True, detail)
