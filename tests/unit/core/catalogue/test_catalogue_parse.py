"""Kind files that cannot be used are refused with a ConfigError naming the file and every problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import dojang.core.catalogue
from dojang.core.catalogue import parse_kind
from dojang.errors import ConfigError

KINDS_DIR = Path(dojang.core.catalogue.__file__).parent / "kinds"
ORIGINAL: dict[str, Any] = json.loads((KINDS_DIR / "resident-register-copy.json").read_text("utf-8"))


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(ORIGINAL)


def refused(doc: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_kind(doc, source="kinds/broken.json")
    assert "kinds/broken.json" in info.value.message
    return info.value.message


def test_the_unmodified_file_parses(doc: dict[str, Any]) -> None:
    assert parse_kind(doc, source="ok.json").id == "resident-register-copy"


def test_unlabelled_claim(doc: dict[str, Any]) -> None:
    del doc["labels"]["claims"]["members[].sex"]
    assert "'members[].sex' needs labels in 'ko' and 'en'" in refused(doc)


def test_claim_with_a_label_in_one_language_only(doc: dict[str, Any]) -> None:
    del doc["labels"]["claims"]["address.detail"]["en"]
    assert "'address.detail' needs labels" in refused(doc)


def test_claim_without_policy(doc: dict[str, Any]) -> None:
    del doc["disclosure"]["address.detail"]
    assert "'address.detail' needs a disclosure policy" in refused(doc)


def test_unknown_policy_value(doc: dict[str, Any]) -> None:
    doc["disclosure"]["members[].rrn"] = "sometimes"
    assert "'members[].rrn' needs a disclosure policy" in refused(doc)


def test_policy_for_a_claim_the_schema_lacks(doc: dict[str, Any]) -> None:
    doc["disclosure"]["members[].nickname"] = "selective"
    assert "'members[].nickname', which is not a claim of the schema" in refused(doc)


@pytest.mark.parametrize(
    ("vct", "version"),
    [
        ("urn:dojang:kr:other-kind:1", "1.0"),
        ("urn:dojang:kr:resident-register-copy:1", "2.0"),
        ("dojang:copy", "1.0"),
    ],
)
def test_bad_vct(doc: dict[str, Any], vct: str, version: str) -> None:
    doc["vct"], doc["version"] = vct, version
    assert "'vct' must be urn:dojang:kr:<id>:<major version>" in refused(doc)


def test_schema_that_is_not_json_schema(doc: dict[str, Any]) -> None:
    doc["schema"]["properties"]["issue_date"]["type"] = "dat"
    assert "not a valid JSON Schema (draft 2020-12)" in refused(doc)


def test_open_objects_are_refused(doc: dict[str, Any]) -> None:
    del doc["schema"]["properties"]["address"]["additionalProperties"]
    assert "'address': objects must set additionalProperties: false" in refused(doc)


def test_references_are_refused(doc: dict[str, Any]) -> None:
    doc["schema"]["$defs"] = {"d": {"type": "string"}}
    doc["schema"]["properties"]["issue_date"] = {"$ref": "#/$defs/d"}
    assert "unsupported keyword(s) $ref" in refused(doc)


def test_required_never_claim(doc: dict[str, Any]) -> None:
    doc["schema"]["required"].append("registry_record_id")
    assert "'never' claim 'registry_record_id' must not be required" in refused(doc)


def test_every_problem_is_listed_at_once(doc: dict[str, Any]) -> None:
    del doc["labels"]["claims"]["members[].sex"]
    del doc["disclosure"]["address.detail"]
    doc["validity_days"] = 0
    doc["colour"] = "red"
    message = refused(doc)
    for expected in ("members[].sex", "address.detail", "validity_days", "unknown key 'colour'"):
        assert expected in message


def test_derived_claim_must_come_from_a_date(doc: dict[str, Any]) -> None:
    doc["schema"]["properties"]["age_over_19"] = {"type": "boolean"}
    doc["disclosure"]["age_over_19"] = "selective"
    doc["labels"]["claims"]["age_over_19"] = {"ko": "만 19세 이상", "en": "Aged 19 or over"}
    doc["derived"] = [
        {"claim": "age_over_19", "rule": "age_over", "from": "household.head_name", "years": 19}
    ]
    assert "'from' must name a date claim outside arrays" in refused(doc)


def test_derived_claim_must_be_selective(doc: dict[str, Any]) -> None:
    doc["schema"]["properties"]["age_over_19"] = {"type": "boolean"}
    doc["disclosure"]["age_over_19"] = "always"
    doc["labels"]["claims"]["age_over_19"] = {"ko": "만 19세 이상", "en": "Aged 19 or over"}
    doc["derived"] = [{"claim": "age_over_19", "rule": "age_over", "from": "issue_date", "years": 19}]
    assert "'age_over_19' must be 'selective'" in refused(doc)


def test_not_an_object() -> None:
    with pytest.raises(ConfigError, match="must be a JSON object"):
        parse_kind([], source="kinds/broken.json")  # type: ignore[arg-type]


def test_claims_inside_a_never_claim_inherit_it(doc: dict[str, Any]) -> None:
    doc["disclosure"]["household"] = "never"
    doc["schema"]["required"].remove("household")
    for name in ("head_name", "composition_reason", "composition_date"):
        del doc["disclosure"][f"household.{name}"]
    kind = parse_kind(doc, source="ok.json")
    assert ("household", "head_name") in kind.never_paths()


def test_a_claim_inside_a_never_claim_cannot_be_selective(doc: dict[str, Any]) -> None:
    doc["disclosure"]["household"] = "never"
    doc["schema"]["required"].remove("household")
    assert "'household.head_name' must be 'never'" in refused(doc)
