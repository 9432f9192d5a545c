"""``/.well-known/jwt-vc-issuer``: each agency's keys with their x5c, from the operator registry."""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path

from api_support import get, get_raw, new_log

from dojang.adapters.trust_list_files import write_registry
from dojang.api import IssuerDirectory, create_app
from dojang.core.crypto import create_root_ca, generate_key, parse_x5c
from dojang.roles.operator import Operator, OperatorRegistry

NOW = datetime.datetime.now(datetime.UTC)


def _data_dir(tmp_path: Path) -> Path:
    key = generate_key("ES256", secrets.token_bytes)
    root = create_root_ca(
        key,
        name="op",
        not_before=NOW - datetime.timedelta(days=1),
        not_after=NOW + datetime.timedelta(days=3650),
        rng=secrets.token_bytes,
    )
    operator = Operator(key, root, OperatorRegistry())
    for issuer_id in ("https://jongno.example", "https://court.example/registry"):
        operator.register_agency(issuer_id, "기관")
        operator.certify(
            issuer_id,
            generate_key("ES256", secrets.token_bytes).public,
            not_before=int(NOW.timestamp()) - 60,
            not_after=int(NOW.timestamp()) + 86_400,
            rng=secrets.token_bytes,
            now=int(NOW.timestamp()),
        )
    write_registry(tmp_path, operator.registry)
    return tmp_path


def test_metadata_by_path_and_by_host(tmp_path: Path) -> None:
    app = create_app(
        new_log(tmp_path / "log.db").store, origin=None, issuers=IssuerDirectory(_data_dir(tmp_path))
    )
    by_path = get(app, "/.well-known/jwt-vc-issuer/registry").json()
    assert by_path["issuer"] == "https://court.example/registry"
    (jwk,) = by_path["jwks"]["keys"]
    leaf = parse_x5c(jwk["x5c"])[0]
    assert leaf.issuer_id == by_path["issuer"]
    assert leaf.public_key.jwk["x"] == jwk["x"]
    by_host = get(app, "/.well-known/jwt-vc-issuer", Host="jongno.example").json()
    assert by_host["issuer"] == "https://jongno.example"


def test_unknown_issuer_is_a_problem(tmp_path: Path) -> None:
    app = create_app(
        new_log(tmp_path / "log.db").store, origin=None, issuers=IssuerDirectory(_data_dir(tmp_path))
    )
    response = get_raw(app, "/.well-known/jwt-vc-issuer/nobody")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_routes_are_documented(tmp_path: Path) -> None:
    app = create_app(new_log(tmp_path / "log.db").store, origin=None, issuers=IssuerDirectory(tmp_path))
    paths = get(app, "/openapi.json").json()["paths"]
    for path in ("/.well-known/jwt-vc-issuer", "/.well-known/jwt-vc-issuer/{path}"):
        assert paths[path]["get"]["description"], path
