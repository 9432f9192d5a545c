"""Wallet role: receive credentials (OpenID4VCI), hold them and present chosen claims to a recipient."""

from dojang.roles.wallet._present import claim_paths, present_claims
from dojang.roles.wallet._receive import (
    PendingIssuance,
    Received,
    Transport,
    parse_offer_link,
    poll_deferred,
    receive,
)

__all__ = [
    "PendingIssuance",
    "Received",
    "Transport",
    "claim_paths",
    "parse_offer_link",
    "poll_deferred",
    "present_claims",
    "receive",
]
