"""Verify a credential or presentation as one pipeline of named checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.catalogue import Catalogue
from dojang.core.crypto import VerifyKey
from dojang.core.sdjwt import KbExpectation, Verified, verify
from dojang.errors import InputError, KindError, NotFoundError, SchemaError, VerificationError
from dojang.roles.verifier._log import LogTrust, log_checks
from dojang.roles.verifier._trust import TrustedKey, TrustList
from dojang.roles.verifier._verdict import Check, Verdict

__all__ = ["Verifier"]


@dataclass(frozen=True)
class Verifier:
    """Checks SD-JWT VCs against trusted issuer keys and the catalogue; the clock is passed per call."""

    trust: TrustList
    catalogue: Catalogue
    skew: int = 60
    kb_max_age: int = 300
    #: A trusted transparency log: when set, every input must come with a proof (``log-*`` lines).
    log: LogTrust | None = None

    def verify(
        self,
        text: str,
        *,
        now: int,
        audience: str | None = None,
        nonce: str | None = None,
        proof: bytes | None = None,
    ) -> Verdict:
        """Every check in order; the first failure ends the run and is the verdict's failed line.

        Unreadable input raises InputError (CLI exit 2). With ``audience`` a key binding JWT for that
        audience (and ``nonce``, when given) is required. With a trusted ``log``, ``proof`` (a
        ``.tlog-proof`` file's bytes) must prove the credential's issuance: three more lines.
        """
        lines: list[Check] = []
        used: list[TrustedKey] = []

        def record(check: str, detail: str) -> None:
            lines.append(Check(check, True, detail))

        def resolve(header: Mapping[str, Any]) -> VerifyKey:
            used.append(self.trust.resolve(header))
            return used[-1].key

        kb = None
        if audience is not None:
            if nonce is None:
                raise InputError("verifying a presentation for an audience needs its nonce too")
            kb = KbExpectation(audience, nonce, self.kb_max_age)
        try:
            result = verify(text, issuer_key=resolve, now=now, skew=self.skew, kb=kb, record=record)
            lines.append(Check("issuer", True, TrustList.check_use(used[-1], result.payload)))
            lines.append(self._check_kind(result))
            if self.log is not None:
                log_checks(self.log, text, result.payload, proof, lines)
        except VerificationError as exc:
            lines.append(Check(exc.check, False, exc.message))
            return Verdict(tuple(lines))
        return Verdict(tuple(lines), str(result.payload["vct"]), result.claims)

    def _check_kind(self, result: Verified) -> Check:
        """The ``vct`` names a catalogue kind and the disclosed claims fit its schema."""
        vct = str(result.payload["vct"])
        try:
            kind = self.catalogue.get(vct)
        except NotFoundError:
            raise KindError(f"vct {vct} is not a document kind in the catalogue") from None
        subject = {k: v for k, v in result.claims.items() if k not in _REGISTERED}
        try:
            kind.validate(subject, partial=True)
        except SchemaError as exc:
            raise KindError(exc.message) from None
        return Check("kind", True, f"{kind.title('en')} ({kind.id}), disclosed claims fit its schema")


#: Claims the issuer adds around a kind's own claims.
_REGISTERED = frozenset({"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub", "jti"})
