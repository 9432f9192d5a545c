"""Settings read from the environment and the command line: data directory and key passphrase.

Nothing here runs at import time; the CLI builds one :class:`Settings` per invocation.

Where the key passphrase comes from, first match wins:

1. ``--passphrase-file FILE`` (its content, one trailing newline removed);
2. the environment variable ``DOJANG_KEY_PASSPHRASE``;
3. the development default: a random key-encryption key in ``DATA/keys/kek`` (mode 0600), created on
   first use with a notice on stderr. Fine on a laptop; in production set one of the two above.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dojang.core.encoding import b64url_encode
from dojang.errors import ConfigError
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW

__all__ = [
    "ANCHOR_WINDOW_ENV",
    "CATALOGUE_PATH_ENV",
    "CHAIN_RPC_ENV",
    "DATA_DIR_ENV",
    "DEFAULT_LOG_ORIGIN",
    "DEFAULT_PUBLIC_URL",
    "LOG_DB_ENV",
    "PASSPHRASE_ENV",
    "PUBLIC_URL_ENV",
    "LogSettings",
    "Settings",
    "default_data_dir",
]

DATA_DIR_ENV = "DOJANG_DATA_DIR"
#: Extra directories of document kind files, separated like PATH; ``DATA/catalogue`` is always read.
CATALOGUE_PATH_ENV = "DOJANG_CATALOGUE_PATH"
PASSPHRASE_ENV = "DOJANG_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
#: The log's database: a ``postgresql://`` URL, a ``sqlite:///`` URL or a path (default ``DATA/log.db``).
LOG_DB_ENV = "DOJANG_LOG_DB"
#: A JSON-RPC node to anchor on instead of the in-process chain in ``DATA/chain/``.
CHAIN_RPC_ENV = "DOJANG_CHAIN_RPC"
CHAIN_KEY_ENV = "DOJANG_CHAIN_KEY"  # hex private key of the anchoring account (JSON-RPC only)
CHAIN_CONTRACT_ENV = "DOJANG_CHAIN_CONTRACT"  # the LogAnchor contract's address (JSON-RPC only)
LOG_ORIGIN_ENV = "DOJANG_LOG_ORIGIN"
ANCHOR_INTERVAL_ENV = "DOJANG_ANCHOR_INTERVAL"
CONFIRMATIONS_ENV = "DOJANG_ANCHOR_CONFIRMATIONS"
#: Seconds a genuine credential may wait from its ``iat`` to the anchoring of a checkpoint holding it,
#: published as ``anchor_window`` in ``trust/log.json`` (the bound of the verifier's ``log-time`` line).
ANCHOR_WINDOW_ENV = "DOJANG_ANCHOR_WINDOW"
DEFAULT_LOG_ORIGIN = "dojang.example/log"
#: The platform's public base URL: status lists are published at ``<it>/statuslists/<id>``.
PUBLIC_URL_ENV = "DOJANG_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
_KEK_BYTES = 32
_MAX_PASSPHRASE_FILE = 4096


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """``$DOJANG_DATA_DIR``, else ``$XDG_DATA_HOME/dojang``, else ``~/.local/share/dojang``."""
    if environ.get(DATA_DIR_ENV):
        return Path(environ[DATA_DIR_ENV]).expanduser()
    if environ.get("XDG_DATA_HOME"):
        return Path(environ["XDG_DATA_HOME"]).expanduser() / "dojang"
    return Path.home() / ".local" / "share" / "dojang"


@dataclass(frozen=True)
class LogSettings:
    """The transparency log: where it is stored, which chain anchors it, and how often."""

    db: str | None = None
    chain_rpc: str | None = None
    chain_key: str | None = None
    chain_contract: str | None = None
    origin: str = DEFAULT_LOG_ORIGIN
    interval: float = 60.0
    confirmations: int = 3
    anchor_window: int = DEFAULT_ANCHOR_WINDOW

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LogSettings:
        try:
            interval = float(environ.get(ANCHOR_INTERVAL_ENV) or 60.0)
            confirmations = int(environ.get(CONFIRMATIONS_ENV) or 3)
        except ValueError:
            raise ConfigError(f"{ANCHOR_INTERVAL_ENV} and {CONFIRMATIONS_ENV} must be numbers") from None
        if interval < 0 or confirmations < 1:
            raise ConfigError(f"{ANCHOR_INTERVAL_ENV} must be ≥ 0 and {CONFIRMATIONS_ENV} ≥ 1")
        window = _anchor_window(environ, interval)
        return cls(
            db=environ.get(LOG_DB_ENV) or None,
            chain_rpc=environ.get(CHAIN_RPC_ENV) or None,
            chain_key=environ.get(CHAIN_KEY_ENV) or None,
            chain_contract=environ.get(CHAIN_CONTRACT_ENV) or None,
            origin=environ.get(LOG_ORIGIN_ENV) or DEFAULT_LOG_ORIGIN,
            interval=interval,
            confirmations=confirmations,
            anchor_window=window,
        )


def _anchor_window(environ: Mapping[str, str], interval: float) -> int:
    """``$DOJANG_ANCHOR_WINDOW`` in whole seconds: never shorter than one checkpoint interval.

    A window the log cannot keep (a checkpoint comes only every ``interval`` seconds) would make the
    verifiers' ``log-time`` line reject genuine credentials, so it is refused here, not published.
    """
    raw = environ.get(ANCHOR_WINDOW_ENV) or str(DEFAULT_ANCHOR_WINDOW)
    try:
        window = int(raw)
    except ValueError:
        raise ConfigError(f"{ANCHOR_WINDOW_ENV} must be a whole number of seconds, found {raw!r}") from None
    if window < 1 or window < interval:
        raise ConfigError(
            f"{ANCHOR_WINDOW_ENV} ({window} s) must be at least 1 and no shorter than "
            f"{ANCHOR_INTERVAL_ENV} ({interval:g} s)"
        )
    return window


@dataclass(frozen=True)
class Settings:
    """Where state lives and how private keys at rest are unlocked."""

    data_dir: Path
    passphrase_file: Path | None = None
    passphrase_env: str | None = None
    catalogue_path: tuple[Path, ...] = ()
    log: LogSettings = LogSettings()
    public_url: str = DEFAULT_PUBLIC_URL

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        data_dir: Path | None = None,
        passphrase_file: Path | None = None,
    ) -> Settings:
        return cls(
            data_dir=data_dir if data_dir is not None else default_data_dir(environ),
            passphrase_file=passphrase_file,
            passphrase_env=environ.get(PASSPHRASE_ENV) or None,
            catalogue_path=tuple(Path(p) for p in environ.get(CATALOGUE_PATH_ENV, "").split(os.pathsep) if p),
            log=LogSettings.from_env(environ),
            public_url=_public_url(environ),
        )

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def log_db(self) -> str | Path:
        """``$DOJANG_LOG_DB`` when set, else ``DATA/log.db``."""
        return self.log.db if self.log.db else self.data_dir / "log.db"

    @property
    def chain_dir(self) -> Path:
        """The in-process chain's state (used when no JSON-RPC node is configured)."""
        return self.data_dir / "chain"

    @property
    def trust_dir(self) -> Path:
        return self.data_dir / "trust"

    @property
    def catalogue_dirs(self) -> tuple[Path, ...]:
        """Where extra document kinds live: ``$DOJANG_CATALOGUE_PATH``, then ``DATA/catalogue`` if present."""
        local = self.data_dir / "catalogue"
        return (*self.catalogue_path, *((local,) if local.is_dir() else ()))

    def passphrase(self, notice: Callable[[str], None]) -> bytes:
        """The key passphrase (see the module docstring); ``notice`` hears about a newly created kek."""
        if self.passphrase_file is not None:
            return _read_passphrase_file(self.passphrase_file)
        if self.passphrase_env:
            return self.passphrase_env.encode("utf-8")
        return _development_kek(self.keys_dir / "kek", notice)


def _public_url(environ: Mapping[str, str]) -> str:
    url = (environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")
    if not url.startswith(("https://", "http://")) or any(c in url for c in " ?#"):
        raise ConfigError(f"{PUBLIC_URL_ENV} must be an http(s) base URL without query, found {url!r}")
    return url


def _read_passphrase_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_PASSPHRASE_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    if len(data) > _MAX_PASSPHRASE_FILE:
        raise ConfigError(f"passphrase file {path} is over {_MAX_PASSPHRASE_FILE} bytes")
    data = data.removesuffix(b"\n").removesuffix(b"\r")
    if not data:
        raise ConfigError(f"passphrase file {path} is empty")
    return data


def _development_kek(path: Path, notice: Callable[[str], None]) -> bytes:
    """Read the key-encryption key file, creating it (0600) the first time.

    The key is written whole to a temporary file and then hard-linked into place, which fails if
    another process got there first: nobody ever reads a half-written kek, and only one kek wins.
    """
    if path.exists():
        return _read_kek(path)
    kek = b64url_encode(secrets.token_bytes(_KEK_BYTES)).encode("ascii")
    tmp = path.with_name(f".kek.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(kek)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return _read_kek(path)
    except OSError as exc:
        raise ConfigError(f"cannot create key-encryption key {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    notice(
        f"created a random key-encryption key {path} (mode 0600) to protect private keys at rest; "
        f"for production set {PASSPHRASE_ENV} or pass --passphrase-file"
    )
    return kek


def _read_kek(path: Path) -> bytes:
    try:
        kek = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read key-encryption key {path}: {exc.strerror}") from None
    if not kek:
        raise ConfigError(
            f"key-encryption key {path} is empty",
            hint=f"restore it from a backup, or set {PASSPHRASE_ENV} if the keys use a passphrase",
        )
    return kek
