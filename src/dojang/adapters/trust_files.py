"""The trust directory: ``issuers.json``, the issuer keys a verifier trusts, as a file on disk."""

from __future__ import annotations

import json
from pathlib import Path

from dojang.adapters.keystore import atomic_write
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, MalformedError
from dojang.roles.verifier import TrustList

__all__ = ["ISSUERS_FILE", "read_trust", "write_trust"]

ISSUERS_FILE = "issuers.json"
_MAX_BYTES = 8 * 1024 * 1024


def write_trust(trust_dir: Path, trust: TrustList) -> Path:
    """Write ``TRUST_DIR/issuers.json`` atomically; returns its path."""
    path = trust_dir / ISSUERS_FILE
    text = json.dumps(trust.to_json(), indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, text.encode("utf-8"))
    return path


def read_trust(trust: Path) -> TrustList:
    """Read ``TRUST/issuers.json``, or ``TRUST`` itself when it is a file (a trust list, a JWK Set
    or one JWK); a missing or damaged file is a ConfigError naming it."""
    path = trust if trust.is_file() else trust / ISSUERS_FILE
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"no trust list at {path}",
            hint="pass --trust DIR with the issuers.json a platform published, "
            "or issue a credential first (dojang issue writes DATA/trust/issuers.json)",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read trust list {path}: {exc.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError(f"trust list {path} is over {_MAX_BYTES} bytes")
    try:
        return TrustList.from_json(loads_strict(raw, what="trust list"))
    except MalformedError as exc:
        raise ConfigError(f"trust list {path} cannot be used: {exc.message}") from None
