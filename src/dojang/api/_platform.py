"""The authenticated APIs of one data directory — agency and operator — and the bulk worker they share.

``platform_apis(settings, keys)`` composes them (tokens from ``DATA/api-tokens.json``, stores in the
log's database); ``create_app(..., platform=…)`` mounts the routes and runs the worker thread for
as long as the app serves.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field

from fastapi import FastAPI

from dojang.adapters.api_tokens import TokenFile
from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.storage import SqlJobStore, SqlStatusStore, store_for
from dojang.api._agency import agency_router
from dojang.api._agency_service import AgencyService, JobRunner, PendingLog
from dojang.api._auth import Authenticator
from dojang.api._operator_api import OperatorService, operator_router
from dojang.roles.issuer import StatusLists

__all__ = ["PlatformApis", "platform_apis"]


def _report(message: str) -> None:
    print(f"dojang serve: {message}", file=sys.stderr)


@dataclass
class PlatformApis:
    """The agency and operator services behind one authenticator; ``run_worker`` starts bulk jobs."""

    agency: AgencyService
    operator: OperatorService
    auth: Authenticator
    run_worker: bool = True
    runner: JobRunner | None = field(default=None, init=False)

    def install(self, app: FastAPI) -> None:
        if self.run_worker:
            self.runner = JobRunner(self.agency, report=_report)
        app.include_router(agency_router(self.agency, self.auth, self.runner))
        app.include_router(operator_router(self.operator, self.auth))

    def start(self) -> None:
        if self.runner is not None and not self.runner.is_alive():
            self.runner.start()

    def stop(self) -> None:
        if self.runner is not None and self.runner.is_alive():
            self.runner.stop()
        self.agency.jobs.close()
        self.agency.lists.store.close()


def platform_apis(settings: Settings, keys: KeyStore, *, run_worker: bool = True) -> PlatformApis:
    """The APIs of a data directory, each store on its own connection to the log's database."""
    catalogue = load_catalogue(settings.catalogue_dirs)
    log = PendingLog(store_for(settings.log_db))
    lists = StatusLists(SqlStatusStore(store_for(settings.log_db)), settings.public_url, secrets.token_bytes)
    jobs = SqlJobStore(store_for(settings.log_db))
    agency = AgencyService(settings.data_dir, keys, catalogue, lists, log, jobs)
    operator = OperatorService(settings.data_dir, keys, catalogue, log)
    return PlatformApis(agency, operator, Authenticator(TokenFile(settings.data_dir)), run_worker)
