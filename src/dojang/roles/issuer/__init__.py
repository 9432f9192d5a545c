"""Issuing agency role: turns registry data into signed SD-JWT VCs of a catalogue kind."""

from dojang.roles.issuer._issuer import IssuedCredential, Issuer
from dojang.roles.issuer._status import (
    DEFAULT_TTL,
    FULL_AT,
    TOKEN_LIFETIME,
    EntryRecorder,
    StatusChange,
    StatusLists,
    agency_slug,
)

__all__ = [
    "DEFAULT_TTL",
    "FULL_AT",
    "TOKEN_LIFETIME",
    "EntryRecorder",
    "IssuedCredential",
    "Issuer",
    "StatusChange",
    "StatusLists",
    "agency_slug",
]
