"""Verdicts as lines: labels from the catalogue, nested claims indented, withheld objects left out."""

from __future__ import annotations

from dojang.adapters.catalogue_files import load_catalogue
from dojang.cli._render import claim_lines, verdict_lines
from dojang.roles.verifier import Check, Verdict

VCT = "urn:dojang:kr:resident-register-copy:1"


def test_claims_use_the_kinds_labels_in_schema_order() -> None:
    kind = load_catalogue().get(VCT)
    claims = {
        "iss": "https://agency.example",
        "vct": VCT,
        "household": {},
        "address": {"postal_code": "12345", "sido": "서울특별시"},
        "members": [{"name": "김민준"}],
    }
    lines = list(claim_lines(claims, kind, "ko"))
    assert lines == [
        "  발급자: https://agency.example",
        "  주소:",
        "    시·도: 서울특별시",
        "    우편번호: 12345",
        "  세대 구성원:",
        "    세대원 1:",
        "      성명: 김민준",
    ]


def test_a_failed_verdict_names_its_check() -> None:
    verdict = Verdict((Check("algorithm", True, "ES256"), Check("signature", False, "bad")))
    lines = list(verdict_lines(verdict, load_catalogue(), "en"))
    assert lines == ["✓ algorithm: ES256", "✗ signature: bad", "NOT valid — failed check: signature"]
