"""Derived age claims: computed at issuance from the birth date, exact on the birthday boundary."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

import dojang.core.catalogue
from dojang.core.catalogue import age_over, parse_kind

KINDS_DIR = Path(dojang.core.catalogue.__file__).parent / "kinds"
ABSTRACT = parse_kind(
    json.loads((KINDS_DIR / "resident-register-abstract.json").read_text("utf-8")), source="a"
)
D = datetime.date


def abstract_claims(birth: str) -> dict[str, Any]:
    address = {"sido": "서울특별시", "sigungu": "마포구", "road_address": "가람로 7", "postal_code": "04001"}
    return {
        "document_number": "1234-5678-9012-3456",
        "issuing_office": "서울특별시 마포구 합정동장",
        "issue_date": "2026-03-01",
        "registry_record_id": "RR-C0001",
        "person": {
            "name": "박지민",
            "birth_date": birth,
            "sex": "여",
            "rrn": f"{birth[2:4]}{birth[5:7]}{birth[8:]}-4000000",
        },
        "address_history": [
            {
                "address": address,
                "moved_in_date": birth,
                "change_reason": "출생등록",
                "household_head_name": "박영수",
            }
        ],
    }


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        (D(2007, 3, 1), D(2026, 2, 28), False),  # the day before the 19th birthday
        (D(2007, 3, 1), D(2026, 3, 1), True),  # on the 19th birthday
        (D(2004, 2, 29), D(2023, 2, 28), False),  # born on 29 February: not yet on 28 February
        (D(2004, 2, 29), D(2023, 3, 1), True),  # … but on 1 March of a common year
        (D(2004, 2, 29), D(2024, 2, 29), True),
    ],
)
def test_age_over_19_at_the_boundary(birth: datetime.date, today: datetime.date, expected: bool) -> None:
    assert age_over(birth, 19, today) is expected


@pytest.mark.parametrize(("today", "expected"), [(D(2026, 3, 9), False), (D(2026, 3, 10), True)])
def test_prepare_adds_age_claims_computed_for_the_given_day(today: datetime.date, expected: bool) -> None:
    claims = ABSTRACT.prepare(abstract_claims("2007-03-10"), today=today)
    assert claims["age_over_19"] is expected
    assert claims["age_over_14"] is True
    assert claims["age_over_65"] is False
    assert "registry_record_id" not in claims


def test_a_registry_supplied_age_claim_is_recomputed() -> None:
    registry = abstract_claims("2010-01-01") | {"age_over_19": True}
    assert ABSTRACT.prepare(registry, today=D(2026, 3, 1))["age_over_19"] is False


def test_derived_claims_are_selective_and_labelled() -> None:
    for name in ("age_over_14", "age_over_19", "age_over_65"):
        assert (name,) in ABSTRACT.selective_paths()
    assert ABSTRACT.label("age_over_19", "ko") == "만 19세 이상"
