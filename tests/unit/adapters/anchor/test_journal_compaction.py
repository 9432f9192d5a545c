"""Compacting the in-process chain's journal: smaller, crash-safe, and every old anchor still provable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.anchor._filestore import JournalStore
from dojang.errors import ConfigError

ORIGIN = "dojang.example/log/compaction"
NEVER = 10**9


def _anchor_many(chain: InProcessChain, count: int, start: int = 1) -> list[str]:
    """``count`` anchors, with a few confirmation blocks now and then; their transaction hashes."""
    hashes = []
    for size in range(start, start + count):
        hashes.append(chain.submit(ORIGIN, size, size.to_bytes(32, "big"), (size * 7).to_bytes(32, "big")))
        if size % 40 == 0:
            chain.advance(3)
    return hashes


def _evidence(chain: InProcessChain, hashes: list[str]) -> dict[str, Any]:
    """Everything a verifier or auditor reads about the anchors."""
    return {
        "head": chain.head(),
        "receipts": [chain.receipt(h) for h in hashes],
        "transactions": [chain.transaction(h) for h in hashes],
        "lookups": [chain.lookup(ORIGIN, size) for size in range(1, len(hashes) + 1)],
        "latest": chain.latest(ORIGIN),
        "events": chain.anchored(ORIGIN),
        "blocks": [chain.block(n) for n in range(chain.head() + 1)],
    }


def test_compaction_then_restart_keeps_every_old_anchor_provable(tmp_path: Path) -> None:
    chain = InProcessChain(tmp_path, compact_after=NEVER)
    hashes = _anchor_many(chain, 200)
    before = _evidence(chain, hashes)
    size_before = (tmp_path / "chain.journal").stat().st_size
    saved = chain.compact()
    size_after = (tmp_path / "chain.journal").stat().st_size
    assert saved == size_before - size_after
    assert size_after < size_before // 2  # most of a block's bytes were superseded state
    chain.close()
    restarted = InProcessChain(tmp_path, compact_after=NEVER)
    assert _evidence(restarted, hashes) == before
    # The chain goes on from the snapshot: the nonce and the contract's state carried over.
    hashes += _anchor_many(restarted, 5, start=201)
    assert restarted.latest(ORIGIN) is not None
    restarted.close()
    viewer = InProcessChain(tmp_path, read_only=True)  # what `dojang verify` opens
    assert [r.tree_size for r in viewer.anchored(ORIGIN)] == list(range(1, 206))
    assert viewer.lookup(ORIGIN, 17) == before["lookups"][16]


def test_the_journal_compacts_itself_and_stays_small(tmp_path: Path) -> None:
    plain = InProcessChain(tmp_path / "plain", compact_after=NEVER)
    _anchor_many(plain, 160)
    plain.close()
    auto = InProcessChain(tmp_path / "auto", compact_after=32)
    hashes = _anchor_many(auto, 160)
    evidence = _evidence(auto, hashes)
    auto.close()
    plain_size = (tmp_path / "plain" / "chain.journal").stat().st_size
    auto_size = (tmp_path / "auto" / "chain.journal").stat().st_size
    assert auto_size < plain_size * 2 // 3
    reopened = InProcessChain(tmp_path / "auto", compact_after=32)
    assert _evidence(reopened, hashes) == evidence
    reopened.close()


def test_a_crash_before_the_rename_leaves_the_old_journal(tmp_path: Path) -> None:
    chain = InProcessChain(tmp_path, compact_after=NEVER)
    hashes = _anchor_many(chain, 60)
    evidence = _evidence(chain, hashes)
    journal = (tmp_path / "chain.journal").read_bytes()

    def crash() -> None:
        raise KeyboardInterrupt  # stands in for the process dying here

    with pytest.raises(KeyboardInterrupt):
        chain.compact(before_rename=crash)
    chain.close()
    assert (tmp_path / "chain.journal.compact").exists()
    assert (tmp_path / "chain.journal").read_bytes() == journal
    restarted = InProcessChain(tmp_path, compact_after=NEVER)
    assert _evidence(restarted, hashes) == evidence
    assert not (tmp_path / "chain.journal.compact").exists()  # the stray snapshot was removed
    restarted.close()


_KILLED = """
import os, signal, sys
from pathlib import Path
from dojang.adapters.anchor import InProcessChain
chain = InProcessChain(Path(sys.argv[1]), compact_after=10**9)
for size in range(1, 61):
    chain.submit({origin!r}, size, size.to_bytes(32, "big"), (size * 7).to_bytes(32, "big"))
    if size % 40 == 0:
        chain.advance(3)
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[2] == "before-rename":
    chain.compact(before_rename=die)
else:
    chain.compact()
    die()
"""


@pytest.mark.parametrize("moment", ["before-rename", "after-compaction"])
def test_kill_9_during_compaction_loses_nothing(tmp_path: Path, moment: str) -> None:
    reference = InProcessChain(tmp_path / "reference", compact_after=NEVER)
    hashes = _anchor_many(reference, 60)
    reference.close()
    script = textwrap.dedent(_KILLED).format(origin=ORIGIN)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "killed"), moment], capture_output=True, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    killed = InProcessChain(tmp_path / "killed", compact_after=NEVER)
    # Same genesis, same transactions: the same transaction hashes, each still found and anchored.
    assert [r.tree_size for r in killed.anchored(ORIGIN)] == list(range(1, 61))
    assert all(killed.receipt(h) is not None for h in hashes)
    assert killed.latest(ORIGIN) is not None
    killed.submit(ORIGIN, 61, b"\x01" * 32, b"\x02" * 32)
    killed.close()
    assert not (tmp_path / "killed" / "chain.journal.compact").exists()


def test_the_store_refuses_to_compact_uncommitted_writes(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "chain.journal")
    store.open()
    store[b"a" * 32] = b"old"
    store.commit()
    store[b"b"] = b"pending"
    before = (tmp_path / "chain.journal").read_bytes()
    with pytest.raises(ConfigError, match="uncommitted"):
        store.compact(lambda key: True)
    assert (tmp_path / "chain.journal").read_bytes() == before
    store.rollback()
    store[b"c"] = b"kept"
    del store[b"a" * 32]
    store.commit()
    store.compact(lambda key: key != b"gone")
    store.close()
    again = JournalStore(tmp_path / "chain.journal")
    again.open()
    assert {k: again[k] for k in again} == {b"c": b"kept"}
    assert again.tail_frames == 1  # the snapshot only
    again.close()
    assert os.path.exists(tmp_path / "chain.lock")
