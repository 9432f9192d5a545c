"""``dojang bench``: issuance and verification rates beside the raw ES256 rates of the same run.

Every row is measured the same way: ``cores`` worker processes (``spawn``) each build their own inputs,
wait on one barrier, then run the operation in a loop for ``seconds``; the rate is the operations of
all workers over the wall time from the first start to the last finish. Set-up is never timed.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import importlib.metadata
import importlib.util
import json
import multiprocessing
import os
import platform
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.queues import Queue
from types import ModuleType, TracebackType
from typing import Any

import click

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import SyntheticRegistry
from dojang.cli._bench_bulk import bulk_row
from dojang.cli._bench_log import (
    DEFAULT_AUDIT_ENTRIES,
    DEFAULT_PROOF_LOG,
    LOG_ROWS,
    LogParams,
    anchor_row,
    audit_row,
    log_setups,
)
from dojang.cli._bench_op import Op
from dojang.core.catalogue import DocumentKind
from dojang.core.crypto import SigningKey, generate_key
from dojang.core.sdjwt import KbExpectation, verify
from dojang.errors import DojangError, InputError
from dojang.roles.issuer import Issuer
from dojang.roles.verifier import TrustedKey, TrustList, Verifier
from dojang.roles.wallet import present_claims

__all__ = ["ALL_ROWS", "BASELINES", "REFERENCE_OF", "ROWS", "bench", "run_bench"]

#: Each row's name and the raw ES256 row it is quoted against (itself for the raw rows).
BASELINES: dict[str, str] = {
    "es256_sign_raw": "es256_sign_raw",
    "es256_verify_raw": "es256_verify_raw",
    "sdjwt_issue": "es256_sign_raw",
    "sdjwt_verify_kb": "es256_verify_raw",
    "verifier_pipeline_kb": "es256_verify_raw",
    "ref_sdjwt_issue": "es256_sign_raw",
    "ref_sdjwt_verify_kb": "es256_verify_raw",
}
#: dojang rows and the reference package row each is compared with.
REFERENCE_OF: dict[str, str] = {
    "sdjwt_issue": "ref_sdjwt_issue",
    "sdjwt_verify_kb": "ref_sdjwt_verify_kb",
    "verifier_pipeline_kb": "ref_sdjwt_verify_kb",
}
ROWS = tuple(BASELINES)
#: Every row ``--only`` accepts: the credential rows, then the log rows (measured on one core only:
#: the log has one sequencer), the audit, the computed anchoring row, the bulk job and the OpenID4VCI flows.
#: (The flow rows live in ``_bench_oid4vci``, imported when measured: ``python -m`` runs that module.)
FLOW_ROWS = ("oid4vci_flow", "oid4vci_flow_pg")
ALL_ROWS = (*ROWS, *LOG_ROWS, "log_audit", "anchor_tx_per_million_issuances", "bulk_issue", *FLOW_ROWS)

KIND_ID = "resident-register-copy"
HOUSEHOLD_SIZE = 4
AUDIENCE = "https://bank.example/onboarding"
NONCE = "bench-nonce-6d1f0c2a"
ISS = "https://gov24.example/agency/jumin"
#: The raw sign/verify input: about the size of a JWS signing input of a small credential.
MESSAGE = b"e" * 300
_BATCH = 8
_SETUP_TIMEOUT = 120.0


@dataclass(frozen=True)
class _Fixture:
    """What the credential rows share inside one worker: keys, roles and one household's registry data."""

    issuer: Issuer
    holder: SigningKey
    kind: DocumentKind
    registry_claims: dict[str, Any]
    now: datetime.datetime

    @property
    def iat(self) -> int:
        return int(self.now.timestamp())

    def issue(self) -> str:
        return self.issuer.issue(
            KIND_ID, self.registry_claims, now=self.now, holder_jwk=self.holder.public.jwk
        ).sd_jwt

    def presentation(self) -> str:
        return present_claims(
            self.issue(), claims=None, holder_key=self.holder, audience=AUDIENCE, nonce=NONCE, now=self.iat
        )

    def payload(self) -> dict[str, Any]:
        """The claims the Issuer signs, for the reference package to issue the same credential."""
        claims = self.kind.prepare(self.registry_claims, today=self.now.date())
        exp = self.iat + self.kind.validity_days * 86_400
        return {"iss": self.issuer.iss, "iat": self.iat, "exp": exp, "vct": self.kind.vct, **claims}


@functools.cache
def _fixture() -> _Fixture:
    registry = SyntheticRegistry()
    catalogue = load_catalogue()
    citizen = next(
        cid
        for cid in registry.citizen_ids()
        if len(registry.household(registry.citizen(cid).household_id).members) == HOUSEHOLD_SIZE
    )
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    claims = registry.claims_for(KIND_ID, citizen, today=now.date())
    issuer = Issuer(ISS, generate_key("ES256", os.urandom), catalogue, os.urandom)
    return _Fixture(issuer, generate_key("ES256", os.urandom), catalogue.get(KIND_ID), claims, now)


def _disclosures(sd_jwt: str) -> int:
    """Disclosures in an SD-JWT or presentation: the parts between the JWT and the final part."""
    return sd_jwt.count("~") - 1


def _es256_sign() -> Op:
    key = generate_key("ES256", os.urandom)
    return Op(lambda: key.sign(MESSAGE))


def _es256_verify() -> Op:
    key = generate_key("ES256", os.urandom)
    public, signature = key.public, key.sign(MESSAGE)
    return Op(lambda: public.verify(MESSAGE, signature))


def _sdjwt_issue() -> Op:
    fixture = _fixture()
    return Op(fixture.issue, _disclosures(fixture.issue()))


def _sdjwt_verify_kb() -> Op:
    fixture = _fixture()
    text, key, now = fixture.presentation(), fixture.issuer.key.public, fixture.iat
    expect = KbExpectation(AUDIENCE, NONCE)
    return Op(lambda: verify(text, issuer_key=key, now=now, kb=expect), _disclosures(text))


def _verifier_pipeline_kb() -> Op:
    fixture = _fixture()
    text, now = fixture.presentation(), fixture.iat
    trust = TrustList([TrustedKey(ISS, fixture.issuer.key.public)])
    verifier = Verifier(trust, fixture.issuer.catalogue)
    verdict = verifier.verify(text, now=now, audience=AUDIENCE, nonce=NONCE)
    if not verdict.valid:
        raise DojangError(f"the bench presentation does not verify: {verdict.failed}")
    return Op(lambda: verifier.verify(text, now=now, audience=AUDIENCE, nonce=NONCE), _disclosures(text))


def _reference() -> ModuleType:
    """The reference package runner; imported only where ``sd_jwt`` is installed."""
    return importlib.import_module("dojang.cli._bench_ref")


def _ref_issue() -> Op:
    fixture = _fixture()
    run, count = _reference().ref_issue_op(fixture.payload(), fixture.kind.selective_paths())
    return Op(run, count)


def _ref_verify_kb() -> Op:
    fixture = _fixture()
    sd = fixture.kind.selective_paths()
    run, count = _reference().ref_verify_op(fixture.payload(), sd, aud=AUDIENCE, nonce=NONCE)
    return Op(run, count)


_SETUPS: dict[str, Callable[[], Op]] = {
    "es256_sign_raw": _es256_sign,
    "es256_verify_raw": _es256_verify,
    "sdjwt_issue": _sdjwt_issue,
    "sdjwt_verify_kb": _sdjwt_verify_kb,
    "verifier_pipeline_kb": _verifier_pipeline_kb,
    "ref_sdjwt_issue": _ref_issue,
    "ref_sdjwt_verify_kb": _ref_verify_kb,
}


def reference_available() -> bool:
    """True when the reference ``sd-jwt`` package is installed (a dev dependency only)."""
    return importlib.util.find_spec("sd_jwt") is not None


def _timed(run: Callable[[], object], seconds: float, batch: int = _BATCH) -> tuple[int, float, float]:
    """Run ``run`` for ``seconds``: the count, and the start and end on the system-wide monotonic clock."""
    count = 0
    start = end = time.monotonic()
    deadline = start + seconds
    while end < deadline:
        for _ in range(batch):
            run()
        count += batch
        end = time.monotonic()
    return count, start, end


#: A ratio row and its raw ES256 baseline alternate in slices this long, so that both see the same
#: machine: a neighbour's load or a clock change in the middle of a run moves both rates alike.
_SLICE = 0.25


def _timed_pair(op: Op, base: Op, seconds: float) -> tuple[int, float, int, float]:
    """``op`` and ``base`` in alternating slices, ``seconds`` of each: (count, time) of each."""
    counts, spent = [0, 0], [0.0, 0.0]
    slices = max(1, round(seconds / _SLICE))
    for _ in range(slices):
        for which, each in enumerate((op, base)):
            count, start, end = _timed(each.run, seconds / slices, each.batch)
            counts[which] += count
            spent[which] += end - start
    return counts[0], spent[0], counts[1], spent[1]


@dataclass(frozen=True, slots=True)
class _Reply:
    """A worker's report on one row: ``error`` set, or the count, timed span and CPU seconds used.

    A ratio row also reports its baseline's count and time (``base``) and its own timed seconds
    (``own``), measured in alternating slices.
    """

    error: str | None = None
    count: int = 0
    start: float = 0.0
    end: float = 0.0
    cpu: float = 0.0
    disclosures: int | None = None
    extra: dict[str, Any] | None = None
    own: float = 0.0
    base: tuple[int, float] | None = None


def _next_task(inbox: Queue[Any]) -> Any:
    """The next task, or None when told to stop or when the parent is gone (killed, not just stopped)."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            return inbox.get(timeout=1.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return None


def _worker(inbox: Queue[Any], outbox: Queue[Any], barrier: threading.Barrier) -> None:
    """A worker process: for each (row, seconds) task, set up, wait for the others, run, report."""
    # CPU time is reported since the last report (the first includes start-up), so that the parent can
    # tell this bench's CPU use from everybody else's over one contiguous window.
    reported = 0.0
    while (task := _next_task(inbox)) is not None:
        name, seconds, params = task
        baseline = BASELINES.get(name, name)
        try:
            op = _setup(name, params)
            base = _setup(baseline, params) if baseline != name else None
            for each in (op, base) if base is not None else (op,):
                for _ in range(each.warm_up):
                    each.run()
        except Exception as exc:  # noqa: BLE001 - any failure is reported to the parent, which raises it
            barrier.abort()
            outbox.put(_Reply(error=f"{name}: {type(exc).__name__}: {exc}"))
            continue
        try:
            barrier.wait(timeout=_SETUP_TIMEOUT)
        except threading.BrokenBarrierError:
            outbox.put(_Reply(error=f"{name}: another worker failed to set up"))
            continue
        own, paired = 0.0, None
        try:
            if base is None:
                count, start, end = _timed(op.run, seconds, op.batch)
            else:
                start = time.monotonic()
                count, own, base_count, base_time = _timed_pair(op, base, seconds)
                end, paired = time.monotonic(), (base_count, base_time)
        finally:
            if op.close is not None:
                op.close()
        used = time.process_time()
        outbox.put(
            _Reply(
                None, count * op.per_run, start, end, used - reported, op.disclosures, op.extra, own, paired
            )
        )
        reported = used


def _setup(name: str, params: LogParams) -> Op:
    log = log_setups().get(name)
    return log(params) if log is not None else _SETUPS[name]()


def _cpu_jiffies() -> tuple[int, int] | None:
    """Busy and total CPU time of the whole machine so far (Linux ``/proc/stat``), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _other_load(before: tuple[int, int] | None, after: tuple[int, int] | None, ours: float) -> float | None:
    """Share of the machine's CPU time used by other processes while a row ran (0 = a quiet machine)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    busy = (after[0] - before[0]) / hz - ours
    return round(max(0.0, busy / ((after[1] - before[1]) / hz)), 3)


class _Workers:
    """``n`` spawned worker processes sharing one barrier, kept for every row of one core count."""

    def __init__(self, n: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(n)
        self.outbox: Queue[Any] = context.Queue()
        self.inboxes: list[Queue[Any]] = [context.Queue() for _ in range(n)]
        self.mark: tuple[int, int] | None = None
        self.processes = [
            context.Process(target=_worker, args=(inbox, self.outbox, self.barrier), daemon=True)
            for inbox in self.inboxes
        ]

    def __enter__(self) -> _Workers:
        self.mark = _cpu_jiffies()
        for process in self.processes:
            process.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()

    def measure(self, name: str, seconds: float, params: LogParams | None = None) -> dict[str, Any]:
        before = self.mark
        for inbox in self.inboxes:
            inbox.put((name, seconds, params or LogParams(seconds=seconds)))
        replies: list[_Reply] = [self.outbox.get(timeout=_SETUP_TIMEOUT + seconds + 60) for _ in self.inboxes]
        after = self.mark = _cpu_jiffies()
        errors = [reply.error for reply in replies if reply.error is not None]
        if errors:
            raise DojangError(f"bench row {name} failed: {errors[0]}")
        count = sum(reply.count for reply in replies)
        wall = max(reply.end for reply in replies) - min(reply.start for reply in replies)
        row: dict[str, Any] = {"name": name, "cores": len(self.processes), "ops_per_s": count / wall}
        row.update(ops=count, seconds=round(wall, 3))
        if all(reply.base is not None and reply.own > 0 for reply in replies):
            # Alternating slices: each worker's rates over its own slices, summed over the workers.
            row["ops_per_s"] = sum(reply.count / reply.own for reply in replies)
            row["base_per_s"] = sum(r.base[0] / r.base[1] for r in replies if r.base is not None)
            row["seconds"] = round(max(reply.own for reply in replies), 3)
        if replies[0].disclosures is not None:
            row["disclosures"] = replies[0].disclosures
        row.update(replies[0].extra or {})
        other = _other_load(before, after, sum(reply.cpu for reply in replies))
        if other is not None:
            row["other_load"] = other
        return row


def _quiet(_message: str) -> None:
    return None


def _with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``ratio`` (to the raw ES256 row of the same core count), ``vs_ref`` and ``scaling``."""
    rate = {(row["name"], row["cores"]): row["ops_per_s"] for row in rows}
    for row in rows:
        name, cores = row["name"], row["cores"]
        if row.get("computed"):
            continue
        base = row.get("base_per_s") or rate.get((BASELINES.get(name, ""), cores))
        if base:
            row["ratio"] = round(row["ops_per_s"] / base, 4)
        ref = rate.get((REFERENCE_OF.get(name, ""), cores))
        if ref:
            row["vs_ref"] = round(row["ops_per_s"] / ref, 3)
        single = rate.get((name, 1))
        if single and cores > 1:
            row["scaling"] = round(row["ops_per_s"] / single, 3)
    return rows


def run_bench(
    seconds: float,
    cores: list[int],
    *,
    only: Sequence[str] = (),
    proof_log: int = DEFAULT_PROOF_LOG,
    audit_entries: int = DEFAULT_AUDIT_ENTRIES,
    progress: Callable[[str], None] = _quiet,
) -> list[dict[str, Any]]:
    """Measure every row (or the ``only`` ones) at every core count; log rows on one core only.

    Each row is ``{"name", "cores", "ops_per_s", ...}`` plus ``ratio`` to the raw ES256 rate of the
    same core count, ``vs_ref`` (dojang ÷ reference), ``scaling`` (÷ the 1-core rate), ``disclosures``;
    the log rows add their own keys (see docs/benchmarks.md). The reference rows run only where
    ``sd_jwt`` is installed.
    """
    if not seconds > 0:
        raise InputError(f"seconds per measurement must be positive, not {seconds}")
    if not cores or any(n < 1 for n in cores):
        raise InputError(f"core counts must be at least 1, not {cores}")
    unknown = sorted(set(only) - set(ALL_ROWS))
    if unknown:
        raise InputError(f"no bench row named {', '.join(unknown)} (known: {', '.join(ALL_ROWS)})")
    if proof_log < 1 or audit_entries < 1:
        raise InputError("the proof log and the audited log need at least 1 entry")
    chosen = [name for name in ALL_ROWS if not only or name in only]
    if "anchor_tx_per_million_issuances" in chosen and "sdjwt_issue" not in chosen:
        chosen.insert(0, "sdjwt_issue")  # the anchoring row is computed from the issuance rate
    # The flow rows start a server each (and one needs PostgreSQL): measured when asked for by name.
    names = [
        name
        for name in chosen
        if (reference_available() or not name.startswith("ref_")) and (only or name not in FLOW_ROWS)
    ]
    params = LogParams(proof_log=proof_log, audit_entries=audit_entries, seconds=seconds)
    rows: list[dict[str, Any]] = []
    logs = [name for name in names if name in LOG_ROWS]
    for n in dict.fromkeys([*cores, *([1] if logs else [])]):
        measured = [name for name in names if (name in _SETUPS and n in cores) or (n == 1 and name in logs)]
        if not measured:
            continue
        progress(f"starting {n} worker process(es)")
        with _Workers(n) as workers:
            for name in measured:
                progress(f"measuring {name} on {n} core(s) for {seconds:g} s")
                rows.append(workers.measure(name, seconds, params))
    if "log_audit" in names:
        progress(f"measuring log_audit: building a log of {audit_entries:,} entries, then replaying it")
        rows.append(audit_row(audit_entries))
    if "anchor_tx_per_million_issuances" in names:
        rows += [anchor_row(row) for row in list(rows) if row["name"] == "sdjwt_issue"]
    if "bulk_issue" in names:
        # One job through the agency's bulk path, persisted and logged; sized to about ``seconds``.
        progress("measuring bulk_issue: one bulk job through the agency's worker")
        rows.append(bulk_row(max(200, min(10_000, int(seconds * 2_500)))))
    rows += _flow_rows(names, cores, seconds, progress)
    return _with_ratios(rows)


def _flow_rows(
    names: Sequence[str], cores: list[int], seconds: float, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    if not any(name in FLOW_ROWS for name in names):
        return []
    from dojang.cli._bench_oid4vci import flow_rows  # noqa: PLC0415 - see FLOW_ROWS

    return flow_rows(names, cores, seconds, progress)


def machine() -> dict[str, Any]:
    """What the figures depend on: the machine, the interpreter, the library versions, the date."""

    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cryptography": version("cryptography"),
        "sd-jwt": version("sd-jwt"),
        "jwcrypto": version("jwcrypto"),
        # Other work on the machine lowers every rate; the load at the end of the run shows how much.
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _cell(value: Any, spec: str) -> str:
    return "" if value is None else format(value, spec)


def table(rows: Iterable[dict[str, Any]]) -> list[str]:
    """The human table: rate, ratio to raw ES256, ratio to the reference, scaling, disclosures; then notes."""
    rows = list(rows)
    lines = [
        f"{'row':<32}{'cores':>6}{'ops/s':>12}{'× raw':>9}{'× ref':>8}{'scaling':>9}{'disclosures':>13}"
        f"{'other load':>12}",
    ]
    lines.extend(
        f"{row['name']:<32}{row['cores']:>6}{_rate(row):>12}"
        f"{_cell(row.get('ratio'), '.3f'):>9}{_cell(row.get('vs_ref'), '.2f'):>8}"
        f"{_cell(row.get('scaling'), '.2f'):>9}{_cell(row.get('disclosures'), 'd'):>13}"
        f"{_cell(row.get('other_load'), '.0%'):>12}"
        for row in rows
    )
    lines += [
        "",
        "× raw: ÷ es256_sign_raw (issue rows) or es256_verify_raw (verify rows) on the same cores",
        "× ref: dojang ÷ the reference sd-jwt package on the same credential and cores",
        "scaling: ÷ the same row on 1 core",
        "other load: share of the machine's CPU used by other processes during the row (lowers the rates)",
    ]
    lines += [note for row in rows if (note := _log_note(row) or _flow_note(row))]
    return lines


def _rate(row: dict[str, Any]) -> str:
    return "" if row.get("computed") else format(row["ops_per_s"], ",.0f")


def _log_note(row: dict[str, Any]) -> str:
    name = row["name"]
    if name == "log_integrate":
        return (
            f"log_integrate: leaves/s from pending to integrated, batches of {row['batch']:,}, SQLite;"
            f" appending them as pending ran at {row['append_per_s']:,}/s"
        )
    if name == "log_inclusion_proof":
        return f"log_inclusion_proof: proofs/s from SQLite tiles, random leaves of {row['log_size']:,}"
    if name == "log_audit":
        return (
            f"log_audit: {row['ops']:,} entries replayed in {row['seconds']:.1f} s,"
            f" peak RSS {row['peak_rss_mb']:.0f} MB ({row['start_rss_mb']:.0f} MB before replaying)"
        )
    if name == "bulk_issue":
        return (
            f"bulk_issue: {row['ops']:,} credentials in one bulk job in {row['seconds']:.1f} s, one worker"
            f" thread, status indexes and log entries committed per chunk of {row['chunk']}"
        )
    if name == "anchor_tx_per_million_issuances":
        return (
            f"anchor_tx_per_million_issuances: {row['tx_per_million']:.0f} transactions"
            f" on {row['cores']} core(s) (one per {row['interval_s']:g} s checkpoint interval"
            f" at {row['issue_rate']:,.0f} issuances/s)"
        )
    return ""


def _flow_note(row: dict[str, Any]) -> str:
    if row["name"] not in FLOW_ROWS:
        return ""
    from dojang.cli._bench_oid4vci import flow_note  # noqa: PLC0415 - see FLOW_ROWS

    return flow_note(row)


def _default_cores() -> list[int]:
    return list(dict.fromkeys([1, os.cpu_count() or 1]))


@click.command("bench")
@click.option("--json", "as_json", is_flag=True, help="Print {'results': [...]} as JSON on stdout.")
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Timed seconds per measurement (set-up not included).",
)
@click.option(
    "--cores",
    type=click.IntRange(min=1),
    multiple=True,
    help="Worker processes per measurement; repeat for several (default: 1 and every core).",
)
@click.option(
    "--only",
    type=click.Choice(ALL_ROWS),
    multiple=True,
    help="Measure only this row; repeat for several (default: every row).",
)
@click.option(
    "--audit-entries",
    type=click.IntRange(min=1),
    default=DEFAULT_AUDIT_ENTRIES,
    show_default=True,
    help="Entries in the log that log_audit builds (not timed) and then replays (timed).",
)
def bench(
    as_json: bool, seconds: float, cores: Sequence[int], only: Sequence[str], audit_entries: int
) -> None:
    """Measure issuance, verification and log rates beside raw ES256 sign and verify, same machine and run."""
    chosen = list(cores) or _default_cores()
    rows = run_bench(
        seconds,
        chosen,
        only=only,
        audit_entries=audit_entries,
        progress=lambda message: click.echo(message, err=True),
    )
    info = machine()
    if as_json:
        click.echo(json.dumps({"results": rows, "machine": info}, indent=2))
        return
    click.echo(
        f"dojang bench, {info['date']}: {info['cpu_count']} cores ({info['cpu']}), Python {info['python']},"
        f" cryptography {info['cryptography']}, sd-jwt {info['sd-jwt'] or 'not installed'},"
        f" load average {info['loadavg']}"
    )
    for line in table(rows):
        click.echo(line)
