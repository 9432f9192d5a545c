"""dojang's HTTP edge: one app factory (``create_app``) serving the log as C2SP tlog-tiles, with OpenAPI.

``app_from_env`` is the same app for uvicorn's factory mode (``dojang.api:app_from_env``), opening the
store named by ``$DOJANG_DATA_DIR`` / ``$DOJANG_LOG_DB`` in each worker process.
"""

from dojang.api._app import LOG_DB_ENV, LOG_ORIGIN_ENV, app_from_env, create_app, log_location
from dojang.api._issuers import IssuerDirectory
from dojang.api._log import CHECKPOINT_CACHE, IMMUTABLE_CACHE, PARTIAL_CACHE, LogReader
from dojang.api._oid4vci import Oid4vciService, oid4vci_router
from dojang.api._platform import PlatformApis, platform_apis
from dojang.api._problems import PROBLEM_TYPE, Problem
from dojang.api._status import StatusService, status_service

__all__ = [
    "CHECKPOINT_CACHE",
    "IMMUTABLE_CACHE",
    "LOG_DB_ENV",
    "LOG_ORIGIN_ENV",
    "PARTIAL_CACHE",
    "PROBLEM_TYPE",
    "IssuerDirectory",
    "LogReader",
    "Oid4vciService",
    "PlatformApis",
    "Problem",
    "StatusService",
    "app_from_env",
    "create_app",
    "log_location",
    "oid4vci_router",
    "platform_apis",
    "status_service",
]
