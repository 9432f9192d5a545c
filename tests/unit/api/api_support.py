"""Shared helpers for the API tests: a real SQLite log filled through the core, and an in-process client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from dojang.adapters.storage import ScanningLogStore, open_store
from dojang.core.crypto import generate_key
from dojang.core.log import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    TreeHead,
    integrate,
    leaf_hash,
    read_edge,
    sign_checkpoint,
)

ORIGIN = "dojang.test/log"


@dataclass
class Log:
    """A log on disk: its store, the key that signs its checkpoints and every entry appended."""

    store: ScanningLogStore
    signer: NoteSigner
    entries: list[bytes]

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    def append(self, count: int) -> TreeHead:
        """Add ``count`` entries as the sequencer does: pending, integrated in one batch."""
        start = len(self.entries)
        new = [f"entry {i}".encode() for i in range(start, start + count)]
        self.store.add_pending(new)
        pending = self.store.pending(count)
        head = self.store.head()
        result = integrate(read_edge(self.store.tiles, head.size), [leaf_hash(p.entry) for p in pending])
        self.store.integrate(
            taken=[p.seq for p in pending],
            first_index=head.size,
            entries=[p.entry for p in pending],
            leaf_hashes=[leaf_hash(p.entry) for p in pending],
            tiles=result.tiles,
            head=result.head,
        )
        self.entries += new
        return result.head

    def checkpoint(self) -> bytes:
        """Sign and store a checkpoint of the current head."""
        head = self.store.head()
        note = sign_checkpoint(Checkpoint(ORIGIN, head.size, head.root), [self.signer])
        self.store.put_checkpoint(head.size, note)
        return note


def new_log(path: Path, *, origin: str = ORIGIN) -> Log:
    return Log(open_store(path), NoteSigner(origin, generate_key("EdDSA", os.urandom)), [])


def get(app: object, url: str, **headers: str) -> httpx.Response:
    """One GET through the ASGI app in-process (no network, no server)."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://dojang.test") as client:
            return await client.get(url, headers=headers)

    return asyncio.run(fetch())


def batches(total: int, size: int) -> Iterator[int]:
    while total > 0:
        yield min(size, total)
        total -= size


def get_raw(app: object, url: str) -> httpx.Response:
    """A GET whose app errors are answered, not raised (what a real server does)."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://dojang.test") as client:
            return await client.get(url)

    return asyncio.run(fetch())
