"""The ``status`` check: the credential's entry in its issuer's Token Status List is VALID.

The verifier reads the ``status`` claim (draft-ietf-oauth-status-list-18 §6.2), fetches the Status
List Token it names from a :class:`StatusSource` (a directory of token files, the data directory's
own store, or HTTP — adapters provide them), verifies that the credential's own agency signed it,
and requires the entry to be VALID.

Who may sign the list follows the credential. A token with ``x5c`` is checked, when the verifier
trusts a platform root, as the credential's ``x5c`` is (``dojang.core.crypto.X5cResolver``): the
certificate chains to the root and is valid now (the token is signed when it is served), its SAN URI
is the credential's ``iss``, and the operator's trust list has not revoked it. A credential that
came with a certificate accepts no list signed otherwise (no downgrade to a bare key). A credential
of the bare-key path (trust files without a root) accepts a token whose ``kid`` names a trusted key
of the same ``iss``. Every refusal of the signer is the failure ``signer`` of the ``status`` line.

A verified current list is cached, per signer, until its ``fresh_until`` (``min(fetched + ttl,
exp)``), so a verifier checking many credentials of one list fetches and verifies it once per
``ttl``. With ``at`` (a historical question, §8.4) the token asked for is the list as it stood then.

A credential without a ``status`` claim gets no line, unless the check is ``required``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from dojang.core.crypto import VerifyKey, X5cResolver
from dojang.core.status import (
    StatusError,
    StatusReference,
    VerifiedStatusList,
    read_status_claim,
    require_valid,
    verify_status_list_token,
)
from dojang.errors import DojangError
from dojang.roles.verifier._trust import TrustList
from dojang.roles.verifier._verdict import Check
from dojang.roles.verifier._x509 import IssuerPki

__all__ = ["StatusCheck", "StatusSource"]


class StatusSource(Protocol):
    """Where Status List Tokens come from; raises a DojangError when it has none for ``uri``."""

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        """The token for ``uri`` (the list now, or as it stood at time ``at``)."""
        ...


@dataclass(frozen=True)
class _Signers:
    """Whose signature the credential's status list must carry (see the module docstring)."""

    trust: TrustList
    pki: IssuerPki | None
    iss: str
    certified: bool
    now: int
    signed_by: list[str] = field(default_factory=list)

    def key(self, header: Mapping[str, Any]) -> VerifyKey:
        if self.pki is not None and "x5c" in header:
            return self._certificate(header)
        if self.certified:
            raise StatusError(
                "signer",
                f"{self.iss} signs with its certificate: a status list token without x5c is not its own",
            )
        try:
            trusted = self.trust.resolve(header)
        except DojangError as exc:
            raise StatusError("signer", exc.message) from None
        if trusted.iss is not None and trusted.iss != self.iss:
            raise StatusError("signer", f"the status list is signed by {trusted.iss}, not by {self.iss}")
        self.signed_by.append(f"key {trusted.key.kid}")
        return trusted.key

    def _certificate(self, header: Mapping[str, Any]) -> VerifyKey:
        assert self.pki is not None  # key() looked
        try:
            resolver = X5cResolver(
                self.pki.roots,
                at=datetime.fromtimestamp(self.now, UTC),
                iss=self.iss,
                revoked=self.pki.document().revoked_map(),
            )
            leaf = resolver.leaf(header)
        except DojangError as exc:
            raise StatusError("signer", f"status list certificate: {exc.message}") from None
        self.signed_by.append(f"{leaf.subject} (x5t#S256 {leaf.fingerprint[:12]}…)")
        return leaf.public_key


@dataclass
class StatusCheck:
    """The status line's policy and cache: the token ``source``, and whether a claim is ``required``."""

    source: StatusSource
    required: bool = False
    skew: int = 60
    _cache: dict[tuple[str, str, bool], tuple[VerifiedStatusList, float, str]] = field(
        default_factory=dict, repr=False
    )

    def line(
        self,
        trust: TrustList,
        payload: Mapping[str, Any],
        *,
        now: int,
        at: int | None = None,
        pki: IssuerPki | None = None,
        certified: bool = False,
    ) -> Check | None:
        """The verdict line (None: no claim and none required); StatusError when not VALID.

        ``certified``: the credential itself was verified through its ``x5c`` chain to ``pki``'s root.
        """
        if "status" not in payload and not self.required:
            return None
        ref = read_status_claim(payload)
        signers = _Signers(trust, pki, str(payload.get("iss", "")), certified, now)
        verified, signed_by = self._lookup(ref, signers, at=at)
        detail = f"{require_valid(verified, ref)}, signed by {signed_by}"
        return Check("status", True, detail if at is None else f"{detail}; as it stood at {at}")

    def _lookup(
        self, ref: StatusReference, signers: _Signers, *, at: int | None = None
    ) -> tuple[VerifiedStatusList, str]:
        """The verified list ``ref`` points at and who signed it: from the cache while fresh, else
        fetched and verified."""
        now = signers.now
        cache_key = (ref.uri, signers.iss, signers.certified)
        if at is None and (cached := self._cache.get(cache_key)) is not None and now < cached[1]:
            return cached[0], cached[2]
        try:
            token = self.source.fetch(ref.uri, at=at)
        except DojangError as exc:
            raise StatusError("unavailable", f"no status list token for {ref.uri}: {exc.message}") from None
        verified = verify_status_list_token(
            token, key=signers.key, uri=ref.uri, now=now, skew=self.skew, at=at
        )
        signed_by = signers.signed_by[-1]
        if at is None:
            until = verified.fresh_until(now)
            self._cache[cache_key] = (verified, float("inf") if until is None else until, signed_by)
        return verified, signed_by
