"""The shipped document kinds: they load, and their policies, labels and lookups behave as documented."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dojang.core.catalogue
from dojang.core.catalogue import Catalogue, DocumentKind, parse_kind
from dojang.errors import ConfigError, NotFoundError

KINDS_DIR = Path(dojang.core.catalogue.__file__).parent / "kinds"
SHIPPED = sorted(path.name for path in KINDS_DIR.glob("*.json"))


def load(name: str) -> DocumentKind:
    return parse_kind(json.loads((KINDS_DIR / name).read_text("utf-8")), source=name)


def document(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((KINDS_DIR / name).read_text("utf-8"))
    return data


def test_the_four_required_kinds_ship() -> None:
    assert {
        "resident-register-copy.json",
        "resident-register-abstract.json",
        "family-relation-certificate.json",
        "real-estate-register-extract.json",
    } <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_kind_loads_with_titles_and_a_never_claim(name: str) -> None:
    kind = load(name)
    assert kind.id == name.removesuffix(".json")
    assert kind.vct == f"urn:dojang:kr:{kind.id}:{kind.version.split('.')[0]}"
    assert kind.title("ko")
    assert kind.title("en")
    assert ("registry_record_id",) in kind.never_paths()
    for path in kind.disclosure:
        assert kind.label(path, "ko")
        assert kind.label(path, "en")


@pytest.mark.parametrize(
    ("name", "days"), [("resident-register-copy.json", 90), ("resident-register-abstract.json", 90)]
)
def test_resident_register_documents_are_valid_for_90_days(name: str, days: int) -> None:
    assert load(name).validity_days == days


def test_copy_disclosure_paths() -> None:
    kind = load("resident-register-copy.json")
    selective = kind.selective_paths()
    for path in [("members",), ("members", None), ("members", None, "name"), ("members", None, "rrn")]:
        assert path in selective
    # The address is disclosed as one unit: nobody needs a postal code without the street.
    assert ("address",) in selective
    assert ("address", "road_address") in kind.always_paths()
    assert ("household", "head_name") in selective
    assert {("document_number",), ("issuing_office",), ("issue_date",)} <= set(kind.always_paths())
    assert kind.never_paths() == (("registry_record_id",), ("members", None, "person_id"))
    # Parents come before their children, as an issuer building recursive disclosures needs them.
    assert (
        selective.index(("members",))
        < selective.index(("members", None))
        < selective.index(("members", None, "name"))
    )
    assert not set(selective) & set(kind.always_paths())


def test_policy_and_labels_accept_concrete_indices() -> None:
    kind = load("resident-register-copy.json")
    assert kind.policy("members[3].person_id") == "never"
    assert kind.policy(("members", 0, "rrn")) == "selective"
    assert kind.label("members[2].rrn", "ko") == "주민등록번호"
    assert kind.label(("members", None, "relationship"), "en") == "Relationship to head of household"
    assert kind.title("ko") == "주민등록표 등본"


@pytest.mark.parametrize("path", ["members[].nmae", "nope", "members..name", ("address", "road")])
def test_unknown_claim_paths_are_not_found(path: str | tuple[str, ...]) -> None:
    kind = load("resident-register-copy.json")
    with pytest.raises(NotFoundError):
        kind.label(path, "ko")


def test_catalogue_finds_kinds_by_id_and_vct() -> None:
    catalogue = Catalogue(tuple(load(name) for name in SHIPPED))
    copy = catalogue.get("resident-register-copy")
    assert catalogue.get("urn:dojang:kr:resident-register-copy:1") is copy
    assert len(catalogue.kinds()) == len(SHIPPED)


def test_catalogue_names_the_known_kinds_for_an_unknown_one() -> None:
    catalogue = Catalogue(tuple(load(name) for name in SHIPPED))
    with pytest.raises(NotFoundError, match="family-relation-certificate") as info:
        catalogue.get("land-ledger")
    assert "land-ledger" in info.value.message


def test_catalogue_refuses_a_duplicate_id() -> None:
    copy = load("resident-register-copy.json")
    twin = parse_kind(document("resident-register-copy.json"), source="extra/twin.json")
    with pytest.raises(ConfigError, match=r"twice.*resident-register-copy.json.*extra/twin.json"):
        Catalogue((copy, twin))
