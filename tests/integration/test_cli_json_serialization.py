"""`dojang present --json-serialization`, and `dojang verify` of the JWS JSON serialization (RFC 9901 §8)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.core.sdjwt import parse

Invoke = Callable[..., Any]


def _verdict(invoke: Invoke, token: Path, *extra: str) -> dict[str, Any]:
    result = invoke("verify", str(token), "--json", *extra)
    verdict: dict[str, Any] = json.loads(result.stdout)
    assert result.code == (0 if verdict["valid"] else 1), result.stderr
    return verdict


def _lines(verdict: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(c["check"], c["ok"]) for c in verdict["checks"]]


def test_present_json_serialization_then_verify(tmp_path: Path, invoke: Invoke) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    credential = tmp_path / "copy.sd-jwt"
    args = ["--kind", "resident-register-copy", "--citizen", "C0005", "--holder", "--out", str(credential)]
    assert invoke("issue", *args, *data).code == 0
    recipient = ["--audience", "https://bank.example", "--nonce", "n-1"]
    claims = ["--claims", "members[0].name"]
    as_json = invoke("present", str(credential), *claims, *recipient, "--json-serialization", *data)
    assert as_json.code == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert set(doc) == {"payload", "protected", "header", "signature"}
    assert set(doc["header"]) == {"disclosures", "kb_jwt"}
    compact = invoke("present", str(credential), *claims, *recipient, *data)
    assert not compact.stdout.lstrip().startswith("{")

    files = {"json": tmp_path / "p.json", "compact": tmp_path / "p.sd-jwt"}
    files["json"].write_text("\n  " + as_json.stdout)  # leading space: detected by the first non-space
    files["compact"].write_text(compact.stdout)
    verdicts = {name: _verdict(invoke, path, *recipient, *data) for name, path in files.items()}
    assert verdicts["json"]["valid"] is True
    assert _lines(verdicts["json"]) == _lines(verdicts["compact"])
    assert verdicts["json"]["claims"] == verdicts["compact"]["claims"]
    human = invoke("verify", str(files["json"]), *recipient, *data)
    assert human.code == 0
    assert (
        human.stdout.splitlines()[0]
        == invoke("verify", str(files["compact"]), *recipient, *data).stdout.splitlines()[0]
    )

    other = _verdict(invoke, files["json"], "--audience", "https://other.example", "--nonce", "n-1", *data)
    assert other["checks"][-1]["check"] == "audience"


def test_demo_presentation_as_json_keeps_every_line(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    """x5c trust chain, log proof and status: the whole verdict, read from the JSON serialization."""
    trust = ["--trust", str(demo_dir / "trust")]
    source = sorted((demo_dir / "presentations").glob("*.sd-jwt"))[0]
    meta = json.loads(source.with_suffix(".json").read_text())
    recipient = ["--audience", meta["audience"], "--nonce", meta["nonce"]]
    target = tmp_path / "presentation.json"
    target.write_text(parse(source.read_text()).serialize_json())
    proof = Path(f"{source}.tlog-proof")
    if proof.is_file():
        shutil.copy(proof, f"{target}.tlog-proof")
    compact = _verdict(invoke, source, *trust, *recipient)
    as_json = _verdict(invoke, target, *trust, *recipient)
    assert as_json["valid"] is True
    assert {"trust-chain", "key-binding", "log-inclusion", "status"} <= {c for c, _ in _lines(as_json)}
    assert _lines(as_json) == _lines(compact)
    assert as_json["claims"] == compact["claims"]


def test_malformed_json_serialization_exits_2_naming_the_member(
    demo_dir: Path, tmp_path: Path, invoke: Invoke
) -> None:
    token = tmp_path / "bad.json"
    token.write_text(
        json.dumps({"payload": "e30", "protected": "e30", "signature": "AA", "header": {"disclosures": "x"}})
    )
    result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), "--json")
    assert result.code == 2
    verdict = json.loads(result.stdout)
    assert verdict["checks"] == [
        {"check": "format", "ok": False, "detail": verdict["checks"][0]["detail"]},
    ]
    assert "header.disclosures must be an array" in verdict["checks"][0]["detail"]
