"""The one app factory of dojang's HTTP edge, and the factory uvicorn calls in each worker process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from fastapi import FastAPI

import dojang
from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings, default_data_dir
from dojang.adapters.storage import open_store
from dojang.api._issuers import IssuerDirectory, issuers_router
from dojang.api._limits import BodyLimit
from dojang.api._log import LogReader, log_router
from dojang.api._oid4vci import Oid4vciService, oid4vci_router
from dojang.api._platform import PlatformApis, platform_apis
from dojang.api._problems import install_problem_handlers, problem_openapi
from dojang.api._status import StatusService, status_router, status_service

__all__ = ["LOG_DB_ENV", "LOG_ORIGIN_ENV", "app_from_env", "create_app", "log_location"]

#: A ``postgresql://`` URL (or a SQLite path) for the log store; default ``DATA/log.db``.
LOG_DB_ENV = "DOJANG_LOG_DB"
#: The log's origin; when set, the server refuses to serve a checkpoint of another log.
LOG_ORIGIN_ENV = "DOJANG_LOG_ORIGIN"

_DESCRIPTION = """\
dojang's public HTTP services. The transparency log is served as C2SP tlog-tiles: static-style
resources (the signed checkpoint, hash tiles and entry bundles) that any HTTP cache or CDN can
serve; clients compute inclusion and consistency proofs themselves from the tiles. Errors are
RFC 9457 problem details (`application/problem+json`). Each agency's Token Status Lists are served
at `/statuslists/{id}` (`application/statuslist+jwt`, with `?time=` for the list at a past time).
"""


def create_app(
    store: LogReader,
    *,
    origin: str | None,
    on_shutdown: Callable[[], None] | None = None,
    status: StatusService | None = None,
    issuers: IssuerDirectory | None = None,
    oid4vci: Oid4vciService | None = None,
    platform: PlatformApis | None = None,
) -> FastAPI:
    """The HTTP app serving ``store``'s log.

    ``origin`` pins the log this server is for (None: whatever the stored checkpoints say);
    ``on_shutdown`` runs when the server stops (e.g. the store's ``close`` when the app owns it);
    ``status`` adds the agencies' Token Status Lists (``/statuslists/{id}``); ``oid4vci`` the
    OpenID4VCI 1.0 issuer (metadata, offers, token, nonce, credential), closed at shutdown;
    ``platform`` the authenticated agency and operator APIs and their bulk worker thread.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if platform is not None:
            platform.start()
        try:
            yield
        finally:
            if platform is not None:
                platform.stop()
            if on_shutdown is not None:
                on_shutdown()
            if oid4vci is not None:
                oid4vci.close()

    app = FastAPI(
        title="dojang",
        version=dojang.__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a static-style server: a path names one resource or none
    )
    install_problem_handlers(app)
    app.add_middleware(BodyLimit)
    problem_openapi(app)
    app.include_router(log_router(store, origin))
    if status is not None:
        app.include_router(status_router(status))
    if issuers is not None:
        app.include_router(issuers_router(issuers))
    if oid4vci is not None:
        app.include_router(oid4vci_router(oid4vci))
    if platform is not None:
        platform.install(app)
    return app


def log_location(environ: Mapping[str, str], data_dir: Path) -> str | Path:
    """Where the log store is: ``$DOJANG_LOG_DB`` (e.g. ``postgresql://…``), else ``DATA/log.db``."""
    return environ.get(LOG_DB_ENV) or data_dir / "log.db"


def app_from_env(*, oid4vci: Oid4vciService | None = None) -> FastAPI:
    """The app for ``$DOJANG_DATA_DIR`` (and ``$DOJANG_LOG_DB``): uvicorn's factory in each worker.

    ``oid4vci`` comes from the composition root (``dojang serve`` passes it through its own factory).
    """
    environ = os.environ
    store = open_store(log_location(environ, default_data_dir(environ)))
    settings = Settings.from_env(environ)
    keys = KeyStore(settings.keys_dir, lambda: settings.passphrase(lambda _notice: None))
    status = status_service(settings, keys)

    def close() -> None:
        status.close()
        store.close()

    return create_app(
        store,
        origin=environ.get(LOG_ORIGIN_ENV) or None,
        on_shutdown=close,
        status=status,
        issuers=IssuerDirectory(settings.data_dir),
        oid4vci=oid4vci,
        platform=platform_apis(settings, keys),
    )
