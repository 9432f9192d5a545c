"""``GET /statuslists/{id}``: signed tokens with caching headers, ``?time=`` from snapshots, problems."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import get, new_log

from dojang.adapters.status_sources import MEDIA_TYPE, HttpStatusSource
from dojang.adapters.storage import SqlStatusStore, open_status_store
from dojang.api import StatusService, create_app
from dojang.core.crypto import SigningKey, generate_key
from dojang.core.log import CredentialStatus
from dojang.core.status import CredentialRecord, StatusReason, verify_status_list_token
from dojang.errors import NotFoundError, TooLargeError, UnavailableError
from dojang.roles.issuer import DEFAULT_TTL, TOKEN_LIFETIME, StatusLists

ISS = "https://issuer.example/agencies/seoul"
URI = "http://dojang.test/statuslists/seoul-1"
T0 = 1_780_000_000


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStatusStore]:
    opened = open_status_store(tmp_path / "log.db")
    yield opened
    opened.close()


@pytest.fixture
def key() -> SigningKey:
    return generate_key("ES256", os.urandom)


@pytest.fixture
def app(tmp_path: Path, store: SqlStatusStore, key: SigningKey) -> object:
    """A list with one credential at index 5, revoked at T0 + 100; the server's clock at T0 + 200."""
    lists = StatusLists(store, "http://dojang.test", os.urandom)
    stored = lists.current(ISS, T0)
    record = CredentialRecord(b"\1" * 32, stored.id, 5, ISS)
    store.save_list(stored.id, version=stored.version, credential=record)
    lists.change(
        record.digest,
        CredentialStatus.REVOKED,
        StatusReason.COURT_ORDER,
        issuer=ISS,
        now=T0 + 100,
    )
    service = StatusService(lists, key_for=lambda iss: key, clock=lambda: T0 + 200)
    return create_app(new_log(tmp_path / "log.db").store, origin=None, status=service)


def test_the_list_is_served_signed_with_caching_headers(app: object, key: SigningKey) -> None:
    response = get(app, "/statuslists/seoul-1")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["cache-control"] == f"public, max-age={DEFAULT_TTL}"
    verified = verify_status_list_token(response.text, key=key.public, uri=URI, now=T0 + 200)
    assert (verified.iat, verified.exp, verified.ttl) == (T0 + 200, T0 + 200 + TOKEN_LIFETIME, DEFAULT_TTL)
    assert verified.status_list.get(5) == CredentialStatus.REVOKED
    assert verified.status_list.size == 131_072


def test_time_answers_from_the_snapshot_in_force_then(app: object, key: SigningKey) -> None:
    before = get(app, f"/statuslists/seoul-1?time={T0 + 50}")
    assert before.status_code == 200
    old = verify_status_list_token(before.text, key=key.public, uri=URI, now=T0 + 200, at=T0 + 50)
    assert (old.iat, old.exp) == (T0, T0 + 100)  # the window of the first snapshot
    assert old.status_list.get(5) == CredentialStatus.VALID
    after = get(app, f"/statuslists/seoul-1?time={T0 + 150}")
    new = verify_status_list_token(after.text, key=key.public, uri=URI, now=T0 + 200, at=T0 + 150)
    assert new.status_list.get(5) == CredentialStatus.REVOKED


def test_before_the_first_snapshot_is_a_404_problem(app: object) -> None:
    response = get(app, f"/statuslists/seoul-1?time={T0 - 1}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:dojang:problem:not-found"


@pytest.mark.parametrize(
    ("url", "status"),
    [("/statuslists/nope-1", 404), ("/statuslists/-bad", 400), ("/statuslists/seoul-1?time=soon", 400)],
)
def test_unknown_lists_and_bad_requests_are_problems(app: object, url: str, status: int) -> None:
    response = get(app, url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


# -- the verifier's HTTP source -------------------------------------------------------------------


def _source(handler: object) -> HttpStatusSource:
    return HttpStatusSource(client=httpx.Client(transport=httpx.MockTransport(handler)))  # type: ignore[arg-type]


def test_the_http_source_asks_for_the_token_and_the_time() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="a.b.c\n")

    assert _source(handler).fetch(URI, at=T0) == "a.b.c"
    assert str(seen[0].url) == f"{URI}?time={T0}"
    assert seen[0].headers["accept"] == MEDIA_TYPE


def test_the_http_source_reports_failures_as_errors() -> None:
    with pytest.raises(NotFoundError):
        _source(lambda request: httpx.Response(404)).fetch(URI)
    with pytest.raises(UnavailableError):
        _source(lambda request: httpx.Response(500)).fetch(URI)
    with pytest.raises(TooLargeError):
        _source(lambda request: httpx.Response(200, content=b"x" * (5 * 1024 * 1024))).fetch(URI)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(UnavailableError):
        _source(down).fetch(URI)
    with pytest.raises(NotFoundError):
        _source(down).fetch("ftp://x.example/statuslists/a-1")
