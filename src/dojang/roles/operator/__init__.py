"""Operator role: the platform runs the transparency log — records, integrates, checkpoints, anchors."""

from dojang.roles.operator._audit import AuditError, AuditReport, ScanningStore, audit_log
from dojang.roles.operator._service import AnchorStatus, LogService, issuance_entry

__all__ = [
    "AnchorStatus",
    "AuditError",
    "AuditReport",
    "LogService",
    "ScanningStore",
    "audit_log",
    "issuance_entry",
]
