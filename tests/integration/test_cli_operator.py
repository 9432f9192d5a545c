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
from dojang.roles.operator import INSTITUTION

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
    # Fingerprints are base64url and may start with '-': read as FINGERPRINT wherever it stands.
    assert invoke("operator", "revoke", certify.subject, "--at", "2020-06-01", *d).code == 0
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


def test_revoke_reads_a_fingerprint_starting_with_a_dash(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    _setup(invoke, data)
    # 'h' is the help option's letter: click's ignore_unknown_options would have printed the help.
    for fingerprint in ("-abc_XYZh", "--x"):
        run = invoke("operator", "revoke", fingerprint, "--at", "2020-06-01", *d)
        assert run.code == 2
        assert f"no registered agency holds certificate {fingerprint}" in run.stderr
    run = invoke("operator", "revoke", "--at", "2020-06-01", *d, "--", "-abc_XYZh")  # '--' still works
    assert (run.code, "holds certificate -abc_XYZh" in run.stderr) == (2, True)
    typo = invoke("operator", "revoke", "-abc_XYZh", "--att", "2020-06-01", *d)
    assert typo.code == 2
    assert "No such option '--att'" in typo.stderr
    assert [e.action for e in _accreditation_entries(data)][-1] is AccreditationAction.GRANT


# -- receiving institutions ------------------------------------------------------------------------


def _institutions(invoke: Invoke, d: tuple[str, ...]) -> list[dict[str, Any]]:
    run = invoke("operator", "institution", "list", "--json", *d)
    assert run.code == 0, run.stderr
    found = json.loads(run.stdout)["institutions"]
    assert isinstance(found, list)
    return found


def test_institution_add_list_remove_each_logged(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    assert invoke("operator", "init", *d).code == 0
    assert _institutions(invoke, d) == []
    empty = invoke("operator", "institution", "list", *d)
    assert "no receiving institutions registered" in empty.stdout

    added = invoke("operator", "institution", "add", "--id", "kb-bank.jongno", "--name", "국민은행 종로지점",
                   "--contact", "김민수 02-123-4567", "--json", *d)  # fmt: skip
    assert added.code == 0, added.stderr
    entry = json.loads(added.stdout)
    assert (entry["id"], entry["name"], entry["contact"]) == (
        "kb-bank.jongno",
        "국민은행 종로지점",
        "김민수 02-123-4567",
    )
    assert isinstance(entry["registered"], int)
    said = invoke("--lang", "ko", "operator", "institution", "add", "--id", "snu", "--name", "서울대학교",
                  "--contact", "admissions@snu.example", *d)  # fmt: skip
    assert said.code == 0, said.stderr
    assert "수신기관 서울대학교(snu)을 등록했습니다" in said.stdout
    assert [i["id"] for i in _institutions(invoke, d)] == ["kb-bank.jongno", "snu"]
    listed = invoke("operator", "institution", "list", *d)
    assert "kb-bank.jongno  국민은행 종로지점  김민수 02-123-4567" in listed.stdout

    logged = _accreditation_entries(data)
    assert [(e.action, e.issuer_id, e.subject) for e in logged] == [
        (AccreditationAction.REGISTER_INSTITUTION, "kb-bank.jongno", INSTITUTION),
        (AccreditationAction.REGISTER_INSTITUTION, "snu", INSTITUTION),
    ]
    assert logged[0].not_before == entry["registered"]

    removed = invoke("operator", "institution", "remove", "kb-bank.jongno", "--json", *d)
    assert removed.code == 0, removed.stderr
    assert json.loads(removed.stdout) == {"id": "kb-bank.jongno", "removed": True}
    assert [i["id"] for i in _institutions(invoke, d)] == ["snu"]
    assert (
        "removed receiving institution snu" in invoke("operator", "institution", "remove", "snu", *d).stdout
    )
    assert _institutions(invoke, d) == []
    last = _accreditation_entries(data)[-2:]
    assert [(e.action, e.issuer_id) for e in last] == [
        (AccreditationAction.REMOVE_INSTITUTION, "kb-bank.jongno"),
        (AccreditationAction.REMOVE_INSTITUTION, "snu"),
    ]


def test_institution_bad_input_exits_2_and_changes_nothing(tmp_path: Path, invoke: Invoke) -> None:
    data = tmp_path / "data"
    d = ("--data-dir", str(data))
    add = ("operator", "institution", "add", "--name", "국민은행", "--contact", "ops@kb.example")
    no_operator = invoke(*add, "--id", "kb", *d)
    assert no_operator.code == 2
    assert "dojang operator init" in no_operator.stderr
    assert not (data / "institutions.json").exists()

    assert invoke("operator", "init", *d).code == 0
    assert invoke(*add, "--id", "kb", *d).code == 0
    registry = (data / "institutions.json").read_bytes()
    logged = len(_accreditation_entries(data))

    twice = invoke(*add, "--id", "kb", *d)
    assert twice.code == 2
    assert "'kb' is already registered" in twice.stderr
    unknown = invoke("operator", "institution", "remove", "nobody", *d)
    assert unknown.code == 2
    assert "no receiving institution 'nobody' is registered" in unknown.stderr
    for bad_id in ("-kb", "kb bank", "", "x" * 129):
        run = invoke(*add, "--id", bad_id, *d)
        assert run.code == 2, bad_id
        assert "--id" in run.stderr, run.stderr
    no_name = invoke("operator", "institution", "add", "--id", "kb2", "--name", "", "--contact", "x", *d)
    assert no_name.code == 2
    assert "--name" in no_name.stderr
    assert invoke("operator", "institution", "add", "--id", "kb2", *d).code == 2  # --name, --contact missing

    assert (data / "institutions.json").read_bytes() == registry
    assert len(_accreditation_entries(data)) == logged
    assert [i["id"] for i in _institutions(invoke, d)] == ["kb"]
