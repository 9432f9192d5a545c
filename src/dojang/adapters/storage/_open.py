"""Choosing a log store from a URL or a path: the one place that knows which backends exist."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from dojang.adapters.storage._common import ScanningLogStore
from dojang.adapters.storage._postgres import PostgresLogStore
from dojang.adapters.storage._sqlite import SqliteLogStore
from dojang.errors import ConfigError

__all__ = ["open_store", "store_for"]


def store_for(url_or_path: str | Path, *, schema: str = "dojang") -> SqliteLogStore | PostgresLogStore:
    """The store a URL or path names, not yet opened.

    ``postgresql://…`` (or ``postgres://…``) is PostgreSQL, in ``schema`` unless the URL names one
    (``postgresql://host/db?schema=name``, so that one database can hold several platforms);
    ``sqlite:///abs/path.db`` or a plain filesystem path is SQLite.
    """
    if isinstance(url_or_path, Path):
        return SqliteLogStore(url_or_path)
    scheme = url_or_path.partition("://")[0].lower() if "://" in url_or_path else ""
    if scheme in {"postgresql", "postgres"}:
        dsn, named = _without_schema(url_or_path)
        return PostgresLogStore(dsn, schema=schema if named is None else named)
    if scheme == "sqlite":
        parts = urlsplit(url_or_path)
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise ConfigError(
                f"storage URL {url_or_path!r} does not name an absolute path "
                "(expected sqlite:///absolute/path.db)"
            )
        return SqliteLogStore(Path(path))
    if scheme:
        raise ConfigError(
            f"storage URL scheme {scheme!r} is not supported (expected sqlite:///…, postgresql://… or a path)"
        )
    if not url_or_path:
        raise ConfigError("storage location is empty (expected sqlite:///…, postgresql://… or a path)")
    return SqliteLogStore(Path(url_or_path))


def _without_schema(url: str) -> tuple[str, str | None]:
    """The URL without its ``schema`` query parameter (not one libpq knows), and that parameter."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key == "schema"]
    if not named:
        return url, None
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return parts._replace(query=rest).geturl(), named[-1]


def open_store(url_or_path: str | Path, *, schema: str = "dojang") -> ScanningLogStore:
    """Open (create and migrate if needed) the store a URL or path names; see ``store_for``."""
    return store_for(url_or_path, schema=schema).open()
