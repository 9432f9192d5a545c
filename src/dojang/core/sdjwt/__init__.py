"""SD-JWT (RFC 9901) and SD-JWT VC (draft-ietf-oauth-sd-jwt-vc-12): issue, present, verify."""

from dojang.core.sdjwt._disclosure import Disclosure
from dojang.core.sdjwt._format import MAX_TOKEN_BYTES, SdJwt, parse
from dojang.core.sdjwt._issue import NEVER_SELECTIVE, issue
from dojang.core.sdjwt._paths import ClaimPath
from dojang.core.sdjwt._present import disclosure_paths, present
from dojang.core.sdjwt._verify import CHECKS, KbExpectation, Recorder, Verified, verify

__all__ = [
    "CHECKS",
    "MAX_TOKEN_BYTES",
    "NEVER_SELECTIVE",
    "ClaimPath",
    "Disclosure",
    "KbExpectation",
    "Recorder",
    "SdJwt",
    "Verified",
    "disclosure_paths",
    "issue",
    "parse",
    "present",
    "verify",
]
