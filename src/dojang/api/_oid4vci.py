"""OpenID4VCI 1.0 over HTTP: issuer and authorization-server metadata, offers, token, nonce, credential.

The endpoints answer the spec's way, not with problem+json: a refusal is ``{"error",
"error_description"}`` with the spec's status (400; 401 with ``WWW-Authenticate: Bearer`` for the
access token) and ``Cache-Control: no-store``, like every token, nonce and credential answer. The
protocol itself is :class:`~dojang.roles.issuer.Oid4vciIssuer`; the handlers only move bytes, and
run its blocking store calls in the thread pool.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from dojang.core.encoding import loads_strict
from dojang.errors import InputError
from dojang.roles.issuer import InvalidTokenError, OAuthError, Oid4vciIssuer

__all__ = ["Oid4vciService", "oid4vci_router"]

_TAGS: list[str | Enum] = ["OpenID4VCI 1.0 (credential issuance to wallets)"]
_NO_STORE = {"Cache-Control": "no-store"}
_MAX_BODY = 256 * 1024
_OfferId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The offer's id")]


@dataclass
class Oid4vciService:
    """The issuer protocol, a clock, and what to close when the server stops."""

    issuer: Oid4vciIssuer
    clock: Callable[[], float] = field(default=time.time)
    close: Callable[[], None] = field(default=lambda: None)

    def now(self) -> int:
        return int(self.clock())


def _error(exc: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if isinstance(exc, InvalidTokenError):
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{exc.body()["error_description"]}"'
        )
    return JSONResponse(exc.body(), status_code=exc.http_status, headers=headers)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _body(request: Request, error: str) -> bytes:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise OAuthError(error, f"the request body is over {_MAX_BODY} bytes")
    return raw


def _json(raw: bytes, error: str) -> Any:
    try:
        return loads_strict(raw, what="request body")
    except InputError as exc:
        raise OAuthError(error, exc.message) from None


def oid4vci_router(service: Oid4vciService) -> APIRouter:
    """The OpenID4VCI endpoints of ``service``'s issuer."""
    router = APIRouter(tags=_TAGS)
    issuer = service.issuer

    @functools.cache
    def _metadata_body() -> bytes:
        # Fixed for the life of the service, and the largest answer of a flow: encoded once.
        return json.dumps(issuer.metadata(), ensure_ascii=False, separators=(",", ":")).encode()

    @router.get(
        "/.well-known/openid-credential-issuer",
        summary="Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)",
        description="One `dc+sd-jwt` credential configuration per catalogue kind, with ko/en display.",
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    async def credential_issuer_metadata() -> Response:
        return Response(_metadata_body(), media_type="application/json")

    @router.get(
        "/.well-known/oauth-authorization-server",
        summary="Authorization Server Metadata (RFC 8414), pre-authorized code grant only",
    )
    async def authorization_server_metadata() -> dict[str, Any]:
        return issuer.authorization_server_metadata()

    @router.get(
        "/credential-offer/{offer_id}",
        summary="A Credential Offer by reference (credential_offer_uri)",
        responses={404: {"description": "No open offer with this id (problem+json)"}},
    )
    def credential_offer(offer_id: _OfferId) -> JSONResponse:
        document = issuer.offer_document(offer_id, service.now())
        return JSONResponse(document, headers=_NO_STORE)

    @router.post(
        "/token",
        summary="Token Endpoint: pre-authorized code (+ tx_code) for an access token",
        description="Form-encoded `grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code`, "
        "`pre-authorized_code` and `tx_code`. Errors (400): `invalid_request`, `invalid_grant` "
        "(unknown, used or expired code; wrong PIN — the offer is void after too many), "
        "`unsupported_grant_type`.",
    )
    async def token(request: Request) -> JSONResponse:
        try:
            raw = await _body(request, "invalid_request")
            try:
                form = parse_qs(raw.decode("utf-8"), keep_blank_values=False, strict_parsing=bool(raw))
            except (UnicodeDecodeError, ValueError):
                raise OAuthError(
                    "invalid_request", "the body must be application/x-www-form-urlencoded"
                ) from None
            answer = await run_in_threadpool(issuer.token, form, service.now())
        except OAuthError as exc:
            return _error(exc)
        return JSONResponse(answer, headers=_NO_STORE)

    @router.post("/nonce", summary="Nonce Endpoint: a fresh single-use c_nonce")
    async def nonce() -> JSONResponse:
        value = await run_in_threadpool(issuer.nonce, service.now())
        return JSONResponse({"c_nonce": value}, headers=_NO_STORE)

    @router.post(
        "/credential",
        summary="Credential Endpoint: one credential per proof key, or a deferred transaction",
        description='Bearer access token; JSON `{"credential_configuration_id", "proofs": {"jwt": '
        "[…]}}`, each proof an `openid4vci-proof+jwt` with a `jwk` header, `aud` the issuer, a fresh "
        '`iat` and a `nonce` from the nonce endpoint. 200 `{"credentials": [{"credential"}]}`, '
        '202 `{"transaction_id", "interval"}`; errors 400 `invalid_credential_request`, '
        "`unknown_credential_configuration`, `unknown_credential_identifier`, `invalid_proof`, "
        "`invalid_nonce`, `credential_request_denied`; 401 `invalid_token`.",
    )
    async def credential(request: Request) -> JSONResponse:
        return await _bearer_request(request, issuer.credential)

    @router.post(
        "/deferred-credential",
        summary="Deferred Credential Endpoint: the credentials once the back office approved",
        description='Bearer access token; JSON `{"transaction_id"}`. 200 with `credentials`, 202 with '
        "`transaction_id` and `interval` while pending; 400 `invalid_transaction_id`.",
    )
    async def deferred_credential(request: Request) -> JSONResponse:
        return await _bearer_request(request, issuer.deferred)

    async def _bearer_request(request: Request, handle: Callable[..., tuple[int, Any]]) -> JSONResponse:
        """A Bearer-authorised JSON request to the credential or deferred endpoint, answered no-store."""
        try:
            raw = await _body(request, "invalid_credential_request")
            bearer = _bearer(request)
            body = _json(raw, "invalid_credential_request") if bearer else None
            status, answer = await run_in_threadpool(handle, bearer, body, service.now())
        except OAuthError as exc:
            return _error(exc)
        return JSONResponse(answer, status_code=status, headers=_NO_STORE)

    return router
