"""The demo's issuer trust: root CA and signed trust list published, x5c credentials, trust rejections."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.adapters.storage import open_store
from dojang.adapters.trust_list_files import read_root
from dojang.core.crypto import parse_jws
from dojang.core.log import AccreditationAction, AccreditationEntry, parse_entry
from dojang.core.trust import verify_trust_list

Invoke = Callable[..., Any]


def test_the_trust_dir_holds_the_root_and_the_signed_trust_list(demo_dir: Path) -> None:
    trust = demo_dir / "trust"
    document = verify_trust_list((trust / "trust-list.jwt").read_text(), read_root(trust).public_key)
    assert len(document.agencies) == 2
    assert all(agency.accreditations and agency.certificates for agency in document.agencies)


def test_every_credential_carries_x5c_and_verifies_with_the_trust_lines(
    demo_dir: Path, invoke: Invoke
) -> None:
    for token in sorted((demo_dir / "credentials").glob("*.sd-jwt")):
        assert "x5c" in parse_jws(token.read_text().split("~", 1)[0]).header
        result = invoke("verify", str(token), "--trust", str(demo_dir / "trust"), "--json")
        verdict = json.loads(result.stdout)
        assert result.code == 0, (token.name, result.stdout)
        ok = {c["check"] for c in verdict["checks"] if c["ok"]}
        assert {"trust-list", "trust-chain", "accreditation"} <= ok, token.name


def test_the_trust_rejections_are_there(demo_dir: Path) -> None:
    rejected = demo_dir / "rejected"
    expected = {
        "non-accredited-agency": "accreditation",
        "certificate-from-another-root": "trust-chain",
    }
    for name, check in expected.items():
        meta = json.loads((rejected / f"{name}.json").read_text())
        assert meta["expected_failure"] == check


def test_the_accreditations_are_in_the_log(demo_dir: Path) -> None:
    store = open_store(demo_dir / "data" / "log.db")
    try:
        stored = [*store.entries(0, store.head().size), *(p.entry for p in store.pending(100_000))]
    finally:
        store.close()
    actions = [e.action for e in map(parse_entry, stored) if isinstance(e, AccreditationEntry)]
    assert actions.count(AccreditationAction.CERTIFY) == 2
    assert actions.count(AccreditationAction.GRANT) == 4
