"""Present a held credential: only the claims the holder names, bound to the recipient and its nonce."""

from __future__ import annotations

from collections.abc import Iterable

from dojang.core.catalogue import parse_path
from dojang.core.crypto import SigningKey
from dojang.core.sdjwt import ClaimPath, present
from dojang.errors import InputError

__all__ = ["claim_paths", "present_claims"]


def claim_paths(names: Iterable[str]) -> tuple[ClaimPath, ...]:
    """``["name", "address", "members[0].name"]`` as claim paths; a bad name is an InputError."""
    paths = []
    for name in names:
        try:
            paths.append(parse_path(name.strip()))
        except ValueError as exc:
            raise InputError(str(exc)) from None
    return tuple(paths)


def present_claims(
    sd_jwt: str,
    *,
    claims: Iterable[str] | None,
    holder_key: SigningKey,
    audience: str,
    nonce: str,
    now: int,
) -> str:
    """A presentation disclosing ``claims`` (all when ``None``) with a KB-JWT for ``audience``."""
    paths = None if claims is None else claim_paths(claims)
    return present(sd_jwt, disclose=paths, holder_key=holder_key, aud=audience, nonce=nonce, iat=now)
