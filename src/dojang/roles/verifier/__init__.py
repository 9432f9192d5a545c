"""Verifier role: one pipeline of named checks, each with its own verdict line."""

from dojang.roles.verifier._log import ChainView, LogTrust
from dojang.roles.verifier._trust import TrustedKey, TrustList
from dojang.roles.verifier._verdict import Check, Verdict
from dojang.roles.verifier._verifier import Verifier

__all__ = ["ChainView", "Check", "LogTrust", "TrustList", "TrustedKey", "Verdict", "Verifier"]
