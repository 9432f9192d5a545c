"""RFC 9457 problem details: every error the API returns, as ``application/problem+json``.

One mapping for all of them: a :class:`~dojang.errors.DojangError` answers with its own
``http_status``; a route that does not exist, a method not allowed or a malformed request get the
same body shape; anything unexpected is a 500 whose body says nothing about the internals.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from dojang.errors import DojangError, VerificationError

__all__ = ["PROBLEM_TYPE", "Problem", "install_problem_handlers", "problem_openapi", "problem_response"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Problem types are URNs named after the error class (RFC 9457 §3.1.1 allows non-dereferenceable URIs).
PROBLEM_TYPE = "urn:dojang:problem:"


class Problem(BaseModel):
    """An RFC 9457 problem details object, with dojang's ``hint`` and ``check`` extension members."""

    type: str = Field(description="URI naming the kind of problem, e.g. urn:dojang:problem:not-found")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request")
    hint: str | None = Field(default=None, description="What the client can do about it")
    check: str | None = Field(default=None, description="The verification check that failed, if any")


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name.removesuffix("Error") or name).lower()


def problem_response(
    status: int, detail: str, *, kind: str | None = None, hint: str = "", check: str | None = None
) -> JSONResponse:
    """A problem+json response; ``kind`` names the type (default: the status phrase)."""
    phrase = HTTPStatus(status).phrase
    problem = Problem(
        type=PROBLEM_TYPE + (kind or _kebab(phrase.replace(" ", ""))),
        title=phrase,
        status=status,
        detail=detail,
        hint=hint or None,
        check=check,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA_TYPE
    )


async def _dojang_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DojangError)
    check = exc.check if isinstance(exc, VerificationError) else None
    return problem_response(
        exc.http_status, exc.message, kind=_kebab(type(exc).__name__), hint=exc.hint, check=check
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem_response(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return problem_response(400, f"bad request: {where}: {first.get('msg', 'invalid')}", kind="input")


async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
    # The traceback goes to the server log (uvicorn re-raises after this answer); never to the client.
    return problem_response(500, "internal server error", kind="internal")


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem+json (RFC 9457)."""
    app.add_exception_handler(DojangError, _dojang_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_openapi(app: FastAPI) -> None:
    """Make the OpenAPI schema say what the handlers do: every error response is problem+json.

    FastAPI documents an error ``model`` as ``application/json`` and adds a 422 validation response
    to every route with parameters; here validation errors are 400 problems, so both are rewritten.
    """

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    _problem_responses(operation.get("responses", {}))
            for name in ("HTTPValidationError", "ValidationError"):
                document.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


def _problem_responses(responses: dict[str, Any]) -> None:
    responses.pop("422", None)
    for status, response in responses.items():
        if int(status) >= 400:
            ref = {"$ref": "#/components/schemas/Problem"}
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
