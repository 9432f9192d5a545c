"""The demo's status chapter: one more 등본 copy, revoked with a reason, and the lists as files."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.status_sources import write_status_trust
from dojang.cli._context import State
from dojang.cli._issue import issue_credential, registry_claims
from dojang.cli._status import change_status, publish_status_tokens
from dojang.core.log import CredentialStatus, credential_digest
from dojang.core.status import StatusReason

__all__ = ["REVOKED_KIND", "REVOKE_REASON", "issue_revoked_copy", "publish_demo_status"]

#: Why the demo's extra copy is revoked.
REVOKE_REASON = StatusReason.LOST_OR_STOLEN
#: The kind of the revoked copy.
REVOKED_KIND = "resident-register-copy"


def issue_revoked_copy(
    state: State,
    registry: SyntheticRegistry,
    citizen_id: str,
    now: datetime.datetime,
    holder_jwk: dict[str, Any],
    *,
    agency: str | None = None,
) -> str:
    """Issue a second 등본 copy to the citizen (as ``agency``), then revoke it (logged, with a snapshot)."""
    claims = registry_claims(registry, REVOKED_KIND, citizen_id, now, None)
    sd_jwt = issue_credential(
        state, REVOKED_KIND, claims, now=now, holder_jwk=holder_jwk, agency=agency
    ).sd_jwt
    change_status(state, credential_digest(sd_jwt), CredentialStatus.REVOKED, REVOKE_REASON)
    return sd_jwt


def publish_demo_status(state: State, out: Path) -> Path:
    """Write ``out/status/<list id>.jwt`` and ``out/trust/status.json`` pointing at them."""
    directory = out / "status"
    publish_status_tokens(state, directory)
    write_status_trust(out / "trust", {"directory": "../status"})
    return directory
