"""``dojang demo``: the artefacts of DESIGN.md §5, each checked again through ``dojang verify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.cli._demo_backdate import BACKDATE_DAYS
from dojang.core.crypto import parse_jws
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW

Invoke = Callable[..., Any]


def _meta(token: Path) -> dict[str, str]:
    meta = json.loads(token.with_suffix(".json").read_text())
    assert isinstance(meta, dict)
    return meta


def test_demo_leaves_the_promised_layout(demo_dir: Path) -> None:
    assert (demo_dir / "trust" / "issuers.json").is_file()
    assert (demo_dir / "data" / "keys" / "keys.json").is_file()
    credentials = {p.name for p in (demo_dir / "credentials").glob("*.sd-jwt")}
    assert {"resident-register-copy.sd-jwt", "family-relation-certificate.sd-jwt"} <= credentials
    presentations = sorted((demo_dir / "presentations").glob("*.sd-jwt"))
    assert len(presentations) >= 2
    for token in presentations:
        assert set(_meta(token)) == {"audience", "nonce"}
    rejected = sorted((demo_dir / "rejected").glob("*.sd-jwt"))
    expected = {_meta(token)["expected_failure"] for token in rejected}
    assert {"disclosures", "signature", "audience", "issuer-key", "validity-period", "log-time"} <= expected
    for token in rejected:
        assert {"audience", "nonce", "expected_failure"} <= set(_meta(token))


def test_demo_tells_the_story(tmp_path: Path, process: Invoke) -> None:
    result = process("--lang", "ko", "demo", "--out", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    assert "시연 성공" in result.stdout
    assert "기대대로 거부됨" in result.stdout
    assert "소급 발급" in result.stdout  # the back-dated copy is explained, not just listed
    assert "Traceback" not in result.stderr


def test_every_genuine_credential_verifies(demo_dir: Path, invoke: Invoke) -> None:
    for token in sorted((demo_dir / "credentials").glob("*.sd-jwt")):
        result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), "--json")
        assert result.code == 0, (token.name, result.stdout)
        assert json.loads(result.stdout)["valid"] is True


def test_every_presentation_verifies_for_its_audience(demo_dir: Path, invoke: Invoke) -> None:
    for token in sorted((demo_dir / "presentations").glob("*.sd-jwt")):
        meta = _meta(token)
        args = ["--audience", meta["audience"], "--nonce", meta["nonce"]]
        result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), *args, "--json")
        assert result.code == 0, (token.name, result.stdout)
        verdict = json.loads(result.stdout)
        assert verdict["valid"] is True
        assert {c["check"] for c in verdict["checks"]} >= {"key-binding", "audience", "nonce"}


def test_the_bank_sees_only_name_and_address(demo_dir: Path, invoke: Invoke) -> None:
    token = demo_dir / "presentations" / "bank-name-and-address.sd-jwt"
    meta = _meta(token)
    args = ["--audience", meta["audience"], "--nonce", meta["nonce"], "--json"]
    claims = json.loads(invoke("verify", str(token), "--trust", str(demo_dir / "trust"), *args).stdout)[
        "claims"
    ]
    assert [set(member) for member in claims["members"]] == [{"name"}]
    assert "road_address" in claims["address"]
    assert "household" not in claims or claims["household"] == {}


def test_every_rejected_item_fails_its_expected_check(demo_dir: Path, invoke: Invoke) -> None:
    for token in sorted((demo_dir / "rejected").glob("*.sd-jwt")):
        meta = _meta(token)
        args = ["--audience", meta["audience"], "--nonce", meta["nonce"], "--json"]
        result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), *args)
        assert result.code == 1, (token.name, result.stdout, result.stderr)
        verdict = json.loads(result.stdout)
        failed = [c["check"] for c in verdict["checks"] if not c["ok"]]
        assert failed == [meta["expected_failure"]], token.name


def _verdict(demo_dir: Path, token: Path, invoke: Invoke) -> dict[str, Any]:
    meta = _meta(token)
    args = ["--audience", meta["audience"], "--nonce", meta["nonce"], "--json"]
    verdict = json.loads(invoke("verify", str(token), "--trust", str(demo_dir / "trust"), *args).stdout)
    assert isinstance(verdict, dict)
    return verdict


def _iat(token: Path) -> int:
    return int(parse_jws(token.read_text().split("~", 1)[0]).payload["iat"])


def test_the_back_dated_copy_fails_log_time_and_holds_on_every_other_line(
    demo_dir: Path, invoke: Invoke
) -> None:
    token = demo_dir / "rejected" / "back-dated.sd-jwt"
    assert _meta(token)["expected_failure"] == "log-time"
    assert token.with_name(token.name + ".tlog-proof").is_file()
    genuine = demo_dir / "presentations" / "bank-name-and-address.sd-jwt"
    # An insider's copy: the agency's own key, days before the genuine copy issued in the same run.
    assert _iat(genuine) - _iat(token) >= BACKDATE_DAYS * 86_400
    verdict = _verdict(demo_dir, token, invoke)
    # The same lines as the bank's genuine presentation, in the same order: nothing was skipped.
    assert [c["check"] for c in verdict["checks"]] == [
        c["check"] for c in _verdict(demo_dir, genuine, invoke)["checks"]
    ]
    *others, last = verdict["checks"]
    assert [c["check"] for c in others if not c["ok"]] == []
    assert {"signature", "trust-chain", "accreditation", "status", "log-anchored"} <= {
        c["check"] for c in others
    }
    assert (last["check"], last["ok"]) == ("log-time", False)
    assert last["detail"].startswith("back-dated")


def test_the_published_log_trust_states_the_anchor_window(demo_dir: Path) -> None:
    document = json.loads((demo_dir / "trust" / "log.json").read_text())
    assert document["anchor_window"] == DEFAULT_ANCHOR_WINDOW


def test_the_real_console_script_agrees(demo_dir: Path, process: Invoke) -> None:
    token = demo_dir / "rejected" / "wrong-audience.sd-jwt"
    meta = _meta(token)
    args = ["--audience", meta["audience"], "--nonce", meta["nonce"], "--json"]
    result = process("verify", str(token), "--trust", str(demo_dir / "trust"), *args)
    assert result.code == 1
    assert json.loads(result.stdout)["checks"][-1]["check"] == "audience"


def test_the_demo_data_dir_is_a_usable_data_dir(demo_dir: Path, invoke: Invoke) -> None:
    listed = json.loads(invoke("keys", "list", "--json", "--data-dir", str(demo_dir / "data")).stdout)
    purposes = {key["purpose"] for key in listed["keys"] if key["active"]}
    assert purposes == {"issuer", "holder", "log", "operator"}


def test_a_rerun_replaces_a_previous_demo_but_not_foreign_files(tmp_path: Path, invoke: Invoke) -> None:
    out = tmp_path / "out"
    assert invoke("demo", "--out", str(out)).code == 0
    assert invoke("demo", "--out", str(out)).code == 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = invoke("demo", "--out", str(foreign))
    assert result.code == 2
    assert (foreign / "notes.txt").read_text() == "mine"
