"""The key store: encrypted keys at rest, one atomic index, rotation that keeps retired keys usable."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dojang.adapters import keystore as keystore_module
from dojang.adapters.keystore import KeyStore, atomic_write
from dojang.adapters.settings import Settings
from dojang.errors import ConfigError, InputError, NotFoundError


class Clock:
    """A settable clock: the store reads time only through it."""

    def __init__(self, now: float = 1_800_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(directory: Path, passphrase: bytes = b"correct horse", clock: Clock | None = None) -> KeyStore:
    return KeyStore(directory / "keys", lambda: passphrase, clock=clock or Clock())


def test_create_list_and_load_round_trip(tmp_path: Path) -> None:
    keys = store(tmp_path)
    record = keys.create("issuer", iss="https://agency.example")
    assert keys.list() == (record,)
    assert keys.active("issuer") == record
    assert record.alg == "ES256"
    assert record.iss == "https://agency.example"
    loaded = keys.load(record.kid)
    assert loaded.kid == record.kid
    assert record.public_key().kid == record.kid


def test_private_keys_rest_encrypted_and_private(tmp_path: Path) -> None:
    keys = store(tmp_path)
    record = keys.create("holder")
    pem = tmp_path / "keys" / f"{record.kid}.pem"
    assert b"ENCRYPTED PRIVATE KEY" in pem.read_bytes()
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.index_path.stat().st_mode) == 0o600


def test_log_keys_default_to_ed25519(tmp_path: Path) -> None:
    assert store(tmp_path).create("log").alg == "EdDSA"


def test_second_key_of_a_purpose_is_not_active(tmp_path: Path) -> None:
    keys = store(tmp_path)
    first = keys.create("holder")
    second = keys.create("holder")
    assert keys.active("holder") == first
    assert not second.active


def test_rotate_retires_the_old_key_and_keeps_it_loadable(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock=clock)
    old = keys.create("issuer", iss="https://agency.example")
    clock.now += 3600
    retired, new = keys.rotate("issuer")
    assert retired.kid == old.kid
    assert retired.retired_at == int(clock.now)
    assert not retired.active
    assert keys.active("issuer") == new
    assert new.iss == old.iss
    assert keys.load(old.kid).kid == old.kid


def test_trust_list_holds_retired_issuer_keys_with_retired_at(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock=clock)
    keys.create("holder")
    old = keys.create("issuer", iss="https://agency.example")
    clock.now += 10
    _, new = keys.rotate("issuer")
    entries = {entry["kid"]: entry for entry in keys.trust_list().to_json()["keys"]}
    assert set(entries) == {old.kid, new.kid}
    assert entries[old.kid]["retired_at"] == int(clock.now)
    assert entries[new.kid]["retired_at"] is None


def test_wrong_passphrase_is_a_clear_config_error(tmp_path: Path) -> None:
    record = store(tmp_path).create("holder")
    with pytest.raises(ConfigError, match="wrong passphrase") as caught:
        store(tmp_path, passphrase=b"wrong").load(record.kid)
    assert "passphrase" in caught.value.hint


def test_passphrase_is_asked_only_when_a_key_is_touched(tmp_path: Path) -> None:
    asked: list[bool] = []

    def passphrase() -> bytes:
        asked.append(True)
        return b"pw"

    keys = KeyStore(tmp_path / "keys", passphrase)
    assert keys.list() == ()
    assert not asked
    keys.create("holder")
    keys.create("holder")
    assert asked == [True]


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    keys = store(tmp_path)
    with pytest.raises(NotFoundError):
        keys.active("issuer")
    with pytest.raises(NotFoundError):
        keys.load("nope")
    with pytest.raises(NotFoundError):
        keys.rotate("holder")
    with pytest.raises(InputError):
        keys.create("issuer")  # an issuer key needs its iss


def test_damaged_index_is_a_config_error(tmp_path: Path) -> None:
    keys = store(tmp_path)
    keys.create("holder")
    keys.index_path.write_text('{"keys": [{"kid": 1}]}')
    with pytest.raises(ConfigError, match="damaged"):
        keys.list()


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, b"old")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_crash_before_the_index_is_written_leaves_the_index_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = store(tmp_path)
    first = keys.create("holder")
    before = keys.index_path.read_bytes()
    real = keystore_module.atomic_write

    def crash_on_index(path: Path, data: bytes, *, mode: int = 0o644) -> None:
        if path.name == "keys.json":
            raise OSError("simulated crash")
        real(path, data, mode=mode)

    monkeypatch.setattr(keystore_module, "atomic_write", crash_on_index)
    with pytest.raises(OSError, match="simulated crash"):
        keys.create("holder")
    assert keys.index_path.read_bytes() == before
    assert keys.list() == (first,)
    # Every key the index names can still be loaded.
    assert keys.load(first.kid).kid == first.kid


def test_index_is_readable_json_without_private_material(tmp_path: Path) -> None:
    keys = store(tmp_path)
    keys.create("issuer", iss="https://agency.example")
    document = json.loads(keys.index_path.read_text())
    assert document["version"] == 1
    entry = document["keys"][0]
    assert set(entry) == {"kid", "alg", "purpose", "created_at", "retired_at", "active", "jwk", "iss"}
    assert "d" not in entry["jwk"]


def test_development_kek_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    notices: list[str] = []
    first = settings.passphrase(notices.append)
    second = settings.passphrase(notices.append)
    kek = tmp_path / "keys" / "kek"
    assert first == second
    assert len(notices) == 1
    assert "kek" in notices[0]
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600


def test_passphrase_sources_in_order(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_bytes(b"from-file\n")
    environ = {"DOJANG_KEY_PASSPHRASE": "from-env"}
    with_file = Settings.from_env(environ, data_dir=tmp_path, passphrase_file=secret)
    assert with_file.passphrase(print) == b"from-file"
    assert Settings.from_env(environ, data_dir=tmp_path).passphrase(print) == b"from-env"
    assert not (tmp_path / "keys" / "kek").exists()


def test_empty_passphrase_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "pass"
    empty.write_bytes(b"\n")
    with pytest.raises(ConfigError, match="empty"):
        Settings(data_dir=tmp_path, passphrase_file=empty).passphrase(print)
