"""``DOJANG_ANCHOR_WINDOW`` end to end: the setting, the ``anchor_window`` in trust/log.json, ``log-time``."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.adapters.log_files import read_log_trust
from dojang.adapters.registry import SyntheticRegistry
from dojang.cli._context import open_state
from dojang.cli._issue import issue_credential, registry_claims
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW

Invoke = Callable[..., Any]
KIND = "family-relation-certificate"


def _issue(data: Path, when: datetime.datetime) -> str:
    """A credential signed by the data directory's own issuer key, claiming ``when`` as its iat."""
    state = open_state(data, None)
    try:
        claims = registry_claims(SyntheticRegistry(2026, 200), KIND, "C0005", when, None)
        return issue_credential(state, KIND, claims, now=when, holder_jwk=None).sd_jwt
    finally:
        state.close()


def _verify(data: Path, token: str, invoke: Invoke) -> dict[str, Any]:
    path = data.parent / "credential.sd-jwt"
    path.write_text(token)
    proof = path.with_name(path.name + ".tlog-proof")
    assert invoke("log", "prove", str(path), "--out", str(proof), "--data-dir", str(data)).code == 0
    verdict = json.loads(invoke("verify", str(path), "--data-dir", str(data), "--json").stdout)
    assert isinstance(verdict, dict)
    return {c["check"]: c for c in verdict["checks"]}


def test_the_published_window_is_the_setting_and_the_verifier_holds_to_it(
    tmp_path: Path, invoke: Invoke
) -> None:
    data = tmp_path / "data"
    # Twenty minutes between signing and anchoring: within the default hour, not within fifteen minutes.
    token = _issue(data, datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20))
    assert invoke("log", "checkpoint", "--data-dir", str(data)).code == 0
    log_json = data / "trust" / "log.json"
    assert json.loads(log_json.read_text())["anchor_window"] == DEFAULT_ANCHOR_WINDOW
    assert _verify(data, token, invoke)["log-time"]["ok"] is True

    assert invoke("log", "checkpoint", "--data-dir", str(data), DOJANG_ANCHOR_WINDOW="900").code == 0
    assert json.loads(log_json.read_text())["anchor_window"] == 900
    trust = read_log_trust(data / "trust")
    assert trust is not None
    assert trust.anchor_window == 900
    line = _verify(data, token, invoke)["log-time"]
    assert line["ok"] is False
    assert line["detail"].startswith("back-dated")
    assert "15 min allowed" in line["detail"]


def test_a_bad_window_is_a_usage_error_and_publishes_nothing(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    _issue(data, datetime.datetime.now(datetime.UTC))
    assert invoke("log", "checkpoint", "--data-dir", str(data)).code == 0
    log_json = data / "trust" / "log.json"
    before = log_json.read_bytes()
    for bad in ("an hour", "10"):  # not seconds; shorter than the 60 s checkpoint interval
        result = invoke("log", "checkpoint", "--data-dir", str(data), DOJANG_ANCHOR_WINDOW=bad)
        assert result.code == 2, result.stdout + result.stderr
        assert "DOJANG_ANCHOR_WINDOW" in result.stderr
    assert log_json.read_bytes() == before
