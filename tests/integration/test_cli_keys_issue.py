"""Keys, issuance and presentation through the CLI, on a fresh data directory."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dojang.cli._catalogue
import dojang.cli._context
from dojang.errors import DojangError

Invoke = Callable[..., Any]


def _kid(token: str) -> str:
    head = token.split(".", maxsplit=1)[0]
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return str(header["kid"])


@pytest.fixture
def data(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def _issue(invoke: Invoke, data: list[str], out: Path, *extra: str) -> None:
    args = ["--kind", "resident-register-copy", "--citizen", "C0005", "--holder", "--out", str(out)]
    result = invoke("issue", *args, *extra, *data)
    assert result.code == 0, result.stderr


def _verify(invoke: Invoke, data: list[str], token: Path, *extra: str) -> dict[str, Any]:
    result = invoke("verify", str(token), "--json", *extra, *data)
    verdict = json.loads(result.stdout)
    assert result.code == (0 if verdict["valid"] else 1)
    assert isinstance(verdict, dict)
    return verdict


def test_issue_present_verify(tmp_path: Path, data: list[str], invoke: Invoke) -> None:
    credential = tmp_path / "copy.sd-jwt"
    _issue(invoke, data, credential)
    assert (tmp_path / "data" / "trust" / "issuers.json").is_file()
    presentation = tmp_path / "p.sd-jwt"
    args = ["--claims", "members[0].name,members[0].birth_date", "--audience", "https://bank.example"]
    result = invoke("present", str(credential), *args, "--nonce", "n-1", "--out", str(presentation), *data)
    assert result.code == 0, result.stderr
    verdict = _verify(invoke, data, presentation, "--audience", "https://bank.example", "--nonce", "n-1")
    assert verdict["valid"] is True
    assert verdict["claims"]["members"] == [{"name": "윤동현", "birth_date": "1994-09-22"}]
    assert "address" not in verdict["claims"]
    other = _verify(invoke, data, presentation, "--audience", "https://other.example", "--nonce", "n-1")
    assert other["checks"][-1]["check"] == "audience"


def test_present_all_and_stdout(tmp_path: Path, data: list[str], invoke: Invoke) -> None:
    credential = tmp_path / "copy.sd-jwt"
    _issue(invoke, data, credential)
    result = invoke("present", str(credential), "--all", "--audience", "a", "--nonce", "n", *data)
    assert result.code == 0
    assert result.stdout.count("~") > 10


def test_issue_prints_the_credential_or_json(data: list[str], invoke: Invoke) -> None:
    plain = invoke("issue", "--kind", "family-relation-certificate", "--citizen", "C0001", *data)
    assert plain.code == 0
    assert plain.stdout.strip().endswith("~")
    facts = json.loads(
        invoke("issue", "--kind", "family-relation-certificate", "--citizen", "C0001", "--json", *data).stdout
    )
    assert facts["kind"] == "family-relation-certificate"
    assert facts["holder_bound"] is False
    assert _kid(facts["sd_jwt"]) == facts["kid"]


def test_issue_to_a_holder_jwk_file(tmp_path: Path, data: list[str], invoke: Invoke) -> None:
    invoke("keys", "create", "--purpose", "holder", *data)
    listed = json.loads(invoke("keys", "list", "--json", *data).stdout)
    jwk_file = tmp_path / "holder.jwk"
    jwk_file.write_text(json.dumps(listed["keys"][0]["jwk"]))
    result = invoke(
        "issue",
        "--kind",
        "resident-register-copy",
        "--citizen",
        "C0005",
        "--holder-jwk",
        str(jwk_file),
        "--json",
        *data,
    )
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["holder_bound"] is True


def test_rotation_keeps_old_credentials_valid_and_signs_new_ones_with_the_new_key(
    tmp_path: Path, data: list[str], invoke: Invoke
) -> None:
    before = tmp_path / "before.sd-jwt"
    _issue(invoke, data, before)
    old_kid = _kid(before.read_text())
    rotated = invoke("keys", "rotate", "--purpose", "issuer", *data)
    assert rotated.code == 0, rotated.stderr
    after = tmp_path / "after.sd-jwt"
    _issue(invoke, data, after)
    new_kid = _kid(after.read_text())
    assert new_kid != old_kid
    assert _verify(invoke, data, before)["valid"] is True
    assert _verify(invoke, data, after)["valid"] is True
    trust = json.loads((tmp_path / "data" / "trust" / "issuers.json").read_text())
    retired = {k["kid"]: k["retired_at"] for k in trust["keys"]}
    assert retired[new_kid] is None
    assert isinstance(retired[old_kid], int)
    keys = json.loads(invoke("keys", "list", "--json", *data).stdout)["keys"]
    assert [k["kid"] for k in keys if k["purpose"] == "issuer" and k["active"]] == [new_kid]


def test_keys_create_list_and_usage(data: list[str], invoke: Invoke) -> None:
    assert invoke("keys", "list", *data).stdout.strip() == "no keys"
    assert invoke("keys", "create", "--purpose", "holder", "--iss", "https://x", *data).code == 2
    created = invoke("keys", "create", "--iss", "https://agency.example", *data)
    assert created.code == 0
    listed = invoke("--lang", "ko", "keys", "list", *data)
    assert "사용 중" in listed.stdout
    assert "https://agency.example" in listed.stdout


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path, data: list[str], invoke: Invoke) -> None:
    secret = tmp_path / "pass"
    secret.write_text("right\n")
    assert invoke("keys", "create", "--passphrase-file", str(secret), *data).code == 0
    result = invoke(
        "issue",
        "--kind",
        "resident-register-copy",
        "--citizen",
        "C0005",
        *data,
        DOJANG_KEY_PASSPHRASE="wrong",
    )
    assert result.code == 2
    assert "wrong passphrase" in result.stderr
    assert "Traceback" not in result.stderr
    good = invoke(
        "issue",
        "--kind",
        "resident-register-copy",
        "--citizen",
        "C0005",
        "--passphrase-file",
        str(secret),
        *data,
    )
    assert good.code == 0


def test_first_key_creates_the_development_kek_and_says_so(
    tmp_path: Path, data: list[str], invoke: Invoke
) -> None:
    result = invoke("keys", "create", *data)
    assert "kek" in result.stderr
    assert (tmp_path / "data" / "keys" / "kek").is_file()
    assert "kek" not in invoke("keys", "create", "--purpose", "holder", *data).stderr


def test_issue_a_kind_the_citizen_lacks_is_a_clear_error(data: list[str], invoke: Invoke) -> None:
    result = invoke("issue", "--kind", "real-estate-register-extract", "--citizen", "C0002", *data)
    assert result.code == 2
    assert "owns no property" in result.stderr


def test_issue_unknown_kind_and_citizen(data: list[str], invoke: Invoke) -> None:
    unknown_kind = invoke("issue", "--kind", "passport", "--citizen", "C0001", *data)
    assert unknown_kind.code == 2
    assert "known kinds" in unknown_kind.stderr
    unknown_citizen = invoke("issue", "--kind", "resident-register-copy", "--citizen", "X9", *data)
    assert unknown_citizen.code == 2
    assert "no citizen" in unknown_citizen.stderr


def test_present_refuses_a_credential_bound_to_someone_else(
    tmp_path: Path, data: list[str], invoke: Invoke
) -> None:
    credential = tmp_path / "copy.sd-jwt"
    _issue(invoke, data, credential)
    other = ["--data-dir", str(tmp_path / "other")]
    invoke("keys", "create", "--purpose", "holder", *other)
    result = invoke("present", str(credential), "--all", "--audience", "a", "--nonce", "n", *other)
    assert result.code == 2
    assert "bound to holder key" in result.stderr


def test_catalogue_list_and_show(invoke: Invoke) -> None:
    kinds = json.loads(invoke("catalogue", "list", "--json").stdout)["kinds"]
    assert {"resident-register-copy", "family-relation-certificate"} <= {k["id"] for k in kinds}
    shown = json.loads(invoke("catalogue", "show", "urn:dojang:kr:resident-register-copy:1", "--json").stdout)
    assert shown["title"]["ko"] == "주민등록표 등본"
    policies = {c["path"]: c["policy"] for c in shown["claims"]}
    assert policies["members[].name"] == "selective"
    assert policies["registry_record_id"] == "never"
    korean = invoke("--lang", "ko", "catalogue", "show", "resident-register-copy")
    assert "선택 공개" in korean.stdout
    assert "즉시 발급" in korean.stdout
    assert invoke("catalogue", "show", "nope").code == 2


def test_catalogue_show_says_which_kinds_wait_for_the_back_office(invoke: Invoke) -> None:
    listed = json.loads(invoke("catalogue", "list", "--json").stdout)["kinds"]
    kinds = {k["id"]: k["issuance"] for k in listed}
    assert kinds["real-estate-register-extract"] == "deferred"
    assert kinds["resident-register-copy"] == "immediate"
    english = invoke("--lang", "en", "catalogue", "show", "real-estate-register-extract")
    assert "issued after the back office approves" in english.stdout


def test_unexpected_errors_exit_2_without_traceback(monkeypatch: pytest.MonkeyPatch, invoke: Invoke) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dojang.cli._context, "load_catalogue", broken)
    result = invoke("catalogue", "list")
    assert result.code == 2
    assert "report this" in result.stderr
    assert "Traceback" not in result.stderr


def test_dojang_errors_carry_their_exit_code(monkeypatch: pytest.MonkeyPatch, invoke: Invoke) -> None:
    def unusable(*_: object) -> None:
        raise DojangError("catalogue unusable", hint="fix it")

    monkeypatch.setattr(dojang.cli._context, "load_catalogue", unusable)
    result = invoke("catalogue", "list")
    assert result.code == 2
    assert result.stderr == "error: catalogue unusable\n  hint: fix it\n"


def test_adding_a_kind_is_adding_a_file(tmp_path: Path, data: list[str], invoke: Invoke) -> None:
    builtin = Path(dojang.cli._catalogue.__file__).parents[1] / "core" / "catalogue" / "kinds"
    kind = json.loads((builtin / "resident-register-abstract.json").read_text(encoding="utf-8"))
    kind["id"], kind["vct"] = "land-ledger", "urn:dojang:kr:land-ledger:1"
    kind["labels"]["ko"], kind["labels"]["en"] = "토지대장", "Land ledger"
    local = tmp_path / "data" / "catalogue"
    local.mkdir(parents=True)
    (local / "land-ledger.json").write_text(json.dumps(kind, ensure_ascii=False), encoding="utf-8")
    shown = json.loads(invoke("catalogue", "show", "land-ledger", "--json", *data).stdout)
    assert shown["title"]["ko"] == "토지대장"
    elsewhere = tmp_path / "more"
    elsewhere.mkdir()
    (elsewhere / "broken.json").write_text('{"id": "broken"}', encoding="utf-8")
    refused = invoke("catalogue", "list", *data, DOJANG_CATALOGUE_PATH=str(elsewhere))
    assert refused.code == 2
    assert "broken.json" in refused.stderr
