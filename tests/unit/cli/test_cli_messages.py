"""The CLI's message table and language choice."""

from __future__ import annotations

import pytest

from dojang.cli import _messages
from dojang.cli._messages import check_name, detect_lang, text
from dojang.core.sdjwt import CHECKS


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "ko_KR.UTF-8"}, "ko"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "C"}, "ko"),
        ({"LC_ALL": "", "LANG": "ko"}, "ko"),
    ],
)
def test_language_from_the_locale(environ: dict[str, str], expected: str) -> None:
    assert detect_lang(environ) == expected


def test_every_message_has_korean_and_english() -> None:
    for key, (ko, en) in _messages._MESSAGES.items():
        assert ko
        assert en
        assert ko != en or key in {"error"}, key


def test_every_verifier_check_has_a_korean_name() -> None:
    for check in (*CHECKS, "issuer", "kind", "format"):
        assert check_name(check, "ko") != check, check
        assert check_name(check, "en")


def test_placeholders_are_filled() -> None:
    assert text("wrote", "ko", path="/x") == "저장했습니다: /x"
    assert text("wrote", "en", path="/x") == "wrote /x"
