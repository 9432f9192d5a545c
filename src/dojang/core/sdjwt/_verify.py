"""Verification (RFC 9901 §7.1, §7.3 and the SD-JWT VC rules), one named check after another."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from dojang.core.crypto import JwsParts, VerifyKey, check_alg, parse_jws, verify_jws, verify_key_from_jwk
from dojang.core.sdjwt._disclosure import Disclosure, digest_of
from dojang.core.sdjwt._format import SdJwt, parse
from dojang.core.sdjwt._issue import NEVER_SELECTIVE
from dojang.errors import (
    AudienceError,
    ClaimsError,
    DisclosureError,
    DojangError,
    HeaderError,
    HolderBindingError,
    MalformedError,
    NonceError,
    ValidityPeriodError,
)

try:
    from dojang.core._speedups import resolve as _c_resolve
except ImportError:  # an interpreter that cannot load the C module takes the Python walk
    _c_resolve = None  # type: ignore[assignment]

__all__ = ["CHECKS", "KbExpectation", "Recorder", "Verified", "verify"]

#: The checks in the order they run; each failure raises an error whose ``check`` is one of these.
CHECKS = (
    "algorithm",
    "header",
    "issuer-key",
    "signature",
    "disclosures",
    "claims",
    "validity-period",
    "key-binding",
    "audience",
    "nonce",
)

_NUMBERS = (int, float)

#: Called with (check, detail) after each check passes, so a caller can build a verdict line by line.
Recorder = Callable[[str, str], None]
Profile = Literal["sd-jwt-vc", "sd-jwt"]


@dataclass(frozen=True, slots=True)
class KbExpectation:
    """What the verifier asked the holder for: a KB-JWT for this audience and nonce, fresh enough."""

    aud: str
    nonce: str
    max_age: int = 300


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified SD-JWT: the signed payload, the processed claims and the holder binding, if any."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    claims: dict[str, Any]
    disclosures: tuple[Disclosure, ...]
    kb_payload: Mapping[str, Any] | None


def _ignore(_check: str, _detail: str) -> None:
    return None


class _Resolver:
    """Replaces digests by disclosed values (RFC 9901 §7.1 step 3), using each disclosure once."""

    def __init__(self, disclosures: tuple[Disclosure, ...]) -> None:
        self.by_digest: dict[str, Disclosure] = {}
        for d in disclosures:
            if d.digest in self.by_digest:
                raise DisclosureError("the same disclosure appears twice")
            self.by_digest[d.digest] = d
        self.seen: set[str] = set()
        self.from_disclosure: set[str] = set()

    def _take(self, digest: Any) -> Disclosure | None:
        if type(digest) is not str:
            raise DisclosureError("a digest must be a string")
        if digest in self.seen:
            raise DisclosureError(f"digest {digest} appears more than once in the credential")
        self.seen.add(digest)
        return self.by_digest.get(digest)

    def value(self, value: Any) -> Any:
        # Everything here came out of the JSON parser, so exact type checks are enough (and cheaper).
        kind = type(value)
        if kind is dict:
            return self.object(value, False)
        if kind is list:
            return self.array(value)
        return value

    def object(self, obj: dict[str, Any], top: bool) -> dict[str, Any]:
        value = self.value
        out = {k: value(v) for k, v in obj.items() if k != "_sd" and not (top and k == "_sd_alg")}
        if "_sd" not in obj:
            return out
        digests = obj["_sd"]
        if type(digests) is not list:
            raise DisclosureError("_sd must be an array of digests")
        seen, by_digest = self.seen, self.by_digest
        for digest in digests:
            # _take inlined: this loop runs once per digest of every credential.
            if type(digest) is not str:
                raise DisclosureError("a digest must be a string")
            if digest in seen:
                raise DisclosureError(f"digest {digest} appears more than once in the credential")
            seen.add(digest)
            d = by_digest.get(digest)
            if d is None:
                continue  # a decoy, or a claim the holder did not disclose
            name = d.name
            if name is None:
                raise DisclosureError("an array-element disclosure is referenced from an object's _sd")
            if name in out:
                raise DisclosureError(f"claim {name!r} is both disclosed and present in the clear")
            if top:
                self.from_disclosure.add(name)
            out[name] = value(d.value)
        return out

    def array(self, items: list[Any]) -> list[Any]:
        out: list[Any] = []
        value = self.value
        for item in items:
            if type(item) is dict and "..." in item:
                if len(item) != 1:
                    raise DisclosureError("an array element digest object must hold only '...'")
                d = self._take(item["..."])
                if d is None:
                    continue
                if d.name is not None:
                    raise DisclosureError("an object-property disclosure is referenced from an array")
                out.append(value(d.value))
            else:
                out.append(value(item))
        return out


def _resolve(
    payload: dict[str, Any], disclosures: tuple[Disclosure, ...]
) -> tuple[dict[str, Any], set[str], int]:
    """The processed claims, the names disclosed at the top level and how many disclosures were used.

    The C walk gives the same result; anything it would have to refuse it leaves to the Python walk,
    which names the failure.
    """
    fast = _c_resolve(payload, disclosures) if _c_resolve is not None else None
    if fast is not None:
        return fast
    resolver = _Resolver(disclosures)
    try:
        claims = resolver.object(payload, top=True)
    except RecursionError:
        raise MalformedError("the credential's claims are nested too deeply") from None
    return claims, resolver.from_disclosure, len(resolver.seen & resolver.by_digest.keys())


def _check_header(jws: JwsParts, profile: Profile) -> str:
    typ = jws.header.get("typ")
    if profile == "sd-jwt-vc" and typ != "dc+sd-jwt":
        raise HeaderError(f"typ must be 'dc+sd-jwt', found {typ!r}")
    sd_alg = jws.payload.get("_sd_alg", "sha-256")
    if sd_alg != "sha-256":
        raise HeaderError(f"_sd_alg {sd_alg!r} is not supported (only sha-256)")
    return f"typ {typ}, _sd_alg sha-256"


def _check_claims(claims: Mapping[str, Any], from_disclosure: set[str], profile: Profile) -> str:
    if profile == "sd-jwt":
        return "plain SD-JWT profile"
    hidden = sorted(from_disclosure & NEVER_SELECTIVE)
    if hidden:
        raise ClaimsError(f"claims {hidden} must never be selectively disclosable")
    vct = claims.get("vct")
    if not isinstance(vct, str) or not vct:
        raise ClaimsError("vct is required and must be a non-empty string")
    iss = claims.get("iss")
    if iss is not None and not isinstance(iss, str):
        raise ClaimsError("iss must be a string")
    return f"vct {vct}"


def _number(payload: Mapping[str, Any], name: str) -> int | float | None:
    value = payload.get(name)
    if value is not None and type(value) not in _NUMBERS:  # JSON numbers only: bool is not one
        raise ValidityPeriodError(f"{name} must be a number of seconds since the epoch")
    return value


def _check_times(payload: Mapping[str, Any], now: int, skew: int) -> str:
    exp, nbf, iat = _number(payload, "exp"), _number(payload, "nbf"), _number(payload, "iat")
    if exp is not None and now - skew >= exp:
        raise ValidityPeriodError(f"expired at {int(exp)} (now {now})")
    if nbf is not None and now + skew < nbf:
        raise ValidityPeriodError(f"not valid before {int(nbf)} (now {now})")
    if iat is not None and now + skew < iat:
        raise ValidityPeriodError(f"issued in the future at {int(iat)} (now {now})")
    return f"now {now} within iat {iat}, nbf {nbf}, exp {exp} (skew {skew}s)"


def _check_kb(  # noqa: PLR0917 - private helper, called once with every argument named below
    sd: SdJwt, payload: Mapping[str, Any], kb: KbExpectation | None, now: int, skew: int, algs: frozenset[str]
) -> Mapping[str, Any] | None:
    if sd.kb_jwt is None:
        if kb is not None:
            raise HolderBindingError("a key binding JWT is required but the presentation has none")
        return None
    cnf = payload.get("cnf")
    if not isinstance(cnf, dict) or "jwk" not in cnf:
        raise HolderBindingError("a key binding JWT is present but the credential has no cnf.jwk")
    try:
        holder = verify_key_from_jwk(cnf["jwk"])
        jws = parse_jws(sd.kb_jwt, what="key binding JWT")
    except MalformedError as exc:
        raise HolderBindingError(exc.message) from None
    if jws.header.get("typ") != "kb+jwt":
        raise HolderBindingError(f"key binding JWT typ must be 'kb+jwt', found {jws.header.get('typ')!r}")
    try:
        verify_jws(jws, holder, allowed_algs=algs, what="key binding JWT")
    except DojangError as exc:
        # Whatever is wrong inside the KB-JWT, the failed check is the holder binding.
        raise HolderBindingError(exc.message) from None
    claims = jws.payload
    if claims.get("sd_hash") != digest_of(sd.without_kb()):
        raise HolderBindingError("key binding JWT sd_hash does not match this presentation")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise HolderBindingError("key binding JWT iat must be a number")
    max_age = kb.max_age if kb is not None else None
    if iat > now + skew or (max_age is not None and iat < now - max_age - skew):
        raise HolderBindingError(f"key binding JWT iat {int(iat)} is outside the accepted window (now {now})")
    return claims


def verify(
    text: str,
    *,
    issuer_key: VerifyKey | Callable[[Mapping[str, Any]], VerifyKey],
    now: int,
    skew: int = 60,
    profile: Profile = "sd-jwt-vc",
    kb: KbExpectation | None = None,
    allowed_algs: frozenset[str] = frozenset({"ES256"}),
    record: Recorder = _ignore,
) -> Verified:
    """Verify an SD-JWT (VC) or presentation; raise the VerificationError of the first failed check."""
    sd = parse(text)
    jws = parse_jws(sd.jwt, what="issuer-signed JWT")
    record("algorithm", check_alg(jws.header, allowed_algs, what="issuer-signed JWT"))
    record("header", _check_header(jws, profile))
    key = issuer_key(jws.header) if callable(issuer_key) else issuer_key
    record("issuer-key", f"kid {jws.header.get('kid', '(none)')}")
    verify_jws(jws, key, allowed_algs=allowed_algs, what="issuer-signed JWT")
    record("signature", "issuer signature verifies")
    claims, from_disclosure, referenced = _resolve(dict(jws.payload), sd.disclosures)
    unused = len(sd.disclosures) - referenced
    if unused:
        raise DisclosureError(f"{unused} disclosure(s) are not referenced by the credential")
    record("disclosures", f"{len(sd.disclosures)} disclosed, every digest referenced once")
    # Time and holder-key claims are read from the processed payload (RFC 9901 §7.1 step 6): in the
    # plain profile they may have been disclosures; in the VC profile the claims check forbids that.
    record("claims", _check_claims(claims, from_disclosure, profile))
    record("validity-period", _check_times(claims, now, skew))
    kb_payload = _check_kb(sd, claims, kb, now, skew, allowed_algs)
    if kb_payload is not None:
        record("key-binding", "holder key signed this presentation")
        if kb is not None:
            if kb_payload.get("aud") != kb.aud:
                raise AudienceError(f"presented to {kb_payload.get('aud')!r}, not to {kb.aud!r}")
            record("audience", kb.aud)
            if kb_payload.get("nonce") != kb.nonce:
                raise NonceError("the nonce does not match the one asked for")
            record("nonce", "matches")
    return Verified(jws.header, jws.payload, claims, sd.disclosures, kb_payload)
