"""Where a verifier gets Status List Tokens: a directory of files, the data directory's store, or HTTP.

``TRUST/status.json`` says which, so that ``dojang verify --trust DIR`` can check status offline::

    {"directory": "../status"}                 token files <list id>.jwt (relative to TRUST)
    {"data_dir": ".."}                         sign on demand from that data directory's store and keys
    {"base_url": "https://status.example/statuslists"}   GET <base_url>/<list id>
    {"required": true, ...}                    a credential without a status claim fails ``status``

Without the file, tokens are fetched from the URI each credential names (HTTP GET, bounded time
and size), which is what the draft expects of a verifier on the open internet.

Signing side: :func:`status_signer_lookup` picks an agency's signer from the data directory: the key
of its newest unrevoked, currently valid document-signer certificate in the operator's registry, with
that certificate as ``x5c``; an agency the operator never certified signs with its bare key.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from dojang.adapters._http import get_bounded
from dojang.adapters.keystore import KeyStore, atomic_write
from dojang.adapters.trust_list_files import REGISTRY_FILE, read_registry
from dojang.core.crypto import Certificate, SigningKey, encode_x5c
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, MalformedError, NotFoundError, TooLargeError, UnavailableError
from dojang.roles.issuer import StatusLists, StatusSigner
from dojang.roles.operator import OperatorRegistry

__all__ = [
    "MEDIA_TYPE",
    "STATUS_FILE",
    "DirectoryStatusSource",
    "HttpStatusSource",
    "StoreStatusSource",
    "issuer_key_lookup",
    "list_id_of",
    "read_status_trust",
    "status_signer_lookup",
    "write_status_tokens",
    "write_status_trust",
]

STATUS_FILE = "status.json"
#: The media type of a Status List Token in JWT format (draft-ietf-oauth-status-list-18 §8.2).
MEDIA_TYPE = "application/statuslist+jwt"
#: The largest token accepted from a file or over HTTP (a 16 MiB list compresses far below this).
MAX_TOKEN_BYTES = 4 * 1024 * 1024
_LIST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def list_id_of(uri: str) -> str:
    """The list id a status URI ends in (``…/statuslists/<id>``); NotFoundError for anything else."""
    last = uri.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not _LIST_ID.fullmatch(last):
        raise NotFoundError(f"status list URI {uri!r} does not end in a list id")
    return last


class DirectoryStatusSource:
    """Token files ``<directory>/<list id>.jwt``, as the demo writes them (no history)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        if at is not None:
            raise NotFoundError(f"{self.directory} holds current status lists only, not their history")
        path = self.directory / f"{list_id_of(uri)}.jwt"
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_TOKEN_BYTES + 1)
        except FileNotFoundError:
            raise NotFoundError(f"no status list token {path}") from None
        except OSError as exc:
            raise UnavailableError(f"cannot read {path}: {exc.strerror}") from None
        if len(raw) > MAX_TOKEN_BYTES:
            raise TooLargeError(f"status list token {path} is over {MAX_TOKEN_BYTES} bytes")
        return raw.decode("ascii", "replace").strip()


def issuer_key_lookup(keys: KeyStore) -> Callable[[str], SigningKey]:
    """The signing key of an agency (``iss``): its active issuer key, else its newest unretired one."""

    def key_for(iss: str) -> SigningKey:
        mine = [r for r in keys.list() if r.purpose == "issuer" and r.iss == iss and r.retired_at is None]
        if not mine:
            raise NotFoundError(f"no issuer key of {iss} here to sign its status list")
        chosen = max(mine, key=lambda r: (r.active, r.created_at))
        return keys.load(chosen.kid)

    return key_for


def status_signer_lookup(
    keys: KeyStore, data_dir: Path, clock: Callable[[], float] = time.time
) -> Callable[[str], StatusSigner]:
    """The signer of an agency's status lists (see the module docstring); the registry is read again
    only when its file changed."""
    bare = issuer_key_lookup(keys)
    seen: dict[str, tuple[tuple[int, int], OperatorRegistry]] = {}

    def registry() -> OperatorRegistry | None:
        path = data_dir / REGISTRY_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        version = (stat.st_mtime_ns, stat.st_size)
        if (known := seen.get("registry")) is None or known[0] != version:
            seen["registry"] = known = (version, read_registry(data_dir))
        return known[1]

    def signer_for(iss: str) -> StatusSigner:
        operator = registry()
        cert = None if operator is None else _current_certificate(operator, iss, keys, int(clock()))
        if cert is None:
            return StatusSigner(bare(iss))
        return StatusSigner(keys.load(cert.public_key.kid), tuple(encode_x5c([cert])))

    return signer_for


def _current_certificate(
    registry: OperatorRegistry, iss: str, keys: KeyStore, now: int
) -> Certificate | None:
    """The agency's newest certificate valid at ``now``, not revoked, whose key this key store holds."""
    agency = next((a for a in registry.agencies if a.issuer_id == iss), None)
    if agency is None:
        return None
    revoked = {r.fingerprint for r in registry.revoked}
    held = {r.kid for r in keys.list() if r.purpose == "issuer"}
    usable = [
        cert
        for cert in agency.certificates
        if cert.fingerprint not in revoked
        and cert.public_key.kid in held
        and cert.not_before.timestamp() <= now <= cert.not_after.timestamp()
    ]
    return max(usable, key=lambda cert: cert.not_before) if usable else None


class StoreStatusSource:
    """Tokens signed on demand from a status store with the agencies' keys (what the server answers)."""

    def __init__(
        self,
        lists: StatusLists,
        key_for: Callable[[str], SigningKey | StatusSigner],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lists, self._key_for, self._clock = lists, key_for, clock

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        stored = self.lists.store.load_list(list_id_of(uri))
        if stored.uri != uri:
            raise NotFoundError(f"status list {stored.id!r} is published at {stored.uri}, not {uri}")
        signer, now = self._key_for(stored.issuer), int(self._clock())
        if at is None:
            return self.lists.token(stored.id, signer, now=now)
        return self.lists.token_at(stored.id, at, signer, now=now)


class HttpStatusSource:
    """``GET`` the token over HTTP(S) with a bounded time and size (``base_url``: from there by id)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        url = uri if self.base_url is None else f"{self.base_url.rstrip('/')}/{list_id_of(uri)}"
        if not url.startswith(("https://", "http://")):
            raise NotFoundError(f"status list URI {url!r} is not an http(s) URL")
        params = None if at is None else {"time": str(at)}
        body = get_bounded(
            self._client, url, limit=MAX_TOKEN_BYTES, params=params, headers={"Accept": MEDIA_TYPE}
        )
        if body is None:
            raise NotFoundError(f"{url} answered 404: no such status list (at that time)")
        return body.decode("ascii", "replace").strip()

    def close(self) -> None:
        self._client.close()


def write_status_trust(trust_dir: Path, document: dict[str, Any]) -> Path:
    """Write ``TRUST/status.json`` (see the module docstring) atomically; its path."""
    path = trust_dir / STATUS_FILE
    atomic_write(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    return path


def read_status_trust(trust: Path) -> dict[str, Any] | None:
    """``TRUST/status.json`` as a document with any path made absolute; None when there is none."""
    path = trust / STATUS_FILE
    if not trust.is_dir() or not path.is_file():
        return None
    try:
        document = loads_strict(path.read_bytes()[: 64 * 1024 + 1], what="status trust")
    except (OSError, MalformedError) as exc:
        raise ConfigError(f"{path} cannot be used: {exc}") from None
    if not isinstance(document, dict) or not {"directory", "data_dir", "base_url"} & document.keys():
        raise ConfigError(f"{path} must name one of directory, data_dir or base_url")
    for name in ("directory", "data_dir"):
        if isinstance(document.get(name), str):
            document[name] = str((trust / document[name]).resolve())
    return document


def write_status_tokens(directory: Path, tokens: dict[str, str]) -> list[Path]:
    """Write each list's token as ``<directory>/<list id>.jwt``; the paths written."""
    written = []
    for list_id, token in tokens.items():
        path = directory / f"{list_id_of(list_id)}.jwt"
        atomic_write(path, (token + "\n").encode("ascii"))
        written.append(path)
    return written
