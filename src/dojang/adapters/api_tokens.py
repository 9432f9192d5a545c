"""API credentials: bearer tokens for the operator and each agency, kept as SHA-256 hashes only.

A token is ``dojang_`` and 32 random bytes (base64url), shown once when it is made. ``DATA/api-tokens.json``
holds its SHA-256 and whom it speaks for (``operator``, or ``agency`` with the agency's issuer id);
a presented token is hashed and compared with every stored hash in constant time, so neither a
stolen file nor response timing gives a usable token away.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dojang.adapters.keystore import atomic_write
from dojang.core.encoding import b64url_encode
from dojang.errors import ConfigError, InputError

__all__ = ["TOKENS_FILE", "Principal", "TokenFile"]

TOKENS_FILE = "api-tokens.json"
_PREFIX = "dojang_"

Role = Literal["operator", "agency"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an API request speaks for: the operator, or one agency (its issuer id)."""

    role: Role
    agency: str | None = None


@dataclass(frozen=True)
class TokenFile:
    """The token hashes of one data directory (re-read when the file changes)."""

    data_dir: Path

    @property
    def path(self) -> Path:
        return self.data_dir / TOKENS_FILE

    def _entries(self) -> list[dict[str, Any]]:
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path} cannot be read: {exc}") from None
        entries = document.get("tokens") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(f"{self.path} has no list of tokens")
        return [e for e in entries if isinstance(e, dict)]

    def create(self, principal: Principal, *, now: int) -> str:
        """A new token for ``principal`` (its hash stored; the token itself only returned)."""
        if (principal.role == "agency") != (principal.agency is not None):
            raise InputError("an agency token names its agency; the operator's names none")
        token = _PREFIX + b64url_encode(secrets.token_bytes(32))
        entry = {
            "sha256": hashlib.sha256(token.encode()).hexdigest(),
            "role": principal.role,
            "agency": principal.agency,
            "created": now,
        }
        entries = [*self._entries(), entry]
        atomic_write(self.path, json.dumps({"tokens": entries}, indent=2).encode(), mode=0o600)
        return token

    def lookup(self, token: str) -> Principal | None:
        """Whom ``token`` speaks for, or None; every stored hash is compared, in constant time each."""
        presented = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest().encode()
        found: Principal | None = None
        for entry in self._entries():
            stored = str(entry.get("sha256", "")).encode()
            if hmac.compare_digest(presented, stored) and found is None:
                role = entry.get("role")
                agency = entry.get("agency")
                if role == "operator":
                    found = Principal("operator")
                elif role == "agency" and isinstance(agency, str):
                    found = Principal("agency", agency)
        return found
