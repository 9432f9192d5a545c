"""Token Status Lists over HTTP (draft-ietf-oauth-status-list-18 §8): ``GET /statuslists/{id}[?time=T]``.

Each list is signed on request by its agency (its document-signer certificate in ``x5c`` when the
operator certified its key: ``status_signer_lookup``): ``iat`` now, ``exp`` a day later and
``ttl`` (also the ``Cache-Control`` max-age), so a revocation reaches every verifier within one
``ttl``. With ``?time=T`` the answer is the list as it stood at T, from the snapshots recorded at
every change (§8.4): ``iat`` is that snapshot's time and ``exp`` the end of its window, so the token
covers T; before the list's first snapshot there is no answer (404). The handlers block on the
store, so they are plain ``def`` functions run in FastAPI's thread pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.status_sources import MEDIA_TYPE, status_signer_lookup
from dojang.adapters.storage import SqlStatusStore, store_for
from dojang.api._problems import Problem
from dojang.core.crypto import SigningKey
from dojang.roles.issuer import DEFAULT_TTL, StatusLists, StatusSigner

__all__ = ["StatusService", "status_router", "status_service"]

_TAGS: list[str | Enum] = ["status lists (IETF Token Status List)"]
_ListId = Annotated[
    str,
    PathParam(
        description="The list's id, the last path segment of the ``uri`` in a credential's ``status`` claim",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$",
        examples=["demo-1"],
    ),
]
_Time = Annotated[
    int | None,
    Query(
        ge=0, le=2**53, description="Unix seconds: the list as it stood then (historical resolution, §8.4)"
    ),
]


@dataclass
class StatusService:
    """What the status routes need: the lists, each agency's signer, the ``ttl`` and a clock."""

    lists: StatusLists
    key_for: Callable[[str], SigningKey | StatusSigner]
    ttl: int = DEFAULT_TTL
    clock: Callable[[], float] = field(default=time.time)

    def current(self, list_id: str) -> str:
        stored = self.lists.store.load_list(list_id)
        return self.lists.token(list_id, self.key_for(stored.issuer), now=int(self.clock()), ttl=self.ttl)

    def at(self, list_id: str, when: int) -> str:
        stored = self.lists.store.load_list(list_id)
        key, now = self.key_for(stored.issuer), int(self.clock())
        return self.lists.token_at(list_id, when, key, now=now, ttl=self.ttl)

    def close(self) -> None:
        self.lists.store.close()


def status_service(settings: Settings, keys: KeyStore, *, ttl: int = DEFAULT_TTL) -> StatusService:
    """The status service of a data directory: lists in its log database, keys from its key store."""
    import secrets  # noqa: PLC0415 - only where lists are served

    store = SqlStatusStore(store_for(settings.log_db))
    lists = StatusLists(store, settings.public_url, secrets.token_bytes)
    return StatusService(lists, status_signer_lookup(keys, settings.data_dir), ttl)


def _responses() -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Not a list id, or a bad time (problem+json)",
        404: "No such list, or none recorded at that time (problem+json)",
        503: "The store cannot be reached now; retry (problem+json)",
    }
    return {
        200: {
            "description": "A Status List Token (JWT, typ statuslist+jwt) signed by the agency",
            "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **{status: {"model": Problem, "description": text} for status, text in described.items()},
    }


def status_router(service: StatusService) -> APIRouter:
    """``GET /statuslists/{list_id}`` over ``service``."""
    router = APIRouter()

    @router.get(
        "/statuslists/{list_id}",
        operation_id="get_status_list",
        tags=_TAGS,
        summary="A Token Status List",
        description="The agency's status list as a ``statuslist+jwt`` (2 bits per credential: 0 valid, "
        "1 revoked, 2 suspended; draft-ietf-oauth-status-list-18), with ``ttl`` = the Cache-Control "
        "max-age and ``exp`` a day after ``iat``. With ``?time=T``: the list as it stood at T, "
        "``iat`` the time of the snapshot in force then and ``exp`` the end of its window.",
        response_class=Response,
        responses=_responses(),
    )
    def status_list(list_id: _ListId, time: _Time = None) -> Response:
        token = service.current(list_id) if time is None else service.at(list_id, time)
        headers = {"Cache-Control": f"public, max-age={service.ttl}"}
        return Response(token, media_type=MEDIA_TYPE, headers=headers)

    return router
