"""A ceiling on request bodies, checked before any route parses one: too large is 413 problem+json."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_BYTES", "BodyLimit"]

#: Largest request body accepted: a bulk job of 10,000 items fits with room to spare.
MAX_BODY_BYTES = 32 * 1024 * 1024


class BodyLimit:
    """ASGI middleware: refuses a declared Content-Length over the limit at once, and stops reading a
    body (chunked or lying about its length) as soon as it passes the limit, by raising a 413
    HTTPException where the route reads it (the app's problem+json handler renders it)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"request bodies are limited to {self.limit} bytes")
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {
            "type": "urn:dojang:problem:too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"request bodies are limited to {self.limit} bytes",
        }
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
