"""Issuance as an agency does it, one credential or a bulk job: accreditation, status index, log entry.

One credential (:func:`issue_logged`): the accreditation check, a random index of the agency's
status list (saved before the credential is handed out) and its issuance entry in the log — the
path ``dojang issue`` and the agency API share.

A bulk job is a list of item requests stored under the agency's idempotency key (the same key and
body give the same job; the same key with another body is refused). A :class:`BulkWorker` works
through it a chunk at a time, each chunk in four commits, so that a restart resumes where it
stopped and never issues an item twice:

1. sign the chunk with indexes reserved for this process and record them in one transaction
   (:func:`issue_batch`);
2. store the signed credentials in the job (items ``signed``; failures ``failed`` with the reason);
3. record their issuance entries in the log (one durable ``record``);
4. mark them ``issued`` (acknowledged: counted as done, listed, downloadable).

A crash after 1 leaves recorded indexes of credentials never handed out (harmless) and the items are signed
again; after 2 the stored credentials are logged on resume (a crash between 3 and 4 logs them once
more, which an auditor reads as a retry); no item ever gets a second credential.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dojang.core.log import IssuanceEntry, credential_digest, encode_entry
from dojang.core.status import CredentialRecord
from dojang.errors import ConfigError, DojangError
from dojang.roles.issuer._issuer import IssuedCredential, Issuer
from dojang.roles.issuer._status import EntryRecorder, Slot, StatusLists

__all__ = [
    "MAX_BULK_ITEMS",
    "BulkWorker",
    "IdempotencyConflictError",
    "IssuedRecord",
    "Job",
    "JobItem",
    "JobStore",
    "Resolver",
    "issuance_entry_of",
    "issue_batch",
    "issue_logged",
]

#: The most items one bulk request may carry (larger requests are refused, 413).
MAX_BULK_ITEMS = 10_000
PENDING, SIGNED, ISSUED, FAILED = "pending", "signed", "issued", "failed"

#: One item request (its stored JSON) → (kind id, registry claims, holder JWK or None) at ``now``.
Request = tuple[str, Mapping[str, Any], Mapping[str, Any] | None]
Resolver = Callable[[Mapping[str, Any], datetime.datetime], Request]
Outcome = tuple[IssuedCredential, CredentialRecord] | DojangError


class IdempotencyConflictError(DojangError):
    """The idempotency key was used before with another request body."""

    http_status = 409
    exit_code = 2
    hint = "use a new Idempotency-Key for a different request, or resend exactly the first body"


@dataclass(frozen=True, slots=True)
class Job:
    """A bulk job: whose it is, its idempotency key, how far it got, and which worker holds it."""

    id: str
    issuer: str
    key: str
    total: int
    done: int
    failed: int
    created: int
    updated: int
    owner: str | None = None
    lease_until: int = 0

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total

    @property
    def state(self) -> str:
        """``finished``, ``running`` (a worker holds it) or ``queued``."""
        if self.finished:
            return "finished"
        return "running" if self.owner is not None else "queued"


@dataclass(frozen=True, slots=True)
class JobItem:
    """One item of a job: its number, request (JSON text), state and, once signed, the credential."""

    n: int
    request: str
    state: str = PENDING
    error: str | None = None
    sd_jwt: str | None = None
    digest: bytes | None = None
    kind: str | None = None
    vct: str | None = None
    kid: str | None = None
    iat: int | None = None
    exp: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    """What an agency's list of issued credentials shows: no claim values, only the facts."""

    seq: int
    issuer: str
    digest: bytes
    kind: str
    vct: str
    iat: int
    exp: int
    job_id: str | None = None


class JobStore(Protocol):
    """Durable bulk jobs and the agency's index of issued credentials (one transaction per call)."""

    def create(
        self, *, job_id: str, issuer: str, key: str, body_hash: bytes, requests: Sequence[str], now: int
    ) -> tuple[Job, bool]:
        """The job for (issuer, key): new (True) or the existing one (False) when ``body_hash`` matches;
        IdempotencyConflictError when it does not."""
        ...

    def job(self, job_id: str) -> Job:
        """The job; NotFoundError when there is none."""
        ...

    def jobs(self, issuer: str, limit: int = 50) -> list[Job]:
        """The agency's jobs, newest first."""
        ...

    def claim(self, owner: str, *, now: int, lease_until: int, job_id: str | None = None) -> Job | None:
        """Take an unfinished job (``job_id``, else the oldest) nobody holds or whose lease ran out."""
        ...

    def renew(self, job_id: str, owner: str, lease_until: int) -> None: ...

    def release(self, job_id: str, owner: str) -> None: ...

    def open_items(self, job_id: str, limit: int) -> list[JobItem]:
        """Items still ``pending`` or ``signed``, in order."""
        ...

    def save_signed(
        self, job_id: str, signed: Sequence[JobItem], failed: Sequence[JobItem], now: int
    ) -> None:
        """Store signed credentials (state ``signed``) and failures (``failed``, counted) at once."""
        ...

    def mark_issued(self, job_id: str, numbers: Sequence[int], now: int) -> None:
        """Acknowledge signed items: ``issued``, counted as done and added to the issued index."""
        ...

    def items(
        self, job_id: str, *, after: int = -1, limit: int = 1000, state: str | None = None
    ) -> list[JobItem]:
        """The job's items with ``n > after`` (of ``state``), in order."""
        ...

    def record_issued(self, records: Sequence[IssuedRecord]) -> None:
        """Add credentials issued one by one to the index (``seq`` is assigned by the store)."""
        ...

    def issued(
        self, issuer: str, *, kind: str | None = None, after: int = 0, limit: int = 100
    ) -> list[IssuedRecord]:
        """The agency's issued credentials with ``seq > after`` (of ``kind``), oldest first."""
        ...


def issuance_entry_of(credential: IssuedCredential, digest: bytes) -> bytes:
    """The encoded log entry of an issued credential (the same as ``issuance_entry`` of its SD-JWT)."""
    return encode_entry(IssuanceEntry(digest, credential.kind.vct, credential.kid, credential.iat))


def issue_batch(
    issuer: Issuer,
    lists: StatusLists,
    requests: Sequence[Request],
    *,
    now: datetime.datetime,
) -> list[Outcome]:
    """Sign each request with a fresh random index of the agency's lists (reserved for this process
    first, so nothing is signed twice); all the credentials recorded in one transaction. A request
    that cannot be issued gets its error in place of the credential, and its index goes back unused."""
    slots = lists.take(issuer.iss, int(now.timestamp()), len(requests))
    outcomes: list[Outcome] = []
    records: list[CredentialRecord] = []
    unused: list[Slot] = []
    for (kind_id, claims, holder), slot in zip(requests, slots, strict=True):
        try:
            credential = issuer.issue(kind_id, claims, now=now, holder_jwk=holder, status=slot.ref)
        except DojangError as exc:
            outcomes.append(exc)
            unused.append(slot)
            continue
        record = CredentialRecord(
            credential_digest(credential.sd_jwt), slot.list_id, slot.ref.idx, issuer.iss
        )
        outcomes.append((credential, record))
        records.append(record)
    lists.give_back(issuer.iss, unused)
    lists.record(records)
    return outcomes


def issue_logged(
    issuer: Issuer,
    lists: StatusLists,
    log: EntryRecorder,
    kind_id: str,
    claims: Mapping[str, Any],
    *,
    now: datetime.datetime,
    holder_jwk: Mapping[str, Any] | None,
) -> tuple[IssuedCredential, CredentialRecord]:
    """Issue one credential: refused (ForbiddenError) before anything is stored unless accredited;
    its status index and then its issuance entry are durable before it is returned."""
    issuer.check_may_issue(kind_id, now=now)
    (outcome,) = issue_batch(issuer, lists, [(kind_id, claims, holder_jwk)], now=now)
    if isinstance(outcome, DojangError):
        raise outcome
    credential, record = outcome
    log.record([issuance_entry_of(credential, record.digest)])
    return credential, record


def _never() -> bool:
    return False


@dataclass
class BulkWorker:
    """Works through stored bulk jobs (see the module docstring); one per thread, many may share a store.

    A job is held under a lease renewed after each chunk, so that a worker that died leaves its job to
    another once the lease runs out; ``name`` tells workers apart.
    """

    jobs: JobStore
    issuer_for: Callable[[str], Issuer]
    lists: StatusLists
    log: EntryRecorder
    resolve: Resolver
    name: str
    clock: Callable[[], float] = field(default=time.time)
    chunk: int = 500
    lease: int = 60

    def run_job(
        self,
        job_id: str | None = None,
        *,
        max_items: int | None = None,
        stop: Callable[[], bool] = _never,
        progress: Callable[[Job], None] | None = None,
    ) -> Job | None:
        """Claim a job (``job_id``, else the oldest waiting) and work on it until it is finished, ``stop()``
        says so or ``max_items`` were handled; the job as it stands then (None: nothing to do)."""
        now = int(self.clock())
        job = self.jobs.claim(self.name, now=now, lease_until=now + self.lease, job_id=job_id)
        if job is None:
            return None
        try:
            issuer, handled = self.issuer_for(job.issuer), 0
            while not stop() and (max_items is None or handled < max_items):
                limit = self.chunk if max_items is None else min(self.chunk, max_items - handled)
                items = self.jobs.open_items(job.id, limit)
                if not items:
                    break
                self._chunk(job.id, issuer, items)
                handled += len(items)
                self.jobs.renew(job.id, self.name, int(self.clock()) + self.lease)
                if progress is not None:
                    progress(self.jobs.job(job.id))
        finally:
            self.jobs.release(job.id, self.name)
        return self.jobs.job(job.id)

    def _chunk(self, job_id: str, issuer: Issuer, items: Sequence[JobItem]) -> None:
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC)
        fresh = [item for item in items if item.state == PENDING]
        signed = [item for item in items if item.state == SIGNED]  # stored before a restart: log them now
        failed: list[JobItem] = []
        requests, asked = [], []
        for item in fresh:
            try:
                requests.append(self.resolve(_loads(item.request), now))
                asked.append(item)
            except DojangError as exc:
                failed.append(_failed(item, exc))
        new_signed: list[JobItem] = []
        for item, outcome in zip(asked, issue_batch(issuer, self.lists, requests, now=now), strict=True):
            if isinstance(outcome, DojangError):
                failed.append(_failed(item, outcome))
            else:
                new_signed.append(_signed(item, *outcome))
        stamp = int(now.timestamp())
        if new_signed or failed:
            self.jobs.save_signed(job_id, new_signed, failed, stamp)
        to_log = [*signed, *new_signed]
        if to_log:
            self.log.record([_entry(item) for item in to_log])
            self.jobs.mark_issued(job_id, [item.n for item in to_log], stamp)


def _loads(text: str) -> Mapping[str, Any]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _failed(item: JobItem, exc: DojangError) -> JobItem:
    return JobItem(item.n, item.request, FAILED, error=f"{type(exc).__name__}: {exc.message}")


def _signed(item: JobItem, credential: IssuedCredential, record: CredentialRecord) -> JobItem:
    return JobItem(
        item.n, item.request, SIGNED, sd_jwt=credential.sd_jwt, digest=record.digest,
        kind=credential.kind.id, vct=credential.kind.vct, kid=credential.kid,
        iat=credential.iat, exp=credential.exp,
    )  # fmt: skip


def _entry(item: JobItem) -> bytes:
    if item.digest is None or not item.vct or not item.kid or item.iat is None:
        raise ConfigError(f"job item {item.n} is marked signed but its credential facts are missing")
    return encode_entry(IssuanceEntry(item.digest, item.vct, item.kid, item.iat))
