"""Status List Tokens in JWT format (draft-ietf-oauth-status-list-18 §5.1, §8.3): sign, verify, read.

Verification runs the draft's §8.3 steps 3–6 as named failures of one ``status`` check: the JWS
parses, ``typ`` is ``statuslist+jwt``, ``alg`` is on the allow-list, the signer is the credential's
agency (a ``key`` resolver raises ``StatusError("signer", …)`` otherwise), the signature verifies
with its key, the required claims have their types, ``sub`` is the ``uri`` the credential
referenced, the clock passed in lies within ``iat``/``exp`` (and, for a historical request, the
requested time does too, §8.4), and the list decodes within its size limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.crypto import SigningKey, VerifyKey, check_alg, parse_jws, sign_jws, verify_jws
from dojang.core.log import CredentialStatus
from dojang.core.status._list import StatusList
from dojang.core.status._reference import StatusError, StatusReference, credential_status
from dojang.errors import AlgorithmError, DojangError, InputError

__all__ = ["TYP", "VerifiedStatusList", "require_valid", "sign_status_list", "verify_status_list_token"]

#: The JWT ``typ`` of a Status List Token (§5.1); served as ``application/statuslist+jwt`` (§8.2).
TYP = "statuslist+jwt"
_RESERVED_HEADER = frozenset({"alg", "typ", "crit"})


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    """A verified Status List Token: its list, the URI it is for, and its time claims."""

    uri: str
    iat: int | float
    exp: int | float | None
    ttl: int | float | None
    status_list: StatusList
    header: Mapping[str, Any]

    def fresh_until(self, fetched_at: int) -> int | float | None:
        """When a cached copy fetched at ``fetched_at`` should be replaced: ``min(fetched_at + ttl, exp)``."""
        ends = [t for t in (None if self.ttl is None else fetched_at + self.ttl, self.exp) if t is not None]
        return min(ends) if ends else None


def sign_status_list(
    status_list: StatusList,
    *,
    uri: str,
    key: SigningKey,
    iat: int,
    exp: int,
    ttl: int,
    header: Mapping[str, Any] | None = None,
) -> str:
    """A ``statuslist+jwt`` for ``status_list`` at ``uri``; ``header`` adds members such as ``x5c``."""
    StatusReference(0, uri)  # the same URI rules as the credential's reference
    if key.alg != "ES256":
        raise InputError(f"status list tokens are signed with ES256, not {key.alg}")
    for name, value in (("iat", iat), ("exp", exp), ("ttl", ttl)):
        if type(value) is not int or value < 0:
            raise InputError(f"{name} must be a non-negative integer, found {value!r}")
    if exp <= iat or ttl < 1:
        raise InputError(f"need iat < exp and ttl ≥ 1 (iat {iat}, exp {exp}, ttl {ttl})")
    extra = dict(header or {})
    if reserved := sorted(_RESERVED_HEADER & extra.keys()):
        raise InputError(f"header members {reserved} are set here, not by callers")
    head = {"typ": TYP, "kid": key.kid, **extra}
    payload = {"sub": uri, "iat": iat, "exp": exp, "ttl": ttl, "status_list": status_list.to_json()}
    return sign_jws(head, payload, key)


def _number(payload: Mapping[str, Any], name: str, *, required: bool) -> int | float | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatusError("claims", f"status list token {name} must be a number, found {value!r}")
    return value


_Number = int | float


def _check_claims(payload: Mapping[str, Any], uri: str) -> tuple[_Number, _Number | None, _Number | None]:
    sub = payload.get("sub")
    if not isinstance(sub, str):
        raise StatusError("claims", "status list token has no sub (the list's URI)")
    if sub != uri:
        raise StatusError("sub", f"status list token is for {sub!r}, not for {uri!r} as the credential says")
    iat = _number(payload, "iat", required=True)
    assert iat is not None  # narrowed: required=True raised otherwise
    exp, ttl = _number(payload, "exp", required=False), _number(payload, "ttl", required=False)
    if ttl is not None and ttl <= 0:
        raise StatusError("claims", f"status list token ttl must be positive, found {ttl}")
    return iat, exp, ttl


def _check_times(  # noqa: PLR0917 - private helper, every argument positional from one call site
    iat: int | float, exp: int | float | None, now: int, skew: int, max_age: int | None, at: int | None
) -> None:
    if iat > now + skew:
        raise StatusError("time", f"status list token issued in the future at {int(iat)} (now {now})")
    if at is not None:
        # §8.4: a historical answer must cover the time asked for, and may have expired since; a
        # server that ignored ?time= returns the current list, which must not be taken for history.
        if not (iat <= at and (exp is None or at < exp)):
            raise StatusError("time", f"status list token (iat {int(iat)}, exp {exp}) does not cover {at}")
        return
    if exp is not None and now - skew >= exp:
        raise StatusError("time", f"status list token expired at {int(exp)} (now {now})")
    if max_age is not None and iat < now - max_age - skew:
        raise StatusError("time", f"status list token issued at {int(iat)} is older than {max_age}s")


def verify_status_list_token(
    token: str,
    *,
    key: VerifyKey | Callable[[Mapping[str, Any]], VerifyKey],
    uri: str,
    now: int,
    skew: int = 60,
    max_age: int | None = None,
    at: int | None = None,
    allowed_algs: frozenset[str] = frozenset({"ES256"}),
) -> VerifiedStatusList:
    """Verify a ``statuslist+jwt`` for ``uri`` at clock ``now`` (``at``: a historical request's time)."""
    try:
        jws = parse_jws(token, what="status list token")
    except DojangError as exc:
        raise StatusError("malformed", exc.message) from exc
    typ = jws.header.get("typ")
    if typ != TYP:
        raise StatusError("typ", f"status list token typ must be {TYP!r}, found {typ!r}")
    try:
        check_alg(jws.header, allowed_algs, what="status list token")
    except AlgorithmError as exc:
        raise StatusError("algorithm", exc.message) from exc
    try:
        verify_jws(jws, key, allowed_algs=allowed_algs, what="status list token")
    except StatusError:
        raise  # the key resolver's own verdict on the signer (failure "signer")
    except DojangError as exc:
        raise StatusError("signature", exc.message) from exc
    iat, exp, ttl = _check_claims(jws.payload, uri)
    _check_times(iat, exp, now, skew, max_age, at)
    try:
        status_list = StatusList.from_json(jws.payload.get("status_list"))
    except DojangError as exc:
        raise StatusError("list", exc.message) from exc
    return VerifiedStatusList(uri, iat, exp, ttl, status_list, jws.header)


def require_valid(verified: VerifiedStatusList, ref: StatusReference) -> str:
    """Raise StatusError unless the credential's entry is VALID; return the verdict line's detail."""
    if ref.uri != verified.uri:
        raise StatusError("sub", f"the credential refers to {ref.uri!r}, the list is {verified.uri!r}")
    status = credential_status(verified.status_list, ref.idx)
    if status is CredentialStatus.REVOKED:
        raise StatusError("revoked", f"the issuer revoked this credential (index {ref.idx} of {ref.uri})")
    if status is CredentialStatus.SUSPENDED:
        raise StatusError("suspended", f"the issuer suspended this credential (index {ref.idx} of {ref.uri})")
    return f"valid at index {ref.idx} of {ref.uri} (list issued {int(verified.iat)})"
