"""The ``status`` check: the credential's entry in its issuer's Token Status List is VALID.

The verifier reads the ``status`` claim (draft-ietf-oauth-status-list-18 §6.2), fetches the Status
List Token it names from a :class:`StatusSource` (a directory of token files, the data directory's
own store, or HTTP — adapters provide them), verifies it with the issuer's key from the trust list
(a key of the same ``iss`` as the credential), and requires the entry to be VALID. A verified
current list is cached until its ``fresh_until`` (``min(fetched + ttl, exp)``), so a verifier
checking many credentials of one list fetches and verifies it once per ``ttl``. With ``at`` (a
historical question, §8.4) the token asked for is the list as it stood at that time.

A credential without a ``status`` claim gets no line, unless the check is ``required``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dojang.core.crypto import VerifyKey
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

__all__ = ["StatusCheck", "StatusSource"]


class StatusSource(Protocol):
    """Where Status List Tokens come from; raises a DojangError when it has none for ``uri``."""

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        """The token for ``uri`` (the list now, or as it stood at time ``at``)."""
        ...


@dataclass
class StatusCheck:
    """The status line's policy and cache: the token ``source``, and whether a claim is ``required``."""

    source: StatusSource
    required: bool = False
    skew: int = 60
    _cache: dict[str, tuple[VerifiedStatusList, float]] = field(default_factory=dict, repr=False)

    def line(
        self, trust: TrustList, payload: Mapping[str, Any], *, now: int, at: int | None = None
    ) -> Check | None:
        """The verdict line (None: no claim and none required); StatusError when not VALID."""
        if "status" not in payload and not self.required:
            return None
        ref = read_status_claim(payload)
        verified = self.lookup(ref, trust, str(payload.get("iss", "")), now=now, at=at)
        detail = require_valid(verified, ref)
        return Check("status", True, detail if at is None else f"{detail}; as it stood at {at}")

    def lookup(
        self, ref: StatusReference, trust: TrustList, iss: str, *, now: int, at: int | None = None
    ) -> VerifiedStatusList:
        """The verified list ``ref`` points at: from the cache while fresh, else fetched and verified."""
        if at is None and (cached := self._cache.get(ref.uri)) is not None and now < cached[1]:
            return cached[0]
        try:
            token = self.source.fetch(ref.uri, at=at)
        except DojangError as exc:
            raise StatusError("unavailable", f"no status list token for {ref.uri}: {exc.message}") from None

        def key(header: Mapping[str, Any]) -> VerifyKey:
            trusted = trust.resolve(header)
            if trusted.iss is not None and trusted.iss != iss:
                raise StatusError("signature", f"the status list is signed by {trusted.iss}, not by {iss}")
            return trusted.key

        verified = verify_status_list_token(token, key=key, uri=ref.uri, now=now, skew=self.skew, at=at)
        if at is None:
            until = verified.fresh_until(now)
            self._cache[ref.uri] = (verified, float("inf") if until is None else until)
        return verified
