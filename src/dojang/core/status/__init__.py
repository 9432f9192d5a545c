"""Token Status List (draft-ietf-oauth-status-list-18): bit array, token, reference, history, store port."""

from dojang.core.status._allocate import DRAW_ATTEMPTS, UsedIndexes, allocate_index, draw_indexes, mark_used
from dojang.core.status._history import SnapshotWindow, StatusSnapshot, snapshot_at, status_at
from dojang.core.status._list import ALLOWED_BITS, DEFAULT_SIZE, MAX_LIST_BYTES, StatusList
from dojang.core.status._reason import StatusReason
from dojang.core.status._reference import (
    FAILURES,
    StatusError,
    StatusListFullError,
    StatusReference,
    credential_status,
    read_status_claim,
    status_claim,
)
from dojang.core.status._store import (
    CredentialRecord,
    ListHead,
    StatusChangeRecord,
    StatusConflictError,
    StatusStore,
    StoredList,
)
from dojang.core.status._token import (
    TYP,
    VerifiedStatusList,
    require_valid,
    sign_status_list,
    verify_status_list_token,
)

#: The draft this package implements (the latest numbered one when it was written, 18 February 2026).
DRAFT = "draft-ietf-oauth-status-list-18"

__all__ = [
    "ALLOWED_BITS",
    "DEFAULT_SIZE",
    "DRAFT",
    "DRAW_ATTEMPTS",
    "FAILURES",
    "MAX_LIST_BYTES",
    "TYP",
    "CredentialRecord",
    "ListHead",
    "SnapshotWindow",
    "StatusChangeRecord",
    "StatusConflictError",
    "StatusError",
    "StatusList",
    "StatusListFullError",
    "StatusReason",
    "StatusReference",
    "StatusSnapshot",
    "StatusStore",
    "StoredList",
    "UsedIndexes",
    "VerifiedStatusList",
    "allocate_index",
    "credential_status",
    "draw_indexes",
    "mark_used",
    "read_status_claim",
    "require_valid",
    "sign_status_list",
    "snapshot_at",
    "status_at",
    "status_claim",
    "verify_status_list_token",
]
