"""Errors over HTTP: every DojangError and every bad request is an RFC 9457 problem+json answer."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from api_support import get, get_raw, new_log
from fastapi import FastAPI

import dojang.errors
from dojang.api import PROBLEM_TYPE, create_app
from dojang.core.log import TileKey, TreeHead
from dojang.errors import AnchorRejectedError, DojangError, FieldProblem, SchemaError, VerificationError

ERRORS = sorted(
    (c for _, c in inspect.getmembers(dojang.errors, inspect.isclass) if issubclass(c, DojangError)),
    key=lambda c: c.__name__,
)


def _error(kind: type[DojangError]) -> DojangError:
    if issubclass(kind, SchemaError):
        return kind("claims do not fit", [FieldProblem("name", "missing")])
    if issubclass(kind, AnchorRejectedError):
        return kind("tree size must grow")  # its hint is its own
    return kind("the store said no", hint="try again")


class _FailingStore:
    """A store whose every read fails with one error: how a broken or unreachable backend answers."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def head(self) -> TreeHead:
        raise self.error

    def tiles(self, keys: Iterable[TileKey]) -> Mapping[TileKey, bytes]:
        raise self.error

    def entries(self, start: int, stop: int) -> list[bytes]:
        raise self.error

    def checkpoint(self, size: int | None = None) -> bytes | None:
        raise self.error


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert str(body["type"]).startswith(PROBLEM_TYPE)
    return body


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    log = new_log(tmp_path_factory.mktemp("problems") / "log.db")
    log.append(300)
    return create_app(log.store, origin=None)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tile/0/x000/001", 400),  # not canonical: zero-padded upper element
        ("/tile/0/1", 400),  # index elements have three digits
        ("/tile/64/000", 400),  # level above 63
        ("/tile/00/000", 400),
        ("/tile/0/000.p/0", 400),
        ("/tile/0/000.p/256", 400),
        ("/tile/0/000.p/", 400),
        ("/tile/entries/000.p/256", 400),
        ("/tile/entries/abc", 400),
        ("/tile/", 400),
        ("/tile/0/999", 404),
        ("/tile/3/000.p/1", 404),
        ("/tile/entries/x001/000", 404),
        ("/nope", 404),
        ("/tile", 404),
    ],
)
def test_bad_paths_are_problems(app: FastAPI, path: str, status: int) -> None:
    _assert_problem(get(app, path), status)


def test_a_malformed_path_names_the_problem(app: FastAPI) -> None:
    body = _assert_problem(get(app, "/tile/0/x000/001"), 400)
    assert body["type"] == PROBLEM_TYPE + "malformed"
    assert body["title"] == "Bad Request"
    assert "canonical" in str(body["detail"])


@pytest.mark.parametrize("kind", ERRORS, ids=lambda c: c.__name__)
def test_every_dojang_error_maps_to_its_status(kind: type[DojangError]) -> None:
    error = _error(kind)
    body = _assert_problem(get(create_app(_FailingStore(error), origin=None), "/healthz"), kind.http_status)
    assert body["detail"] == error.message
    assert body.get("hint") == (error.hint or None)
    assert ("check" in body) == isinstance(error, VerificationError)


def test_unavailable_store_is_503_on_every_route() -> None:
    app = create_app(_FailingStore(dojang.errors.UnavailableError("database is down")), origin=None)
    for path in ("/checkpoint", "/tile/0/000", "/tile/entries/000", "/healthz"):
        _assert_problem(get(app, path), 503)


def test_an_unexpected_error_says_nothing_about_the_internals() -> None:
    app = create_app(_FailingStore(RuntimeError("secret connection string")), origin=None)
    body = _assert_problem(get_raw(app, "/checkpoint"), 500)
    assert "secret" not in str(body)


def test_method_not_allowed_is_a_problem(tmp_path: Path) -> None:
    import asyncio

    import httpx

    app = create_app(new_log(tmp_path / "log.db").store, origin=None)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dojang.test") as client:
            return await client.post("/checkpoint")

    response = asyncio.run(post())
    _assert_problem(response, 405)
    assert response.headers["allow"] == "GET"
