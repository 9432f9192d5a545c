"""``dojang agency issue|bulk|jobs|work|list|revoke|suspend|reinstate`` and the API tokens' commands.

Each acts on a data directory through the same :class:`~dojang.api.AgencyService` as the HTTP agency
API, so a credential issued here takes the same path (accreditation, status index, log entry,
issued index). ``bulk`` stores the job under an idempotency key (by default the file's digest, so
running the same file again resumes the same job) and works it here with a progress bar.
``dojang operator token`` and ``dojang operator agency token AGENCY`` make the API's bearer tokens.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dojang.adapters.api_tokens import Principal, TokenFile
from dojang.adapters.storage import SqlJobStore, store_for
from dojang.api._agency_service import AgencyService
from dojang.cli._context import DashArguments, cli_of, opened_state, read_input, state_options
from dojang.cli._offer import agency
from dojang.cli._operator import agency as operator_agency
from dojang.cli._operator import open_operator, operator
from dojang.cli._status import status_line, status_lists
from dojang.core.encoding import loads_strict
from dojang.core.log import CredentialStatus
from dojang.core.status import StatusReason
from dojang.errors import InputError, NotFoundError, TooLargeError
from dojang.roles.issuer import MAX_BULK_ITEMS, Job

__all__ = ["agency_service"]

_HEX = re.compile(r"[0-9a-f]{64}")
_AS = click.option("--agency", "agency_id", required=True, help="Act as this agency (its issuer id).")


@contextmanager
def agency_service(data_dir: Path | None, passphrase_file: Path | None) -> Iterator[AgencyService]:
    """The data directory's agency workspace, closed afterwards."""
    with opened_state(data_dir, passphrase_file) as state:
        jobs = SqlJobStore(store_for(state.settings.log_db))
        try:
            yield AgencyService(
                state.settings.data_dir, state.keys, state.catalogue, status_lists(state), state.log[0], jobs
            )
        finally:
            jobs.close()


def _holder(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    document = loads_strict(read_input(str(path), what="holder JWK").encode(), what="holder JWK")
    return dict(document) if isinstance(document, dict) else None


@agency.command("issue")
@_AS
@click.option("--kind", "kind_id", required=True, help="Document kind: id or vct.")
@click.option("--citizen", required=True, help="Citizen id in the registry, e.g. C0001.")
@click.option("--property", "property_id", default=None, help="Property id, for a register extract.")
@click.option(
    "--holder-jwk", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Bind to this JWK."
)
@click.option("--json", "as_json", is_flag=True, help="Print the credential and its facts as JSON.")
@state_options
def issue(
    *, agency_id: str, kind_id: str, citizen: str, property_id: str | None, holder_jwk: Path | None,
    as_json: bool, data_dir: Path | None, passphrase_file: Path | None,
) -> None:  # fmt: skip
    """Issue one credential as AGENCY (logged, listed), printing the SD-JWT."""
    request = {
        "kind": kind_id,
        "citizen": citizen,
        "property_id": property_id,
        "holder_jwk": _holder(holder_jwk),
    }
    with agency_service(data_dir, passphrase_file) as service:
        credential, record = service.issue(agency_id, {k: v for k, v in request.items() if v is not None})
    if as_json:
        facts = {
            "sd_jwt": credential.sd_jwt,
            "digest": record.digest.hex(),
            "kind": credential.kind.id,
            "list": record.list_id,
            "idx": record.idx,
            "iat": credential.iat,
            "exp": credential.exp,
        }
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
    else:
        click.echo(credential.sd_jwt)


def _requests(text: str) -> list[dict[str, Any]]:
    """A JSON array of items, or JSON lines (one item per line)."""
    stripped = text.strip()
    if stripped.startswith("["):
        document = loads_strict(stripped.encode(), what="bulk file")
        items = document if isinstance(document, list) else []
    else:
        items = [
            loads_strict(line.encode(), what="bulk line") for line in stripped.splitlines() if line.strip()
        ]
    if not all(isinstance(item, dict) for item in items):
        raise InputError("every bulk item is a JSON object: {kind, citizen | claims, holder_jwk}")
    return [dict(item) for item in items]


def _read_bulk(name: str) -> str:
    """The bulk file ('-' for stdin), up to what MAX_BULK_ITEMS items take (larger is refused)."""
    limit = MAX_BULK_ITEMS * 4096
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(name).open("rb") as handle:
                raw = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"bulk file {name}: {exc.strerror}") from None
    if len(raw) > limit:
        raise TooLargeError(f"bulk file {name} is over {limit} bytes")
    return raw.decode("utf-8", "strict")


def _show(job: Job) -> str:
    return f"{job.id}  {job.state:8}  {job.done}/{job.total} done, {job.failed} failed"


@agency.command("bulk")
@_AS
@click.argument("file", metavar="FILE")
@click.option("--key", default=None, help="Idempotency key (default: the file's SHA-256).")
@click.option("--no-wait", is_flag=True, help="Only store the job (dojang serve or agency work runs it).")
@state_options
def bulk(
    *, agency_id: str, file: str, key: str | None, no_wait: bool, data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:  # fmt: skip
    """Issue every item of FILE (JSON array or lines) as one job, with a progress bar."""
    text = _read_bulk(file)
    requests = _requests(text)
    with agency_service(data_dir, passphrase_file) as service:
        job, created = service.submit(agency_id, key or hashlib.sha256(text.encode()).hexdigest(), requests)
        click.echo(("created job " if created else "resuming job ") + job.id, err=True)
        if not no_wait and not job.finished:
            with click.progressbar(length=job.total, label="issuing", file=sys.stderr) as bar:
                bar.update(job.done + job.failed)
                seen = [job.done + job.failed]

                def progress(now: Job) -> None:
                    bar.update(now.done + now.failed - seen[0])
                    seen[0] = now.done + now.failed

                service.worker().run_job(job.id, progress=progress)
        job = service.jobs.job(job.id)
    click.echo(_show(job))


@agency.command("jobs")
@_AS
@click.argument("job_id", required=False)
@click.option("--results", is_flag=True, help="Print the job's credentials as JSON lines.")
@state_options
def jobs(
    *, agency_id: str, job_id: str | None, results: bool, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """List AGENCY's bulk jobs, or show JOB_ID (its errors, or --results)."""
    with agency_service(data_dir, passphrase_file) as service:
        if job_id is None:
            for job in service.jobs.jobs(agency_id):
                click.echo(_show(job))
            return
        click.echo(_show(service.job(agency_id, job_id)))
        for item in service.jobs.items(job_id, limit=10_000_000, state=None if results else "failed"):
            if results:
                click.echo(
                    json.dumps(
                        {"item": item.n, "state": item.state, "sd_jwt": item.sd_jwt, "error": item.error}
                    )
                )
            else:
                click.echo(f"  item {item.n}: {item.error}")


@agency.command("work")
@click.option("--once", is_flag=True, help="Stop when no job is waiting (default: keep polling).")
@state_options
def work(*, once: bool, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Run the bulk worker on this data directory (what dojang serve runs in a thread)."""
    with agency_service(data_dir, passphrase_file) as service:
        worker = service.worker()
        while True:
            job = worker.run_job()
            if job is not None:
                click.echo(_show(job))
            elif once:
                return
            else:
                time.sleep(1.0)


@agency.command("list")
@_AS
@click.option("--kind", default=None, help="Only this kind.")
@state_options
def list_issued(
    *, agency_id: str, kind: str | None, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """List what AGENCY issued: digest, kind, issued and expiry times (no claim values)."""
    with agency_service(data_dir, passphrase_file) as service:
        after = 0
        while records := service.issued(agency_id, kind=kind, after=after, limit=1000):
            for r in records:
                click.echo(f"{r.digest.hex()}  {r.kind}  {r.iat}  {r.exp}  {r.job_id or '-'}")
            after = records[-1].seq


def _status_command(action: str, after: CredentialStatus) -> None:
    @agency.command(
        action, cls=DashArguments, help=f"{action.capitalize()} one of AGENCY's credentials (by its digest)."
    )
    @_AS
    @click.argument("digest")
    @click.option("--reason", required=True, type=click.Choice([r.slug for r in StatusReason]))
    @state_options
    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        *,
        agency_id: str,
        digest: str,
        reason: str,
        data_dir: Path | None,
        passphrase_file: Path | None,
    ) -> None:
        if not _HEX.fullmatch(digest):
            raise InputError("DIGEST is the credential's 64-hex digest (see dojang agency list)")
        with agency_service(data_dir, passphrase_file) as service:
            change = service.change_status(
                agency_id, bytes.fromhex(digest), after, StatusReason.parse(reason)
            )
        click.echo(status_line(change, action, cli_of(ctx).lang))


_status_command("revoke", CredentialStatus.REVOKED)
_status_command("suspend", CredentialStatus.SUSPENDED)
_status_command("reinstate", CredentialStatus.VALID)


@operator.command("token")
@state_options
def operator_token(*, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Make an API token for the operator (printed once; only its hash is kept)."""
    with opened_state(data_dir, passphrase_file) as state:
        open_operator(state)  # only where the operator lives
        token = TokenFile(state.settings.data_dir).create(Principal("operator"), now=int(time.time()))
    click.echo(token)


@operator_agency.command("token")
@click.argument("agency_id", metavar="AGENCY")
@state_options
def agency_token(*, agency_id: str, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Make an API token for AGENCY (printed once; only its hash is kept)."""
    with opened_state(data_dir, passphrase_file) as state:
        if not any(a.issuer_id == agency_id for a in open_operator(state).registry.agencies):
            raise NotFoundError(f"no registered agency {agency_id!r}")
        token = TokenFile(state.settings.data_dir).create(
            Principal("agency", agency_id), now=int(time.time())
        )
    click.echo(token)
