"""The X.509 side of the trust directory, and the operator's registry in the data directory.

Files::

    TRUST/root-ca.pem         the platform's root CA certificate (PEM): what a verifier pins
    TRUST/trust-list.jwt      the operator's signed trust list (compact JWS, signed by the root CA key)
    DATA/operator/registry.json  the operator's agencies, certificates, accreditations, revocations

The trust list is verified with the key of ``root-ca.pem``: the root is the only thing a verifier
pins, and a trust list signed by anyone else (or altered) fails the ``trust-list`` check.
"""

from __future__ import annotations

import json
from pathlib import Path

from dojang.adapters.keystore import atomic_write
from dojang.core.crypto import Certificate
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, DojangError
from dojang.roles.operator import OperatorRegistry
from dojang.roles.verifier import IssuerPki

__all__ = [
    "REGISTRY_FILE",
    "ROOT_CA_FILE",
    "TRUST_LIST_FILE",
    "read_pki",
    "read_registry",
    "read_root",
    "write_registry",
    "write_root",
    "write_trust_list",
]

ROOT_CA_FILE = "root-ca.pem"
TRUST_LIST_FILE = "trust-list.jwt"
REGISTRY_FILE = Path("operator") / "registry.json"
_MAX_BYTES = 8 * 1024 * 1024


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError(f"{what} {path} is over {_MAX_BYTES} bytes")
    return raw


def read_root(trust_dir: Path) -> Certificate:
    path = trust_dir / ROOT_CA_FILE
    if not path.is_file():
        raise ConfigError(f"no root CA at {path}", hint="create one with: dojang operator init")
    try:
        return Certificate.from_pem(_read(path, "root CA"))
    except DojangError as exc:
        raise ConfigError(f"root CA {path} cannot be used: {exc.message}") from None


def read_pki(trust: Path) -> IssuerPki | None:
    """The root and signed trust list of a trust directory; None when it has no ``root-ca.pem``.

    The trust list's signature is checked when a credential first needs it (the ``trust-list`` line).
    """
    if not (trust / ROOT_CA_FILE).is_file():
        return None
    listing = trust / TRUST_LIST_FILE
    token = _read(listing, "trust list").decode("ascii", "replace") if listing.is_file() else None
    return IssuerPki((read_root(trust),), token)


def write_root(trust_dir: Path, root: Certificate) -> Path:
    path = trust_dir / ROOT_CA_FILE
    atomic_write(path, root.to_pem().encode("ascii"))
    return path


def write_trust_list(trust_dir: Path, token: str) -> Path:
    path = trust_dir / TRUST_LIST_FILE
    atomic_write(path, (token + "\n").encode("ascii"))
    return path


def read_registry(data_dir: Path) -> OperatorRegistry:
    """The operator's registry; ConfigError when the data directory has none (run operator init)."""
    path = data_dir / REGISTRY_FILE
    if not path.is_file():
        raise ConfigError(f"no operator registry at {path}", hint="create one with: dojang operator init")
    try:
        return OperatorRegistry.from_json(loads_strict(_read(path, "operator registry"), what="registry"))
    except DojangError as exc:
        raise ConfigError(f"operator registry {path} is damaged: {exc.message}") from None


def write_registry(data_dir: Path, registry: OperatorRegistry) -> Path:
    path = data_dir / REGISTRY_FILE
    text = json.dumps(registry.to_json(), indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, text.encode("utf-8"), mode=0o600)
    return path
