"""A kind's ``issuance``: immediate by default, ``deferred`` for kinds that need back-office work."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import dojang.core.catalogue
from dojang.adapters.catalogue_files import load_catalogue
from dojang.core.catalogue import ISSUANCE_MODES, parse_kind
from dojang.errors import ConfigError

KINDS_DIR = Path(dojang.core.catalogue.__file__).parent / "kinds"
ORIGINAL: dict[str, Any] = json.loads((KINDS_DIR / "resident-register-copy.json").read_text("utf-8"))


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(ORIGINAL)


def test_immediate_unless_the_file_says_otherwise(doc: dict[str, Any]) -> None:
    kind = parse_kind(doc, source="ok.json")
    assert kind.issuance == "immediate"
    assert not kind.deferred


@pytest.mark.parametrize("mode", ISSUANCE_MODES)
def test_each_mode_is_read(doc: dict[str, Any], mode: str) -> None:
    doc["issuance"] = mode
    kind = parse_kind(doc, source="ok.json")
    assert kind.issuance == mode
    assert kind.deferred == (mode == "deferred")


@pytest.mark.parametrize("value", ["later", "", "DEFERRED", True, None, 1, ["deferred"]])
def test_anything_else_is_refused_naming_the_file(doc: dict[str, Any], value: Any) -> None:
    doc["issuance"] = value
    with pytest.raises(ConfigError) as info:
        parse_kind(doc, source="kinds/broken.json")
    assert "kinds/broken.json" in info.value.message
    assert "'issuance' must be 'immediate'" in info.value.message


def test_shipped_kinds_only_the_register_extract_is_deferred() -> None:
    modes = {kind.id: kind.issuance for kind in load_catalogue(()).kinds()}
    assert modes.pop("real-estate-register-extract") == "deferred"
    assert set(modes.values()) == {"immediate"}
