"""OpenID4VCI 1.0 issuance, pre-authorized code flow: metadata, offers, token, nonce, credential, deferred.

Pinned: OpenID for Verifiable Credential Issuance 1.0 (final; read against the editor's draft -17
text), with OAuth 2.0 (RFC 6749) token errors, RFC 6750 bearer errors and RFC 8414 metadata.

The platform is one Credential Issuer (``issuer_url``, the public base URL) that also acts as its
own Authorization Server; each offer names the agency whose key signs the credential (its ``iss``).
One credential configuration per catalogue kind, identified by the kind's id (format ``dc+sd-jwt``).
A kind whose catalogue entry says ``"issuance": "deferred"`` is offered deferred unless the offer
says otherwise: the wallet gets a ``transaction_id`` and the credential once the back office approved.

State lives behind the :class:`Oid4vciStore` port so that any worker can serve any step: an offer
row moves ``offered`` → ``token`` → ``issued`` (or ``pending`` → ``issued`` when deferred), or to
``burned`` after too many wrong PINs, each move a compare-and-set on the row's ``version``. A c_nonce
is stateless until used: its expiry and a random part under an HMAC of the issuer's nonce key, so the
nonce endpoint writes nothing (no fsync per nonce, and no row for anyone who asks); using one records
its digest until it expires, so each is single use. Codes, PINs, tokens, used nonces and transaction
ids are stored as SHA-256 digests only.
Every refusal raises :class:`OAuthError` (its ``error`` code is the spec's) before anything stored
changes, except the wrong-PIN counter, which exists to change.
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import quote

from dojang.core.catalogue import Catalogue, DocumentKind
from dojang.core.crypto import Rng, parse_jws, sha256, verify_jws, verify_key_from_jwk
from dojang.core.encoding import b64url_decode, b64url_encode, loads_strict
from dojang.errors import DojangError, InputError, NotFoundError

__all__ = [
    "CREDENTIAL_FORMAT",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYP",
    "CreatedOffer",
    "CredentialMinter",
    "InvalidTokenError",
    "OAuthError",
    "Oid4vciConfig",
    "Oid4vciIssuer",
    "Oid4vciStore",
    "StoredOffer",
    "check_proof",
    "offer_link",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
CREDENTIAL_FORMAT = "dc+sd-jwt"
OFFER_SCHEME = "openid-credential-offer://"
_ALGS = frozenset({"ES256"})
_NONCE_RANDOM = 16  # bytes of randomness in a c_nonce
_NONCE_MAC = 16  # bytes of its HMAC-SHA-256 kept
_DEFERRED_NOTE = {
    "ko": "발급기관 담당자가 확인한 뒤 발급됩니다 (지연 발급).",
    "en": "Issued once the agency's back office has checked the request (deferred issuance).",
}
OfferState = Literal["offered", "token", "pending", "issued", "burned"]


class OAuthError(InputError):
    """A refusal with the spec's ``error`` code: HTTP 400 with ``{"error", "error_description"}``."""

    http_status = 400

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error

    def body(self) -> dict[str, str]:
        # error_description must stay within %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
        text = "".join(c for c in self.message if " " <= c <= "~" and c not in '"\\')
        return {"error": self.error, "error_description": text}


class InvalidTokenError(OAuthError):
    """RFC 6750 §3.1: no usable access token (HTTP 401 with ``WWW-Authenticate: Bearer``)."""

    http_status = 401

    def __init__(self, description: str) -> None:
        super().__init__("invalid_token", description)


@dataclass(frozen=True, slots=True)
class StoredOffer:
    """One offer and the flow it started, as the store keeps it (secrets as SHA-256 digests)."""

    id: str
    code_hash: bytes
    pin_hash: bytes | None
    pin_length: int
    #: The agency's issuer id; "" for the data directory's own (uncertified) issuer key.
    agency: str
    kind: str
    citizen: str
    property_id: str | None
    document: str
    created: int
    expires: int
    deferred: bool
    state: OfferState = "offered"
    attempts: int = 0
    token_hash: bytes | None = None
    token_expires: int = 0
    transaction_hash: bytes | None = None
    holder_jwks: str | None = None
    ready: bool = False
    version: int = 1


class Oid4vciStore(Protocol):
    """Offers and c_nonces; each ``save_offer``/``consume`` is one transaction."""

    def add_offer(self, offer: StoredOffer) -> None: ...

    def offer(self, *, id: str | None = None, code_hash: bytes | None = None,  # noqa: A002 - the column
              token_hash: bytes | None = None) -> StoredOffer | None: ...  # fmt: skip

    def save_offer(self, offer: StoredOffer, *, version: int) -> bool:
        """Write ``offer`` (with ``version + 1``) if the stored row is still at ``version``."""
        ...

    def consume(
        self, offer: StoredOffer, *, version: int, nonces: Sequence[tuple[bytes, int]], now: int
    ) -> bool:
        """Record the ``(digest, expires)`` nonces as used and save ``offer`` at ``version``, all or
        nothing: False when one was used before or the offer moved on. Forgets nonces expired at ``now``."""
        ...


class CredentialMinter(Protocol):
    """The agency's issuance path: sign ``offer``'s credential bound to ``holder_jwk`` (logged, with a
    status index) and return the SD-JWT VC."""

    def __call__(self, offer: StoredOffer, holder_jwk: Mapping[str, Any], now: int) -> str: ...


@dataclass(frozen=True)
class Oid4vciConfig:
    """The issuer's identifier (its public base URL) and its limits, in seconds where times."""

    issuer_url: str
    batch_size: int = 4
    offer_ttl: int = 7 * 86_400
    token_ttl: int = 600
    nonce_ttl: int = 300
    pin_length: int = 6
    max_pin_attempts: int = 5
    proof_max_age: int = 300
    skew: int = 60
    deferred_interval: int = 5

    def url(self, path: str) -> str:
        return self.issuer_url.rstrip("/") + path


@dataclass(frozen=True, slots=True)
class CreatedOffer:
    """What the agency hands the citizen: the link (QR content), its PIN, and the offer itself."""

    id: str
    link: str
    pin: str | None
    document: Mapping[str, Any]
    offer_uri: str
    #: Whether the credential waits for the back office's approval (``approve``).
    deferred: bool = False


def offer_link(document: Mapping[str, Any] | None = None, *, uri: str | None = None) -> str:
    """``openid-credential-offer://?credential_offer=…`` (by value) or ``?credential_offer_uri=…``."""
    if uri is not None:
        return f"{OFFER_SCHEME}?credential_offer_uri={quote(uri, safe='')}"
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return f"{OFFER_SCHEME}?credential_offer={quote(text, safe='')}"


def _digest(*parts: bytes) -> bytes:
    return sha256(b"\x00".join(parts))


def _pin_hash(code: str, pin: str) -> bytes:
    # Bound to the code: without it, the 10^6 possible PINs give nothing to guess against.
    return _digest(b"tx_code", code.encode(), pin.encode())


def check_proof(
    token: Any, *, audience: str, now: int, max_age: int, skew: int
) -> tuple[dict[str, Any], str]:
    """Check one ``openid4vci-proof+jwt`` (§F.1): its ``jwk`` header key and its ``nonce``.

    Raises OAuthError ``invalid_proof`` for anything but the nonce's validity, which the caller checks.
    """
    if not isinstance(token, str):
        raise OAuthError("invalid_proof", "each jwt proof must be a string")
    try:
        parts = parse_jws(token, what="proof")
    except InputError as exc:
        raise OAuthError("invalid_proof", exc.message) from None
    header, payload = parts.header, parts.payload
    if header.get("typ") != PROOF_TYP:
        raise OAuthError("invalid_proof", f"proof typ must be {PROOF_TYP}")
    if "kid" in header or "x5c" in header or not isinstance(header.get("jwk"), dict):
        raise OAuthError("invalid_proof", "proof must carry its key as a jwk header (and no kid or x5c)")
    jwk = dict(header["jwk"])
    if "d" in jwk:
        raise OAuthError("invalid_proof", "the proof's jwk header holds a private key")
    try:
        verify_jws(parts, verify_key_from_jwk(jwk), allowed_algs=_ALGS, what="proof")
    except DojangError as exc:
        raise OAuthError("invalid_proof", exc.message) from None
    aud = payload.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise OAuthError("invalid_proof", f"proof aud must be the credential issuer {audience}")
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int) or not now - max_age - skew <= iat <= now + skew:
        raise OAuthError("invalid_proof", "proof iat is missing, too old or in the future")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise OAuthError("invalid_proof", "proof carries no c_nonce (get one from the nonce endpoint)")
    return jwk, nonce


@dataclass(frozen=True)
class Oid4vciIssuer:
    """The protocol over a store, a catalogue and the agency's issuance path; clock values passed in."""

    store: Oid4vciStore
    catalogue: Catalogue
    config: Oid4vciConfig
    mint: CredentialMinter
    rng: Rng
    #: The HMAC key of c_nonces (asked for when first needed): the same in every worker, secret.
    nonce_key: Callable[[], bytes] = field(repr=False)

    def _secret(self) -> str:
        return b64url_encode(self.rng(32))

    # -- metadata ----------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """Credential Issuer Metadata (§12.2): one ``dc+sd-jwt`` configuration per catalogue kind."""
        return self._metadata

    @functools.cached_property
    def _metadata(self) -> dict[str, Any]:
        # Built once: it depends only on the configuration and the catalogue, both fixed.
        c = self.config
        return {
            "credential_issuer": c.issuer_url,
            "credential_endpoint": c.url("/credential"),
            "nonce_endpoint": c.url("/nonce"),
            "deferred_credential_endpoint": c.url("/deferred-credential"),
            "batch_credential_issuance": {"batch_size": c.batch_size},
            "display": [
                {"name": "도장 전자증명서 발급", "locale": "ko"},
                {"name": "dojang electronic certificates", "locale": "en"},
            ],
            "credential_configurations_supported": {
                kind.id: configuration(kind) for kind in self.catalogue.kinds()
            },
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata of the issuer acting as its own Authorization Server (pre-authorized only)."""
        return {
            "issuer": self.config.issuer_url,
            "token_endpoint": self.config.url("/token"),
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True,
            "token_endpoint_auth_methods_supported": ["none"],
        }

    # -- offers ------------------------------------------------------------------------------------

    def create_offer(
        self,
        *,
        agency: str,
        kind_id: str,
        citizen: str,
        now: int,
        property_id: str | None = None,
        deferred: bool | None = None,
        by_reference: bool = False,
        pin: bool = True,
    ) -> CreatedOffer:
        """Store a new offer of ``kind_id`` for ``citizen`` and return its link and one-time PIN.

        ``deferred`` (wait for :meth:`approve`) defaults to the kind's catalogue ``issuance``. The
        caller has checked that ``agency`` may issue the kind (accreditation) and that the registry
        holds the citizen.
        """
        kind = self.catalogue.get(kind_id)
        deferred = kind.deferred if deferred is None else deferred
        offer_id, code = self._secret(), self._secret()
        tx_pin = "".join(str(b % 10) for b in self.rng(self.config.pin_length)) if pin else None
        grant: dict[str, Any] = {"pre-authorized_code": code}
        if tx_pin is not None:
            grant["tx_code"] = {
                "input_mode": "numeric",
                "length": len(tx_pin),
                "description": "발급기관이 알려 준 PIN을 입력하세요 / Enter the PIN the agency gave you",
            }
        document = {
            "credential_issuer": self.config.issuer_url,
            "credential_configuration_ids": [kind.id],
            "grants": {PRE_AUTHORIZED_GRANT: grant},
        }
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        self.store.add_offer(
            StoredOffer(
                id=offer_id,
                code_hash=_digest(b"code", code.encode()),
                pin_hash=None if tx_pin is None else _pin_hash(code, tx_pin),
                pin_length=len(tx_pin or ""),
                agency=agency,
                kind=kind.id,
                citizen=citizen,
                property_id=property_id,
                document=text,
                created=now,
                expires=now + self.config.offer_ttl,
                deferred=deferred,
            )
        )
        uri = self.config.url(f"/credential-offer/{offer_id}")
        link = offer_link(uri=uri) if by_reference else offer_link(document)
        return CreatedOffer(offer_id, link, tx_pin, document, uri, deferred)

    def offer_document(self, offer_id: str, now: int) -> dict[str, Any]:
        """The offer behind a ``credential_offer_uri``, while it can still be redeemed."""
        offer = self.store.offer(id=offer_id)
        if offer is None or offer.state != "offered" or offer.expires <= now:
            raise NotFoundError("no open credential offer with this id")
        document: dict[str, Any] = loads_strict(offer.document, what="stored offer")
        return document

    def approve(self, offer_id: str) -> StoredOffer:
        """Back office: the deferred offer's credential may now be issued (its next deferred request)."""
        offer = self.store.offer(id=offer_id)
        if offer is None or not offer.deferred:
            raise NotFoundError(f"no deferred offer {offer_id!r}")
        if not offer.ready and not self.store.save_offer(replace(offer, ready=True), version=offer.version):
            raise InputError("the offer changed meanwhile; approve again")
        return replace(offer, ready=True, version=offer.version + 1)

    # -- token endpoint ----------------------------------------------------------------------------

    def token(self, form: Mapping[str, Sequence[str]], now: int) -> dict[str, Any]:
        """Token Response for a pre-authorized code (§6): a one-time code, a PIN with an attempt limit."""
        grant_type, code, pin = (
            _single(form, name) for name in ("grant_type", "pre-authorized_code", "tx_code")
        )
        if grant_type is not None and grant_type != PRE_AUTHORIZED_GRANT:
            raise OAuthError("unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported")
        if grant_type is None or code is None:
            raise OAuthError("invalid_request", "grant_type and pre-authorized_code are required")
        offer = self.store.offer(code_hash=_digest(b"code", code.encode()))
        if offer is None or offer.state != "offered" or offer.expires <= now:
            raise OAuthError("invalid_grant", "the pre-authorized code is unknown, used or expired")
        if (offer.pin_hash is None) != (pin is None):
            expected = "a tx_code is required" if pin is None else "this offer takes no tx_code"
            raise OAuthError("invalid_request", expected)
        if offer.pin_hash is not None and not hmac.compare_digest(offer.pin_hash, _pin_hash(code, pin or "")):
            self._wrong_pin(offer)
        token = self._secret()
        granted = replace(
            offer, state="token", token_hash=_digest(b"token", token.encode()),
            token_expires=now + self.config.token_ttl,
        )  # fmt: skip
        if not self.store.save_offer(granted, version=offer.version):
            raise OAuthError("invalid_grant", "the pre-authorized code was used concurrently")
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.config.token_ttl,
            "authorization_details": [
                {
                    "type": "openid_credential",
                    "credential_configuration_id": offer.kind,
                    "credential_identifiers": [offer.kind],
                }
            ],
        }

    def _wrong_pin(self, offer: StoredOffer) -> None:
        attempts = offer.attempts + 1
        burned = attempts >= self.config.max_pin_attempts
        counted = replace(offer, attempts=attempts, state="burned" if burned else offer.state)
        self.store.save_offer(counted, version=offer.version)
        left = self.config.max_pin_attempts - attempts
        why = "the offer is now void" if burned else f"{left} attempt(s) left"
        raise OAuthError("invalid_grant", f"wrong tx_code: {why}")

    # -- nonce endpoint ----------------------------------------------------------------------------

    def nonce(self, now: int) -> str:
        """A fresh single-use c_nonce, valid ``nonce_ttl`` seconds; nothing is stored until it is used."""
        body = (now + self.config.nonce_ttl).to_bytes(8, "big") + self.rng(_NONCE_RANDOM)
        return b64url_encode(body + self._nonce_mac(body))

    def _nonce_mac(self, body: bytes) -> bytes:
        return hmac.digest(self.nonce_key(), b"dojang c_nonce\x00" + body, "sha256")[:_NONCE_MAC]

    def _nonce(self, value: str, now: int) -> tuple[bytes, int]:
        """The used-nonce record ``(digest, expires)`` of a c_nonce this issuer made that is still valid."""
        try:
            raw = b64url_decode(value)
        except InputError:
            raw = b""
        body, mac = raw[: 8 + _NONCE_RANDOM], raw[8 + _NONCE_RANDOM :]
        if len(raw) != 8 + _NONCE_RANDOM + _NONCE_MAC or not hmac.compare_digest(mac, self._nonce_mac(body)):
            raise OAuthError("invalid_nonce", "the c_nonce is unknown: get one from the nonce endpoint")
        expires = int.from_bytes(body[:8], "big")
        if expires <= now:
            raise OAuthError("invalid_nonce", "the c_nonce has expired: get a new one")
        return _digest(b"nonce", value.encode()), expires

    # -- credential endpoints ----------------------------------------------------------------------

    def _authorized(self, bearer: str | None, now: int) -> StoredOffer:
        if not bearer:
            raise InvalidTokenError("an access token (Authorization: Bearer) is required")
        offer = self.store.offer(token_hash=_digest(b"token", bearer.encode()))
        if offer is None or offer.token_expires <= now or offer.state == "burned":
            raise InvalidTokenError("the access token is unknown or expired")
        return offer

    def credential(self, bearer: str | None, body: Any, now: int) -> tuple[int, dict[str, Any]]:
        """Credential Response (§8): 200 with one credential per proof key, or 202 when deferred."""
        offer = self._authorized(bearer, now)
        _, proofs = self._request(body, offer)
        if offer.state != "token":
            raise InvalidTokenError("this access token has already been used")
        jwks = self._proof_keys(proofs, now)
        if offer.deferred:
            transaction = self._secret()
            pending = replace(
                offer, state="pending", transaction_hash=_digest(b"transaction", transaction.encode()),
                holder_jwks=json.dumps([jwk for jwk, _ in jwks]),
            )  # fmt: skip
            self._consume(offer, pending, jwks, now)
            return 202, {"transaction_id": transaction, "interval": self.config.deferred_interval}
        self._consume(offer, replace(offer, state="issued"), jwks, now)
        return 200, {"credentials": self._mint_all(offer, [jwk for jwk, _ in jwks], now)}

    def deferred(self, bearer: str | None, body: Any, now: int) -> tuple[int, dict[str, Any]]:
        """Deferred Credential Response (§9): 202 again until the back office approved, then 200."""
        offer = self._authorized(bearer, now)
        transaction = body.get("transaction_id") if isinstance(body, dict) else None
        if not isinstance(transaction, str):
            raise OAuthError("invalid_credential_request", "transaction_id is required")
        expected = offer.transaction_hash
        if (
            expected is None
            or offer.state != "pending"
            or not hmac.compare_digest(expected, _digest(b"transaction", transaction.encode()))
        ):
            raise OAuthError("invalid_transaction_id", "unknown or already used transaction_id")
        if not offer.ready:
            return 202, {"transaction_id": transaction, "interval": self.config.deferred_interval}
        if not self.store.save_offer(replace(offer, state="issued"), version=offer.version):
            raise OAuthError("invalid_transaction_id", "the transaction was completed concurrently")
        jwks = loads_strict(offer.holder_jwks or "[]", what="stored holder keys")
        return 200, {"credentials": self._mint_all(offer, jwks, now)}

    def _request(self, body: Any, offer: StoredOffer) -> tuple[str, list[Any]]:
        if not isinstance(body, dict):
            raise OAuthError("invalid_credential_request", "the request body must be a JSON object")
        config_id, identifier = body.get("credential_configuration_id"), body.get("credential_identifier")
        if (config_id is None) == (identifier is None):
            raise OAuthError(
                "invalid_credential_request",
                "give exactly one of credential_configuration_id and credential_identifier",
            )
        if identifier is not None and identifier != offer.kind:
            raise OAuthError("unknown_credential_identifier", "the access token grants no such identifier")
        chosen = config_id if config_id is not None else identifier
        if not isinstance(chosen, str) or chosen not in self._metadata["credential_configurations_supported"]:
            raise OAuthError("unknown_credential_configuration", f"no credential configuration {chosen!r}")
        if chosen != offer.kind:
            raise OAuthError(
                "invalid_credential_request", "the access token was granted for another configuration"
            )
        if "proof" in body:
            raise OAuthError("invalid_credential_request", "use proofs (OpenID4VCI 1.0), not proof")
        proofs = body.get("proofs")
        if not isinstance(proofs, dict) or set(proofs) != {"jwt"} or not isinstance(proofs["jwt"], list):
            raise OAuthError("invalid_proof", 'proofs must be {"jwt": [...]}')
        if not 1 <= len(proofs["jwt"]) <= self.config.batch_size:
            raise OAuthError("invalid_proof", f"send between 1 and {self.config.batch_size} proofs")
        return chosen, list(proofs["jwt"])

    def _proof_keys(self, proofs: Sequence[Any], now: int) -> list[tuple[dict[str, Any], tuple[bytes, int]]]:
        c = self.config
        checked = [
            check_proof(p, audience=c.issuer_url, now=now, max_age=c.proof_max_age, skew=c.skew)
            for p in proofs
        ]
        thumbprints = {verify_key_from_jwk(jwk).kid for jwk, _ in checked}
        if len(thumbprints) != len(checked):
            raise OAuthError("invalid_proof", "each proof in a batch must use its own key")
        return [(jwk, self._nonce(nonce, now)) for jwk, nonce in checked]

    def _consume(
        self, offer: StoredOffer, after: StoredOffer, jwks: Sequence[tuple[Any, tuple[bytes, int]]], now: int
    ) -> None:
        nonces = sorted({nonce for _, nonce in jwks})
        if not self.store.consume(after, version=offer.version, nonces=nonces, now=now):
            raise OAuthError("invalid_nonce", "the c_nonce was used already: get a new one")

    def _mint_all(
        self, offer: StoredOffer, jwks: Sequence[Mapping[str, Any]], now: int
    ) -> list[dict[str, str]]:
        try:
            return [{"credential": self.mint(offer, jwk, now)} for jwk in jwks]
        except DojangError as exc:
            # Hand the offer back (the row moved one version on), so that the wallet can retry.
            self.store.save_offer(offer, version=offer.version + 1)
            raise OAuthError("credential_request_denied", exc.message) from exc


def configuration(kind: DocumentKind) -> dict[str, Any]:
    """The ``dc+sd-jwt`` credential configuration of one catalogue kind, with ko/en display."""
    never = set(kind.never_paths())
    claims = [
        {
            "path": list(path),
            "display": [{"name": labels["ko"], "locale": "ko"}, {"name": labels["en"], "locale": "en"}],
        }
        for path, labels in kind.labels.items()
        if path not in never and not any(path[: len(n)] == n for n in never)
    ]
    display: list[dict[str, str]] = [
        {"name": kind.title("ko"), "locale": "ko"},
        {"name": kind.title("en"), "locale": "en"},
    ]
    if kind.deferred:
        # No metadata parameter says "deferred"; the display's description tells the holder.
        display[0]["description"] = _DEFERRED_NOTE["ko"]
        display[1]["description"] = _DEFERRED_NOTE["en"]
    return {
        "format": CREDENTIAL_FORMAT,
        "vct": kind.vct,
        "scope": kind.id,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": sorted(_ALGS),
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": sorted(_ALGS)}},
        "credential_metadata": {"display": display, "claims": claims},
    }


def _single(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} is repeated")
    return values[0]
