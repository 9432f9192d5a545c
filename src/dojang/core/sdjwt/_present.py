"""Presentation (RFC 9901 §4.3): the holder keeps only the disclosures a recipient needs, then binds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from dojang.core.crypto import SigningKey, parse_jws, sign_jws
from dojang.core.sdjwt._disclosure import Disclosure, digest_of
from dojang.core.sdjwt._format import SdJwt, parse
from dojang.core.sdjwt._paths import ClaimPath, covers
from dojang.errors import InputError, MalformedError

__all__ = ["Serialization", "disclosure_paths", "present"]

#: How ``present`` writes its result: the compact form (RFC 9901 §4) or the JWS JSON serialization (§8).
Serialization = Literal["compact", "json"]


def disclosure_paths(payload: Mapping[str, Any], disclosures: Iterable[Disclosure]) -> dict[str, ClaimPath]:
    """Each disclosure's claim path in the fully disclosed credential, by digest."""
    by_digest = {d.digest: d for d in disclosures}
    try:
        return dict(_walk(payload, (), by_digest))
    except RecursionError:
        raise MalformedError("the credential's claims are nested too deeply") from None


def _walk(
    value: Any, path: ClaimPath, by_digest: Mapping[str, Disclosure]
) -> Iterator[tuple[str, ClaimPath]]:
    if isinstance(value, Mapping):
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise MalformedError("the credential's _sd is not an array of digests")
        for digest in digests:
            disclosure = by_digest.get(digest) if isinstance(digest, str) else None
            if disclosure is not None and disclosure.name is not None:
                place = (*path, disclosure.name)
                yield digest, place
                yield from _walk(disclosure.value, place, by_digest)
        for name, sub in value.items():
            if name not in {"_sd", "_sd_alg"}:
                yield from _walk(sub, (*path, name), by_digest)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            place = (*path, index)
            digest = item.get("...") if isinstance(item, Mapping) and len(item) == 1 else None
            disclosure = by_digest.get(digest) if isinstance(digest, str) else None
            if disclosure is not None and disclosure.name is None and isinstance(digest, str):
                yield digest, place
                yield from _walk(disclosure.value, place, by_digest)
            else:
                yield from _walk(item, place, by_digest)


def _existing(places: Iterable[ClaimPath], plain: Iterable[ClaimPath], wanted: ClaimPath) -> set[ClaimPath]:
    """The concrete claims a wanted path names: disclosed or plain places it matches in full."""
    return {p[: len(wanted)] for p in (*places, *plain) if len(p) >= len(wanted) and covers(wanted, p)}


def _plain_paths(value: Any, path: ClaimPath) -> Iterator[ClaimPath]:
    """Paths of claims in the clear (not behind a digest), so that naming one is not 'unknown'."""
    if isinstance(value, Mapping):
        for name, sub in value.items():
            if name not in {"_sd", "_sd_alg"}:
                yield (*path, name)
                yield from _plain_paths(sub, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not (isinstance(item, Mapping) and "..." in item):
                yield (*path, index)
                yield from _plain_paths(item, (*path, index))


def _select(issued: SdJwt, wanted: tuple[ClaimPath, ...]) -> tuple[Disclosure, ...]:
    """The disclosures that reveal the wanted claims: their own, those inside them, their parents.

    A path that names no claim in the credential selects nothing, so a typo never reveals a parent.
    """
    places = disclosure_paths(parse_jws(issued.jwt, what="issuer-signed JWT").payload, issued.disclosures)
    plain = [
        p for d in issued.disclosures if d.digest in places for p in _plain_paths(d.value, places[d.digest])
    ]
    payload_plain = _plain_paths(parse_jws(issued.jwt).payload, ())
    targets = set().union(*(_existing(places.values(), [*plain, *payload_plain], w) for w in wanted))
    return tuple(
        d
        for d in issued.disclosures
        if d.digest in places and any(covers(t, places[d.digest]) for t in targets)
    )


def present(
    sd_jwt: str | Mapping[str, Any],
    *,
    disclose: Iterable[ClaimPath] | None = None,
    holder_key: SigningKey | None = None,
    aud: str | None = None,
    nonce: str | None = None,
    iat: int | None = None,
    serialization: Serialization = "compact",
) -> str:
    """Keep the disclosures the ``disclose`` paths need (parents included; ``None`` keeps all).

    With ``holder_key``, append a KB-JWT over ``aud``, ``nonce``, ``iat`` and the ``sd_hash``.
    ``sd_jwt`` may be in either serialization; ``serialization="json"`` writes the JWS JSON
    serialization (General when ``sd_jwt`` was, else Flattened) with the KB-JWT in ``kb_jwt``.
    """
    if serialization not in {"compact", "json"}:
        raise InputError(f"serialization must be 'compact' or 'json', not {serialization!r}")
    issued = parse(sd_jwt)
    if issued.kb_jwt is not None:
        raise InputError("cannot present an SD-JWT that already carries a key binding JWT")
    kept = issued.disclosures if disclose is None else _select(issued, tuple(disclose))
    presentation = SdJwt(issued.jwt, kept, None, issued.envelope)
    kb_jwt = None
    if holder_key is not None:
        if aud is None or nonce is None or iat is None:
            raise InputError("a key binding JWT needs aud, nonce and iat")
        # The same text in both serializations (RFC 9901 §8.1): the compact form without the KB-JWT.
        body = presentation.without_kb()
        kb_claims = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": digest_of(body)}
        kb_jwt = sign_jws({"typ": "kb+jwt"}, kb_claims, holder_key)
        if serialization == "compact":
            return body + kb_jwt
    if serialization == "json":
        return SdJwt(issued.jwt, kept, kb_jwt, issued.envelope).serialize_json()
    return presentation.serialize()
