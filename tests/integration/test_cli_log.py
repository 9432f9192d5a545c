"""``dojang log …``, ``anchor status`` and the four log lines of ``dojang verify``, on real parts.

Each fault gives a named failure and leaves stored state as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.storage._log import pack, unpack
from dojang.cli._logsvc import open_log
from dojang.core.encoding import b64url_encode
from dojang.core.log import encode_entry, parse_tlog_proof
from dojang.roles.operator import issuance_entry

Invoke = Callable[..., Any]
PASS = "log test passphrase"


def _credential(i: int) -> str:
    head = b64url_encode(json.dumps({"kid": "issuer-key-1"}).encode())
    body = b64url_encode(json.dumps({"vct": "urn:test:kind:1", "iat": 1_767_225_600 + i}).encode())
    return f"{head}.{body}.{b64url_encode(b'sig%d' % i)}~"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A data directory whose log holds 300 entries in two anchored checkpoints (200 and 300)."""
    data = tmp_path / "data"
    settings = Settings.from_env({"DOJANG_KEY_PASSPHRASE": PASS}, data_dir=data)
    service, chain = open_log(settings, KeyStore(settings.keys_dir, PASS.encode))
    for size in (200, 300):
        service.record(
            [
                encode_entry(issuance_entry(_credential(i)))
                for i in range(size - 100 if size > 200 else 0, size)
            ]
        )
        service.integrate()
        service.checkpoint()
        service.anchor_pending(1)
        service.anchor_pending(1)
    service.store.close()
    chain.close()
    return data


def _digest(data: Path) -> str:
    return hashlib.sha256((data / "log.db").read_bytes()).hexdigest()


def _audit(invoke: Invoke, data: Path) -> Any:
    return invoke("log", "audit", "--data-dir", str(data), DOJANG_KEY_PASSPHRASE=PASS)


def test_a_clean_log_audits_and_reports_its_anchors(log_dir: Path, invoke: Invoke) -> None:
    result = _audit(invoke, log_dir)
    assert result.code == 0, result.stdout + result.stderr
    assert "300 entries, 2 checkpoints, 2 anchored" in result.stdout
    status = invoke("anchor", "status", "--data-dir", str(log_dir), DOJANG_KEY_PASSPHRASE=PASS)
    assert status.code == 0
    assert "latest anchor: size 300" in status.stdout
    assert "pending: 0 anchor, 0 confirm" in status.stdout


def test_a_rewritten_leaf_row_fails_the_audit_naming_its_index(log_dir: Path, invoke: Invoke) -> None:
    forged = encode_entry(issuance_entry(_credential(9999)))
    with sqlite3.connect(log_dir / "log.db") as conn:  # entries are stored 256 to a row (leaf bundles)
        sizes, data = conn.execute("SELECT sizes, data FROM leaf_bundles WHERE n = 0").fetchone()
        bundle = unpack(sizes, data)
        bundle[5] = forged
        conn.execute("UPDATE leaf_bundles SET sizes = ?, data = ? WHERE n = 0", pack(bundle))
    conn.close()
    before = _digest(log_dir)
    result = _audit(invoke, log_dir)
    assert result.code == 1, result.stdout
    assert "log-tile" in result.stdout
    assert "first bad index 5" in result.stdout
    assert "Traceback" not in result.stderr
    assert _digest(log_dir) == before


def test_a_tampered_tile_fails_the_audit(log_dir: Path, invoke: Invoke) -> None:
    with sqlite3.connect(log_dir / "log.db") as conn:
        (data,) = conn.execute("SELECT data FROM tiles WHERE level = 0 AND idx = 0").fetchone()
        conn.execute(
            "UPDATE tiles SET data = ? WHERE level = 0 AND idx = 0", (data[:64] + b"\0" * 32 + data[96:],)
        )
    conn.close()
    result = _audit(invoke, log_dir)
    assert result.code == 1
    assert "first bad index 2" in result.stdout


def test_a_checkpoint_with_a_bad_signature_fails_the_audit(log_dir: Path, invoke: Invoke) -> None:
    with sqlite3.connect(log_dir / "log.db") as conn:
        (note,) = conn.execute("SELECT note FROM checkpoints WHERE size = 200").fetchone()
        text, _, sig = bytes(note).rpartition(b" ")
        flipped = sig[:5] + (b"A" if sig[5:6] != b"A" else b"B") + sig[6:]
        conn.execute("UPDATE checkpoints SET note = ? WHERE size = 200", (text + b" " + flipped,))
    conn.close()
    result = _audit(invoke, log_dir)
    assert result.code == 1
    assert "checkpoint-signature" in result.stdout


def test_log_checkpoint_and_prove_write_a_proof(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    out = tmp_path / "c.sd-jwt"
    env = {"DOJANG_KEY_PASSPHRASE": PASS}
    issued = invoke(
        "issue",
        "--kind",
        "family-relation-certificate",
        "--citizen",
        "C0005",
        "--holder",
        "--out",
        str(out),
        "--data-dir",
        str(data),
        **env,
    )
    assert issued.code == 0, issued.stderr
    done = invoke("log", "checkpoint", "--data-dir", str(data), **env)
    assert done.code == 0
    assert "checkpoint: size 1" in done.stdout
    proof = tmp_path / "c.sd-jwt.tlog-proof"
    assert invoke("log", "prove", str(out), "--out", str(proof), "--data-dir", str(data), **env).code == 0
    assert proof.read_text().startswith("c2sp.org/tlog-proof@v1\n")
    verdict = invoke("verify", str(out), "--data-dir", str(data), "--json", **env)
    assert verdict.code == 0, verdict.stdout
    assert [c["check"] for c in json.loads(verdict.stdout)["checks"] if c["check"].startswith("log-")] == [
        "log-inclusion",
        "log-anchored",
        "log-consistency",
        "log-time",
    ]
    proof.unlink()  # without a proof, a trust dir that declares the log refuses the credential
    refused = json.loads(invoke("verify", str(out), "--data-dir", str(data), "--json", **env).stdout)
    assert refused["checks"][-1]["check"] == "log-inclusion"
    assert not refused["checks"][-1]["ok"]


# -- the verifier's log lines on the demo's artefacts -------------------------------------------------


def _trust_copy(demo_dir: Path, tmp_path: Path, **changes: Any) -> Path:
    trust = tmp_path / "trust"
    shutil.copytree(demo_dir / "trust", trust)
    doc = json.loads((trust / "log.json").read_text())
    doc["chain"]["path"] = str(demo_dir / "data" / "chain")
    doc["tiles"] = str(demo_dir / "log")
    doc.update(changes)
    (trust / "log.json").write_text(json.dumps(doc))
    # The status lines come before the log lines: keep the copy's status lists where the demo left them.
    (trust / "status.json").write_text(json.dumps({"directory": str(demo_dir / "status")}))
    return trust


def _failed(invoke: Invoke, token: Path, trust: Path, *extra: str) -> tuple[str, str]:
    result = invoke("verify", str(token), "--trust", str(trust), "--json", *extra)
    assert result.code == 1, result.stdout + result.stderr
    failed = [c for c in json.loads(result.stdout)["checks"] if not c["ok"]]
    return failed[0]["check"], failed[0]["detail"]


def test_a_demo_credential_shows_four_log_lines(demo_dir: Path, invoke: Invoke) -> None:
    token = demo_dir / "credentials" / "resident-register-copy.sd-jwt"
    result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), "--json")
    assert result.code == 0, result.stdout
    lines = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert all(lines[name]["ok"] for name in ("log-inclusion", "log-anchored", "log-consistency", "log-time"))
    assert "block" in lines["log-anchored"]["detail"]
    assert "tx 0x" in lines["log-anchored"]["detail"]
    assert "prefix of the latest anchored" in lines["log-consistency"]["detail"]


def test_a_proof_of_the_wrong_length_fails_inclusion(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    token = demo_dir / "credentials" / "resident-register-copy.sd-jwt"
    head, _, note = (demo_dir / "credentials" / f"{token.name}.tlog-proof").read_bytes().partition(b"\n\n")
    short = tmp_path / "short.tlog-proof"
    short.write_bytes(b"\n".join(head.split(b"\n")[:-1]) + b"\n\n" + note)
    check, detail = _failed(invoke, token, demo_dir / "trust", "--proof", str(short))
    assert check == "log-inclusion"
    assert "hashes" in detail


def test_a_chain_with_another_root_fails_anchored(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    proof = (demo_dir / "credentials" / "resident-register-copy.sd-jwt.tlog-proof").read_bytes()
    size = int(parse_tlog_proof(proof).checkpoint.split(b"\n")[1])  # the demo's first checkpoint
    other = InProcessChain(tmp_path / "other-chain")
    other.submit("dojang.example/log", size, b"\xaa" * 32, b"\xbb" * 32)
    other.advance(5)
    other.close()
    trust = _trust_copy(demo_dir, tmp_path)
    doc = json.loads((trust / "log.json").read_text())
    doc["chain"]["path"] = str(tmp_path / "other-chain")
    (trust / "log.json").write_text(json.dumps(doc))
    check, detail = _failed(invoke, demo_dir / "credentials" / "resident-register-copy.sd-jwt", trust)
    assert check == "log-anchored"
    assert "different root" in detail


def test_a_tampered_tile_fails_consistency(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    tiles = tmp_path / "tiles"
    shutil.copytree(demo_dir / "log", tiles)
    tile = next(p for p in (tiles / "tile" / "0").rglob("*") if p.is_file())
    tile.write_bytes(tile.read_bytes()[:-32] + b"\0" * 32)  # the newest leaf: in the 4 → 5 proof
    trust = _trust_copy(demo_dir, tmp_path, tiles=str(tiles))
    check, _ = _failed(invoke, demo_dir / "credentials" / "resident-register-copy.sd-jwt", trust)
    assert check == "log-consistency"


def test_the_demo_log_audits_clean(demo_dir: Path, invoke: Invoke) -> None:
    result = invoke("log", "audit", "--data-dir", str(demo_dir / "data"))
    assert result.code == 0, result.stdout + result.stderr
