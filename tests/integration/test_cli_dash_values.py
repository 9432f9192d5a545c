"""Arguments that may start with '-' (base64url digests, fingerprints and ids; file names) in every command.

The values are fixed, not random: ``-abc_XYZh`` carries ``h``, the help option's letter, which click's
``ignore_unknown_options`` would have read as ``-h`` and printed the help. Each command must instead
get the value itself, which its own error message then names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Invoke

VALUE = "-abc_XYZh"
AGENCY = "https://jongno.example"


def test_status_and_log_prove_read_a_file_named_with_a_leading_dash(
    tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    d = ("--data-dir", str(tmp_path / "data"))
    name = "-copy.sd-jwt"
    issued = invoke("issue", "--kind", "resident-register-copy", "--citizen", "C0001", "--out", name, *d)
    assert issued.code == 0, issued.stderr
    suspended = invoke("status", "suspend", name, "--reason", "under-investigation", "--json", *d)
    assert suspended.code == 0, suspended.stderr
    assert json.loads(suspended.stdout)["after"] == "suspended"
    shown = invoke("status", "show", name, "--json", *d)
    assert (shown.code, json.loads(shown.stdout)["status"]) == (0, "suspended")
    assert invoke("status", "reinstate", *d, name, "--reason", "review-completed").code == 0
    assert invoke("status", "revoke", "--reason", "lost-or-stolen", *d, "--", name).code == 0
    proved = invoke("log", "prove", name, "--out", "copy.tlog-proof", *d)
    assert proved.code == 0, proved.stderr
    assert (tmp_path / "copy.tlog-proof").read_text().strip()
    missing = invoke("status", "show", VALUE, *d)
    assert missing.code == 2
    assert f"credential {VALUE}: no such file" in missing.stderr


@pytest.mark.parametrize("action", ["revoke", "suspend", "reinstate"])
def test_agency_status_commands_take_the_digest_as_an_argument(
    tmp_path: Path, invoke: Invoke, action: str
) -> None:
    d = ("--data-dir", str(tmp_path / "data"))
    run = invoke("agency", action, VALUE, "--agency", AGENCY, "--reason", "unspecified", *d)
    assert run.code == 2
    assert "DIGEST is the credential's 64-hex digest" in run.stderr
    typo = invoke("agency", action, VALUE, "--agency", AGENCY, "--reasn", "unspecified", *d)
    assert typo.code == 2
    assert "No such option '--reasn'" in typo.stderr


def test_agency_approve_and_wallet_show_take_the_id_as_an_argument(tmp_path: Path, invoke: Invoke) -> None:
    d = ("--data-dir", str(tmp_path / "data"))
    approve = invoke("agency", "approve", VALUE, *d)
    assert approve.code == 2
    assert f"no deferred offer '{VALUE}'" in approve.stderr
    show = invoke("wallet", "show", "--json", VALUE, *d)
    assert show.code == 2
    assert f"no credential '{VALUE}' in this wallet" in show.stderr
    help_ = invoke("wallet", "show", "-h")
    assert (help_.code, "Usage: " in help_.stdout) == (0, True)  # the help option itself still works
