"""Loading the catalogue from files: built-in kinds, extra directories, and files that are refused."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.errors import ConfigError


def land_ledger() -> dict[str, Any]:
    """A small new kind (토지대장), written the way an agency would add one."""
    return {
        "id": "land-ledger",
        "vct": "urn:dojang:kr:land-ledger:1",
        "version": "1.0",
        "validity_days": 30,
        "labels": {
            "ko": "토지대장",
            "en": "Land ledger",
            "claims": {
                "parcel": {"ko": "토지 소재", "en": "Parcel"},
                "area_m2": {"ko": "면적", "en": "Area"},
                "internal_id": {"ko": "내부 번호", "en": "Internal id"},
            },
        },
        "disclosure": {"parcel": "always", "area_m2": "selective", "internal_id": "never"},
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["parcel", "area_m2"],
            "properties": {
                "parcel": {"type": "string"},
                "area_m2": {"type": "number"},
                "internal_id": {"type": "string"},
            },
        },
    }


def write(directory: Path, name: str, content: Any) -> Path:
    path = directory / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), "utf-8")
    return path


def test_built_in_kinds_load() -> None:
    ids = {kind.id for kind in load_catalogue().kinds()}
    assert {
        "resident-register-copy",
        "resident-register-abstract",
        "family-relation-certificate",
        "real-estate-register-extract",
    } <= ids


def test_adding_a_kind_is_adding_a_file(tmp_path: Path) -> None:
    write(tmp_path, "land-ledger.json", land_ledger())
    write(tmp_path, "README.txt", "not a kind")
    catalogue = load_catalogue([tmp_path])
    kind = catalogue.get("urn:dojang:kr:land-ledger:1")
    assert kind.id == "land-ledger"
    assert kind.source == str(tmp_path / "land-ledger.json")
    assert kind.prepare(
        {"parcel": "제주시 연동 1", "area_m2": 10.5, "internal_id": "x"},
        today=datetime.date(2026, 1, 1),
    ) == {
        "parcel": "제주시 연동 1",
        "area_m2": 10.5,
    }
    assert len(catalogue.kinds()) == len(load_catalogue().kinds()) + 1


def test_a_bad_kind_file_is_named(tmp_path: Path) -> None:
    doc = land_ledger()
    del doc["labels"]["claims"]["area_m2"]
    path = write(tmp_path, "land-ledger.json", doc)
    with pytest.raises(ConfigError, match="area_m2") as info:
        load_catalogue([tmp_path])
    assert str(path) in info.value.message


@pytest.mark.parametrize("text", ["{not json", '{"id": "a", "id": "b"}', "[]"])
def test_unreadable_json_is_named(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "broken.json", text)
    with pytest.raises(ConfigError) as info:
        load_catalogue([tmp_path])
    assert str(path) in info.value.message


def test_a_kind_that_reuses_a_built_in_id_is_refused(tmp_path: Path) -> None:
    doc = land_ledger() | {"id": "resident-register-copy", "vct": "urn:dojang:kr:resident-register-copy:1"}
    write(tmp_path, "copy.json", doc)
    with pytest.raises(ConfigError, match="defined twice"):
        load_catalogue([tmp_path])


def test_the_same_kind_in_two_directories_is_refused(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write(tmp_path / sub, "land-ledger.json", land_ledger())
    with pytest.raises(ConfigError, match="defined twice"):
        load_catalogue([tmp_path / "a", tmp_path / "b"])


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalogue([tmp_path / "nowhere"])
