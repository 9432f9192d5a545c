"""An agency's workspace on one data directory: issue, bulk jobs, status changes, what it issued.

The HTTP routes (``/agency/…``) and the ``dojang agency`` commands both act through
:class:`AgencyService`, so a credential issued either way takes the same path: accreditation check,
status index, log entry, issued index. A :class:`JobRunner` thread works the bulk jobs in
``dojang serve``; ``dojang agency work`` (and the CLI's ``bulk``) run the same worker in the foreground.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dojang.adapters.keystore import KeyStore
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.storage import SqlJobStore
from dojang.adapters.trust_list_files import REGISTRY_FILE, read_registry
from dojang.core.catalogue import Catalogue
from dojang.core.crypto import SigningKey, verify_key_from_jwk
from dojang.core.log import CredentialStatus
from dojang.core.status import CredentialRecord, StatusReason
from dojang.errors import DojangError, ForbiddenError, InputError, NotFoundError, TooLargeError
from dojang.roles.issuer import (
    MAX_BULK_ITEMS,
    BulkWorker,
    EntryRecorder,
    IssuedCredential,
    IssuedRecord,
    Issuer,
    Job,
    StatusChange,
    StatusLists,
    issue_logged,
)
from dojang.roles.issuer._bulk import Request

__all__ = ["REGISTRY_SEED", "REGISTRY_SIZE", "AgencyService", "JobRunner", "PendingLog", "body_hash"]

REGISTRY_SEED = 2026
REGISTRY_SIZE = 200
_KST = datetime.timezone(datetime.timedelta(hours=9))


def body_hash(requests: Sequence[Mapping[str, Any]]) -> bytes:
    """The idempotency fingerprint of a bulk request: SHA-256 of its items as canonical JSON."""
    canonical = json.dumps(list(requests), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


@dataclass(frozen=True)
class PendingLog:
    """The log's durable ``record`` straight on its store (the sequencer integrates it later)."""

    store: Any

    def record(self, entries: Sequence[bytes]) -> list[int]:
        seqs: list[int] = self.store.add_pending(entries)
        return seqs


@dataclass
class AgencyService:
    """What an agency does on this platform; every method names the acting agency (its issuer id)."""

    data_dir: Path
    keys: KeyStore
    catalogue: Catalogue
    lists: StatusLists
    log: EntryRecorder
    jobs: SqlJobStore
    registry: SyntheticRegistry = field(
        default_factory=lambda: SyntheticRegistry(REGISTRY_SEED, REGISTRY_SIZE)
    )
    clock: Callable[[], float] = field(default=time.time)
    _keys_by_kid: dict[str, SigningKey] = field(default_factory=dict, repr=False)
    _issuers: dict[str, tuple[tuple[int, int], Issuer]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- signers -----------------------------------------------------------------------------------

    def issuer_for(self, agency: str) -> Issuer:
        """The agency's signer: its certified key, certificate and the accreditations now in force."""
        path = self.data_dir / REGISTRY_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise NotFoundError(
                f"no registered agency {agency!r}: the operator has no registry yet"
            ) from None
        version = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._issuers.get(agency)
            if cached is not None and cached[0] == version:
                return cached[1]
        registry = read_registry(self.data_dir)
        record = next((a for a in registry.agencies if a.issuer_id == agency), None)
        if record is None or not record.certificates:
            raise NotFoundError(f"no registered agency {agency!r} with a certificate")
        cert = record.certificates[-1]
        key = self._keys_by_kid.get(cert.public_key.kid) or self.keys.load(cert.public_key.kid)
        issuer = Issuer(
            agency, key, self.catalogue, secrets.token_bytes, certificate=cert,
            accreditations=registry.trust_list(now=int(self.clock())),
        )  # fmt: skip
        with self._lock:
            self._keys_by_kid[cert.public_key.kid] = key
            self._issuers[agency] = (version, issuer)
        return issuer

    def resolve(self, request: Mapping[str, Any], now: datetime.datetime) -> Request:
        """One item request → (kind id, registry claims, holder JWK): the claims as given, else the
        registry's data for the citizen."""
        kind = self.catalogue.get(str(request.get("kind")))
        jwk = request.get("holder_jwk")
        holder = None if jwk is None else dict(verify_key_from_jwk(jwk).jwk)
        claims = request.get("claims")
        if isinstance(claims, Mapping):
            return kind.id, claims, holder
        citizen = request.get("citizen")
        if not isinstance(citizen, str):
            raise InputError("an item names a citizen or carries the claims")
        today = now.astimezone(_KST).date()
        prop = request.get("property_id")
        data = self.registry.claims_for(
            kind.id, citizen, today=today, property_id=prop if isinstance(prop, str) else None
        )
        return kind.id, data, holder

    def _now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.clock(), datetime.UTC)

    # -- one credential ----------------------------------------------------------------------------

    def issue(self, agency: str, request: Mapping[str, Any]) -> tuple[IssuedCredential, CredentialRecord]:
        """Issue one credential now (refused before anything is stored unless accredited); logged."""
        now, issuer = self._now(), self.issuer_for(agency)
        issuer.check_may_issue(str(request.get("kind")), now=now)
        kind_id, claims, holder = self.resolve(request, now)
        credential, record = issue_logged(
            issuer, self.lists, self.log, kind_id, claims, now=now, holder_jwk=holder
        )
        self.jobs.record_issued(
            [
                IssuedRecord(
                    0, agency, record.digest, kind_id, credential.kind.vct, credential.iat, credential.exp
                )
            ]
        )
        return credential, record

    # -- bulk --------------------------------------------------------------------------------------

    def submit(self, agency: str, key: str, requests: Sequence[Mapping[str, Any]]) -> tuple[Job, bool]:
        """The job for ``key`` (created, True; or the one made before with the same body, False).

        Refused whole, with nothing stored: over MAX_BULK_ITEMS items (413), an empty list or a bad
        holder JWK (400), a kind unknown (404) or not accredited to this agency (403).
        """
        if len(requests) > MAX_BULK_ITEMS:
            raise TooLargeError(
                f"a bulk request carries at most {MAX_BULK_ITEMS} items, found {len(requests)}"
            )
        if not requests:
            raise InputError("a bulk request needs at least one item")
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise InputError("the Idempotency-Key is 1 to 200 printable characters")
        issuer, now = self.issuer_for(agency), self._now()
        for kind in sorted({str(r.get("kind")) for r in requests}):
            issuer.check_may_issue(kind, now=now)
        for n, request in enumerate(requests):
            if request.get("holder_jwk") is not None:
                try:
                    verify_key_from_jwk(request["holder_jwk"])
                except DojangError as exc:
                    raise InputError(f"item {n}: holder_jwk: {exc.message}") from None
        texts = [json.dumps(dict(r), sort_keys=True, ensure_ascii=False) for r in requests]
        return self.jobs.create(
            job_id=secrets.token_hex(8), issuer=agency, key=key, body_hash=body_hash(requests),
            requests=texts, now=int(self.clock()),
        )  # fmt: skip

    def job(self, agency: str, job_id: str) -> Job:
        """The agency's job; ForbiddenError for another agency's."""
        job = self.jobs.job(job_id)
        if job.issuer != agency:
            raise ForbiddenError(f"job {job_id} belongs to another agency")
        return job

    def worker(self, name: str | None = None, *, chunk: int = 500) -> BulkWorker:
        return BulkWorker(
            self.jobs, self.issuer_for, self.lists, self.log, self.resolve,
            name=name or f"worker-{secrets.token_hex(4)}", clock=self.clock, chunk=chunk,
        )  # fmt: skip

    # -- status and listing ------------------------------------------------------------------------

    def change_status(
        self, agency: str, digest: bytes, after: CredentialStatus, reason: StatusReason
    ) -> StatusChange:
        """Revoke, suspend or reinstate one of the agency's credentials (ForbiddenError for another's)."""
        return self.lists.change(digest, after, reason, issuer=agency, now=int(self.clock()))

    def issued(self, agency: str, *, kind: str | None, after: int, limit: int) -> list[IssuedRecord]:
        kind_id = None if kind is None else self.catalogue.get(kind).id
        return self.jobs.issued(agency, kind=kind_id, after=after, limit=limit)


class JobRunner(threading.Thread):
    """The bulk worker of ``dojang serve``: a daemon thread taking jobs until stopped; errors reported."""

    def __init__(self, service: AgencyService, *, period: float = 0.5, report: Callable[[str], None]) -> None:
        super().__init__(name="dojang-bulk", daemon=True)
        self.worker, self.period, self.report = service.worker(), period, report
        self._stop_asked, self._wake = threading.Event(), threading.Event()

    def wake(self) -> None:
        """A job was submitted: look now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        self._stop_asked.set()
        self._wake.set()
        self.join(timeout=30)

    def run(self) -> None:
        while not self._stop_asked.is_set():
            try:
                job = self.worker.run_job(stop=self._stop_asked.is_set)
            except DojangError as exc:
                self.report(f"bulk worker: {exc.message}")
                job = None
            if job is None:
                self._wake.wait(self.period)
                self._wake.clear()
