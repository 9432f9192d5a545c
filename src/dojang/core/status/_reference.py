"""The credential side (draft-ietf-oauth-status-list-18 §6.2): the ``status`` claim and what it points at.

A credential carries ``{"status": {"status_list": {"idx": N, "uri": URI}}}``. The issuer builds it
with :func:`status_claim`; the verifier reads it from *verified* claims with :func:`read_status_claim`
and, once it holds the verified list the ``uri`` names, asks ``require_valid`` (in the token module)
for the verdict line. Every failure is a :class:`StatusError` (check ``"status"``) whose ``failure``
says which step failed, so the verdict can name it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dojang.core.log import CredentialStatus
from dojang.core.status._list import StatusList
from dojang.errors import DojangError, InputError, VerificationError

__all__ = [
    "FAILURES",
    "StatusError",
    "StatusListFullError",
    "StatusReference",
    "credential_status",
    "read_status_claim",
    "status_claim",
]

#: Every value :attr:`StatusError.failure` takes, in the order verification meets them.
FAILURES = (
    "reference",  # the credential's status claim is missing or malformed
    "unavailable",  # the Status List Token could not be fetched (no such list, unreachable, too large)
    "malformed",  # the Status List Token does not parse as a JWS
    "typ",  # its header typ is not statuslist+jwt
    "algorithm",  # its alg is not on the allow-list
    "signer",  # not signed by the credential's agency (x5c chain, issuer id, revocation; or kid)
    "signature",  # its signature does not verify with the given key
    "claims",  # a required claim is missing or has the wrong type
    "sub",  # its sub is not the uri the credential referenced
    "time",  # expired, issued in the future, too old, or not covering the requested time
    "list",  # status_list does not decode (bits, base64url, zlib, size limit)
    "index",  # the credential's idx is outside the list
    "unknown",  # the entry holds a value dojang does not define (3 or above)
    "revoked",  # the entry says REVOKED (0x01)
    "suspended",  # the entry says SUSPENDED (0x02)
)

# RFC 3986 absolute URI: a scheme, a colon, and no whitespace or control characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20\x7f-\x9f]+")
_MAX_URI = 2048


class StatusError(VerificationError):
    """The credential's status could not be established, or is not VALID; ``failure`` names the step."""

    check = "status"

    def __init__(self, failure: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"status {failure}: {message}", hint=hint)
        self.failure = failure


class StatusListFullError(DojangError):
    """Every index of a status list is taken: the issuer must open a new list."""

    http_status = 409
    exit_code = 2
    hint = "allocate from a fresh status list (a new uri)"


def _check_uri(uri: Any, what: str) -> str:
    if not isinstance(uri, str) or len(uri) > _MAX_URI or not _URI.fullmatch(uri):
        raise InputError(f"{what} must be an absolute URI of at most {_MAX_URI} characters, found {uri!r}")
    return uri


@dataclass(frozen=True, slots=True)
class StatusReference:
    """Where a credential's status lives: entry ``idx`` of the Status List Token at ``uri``."""

    idx: int
    uri: str

    def __post_init__(self) -> None:
        if type(self.idx) is not int or self.idx < 0:
            raise InputError(f"status idx must be a non-negative integer, found {self.idx!r}")
        _check_uri(self.uri, "status uri")


def status_claim(ref: StatusReference) -> dict[str, Any]:
    """The ``status`` claim value for a credential: ``{"status_list": {"idx": …, "uri": …}}``."""
    return {"status_list": {"idx": ref.idx, "uri": ref.uri}}


def read_status_claim(claims: Mapping[str, Any]) -> StatusReference:
    """The reference in verified ``claims``; a missing or malformed ``status`` claim is a StatusError."""
    status = claims.get("status")
    if not isinstance(status, Mapping):
        raise StatusError("reference", "the credential has no status object")
    entry = status.get("status_list")
    if not isinstance(entry, Mapping):
        raise StatusError("reference", "the status claim has no status_list object")
    idx, uri = entry.get("idx"), entry.get("uri")
    if type(idx) is not int or idx < 0:
        raise StatusError("reference", f"status_list idx must be a non-negative integer, found {idx!r}")
    try:
        return StatusReference(idx, _check_uri(uri, "status_list uri"))
    except InputError as exc:
        raise StatusError("reference", exc.message) from None


def credential_status(status_list: StatusList, idx: int) -> CredentialStatus:
    """The status at ``idx`` as dojang defines it (VALID, REVOKED, SUSPENDED); anything else is an error."""
    if type(idx) is not int or not 0 <= idx < status_list.size:
        # §8.3 step 6: out of bounds means no statement can be made, and the token MUST be rejected.
        raise StatusError("index", f"index {idx!r} is outside the status list (size {status_list.size})")
    value = status_list.get(idx)
    try:
        return CredentialStatus(value)
    except ValueError:
        detail = f"index {idx} holds status value {value:#04x}, which dojang does not define"
        raise StatusError("unknown", detail) from None
