"""The JWS JSON serialization of an SD-JWT (RFC 9901 §8): the General and Flattened forms, read and written.

Both carry the Disclosures in the unprotected header member ``disclosures`` and the KB-JWT in ``kb_jwt``
(§8.1). Reading turns the document into the parts of the compact form: the issuer-signed JWT
``<protected>.<payload>.<signature>``, the Disclosures and the KB-JWT. That compact text is what a
KB-JWT's ``sd_hash`` covers in either serialization (§8.1, §8.4), so the verifier runs unchanged.

In the General form (§8.3) only the first signature carries ``disclosures`` and ``kb_jwt``; it is the
one the compact form, and so the ``sd_hash`` and the issuer-signature check, is built from. Further
signatures are checked for shape and carried along when re-serialized, never verified: dojang trusts
one issuer key per credential, and RFC 7515 §7.2 leaves it to the application which signatures must
validate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dojang.core.encoding import b64url_decode, canonical_json, loads_strict
from dojang.errors import MalformedError, TooLargeError

__all__ = ["MAX_SIGNATURES", "JsonEnvelope", "JsonParts", "json_text", "read_json", "write_json"]

#: Most signatures a General JSON serialization may carry (RFC 9901 §8.3 allows several issuers).
MAX_SIGNATURES = 16

_WHAT = "SD-JWT JSON serialization"
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
#: A compact JWS: three base64url parts; structure beyond this is the key-binding check's to judge.
_JWS_TEXT = re.compile(r"[A-Za-z0-9_.-]+")
#: Members of a signature object (RFC 7515 §7.2.1); the Flattened form has them at the top level.
_SIGNATURE_MEMBERS = ("protected", "header", "signature")
#: The unprotected header parameters RFC 9901 §8.1 defines.
_SD_PARAMS = ("disclosures", "kb_jwt")


@dataclass(frozen=True, slots=True)
class JsonEnvelope:
    """What a JSON serialized SD-JWT carries besides the compact parts, kept to write it out again.

    None of it is integrity protected, and verification uses none of it (RFC 9901 §8.1).
    """

    general: bool
    #: The first unprotected header without ``disclosures`` and ``kb_jwt`` (e.g. a ``kid``).
    header: Mapping[str, Any]
    #: The General form's further signature objects, as read.
    more: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class JsonParts:
    """The compact parts read from a JSON serialized SD-JWT; the Disclosures are not decoded yet."""

    jwt: str
    disclosures: list[str]
    kb_jwt: str | None
    envelope: JsonEnvelope


def json_text(document: Mapping[str, Any]) -> str:
    """A JSON serialization given as an object, as JSON text: the one form :func:`read_json` reads."""
    try:
        return canonical_json(document)
    except (TypeError, ValueError) as exc:
        raise MalformedError(f"{_WHAT} is not JSON data: {str(exc)[:200]}") from None


def _fail(detail: str) -> MalformedError:
    return MalformedError(f"{_WHAT}: {detail}")


def _b64url(value: Any, name: str) -> str:
    if type(value) is not str:
        raise _fail(f"{name} must be a string, found {type(value).__name__}")
    if not _B64URL.fullmatch(value):
        raise _fail(f"{name} must be non-empty base64url (no padding)")
    return value


def _protected_names(protected: str, name: str) -> set[str]:
    """The protected header's parameter names; it must be a JSON object."""
    header = loads_strict(b64url_decode(protected, what=name), what=name)
    if type(header) is not dict:
        raise _fail(f"{name} must be a base64url JSON object")
    misplaced = [p for p in _SD_PARAMS if p in header]
    if misplaced:
        raise _fail(f"{name} carries {misplaced[0]!r}, which belongs in the unprotected header (§8.1)")
    return set(header)


def _signature(obj: Any, where: str, *, first: bool) -> tuple[str, str, dict[str, Any]]:
    """Check one signature object (or the Flattened top level): protected, signature, header."""
    if type(obj) is not dict:
        raise _fail(f"{where} must be a JSON object")
    protected = _b64url(obj.get("protected"), f"{where}protected")
    signature = _b64url(obj.get("signature"), f"{where}signature")
    header = obj.get("header", {})
    if type(header) is not dict:
        raise _fail(f"{where}header must be a JSON object, found {type(header).__name__}")
    # RFC 7515 §7.2.1: the two header sets must be disjoint; §4.1.11: crit must be protected.
    shared = sorted(_protected_names(protected, f"{where}protected") & set(header))
    if shared:
        raise _fail(f"header parameter {shared[0]!r} is both in {where}protected and {where}header")
    if "crit" in header:
        raise _fail(f"{where}header carries 'crit', which must be integrity protected")
    if not first:
        for param in _SD_PARAMS:
            if param in header:
                raise _fail(f"{where}header carries {param!r}: only the first signature's header may (§8.3)")
    return protected, signature, header


def _disclosures(header: Mapping[str, Any], where: str, limit: int) -> list[str]:
    value = header.get("disclosures", [])
    if type(value) is not list:
        raise _fail(f"{where}header.disclosures must be an array, found {type(value).__name__}")
    if len(value) > limit:
        raise TooLargeError(f"SD-JWT carries {len(value)} disclosures, over the limit of {limit}")
    return [_b64url(item, f"{where}header.disclosures[{i}]") for i, item in enumerate(value)]


def _kb_jwt(header: Mapping[str, Any], where: str) -> str | None:
    value = header.get("kb_jwt")
    if value is None and "kb_jwt" not in header:
        return None
    if type(value) is not str:
        raise _fail(f"{where}header.kb_jwt must be a string, found {type(value).__name__}")
    if not _JWS_TEXT.fullmatch(value):
        raise _fail(f"{where}header.kb_jwt must be a compact JWT (base64url parts separated by '.')")
    return value


def read_json(text: str, *, max_disclosures: int) -> JsonParts:
    """Read a General or Flattened JSON serialized SD-JWT; raise MalformedError naming what is wrong."""
    doc = loads_strict(text, what=_WHAT)
    if type(doc) is not dict:
        raise _fail("must be a JSON object")
    for param in _SD_PARAMS:
        if param in doc:
            # The layout of drafts before RFC 9901; ignoring it would silently drop the member.
            raise _fail(f"top-level {param!r} is not RFC 9901: it belongs in the unprotected header (§8.1)")
    payload = _b64url(doc.get("payload"), "payload")
    general = "signatures" in doc
    if general:
        mixed = [m for m in _SIGNATURE_MEMBERS if m in doc]
        if mixed:
            raise _fail(f"General form ('signatures') with a top-level {mixed[0]!r} (RFC 7515 §7.2.1)")
        signatures = doc["signatures"]
        if type(signatures) is not list or not signatures:
            raise _fail("signatures must be a non-empty array of signature objects")
        if len(signatures) > MAX_SIGNATURES:
            raise TooLargeError(f"{_WHAT} carries {len(signatures)} signatures, over {MAX_SIGNATURES}")
        first, *rest = signatures
        for index, obj in enumerate(rest, start=1):
            _signature(obj, f"signatures[{index}].", first=False)
        where, more = "signatures[0].", tuple(rest)
    elif "signature" in doc:
        first, where, more = doc, "", ()
    else:
        raise _fail("no 'signature' (Flattened) or 'signatures' (General) member")
    protected, signature, header = _signature(first, where, first=True)
    disclosures = _disclosures(header, where, max_disclosures)
    kb_jwt = _kb_jwt(header, where)
    rest_header = {k: v for k, v in header.items() if k not in _SD_PARAMS}
    envelope = JsonEnvelope(general, rest_header, more)
    return JsonParts(f"{protected}.{payload}.{signature}", disclosures, kb_jwt, envelope)


def write_json(
    jwt: str,
    disclosures: Sequence[str],
    kb_jwt: str | None,
    envelope: JsonEnvelope | None,
) -> str:
    """The JSON serialization of these compact parts: General or Flattened as ``envelope`` says.

    Without an envelope (an SD-JWT read from the compact form) it is the Flattened form (§8.2).
    """
    parts = jwt.split(".")
    if len(parts) != 3:
        raise MalformedError(f"issuer-signed JWT must have three dot-separated parts, found {len(parts)}")
    protected, payload, signature = parts
    header: dict[str, Any] = dict(envelope.header) if envelope is not None else {}
    header["disclosures"] = list(disclosures)
    if kb_jwt is not None:
        header["kb_jwt"] = kb_jwt
    first = {"protected": protected, "header": header, "signature": signature}
    if envelope is not None and envelope.general:
        return canonical_json({"payload": payload, "signatures": [first, *map(dict, envelope.more)]})
    return canonical_json({"payload": payload, **first})
