"""The one error hierarchy of dojang: every failure has a class, an HTTP status and a CLI exit code.

The tree::

    DojangError                      500 / exit 2
    ├── InputError                   400 / exit 2   unreadable input or bad usage
    │   ├── MalformedError           400 / exit 2   bytes that do not parse (base64, JSON, JWS shape)
    │   ├── TooLargeError            413 / exit 2   input over a stated size limit
    │   └── SchemaError              422 / exit 2   claims not matching a kind's schema (lists every field)
    ├── NotFoundError                404 / exit 2   a key, kind or record that does not exist
    ├── ForbiddenError               403 / exit 2   an actor doing what it may not (e.g. issue a kind
    │                                               it is not accredited for, sign as the operator)
    ├── ConfigError                  500 / exit 2   settings, catalogue files or key store that cannot be used
    ├── UnavailableError             503 / exit 2   a node or server that cannot be reached now (retry later)
    ├── AnchorRejectedError          409 / exit 2   the anchoring contract refused a transaction (``reason``)
    └── VerificationError            422 / exit 1   a readable input that is not valid; names the failed check
        ├── IssuerKeyError                          check "issuer-key"
        ├── SignatureError                          check "signature"
        ├── AlgorithmError                          check "algorithm"
        ├── HeaderError                             check "header"
        ├── DisclosureError                         check "disclosures"
        ├── ClaimsError                             check "claims"
        ├── KindError                               check "kind"
        ├── ValidityPeriodError                     check "validity-period"
        ├── HolderBindingError                      check "key-binding"
        ├── AudienceError / NonceError              check "audience" / "nonce"
        ├── LogInclusionError                       check "log-inclusion"
        ├── LogAnchorError                          check "log-anchored"
        ├── LogConsistencyError                     check "log-consistency"
        └── LogTimeError                            check "log-time"

Every verification failure names its check (``error.check``) so that the verdict line and the
CLI's ``--json`` output say exactly what failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AlgorithmError",
    "AnchorRejectedError",
    "AudienceError",
    "ClaimsError",
    "ConfigError",
    "DisclosureError",
    "DojangError",
    "FieldProblem",
    "ForbiddenError",
    "HeaderError",
    "HolderBindingError",
    "InputError",
    "IssuerKeyError",
    "KindError",
    "LogAnchorError",
    "LogConsistencyError",
    "LogInclusionError",
    "LogTimeError",
    "MalformedError",
    "NonceError",
    "NotFoundError",
    "SchemaError",
    "SignatureError",
    "TooLargeError",
    "UnavailableError",
    "ValidityPeriodError",
    "VerificationError",
]


class DojangError(Exception):
    """The base of every error dojang raises on purpose."""

    http_status: int = 500
    exit_code: int = 2
    #: A short human hint: what the user can do about it.
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def diagnostics(self) -> str:
        """The message and, where there is one, the hint, for a person to read."""
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InputError(DojangError):
    """Unreadable input or bad usage."""

    http_status = 400
    exit_code = 2


class MalformedError(InputError):
    """Bytes that do not parse: bad base64, bad JSON, duplicate keys, wrong JWS shape."""


class TooLargeError(InputError):
    """Input over a stated size limit."""

    http_status = 413


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One offending field: where it is (a JSON path like ``members[2].name``) and what is wrong."""

    path: str
    problem: str


class SchemaError(InputError):
    """Claims that do not match a document kind's schema; lists every offending field."""

    http_status = 422

    def __init__(self, message: str, problems: Sequence[FieldProblem]) -> None:
        lines = "\n".join(f"  - {p.path or '(root)'}: {p.problem}" for p in problems)
        super().__init__(f"{message}\n{lines}" if lines else message)
        self.problems = tuple(problems)


class NotFoundError(DojangError):
    """A key, kind or record that does not exist."""

    http_status = 404
    exit_code = 2


class ForbiddenError(DojangError):
    """The actor may not do this: not accredited for the kind, not the operator, not the owner."""

    http_status = 403
    exit_code = 2


class ConfigError(DojangError):
    """Settings, catalogue files or a key store that cannot be used."""


class UnavailableError(DojangError):
    """A node or server that cannot be reached now: the work waits and is retried, nothing is lost."""

    http_status = 503
    exit_code = 2


class AnchorRejectedError(DojangError):
    """The anchoring contract refused a transaction (``reason`` is its revert message).

    The usual reason is a tree size not larger than the last anchored one: after a crash the
    outbox may resubmit a checkpoint that is already on chain, so look it up before retrying.
    """

    http_status = 409
    exit_code = 2

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the anchoring contract refused the transaction: {reason}",
            hint="look the checkpoint up on chain: it may already be anchored",
        )
        self.reason = reason


class VerificationError(DojangError):
    """A readable input that is not valid. ``check`` names the failed check."""

    http_status = 422
    exit_code = 1
    check: str = "valid"

    def __init__(self, message: str, *, check: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        if check is not None:
            self.check = check


class IssuerKeyError(VerificationError):
    """The signing key is not a trusted issuer key, or was retired before the credential was signed."""

    check = "issuer-key"


class KindError(VerificationError):
    """The ``vct`` is not a catalogue kind, or the claims do not fit that kind."""

    check = "kind"


class SignatureError(VerificationError):
    check = "signature"


class AlgorithmError(VerificationError):
    check = "algorithm"


class HeaderError(VerificationError):
    check = "header"


class DisclosureError(VerificationError):
    check = "disclosures"


class ClaimsError(VerificationError):
    check = "claims"


class ValidityPeriodError(VerificationError):
    check = "validity-period"


class HolderBindingError(VerificationError):
    check = "key-binding"


class AudienceError(VerificationError):
    check = "audience"


class NonceError(VerificationError):
    check = "nonce"


class LogInclusionError(VerificationError):
    """The ``.tlog-proof`` is missing, does not verify, or proves another credential's entry."""

    check = "log-inclusion"


class LogAnchorError(VerificationError):
    """The proof's checkpoint is not on the chain (or not deep enough, or another root is)."""

    check = "log-anchored"


class LogConsistencyError(VerificationError):
    """The proof's checkpoint is not a prefix of the latest anchored one: the log forked."""

    check = "log-consistency"


class LogTimeError(VerificationError):
    """The credential's ``iat`` disagrees with the time the log proves: back-dated or post-dated."""

    check = "log-time"
