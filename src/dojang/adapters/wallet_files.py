"""The reference wallet's credentials at rest: one AES-256-GCM file each, and its HTTP transport.

Layout under ``WALLET/wallet/``::

    salt            16 random bytes: the scrypt salt of the wallet key
    <id>.cred       seal(key, JSON record, aad=id): the credential, its kind, issuer, holder key id

The wallet key is derived from the data directory's key passphrase (``DOJANG_KEY_PASSPHRASE``,
``--passphrase-file`` or the development ``keys/kek``), the same secret that encrypts the holder
keys; nothing in clear is written. A file that was altered, or opened with another passphrase, is
refused (ConfigError naming it), never half-read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from dojang.adapters.keystore import atomic_write
from dojang.core.crypto import derive_key, open_sealed, seal
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, MalformedError, NotFoundError, UnavailableError

__all__ = ["HttpTransport", "StoredCredential", "WalletStore"]

_ID_CHARS = frozenset("0123456789abcdef")
_MAX_RESPONSE = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredCredential:
    """One credential in the wallet: the SD-JWT VC and what the wallet knows about it."""

    id: str
    sd_jwt: str
    kind: str
    vct: str
    issuer: str
    credential_issuer: str
    holder_kid: str
    received_at: int


class WalletStore:
    """The encrypted credential files of one wallet directory; the passphrase is asked for on first use."""

    def __init__(self, directory: Path, passphrase: Callable[[], bytes]) -> None:
        self.directory = directory
        self._passphrase = passphrase
        self._key: bytes | None = None

    def _wallet_key(self) -> bytes:
        if self._key is None:
            salt_path = self.directory / "salt"
            if not salt_path.is_file():
                atomic_write(salt_path, secrets.token_bytes(16), mode=0o600)
            self._key = derive_key(self._passphrase(), salt_path.read_bytes())
        return self._key

    def _path(self, credential_id: str) -> Path:
        if len(credential_id) != 32 or not set(credential_id) <= _ID_CHARS:
            raise NotFoundError(f"no credential {credential_id!r} in this wallet (ids are 32 hex digits)")
        return self.directory / f"{credential_id}.cred"

    def add(self, record: Mapping[str, Any]) -> StoredCredential:
        """Store a new credential (``record`` without its ``id``); the stored entry with its new id."""
        stored = StoredCredential(id=secrets.token_hex(16), **record)
        plaintext = json.dumps(asdict(stored), ensure_ascii=False).encode()
        sealed = seal(self._wallet_key(), plaintext, aad=stored.id.encode(), rng=secrets.token_bytes)
        atomic_write(self._path(stored.id), sealed, mode=0o600)
        return stored

    def get(self, credential_id: str) -> StoredCredential:
        path = self._path(credential_id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no credential {credential_id} in this wallet") from None
        try:
            document = loads_strict(open_sealed(self._wallet_key(), sealed, aad=credential_id.encode()))
            return StoredCredential(**document)
        except (MalformedError, TypeError) as exc:
            raise ConfigError(
                f"wallet file {path} does not open: altered, or another passphrase ({exc})"
            ) from None

    def list(self) -> list[StoredCredential]:
        """Every credential, oldest first."""
        if not self.directory.is_dir():
            return []
        found = [self.get(path.stem) for path in self.directory.glob("*.cred")]
        return sorted(found, key=lambda c: (c.received_at, c.id))


class HttpTransport:
    """The wallet's HTTP: JSON answers, bounded size, no redirects, errors as UnavailableError."""

    def __init__(self, client: httpx.Client | None = None, *, timeout: float = 10.0) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, url: str, **options: Any) -> tuple[int, Any]:
        try:
            response = self._client.request(method, url, **options)
        except httpx.HTTPError as exc:
            raise UnavailableError(f"{url} cannot be reached: {exc}") from None
        if len(response.content) > _MAX_RESPONSE:
            raise UnavailableError(f"{url} answered with more than {_MAX_RESPONSE} bytes")
        try:
            body = loads_strict(response.content, what=f"answer of {url}") if response.content else None
        except MalformedError:
            body = None
        return response.status_code, body

    def get(self, url: str) -> tuple[int, Any]:
        return self._send("GET", url, headers={"Accept": "application/json"})

    def post_form(self, url: str, form: Mapping[str, str]) -> tuple[int, Any]:
        return self._send("POST", url, data=dict(form))

    def post_json(self, url: str, body: Any, *, bearer: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self._send("POST", url, json=body, headers=headers)
