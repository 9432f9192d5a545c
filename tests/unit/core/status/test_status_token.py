"""statuslist+jwt: signing, and each named failure of verification."""

from __future__ import annotations

from typing import Any

import pytest
from status_support import T0, URI, agency_key, other_key

from dojang.core.crypto import generate_key, parse_jws, sign_jws
from dojang.core.encoding import b64url_decode, b64url_encode, canonical_json
from dojang.core.log import CredentialStatus
from dojang.core.status import (
    TYP,
    StatusError,
    StatusList,
    StatusReference,
    VerifiedStatusList,
    require_valid,
    sign_status_list,
    verify_status_list_token,
)
from dojang.errors import InputError, VerificationError

KEY = agency_key()
DAY = 86_400


def _list() -> StatusList:
    status_list = StatusList(2, 1024)
    status_list.set(5, CredentialStatus.REVOKED)
    status_list.set(6, CredentialStatus.SUSPENDED)
    return status_list


def _token(**overrides: Any) -> str:
    args: dict[str, Any] = {"uri": URI, "key": KEY, "iat": T0, "exp": T0 + DAY, "ttl": 3600}
    return sign_status_list(_list(), **{**args, **overrides})


def _verify(token: str, **overrides: Any) -> VerifiedStatusList:
    args: dict[str, Any] = {"key": KEY.public, "uri": URI, "now": T0 + 10}
    return verify_status_list_token(token, **{**args, **overrides})


def _resign(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return sign_jws({k: v for k, v in header.items() if k != "alg"}, payload, KEY)


def _failure(token: str, **overrides: Any) -> str:
    with pytest.raises(StatusError) as info:
        _verify(token, **overrides)
    assert info.value.check == "status"
    assert isinstance(info.value, VerificationError)
    assert info.value.exit_code == 1
    return info.value.failure


def test_sign_and_verify() -> None:
    token = _token(header={"x5c": ["MIIB"]})
    parts = parse_jws(token)
    assert parts.header == {"alg": "ES256", "typ": TYP, "kid": KEY.kid, "x5c": ["MIIB"]}
    assert set(parts.payload) == {"sub", "iat", "exp", "ttl", "status_list"}
    verified = _verify(token)
    assert verified.status_list == _list()
    assert (verified.uri, verified.iat, verified.exp, verified.ttl) == (URI, T0, T0 + DAY, 3600)
    assert verified.fresh_until(T0 + 100) == T0 + 3700
    assert verified.fresh_until(T0 + DAY - 5) == T0 + DAY


def test_key_chosen_from_the_header() -> None:
    assert _verify(_token(), key=lambda header: KEY.public if header["kid"] == KEY.kid else other_key())


def test_tampered_signature_and_payload() -> None:
    token = _token()
    head, body, sig = token.split(".")
    flipped = b64url_encode(bytes([b64url_decode(sig)[0] ^ 1]) + b64url_decode(sig)[1:])
    assert _failure(f"{head}.{body}.{flipped}") == "signature"
    payload = parse_jws(token).payload
    forged = b64url_encode(canonical_json({**payload, "status_list": StatusList(2, 1024).to_json()}).encode())
    assert _failure(f"{head}.{forged}.{sig}") == "signature"


def test_other_key() -> None:
    assert _failure(_token(), key=other_key()) == "signature"


def test_unknown_crit_header() -> None:
    parts = parse_jws(_token())
    assert _failure(_resign({**parts.header, "crit": ["exp"]}, dict(parts.payload))) == "signature"


@pytest.mark.parametrize("typ", [None, "JWT", "dc+sd-jwt", "application/statuslist+jwt", "STATUSLIST+JWT"])
def test_wrong_typ(typ: str | None) -> None:
    parts = parse_jws(_token())
    header = {k: v for k, v in parts.header.items() if k != "typ"}
    if typ is not None:
        header["typ"] = typ
    assert _failure(_resign(header, dict(parts.payload))) == "typ"


def test_wrong_alg() -> None:
    eddsa = generate_key("EdDSA", lambda n: b"\x07" * n)
    parts = parse_jws(_token())
    token = sign_jws({"typ": TYP}, dict(parts.payload), eddsa)
    assert _failure(token, key=eddsa.public) == "algorithm"
    body = _token().split(".")[1]
    none_head = b64url_encode(canonical_json({"alg": "none", "typ": TYP}).encode())
    assert _failure(f"{none_head}.{body}.") == "algorithm"


@pytest.mark.parametrize("uri", [URI + "x", "https://status.dojang.example/lists/8", URI.upper()])
def test_wrong_sub(uri: str) -> None:
    assert _failure(_token(), uri=uri) == "sub"


def test_expired_and_future_and_stale() -> None:
    token = _token()
    assert _failure(token, now=T0 + DAY + 60) == "time"
    assert _verify(token, now=T0 + DAY + 59)  # within the default skew
    assert _failure(token, now=T0 + DAY, skew=0) == "time"
    assert _failure(token, now=T0 - 61) == "time"
    assert _failure(token, now=T0 + 7200, max_age=3600) == "time"
    assert _verify(token, now=T0 + 3000, max_age=3600)


def test_historical_time_must_lie_within_iat_and_exp() -> None:
    token = _token()
    # A historical answer may have expired by now; what matters is that it covers the time asked.
    assert _verify(token, now=T0 + 30 * DAY, at=T0 + 5, max_age=60).status_list == _list()
    assert _verify(token, now=T0 + 10, at=T0)
    assert _failure(token, now=T0 + 10, at=T0 - 1) == "time"
    assert _failure(token, now=T0 + 30 * DAY, at=T0 + DAY) == "time"
    assert _failure(token, now=T0 - 61, at=T0) == "time"  # still never issued in the future


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        ({"sub": None}, "claims"),
        ({"sub": 7}, "claims"),
        ({"iat": None}, "claims"),
        ({"iat": "1767225600"}, "claims"),
        ({"iat": True}, "claims"),
        ({"exp": "soon"}, "claims"),
        ({"ttl": 0}, "claims"),
        ({"ttl": -5}, "claims"),
        ({"status_list": None}, "list"),
        ({"status_list": {"bits": 3, "lst": "eNrbuRgAAhcBXQ"}}, "list"),
        ({"status_list": {"bits": 2, "lst": "not base64!"}}, "list"),
    ],
)
def test_claims_and_list_problems(change: dict[str, Any], failure: str) -> None:
    parts = parse_jws(_token())
    payload = {**parts.payload, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    assert _failure(_resign(dict(parts.header), payload)) == failure


def test_exp_and_ttl_are_optional_as_the_draft_says() -> None:
    parts = parse_jws(_token())
    payload = {k: v for k, v in parts.payload.items() if k not in {"exp", "ttl"}}
    verified = _verify(_resign(dict(parts.header), payload), now=T0 + 10 * DAY)
    assert verified.exp is None
    assert verified.fresh_until(T0) is None


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30"])
def test_malformed_tokens(token: str) -> None:
    assert _failure(token) == "malformed"


def test_require_valid_for_every_status() -> None:
    verified = _verify(_token())
    assert "valid at index 4" in require_valid(verified, StatusReference(4, URI))
    failures = {}
    for idx in (5, 6, 1024):
        with pytest.raises(StatusError) as info:
            require_valid(verified, StatusReference(idx, URI))
        failures[idx] = info.value.failure
    assert failures == {5: "revoked", 6: "suspended", 1024: "index"}
    with pytest.raises(StatusError) as info:
        require_valid(verified, StatusReference(4, URI + "/other"))
    assert info.value.failure == "sub"


@pytest.mark.parametrize(
    "overrides",
    [
        {"uri": "not a uri"},
        {"uri": ""},
        {"iat": -1},
        {"exp": T0},
        {"ttl": 0},
        {"ttl": 1.5},
        {"header": {"typ": "JWT"}},
        {"header": {"alg": "none"}},
        {"key": generate_key("EdDSA", lambda n: b"\x01" * n)},
    ],
)
def test_sign_refuses_bad_arguments(overrides: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        _token(**overrides)
