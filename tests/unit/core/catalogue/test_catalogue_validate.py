"""Validation and preparation of claims: every offending field is named, never claims never leave."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import dojang.core.catalogue
from dojang.core.catalogue import DocumentKind, parse_kind
from dojang.errors import SchemaError

KINDS_DIR = Path(dojang.core.catalogue.__file__).parent / "kinds"
COPY = parse_kind(json.loads((KINDS_DIR / "resident-register-copy.json").read_text("utf-8")), source="copy")
TODAY = datetime.date(2026, 3, 1)


def member(name: str, rrn: str, relationship: str = "자녀") -> dict[str, Any]:
    return {
        "person_id": f"C-{name}",
        "name": name,
        "relationship": relationship,
        "birth_date": f"19{rrn[:2]}-{rrn[2:4]}-{rrn[4:6]}",
        "sex": "남" if rrn[7] in "13" else "여",
        "rrn": rrn,
        "moved_in_date": "2019-03-04",
        "change_reason": "전입",
    }


REGISTRY_COPY: dict[str, Any] = {
    "document_number": "1234-5678-9012-3456",
    "issuing_office": "서울특별시 종로구 청운동장",
    "issue_date": "2026-03-01",
    "registry_record_id": "RR-H0001",
    "household": {
        "head_name": "김민준",
        "composition_reason": "전입세대구성",
        "composition_date": "2019-03-04",
    },
    "address": {
        "sido": "서울특별시",
        "sigungu": "종로구",
        "road_address": "한빛로 12",
        "postal_code": "03045",
    },
    "members": [
        member("김민준", "800101-1234567", "본인"),
        member("이서연", "820202-2345678", "배우자"),
        member("김하은", "950303-2456789"),
        member("김도윤", "970404-1567890"),
    ],
}


def prepared() -> dict[str, Any]:
    return COPY.prepare(REGISTRY_COPY, today=TODAY)


def problems(kind: DocumentKind, claims: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    with pytest.raises(SchemaError) as info:
        kind.validate(claims, partial=partial)
    return {p.path: p.problem for p in info.value.problems}


def test_prepare_strips_never_claims_at_every_depth_and_leaves_the_input_alone() -> None:
    before = copy.deepcopy(REGISTRY_COPY)
    claims = prepared()
    assert "registry_record_id" not in claims
    assert all("person_id" not in m for m in claims["members"])
    assert claims["members"][0]["rrn"] == "800101-1234567"
    assert before == REGISTRY_COPY


def test_every_offending_field_is_listed_with_its_index() -> None:
    claims = prepared()
    claims["members"][2]["birth_date"] = "1995-02-30"
    claims["members"][1]["nmae"] = "오타"
    del claims["members"][0]["rrn"]
    claims["members"][3]["sex"] = "male"
    claims["address"]["postal_code"] = "3045"
    del claims["issue_date"]
    found = problems(COPY, claims)
    assert set(found) == {
        "members[2].birth_date",
        "members[1].nmae",
        "members[0].rrn",
        "members[3].sex",
        "address.postal_code",
        "issue_date",
    }
    assert found["members[0].rrn"] == "is required"
    assert found["members[3].sex"] == "must be one of: 남, 여"


def test_messages_do_not_repeat_personal_data() -> None:
    claims = prepared()
    claims["members"][1]["rrn"] = "820202-9345678"
    with pytest.raises(SchemaError) as info:
        COPY.validate(claims)
    assert "820202" not in str(info.value)
    assert [p.path for p in info.value.problems] == ["members[1].rrn"]


def test_a_credential_carrying_a_never_claim_is_refused() -> None:
    claims = prepared()
    claims["members"][1]["person_id"] = "C0002"
    expected = {"members[1].person_id": "is kept in the registry and must never be issued"}
    assert problems(COPY, claims) == expected
    assert problems(COPY, claims, partial=True) == expected  # a verifier refuses it in a presentation too


def test_prepare_refuses_bad_registry_data() -> None:
    bad = copy.deepcopy(REGISTRY_COPY)
    bad["members"][0]["relationship"] = "이웃"
    with pytest.raises(SchemaError, match=r"members\[0\]\.relationship"):
        COPY.prepare(bad, today=TODAY)


def test_partial_claims_may_leave_out_selective_claims_only() -> None:
    claims = prepared()
    shown = {key: claims[key] for key in ("document_number", "issuing_office", "issue_date", "household")}
    shown["household"] = {}
    COPY.validate(shown, partial=True)
    shown["members"] = []  # every element withheld: fewer than minItems is fine in a presentation
    COPY.validate(shown, partial=True)
    del shown["issue_date"]
    shown["members"] = [{"rrn": "bad"}]
    assert set(problems(COPY, shown, partial=True)) == {"issue_date", "members[0].rrn"}
    with pytest.raises(SchemaError):
        COPY.validate(shown)


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaves(item, (*path, index))]
    return [path]


_LEAVES = _leaves(prepared())
_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "남", "800101-1234567", "2024-02-29", "2023-02-29", "1234-5678-9012-3456", "12345"]),
    st.text(max_size=3),
    st.just([]),
    st.just({}),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_LEAVES), _JSON), max_size=3))
def test_validate_agrees_with_jsonschema(changes: list[tuple[tuple[str | int, ...], Any]]) -> None:
    """The compiled fast path must never accept what the reference validator refuses."""
    claims = prepared()
    for path, value in changes:
        node: Any = claims
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    reference = Draft202012Validator(COPY.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    expected_ok = reference.is_valid(claims)
    try:
        COPY.validate(claims)
    except SchemaError:
        assert not expected_ok
    else:
        assert expected_ok
