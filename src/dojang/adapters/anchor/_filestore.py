"""A key-value store for py-evm kept in one append-only journal file: one fsynced frame per block.

py-evm keeps its whole chain (headers, blocks, receipts, state trie) in a key-value database.
This one holds the values in memory and, on ``commit()``, appends the writes made since the last
commit as one frame ``length (4 bytes) | SHA-256 of the body | body`` and fsyncs it. On open the
frames are replayed in order; a torn or corrupt last frame (a crash in the middle of a write) is
cut off, so the store is always what the last complete commit left. ``rollback()`` undoes the
writes since the last commit in memory, leaving the file and the values exactly as they were.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from eth.db.backends.base import BaseDB

from dojang.errors import ConfigError, UnavailableError

__all__ = ["JournalStore"]

_MAGIC = b"dojang-evm-journal/1\n"
_FRAME_HEAD = struct.Struct(">I32s")
_ITEM = struct.Struct(">II")
_DELETED = 0xFFFFFFFF
_ABSENT = object()


class JournalStore(BaseDB):
    """py-evm's database interface over an in-memory dict persisted as a journal file."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self._path = path
        self._read_only = read_only
        self._values: dict[bytes, bytes] = {}
        # key -> its value at the last commit (or _ABSENT): what rollback() restores.
        self._undo: dict[bytes, object] = {}
        self._file: BinaryIO | None = None

    def open(self) -> None:
        """Lock the file against a second writer and replay its frames."""
        if self._read_only:
            self._open_read_only()
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise UnavailableError(
                f"the in-process chain at {self._path.parent} is in use by another process",
                hint="stop the other dojang process using this data directory",
            ) from None
        handle.seek(0)
        try:
            good_end = self._replay(handle.read())
        except BaseException:
            handle.close()
            raise
        handle.truncate(good_end)
        if good_end == 0:
            handle.write(_MAGIC)
            _sync(handle)
            directory = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)  # the new file's name is durable too
            finally:
                os.close(directory)
        self._file = handle

    def _open_read_only(self) -> None:
        """Replay the journal without a lock or a write: frames are checksummed and only ever appended,
        so a concurrent writer at worst leaves a torn last frame, which the replay cuts off."""
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"no chain journal at {self._path}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read chain journal {self._path}: {exc.strerror}") from None
        if not data:
            raise ConfigError(f"the chain journal {self._path} is empty")
        self._values.clear()
        self._replay(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def commit(self) -> None:
        """Append the writes since the last commit as one frame and fsync it."""
        if not self._undo or self._file is None:
            self._undo.clear()
            return
        body = bytearray()
        for key in self._undo:
            value = self._values.get(key)
            if value is None:
                body += _ITEM.pack(len(key), _DELETED) + key
            else:
                body += _ITEM.pack(len(key), len(value)) + key + value
        self._file.seek(0, os.SEEK_END)
        self._file.write(_FRAME_HEAD.pack(len(body), hashlib.sha256(body).digest()) + body)
        _sync(self._file)
        self._undo.clear()

    def rollback(self) -> None:
        """Forget the writes since the last commit."""
        for key, old in self._undo.items():
            if old is _ABSENT:
                self._values.pop(key, None)
            else:
                assert isinstance(old, bytes)
                self._values[key] = old
        self._undo.clear()

    def _replay(self, data: bytes) -> int:
        if not data:
            return 0
        if not data.startswith(_MAGIC):
            raise ConfigError(f"{self._path} is not a dojang chain journal")
        offset = len(_MAGIC)
        while offset + _FRAME_HEAD.size <= len(data):
            length, digest = _FRAME_HEAD.unpack_from(data, offset)
            body = data[offset + _FRAME_HEAD.size : offset + _FRAME_HEAD.size + length]
            if len(body) != length or hashlib.sha256(body).digest() != digest:
                break  # a torn last frame: the commit it belonged to never returned
            self._apply(body)
            offset += _FRAME_HEAD.size + length
        return offset

    def _apply(self, body: bytes) -> None:
        offset = 0
        while offset < len(body):
            key_len, value_len = _ITEM.unpack_from(body, offset)
            offset += _ITEM.size
            key = body[offset : offset + key_len]
            offset += key_len
            if value_len == _DELETED:
                self._values.pop(key, None)
            else:
                self._values[key] = body[offset : offset + value_len]
                offset += value_len

    def __getitem__(self, key: bytes) -> bytes:
        return self._values[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        if key not in self._undo:
            self._undo[key] = self._values.get(key, _ABSENT)
        self._values[key] = value

    def _exists(self, key: bytes) -> bool:
        return key in self._values

    def __delitem__(self, key: bytes) -> None:
        if key not in self._undo:
            self._undo[key] = self._values.get(key, _ABSENT)
        del self._values[key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
