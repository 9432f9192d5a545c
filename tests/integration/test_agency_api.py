"""The agency and operator APIs in-process: who may call what, bulk jobs, idempotency, restarts."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dojang.adapters.api_tokens import Principal, TokenFile
from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.storage import open_store
from dojang.api import create_app
from dojang.api._platform import PlatformApis, platform_apis
from dojang.core.crypto import generate_key, parse_jws
from dojang.core.log import (
    AccreditationAction,
    AccreditationEntry,
    CredentialStatus,
    IssuanceEntry,
    encode_entry,
    parse_entry,
)
from dojang.core.sdjwt import parse
from dojang.errors import UnavailableError
from dojang.roles.issuer import BulkWorker
from dojang.roles.operator import INSTITUTION

A, B = "https://jongno.example", "https://court.example/registry"
ABSTRACT, FAMILY = "resident-register-abstract", "family-relation-certificate"
Invoke = Callable[..., Any]
HOLDER = dict(generate_key("ES256", os.urandom).public.jwk)


class Client:
    """Requests through the ASGI app in-process (httpx's ASGI transport: no network, no server)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://dojang.test") as client:
                return await client.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str) -> httpx.Response:
        return self.request("GET", url)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)


@dataclass
class World:
    data: Path
    platform: PlatformApis
    client: Client
    tokens: dict[str, str]

    def call(self, who: str, method: str, url: str, body: Any = None, **headers: str) -> Any:
        if who in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(method, url, json=body, headers=headers)

    def worker(self, name: str = "w", chunk: int = 500) -> BulkWorker:
        return self.platform.agency.worker(name, chunk=chunk)


def _item(citizen: str = "C0001", kind: str = ABSTRACT) -> dict[str, Any]:
    return {"kind": kind, "citizen": citizen, "holder_jwk": HOLDER}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from click.testing import CliRunner

    from dojang.cli import cli

    data = tmp_path_factory.mktemp("agency") / "data"
    d = ["--data-dir", str(data)]
    runner = CliRunner()
    for args in (
        ["operator", "init"],
        ["operator", "agency", "add", "--id", A, "--name", "종로구청"],
        ["operator", "agency", "add", "--id", B, "--name", "등기소"],
        ["operator", "accredit", A, "--kind", ABSTRACT, "--from", "2020-01-01"],
        ["operator", "accredit", A, "--kind", FAMILY, "--from", "2020-01-01"],
        ["operator", "accredit", B, "--kind", ABSTRACT, "--from", "2020-01-01"],
    ):
        result = runner.invoke(cli, [*args, *d], env={"DOJANG_DATA_DIR": ""}, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    settings = Settings.from_env({}, data_dir=data)
    keys = KeyStore(settings.keys_dir, lambda: settings.passphrase(lambda _n: None))
    tokens = TokenFile(data)
    names = {"a": Principal("agency", A), "b": Principal("agency", B), "op": Principal("operator")}
    issued = {who: tokens.create(p, now=0) for who, p in names.items()}
    issued["bogus"] = "dojang_not-a-token"
    platform = platform_apis(settings, keys, run_worker=False)
    store = open_store(settings.log_db)
    app = create_app(store, origin=None, platform=platform)
    yield World(data, platform, Client(app), issued)
    platform.stop()
    store.close()


def _issue(world: World, who: str = "a", kind: str = ABSTRACT) -> dict[str, Any]:
    response = world.call(who, "POST", "/agency/credentials", _item(kind=kind))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


_keys = (f"key-{n}" for n in itertools.count())
_ids = (f"https://new{n}.example" for n in itertools.count())


def _matrix(world: World) -> list[tuple[str, str, Callable[[], Any], dict[str, int]]]:
    """(method, url, body maker, expected status per caller); A owns the credential and the job."""
    digest = _issue(world)["digest"]
    made = world.call("a", "POST", "/agency/bulk", {"items": [_item()]}, **{"Idempotency-Key": "m"})
    job = made.json()["id"]
    anyone = {"none": 401, "bogus": 401}
    agency_only = {**anyone, "a": 200, "b": 200, "op": 403}
    a_only = {**anyone, "a": 200, "b": 403, "op": 403}
    op_only = {**anyone, "a": 403, "b": 403, "op": 200}
    created_op = {**op_only, "op": 201}
    return [
        ("POST", "/agency/credentials", _item, {**agency_only, "a": 201, "b": 201}),
        ("POST", "/agency/credentials", lambda: _item(kind=FAMILY), {**a_only, "a": 201}),
        ("GET", "/agency/credentials", lambda: None, agency_only),
        ("GET", f"/agency/credentials?kind={ABSTRACT}", lambda: None, agency_only),
        (
            "POST",
            f"/agency/credentials/{digest}/status",
            lambda: {"status": "suspended", "reason": "under-investigation"},
            a_only,
        ),
        ("POST", "/agency/bulk", lambda: {"items": [_item()]}, {**agency_only, "a": 202, "b": 202}),
        ("POST", "/agency/bulk", lambda: {"items": [_item(kind=FAMILY)]}, {**a_only, "a": 202}),
        ("GET", "/agency/jobs", lambda: None, agency_only),
        ("GET", f"/agency/jobs/{job}", lambda: None, a_only),
        ("GET", f"/agency/jobs/{job}/results", lambda: None, a_only),
        ("GET", "/operator/agencies", lambda: None, op_only),
        ("POST", "/operator/agencies", lambda: {"issuer_id": next(_ids), "name": "새 기관"}, created_op),
        ("POST", "/operator/accreditations", lambda: {"agency": B, "kind": FAMILY}, created_op),
        ("POST", "/operator/accreditations/withdrawals", lambda: {"agency": B, "kind": FAMILY}, op_only),
        ("GET", "/operator/institutions", lambda: None, op_only),
        (
            "POST",
            "/operator/institutions",
            lambda: {"id": next(_keys), "name": "은행", "contact": "kyc@bank.example"},
            created_op,
        ),
        ("DELETE", "/operator/institutions/nobody", lambda: None, {**op_only, "op": 404}),
        ("GET", "/operator/trust-list", lambda: None, op_only),
    ]


def test_who_may_call_what(world: World) -> None:
    """Every route × unauthenticated, unknown token, agency A, agency B, operator (A acting last)."""
    seen = 0
    for method, url, body, expected in _matrix(world):
        for who in ("none", "bogus", "b", "op", "a"):
            headers = {"Idempotency-Key": next(_keys)} if url == "/agency/bulk" else {}
            response = world.call(who, method, url, body(), **headers)
            assert response.status_code == expected[who], (who, method, url, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json", (who, url)
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "Bearer"
            seen += 1
    assert seen == 90


def test_agency_b_cannot_revoke_agency_a_credential(world: World) -> None:
    digest = _issue(world)["digest"]
    before = world.platform.agency.lists.status_of(bytes.fromhex(digest))[1]
    pending = _pending_count(world)
    body = {"status": "revoked", "reason": "issued-in-error"}
    response = world.call("b", "POST", f"/agency/credentials/{digest}/status", body)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:dojang:problem:forbidden"
    assert world.platform.agency.lists.status_of(bytes.fromhex(digest))[1] is before is CredentialStatus.VALID
    assert _pending_count(world) == pending
    response = world.call("a", "POST", f"/agency/credentials/{digest}/status", body)
    assert response.status_code == 200
    assert response.json()["after"] == "revoked"
    assert not response.json()["repeated"]
    again = world.call("a", "POST", f"/agency/credentials/{digest}/status", body)  # a retried request
    assert again.status_code == 200
    assert again.json()["repeated"]
    assert again.json()["log_seq"] == response.json()["log_seq"]
    assert _pending_count(world) == pending + 1  # logged once
    other_reason = {"status": "revoked", "reason": "lost-or-stolen"}
    assert world.call("a", "POST", f"/agency/credentials/{digest}/status", other_reason).status_code == 400


def _pending_count(world: World) -> int:
    store = open_store(world.data / "log.db")
    try:
        return len(store.pending(1_000_000))
    finally:
        store.close()


def _accreditation_entries(world: World) -> list[AccreditationEntry]:
    store = open_store(world.data / "log.db")
    try:
        entries = [parse_entry(p.entry) for p in store.pending(1_000_000)]
    finally:
        store.close()
    return [e for e in entries if isinstance(e, AccreditationEntry)]


def test_institutions_are_logged_by_id_only(world: World) -> None:
    body = {"id": "hana-bank", "name": "하나은행 본점", "contact": "김민지 010-1234-5678"}
    assert world.call("op", "POST", "/operator/institutions", body).status_code == 201
    assert world.call("op", "POST", "/operator/institutions", body).status_code == 400  # once only
    assert world.call("op", "DELETE", "/operator/institutions/hana-bank").status_code == 204
    assert world.call("op", "DELETE", "/operator/institutions/hana-bank").status_code == 404
    listed = world.call("op", "GET", "/operator/institutions").json()
    assert "hana-bank" not in {i["id"] for i in listed}
    mine = [e for e in _accreditation_entries(world) if e.issuer_id == "hana-bank"]
    assert [e.action for e in mine] == [
        AccreditationAction.REGISTER_INSTITUTION,
        AccreditationAction.REMOVE_INSTITUTION,
    ]
    assert all(e.subject == INSTITUTION for e in mine)
    logged = b"".join(encode_entry(e) for e in mine)
    for personal in (body["name"], body["contact"], "010", "김민지"):
        assert personal.encode() not in logged


def _issuance_digests(world: World) -> list[bytes]:
    store = open_store(world.data / "log.db")
    try:
        entries = [parse_entry(p.entry) for p in store.pending(1_000_000)]
    finally:
        store.close()
    return [e.credential_digest for e in entries if isinstance(e, IssuanceEntry)]


def test_issue_one_is_bound_logged_and_listed(world: World) -> None:
    body = _issue(world)
    payload = parse_jws(parse(body["sd_jwt"]).jwt, what="jwt").payload
    assert payload["cnf"]["jwk"]["x"] == HOLDER["x"]
    assert payload["iss"] == A
    assert "status" in payload
    assert bytes.fromhex(body["digest"]) in _issuance_digests(world)
    listed = world.call("a", "GET", f"/agency/credentials?kind={ABSTRACT}&limit=1000").json()["items"]
    assert body["digest"] in {i["digest"] for i in listed}
    others = world.call("b", "GET", "/agency/credentials?limit=1000").json()["items"]
    assert body["digest"] not in {i["digest"] for i in others}


def test_bulk_is_idempotent(world: World) -> None:
    body = {"items": [_item(f"C{n:04d}") for n in range(1, 6)]}
    first = world.call("a", "POST", "/agency/bulk", body, **{"Idempotency-Key": "idem-1"})
    assert first.status_code == 202
    job = first.json()["id"]
    assert world.worker().run_job(job) is not None
    again = world.call("a", "POST", "/agency/bulk", body, **{"Idempotency-Key": "idem-1"})
    assert again.status_code == 200
    assert again.json()["id"] == job
    assert again.json()["done"] == 5
    assert world.worker().run_job(job) is None  # finished: nothing to do, nothing issued again
    other = {"items": [_item("C0007")]}
    conflict = world.call("a", "POST", "/agency/bulk", other, **{"Idempotency-Key": "idem-1"})
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    # The same key belongs to each agency separately.
    assert world.call("b", "POST", "/agency/bulk", other, **{"Idempotency-Key": "idem-1"}).status_code == 202
    results = world.call("a", "GET", f"/agency/jobs/{job}/results").json()["items"]
    digests = [bytes.fromhex(r["digest"]) for r in results]
    assert len(set(digests)) == 5
    logged = _issuance_digests(world)
    assert all(logged.count(d) == 1 for d in digests)


def test_bulk_refusals_change_nothing(world: World) -> None:
    jobs = len(world.call("a", "GET", "/agency/jobs").json())
    too_many = {"items": [_item()] * 10_001}
    assert world.call("a", "POST", "/agency/bulk", too_many, **{"Idempotency-Key": "big"}).status_code == 413
    raw = world.client.post(
        "/agency/bulk",
        content=b'{"items": [',
        headers={"Authorization": f"Bearer {world.tokens['a']}", "Idempotency-Key": "bad"},
    )
    assert raw.status_code == 400
    assert raw.headers["content-type"] == "application/problem+json"
    no_key = world.call("a", "POST", "/agency/bulk", {"items": [_item()]})
    assert no_key.status_code == 400
    family = {"items": [_item(kind=FAMILY)]}
    not_accredited = world.call("b", "POST", "/agency/bulk", family, **{"Idempotency-Key": "f"})
    assert not_accredited.status_code == 403
    bad_jwk = {"items": [{**_item(), "holder_jwk": {"kty": "EC"}}]}
    assert world.call("a", "POST", "/agency/bulk", bad_jwk, **{"Idempotency-Key": "j"}).status_code == 400
    wrong_shape = {"items": [{"kind": ABSTRACT, "holder_jwk": HOLDER}]}
    assert world.call("a", "POST", "/agency/bulk", wrong_shape, **{"Idempotency-Key": "s"}).status_code == 400
    assert len(world.call("a", "GET", "/agency/jobs").json()) == jobs
    assert len(world.call("b", "GET", "/agency/jobs").json()) == len(world.platform.agency.jobs.jobs(B))


def test_bulk_reports_failed_items(world: World) -> None:
    body = {"items": [_item("C0001"), _item("NOBODY"), _item("C0002")]}
    job = world.call("a", "POST", "/agency/bulk", body, **{"Idempotency-Key": "fail-1"}).json()["id"]
    world.worker().run_job(job)
    view = world.call("a", "GET", f"/agency/jobs/{job}").json()
    assert (view["state"], view["done"], view["failed"], view["total"]) == ("finished", 2, 1, 3)
    assert view["errors"][0]["item"] == 1
    assert "NotFoundError" in view["errors"][0]["error"]


def test_a_restart_mid_job_resumes_without_duplicates(world: World) -> None:
    body = {"items": [_item(f"C{n:04d}") for n in range(1, 26)]}
    job = world.call("a", "POST", "/agency/bulk", body, **{"Idempotency-Key": "restart"}).json()["id"]
    first = world.worker("first", chunk=5).run_job(job, max_items=10)
    assert first is not None
    assert (first.done, first.state) == (10, "queued")
    second = world.worker("second", chunk=5).run_job(job)
    assert second is not None
    assert (second.done, second.failed, second.state) == (25, 0, "finished")
    results = world.call("a", "GET", f"/agency/jobs/{job}/results").json()["items"]
    digests = [bytes.fromhex(r["digest"]) for r in results]
    assert len(set(digests)) == 25
    logged = _issuance_digests(world)
    assert all(logged.count(d) == 1 for d in digests)
    listed = world.call("a", "GET", "/agency/credentials?limit=1000").json()["items"]
    assert sum(1 for i in listed if i["job_id"] == job) == 25


def test_a_crash_after_signing_logs_the_same_credentials_on_resume(world: World) -> None:
    body = {"items": [_item(f"C{n:04d}") for n in range(30, 36)]}
    job = world.call("a", "POST", "/agency/bulk", body, **{"Idempotency-Key": "crash"}).json()["id"]
    crashing = world.worker("crashing", chunk=3)

    class Down:
        def record(self, entries: object) -> list[int]:
            raise UnavailableError("log store down")

    crashing.log = Down()
    with pytest.raises(UnavailableError):
        crashing.run_job(job)
    signed = world.platform.agency.jobs.items(job, state="signed")
    assert len(signed) == 3
    done = world.worker("after", chunk=3).run_job(job)
    assert done is not None
    assert done.done == 6
    issued = {i.n: i.sd_jwt for i in world.platform.agency.jobs.items(job, state="issued")}
    assert all(issued[i.n] == i.sd_jwt for i in signed)  # the same credentials, never signed twice


def test_job_progress_and_the_openapi_schema(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    paths = {p for p in document["paths"] if p.startswith(("/agency", "/operator"))}
    assert len(paths) == 12
    for path in paths:
        for operation in document["paths"][path].values():
            assert operation["summary"], path
            assert operation["description"], path
            assert {"401", "403"} <= set(operation["responses"]), path
            assert operation["security"] == [{"HTTPBearer": []}], path
    assert "IssueRequest" in document["components"]["schemas"]
    assert json.dumps(document)
