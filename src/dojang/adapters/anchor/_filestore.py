"""A key-value store for py-evm kept in one append-only journal file: one fsynced frame per block.

py-evm keeps its whole chain (headers, blocks, receipts, state trie) in a key-value database.
This one holds the values in memory and, on ``commit()``, appends the writes made since the last
commit as one frame ``length (4 bytes) | SHA-256 of the body | body`` and fsyncs it. On open the
frames are replayed in order; a torn or corrupt last frame (a crash in the middle of a write) is
cut off, so the store is always what the last complete commit left. ``rollback()`` undoes the
writes since the last commit in memory, leaving the file and the values exactly as they were.

``compact(keep)`` rewrites the journal as a snapshot of the values ``keep`` accepts (then the tail
of later frames grows from there): written to ``chain.journal.compact``, fsynced, renamed over the
journal and the directory fsynced. A crash before the rename leaves the old journal whole (the
stray temporary file is removed on the next open); after it, the snapshot is whole. The writer's
lock is on a separate ``chain.lock`` file, so it survives the journal being replaced.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from eth.db.backends.base import BaseDB

from dojang.adapters._durable import fsync_directory
from dojang.errors import ConfigError, UnavailableError

__all__ = ["JournalStore"]

_MAGIC = b"dojang-evm-journal/1\n"
_FRAME_HEAD = struct.Struct(">I32s")
_ITEM = struct.Struct(">II")
_DELETED = 0xFFFFFFFF
_ABSENT = object()
#: A snapshot is written in frames of at most this many body bytes (a frame's length is 32 bits).
_SNAPSHOT_FRAME = 64 * 1024 * 1024


class JournalStore(BaseDB):
    """py-evm's database interface over an in-memory dict persisted as a journal file."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self._path = path
        self._read_only = read_only
        self._values: dict[bytes, bytes] = {}
        # key -> its value at the last commit (or _ABSENT): what rollback() restores.
        self._undo: dict[bytes, object] = {}
        self._file: BinaryIO | None = None
        self._lock: BinaryIO | None = None
        #: Frames in the journal: the snapshot's (one per 64 MiB) and one per commit since.
        self.tail_frames = 0

    @property
    def path(self) -> Path:
        return self._path

    def values_view(self) -> Mapping[bytes, bytes]:
        """The committed and pending values, read-only (what a compaction marks from)."""
        return MappingProxyType(self._values)

    def open(self) -> None:
        """Lock the state directory against a second writer and replay the journal's frames."""
        if self._read_only:
            self._open_read_only()
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        lock = self._path.with_name("chain.lock").open("a+b")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise UnavailableError(
                f"the in-process chain at {self._path.parent} is in use by another process",
                hint="stop the other dojang process using this data directory",
            ) from None
        try:
            self._temporary().unlink(missing_ok=True)  # a compaction that never reached its rename
            handle = self._path.open("a+b")
        except BaseException:
            lock.close()
            raise
        handle.seek(0)
        try:
            good_end = self._replay(handle.read())
        except BaseException:
            handle.close()
            lock.close()
            raise
        handle.truncate(good_end)
        if good_end == 0:
            handle.write(_MAGIC)
            _sync(handle)
            fsync_directory(self._path.parent)  # the new file's name is durable too
        self._file, self._lock = handle, lock

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
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def compact(
        self, keep: Callable[[bytes], bool], *, before_rename: Callable[[], None] | None = None
    ) -> int:
        """Rewrite the journal as one snapshot of the committed values ``keep`` accepts; bytes saved.

        Crash-safe: temporary file, fsync, rename, directory fsync (``before_rename`` is a test hook
        run once the temporary file is durable). Values ``keep`` refuses are gone from memory too.
        """
        if self._file is None:
            raise ConfigError("the chain journal is not open for writing")
        if self._undo:
            raise ConfigError("cannot compact the chain journal with uncommitted writes")
        kept = {key: value for key, value in self._values.items() if keep(key)}
        before = os.fstat(self._file.fileno()).st_size
        temporary = self._temporary()
        with temporary.open("wb") as out:
            out.write(_MAGIC)
            for body in _snapshot_bodies(kept):
                out.write(_FRAME_HEAD.pack(len(body), hashlib.sha256(body).digest()) + body)
            _sync(out)
        if before_rename is not None:
            before_rename()
        os.replace(temporary, self._path)
        fsync_directory(self._path.parent)
        self._file.close()
        self._file = self._path.open("a+b")
        self._values, self.tail_frames = kept, 0
        return before - os.fstat(self._file.fileno()).st_size

    def _temporary(self) -> Path:
        return self._path.with_name(self._path.name + ".compact")

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
        self.tail_frames += 1

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
        self.tail_frames = 0
        while offset + _FRAME_HEAD.size <= len(data):
            length, digest = _FRAME_HEAD.unpack_from(data, offset)
            body = data[offset + _FRAME_HEAD.size : offset + _FRAME_HEAD.size + length]
            if len(body) != length or hashlib.sha256(body).digest() != digest:
                break  # a torn last frame: the commit it belonged to never returned
            self._apply(body)
            self.tail_frames += 1
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


def _snapshot_bodies(values: dict[bytes, bytes]) -> Iterator[bytes]:
    body = bytearray()
    for key, value in values.items():
        item = _ITEM.pack(len(key), len(value)) + key + value
        if body and len(body) + len(item) > _SNAPSHOT_FRAME:
            yield bytes(body)
            body = bytearray()
        body += item
    if body:
        yield bytes(body)


def _sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
