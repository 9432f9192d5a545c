"""``dojang status``: revoke, suspend, reinstate and show, seen by ``dojang verify`` on the same data."""

from __future__ import annotations

import json
import time
from pathlib import Path

from conftest import Invoke

from dojang.adapters.storage import open_store
from dojang.cli._context import open_state
from dojang.cli._status import publish_status_tokens
from dojang.core.crypto import parse_jws
from dojang.core.log import StatusEntry, parse_entry

AGENCY = "https://jongno.example"


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


def _status_entries(data: list[str]) -> int:
    with open_store(Path(data[1]) / "log.db") as store:
        return sum(isinstance(parse_entry(p.entry), StatusEntry) for p in store.pending(10_000))


def test_the_same_revocation_asked_again_is_logged_once(tmp_path: Path, invoke: Invoke) -> None:
    token, data = _issue(invoke, tmp_path)
    first = invoke("status", "revoke", str(token), "--reason", "lost-or-stolen", "--json", *data)
    again = invoke("status", "revoke", str(token), "--reason", "lost-or-stolen", "--json", *data)
    assert (first.code, again.code) == (0, 0), again.stderr
    assert (json.loads(first.stdout)["repeated"], json.loads(again.stdout)["repeated"]) == (False, True)
    assert json.loads(again.stdout)["log_seq"] == json.loads(first.stdout)["log_seq"]
    assert _status_entries(data) == 1
    said = invoke("--lang", "ko", "status", "revoke", str(token), "--reason", "lost-or-stolen", *data)
    assert "다시 기록하지 않음" in said.stdout
    assert invoke("status", "revoke", str(token), "--reason", "issued-in-error", *data).code == 2
    assert _status_entries(data) == 1


def test_an_accredited_agency_signs_its_lists_with_its_certificate(tmp_path: Path, invoke: Invoke) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert invoke("operator", "init", *data).code == 0
    assert invoke("operator", "agency", "add", "--id", AGENCY, "--name", "종로구청", *data).code == 0
    kind = "resident-register-copy"
    assert invoke("operator", "accredit", AGENCY, "--kind", kind, "--from", "2020-01-01", *data).code == 0
    token = tmp_path / "copy.sd-jwt"
    issued = invoke(
        "issue", "--kind", kind, "--citizen", "C0001", "--agency", AGENCY, "--out", str(token), *data
    )
    assert issued.code == 0, issued.stderr
    result = invoke("verify", str(token), "--json", *data)
    assert result.code == 0, result.stdout
    checks = json.loads(result.stdout)["checks"]
    names = [c["check"] for c in checks]
    # The documented order: issuer trust and accreditation, the kind, status, then any log lines.
    assert names.index("accreditation") < names.index("kind") < names.index("status")
    assert all(names.index("status") < i for i, n in enumerate(names) if n.startswith("log-"))
    assert "signed by CN=종로구청" in checks[names.index("status")]["detail"]
    published = tmp_path / "lists"
    assert invoke("status", "revoke", str(token), "--reason", "court-order", *data).code == 0
    state = open_state(Path(data[1]), None)
    try:
        (path,) = publish_status_tokens(state, published)
    finally:
        state.close()
    header = parse_jws(path.read_text().strip()).header
    assert "x5c" in header
    assert header["kid"]
