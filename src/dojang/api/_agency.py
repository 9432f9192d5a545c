"""The agency API (``/agency/…``): issue, bulk jobs, revoke / suspend / reinstate, list what it issued.

Every route needs the agency's bearer token and acts as that agency only: its issuer id signs, only
the kinds it is accredited for are issued, and only its own credentials and jobs can be seen or
changed (403 otherwise, with nothing changed). Bulk requests carry an ``Idempotency-Key``: the same
key and body give the same job (never issued twice), the same key with another body is 409.
"""

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dojang.api._agency_service import AgencyService, JobRunner
from dojang.api._auth import AUTH_RESPONSES, Authenticator
from dojang.api._problems import Problem
from dojang.core.log import CredentialStatus
from dojang.core.status import StatusReason
from dojang.roles.issuer import MAX_BULK_ITEMS, Job, JobItem

__all__ = ["agency_router"]

_TAGS: list[str | Enum] = ["agency"]
_ERRORS = {
    400: "Malformed request: bad JSON, a missing field, a bad holder JWK (problem+json)",
    404: "No such kind, citizen, credential or job (problem+json)",
}
_Digest = Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$", description="The credential's digest (hex)")]
_JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$", description="The job's id")]


class IssueRequest(BaseModel):
    """One credential to issue: a kind and either a citizen of the registry or the claims themselves."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="Document kind: id or vct", examples=["resident-register-abstract"])
    citizen: str | None = Field(default=None, description="Citizen id in the registry", examples=["C0001"])
    property_id: str | None = Field(default=None, description="Property id, for a register extract")
    claims: dict[str, Any] | None = Field(default=None, description="The registry data, instead of a citizen")
    holder_jwk: dict[str, Any] = Field(description="The holder's public JWK (cnf.jwk)")

    @model_validator(mode="after")
    def _one_source(self) -> "IssueRequest":
        if (self.citizen is None) == (self.claims is None):
            raise ValueError("give either citizen or claims")
        return self


class IssuedResponse(BaseModel):
    sd_jwt: str = Field(description="The SD-JWT VC, with every disclosure")
    digest: str = Field(description="Its digest (hex), as the log and the status routes name it")
    kind: str
    vct: str
    iat: int
    exp: int
    status_list: str = Field(description="The status list holding its entry")
    status_idx: int


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[IssueRequest] = Field(description=f"The credentials to issue (at most {MAX_BULK_ITEMS})")


class ItemError(BaseModel):
    item: int
    error: str


class JobView(BaseModel):
    id: str
    state: Literal["queued", "running", "finished"]
    total: int
    done: int
    failed: int
    created: int
    updated: int
    errors: list[ItemError] = Field(description="The first failed items, with why")


class ResultItem(BaseModel):
    item: int
    state: Literal["pending", "signed", "issued", "failed"]
    digest: str | None = None
    sd_jwt: str | None = None
    error: str | None = None


class ResultsPage(BaseModel):
    items: list[ResultItem]
    next_cursor: int | None = Field(description="Pass as ?cursor= for the next page; null at the end")


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["revoked", "suspended", "valid"] = Field(description="The status to set")
    reason: str = Field(description="Reason code", examples=["superseded"])


class StatusChangeView(BaseModel):
    digest: str
    list: str
    idx: int
    before: str
    after: str
    reason: str
    time: int
    log_seq: int
    repeated: bool = Field(
        default=False, description="The same change had been made already: answered, not logged again"
    )


class IssuedView(BaseModel):
    digest: str
    kind: str
    vct: str
    iat: int
    exp: int
    job_id: str | None


class IssuedPage(BaseModel):
    items: list[IssuedView]
    next_cursor: int | None


_AFTER = {
    "revoked": CredentialStatus.REVOKED,
    "suspended": CredentialStatus.SUSPENDED,
    "valid": CredentialStatus.VALID,
}


def _responses(*extra: int) -> dict[int | str, dict[str, Any]]:
    more = {
        403: "Not this agency's, or a kind it is not accredited for (problem+json)",
        409: "Idempotency-Key reused with another body (problem+json)",
        413: f"More than {MAX_BULK_ITEMS} items (problem+json)",
    }
    described = {**_ERRORS, **{s: more[s] for s in extra if s in more}}
    return {
        **{s: {"model": Problem, **r} for s, r in AUTH_RESPONSES.items()},
        **{s: {"model": Problem, "description": d} for s, d in described.items()},
    }


def _job_view(service: AgencyService, job: Job) -> JobView:
    failed = service.jobs.items(job.id, limit=100, state="failed")
    errors = [ItemError(item=i.n, error=i.error or "") for i in failed]
    return JobView(
        id=job.id, state=job.state, total=job.total, done=job.done, failed=job.failed,  # type: ignore[arg-type]
        created=job.created, updated=job.updated, errors=errors,
    )  # fmt: skip


def _result(item: JobItem) -> ResultItem:
    issued = item.state == "issued"
    return ResultItem(
        item=item.n, state=item.state,  # type: ignore[arg-type]
        digest=item.digest.hex() if issued and item.digest else None,
        sd_jwt=item.sd_jwt if issued else None, error=item.error,
    )  # fmt: skip


def agency_router(service: AgencyService, auth: Authenticator, runner: JobRunner | None = None) -> APIRouter:
    """``/agency/…`` over ``service``; ``runner`` is woken when a job is submitted."""
    router = APIRouter(prefix="/agency", tags=_TAGS)
    Agency = Annotated[str, Depends(auth.agency())]  # noqa: N806 - a type alias, named like one

    @router.post(
        "/credentials", status_code=201, operation_id="agency_issue",
        summary="Issue one credential to a citizen", responses=_responses(403),
    )  # fmt: skip
    def issue(body: IssueRequest, agency: Agency) -> IssuedResponse:
        """Sign a credential of KIND for the citizen, bound to ``holder_jwk``, with a status entry, and
        record its issuance in the transparency log before answering."""
        credential, record = service.issue(agency, body.model_dump(exclude_none=True))
        return IssuedResponse(
            sd_jwt=credential.sd_jwt, digest=record.digest.hex(), kind=credential.kind.id,
            vct=credential.kind.vct, iat=credential.iat, exp=credential.exp,
            status_list=record.list_id, status_idx=record.idx,
        )  # fmt: skip

    @router.get(
        "/credentials", operation_id="agency_list_credentials",
        summary="The credentials this agency issued", responses=_responses(),
    )  # fmt: skip
    def list_issued(
        agency: Agency,
        kind: Annotated[str | None, Query(description="Only this kind (id or vct)")] = None,
        cursor: Annotated[int, Query(ge=0, description="From next_cursor of the previous page")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> IssuedPage:
        """Digest, kind and dates of each credential this agency issued (no claim values), oldest first."""
        records = service.issued(agency, kind=kind, after=cursor, limit=limit)
        items = [
            IssuedView(digest=r.digest.hex(), kind=r.kind, vct=r.vct, iat=r.iat, exp=r.exp, job_id=r.job_id)
            for r in records
        ]
        return IssuedPage(items=items, next_cursor=records[-1].seq if len(records) == limit else None)

    @router.post(
        "/credentials/{digest}/status", operation_id="agency_change_status",
        summary="Revoke, suspend or reinstate one of this agency's credentials",
        responses=_responses(403),
    )  # fmt: skip
    def change_status(digest: _Digest, body: StatusRequest, agency: Agency) -> StatusChangeView:
        """Set the credential's status with a reason: the log entry and the status list change in one
        transaction. Asking again for the change just made answers it (``repeated``), logged once.
        Revocation is final; another agency's credential is refused (403) and left as it was."""
        reason = StatusReason.parse(body.reason)
        change = service.change_status(agency, bytes.fromhex(digest), _AFTER[body.status], reason)
        return StatusChangeView(
            digest=digest, list=change.record.list_id, idx=change.record.idx,
            before=change.before.name.lower(), after=change.after.name.lower(), reason=change.reason.slug,
            time=change.time, log_seq=change.log_seq, repeated=change.repeated,
        )  # fmt: skip

    @router.post(
        "/bulk", status_code=202, operation_id="agency_bulk",
        summary="Issue many credentials as one job", responses=_responses(403, 409, 413),
    )  # fmt: skip
    def bulk(
        body: BulkRequest,
        agency: Agency,
        response: Response,
        idempotency_key: Annotated[
            str, Header(min_length=1, max_length=200, description="The client's key for this request")
        ],
    ) -> JobView:
        """Store the items as a job (202) that a background worker issues; follow it at
        ``/agency/jobs/{id}``. The same key and body again answer the same job (200)."""
        requests = [item.model_dump(exclude_none=True) for item in body.items]
        job, created = service.submit(agency, idempotency_key, requests)
        if created and runner is not None:
            runner.wake()
        if not created:
            response.status_code = 200
        response.headers["Location"] = f"/agency/jobs/{job.id}"
        return _job_view(service, job)

    @router.get(
        "/jobs", operation_id="agency_list_jobs", summary="This agency's bulk jobs", responses=_responses()
    )
    def jobs(agency: Agency) -> list[JobView]:
        """The agency's latest jobs, newest first."""
        return [_job_view(service, job) for job in service.jobs.jobs(agency)]

    @router.get(
        "/jobs/{job_id}",
        operation_id="agency_job",
        summary="A bulk job's progress",
        responses=_responses(403),
    )
    def job(job_id: _JobId, agency: Agency) -> JobView:
        """Done, failed and total items, and the errors of the failed ones."""
        return _job_view(service, service.job(agency, job_id))

    @router.get(
        "/jobs/{job_id}/results", operation_id="agency_job_results",
        summary="A bulk job's credentials", responses=_responses(403),
    )  # fmt: skip
    def results(
        job_id: _JobId,
        agency: Agency,
        cursor: Annotated[int, Query(ge=0, description="From next_cursor of the previous page")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> ResultsPage:
        """Each item in order: its credential once issued, its error if it failed."""
        service.job(agency, job_id)
        items = service.jobs.items(job_id, after=cursor - 1, limit=limit)
        nxt = items[-1].n + 1 if len(items) == limit else None
        return ResultsPage(items=[_result(i) for i in items], next_cursor=nxt)

    return router
