"""Private keys at rest in the data directory: encrypted PEM files and one index, written atomically.

Layout under ``DATA/keys/``::

    keys.json        the index: every key's kid, alg, purpose, created_at, retired_at, active, iss
    <kid>.pem        PKCS#8, encrypted with the passphrase (see ``dojang.adapters.settings``)
    kek              the development key-encryption key, only when no passphrase is configured

Every file is written to a temporary file, fsynced and renamed into place, then the directory is
fsynced, so a crash leaves either the old file or the new one, never half of one. A key file is
written before the index names it: after a crash there may be an unreferenced key file, never an
index entry without its key. One writer at a time holds ``keys/.lock``.

Rotation retires the active key (``retired_at`` = now) and activates a new one; retired keys stay
loadable and stay in the exported trust list, so credentials signed before the rotation still verify
while anything signed by a retired key after its retirement fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from dojang.adapters._durable import fsync_directory
from dojang.core.crypto import Rng, SigningKey, VerifyKey, generate_key, load_private_pem, verify_key_from_jwk
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, InputError, MalformedError, NotFoundError
from dojang.roles.verifier import TrustedKey, TrustList

__all__ = ["PURPOSES", "Alg", "KeyRecord", "KeyStore", "Purpose", "atomic_write"]

#: ``operator``: the platform operator's root CA key, which also signs the trust list (P-256).
Purpose = Literal["issuer", "holder", "log", "operator"]
Alg = Literal["ES256", "EdDSA"]
PURPOSES: tuple[Purpose, ...] = ("issuer", "holder", "log", "operator")
_DEFAULT_ALG: dict[Purpose, Alg] = {"issuer": "ES256", "holder": "ES256", "log": "EdDSA", "operator": "ES256"}
_INDEX_VERSION = 1
_MAX_INDEX_BYTES = 16 * 1024 * 1024


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``: temporary file, fsync, rename, fsync of the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(path.parent)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One key in the index. Times are seconds since the epoch."""

    kid: str
    alg: Alg
    purpose: Purpose
    created_at: int
    retired_at: int | None
    active: bool
    jwk: dict[str, Any]
    iss: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def public_key(self) -> VerifyKey:
        """The public key, from the index alone (no passphrase needed); checked against the kid."""
        try:
            key = verify_key_from_jwk(self.jwk)
        except MalformedError as exc:
            raise ConfigError(f"key {self.kid}: bad public key in the index: {exc.message}") from None
        if key.kid != self.kid:
            raise ConfigError(f"key index entry {self.kid} holds the public key of {key.kid}")
        return key

    @classmethod
    def from_json(cls, entry: Any) -> KeyRecord:
        if not isinstance(entry, dict):
            raise MalformedError("a key index entry must be an object")
        try:
            record = cls(**entry)
        except TypeError as exc:
            raise MalformedError(f"bad key index entry: {exc}") from None
        if record.purpose not in PURPOSES or record.alg not in ("ES256", "EdDSA"):
            raise MalformedError(f"key {record.kid!r} has an unknown purpose or alg")
        if not isinstance(record.kid, str) or not isinstance(record.jwk, dict):
            raise MalformedError("a key index entry needs a string kid and a jwk object")
        for name in ("created_at", "retired_at"):
            value = getattr(record, name)
            if isinstance(value, bool) or not isinstance(value, int | None):
                raise MalformedError(f"key {record.kid}: {name} must be seconds since the epoch")
        return record


class KeyStore:
    """The key store of one data directory. The passphrase is asked for only when a key is touched."""

    def __init__(
        self,
        directory: Path,
        passphrase: Callable[[], bytes],
        *,
        clock: Callable[[], float] = time.time,
        rng: Rng = secrets.token_bytes,
    ) -> None:
        self.directory = directory
        self._passphrase_source = passphrase
        self._passphrase: bytes | None = None
        self._clock = clock
        self._rng = rng

    @property
    def index_path(self) -> Path:
        return self.directory / "keys.json"

    # reading

    def list(self) -> tuple[KeyRecord, ...]:
        """Every key, oldest first."""
        if not self.index_path.exists():
            return ()
        try:
            with self.index_path.open("rb") as handle:
                raw = handle.read(_MAX_INDEX_BYTES + 1)
            if len(raw) > _MAX_INDEX_BYTES:
                raise MalformedError("index is too large")
            document = loads_strict(raw, what="key index")
            if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
                raise MalformedError("the index must be an object with a 'keys' array")
            return tuple(KeyRecord.from_json(entry) for entry in document["keys"])
        except OSError as exc:
            raise ConfigError(f"cannot read key index {self.index_path}: {exc.strerror}") from None
        except MalformedError as exc:
            raise ConfigError(f"key index {self.index_path} is damaged: {exc.message}") from None

    def find(self, kid: str) -> KeyRecord:
        for record in self.list():
            if record.kid == kid:
                return record
        raise NotFoundError(f"no key {kid!r} in {self.directory}")

    def active(self, purpose: Purpose) -> KeyRecord:
        """The active key of ``purpose``; NotFoundError when there is none yet."""
        for record in self.list():
            if record.purpose == purpose and record.active:
                return record
        raise NotFoundError(
            f"no active {purpose} key in {self.directory}",
            hint=f"create one with: dojang keys create --purpose {purpose}",
        )

    def load(self, kid: str) -> SigningKey:
        """The private key ``kid`` (active or retired), decrypted."""
        record = self.find(kid)
        path = self._pem_path(record.kid)
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read private key {path}: {exc.strerror}") from None
        try:
            key = load_private_pem(pem, self._unlock())
        except ConfigError as exc:
            raise ConfigError(
                f"cannot decrypt private key {path}: wrong passphrase or damaged file",
                hint="use the passphrase (DOJANG_KEY_PASSPHRASE or --passphrase-file) the key was stored "
                "with, or, if none was set, the data directory's own keys/kek",
            ) from exc
        if key.kid != record.kid:
            raise ConfigError(f"private key file {path} holds key {key.kid}, not {record.kid}")
        return key

    def load_active(self, purpose: Purpose) -> tuple[KeyRecord, SigningKey]:
        record = self.active(purpose)
        return record, self.load(record.kid)

    def trust_list(self) -> TrustList:
        """Every issuer key, retired ones with their ``retired_at``: what verifiers need."""
        return TrustList(
            TrustedKey(record.iss or "", record.public_key(), record.retired_at)
            for record in self.list()
            if record.purpose == "issuer"
        )

    # writing

    def create(self, purpose: Purpose, *, alg: Alg | None = None, iss: str | None = None) -> KeyRecord:
        """A new key of ``purpose``; it becomes active only if the purpose has no active key yet.

        Issuer keys are active per agency: a first key of another ``iss`` (an agency the operator
        registers in the same data directory) is active too, for its own agency.
        """
        _check_purpose(purpose, iss)
        with self._locked():
            records = list(self.list())
            has_active = any(
                r.purpose == purpose and r.active and (purpose != "issuer" or r.iss == iss) for r in records
            )
            record = self._new_key(purpose, alg, iss, active=not has_active)
            self._write_index([*records, record])
        return record

    def ensure_active(self, purpose: Purpose, *, iss: str | None = None) -> tuple[KeyRecord, bool]:
        """The active key of ``purpose``, created first if there is none; True when it was created."""
        with self._locked():
            records = list(self.list())
            for record in records:
                if record.purpose == purpose and record.active:
                    return record, False
            _check_purpose(purpose, iss)
            record = self._new_key(purpose, None, iss, active=True)
            self._write_index([*records, record])
        return record, True

    def rotate(self, purpose: Purpose) -> tuple[KeyRecord, KeyRecord]:
        """Retire the active key of ``purpose`` and activate a new one (same alg and iss); (old, new)."""
        with self._locked():
            records = list(self.list())
            old = next((r for r in records if r.purpose == purpose and r.active), None)
            if old is None:
                raise NotFoundError(
                    f"no active {purpose} key to rotate in {self.directory}",
                    hint=f"create one with: dojang keys create --purpose {purpose}",
                )
            new = self._new_key(purpose, old.alg, old.iss, active=True)
            retired = replace(old, active=False, retired_at=new.created_at)
            self._write_index([retired if r.kid == old.kid else r for r in records] + [new])
        return retired, new

    # internals

    def _new_key(self, purpose: Purpose, alg: Alg | None, iss: str | None, *, active: bool) -> KeyRecord:
        key = generate_key(alg or _DEFAULT_ALG[purpose], self._rng)
        atomic_write(self._pem_path(key.kid), key.private_pem(self._unlock()), mode=0o600)
        return KeyRecord(
            kid=key.kid,
            alg=key.alg,
            purpose=purpose,
            created_at=int(self._clock()),
            retired_at=None,
            active=active,
            jwk=dict(key.public.jwk),
            iss=iss if purpose == "issuer" else None,
        )

    def _write_index(self, records: Sequence[KeyRecord]) -> None:
        document = {"version": _INDEX_VERSION, "keys": [r.to_json() for r in records]}
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        atomic_write(self.index_path, text.encode("utf-8"), mode=0o600)

    def _pem_path(self, kid: str) -> Path:
        # A kid is a base64url thumbprint, so it is a safe file name; refuse anything else.
        if not kid or not all(c.isalnum() or c in "-_" for c in kid):
            raise ConfigError(f"key id {kid!r} is not a base64url thumbprint")
        return self.directory / f"{kid}.pem"

    def _unlock(self) -> bytes:
        if self._passphrase is None:
            self._passphrase = self._passphrase_source()
        return self._passphrase

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _check_purpose(purpose: str, iss: str | None) -> None:
    if purpose not in PURPOSES:
        raise InputError(f"unknown key purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    if purpose == "issuer" and not iss:
        raise InputError("an issuer key needs its issuer identifier (iss), e.g. https://agency.example")
    if purpose != "issuer" and iss:
        raise InputError("only issuer keys carry an iss")
