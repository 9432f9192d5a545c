"""The reference ``sd-jwt`` package (0.10.4, on jwcrypto) issuing and verifying the bench credential.

Imported only when that package is installed (it is a dev dependency): ``dojang.cli._bench`` checks first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

# jwcrypto ships no type information; its keys are handled as Any here.
from jwcrypto.jwk import JWK  # type: ignore[import-untyped]
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

__all__ = ["ref_issue_op", "ref_verify_op"]

ClaimPath = tuple[str | int | None, ...]


def _mark(value: Any, sd: Collection[ClaimPath], at: ClaimPath = ()) -> Any:
    """The claims with every ``sd`` place wrapped in ``SDObj``, as the reference package expects."""
    if isinstance(value, Mapping):
        return {
            (SDObj(name) if (*at, name) in sd else name): _mark(sub, sd, (*at, name))
            for name, sub in value.items()
        }
    if isinstance(value, list):
        inner = (*at, None)
        return [SDObj(_mark(item, sd, inner)) if inner in sd else _mark(item, sd, inner) for item in value]
    return value


def _disclose_all(value: Any) -> Any:
    """The reference holder's "which claims" argument that keeps every disclosure."""
    if isinstance(value, Mapping):
        return {name: _disclose_all(sub) for name, sub in value.items()}
    if isinstance(value, list):
        return [_disclose_all(item) for item in value]
    return True


def _keys() -> tuple[Any, Any]:
    return JWK.generate(kty="EC", crv="P-256"), JWK.generate(kty="EC", crv="P-256")


def _issuer(payload: Mapping[str, Any], sd: Collection[ClaimPath]) -> tuple[Any, Callable[[], str]]:
    issuer_key, holder_key = _keys()
    marked = _mark(payload, frozenset(sd))
    header = {"typ": "dc+sd-jwt", "kid": issuer_key.thumbprint()}

    def issue() -> str:
        issued: str = SDJWTIssuer(
            marked, issuer_key, holder_key, sign_alg="ES256", extra_header_parameters=header
        ).sd_jwt_issuance
        return issued

    return (issuer_key, holder_key), issue


def ref_issue_op(payload: Mapping[str, Any], sd: Collection[ClaimPath]) -> tuple[Callable[[], object], int]:
    """One issuance by the reference package of ``payload`` with the ``sd`` places concealed."""
    _, issue = _issuer(payload, sd)
    return issue, issue().count("~") - 1


def ref_verify_op(
    payload: Mapping[str, Any], sd: Collection[ClaimPath], *, aud: str, nonce: str
) -> tuple[Callable[[], object], int]:
    """One verification by the reference package of a full presentation with a KB-JWT."""
    (issuer_key, holder_key), issue = _issuer(payload, sd)
    holder = SDJWTHolder(issue())
    holder.create_presentation(_disclose_all(payload), nonce=nonce, aud=aud, holder_key=holder_key)
    presentation: str = holder.sd_jwt_presentation
    issuer_public = JWK.from_json(issuer_key.export_public())

    def verify() -> object:
        verifier = SDJWTVerifier(presentation, lambda _iss, _header: issuer_public, aud, nonce)
        return verifier.get_verified_payload()

    claims = verify()
    if not isinstance(claims, dict) or {k: v for k, v in claims.items() if k != "cnf"} != payload:
        raise RuntimeError("the reference package did not recover the issued claims")
    return verify, presentation.count("~") - 1
