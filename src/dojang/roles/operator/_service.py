"""The log service: durable record, single-sequencer integration, checkpoints and anchoring via the outbox.

Every step is one store transaction, so a crash (even ``kill -9``) between any two steps resumes
without loss or duplicate:

1. ``record``      pending rows are committed before it returns (acknowledge only then);
2. ``integrate``   one transaction per batch; the store refuses a batch that would fork the log;
3. ``checkpoint``  the signed note is stored, then ``anchor`` and ``confirm`` work is queued by size
                   (a stored checkpoint whose work is missing is re-queued on the next call);
4. ``anchor``      the chain is asked first (``lookup``), so a checkpoint is never anchored twice;
5. ``confirm``     the receipt is recorded once the chain's own record is ``confirmations`` deep.

An unreachable chain (``UnavailableError``) leaves steps 4–5 pending; 1–3 never touch the chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from dojang.core.crypto import parse_jws
from dojang.core.log import (
    Anchor,
    AnchorRecord,
    Checkpoint,
    Edge,
    IssuanceEntry,
    LogStore,
    NoteSigner,
    Prover,
    TlogProof,
    credential_digest,
    encode_entry,
    integrate,
    leaf_hash,
    leaf_hashes,
    parse_checkpoint_text,
    parse_note,
    read_edge,
    sign_checkpoint,
)
from dojang.errors import ConfigError, DojangError, MalformedError, NotFoundError, UnavailableError

__all__ = ["AnchorStatus", "LogService", "issuance_entry"]

ANCHOR, CONFIRM = "anchor", "confirm"
_SUPERSEDED = b"superseded"


def issuance_entry(sd_jwt: str) -> IssuanceEntry:
    """The log entry of an issued credential: its digest, ``vct``, issuer ``kid`` and ``iat``.

    The entry is a function of the credential alone (its time is the credential's ``iat``), so
    ``prove`` finds it by leaf hash without an extra index; no disclosed or disclosable value is in it.
    """
    digest = credential_digest(sd_jwt)
    jws = parse_jws(sd_jwt.partition("~")[0], what="issuer-signed JWT")
    vct, kid, iat = jws.payload.get("vct"), jws.header.get("kid"), jws.payload.get("iat")
    if not isinstance(vct, str) or not isinstance(kid, str) or not isinstance(iat, int):
        raise MalformedError("a logged credential needs a vct, an issuer kid and an iat")
    return IssuanceEntry(digest, vct, kid, iat)


@dataclass(frozen=True, slots=True)
class AnchorStatus:
    """What ``dojang anchor status`` shows: the latest anchored checkpoint and the work still queued."""

    latest: AnchorRecord | None
    confirmations: int | None
    pending_anchor: int
    pending_confirm: int
    checkpoint_size: int | None
    head_size: int


def _payload(origin: str, size: int, root: bytes, note_hash: bytes) -> bytes:
    return json.dumps(
        {"origin": origin, "size": size, "root": root.hex(), "note_hash": note_hash.hex()}
    ).encode()


def _unpayload(data: bytes) -> tuple[str, int, bytes, bytes]:
    doc = json.loads(data)
    return str(doc["origin"]), int(doc["size"]), bytes.fromhex(doc["root"]), bytes.fromhex(doc["note_hash"])


class LogService:
    """One log: the operator's single sequencer over a ``LogStore``, an ``Anchor`` and the log key.

    ``clock`` gives Unix seconds (used for the checkpoint interval only); ``step`` hears the name of
    each committed step (``record``, ``integrate``, ``checkpoint``, ``queue``, ``submit``, ``confirm``)
    — the crash tests kill the process there. Not thread-safe: one sequencer per log.
    """

    def __init__(
        self,
        store: LogStore,
        anchor: Anchor,
        signer: NoteSigner,
        origin: str,
        clock: Callable[[], float],
        *,
        interval: float = 60.0,
        step: Callable[[str], None] | None = None,
    ) -> None:
        if signer.name != origin:
            raise ConfigError(f"the log key's note name {signer.name!r} is not the log's origin {origin!r}")
        self.store, self.anchor, self.signer, self.origin = store, anchor, signer, origin
        self._clock = clock
        self.interval = interval
        self._step = step or (lambda _name: None)
        self._edge: Edge | None = None
        self._prover = Prover(store.tiles)
        #: When the latest checkpoint was signed; read from the store on first need, so that the
        #: interval holds across restarts.
        self._last_checkpoint: float | None = None
        self._last_checkpoint_read = False

    # -- 1. record -------------------------------------------------------------------------------

    def record(self, entries: Sequence[bytes]) -> list[int]:
        """Store encoded entries durably (committed when this returns); their sequence numbers."""
        seqs = self.store.add_pending(entries)
        self._step("record")
        return seqs

    def record_issuance(self, sd_jwt: str) -> int:
        """Record the issuance of ``sd_jwt`` (see :func:`issuance_entry`); its sequence number."""
        return self.record([encode_entry(issuance_entry(sd_jwt))])[0]

    # -- 2. integrate ----------------------------------------------------------------------------

    def integrate(self, batch: int = 10_000) -> int:
        """Integrate every pending entry, ``batch`` per transaction; how many were integrated."""
        done = 0
        while (pending := self.store.pending_batch(batch)).entries:
            edge = self._current_edge()
            entries = pending.entries
            hashes = leaf_hashes(entries)
            result = integrate(edge, hashes)
            try:
                self.store.integrate(
                    taken=pending.seqs,
                    first_index=edge.size,
                    entries=entries,
                    leaf_hashes=hashes,
                    tiles=result.tiles,
                    head=result.head,
                )
            except ConfigError:
                self._edge = None  # another writer moved the head: re-read before any retry
                raise
            self._edge = result.edge
            done += len(entries)
            self._step("integrate")
        return done

    def _current_edge(self) -> Edge:
        size = self.store.head().size
        if self._edge is None or self._edge.size != size:
            self._edge = read_edge(self.store.tiles, size)
        return self._edge

    # -- 3. checkpoint ---------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint | None:
        """Sign and store a checkpoint of the current head and queue its anchoring (None: empty log).

        A head that already has a checkpoint is not signed again; its anchoring is re-queued if a
        crash lost it.
        """
        self._requeue_latest()
        head = self.store.head()
        if head.size == 0:
            return None
        checkpoint = Checkpoint(self.origin, head.size, head.root)
        note = self.store.checkpoint(head.size)
        now = self._clock()
        if note is None:
            note = sign_checkpoint(checkpoint, [self.signer])
            self.store.put_checkpoint(head.size, note, now)
            self._step("checkpoint")
        self._queue(checkpoint, note)
        self._last_checkpoint, self._last_checkpoint_read = now, True
        return checkpoint

    def maybe_checkpoint(self) -> Checkpoint | None:
        """A checkpoint only when the interval has passed since the last one (and the tree grew).

        The last one's time comes from the store, so a restarted service keeps the interval.
        """
        now = self._clock()
        if not self._last_checkpoint_read:
            self._last_checkpoint, self._last_checkpoint_read = self.store.checkpoint_time(), True
        # A stored time ahead of this clock (another clock, or one set back) does not hold checkpoints off.
        last = self._last_checkpoint
        if last is not None and 0 <= now - last < self.interval:
            return None
        latest = self.store.checkpoint()
        if latest is not None and _size_of(latest) == self.store.head().size:
            return None
        return self.checkpoint()

    def _requeue_latest(self) -> None:
        note = self.store.checkpoint()
        if note is not None:
            self._queue(parse_checkpoint_text(parse_note(note).text), note)

    def _queue(self, checkpoint: Checkpoint, note: bytes) -> None:
        key = str(checkpoint.size)
        payload = _payload(self.origin, checkpoint.size, checkpoint.root, sha256(note).digest())
        # confirm first: a crash between the two leaves an anchor step that is re-queued, never a
        # done anchor without its confirmation.
        self.store.outbox_add(CONFIRM, key, payload)
        self.store.outbox_add(ANCHOR, key, payload)
        self._step("queue")

    # -- 4–5. anchor and confirm -----------------------------------------------------------------

    def anchor_pending(self, confirmations: int = 1) -> tuple[int, int]:
        """Drive the outbox: (anchors submitted or found, checkpoints confirmed).

        A node that cannot be reached leaves the work pending and returns what was done so far.
        """
        submitted = confirmed = 0
        try:
            for item in self.store.outbox_pending(ANCHOR):
                self._anchor(item.id, item.payload)
                submitted += 1
            for item in self.store.outbox_pending(CONFIRM):
                if self._confirm(item.id, item.key, item.payload, confirmations):
                    confirmed += 1
        except UnavailableError:
            return submitted, confirmed
        return submitted, confirmed

    def _anchor(self, item_id: int, payload: bytes) -> None:
        origin, size, root, note_hash = _unpayload(payload)
        found = self.anchor.lookup(origin, size)
        if found is None:
            self.store.outbox_attempted(item_id)
            try:
                tx = self.anchor.submit(origin, size, root, note_hash)
            except UnavailableError:
                raise
            except DojangError:
                # Refused: already anchored by a run that crashed before recording it, or superseded.
                found = self.anchor.lookup(origin, size)
                if found is None:
                    latest = self.anchor.latest(origin)
                    if latest is not None and latest.tree_size > size:
                        self.store.outbox_done(item_id, _SUPERSEDED)
                        return
                    raise
                tx = found.tx_hash
            else:
                self._step("submit")
        else:
            tx = found.tx_hash
        if found is not None:
            _check_record(found, root, note_hash)
        self.store.outbox_done(item_id, tx.encode())

    def _confirm(self, item_id: int, key: str, payload: bytes, confirmations: int) -> bool:
        submitted = self.store.outbox_result(ANCHOR, key)
        if submitted is None:
            return False
        if submitted == _SUPERSEDED:
            self.store.outbox_done(item_id, _SUPERSEDED)
            return False
        origin, size, root, note_hash = _unpayload(payload)
        found = self.anchor.lookup(origin, size)
        if found is None:
            # Mined once, then lost in a reorganisation: the chain no longer has it; send it again.
            if self.anchor.receipt(submitted.decode()) is None:
                self.anchor.submit(origin, size, root, note_hash)
            return False
        _check_record(found, root, note_hash)
        receipt = self.anchor.receipt(found.tx_hash)
        if receipt is None or receipt.confirmations < confirmations:
            return False
        result = {
            "tx": receipt.tx_hash,
            "block": receipt.block_number,
            "block_hash": receipt.block_hash,
        }
        self._step("confirming")
        self.store.outbox_done(item_id, json.dumps(result).encode())
        self._step("confirm")
        return True

    def tick(self, confirmations: int = 1) -> None:
        """One turn of the operator's loop: integrate, checkpoint if due, drive the outbox."""
        self.integrate()
        self.maybe_checkpoint()
        self.anchor_pending(confirmations)

    # -- proofs and status -----------------------------------------------------------------------

    def prove(self, sd_jwt: str) -> TlogProof:
        """The inclusion proof of ``sd_jwt``'s issuance entry to the latest checkpoint.

        NotFoundError when it is not integrated yet or no checkpoint covers it (integrate, checkpoint).
        """
        entry = encode_entry(issuance_entry(sd_jwt))
        index = self.store.index_of(leaf_hash(entry))
        if index is None:
            raise NotFoundError(
                "this credential is not in the log (yet)",
                hint="integrate pending entries and sign a checkpoint: dojang log checkpoint",
            )
        note = self.store.checkpoint()
        size = _size_of(note) if note is not None else 0
        if note is None or index >= size:
            raise NotFoundError(
                f"no checkpoint covers log index {index} yet", hint="sign one: dojang log checkpoint"
            )
        hashes = self._prover.inclusion_proof(index, size)
        return TlogProof(index, tuple(hashes), note, entry)

    def status(self) -> AnchorStatus:
        """The latest anchored checkpoint on chain and the outbox's open work."""
        latest = self.anchor.latest(self.origin)
        depth = None
        if latest is not None:
            receipt = self.anchor.receipt(latest.tx_hash) if latest.tx_hash else None
            depth = receipt.confirmations if receipt is not None else None
        note = self.store.checkpoint()
        return AnchorStatus(
            latest=latest,
            confirmations=depth,
            pending_anchor=len(self.store.outbox_pending(ANCHOR, 10_000)),
            pending_confirm=len(self.store.outbox_pending(CONFIRM, 10_000)),
            checkpoint_size=_size_of(note) if note is not None else None,
            head_size=self.store.head().size,
        )

    def confirmed(self, size: int) -> dict[str, Any] | None:
        """The recorded receipt of checkpoint ``size`` (tx, block, block_hash), once confirmed."""
        result = self.store.outbox_result(CONFIRM, str(size))
        if result is None or result == _SUPERSEDED:
            return None
        doc = json.loads(result)
        return doc if isinstance(doc, dict) else None


def _size_of(note: bytes) -> int:
    return parse_checkpoint_text(parse_note(note).text).size


def _check_record(found: AnchorRecord, root: bytes, note_hash: bytes) -> None:
    if found.root != root or found.note_hash != note_hash:
        raise ConfigError(
            f"the chain anchors a different root or note for tree size {found.tree_size} "
            f"(expected root {root.hex()}, found {found.root.hex()})",
            hint="two checkpoints for one size: a fork or a second log key; investigate",
        )
