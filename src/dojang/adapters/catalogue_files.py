"""Loads the document catalogue from files: the built-in kinds plus ``*.json`` in extra directories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

from dojang.core.catalogue import Catalogue, DocumentKind, parse_kind
from dojang.core.encoding import loads_strict
from dojang.errors import ConfigError, MalformedError

__all__ = ["load_catalogue"]

_BUILT_IN = "dojang.core.catalogue"


def load_catalogue(extra_dirs: Sequence[Path] = ()) -> Catalogue:
    """Every built-in kind, then every ``*.json`` of each extra directory (sorted by name).

    A file that cannot be read or is not a usable kind, a missing directory, or an id or vct defined
    twice raises :class:`~dojang.errors.ConfigError` naming the file.
    """
    return Catalogue(tuple(_kinds(extra_dirs)))


def _kinds(extra_dirs: Sequence[Path]) -> Iterator[DocumentKind]:
    built_in = resources.files(_BUILT_IN).joinpath("kinds")
    for entry in sorted(built_in.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            yield _parse(entry.read_bytes(), f"built-in kind {entry.name}")
    for directory in extra_dirs:
        if not directory.is_dir():
            raise ConfigError(f"catalogue directory {directory} does not exist or is not a directory")
        for path in sorted(directory.glob("*.json")):
            yield _parse(_read(path), str(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read kind file: {exc.strerror}") from None


def _parse(data: bytes, source: str) -> DocumentKind:
    try:
        document = loads_strict(data, what="kind file")
    except MalformedError as exc:
        raise ConfigError(f"{source}: {exc.message}") from None
    return parse_kind(document, source=source)
