"""``dojang status``: revoke, suspend, reinstate and show, seen by ``dojang verify`` on the same data."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import Invoke


def _issue(invoke: Invoke, tmp_path: Path) -> tuple[Path, list[str]]:
    data = ["--data-dir", str(tmp_path / "data")]
    out = tmp_path / "c.sd-jwt"
    result = invoke(
        "issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--out", str(out), *data
    )
    assert result.code == 0, result.stderr
    return out, data


def _verify(invoke: Invoke, token: Path, data: list[str], *extra: str) -> tuple[int, dict[str, object]]:
    result = invoke("verify", str(token), "--json", *data, *extra)
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    return result.code, checks


def test_suspend_reinstate_revoke_show_up_in_verify(tmp_path: Path, invoke: Invoke) -> None:
    token, data = _issue(invoke, tmp_path)
    code, checks = _verify(invoke, token, data)
    assert code == 0
    assert checks["status"]["ok"]
    issued = int(time.time())
    assert invoke("status", "suspend", str(token), "--reason", "under-investigation", *data).code == 0
    code, checks = _verify(invoke, token, data)
    assert code == 1
    assert "suspended" in str(checks["status"]["detail"])
    shown = json.loads(invoke("status", "show", str(token), "--json", *data).stdout)
    assert shown["status"] == "suspended"
    assert invoke("status", "reinstate", str(token), "--reason", "review-completed", *data).code == 0
    assert _verify(invoke, token, data)[0] == 0
    revoked = invoke("status", "revoke", str(token), "--reason", "lost-or-stolen", "--json", *data)
    assert revoked.code == 0, revoked.stderr
    assert json.loads(revoked.stdout)["after"] == "revoked"
    code, checks = _verify(invoke, token, data)
    assert code == 1
    assert "revoked" in str(checks["status"]["detail"])
    at_issue = invoke("status", "show", str(token), "--time", str(issued), "--json", *data)
    assert at_issue.code == 0  # history from the snapshots (changes within one second share one)
    assert invoke("status", "show", str(token), "--time", "0", *data).code == 2  # before the list existed
    audit = invoke("log", "checkpoint", *data)
    assert audit.code == 0, audit.stderr


def test_bad_input_exits_2_and_changes_nothing(tmp_path: Path, invoke: Invoke) -> None:
    token, data = _issue(invoke, tmp_path)
    assert invoke("status", "revoke", str(token), "--reason", "bored", *data).code == 2
    assert invoke("status", "revoke", "ab" * 32, "--reason", "unspecified", *data).code == 2
    assert invoke("status", "revoke", str(tmp_path / "missing"), "--reason", "unspecified", *data).code == 2
    other = invoke(
        "status", "revoke", str(token), "--reason", "unspecified", "--iss", "https://busan.example", *data
    )
    assert other.code == 2
    assert invoke("status", "reinstate", str(token), "--reason", "review-completed", *data).code == 2
    shown = json.loads(invoke("status", "show", str(token), "--json", *data).stdout)
    assert shown["status"] == "valid"
    assert _verify(invoke, token, data)[0] == 0
