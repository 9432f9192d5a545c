"""Operator role: the platform accredits agencies and runs the transparency log (record, anchor, audit)."""

from dojang.roles.operator._accreditation import AgencyRecord, Operator, OperatorRegistry
from dojang.roles.operator._audit import AuditError, AuditReport, ScanningStore, audit_log
from dojang.roles.operator._changes import INSTITUTION, AccreditationService, institution_entry
from dojang.roles.operator._service import AnchorStatus, LogService, issuance_entry

__all__ = [
    "INSTITUTION",
    "AccreditationService",
    "AgencyRecord",
    "AnchorStatus",
    "AuditError",
    "AuditReport",
    "LogService",
    "Operator",
    "OperatorRegistry",
    "ScanningStore",
    "audit_log",
    "institution_entry",
    "issuance_entry",
]
