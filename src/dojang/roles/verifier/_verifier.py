"""Verify a credential or presentation as one pipeline of named checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.catalogue import Catalogue
from dojang.core.crypto import VerifyKey, parse_jws
from dojang.core.sdjwt import KbExpectation, Verified, parse, verify
from dojang.errors import InputError, KindError, NotFoundError, SchemaError, VerificationError
from dojang.roles.verifier._log import LogTrust, log_checks
from dojang.roles.verifier._status import StatusCheck
from dojang.roles.verifier._trust import TrustedKey, TrustList
from dojang.roles.verifier._verdict import Check, Verdict
from dojang.roles.verifier._x509 import IssuerPki, X5cUse

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
    #: Where status list tokens come from: when set, a credential's ``status`` claim gets a line.
    status: StatusCheck | None = None
    #: The platform root and trust list: a credential with ``x5c`` is then checked through them
    #: (``trust-list``, ``trust-chain``, ``accreditation``) instead of ``issuer-key`` and ``issuer``.
    pki: IssuerPki | None = None

    def verify(
        self,
        text: str,
        *,
        now: int,
        audience: str | None = None,
        nonce: str | None = None,
        proof: bytes | None = None,
        status_at: int | None = None,
    ) -> Verdict:
        """Every check in order; the first failure ends the run and is the verdict's failed line.

        ``text`` is the compact form or the JWS JSON serialization. Unreadable input raises
        InputError (CLI exit 2). With ``audience`` a key binding JWT for that
        audience (and ``nonce``, when given) is required. With a trusted ``log``, ``proof`` (a
        ``.tlog-proof`` file's bytes) must prove the credential's issuance: three more lines.
        With a ``status`` check the credential's status list entry must be VALID — now, or with
        ``status_at`` at that time (was it valid at T?) — on a line after ``kind`` and before the log
        lines, its list signed by the credential's own agency (through the same x5c chain when the
        credential came with one).
        """
        if text.lstrip()[:1] == "{":
            # The JWS JSON serialization (RFC 9901 §8): its compact form is what every check reads,
            # and what a KB-JWT's sd_hash covers (§8.1); unprotected extras are not verified anyway.
            text = parse(text).serialize()
        lines: list[Check] = []
        used: list[TrustedKey] = []
        x5c: list[X5cUse] = []

        def record(check: str, detail: str) -> None:
            if check == "issuer-key" and x5c:
                lines.append(Check("trust-chain", True, x5c[0].trust_chain_detail()))
                return
            lines.append(Check(check, True, detail))

        def resolve(header: Mapping[str, Any]) -> VerifyKey:
            if self.pki is not None:
                # iat and iss are read before the signature is checked; the key they choose verifies them.
                use = X5cUse(self.pki, parse_jws(text.partition("~")[0]).payload, lines)
                if use.applies(header):
                    x5c.append(use)
                    return use.resolve(header).public_key
            used.append(self.trust.resolve(header))
            return used[-1].key

        kb = None
        if audience is not None:
            if nonce is None:
                raise InputError("verifying a presentation for an audience needs its nonce too")
            kb = KbExpectation(audience, nonce, self.kb_max_age)
        try:
            result = verify(text, issuer_key=resolve, now=now, skew=self.skew, kb=kb, record=record)
            if x5c:
                lines.append(x5c[0].accreditation(result.payload))
            else:
                lines.append(Check("issuer", True, TrustList.check_use(used[-1], result.payload)))
            lines.append(self._check_kind(result))
            if self.status is not None and (
                line := self.status.line(
                    self.trust, result.payload, now=now, at=status_at, pki=self.pki, certified=bool(x5c)
                )
            ):
                lines.append(line)
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
