"""Document kinds as data: claim schema, ko/en labels, disclosure policy, validity, derived claims and
whether issuing one waits for the agency's back office.

Each kind is one JSON file in ``kinds/``; adding a kind is adding a file. This package is pure: it
parses and checks documents handed to it (``parse_kind``); reading files is the adapters' job
(``dojang.adapters.catalogue_files.load_catalogue``).
"""

from dojang.core.catalogue._catalogue import Catalogue
from dojang.core.catalogue._compile import Disclosure
from dojang.core.catalogue._derive import DerivedClaim, age_over
from dojang.core.catalogue._kind import ISSUANCE_MODES, DocumentKind, Issuance, Lang
from dojang.core.catalogue._parse import parse_kind
from dojang.core.catalogue._paths import ClaimPath, format_path, parse_path

__all__ = [
    "ISSUANCE_MODES",
    "Catalogue",
    "ClaimPath",
    "DerivedClaim",
    "Disclosure",
    "DocumentKind",
    "Issuance",
    "Lang",
    "age_over",
    "format_path",
    "parse_kind",
    "parse_path",
]
