"""The draft's own examples (draft-ietf-oauth-status-list-18 §4.1, §4.2, §5.1, §6.2, §8.2, Appendix C)."""

from __future__ import annotations

from typing import Any

import pytest
from status_support import draft_key, load

from dojang.core.crypto import parse_jws
from dojang.core.encoding import b64url_decode
from dojang.core.status import (
    StatusList,
    StatusReference,
    read_status_claim,
    sign_status_list,
    status_claim,
    verify_status_list_token,
)

ENCODING = load("draft-18-encoding.json")
TOKENS = load("draft-18-tokens.json")
SMALL = {v["name"]: v for v in ENCODING["section_4"]}
LARGE = {v["name"]: v for v in ENCODING["appendix_c"]}


def _built(vector: dict[str, Any]) -> StatusList:
    status_list = StatusList(vector["bits"], vector["size"])
    if "statuses" in vector:
        for idx, value in enumerate(vector["statuses"]):
            status_list.set(idx, value)
    else:
        for idx, value in vector["set"].items():
            status_list.set(int(idx), value)
    return status_list


@pytest.mark.parametrize("name", sorted(SMALL))
def test_section_4_byte_array_compressed_and_lst(name: str) -> None:
    vector = SMALL[name]
    built = _built(vector)
    assert built.to_bytes().hex() == vector["byte_array_hex"]
    assert b64url_decode(built.encode()).hex() == vector["compressed_hex"]
    assert built.encode() == vector["lst"]
    assert built.to_json() == {"bits": vector["bits"], "lst": vector["lst"]}
    if "cbor_hex" in vector:
        assert vector["cbor_hex"].endswith(vector["compressed_hex"])


@pytest.mark.parametrize("name", sorted(SMALL))
def test_section_4_decodes_to_every_status(name: str) -> None:
    vector = SMALL[name]
    decoded = StatusList.decode(vector["lst"], vector["bits"])
    assert decoded.size == vector["size"]
    assert [decoded.get(i) for i in range(decoded.size)] == vector["statuses"]


@pytest.mark.parametrize("name", sorted(LARGE))
def test_appendix_c_encodes_byte_for_byte(name: str) -> None:
    vector = LARGE[name]
    assert _built(vector).encode() == vector["lst"]


@pytest.mark.parametrize("name", sorted(LARGE))
def test_appendix_c_decodes(name: str) -> None:
    vector = LARGE[name]
    decoded = StatusList.decode(vector["lst"], vector["bits"])
    assert decoded.size == vector["size"] == 2**20
    assert decoded == _built(vector)
    for idx, value in vector["set"].items():
        assert decoded.get(int(idx)) == value
    assert decoded.get(1) == 0
    assert decoded.get(2**20 - 1) == 0
    # The JSON lst and the CBOR example carry the same compressed bytes.
    assert bytes.fromhex(vector["cbor_hex"]).endswith(b64url_decode(vector["lst"]))


def test_section_8_2_token_verifies_with_the_published_key() -> None:
    example = TOKENS["status_list_token"]
    key = draft_key()
    assert key.public.jwk["x"] == TOKENS["key"]["x"]
    parts = parse_jws(example["token"])
    assert parts.header == example["header"]
    assert parts.payload == example["payload"]
    verified = verify_status_list_token(
        example["token"], key=key.public, uri=example["payload"]["sub"], now=example["payload"]["iat"]
    )
    assert verified.ttl == 43200
    assert verified.exp == 2291720170
    assert verified.status_list == StatusList.decode("eNrbuRgAAhcBXQ", 1)
    assert [verified.status_list.get(i) for i in range(16)] == SMALL["4.1-1bit"]["statuses"]


def test_section_8_4_historical_response_covers_the_requested_time() -> None:
    example = TOKENS["status_list_token"]
    verify_status_list_token(
        example["token"],
        key=draft_key().public,
        uri=example["payload"]["sub"],
        now=example["historical_time"] + 100,
        at=example["historical_time"],
    )


def test_section_6_2_status_claims_read_and_rebuilt() -> None:
    for payload in (
        TOKENS["referenced_token"]["jwt_header_payload"]["payload"],
        TOKENS["referenced_token"]["sd_jwt_payload"],
    ):
        ref = read_status_claim(payload)
        assert ref == StatusReference(0, "https://example.com/statuslists/1")
        assert status_claim(ref) == payload["status"]
    issuer_jwt = TOKENS["referenced_token"]["sd_jwt"].split("~")[0]
    assert parse_jws(issuer_jwt).payload == TOKENS["referenced_token"]["sd_jwt_payload"]


def test_section_5_1_token_is_what_sign_status_list_builds() -> None:
    example = TOKENS["status_list_token_5_1"]
    claims = example["payload"]
    token = sign_status_list(
        StatusList.decode(claims["status_list"]["lst"], 1),
        uri=claims["sub"],
        key=draft_key(),
        iat=claims["iat"],
        exp=claims["exp"],
        ttl=claims["ttl"],
        header={"kid": "12"},
    )
    parts = parse_jws(token)
    assert parts.header == example["header"]
    assert parts.payload == claims
