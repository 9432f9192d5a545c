"""dojang and the `sd-jwt` reference package (0.10.4) read each other's credentials and presentations.

In the compact serialization both ways; in the JWS JSON serialization as far as the package's older
layout allows (see the section at the end).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

import pytest
import sd_jwt
import sd_jwt.holder
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from sd_jwt.common import SDJWTCommon, SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from dojang.core.crypto import SigningKey, generate_key, verify_key_from_jwk
from dojang.core.encoding import b64url_decode, b64url_encode, json_b64url
from dojang.core.sdjwt import ClaimPath, KbExpectation, issue, parse, present, verify
from dojang.errors import AudienceError, MalformedError

# The reference package's own test keys (tests/assets/sd-jwt-python/settings.yml); fixed on purpose.
ISSUER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "d": "Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g",
    "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
    "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8",
}
HOLDER_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "d": "5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I",
    "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
    "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ",
}
AUD = "https://bank.example.kr/verifier"
NONCE = "n-0S6_WzA2Mj"
NOW = 1750000000
VCT = "https://dojang.example.kr/vct/family-relation/1"

# One credential in plain form with the paths to conceal: nested objects, per-element arrays,
# a recursive disclosure and non-ASCII text, as the platform's certificates have them.
CLAIMS: dict[str, Any] = {
    "iss": "https://issuer.example.kr",
    "iat": 1740000000,
    "exp": 1900000000,
    "vct": VCT,
    "given_name": "길동",
    "family_name": "홍",
    "birthdate": "1990-01-01",
    "address": {"region": "서울특별시", "locality": "종로구", "street_address": "세종대로 209"},
    "members": [
        {"relation": "father", "name": "홍판서"},
        {"relation": "mother", "name": "춘섬"},
    ],
    "nationalities": ["KR", "US"],
}
SD: list[ClaimPath] = [
    ("given_name",),
    ("family_name",),
    ("birthdate",),
    ("address",),
    ("address", "street_address"),
    ("members", 0),
    ("members", 1),
    ("members", None, "name"),
    ("nationalities", 1),
]
DISCLOSE: list[ClaimPath] = [("family_name",), ("address", "region"), ("members", 1, "name")]
DISCLOSED_CLAIMS = {
    **{k: CLAIMS[k] for k in ("iss", "iat", "exp", "vct")},
    "family_name": "홍",
    "address": {"region": "서울특별시", "locality": "종로구"},
    "members": [{"relation": "mother", "name": "춘섬"}],
    "nationalities": ["KR"],
}


def _public(jwk: Mapping[str, Any]) -> dict[str, Any]:
    return {name: jwk[name] for name in ("kty", "crv", "x", "y")}


def _signing_key(jwk: Mapping[str, Any]) -> SigningKey:
    """Import a private JWK (test-side: dojang's API has no importer for private JWKs)."""
    public = verify_key_from_jwk(_public(jwk))
    private = ec.derive_private_key(int.from_bytes(b64url_decode(jwk["d"]), "big"), ec.SECP256R1())
    return SigningKey(alg="ES256", kid=public.kid, public=public, _key=private)


def _jwcrypto(jwk: Mapping[str, Any]) -> JWK:
    return JWK.from_json(json.dumps(dict(jwk)))


def _reference_claims(value: Any, sd: list[ClaimPath], path: ClaimPath = ()) -> Any:
    """CLAIMS with the SD paths wrapped in the reference package's SDObj."""

    def marked(p: ClaimPath) -> bool:
        return any(
            len(s) == len(p)
            and all(a == b or (a is None and isinstance(b, int)) for a, b in zip(s, p, strict=True))
            for s in sd
        )

    if isinstance(value, dict):
        return {
            (SDObj(k) if marked((*path, k)) else k): _reference_claims(v, sd, (*path, k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        items = [_reference_claims(v, sd, (*path, i)) for i, v in enumerate(value)]
        return [SDObj(v) if marked((*path, i)) else v for i, v in enumerate(items)]
    return value


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference package's globals, set for one test only."""
    # SD_JWT_HEADER is read from the environment when sd_jwt is imported, so the class attribute
    # is what decides the typ now; set both so the intent is plain.
    monkeypatch.setenv("SD_JWT_HEADER", "dc+sd-jwt")
    monkeypatch.setattr(SDJWTCommon, "SD_JWT_HEADER", "dc+sd-jwt")
    monkeypatch.setattr(SDJWTCommon, "unsafe_randomness", False)
    # The reference holder stamps its KB-JWT with time.time(); pin it to the test's clock.
    monkeypatch.setattr(sd_jwt.holder, "time", lambda: float(NOW))


def test_reference_package_version() -> None:
    assert sd_jwt.__version__ == "0.10.4"


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("decoys", [False, True])
def test_dojang_verifies_what_the_reference_package_issues_and_presents(decoys: bool) -> None:
    issuer = SDJWTIssuer(
        _reference_claims(CLAIMS, SD),
        _jwcrypto(ISSUER_JWK),
        holder_key=_jwcrypto(HOLDER_JWK),
        add_decoy_claims=decoys,
    )
    issued = issuer.sd_jwt_issuance
    issuer_key = verify_key_from_jwk(_public(ISSUER_JWK))

    everything = verify(issued, issuer_key=issuer_key, now=NOW)
    assert everything.header == {"alg": "ES256", "typ": "dc+sd-jwt"}
    assert everything.claims == {**CLAIMS, "cnf": {"jwk": _public(HOLDER_JWK)}}
    assert len(parse(issued).disclosures) == len(issuer.ii_disclosures) == 10

    holder = SDJWTHolder(issued)
    holder.create_presentation(
        {"family_name": True, "address": {"region": True}, "members": [None, {"name": True}]},
        nonce=NONCE,
        aud=AUD,
        holder_key=_jwcrypto(HOLDER_JWK),
    )
    verified = verify(
        holder.sd_jwt_presentation, issuer_key=issuer_key, now=NOW, kb=KbExpectation(AUD, NONCE)
    )
    assert verified.claims == {**DISCLOSED_CLAIMS, "cnf": {"jwk": _public(HOLDER_JWK)}}
    assert verified.kb_payload is not None
    assert verified.kb_payload["iat"] == NOW
    with pytest.raises(AudienceError):
        verify(
            holder.sd_jwt_presentation, issuer_key=issuer_key, now=NOW, kb=KbExpectation(AUD + "/x", NONCE)
        )


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize("decoys", [0, 3])
def test_reference_package_verifies_what_dojang_issues_and_presents(decoys: int) -> None:
    rng = random.Random(decoys).randbytes
    holder = generate_key("ES256", rng)
    issued = issue(
        CLAIMS,
        sd=SD,
        key=_signing_key(ISSUER_JWK),
        rng=rng,
        decoys=decoys,
        holder_jwk=holder.public.jwk,
    )
    presentation = present(issued, disclose=DISCLOSE, holder_key=holder, aud=AUD, nonce=NONCE, iat=NOW)

    seen_headers: list[dict[str, Any]] = []

    def issuer_key(iss: str, header: dict[str, Any]) -> JWK:
        assert iss == CLAIMS["iss"]
        seen_headers.append(header)
        return _jwcrypto(_public(ISSUER_JWK))

    verifier = SDJWTVerifier(presentation, issuer_key, expected_aud=AUD, expected_nonce=NONCE)
    assert verifier.get_verified_payload() == {**DISCLOSED_CLAIMS, "cnf": {"jwk": dict(holder.public.jwk)}}
    assert seen_headers == [{"alg": "ES256", "typ": "dc+sd-jwt"}]

    # The full issuance, as the holder received it, reads the same in the reference package.
    full = SDJWTVerifier(issued, issuer_key).get_verified_payload()
    assert full == {**CLAIMS, "cnf": {"jwk": dict(holder.public.jwk)}}

    # And its holder can present dojang's credential to dojang.
    ref_holder = SDJWTHolder(issued)
    ref_holder.create_presentation(
        {"given_name": True}, nonce=NONCE, aud=AUD, holder_key=_jwcrypto(holder.private_jwk())
    )
    verified = verify(
        ref_holder.sd_jwt_presentation,
        issuer_key=verify_key_from_jwk(_public(ISSUER_JWK)),
        now=NOW,
        kb=KbExpectation(AUD, NONCE),
    )
    assert verified.claims == {
        **{k: CLAIMS[k] for k in ("iss", "iat", "exp", "vct")},
        "given_name": "길동",
        "members": [],
        "nationalities": ["KR"],
        "cnf": {"jwk": dict(holder.public.jwk)},
    }


# --- the JWS JSON serialization (RFC 9901 §8) --------------------------------------------------------
#
# sd-jwt 0.10.4 writes an older layout than RFC 9901: ``disclosures`` and ``kb_jwt`` as top-level
# members, and its holder hashes the JSON text itself into ``sd_hash`` (its verifier skips that check
# for JSON). RFC 9901 §8.1 puts both in the unprotected header and hashes the compact form rebuilt
# from the members. So the two packages cannot exchange JSON documents directly; what is checked here
# is everything that can be: the package's JOSE library reads dojang's JSON forms as JWS JSON, its
# verifier accepts the KB-JWT of a dojang JSON presentation over the §8.1 compact form, and dojang
# refuses the older layout by name instead of silently ignoring its members.


def _json_presentation_of_reference_credential() -> tuple[str, str]:
    """A reference-issued credential, presented by dojang in the Flattened JSON serialization."""
    issued = SDJWTIssuer(
        _reference_claims(CLAIMS, SD), _jwcrypto(ISSUER_JWK), holder_key=_jwcrypto(HOLDER_JWK)
    ).sd_jwt_issuance
    presentation = present(
        issued,
        disclose=DISCLOSE,
        holder_key=_signing_key(HOLDER_JWK),
        aud=AUD,
        nonce=NONCE,
        iat=NOW,
        serialization="json",
    )
    return issued, presentation


@pytest.mark.usefixtures("reference")
def test_reference_verifier_accepts_the_kb_jwt_of_a_dojang_json_presentation() -> None:
    _, presentation = _json_presentation_of_reference_credential()
    issuer_key = verify_key_from_jwk(_public(ISSUER_JWK))
    verified = verify(presentation, issuer_key=issuer_key, now=NOW, kb=KbExpectation(AUD, NONCE))
    assert verified.claims == {**DISCLOSED_CLAIMS, "cnf": {"jwk": _public(HOLDER_JWK)}}

    # RFC 9901 §8.1, built here from the members: the reference verifier checks this KB-JWT's sd_hash.
    doc = json.loads(presentation)
    header = doc["header"]
    compact = "~".join(
        [f"{doc['protected']}.{doc['payload']}.{doc['signature']}", *header["disclosures"], header["kb_jwt"]]
    )
    reference = SDJWTVerifier(
        compact, lambda _iss, _header: _jwcrypto(_public(ISSUER_JWK)), expected_aud=AUD, expected_nonce=NONCE
    )
    assert reference.get_verified_payload() == {**DISCLOSED_CLAIMS, "cnf": {"jwk": _public(HOLDER_JWK)}}


@pytest.mark.usefixtures("reference")
def test_reference_jose_library_reads_dojangs_flattened_and_general_forms() -> None:
    _, presentation = _json_presentation_of_reference_credential()
    flattened = JWS()
    flattened.deserialize(presentation)
    flattened.verify(_jwcrypto(_public(ISSUER_JWK)))
    assert set(flattened.jose_header) >= {"alg", "typ", "disclosures", "kb_jwt"}

    # The General form with a co-signature, as dojang writes it after reading one (RFC 9901 §8.3).
    cosigner = generate_key("ES256", random.Random(5).randbytes)
    doc = json.loads(presentation)
    protected = json_b64url({"alg": "ES256", "kid": cosigner.kid})
    second = b64url_encode(cosigner.sign(f"{protected}.{doc['payload']}".encode("ascii")))
    issued_general = {
        "payload": doc["payload"],
        "signatures": [
            {
                "protected": doc["protected"],
                "header": {"disclosures": doc["header"]["disclosures"]},
                "signature": doc["signature"],
            },
            {"protected": protected, "signature": second},
        ],
    }
    general = present(
        issued_general,
        holder_key=_signing_key(HOLDER_JWK),
        aud=AUD,
        nonce=NONCE,
        iat=NOW,
        serialization="json",
    )
    for key in (_public(ISSUER_JWK), dict(cosigner.public.jwk)):
        reader = JWS()
        reader.deserialize(general)
        reader.verify(_jwcrypto(key))
    assert json.loads(general)["signatures"][1] == {"protected": protected, "signature": second}


@pytest.mark.usefixtures("reference")
def test_the_reference_packages_older_json_layout_is_refused_by_name() -> None:
    issuer = SDJWTIssuer(
        _reference_claims(CLAIMS, SD),
        _jwcrypto(ISSUER_JWK),
        holder_key=_jwcrypto(HOLDER_JWK),
        serialization_format="json",
    )
    holder = SDJWTHolder(issuer.sd_jwt_issuance, serialization_format="json")
    holder.create_presentation({"family_name": True}, nonce=NONCE, aud=AUD, holder_key=_jwcrypto(HOLDER_JWK))
    issuer_key = verify_key_from_jwk(_public(ISSUER_JWK))
    with pytest.raises(MalformedError, match="top-level 'disclosures' is not RFC 9901"):
        verify(issuer.sd_jwt_issuance, issuer_key=issuer_key, now=NOW)
    with pytest.raises(MalformedError, match="top-level 'disclosures' is not RFC 9901"):
        verify(holder.sd_jwt_presentation, issuer_key=issuer_key, now=NOW, kb=KbExpectation(AUD, NONCE))
