"""Receive credentials with OpenID4VCI 1.0 (pre-authorized code flow): the wallet's side of issuance.

offer link → (offer by reference) → issuer metadata → authorization server metadata → token (with
the PIN as ``tx_code``) → c_nonce → one ``openid4vci-proof+jwt`` per new holder key → credential
(or a deferred transaction). HTTP goes through the :class:`Transport` port; keys, clock and the
check of each returned credential are passed in. Only ``https`` issuers are accepted, and plain
``http`` on the loopback interface (tests, a local ``dojang serve``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from dojang.core.crypto import SigningKey, jwk_thumbprint, parse_jws, sign_jws
from dojang.core.encoding import loads_strict
from dojang.core.sdjwt import parse
from dojang.errors import InputError, MalformedError, UnavailableError

__all__ = ["PendingIssuance", "Received", "Transport", "parse_offer_link", "poll_deferred", "receive"]

_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
_SCHEME = "openid-credential-offer://"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Transport(Protocol):
    """HTTP for the wallet: each call returns (status, parsed JSON body or None)."""

    def get(self, url: str) -> tuple[int, Any]: ...

    def post_form(self, url: str, form: Mapping[str, str]) -> tuple[int, Any]: ...

    def post_json(self, url: str, body: Any, *, bearer: str | None = None) -> tuple[int, Any]: ...


@dataclass(frozen=True, slots=True)
class Received:
    """Credentials received, each with the holder key it is bound to, and what describes them."""

    credentials: tuple[tuple[str, SigningKey], ...]
    configuration_id: str
    configuration: Mapping[str, Any]
    credential_issuer: str


@dataclass(frozen=True, slots=True)
class PendingIssuance:
    """A deferred issuance: ask the deferred endpoint again with this token and transaction id."""

    transaction_id: str
    interval: int
    access_token: str
    deferred_endpoint: str
    keys: tuple[SigningKey, ...]
    configuration_id: str
    configuration: Mapping[str, Any]
    credential_issuer: str


def _check_url(url: Any, what: str) -> str:
    if not isinstance(url, str):
        raise MalformedError(f"{what} is missing")
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    raise InputError(f"{what} {url!r} must be an https URL (http only on the loopback interface)")


def parse_offer_link(link: str, transport: Transport) -> dict[str, Any]:
    """The Credential Offer behind an ``openid-credential-offer://`` link (by value or by reference)."""
    if not link.startswith(_SCHEME):
        raise InputError(f"not a credential offer link (it must start with {_SCHEME})")
    query = parse_qs(urlsplit(link).query)
    if ("credential_offer" in query) == ("credential_offer_uri" in query):
        raise MalformedError("the link must carry exactly one of credential_offer and credential_offer_uri")
    if "credential_offer" in query:
        offer = loads_strict(query["credential_offer"][0], what="credential offer")
    else:
        status, offer = transport.get(_check_url(query["credential_offer_uri"][0], "credential_offer_uri"))
        if status != 200:
            raise UnavailableError(f"the credential offer could not be fetched (HTTP {status})")
    if not isinstance(offer, dict):
        raise MalformedError("the credential offer must be a JSON object")
    return offer


def _well_known(issuer: str, name: str) -> str:
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{parts.path.rstrip('/')}"


def _expect(status: int, body: Any, step: str, *ok: int) -> dict[str, Any]:
    if status not in (ok or (200,)) or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        detail = body.get("error_description", "") if isinstance(body, dict) else ""
        raise InputError(f"{step} refused (HTTP {status}): {error or 'no error code'} {detail}".strip())
    return body


def receive(
    link: str,
    pin: str | None,
    *,
    transport: Transport,
    new_key: Callable[[], SigningKey],
    now: Callable[[], int],
    copies: int = 1,
) -> Received | PendingIssuance:
    """Redeem an offer link with its PIN: ``copies`` credentials, each bound to its own new key."""
    offer = parse_offer_link(link, transport)
    issuer = _check_url(offer.get("credential_issuer"), "credential_issuer")
    ids = offer.get("credential_configuration_ids")
    grant = (offer.get("grants") or {}).get(_GRANT)
    if not isinstance(ids, list) or not ids or not isinstance(ids[0], str) or not isinstance(grant, dict):
        raise MalformedError("the offer needs credential_configuration_ids and a pre-authorized_code grant")
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str):
        raise MalformedError("the offer's grant has no pre-authorized_code")
    tx = grant.get("tx_code")
    if isinstance(tx, dict):
        if pin is None:
            raise InputError("this offer needs the PIN the agency gave you (--pin)")
        numeric = tx.get("input_mode", "numeric") == "numeric"
        if tx.get("length") not in (None, len(pin)) or (numeric and not pin.isdigit()):
            raise InputError(f"the PIN must be {tx.get('length')} digits")
    metadata = _expect(*transport.get(_well_known(issuer, "openid-credential-issuer")), "issuer metadata")
    if metadata.get("credential_issuer") != issuer:
        raise InputError("the issuer metadata is for another credential issuer")
    config_id = ids[0]
    configuration = (metadata.get("credential_configurations_supported") or {}).get(config_id)
    if not isinstance(configuration, dict):
        raise InputError(f"the issuer does not describe the offered configuration {config_id!r}")
    servers = metadata.get("authorization_servers") or [issuer]
    auth = _expect(*transport.get(_well_known(servers[0], "oauth-authorization-server")), "AS metadata")
    form = {"grant_type": _GRANT, "pre-authorized_code": code}
    if isinstance(tx, dict) and pin is not None:
        form["tx_code"] = pin
    token_url = _check_url(auth.get("token_endpoint"), "token_endpoint")
    token = _expect(*transport.post_form(token_url, form), "token")
    access = token.get("access_token")
    if not isinstance(access, str):
        raise MalformedError("the token response has no access_token")
    keys = tuple(new_key() for _ in range(copies))
    claims: dict[str, Any] = {"aud": issuer, "iat": now()}
    if (nonce_url := metadata.get("nonce_endpoint")) is not None:
        nonce = _expect(*transport.post_json(_check_url(nonce_url, "nonce_endpoint"), {}), "nonce")
        claims["nonce"] = nonce.get("c_nonce")
    header = {"typ": "openid4vci-proof+jwt"}
    proofs = [sign_jws({**header, "jwk": dict(key.public.jwk)}, claims, key) for key in keys]
    request = {"credential_configuration_id": config_id, "proofs": {"jwt": proofs}}
    endpoint = _check_url(metadata.get("credential_endpoint"), "credential_endpoint")
    status, body = transport.post_json(endpoint, request, bearer=access)
    answer = _expect(status, body, "credential request", 200, 202)
    if status == 202:
        return PendingIssuance(
            str(answer.get("transaction_id")), int(answer.get("interval", 5)), access,
            _check_url(metadata.get("deferred_credential_endpoint"), "deferred_credential_endpoint"),
            keys, config_id, configuration, issuer,
        )  # fmt: skip
    return _received(answer, keys, config_id, configuration, issuer)


def poll_deferred(pending: PendingIssuance, transport: Transport) -> Received | PendingIssuance:
    """Ask the deferred endpoint once: the credentials, or the same pending issuance again."""
    status, body = transport.post_json(
        pending.deferred_endpoint, {"transaction_id": pending.transaction_id}, bearer=pending.access_token
    )
    answer = _expect(status, body, "deferred credential request", 200, 202)
    if status == 202:
        return pending
    p = pending
    return _received(answer, p.keys, p.configuration_id, p.configuration, p.credential_issuer)


def _received(
    answer: Mapping[str, Any],
    keys: tuple[SigningKey, ...],
    config_id: str,
    configuration: Mapping[str, Any],
    issuer: str,
) -> Received:
    items = answer.get("credentials")
    if not isinstance(items, list) or len(items) != len(keys):
        raise MalformedError(f"expected {len(keys)} credential(s) in the response")
    bound: list[tuple[str, SigningKey]] = []
    by_kid = {key.kid: key for key in keys}
    for item in items:
        credential = item.get("credential") if isinstance(item, dict) else None
        if not isinstance(credential, str):
            raise MalformedError("a credential in the response is not a string")
        payload = parse_jws(parse(credential).jwt, what="issuer-signed JWT").payload
        cnf = payload.get("cnf")
        jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
        key = by_kid.pop(jwk_thumbprint(jwk), None) if isinstance(jwk, dict) else None
        if key is None:
            raise InputError("a received credential is not bound to one of the keys we proved")
        bound.append((credential, key))
    return Received(tuple(bound), config_id, configuration, issuer)
