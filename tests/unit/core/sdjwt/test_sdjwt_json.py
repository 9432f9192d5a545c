"""The JWS JSON serialization (RFC 9901 §8): round trips, the sd_hash rule, and hostile documents.

Every malformed document is refused as unreadable input naming what is wrong; every well-formed
but altered one fails the named check that catches it.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sdjwt_support import (
    AUD,
    HOLDER,
    ISSUER,
    NONCE,
    NOW,
    OTHER,
    b64json,
    credential,
    digest,
    disclosure,
    expectation,
    kb_jwt,
)

from dojang.core.crypto import sign_jws
from dojang.core.encoding import b64url_encode
from dojang.core.sdjwt import MAX_TOKEN_BYTES, SdJwt, parse, present, verify
from dojang.core.sdjwt._format import MAX_DISCLOSURES
from dojang.core.sdjwt._json import MAX_SIGNATURES
from dojang.errors import (
    DojangError,
    HolderBindingError,
    InputError,
    MalformedError,
    SignatureError,
    TooLargeError,
    VerificationError,
)

Doc = dict[str, Any]
ISSUED = credential(decoys=1)
DISCLOSE = [("name",), ("address", "city"), ("members", 1, "name")]


def json_presentation(issued: str | Doc = ISSUED, **kwargs: Any) -> str:
    return present(
        issued,
        disclose=DISCLOSE,
        holder_key=HOLDER,
        aud=AUD,
        nonce=NONCE,
        iat=NOW,
        serialization="json",
        **kwargs,
    )


def check(text: str | Doc, **kwargs: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        text = json.dumps(text)
    return verify(text, issuer_key=ISSUER.public, now=NOW, kb=expectation(), **kwargs).claims


def flattened() -> Doc:
    doc: Doc = json.loads(json_presentation())
    return doc


def general() -> Doc:
    """The General form of :func:`flattened`, with a second signature by another key."""
    doc = flattened()
    protected = b64json({"alg": "ES256", "kid": OTHER.kid})
    signing_input = f"{protected}.{doc['payload']}".encode("ascii")
    second = {
        "protected": protected,
        "header": {"note": "co-signed"},
        "signature": b64url_encode(OTHER.sign(signing_input)),
    }
    first = {k: doc[k] for k in ("protected", "header", "signature")}
    return {"payload": doc["payload"], "signatures": [first, second]}


# --- round trips ------------------------------------------------------------------------------------


def test_compact_issued_presented_as_json_verifies_like_the_compact_presentation() -> None:
    as_json = json_presentation()
    as_compact = present(ISSUED, disclose=DISCLOSE, holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW)
    assert check(as_json) == check(as_compact)
    doc = json.loads(as_json)
    assert set(doc) == {"payload", "protected", "header", "signature"}  # Flattened (§8.2)
    assert set(doc["header"]) == {"disclosures", "kb_jwt"}
    # Both forms carry the same issuer JWT and Disclosures; only the KB-JWT signatures differ.
    assert parse(as_json).without_kb() == parse(as_compact).without_kb()


def test_parse_reads_json_text_a_json_object_and_surrounding_space_alike() -> None:
    text = json_presentation()
    compact = parse(text).serialize()
    for form in (text, f"\n  {text}\n", json.loads(text)):
        sd = parse(form)
        assert sd.serialize() == compact
        assert sd.kb_jwt is not None
    assert verify(f"\n  {text}\n", issuer_key=ISSUER.public, now=NOW, kb=expectation()).kb_payload


def test_the_compact_form_stays_the_default() -> None:
    as_json = present(ISSUED, serialization="json")
    assert not present(as_json).startswith("{")
    assert present(as_json) == ISSUED
    assert parse(ISSUED).envelope is None
    assert parse(ISSUED).serialize_json() == as_json


def test_without_a_key_binding_the_json_form_has_no_kb_jwt() -> None:
    doc = json.loads(present(ISSUED, disclose=DISCLOSE, serialization="json"))
    assert "kb_jwt" not in doc["header"]
    claims = verify(json.dumps(doc), issuer_key=ISSUER.public, now=NOW).claims
    assert claims["name"] == "홍길동"


def test_sd_hash_covers_the_compact_form_rebuilt_from_the_json_members() -> None:
    """RFC 9901 §8.1: protected, payload and signature joined by '.', then each Disclosure and '~'."""
    doc = flattened()
    header = doc["header"]
    compact = "~".join(
        [f"{doc['protected']}.{doc['payload']}.{doc['signature']}", *header["disclosures"], ""]
    )
    kb_payload = verify(json.dumps(doc), issuer_key=ISSUER.public, now=NOW, kb=expectation()).kb_payload
    assert kb_payload is not None
    assert kb_payload["sd_hash"] == digest(compact)


def test_a_kb_jwt_hashing_the_json_text_is_refused() -> None:
    """The pre-RFC layout (sd-jwt 0.10.4) hashed the JSON document itself; RFC 9901 §8.1 does not."""
    doc = flattened()
    del doc["header"]["kb_jwt"]
    body = json.dumps(doc)
    doc["header"]["kb_jwt"] = kb_jwt(body + "~")
    with pytest.raises(HolderBindingError, match="sd_hash"):
        check(doc)


def test_general_form_in_general_form_out_keeping_the_other_signatures() -> None:
    issued = general()
    del issued["signatures"][0]["header"]["kb_jwt"]
    issued["signatures"][0]["header"]["note"] = "first"
    out = json.loads(json_presentation(issued))
    assert set(out) == {"payload", "signatures"}
    first, second = out["signatures"]
    assert first["header"]["note"] == "first"
    assert {"disclosures", "kb_jwt"} <= set(first["header"])
    assert second == issued["signatures"][1]
    assert check(out)["name"] == "홍길동"
    # Compact by default, even from the General form: the sd_hash is the same text either way.
    assert check(present(issued, disclose=DISCLOSE, holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW))


def test_present_refuses_an_unknown_serialization() -> None:
    with pytest.raises(InputError, match="serialization"):
        present(ISSUED, serialization="cbor")  # type: ignore[arg-type]


# --- General form with several signatures: the first one is the issuer's ------------------------


def test_general_form_verifies_the_first_signature() -> None:
    assert check(general())["name"] == "홍길동"


def test_general_form_whose_first_signature_is_bad_fails_the_signature_check() -> None:
    doc = general()
    doc["signatures"][0]["signature"] = doc["signatures"][1]["signature"]
    with pytest.raises(SignatureError):
        check(doc)


def test_general_form_further_signatures_are_carried_not_verified() -> None:
    """RFC 7515 §7.2 leaves it to the application which signatures must validate; dojang: the first."""
    doc = general()
    doc["signatures"][1]["signature"] = doc["signatures"][0]["signature"]
    assert check(doc)["name"] == "홍길동"


# --- altered but well-formed documents: the named check fails -------------------------------------


def _other_payload(doc: Doc) -> None:
    other = json.loads(present(credential(seed=8), serialization="json"))
    doc["payload"] = other["payload"]


def _other_protected(doc: Doc) -> None:
    doc["protected"] = b64json({"alg": "ES256", "typ": "dc+sd-jwt", "kid": ISSUER.kid})


def _signature_over_another_payload(doc: Doc) -> None:
    other = json.loads(present(credential(seed=8), serialization="json"))
    doc["signature"] = other["signature"]


def _extra_disclosure(doc: Doc) -> None:
    """One the holder kept back: it is the issuer's, referenced once, but not in the sd_hash."""
    kept = set(doc["header"]["disclosures"])
    held_back = [d.encoded for d in parse(ISSUED).disclosures if d.name == "birthdate"]
    assert held_back
    assert not kept & set(held_back)
    doc["header"]["disclosures"].append(held_back[0])


def _dropped_disclosure(doc: Doc) -> None:
    """A leaf (the name): the rest still resolves, but the sd_hash no longer matches."""
    (name,) = [d.encoded for d in parse(doc).disclosures if d.value == "홍길동"]
    doc["header"]["disclosures"].remove(name)


def _dropped_kb_jwt(doc: Doc) -> None:
    del doc["header"]["kb_jwt"]


def _kb_by_another_key(doc: Doc) -> None:
    del doc["header"]["kb_jwt"]
    doc["header"]["kb_jwt"] = kb_jwt(parse(doc).without_kb(), key=OTHER)


ALTERED: dict[str, tuple[Callable[[Doc], None], str]] = {
    "payload of another credential": (_other_payload, "signature"),
    "protected header of another JWS": (_other_protected, "signature"),
    "signature over a different payload": (_signature_over_another_payload, "signature"),
    "an added disclosure": (_extra_disclosure, "key-binding"),
    "a dropped disclosure": (_dropped_disclosure, "key-binding"),
    "no kb_jwt": (_dropped_kb_jwt, "key-binding"),
    "kb_jwt signed by another key": (_kb_by_another_key, "key-binding"),
}


@pytest.mark.parametrize("name", ALTERED)
def test_altered_document_fails_the_named_check(name: str) -> None:
    alter, failed = ALTERED[name]
    doc = flattened()
    alter(doc)
    with pytest.raises(VerificationError) as caught:
        check(doc)
    assert caught.value.check == failed


def test_unprotected_parameters_other_than_disclosures_are_not_covered() -> None:
    """RFC 9901 §8.1: they are not in the sd_hash, and dojang reads none of them."""
    doc = flattened()
    doc["header"]["x5u"] = "https://anything.example"
    assert check(doc)["name"] == "홍길동"


def test_every_single_character_change_of_a_json_presentation_is_caught() -> None:
    small = credential(seed=9)
    text = present(
        small, disclose=[("name",)], holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=NOW, serialization="json"
    )
    check(text)
    for index, char in enumerate(text):
        changed = f"{text[:index]}{'B' if char == 'A' else 'A'}{text[index + 1 :]}"
        with pytest.raises((MalformedError, VerificationError)):
            check(changed)


# --- malformed documents: unreadable input naming what is wrong -----------------------------------


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(name: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        del doc[name]

    return change


def _general(change: Callable[[Doc], None]) -> Callable[[Doc], Doc]:
    def build(_doc: Doc) -> Doc:
        doc = general()
        change(doc)
        return doc

    return build


MALFORMED: dict[str, tuple[Callable[[Doc], Any], str]] = {
    "payload missing": (_drop("payload"), "payload must be a string"),
    "payload a number": (_set("payload", 7), "payload must be a string, found int"),
    "payload empty": (_set("payload", ""), "payload must be non-empty base64url"),
    "payload padded": (_set("payload", "e30="), "payload must be non-empty base64url"),
    "protected missing": (_drop("protected"), "protected must be a string"),
    "protected not a JSON object": (_set("protected", b64json([1])), "protected must be a base64url JSON"),
    "signature an array": (_set("signature", []), "signature must be a string, found list"),
    "header an array": (_set("header", []), "header must be a JSON object, found list"),
    "header null": (_set("header", None), "header must be a JSON object, found NoneType"),
    "disclosures a string": (
        _set("header.disclosures", "WyJ4Il0"),
        "disclosures must be an array, found str",
    ),
    "disclosures an object": (_set("header.disclosures", {}), "disclosures must be an array, found dict"),
    "disclosure a number": (_set("header.disclosures.0", 1), "disclosures[0] must be a string, found int"),
    "disclosure empty": (_set("header.disclosures.1", ""), "disclosures[1] must be non-empty base64url"),
    "disclosure with a tilde": (_set("header.disclosures.0", "WyJ4~Il0"), "disclosures[0] must be non-empty"),
    "kb_jwt a number": (_set("header.kb_jwt", 1), "kb_jwt must be a string, found int"),
    "kb_jwt null": (_set("header.kb_jwt", None), "kb_jwt must be a string, found NoneType"),
    "kb_jwt empty": (_set("header.kb_jwt", ""), "kb_jwt must be a compact JWT"),
    "kb_jwt with a tilde": (_set("header.kb_jwt", "a.b.c~"), "kb_jwt must be a compact JWT"),
    "alg also unprotected": (_set("header.alg", "ES256"), "'alg' is both in protected and header"),
    "crit unprotected": (_set("header.crit", ["exp"]), "header carries 'crit'"),
    "disclosures protected": (
        _set("protected", b64json({"alg": "ES256", "disclosures": []})),
        "protected carries 'disclosures'",
    ),
    "top-level disclosures": (_set("disclosures", []), "top-level 'disclosures' is not RFC 9901"),
    "top-level kb_jwt": (_set("kb_jwt", "a.b.c"), "top-level 'kb_jwt' is not RFC 9901"),
    "no signature at all": (_drop("signature"), "no 'signature' (Flattened) or 'signatures' (General)"),
    "flattened and general mixed": (_set("signatures", []), "General form ('signatures') with a top-level"),
    "signatures empty": (
        lambda doc: {"payload": doc["payload"], "signatures": []},
        "signatures must be a non-empty array",
    ),
    "signatures an object": (
        lambda doc: {"payload": doc["payload"], "signatures": {}},
        "signatures must be a non-empty array",
    ),
    "signature object a string": (
        _general(_set("signatures.1", "x")),
        "signatures[1]. must be a JSON object",
    ),
    "second header with disclosures": (
        _general(_set("signatures.1.header.disclosures", [])),
        "signatures[1].header carries 'disclosures': only the first",
    ),
    "second header with kb_jwt": (
        _general(_set("signatures.1.header.kb_jwt", "a.b.c")),
        "signatures[1].header carries 'kb_jwt'",
    ),
    "first signature without protected": (
        _general(lambda doc: doc["signatures"][0].pop("protected")),
        "signatures[0].protected must be a string",
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_document_is_refused_naming_what_is_wrong(name: str) -> None:
    change, message = MALFORMED[name]
    doc = flattened()
    changed = change(doc)
    text = json.dumps(doc if changed is None else changed)
    with pytest.raises(MalformedError) as caught:
        parse(text)
    assert message in caught.value.message
    with pytest.raises(MalformedError):
        verify(text, issuer_key=ISSUER.public, now=NOW)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "SD-JWT JSON serialization is not valid JSON"),
        ('{"payload": "e30", "payload": "e30"}', "duplicate JSON key 'payload'"),
        ('{"payload": NaN}', "JSON constant NaN is not allowed"),
        ('{"a": 1} {"b": 2}', "not valid JSON"),
    ],
)
def test_unparseable_json_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        parse(text)


def test_an_object_that_is_not_json_data_is_refused() -> None:
    with pytest.raises(MalformedError, match="not JSON data"):
        parse({"payload": {1, 2}})
    with pytest.raises(MalformedError, match="not JSON data"):
        parse({"payload": float("nan")})


def test_json_array_is_not_a_json_serialization() -> None:
    with pytest.raises(MalformedError):
        parse(json.dumps([flattened()]))


# --- size limits ----------------------------------------------------------------------------------


def test_too_many_disclosures() -> None:
    doc = flattened()
    doc["header"]["disclosures"] = ["WyJ4IiwxXQ"] * (MAX_DISCLOSURES + 1)
    with pytest.raises(TooLargeError, match="disclosures, over the limit"):
        parse(json.dumps(doc))


def test_too_many_signatures() -> None:
    doc = general()
    doc["signatures"] += [copy.deepcopy(doc["signatures"][1]) for _ in range(MAX_SIGNATURES)]
    with pytest.raises(TooLargeError, match="signatures, over"):
        parse(json.dumps(doc))


def test_too_large_as_text_and_as_object() -> None:
    doc = flattened()
    doc["header"]["note"] = "x" * MAX_TOKEN_BYTES
    with pytest.raises(TooLargeError):
        parse(json.dumps(doc))
    with pytest.raises(TooLargeError):
        parse(doc)


def test_a_disclosure_in_the_json_form_is_decoded_as_strictly_as_in_the_compact_form() -> None:
    doc = flattened()
    bad, _ = disclosure("salt", "_sd", 1)
    doc["header"]["disclosures"][0] = bad
    with pytest.raises(MalformedError, match="claim name"):
        parse(doc)


def test_the_json_form_round_trips_through_sd_jwt() -> None:
    sd = parse(general())
    again = parse(sd.serialize_json())
    assert again == sd
    assert isinstance(again, SdJwt)


def test_an_sd_jwt_signed_as_json_by_hand_verifies() -> None:
    """Independent of ``present``: a Flattened document built here from a compact JWS."""
    d1, h1 = disclosure("c2FsdHNhbHRzYWx0c2FsdA", "name", "홍길동")
    payload = {"iss": "https://gov24.example", "vct": "v", "iat": NOW - 5, "_sd": [h1], "_sd_alg": "sha-256"}
    protected, body, signature = sign_jws({"typ": "dc+sd-jwt"}, payload, ISSUER).split(".")
    doc = {"payload": body, "protected": protected, "header": {"disclosures": [d1]}, "signature": signature}
    claims = verify(json.dumps(doc), issuer_key=ISSUER.public, now=NOW).claims
    assert claims["name"] == "홍길동"


# --- arbitrary documents --------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["e30", "a.b.c", "W10"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
MEMBERS = st.sampled_from(
    ["payload", "protected", "header", "signature", "signatures", "disclosures", "kb_jwt"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(MEMBERS, JSON_VALUES, max_size=5), st.dictionaries(MEMBERS, JSON_VALUES, max_size=3))
def test_arbitrary_documents_raise_only_dojang_errors(top: Doc, header: Doc) -> None:
    doc = {**flattened(), **top}
    if isinstance(doc.get("header"), dict):
        doc["header"] = {**doc["header"], **header}
    with contextlib.suppress(DojangError):
        check(doc)


def test_a_compact_sd_jwt_whose_jwt_has_no_three_parts_cannot_be_written_as_json() -> None:
    with pytest.raises(MalformedError, match="three dot-separated parts"):
        present("a.b~", serialization="json")
