"""The committed LogAnchor artefact is exactly what the pinned solc builds from the committed source."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dojang.adapters.anchor import load_artifact

ROOT = Path(__file__).resolve().parents[4]
COMMITTED = ROOT / "contracts" / "LogAnchor.json"
PACKAGED = ROOT / "src" / "dojang" / "adapters" / "anchor" / "LogAnchor.json"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if not (ROOT / "node_modules" / "solc" / "package.json").exists():
        pytest.fail("solc is not installed in node_modules: run `make chain-tools` (npm ci) first")
    out = tmp_path_factory.mktemp("solc") / "LogAnchor.json"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_contract.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out.read_bytes()


def test_rebuild_matches_committed_artifact_byte_for_byte(rebuilt: bytes) -> None:
    assert rebuilt == COMMITTED.read_bytes()


def test_package_copy_is_the_committed_artifact() -> None:
    assert PACKAGED.read_bytes() == COMMITTED.read_bytes()


def test_bytecode_and_abi_equal_the_rebuild(rebuilt: bytes) -> None:
    fresh = json.loads(rebuilt)
    committed = json.loads(COMMITTED.read_bytes())
    assert fresh["bytecode"] == committed["bytecode"]
    assert fresh["deployedBytecode"] == committed["deployedBytecode"]
    assert json.dumps(fresh["abi"], sort_keys=True) == json.dumps(committed["abi"], sort_keys=True)


def test_artifact_records_pinned_compiler_and_optimizer() -> None:
    data = json.loads(COMMITTED.read_bytes())
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    solc = lock["packages"]["node_modules/solc"]["version"]
    assert data["compiler"]["version"].startswith(solc + "+commit.")
    assert data["compiler"]["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert load_artifact().compiler_version == data["compiler"]["version"]


def test_abi_has_the_anchored_event_and_views() -> None:
    abi = load_artifact().abi
    event = next(e for e in abi if e.get("type") == "event" and e["name"] == "Anchored")
    assert [(i["name"], i["type"], i["indexed"]) for i in event["inputs"]] == [
        ("originHash", "bytes32", True),
        ("treeSize", "uint64", False),
        ("root", "bytes32", False),
        ("noteHash", "bytes32", False),
    ]
    functions = {f["name"] for f in abi if f.get("type") == "function"}
    assert {"anchor", "lookup", "latest", "setSubmitter", "owner", "isSubmitter"} <= functions
