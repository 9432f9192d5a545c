"""The credential's status claim: built and read with strict types; the status an entry stands for."""

from __future__ import annotations

from typing import Any

import pytest
from status_support import URI

from dojang.core.log import CredentialStatus
from dojang.core.status import (
    FAILURES,
    StatusError,
    StatusList,
    StatusReference,
    credential_status,
    read_status_claim,
    status_claim,
)
from dojang.errors import InputError


def test_build_and_read_back() -> None:
    ref = StatusReference(131_071, URI)
    claim = status_claim(ref)
    assert claim == {"status_list": {"idx": 131_071, "uri": URI}}
    assert read_status_claim({"vct": "x", "status": claim}) == ref


def test_other_members_are_tolerated() -> None:
    # §6.1: other status mechanisms may sit beside status_list; §6.2: status_list may hold more.
    claims = {"status": {"status_list": {"idx": 0, "uri": URI, "extra": 1}, "other_mechanism": {}}}
    assert read_status_claim(claims) == StatusReference(0, URI)


@pytest.mark.parametrize(
    "status",
    [
        None,
        "https://x",
        [],
        {},
        {"status_list": None},
        {"status_list": []},
        {"status_list": {"uri": URI}},
        {"status_list": {"idx": 0}},
        {"status_list": {"idx": -1, "uri": URI}},
        {"status_list": {"idx": "0", "uri": URI}},
        {"status_list": {"idx": 0.0, "uri": URI}},
        {"status_list": {"idx": True, "uri": URI}},
        {"status_list": {"idx": 0, "uri": 7}},
        {"status_list": {"idx": 0, "uri": ""}},
        {"status_list": {"idx": 0, "uri": "relative/path"}},
        {"status_list": {"idx": 0, "uri": "https://x/ y"}},
        {"status_list": {"idx": 0, "uri": "https://x/\n"}},
        {"status_list": {"idx": 0, "uri": "https://x/" + "a" * 3000}},
    ],
)
def test_malformed_claims_fail_the_status_check(status: Any) -> None:
    claims = {} if status is None else {"status": status}
    with pytest.raises(StatusError) as info:
        read_status_claim(claims)
    assert (info.value.check, info.value.failure) == ("status", "reference")


@pytest.mark.parametrize(("idx", "uri"), [(-1, URI), (True, URI), (0, "nope"), (1.0, URI)])
def test_reference_refuses_bad_values(idx: Any, uri: str) -> None:
    with pytest.raises(InputError):
        StatusReference(idx, uri)


def test_credential_status_for_every_value() -> None:
    status_list = StatusList(2, 8)
    for idx, value in enumerate(range(4)):
        status_list.set(idx, value)
    assert [credential_status(status_list, i) for i in range(3)] == list(CredentialStatus)
    with pytest.raises(StatusError) as info:
        credential_status(status_list, 3)
    assert info.value.failure == "unknown"  # 0x03 is application specific; dojang does not use it
    for idx in (-1, 8):
        with pytest.raises(StatusError) as info:
            credential_status(status_list, idx)
        assert info.value.failure == "index"


def test_failure_names_are_listed() -> None:
    assert len(set(FAILURES)) == len(FAILURES)
    assert {"reference", "typ", "algorithm", "signature", "sub", "time", "list", "index"} <= set(FAILURES)
    assert str(StatusError("revoked", "x")) == "status revoked: x"
