"""``dojang operator``: root CA, agencies, accreditation with dates, the signed trust list, the log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dojang.adapters.storage import open_store
from dojang.adapters.trust_list_files import read_root
from dojang.core.log import AccreditationAction, AccreditationEntry, parse_entry
from dojang.core.trust import verify_trust_list

AGENCY = "https://jongno.example"
Invoke = Callable[..., Any]


def _verdict(invoke: Invoke, data: Path, token: Path) -> dict[str, object]:
    run = invoke("verify", str(token), "--data-dir", str(data), "--json")
    verdict = json.loads(run.stdout)
    assert isinstance(verdict, dict)
    return verdict


def _failed(verdict: dict[str, object]) -> list[str]:
    return [c["check"] for c in verdict["checks"] if not c["ok"]]  # type: ignore[attr-defined]


def _pending(data: Path) -> int:
    store = open_store(data / "log.db")
    try:
        return len(store.pending(10_000))
    finally:
        store.close()


def _accreditation_entries(data: Path) -> list[AccreditationEntry]:
    store = open_store(data / "log.db")
    try:
        entries = [parse_entry(p.entry) for p in store.pending(10_000)]
    finally:
        store.close()
    return [e for e in entries if isinstance(e, AccreditationEntry)]


def _setup(invoke: Invoke, data: Path) -> None:
    d = ("--data-dir", str(data))
    assert invoke("operator", "init", *d).code == 0
    assert invoke("operator", "agency", "add", "--id", AGENCY, "--name", "종로구청", *d).code == 0
    run = invoke(
        "operator", "accredit", AGENCY, "--kind", "resident-register-copy", "--from", "2020-01-01", *d
    )
    assert run.code == 0, run.stderr


def test_operator_flow_issue_verify_withdraw(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    _setup(invoke, data)
    assert (data / "trust" / "root-ca.pem").is_file()
    assert (data / "trust" / "trust-list.jwt").is_file()
    token = tmp_path / "copy.sd-jwt"
    run = invoke("issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--agency", AGENCY,
                 "--out", str(token), *d)  # fmt: skip
    assert run.code == 0, run.stderr
    verdict = _verdict(invoke, data, token)
    assert verdict["valid"] is True
    names = [c["check"] for c in verdict["checks"]]  # type: ignore[attr-defined]
    assert {"trust-list", "trust-chain", "accreditation"} <= set(names)
    assert "issuer-key" not in names

    # Not accredited for this kind: refused (exit 2), and nothing is logged.
    before = _pending(data)
    run = invoke(
        "issue", "--kind", "family-relation-certificate", "--citizen", "C0001", "--agency", AGENCY, *d
    )
    assert run.code == 2
    assert "not accredited" in run.stderr
    assert _pending(data) == before

    # Withdrawn: new issuance refused; what was signed before stays valid.
    time.sleep(1.1)  # iat has one-second resolution: withdraw strictly after the issuance
    assert invoke("operator", "withdraw", AGENCY, "--kind", "resident-register-copy", *d).code == 0
    run = invoke("issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--agency", AGENCY, *d)
    assert run.code == 2
    assert _verdict(invoke, data, token)["valid"] is True

    actions = [e.action for e in _accreditation_entries(data)]
    assert actions == [AccreditationAction.CERTIFY, AccreditationAction.GRANT, AccreditationAction.WITHDRAW]


def test_revoked_certificate_and_trust_list_out(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    _setup(invoke, data)
    certify = _accreditation_entries(data)[0]
    # Fingerprints are base64url and may start with '-': options first, then '--' before it.
    assert invoke("operator", "revoke", "--at", "2020-06-01", *d, "--", certify.subject).code == 0
    token = tmp_path / "copy.sd-jwt"
    invoke("issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--agency", AGENCY,
           "--out", str(token), *d)  # fmt: skip
    assert _failed(_verdict(invoke, data, token)) == ["trust-chain"]
    out = tmp_path / "published.jwt"
    run = invoke("operator", "trust-list", "--out", str(out), *d)
    assert run.code == 0
    assert AGENCY in run.stdout
    document = verify_trust_list(out.read_text(), read_root(data / "trust").public_key)
    assert [r.fingerprint for r in document.revoked] == [certify.subject]
    assert _accreditation_entries(data)[-1].action is AccreditationAction.REVOKE_CERTIFICATE


def test_tampered_trust_list_in_the_trust_dir(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    _setup(invoke, data)
    token = tmp_path / "copy.sd-jwt"
    invoke("issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--agency", AGENCY,
           "--out", str(token), *d)  # fmt: skip
    listing = data / "trust" / "trust-list.jwt"
    head, body, sig = listing.read_text().strip().split(".")
    listing.write_text(f"{head}.{body[:-2]}xx.{sig}\n")
    assert _failed(_verdict(invoke, data, token)) == ["trust-list"]


def test_operator_bad_usage(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    assert invoke("operator", "agency", "add", "--id", AGENCY, "--name", "x", *d).code == 2  # no init
    _setup(invoke, data)
    again = invoke("--lang", "ko", "operator", "init", *d)
    assert again.code == 0
    assert "이미" in again.stdout
    assert invoke("operator", "agency", "add", "--id", AGENCY, "--name", "x", *d).code == 2  # twice
    assert invoke("operator", "agency", "add", "--id", "http://plain.example", "--name", "x", *d).code == 2
    assert (
        invoke("operator", "accredit", "https://nobody.example", "--kind", "resident-register-copy", *d).code
        == 2
    )
    assert invoke("operator", "accredit", AGENCY, "--kind", "no-such-kind", *d).code == 2
    assert (
        invoke("operator", "accredit", AGENCY, "--kind", "resident-register-copy", "--from", "soon", *d).code
        == 2
    )
    overlap = invoke("operator", "accredit", AGENCY, "--kind", "resident-register-copy", *d)
    assert overlap.code == 2
    assert invoke("operator", "withdraw", AGENCY, "--kind", "family-relation-certificate", *d).code == 2
    assert invoke("operator", "revoke", "no-such-fingerprint", *d).code == 2
