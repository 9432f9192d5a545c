"""The public surface of dojang.core.status, pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import dojang.core.status as status

EXPECTED = {
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
}


def test_public_names() -> None:
    assert set(status.__all__) == EXPECTED
    assert all(hasattr(status, name) for name in EXPECTED)
    assert status.DRAFT == "draft-ietf-oauth-status-list-18"
    assert status.DEFAULT_SIZE >= 100_000
