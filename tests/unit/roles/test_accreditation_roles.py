"""Who may do what, at the library level: the operator (root CA key) accredits; agencies issue only
what they are accredited for; verifiers see it as the ``trust-chain`` and ``accreditation`` lines."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import SyntheticRegistry
from dojang.core.crypto import Certificate, SigningKey, create_root_ca, generate_key
from dojang.core.log import AccreditationAction, encode_entry, parse_entry
from dojang.core.trust import sign_trust_list, verify_trust_list
from dojang.errors import ForbiddenError, InputError, VerificationError
from dojang.roles.issuer import Issuer
from dojang.roles.operator import Operator, OperatorRegistry
from dojang.roles.verifier import IssuerPki, TrustedKey, TrustList, Verdict, Verifier

UTC = datetime.UTC
T0 = datetime.datetime(2026, 3, 1, tzinfo=UTC)
DAY = 86_400
JONGNO, COURT = "https://jongno.example", "https://court.example"
COPY, ESTATE = "resident-register-copy", "real-estate-register-extract"
CATALOGUE = load_catalogue()
REGISTRY = SyntheticRegistry(2026, 50)
CITIZEN = next(c for c in REGISTRY.citizen_ids() if REGISTRY.properties_of(c))


def _key() -> SigningKey:
    return generate_key("ES256", secrets.token_bytes)


def _ts(when: datetime.datetime) -> int:
    return int(when.timestamp())


@dataclass
class World:
    root_key: SigningKey
    root: Certificate
    operator: Operator
    keys: dict[str, SigningKey]
    certs: dict[str, Certificate]

    def issuer(self, iss: str, *, checked: bool = True, at: datetime.datetime = T0) -> Issuer:
        return Issuer(
            iss,
            self.keys[iss],
            CATALOGUE,
            secrets.token_bytes,
            certificate=self.certs[iss],
            accreditations=self.operator.registry.trust_list(now=_ts(at)) if checked else None,
        )

    def verifier(self, now: datetime.datetime = T0) -> Verifier:
        bare = TrustList(TrustedKey(iss, key.public) for iss, key in self.keys.items())
        pki = IssuerPki((self.root,), self.operator.publish(now=_ts(now)))
        return Verifier(trust=bare, catalogue=CATALOGUE, pki=pki)


def _failed(verdict: Verdict) -> str | None:
    return verdict.failed.check if verdict.failed is not None else None


def _claims(kind: str, when: datetime.datetime) -> dict[str, Any]:
    prop = REGISTRY.properties_of(CITIZEN)[0] if kind == ESTATE else None
    return REGISTRY.claims_for(kind, CITIZEN, today=when.date(), property_id=prop)


@pytest.fixture
def world() -> World:
    root_key = _key()
    root = create_root_ca(
        root_key,
        name="operator",
        not_before=T0 - datetime.timedelta(days=3650),
        not_after=T0 + datetime.timedelta(days=3650),
        rng=secrets.token_bytes,
    )
    operator = Operator(root_key, root, OperatorRegistry())
    keys, certs = {}, {}
    for iss, name, kind in ((JONGNO, "종로구청", COPY), (COURT, "등기국", ESTATE)):
        operator.register_agency(iss, name)
        keys[iss] = _key()
        certs[iss], _ = operator.certify(
            iss, keys[iss].public, not_before=_ts(T0) - 365 * DAY, not_after=_ts(T0) + 365 * DAY,
            rng=secrets.token_bytes, now=_ts(T0),
        )  # fmt: skip
        operator.accredit(
            iss, CATALOGUE.get(kind).vct, not_before=_ts(T0) - 30 * DAY, not_after=None, now=_ts(T0)
        )
    return World(root_key, root, operator, keys, certs)


# -- the operator's actions: only the root CA key -------------------------------------------------

OPERATOR_ACTIONS: dict[str, Callable[[Operator], object]] = {
    "register agency": lambda op: op.register_agency("https://new.example", "새 기관"),
    "certify key": lambda op: op.certify(
        JONGNO,
        _key().public,
        not_before=_ts(T0),
        not_after=_ts(T0) + DAY,
        rng=secrets.token_bytes,
        now=_ts(T0),
    ),
    "accredit": lambda op: op.accredit(JONGNO, "urn:x:1", not_before=_ts(T0), not_after=None, now=_ts(T0)),
    "withdraw": lambda op: op.withdraw(JONGNO, CATALOGUE.get(COPY).vct, at=_ts(T0), now=_ts(T0)),
    "revoke certificate": lambda op: op.revoke_certificate(
        op.registry.agency(COURT).certificates[0].fingerprint, at=_ts(T0), now=_ts(T0)
    ),
    "publish trust list": lambda op: op.publish(now=_ts(T0)),
}


@pytest.mark.parametrize("action", sorted(OPERATOR_ACTIONS))
@pytest.mark.parametrize("actor", ["operator", "agency", "outsider"])
def test_operator_actions_need_the_root_key(world: World, actor: str, action: str) -> None:
    key = {"operator": world.root_key, "agency": world.keys[JONGNO], "outsider": _key()}[actor]
    if actor != "operator":
        with pytest.raises(ForbiddenError):
            Operator(key, world.root, world.operator.registry)
        return
    OPERATOR_ACTIONS[action](Operator(key, world.root, world.operator.registry))


@pytest.mark.parametrize("actor", ["agency", "outsider"])
def test_a_trust_list_not_signed_by_the_root_is_refused(world: World, actor: str) -> None:
    key = world.keys[JONGNO] if actor == "agency" else _key()
    token = sign_trust_list(world.operator.registry.trust_list(now=_ts(T0)), key)
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(token, world.root.public_key)
    assert caught.value.check == "trust-list"


# -- the agencies' actions: only kinds they are accredited for ------------------------------------

ISSUE_MATRIX = [
    (JONGNO, COPY, True),
    (JONGNO, ESTATE, False),
    (COURT, COPY, False),
    (COURT, ESTATE, True),
]


@pytest.mark.parametrize(("agency", "kind", "allowed"), ISSUE_MATRIX)
def test_agencies_issue_only_what_they_are_accredited_for(
    world: World, agency: str, kind: str, allowed: bool
) -> None:
    issuer = world.issuer(agency)
    if not allowed:
        with pytest.raises(ForbiddenError):
            issuer.issue(kind, _claims(kind, T0), now=T0)
        return
    sd_jwt = issuer.issue(kind, _claims(kind, T0), now=T0).sd_jwt
    verdict = world.verifier().verify(sd_jwt, now=_ts(T0) + 10)
    assert verdict.valid, verdict.failed
    names = [c.check for c in verdict.checks]
    assert names.index("trust-chain") < names.index("signature") < names.index("accreditation")
    assert "issuer-key" not in names


@pytest.mark.parametrize(("agency", "kind", "allowed"), ISSUE_MATRIX)
def test_the_verifier_enforces_the_same_matrix(world: World, agency: str, kind: str, allowed: bool) -> None:
    """An agency that skips its own check still fails the verifier's accreditation line."""
    sd_jwt = world.issuer(agency, checked=False).issue(kind, _claims(kind, T0), now=T0).sd_jwt
    verdict = world.verifier().verify(sd_jwt, now=_ts(T0) + 10)
    assert verdict.valid is allowed
    if not allowed:
        assert _failed(verdict) == "accreditation"


def test_one_agency_cannot_use_anothers_certificate(world: World) -> None:
    with pytest.raises(InputError):
        Issuer(COURT, world.keys[COURT], CATALOGUE, secrets.token_bytes, certificate=world.certs[JONGNO])
    with pytest.raises(InputError):
        Issuer(JONGNO, _key(), CATALOGUE, secrets.token_bytes, certificate=world.certs[JONGNO])


def test_an_accredited_agency_cannot_downgrade_to_its_bare_key(world: World) -> None:
    bare = Issuer(JONGNO, world.keys[JONGNO], CATALOGUE, secrets.token_bytes)
    verdict = world.verifier().verify(bare.issue(COPY, _claims(COPY, T0), now=T0).sd_jwt, now=_ts(T0) + 10)
    assert _failed(verdict) == "trust-chain"


# -- dates: before and after a withdrawal, a revocation ------------------------------------------


def test_accreditation_holds_before_withdrawal_not_after(world: World) -> None:
    vct = CATALOGUE.get(COPY).vct
    withdrawal = T0 + datetime.timedelta(days=10)
    before, after = withdrawal - datetime.timedelta(hours=1), withdrawal + datetime.timedelta(hours=1)
    entry = world.operator.withdraw(JONGNO, vct, at=_ts(withdrawal), now=_ts(withdrawal))
    assert (entry.action, entry.subject, entry.not_before) == (
        AccreditationAction.WITHDRAW,
        vct,
        _ts(withdrawal),
    )
    issued_before = world.issuer(JONGNO, at=after).issue(COPY, _claims(COPY, before), now=before).sd_jwt
    with pytest.raises(ForbiddenError):
        world.issuer(JONGNO, at=after).issue(COPY, _claims(COPY, after), now=after)
    issued_after = world.issuer(JONGNO, checked=False).issue(COPY, _claims(COPY, after), now=after).sd_jwt
    verifier = world.verifier(after)
    assert verifier.verify(issued_before, now=_ts(after)).valid  # signed while accredited: stays valid
    assert _failed(verifier.verify(issued_after, now=_ts(after))) == "accreditation"


def test_accreditation_with_an_end_date(world: World) -> None:
    vct = "urn:dojang:kr:family-relation-certificate:1"
    start, end = _ts(T0), _ts(T0) + 5 * DAY
    world.operator.accredit(JONGNO, vct, not_before=start, not_after=end, now=start)
    with pytest.raises(InputError):  # overlapping grant
        world.operator.accredit(JONGNO, vct, not_before=start + DAY, not_after=None, now=start)
    trust = world.operator.registry.trust_list(now=start)
    trust.check_accredited(JONGNO, vct, end - 1)
    with pytest.raises(VerificationError):
        trust.check_accredited(JONGNO, vct, end)


def test_revoked_certificate_fails_trust_chain_from_its_revocation(world: World) -> None:
    revoked_at = T0 + datetime.timedelta(days=1)
    fingerprint = world.certs[JONGNO].fingerprint
    entry = world.operator.revoke_certificate(fingerprint, at=_ts(revoked_at), now=_ts(revoked_at))
    assert entry.action is AccreditationAction.REVOKE_CERTIFICATE
    issuer = world.issuer(JONGNO, checked=False)
    earlier = issuer.issue(COPY, _claims(COPY, T0), now=T0).sd_jwt
    later_time = revoked_at + datetime.timedelta(hours=1)
    later = issuer.issue(COPY, _claims(COPY, later_time), now=later_time).sd_jwt
    verifier = world.verifier(later_time)
    assert verifier.verify(earlier, now=_ts(later_time)).valid
    failed = verifier.verify(later, now=_ts(later_time)).failed
    assert failed is not None
    assert failed.check == "trust-chain"
    assert "revoked" in failed.detail


def test_tampered_trust_list_is_a_named_failure(world: World) -> None:
    token = world.operator.publish(now=_ts(T0))
    head, body, sig = token.split(".")
    forged = f"{head}.{body[:-4]}AAAA.{sig}"
    verifier = Verifier(trust=TrustList([]), catalogue=CATALOGUE, pki=IssuerPki((world.root,), forged))
    sd_jwt = world.issuer(JONGNO).issue(COPY, _claims(COPY, T0), now=T0).sd_jwt
    assert _failed(verifier.verify(sd_jwt, now=_ts(T0) + 10)) == "trust-list"


def test_every_change_is_a_parseable_log_entry(world: World) -> None:
    op = world.operator
    vct = CATALOGUE.get(COPY).vct
    entries = [
        op.accredit(COURT, vct, not_before=_ts(T0), not_after=_ts(T0) + DAY, now=_ts(T0)),
        op.withdraw(COURT, vct, at=_ts(T0) + 60, now=_ts(T0)),
        op.revoke_certificate(world.certs[COURT].fingerprint, at=_ts(T0), now=_ts(T0)),
    ]
    actions = [parse_entry(encode_entry(e)).action for e in entries]  # type: ignore[union-attr]
    assert actions == [
        AccreditationAction.GRANT,
        AccreditationAction.WITHDRAW,
        AccreditationAction.REVOKE_CERTIFICATE,
    ]


def test_registry_round_trips_through_json(world: World) -> None:
    registry = world.operator.registry
    assert OperatorRegistry.from_json(registry.to_json()) == registry
