"""Presentation (RFC 9901 §4.3): the holder keeps only the disclosures a recipient needs, then binds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dojang.core.crypto import SigningKey, parse_jws, sign_jws
from dojang.core.sdjwt._disclosure import Disclosure, digest_of
from dojang.core.sdjwt._format import SdJwt, parse
from dojang.core.sdjwt._paths import ClaimPath, covers
from dojang.errors import InputError

__all__ = ["disclosure_paths", "present"]


def disclosure_paths(payload: Mapping[str, Any], disclosures: Iterable[Disclosure]) -> dict[str, ClaimPath]:
    """Each disclosure's claim path in the fully disclosed credential, by digest."""
    by_digest = {d.digest: d for d in disclosures}
    return dict(_walk(payload, (), by_digest))


def _walk(
    value: Any, path: ClaimPath, by_digest: Mapping[str, Disclosure]
) -> Iterator[tuple[str, ClaimPath]]:
    if isinstance(value, Mapping):
        for digest in value.get("_sd", ()):
            disclosure = by_digest.get(digest) if isinstance(digest, str) else None
            if disclosure is not None and disclosure.name is not None:
                place = (*path, disclosure.name)
                yield digest, place
                yield from _walk(disclosure.value, place, by_digest)
        for name, sub in value.items():
            if name not in ("_sd", "_sd_alg"):
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


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[ClaimPath] | None = None,
    holder_key: SigningKey | None = None,
    aud: str | None = None,
    nonce: str | None = None,
    iat: int | None = None,
) -> str:
    """Keep the disclosures the ``disclose`` paths need (parents included; ``None`` keeps all).

    With ``holder_key``, append a KB-JWT over ``aud``, ``nonce``, ``iat`` and the ``sd_hash``.
    """
    issued = parse(sd_jwt)
    if issued.kb_jwt is not None:
        raise InputError("cannot present an SD-JWT that already carries a key binding JWT")
    kept = issued.disclosures
    if disclose is not None:
        wanted = tuple(disclose)
        places = disclosure_paths(parse_jws(issued.jwt, what="issuer-signed JWT").payload, kept)
        kept = tuple(
            d for d in kept if d.digest in places and any(covers(w, places[d.digest]) for w in wanted)
        )
    presentation = SdJwt(issued.jwt, kept, None)
    if holder_key is None:
        return presentation.serialize()
    if aud is None or nonce is None or iat is None:
        raise InputError("a key binding JWT needs aud, nonce and iat")
    body = presentation.without_kb()
    kb_claims = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": digest_of(body)}
    return body + sign_jws({"typ": "kb+jwt"}, kb_claims, holder_key)
