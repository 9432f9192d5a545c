"""``dojang verify``: the exit codes and the exact ``--json`` shape of DESIGN.md §5."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Invoke = Callable[..., Any]

FORMAT_KEYS = {"valid", "checks", "vct", "claims"}


def _trust(demo_dir: Path) -> list[str]:
    return ["--trust", str(demo_dir / "trust")]


def _credential(demo_dir: Path) -> Path:
    return demo_dir / "credentials" / "resident-register-copy.sd-jwt"


def test_json_shape_is_exact(demo_dir: Path, invoke: Invoke) -> None:
    result = invoke("verify", str(_credential(demo_dir)), *_trust(demo_dir), "--json")
    verdict = json.loads(result.stdout)
    assert set(verdict) == FORMAT_KEYS
    assert verdict["valid"] is True
    assert verdict["vct"] == "urn:dojang:kr:resident-register-copy:1"
    assert isinstance(verdict["claims"], dict)
    for check in verdict["checks"]:
        assert set(check) == {"check", "ok", "detail"}
        assert isinstance(check["check"], str)
        assert check["ok"] is True
        assert isinstance(check["detail"], str)


def test_garbage_is_unreadable_exit_2_with_a_format_verdict(
    demo_dir: Path, tmp_path: Path, invoke: Invoke
) -> None:
    garbage = tmp_path / "garbage.sd-jwt"
    garbage.write_bytes(b"this is not an sd-jwt")
    result = invoke("verify", str(garbage), *_trust(demo_dir), "--json")
    assert result.code == 2
    verdict = json.loads(result.stdout)
    assert set(verdict) == FORMAT_KEYS
    assert verdict["valid"] is False
    assert verdict["vct"] is None
    assert verdict["claims"] == {}
    assert [(c["check"], c["ok"]) for c in verdict["checks"]] == [("format", False)]


@pytest.mark.parametrize(
    "content",
    [b"", b"~", b"a.b.c~", b"\xff\xfe not utf-8", "한글~".encode(), b"e30.e30.e30~WyJ4Il0~"],
)
def test_malformed_inputs_exit_2_without_traceback(
    demo_dir: Path, tmp_path: Path, invoke: Invoke, content: bytes
) -> None:
    token = tmp_path / "t"
    token.write_bytes(content)
    result = invoke("verify", str(token), *_trust(demo_dir))
    assert result.code == 2, result.stdout
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_file_exits_2(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("verify", str(tmp_path / "nope.sd-jwt"), *_trust(demo_dir))
    assert result.code == 2
    assert "no such file" in result.stderr


def test_missing_trust_list_exits_2_with_a_hint(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("verify", str(_credential(demo_dir)), "--trust", str(tmp_path))
    assert result.code == 2
    assert "hint:" in result.stderr


def test_too_large_input_exits_2(demo_dir: Path, process: Invoke) -> None:
    result = process("verify", "-", *_trust(demo_dir), stdin=b"a" * (1024 * 1024 + 1))
    assert result.code == 2
    assert "too large" in result.stderr


def test_stdin_is_read_with_a_dash(demo_dir: Path, invoke: Invoke) -> None:
    # The demo's trust declares a log: a credential on stdin brings its proof with --proof.
    proof = f"{_credential(demo_dir)}.tlog-proof"
    result = invoke(
        "verify", "-", *_trust(demo_dir), "--proof", proof, "--json", input=_credential(demo_dir).read_bytes()
    )
    assert result.code == 0
    assert json.loads(result.stdout)["valid"] is True


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["verify", "x", "--bogus"],
        ["verify", "x", "--audience", "a"],
        ["nonsense"],
        ["--lang", "fr", "verify", "x"],
        ["present", "x", "--audience", "a", "--nonce", "n"],
        ["issue", "--kind", "resident-register-copy"],
    ],
)
def test_bad_usage_exits_2(invoke: Invoke, args: list[str]) -> None:
    assert invoke(*args).code == 2


def test_bad_usage_of_the_real_script_exits_2(process: Invoke) -> None:
    result = process("verify", "--no-such-option")
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_one_changed_byte_is_not_valid(demo_dir: Path, tmp_path: Path, invoke: Invoke) -> None:
    text = _credential(demo_dir).read_text().strip()
    jwt, rest = text.split("~", 1)
    head, body, signature = jwt.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    token = tmp_path / "flipped.sd-jwt"
    token.write_text(f"{head}.{body}.{flipped}~{rest}")
    result = invoke("verify", str(token), *_trust(demo_dir), "--json")
    assert result.code == 1
    assert json.loads(result.stdout)["checks"][-1]["check"] == "signature"


def test_korean_output(demo_dir: Path, invoke: Invoke) -> None:
    result = invoke("--lang", "ko", "verify", str(_credential(demo_dir)), *_trust(demo_dir))
    assert result.code == 0
    assert "✓ 서명" in result.stdout
    assert "유효한 증명서입니다" in result.stdout
    assert "주민등록표 등본" in result.stdout
    assert "발급번호" in result.stdout


def test_korean_from_the_locale_and_english_by_default(demo_dir: Path, invoke: Invoke) -> None:
    korean = invoke("verify", str(_credential(demo_dir)), *_trust(demo_dir), LANG="ko_KR.UTF-8")
    assert "유효한 증명서입니다" in korean.stdout
    english = invoke("verify", str(_credential(demo_dir)), *_trust(demo_dir))
    assert "✓ signature" in english.stdout
    assert "Document number" in english.stdout


def test_korean_error_messages(tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("--lang", "ko", "verify", str(tmp_path / "nope"), "--trust", str(tmp_path))
    assert result.code == 2
    assert result.stderr.startswith("오류:")


def test_default_trust_dir_is_the_data_dirs(demo_dir: Path, invoke: Invoke) -> None:
    args = ["--data-dir", str(demo_dir / "data"), "--json"]
    result = invoke("verify", str(_credential(demo_dir)), *args)
    assert result.code == 0, result.stderr


def test_trust_a_bare_issuer_jwk_from_another_implementation(tmp_path: Path, invoke: Invoke) -> None:
    """A credential from another issuer, trusted by handing `--trust` its public JWK file."""
    import random

    from dojang.core.crypto import generate_key
    from dojang.core.sdjwt import issue

    key = generate_key("ES256", random.Random(7).randbytes)
    claims = {
        "iss": "https://other.example",
        "iat": 1_700_000_000,
        "vct": "urn:dojang:kr:resident-register-copy:1",
    }
    token = issue(claims, sd=[], key=key, rng=random.Random(8).randbytes, header={"kid": "signer-2026"})
    (tmp_path / "cred.sd-jwt").write_text(token, encoding="utf-8")
    (tmp_path / "issuer.jwk").write_text(
        json.dumps({**key.public.jwk, "kid": "signer-2026"}), encoding="utf-8"
    )
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [dict(key.public.jwk)]}), encoding="utf-8")
    by_name = invoke(
        "verify", str(tmp_path / "cred.sd-jwt"), "--trust", str(tmp_path / "issuer.jwk"), "--json"
    )
    verdict = json.loads(by_name.stdout)
    checks = {c["check"]: c["ok"] for c in verdict["checks"]}
    assert checks["issuer-key"]
    assert checks["signature"]
    assert checks["issuer"]
    assert not checks["kind"]  # these claims do not fill a 등본: the catalogue check still applies
    unnamed = invoke(
        "verify", str(tmp_path / "cred.sd-jwt"), "--trust", str(tmp_path / "jwks.json"), "--json"
    )
    assert json.loads(unnamed.stdout)["checks"][2] == {
        "check": "issuer-key",
        "ok": False,
        "detail": "signing key 'signer-2026' is not a trusted issuer key",
    }
