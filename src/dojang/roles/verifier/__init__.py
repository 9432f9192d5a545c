"""Verifier role: one pipeline of named checks, each with its own verdict line."""

from dojang.roles.verifier._log import LogTrust
from dojang.roles.verifier._log_time import DEFAULT_ANCHOR_WINDOW, ChainBlockView, ChainView
from dojang.roles.verifier._status import StatusCheck, StatusSource
from dojang.roles.verifier._trust import TrustedKey, TrustList
from dojang.roles.verifier._verdict import Check, Verdict
from dojang.roles.verifier._verifier import Verifier
from dojang.roles.verifier._x509 import IssuerPki

__all__ = [
    "DEFAULT_ANCHOR_WINDOW",
    "ChainBlockView",
    "ChainView",
    "Check",
    "IssuerPki",
    "LogTrust",
    "StatusCheck",
    "StatusSource",
    "TrustList",
    "TrustedKey",
    "Verdict",
    "Verifier",
]
