"""Issuance (RFC 9901 §4): conceal the chosen claims behind salted digests and sign once."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from dojang.core.crypto import Rng, SigningKey, sign_jws
from dojang.core.encoding import b64url_encode
from dojang.core.sdjwt._disclosure import RESERVED_NAMES, digest_of, disclosure_json, encode_json
from dojang.core.sdjwt._paths import ClaimPath, PathTree
from dojang.errors import InputError

try:
    from dojang.core._speedups import conceal as _c_conceal
except ImportError:  # an interpreter that cannot load the C module takes the Python walk below
    _c_conceal = None  # type: ignore[assignment]

__all__ = ["NEVER_SELECTIVE", "SALT_BYTES", "issue"]

#: Salt length: 144 bits (over the RFC 9901 §9.3 minimum of 128), a whole number of base64 quanta,
#: so one random draw encodes at once into many 24-character salts.
SALT_BYTES = 18
_SALT_CHARS = 24
_SALTS_PER_DRAW = 32
#: Claims SD-JWT VC forbids to be selectively disclosable (draft-ietf-oauth-sd-jwt-vc-12 §3.2.2.2).
NEVER_SELECTIVE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
_SCALARS = frozenset({str, int, float, bool, type(None)})


class _Concealer:
    """One issuance's walk over the claims, collecting disclosures in document order."""

    def __init__(self, rng: Rng, decoys: int) -> None:
        self.rng = rng
        self.decoys = decoys
        self.disclosures: list[str] = []
        self.salts: list[str] = []
        self._pool: list[str] = []

    def _salt(self) -> str:
        if not self._pool:
            drawn = b64url_encode(self.rng(SALT_BYTES * _SALTS_PER_DRAW))
            self._pool = [drawn[i : i + _SALT_CHARS] for i in range(0, len(drawn), _SALT_CHARS)]
        salt = self._pool.pop()
        self.salts.append(salt)
        return salt

    def _disclose(self, name: str | None, value: Any) -> str:
        encoded, digest = encode_json(disclosure_json(self._salt(), name, value))
        self.disclosures.append(encoded)
        return digest

    def _decoy(self) -> str:
        # A digest over a random salt is, to anyone without the salt, uniformly random 256 bits.
        return digest_of(self._salt())

    def value(self, value: Any, tree: PathTree | None) -> Any:
        if type(value) in _SCALARS:  # most claims: nothing to conceal or check inside
            return value
        if tree is None or not tree.children:
            _refuse_reserved(value)
            return value
        if isinstance(value, Mapping):
            return self.object(value, tree)
        if isinstance(value, list):
            return self.array(value, tree)
        return value

    def object(self, claims: Mapping[str, Any], tree: PathTree) -> dict[str, Any]:
        out: dict[str, Any] = {}
        digests: list[str] = []
        children = tree.children
        for name, raw in claims.items():
            if name in RESERVED_NAMES:
                raise InputError(f"claim name {name!r} is reserved by SD-JWT")
            sub = children.get(name)
            if sub is None:
                if type(raw) not in _SCALARS:
                    _refuse_reserved(raw)
                out[name] = raw
                continue
            value = raw if type(raw) in _SCALARS else self.value(raw, sub)
            if sub.marked:
                digests.append(self._disclose(name, value))
            else:
                out[name] = value
        if digests:
            digests.extend(self._decoy() for _ in range(self.decoys))
            # Sorted digests hide the claims' original order (RFC 9901 §4.2.4.1).
            out["_sd"] = sorted(digests)
        return out

    def array(self, items: list[Any], tree: PathTree) -> list[Any]:
        out: list[Any] = []
        for index, raw in enumerate(items):
            sub = tree.child(index)
            value = self.value(raw, sub)
            out.append({"...": self._disclose(None, value)} if sub is not None and sub.marked else value)
        return out


def _refuse_reserved(value: Any) -> None:
    """Plain claims must not contain ``_sd`` or ``...``: a verifier would read them as digests."""
    if isinstance(value, Mapping):
        for name, sub in value.items():
            if name in RESERVED_NAMES:
                raise InputError(f"claim name {name!r} is reserved by SD-JWT")
            _refuse_reserved(sub)
    elif isinstance(value, list):
        for item in value:
            _refuse_reserved(item)


@functools.lru_cache(maxsize=256)
def _tree(paths: tuple[ClaimPath, ...]) -> PathTree:
    """Issuers use the same few path sets (one per document kind) over and over; fold each once."""
    return PathTree.of(paths)


def issue(
    claims: Mapping[str, Any],
    *,
    sd: Iterable[ClaimPath],
    key: SigningKey,
    rng: Rng,
    header: Mapping[str, Any] | None = None,
    decoys: int = 0,
    typ: str | None = "dc+sd-jwt",
    holder_jwk: Mapping[str, Any] | None = None,
) -> str:
    """Issue an SD-JWT: the claims at the ``sd`` paths become disclosures, the rest stays plain.

    Returns ``<issuer-signed JWT>~<disclosure>~...~``. ``holder_jwk`` binds the credential to a
    holder key (``cnf.jwk``); ``decoys`` adds that many decoy digests to every ``_sd`` array.
    """
    tree = _tree(tuple(sd))
    if typ == "dc+sd-jwt":
        forbidden = sorted(
            name for name in NEVER_SELECTIVE if (child := tree.children.get(name)) and child.marked
        )
        if forbidden:
            raise InputError(f"SD-JWT VC claims {forbidden} must never be selectively disclosable")
    if tree.marked:
        raise InputError("the whole payload cannot be a disclosure; name the claims to conceal")
    for name in ("_sd_alg", *(("cnf",) if holder_jwk is not None else ())):
        if name in claims:
            raise InputError(f"claim {name!r} is set by issue() and must not be given")
    payload, disclosures = _conceal(claims, tree, rng, decoys)
    if holder_jwk is not None:
        payload["cnf"] = {"jwk": dict(holder_jwk)}
    payload["_sd_alg"] = "sha-256"
    head = dict(header or {})
    if typ is not None:
        head["typ"] = typ
    jwt = sign_jws(head, payload, key)
    return "~".join([jwt, *disclosures, ""])


def _conceal(
    claims: Mapping[str, Any], tree: PathTree, rng: Rng, decoys: int
) -> tuple[dict[str, Any], list[str]]:
    """The payload with digests in place of the concealed claims, and the disclosures in order.

    The C walk gives the same result for the same salts; anything unusual it leaves to the Python
    walk, which decides and words every refusal.
    """
    fast = _c_conceal(claims, tree, rng, decoys) if _c_conceal is not None else None
    if fast is not None:
        return fast
    concealer = _Concealer(rng, decoys)
    try:
        payload = concealer.object(claims, tree)
    except RecursionError:
        raise InputError("claims are nested too deeply") from None
    if len(set(concealer.salts)) != len(concealer.salts):
        raise InputError("the random source repeated a salt; refusing to issue (is it really random?)")
    return payload, concealer.disclosures
