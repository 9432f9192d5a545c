"""Why a credential's status changed: a small closed set of reason codes, logged as one byte."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

from dojang.core.log import CredentialStatus
from dojang.errors import InputError

__all__ = ["StatusReason"]

_LABELS: dict[int, tuple[str, str, str]] = {
    # code: (name on the command line, ko, en)
    0: ("unspecified", "사유 미지정", "unspecified"),
    1: ("issued-in-error", "잘못 발급됨", "issued in error"),
    2: ("data-changed", "등록 정보 변경", "registry data changed"),
    3: ("superseded", "새 증명서로 대체", "superseded by a new certificate"),
    4: ("holder-request", "신청인 요청", "at the holder's request"),
    5: ("lost-or-stolen", "분실 또는 도난", "lost or stolen"),
    6: ("under-investigation", "조사 중", "under investigation"),
    7: ("court-order", "법원 명령", "court order"),
    8: ("review-completed", "검토 완료", "review completed"),
}


class StatusReason(IntEnum):
    """The reason code of a status change (the ``reason`` byte of a log ``StatusEntry``)."""

    UNSPECIFIED = 0
    ISSUED_IN_ERROR = 1
    DATA_CHANGED = 2
    SUPERSEDED = 3
    HOLDER_REQUEST = 4
    LOST_OR_STOLEN = 5
    UNDER_INVESTIGATION = 6
    COURT_ORDER = 7
    REVIEW_COMPLETED = 8

    @property
    def slug(self) -> str:
        """The reason's name on the command line and in the API, e.g. ``lost-or-stolen``."""
        return _LABELS[self.value][0]

    def label(self, lang: Literal["ko", "en"]) -> str:
        """The reason in Korean or English, for people."""
        ko, en = _LABELS[self.value][1:]
        return ko if lang == "ko" else en

    @classmethod
    def parse(cls, name: str) -> StatusReason:
        """The reason named ``name`` (its slug); InputError listing the known ones otherwise."""
        for reason in cls:
            if reason.slug == name:
                return reason
        known = ", ".join(r.slug for r in cls)
        raise InputError(f"unknown status reason {name!r}; use one of: {known}")

    def allows(self, status: CredentialStatus) -> bool:
        """Whether this reason fits a change to ``status`` (review-completed only reinstates)."""
        if self is StatusReason.REVIEW_COMPLETED:
            return status is CredentialStatus.VALID
        return True
