"""The API's public surface: the names ``dojang.api`` exports and the OpenAPI document it serves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from api_support import get, new_log

import dojang.api as api
from dojang.adapters.storage import SqlStatusStore, store_for
from dojang.core.crypto import generate_key
from dojang.roles.issuer import StatusLists

ROUTES = {"/checkpoint", "/tile/{path}", "/tile/entries/{path}", "/healthz", "/statuslists/{list_id}"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("openapi") / "log.db"
    lists = StatusLists(SqlStatusStore(store_for(path)), "http://dojang.test", os.urandom)
    status = api.StatusService(lists, key_for=lambda iss: generate_key("ES256", os.urandom))
    app = api.create_app(new_log(path).store, origin=None, status=status)
    response = get(app, "/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_public_surface_is_pinned() -> None:
    assert set(api.__all__) == {
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
    }


def test_every_route_is_listed(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == ROUTES
    assert document["info"]["title"] == "dojang"


def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path
        operation = item["get"]
        assert operation["summary"], path
        assert operation["description"], path
        assert operation["operationId"].startswith("get_"), path
        assert "200" in operation["responses"], path


def test_errors_are_documented_as_problem_json(document: dict[str, Any]) -> None:
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        responses = item["get"]["responses"]
        assert "422" not in responses, path
        errors = {status: r for status, r in responses.items() if int(status) >= 400}
        assert errors, path
        for response in errors.values():
            assert set(response["content"]) == {"application/problem+json"}, path


def test_tiles_are_documented_as_octets(document: dict[str, Any]) -> None:
    for path in ("/tile/{path}", "/tile/entries/{path}"):
        assert "application/octet-stream" in document["paths"][path]["get"]["responses"]["200"]["content"]


def test_log_location(tmp_path: Path) -> None:
    assert api.log_location({}, tmp_path) == tmp_path / "log.db"
    url = "postgresql://dojang@127.0.0.1/test"
    assert api.log_location({api.LOG_DB_ENV: url}, tmp_path) == url


def test_app_from_env_opens_the_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOJANG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(api.LOG_DB_ENV, raising=False)
    monkeypatch.delenv(api.LOG_ORIGIN_ENV, raising=False)
    app = api.app_from_env()
    assert get(app, "/healthz").json()["tree_size"] == 0
    assert (tmp_path / "data" / "log.db").exists()
