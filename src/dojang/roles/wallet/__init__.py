"""Wallet role: hold credentials and present chosen claims to a recipient."""

from dojang.roles.wallet._present import claim_paths, present_claims

__all__ = ["claim_paths", "present_claims"]
