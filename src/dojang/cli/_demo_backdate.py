"""The demo's back-dating chapter: an insider signs a 등본 with the agency's genuine key, dated days back.

Everything about the copy is genuine — the accredited agency's certified key, its status entry, its log
entry, the anchor — except the ``iat`` it claims. The log records it when it is really signed, so the
block anchoring it is days after that ``iat``: only the verdict's ``log-time`` line can tell, and must.
"""

from __future__ import annotations

import datetime
from typing import Any

from dojang.adapters.registry import SyntheticRegistry
from dojang.cli._context import State
from dojang.cli._issue import issue_credential, registry_claims
from dojang.cli._messages import Lang

__all__ = ["BACKDATED_KIND", "BACKDATE_DAYS", "backdate_step", "issue_backdated_copy"]

#: The kind of the back-dated copy.
BACKDATED_KIND = "resident-register-copy"
#: How far back the insider dates it: well inside the kind's validity period (so nothing but the log
#: can tell), far beyond the log's anchor window (one hour by default).
BACKDATE_DAYS = 10

# (ko, en), as in dojang.cli._messages: the one line this chapter adds to the story.
_STEP = (
    "6¾. 기관 내부자가 기관의 진짜 키로 등본 한 부를 더 서명하면서 발급 시각을 {days}일 전({iat})으로 "
    "적습니다 (소급 발급). 로그는 지금 기록하고 블록체인은 지금 앵커하므로, 검증에서 발급 시각(log-time) "
    "줄만 실패해야 합니다",
    "6¾. An insider at the agency signs one more 등본 copy with the agency's genuine key, dated {days} "
    "days back ({iat}): back-dated. The log records it and the chain anchors it now, so only the "
    "verdict's issue-time line (log-time) must fail",
)


def issue_backdated_copy(
    state: State,
    registry: SyntheticRegistry,
    citizen_id: str,
    now: datetime.datetime,
    holder_jwk: dict[str, Any],
    *,
    agency: str | None = None,
) -> str:
    """Issue a 등본 copy to the citizen (as ``agency``) claiming ``iat`` BACKDATE_DAYS before ``now``.

    Issued through the same path as every other certificate: its entry goes into the log now, with
    the claimed ``iat`` as its time (the entry copies it), and is anchored with the next checkpoint.
    """
    claimed = now - datetime.timedelta(days=BACKDATE_DAYS)
    claims = registry_claims(registry, BACKDATED_KIND, citizen_id, claimed, None)
    return issue_credential(
        state, BACKDATED_KIND, claims, now=claimed, holder_jwk=holder_jwk, agency=agency
    ).sd_jwt


def backdate_step(now: datetime.datetime, lang: Lang) -> str:
    """The story's line for the back-dated copy, in ``lang``."""
    claimed = (now - datetime.timedelta(days=BACKDATE_DAYS)).strftime("%Y-%m-%d %H:%M UTC")
    ko, en = _STEP
    return (ko if lang == "ko" else en).format(days=BACKDATE_DAYS, iat=claimed)
