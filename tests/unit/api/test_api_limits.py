"""Request bodies over the limit are refused with 413 problem+json before a route parses them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from dojang.api._limits import BodyLimit
from dojang.api._problems import install_problem_handlers

LIMIT = 100


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


def _post(content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)  # as create_app does
    app.add_middleware(BodyLimit, limit=LIMIT)
    app.add_api_route("/", _echo, methods=["POST"])

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.post("/", content=content)

    return asyncio.run(go())


def test_a_body_within_the_limit_passes() -> None:
    assert _post(b"x" * LIMIT).text == str(LIMIT)


def test_a_declared_length_over_the_limit_is_refused_at_once() -> None:
    response = _post(b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_streamed_body_is_cut_off_when_it_passes_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 40

    response = _post(chunks())
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "limited to 100 bytes" in response.json()["detail"]
