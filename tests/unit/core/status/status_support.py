"""Shared helpers for the status tests: the draft's vectors, its example key, a fixed random source."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from dojang.core.crypto import Rng, SigningKey, VerifyKey, generate_key, signing_key_from_jwk

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "status-list"
URI = "https://status.dojang.example/lists/7"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def load(name: str) -> Any:
    return json.loads((ASSETS / name).read_text(encoding="utf-8"))


def fixed_rng(seed: int) -> Rng:
    return random.Random(seed).randbytes


def draft_key() -> SigningKey:
    """The P-256 key (kid "12") that signed the draft's example Status List Token."""
    jwk = load("draft-18-tokens.json")["key"]
    return signing_key_from_jwk({name: jwk[name] for name in ("kty", "crv", "x", "y", "d")})


def agency_key(seed: int = 1) -> SigningKey:
    return generate_key("ES256", fixed_rng(seed))


def other_key() -> VerifyKey:
    return generate_key("ES256", fixed_rng(99)).public
