"""The operator's signed trust list: accredited agencies, the kinds each may issue, revoked certificates."""

from dojang.core.trust._list import (
    ACCREDITATION_CHECK,
    TRUST_LIST_CHECK,
    TRUST_LIST_TYP,
    Accreditation,
    AgencyEntry,
    RevokedCertificate,
    TrustListDocument,
    sign_trust_list,
    verify_trust_list,
)

__all__ = [
    "ACCREDITATION_CHECK",
    "TRUST_LIST_CHECK",
    "TRUST_LIST_TYP",
    "Accreditation",
    "AgencyEntry",
    "RevokedCertificate",
    "TrustListDocument",
    "sign_trust_list",
    "verify_trust_list",
]
