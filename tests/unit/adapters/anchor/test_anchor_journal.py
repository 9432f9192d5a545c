"""The in-process chain's journal file: commits survive reopening, torn tails and rollbacks do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dojang.adapters.anchor._filestore import JournalStore
from dojang.errors import ConfigError, UnavailableError


def _open(path: Path) -> JournalStore:
    store = JournalStore(path)
    store.open()
    return store


def test_committed_writes_and_deletes_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "chain.journal"
    store = _open(path)
    store[b"a"] = b"1"
    store[b"b"] = b"2"
    store.commit()
    del store[b"a"]
    store[b"c"] = b""
    store.commit()
    store.close()
    again = _open(path)
    assert {k: again[k] for k in again} == {b"b": b"2", b"c": b""}
    again.close()


def test_uncommitted_writes_are_lost_and_a_torn_frame_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "chain.journal"
    store = _open(path)
    store[b"kept"] = b"yes"
    store.commit()
    size = path.stat().st_size
    store[b"torn"] = b"no"
    store.commit()
    store.close()
    with path.open("r+b") as handle:  # a crash in the middle of the second frame
        handle.truncate(path.stat().st_size - 3)
    again = _open(path)
    assert list(again) == [b"kept"]
    assert path.stat().st_size == size
    again.close()


def test_rollback_restores_values_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "chain.journal"
    store = _open(path)
    store[b"a"] = b"1"
    store.commit()
    before = path.read_bytes()
    store[b"a"] = b"changed"
    store[b"new"] = b"x"
    del store[b"a"]
    store.rollback()
    store.commit()
    assert path.read_bytes() == before
    assert {k: store[k] for k in store} == {b"a": b"1"}
    store.close()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chain.journal"
    first = _open(path)
    with pytest.raises(UnavailableError, match="in use"):
        _open(path)
    first.close()
    _open(path).close()


def test_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chain.journal"
    path.write_bytes(b"not a journal")
    with pytest.raises(ConfigError):
        _open(path)
