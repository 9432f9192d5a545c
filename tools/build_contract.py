#!/usr/bin/env python3
"""Rebuild contracts/LogAnchor.json from contracts/LogAnchor.sol with the project's pinned solc.

The compiler is the npm package ``solc`` pinned in package.json and installed into the project's
own ``node_modules`` (``make chain-tools``). The build is deterministic: the same source, compiler
and settings give the same bytes, which tests/unit/adapters/anchor/test_contract_artifact.py checks.

    tools/build_contract.py              rewrite contracts/LogAnchor.json and its package copy
    tools/build_contract.py --out FILE   write the artefact elsewhere (the test uses a temp dir)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "contracts" / "LogAnchor.sol"
ARTIFACT = ROOT / "contracts" / "LogAnchor.json"
# The same bytes inside the package, which deploys the contract from it (package data).
PACKAGE_COPY = ROOT / "src" / "dojang" / "adapters" / "anchor" / "LogAnchor.json"
SOLC_PACKAGE = ROOT / "node_modules" / "solc"
CONTRACT = "LogAnchor"
SOLC_VERSION = "0.8.30+commit.73712a01"
# solc-js's own API, run by node: the `solcjs` wrapper prints notices on stdout around the JSON.
COMPILE_JS = """
const solc = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify({version: solc.version(), output: JSON.parse(solc.compile(input))}));
});
"""
# Cancun runs on the in-process py-evm chain, on anvil and on current Besu/geth networks alike.
SETTINGS: dict[str, object] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


def compile_contract() -> dict[str, object]:
    node = shutil.which("node")
    if node is None or not (SOLC_PACKAGE / "package.json").exists():
        sys.exit(f"solc is not installed at {SOLC_PACKAGE}: run `make chain-tools` (npm ci) first")
    request = {
        "language": "Solidity",
        "sources": {SOURCE.name: {"content": SOURCE.read_text(encoding="utf-8")}},
        "settings": SETTINGS,
    }
    done = subprocess.run(  # noqa: S603 — runs the project's own node_modules/solc on our source
        [node, "-e", COMPILE_JS, str(SOLC_PACKAGE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    if not result["version"].startswith(SOLC_VERSION):
        sys.exit(f"solc reports {result['version']!r}, expected {SOLC_VERSION}: run `make chain-tools`")
    output = result["output"]
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        sys.exit("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    compiled = output["contracts"][SOURCE.name][CONTRACT]
    return {
        "contractName": CONTRACT,
        "sourceName": f"contracts/{SOURCE.name}",
        "compiler": {"name": "solc (npm solcjs)", "version": SOLC_VERSION, "settings": SETTINGS},
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the artefact here only")
    args = parser.parse_args()
    text = json.dumps(compile_contract(), indent=2, sort_keys=True) + "\n"
    for path in [args.out] if args.out else [ARTIFACT, PACKAGE_COPY]:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
