"""The ``status`` line for credentials with ``x5c``: the status list must be signed by the credential's
own agency through the same chain to the platform root; any other signer is the failure ``signer``."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.storage import SqlStatusStore, open_status_store
from dojang.core.crypto import Certificate, SigningKey, create_root_ca, encode_x5c, generate_key
from dojang.core.status import StatusReference
from dojang.roles.issuer import Issuer, StatusLists, StatusSigner
from dojang.roles.operator import Operator, OperatorRegistry
from dojang.roles.verifier import IssuerPki, StatusCheck, TrustedKey, TrustList, Verdict, Verifier

UTC = datetime.UTC
T0 = datetime.datetime(2026, 3, 1, tzinfo=UTC)
NOW = int(T0.timestamp())
DAY = 86_400
JONGNO, COURT = "https://jongno.example", "https://court.example"
KIND = "resident-register-copy"
CATALOGUE = load_catalogue()


def _key() -> SigningKey:
    return generate_key("ES256", secrets.token_bytes)


def _root(key: SigningKey, name: str) -> Certificate:
    return create_root_ca(
        key, name=name, not_before=T0 - datetime.timedelta(days=3650),
        not_after=T0 + datetime.timedelta(days=3650), rng=secrets.token_bytes,
    )  # fmt: skip


def _operator(name: str) -> Operator:
    key = _key()
    return Operator(key, _root(key, name), OperatorRegistry())


def _certify(operator: Operator, iss: str, key: SigningKey) -> Certificate:
    if not any(a.issuer_id == iss for a in operator.registry.agencies):
        operator.register_agency(iss, iss.removeprefix("https://"))
    cert, _ = operator.certify(
        iss, key.public, not_before=NOW - 365 * DAY, not_after=NOW + 365 * DAY,
        rng=secrets.token_bytes, now=NOW,
    )  # fmt: skip
    return cert


@dataclass
class World:
    lists: StatusLists
    operator: Operator
    keys: dict[str, SigningKey]
    certs: dict[str, Certificate]
    signer: StatusSigner | SigningKey | None = None
    clock: int = NOW

    def issue(self, iss: str = JONGNO) -> str:
        issuer = Issuer(
            iss, self.keys[iss], CATALOGUE, secrets.token_bytes, certificate=self.certs[iss],
            accreditations=self.operator.registry.trust_list(now=NOW),
        )  # fmt: skip
        claims = SyntheticRegistry(2026, 50).claims_for(KIND, "C0001", today=T0.date())

        def sign(ref: StatusReference) -> str:
            return issuer.issue(KIND, claims, now=T0, status=ref).sd_jwt

        return self.lists.allocate(iss, NOW, sign)[0]

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        """What a status server answers: the list signed by ``signer`` (default: the agency itself)."""
        stored = self.lists.store.load_list(uri.rsplit("/", 1)[-1])
        signer = self.signer or self.own(stored.issuer)
        return self.lists.token(stored.id, signer, now=self.clock)

    def own(self, iss: str) -> StatusSigner:
        return StatusSigner(self.keys[iss], tuple(encode_x5c([self.certs[iss]])))

    def verify(self) -> Verdict:
        bare = TrustList(TrustedKey(iss, key.public) for iss, key in self.keys.items())
        pki = IssuerPki((self.operator.root,), self.operator.publish(now=self.clock))
        verifier = Verifier(trust=bare, catalogue=CATALOGUE, pki=pki, status=StatusCheck(self))
        return verifier.verify(self.issue(), now=self.clock)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStatusStore]:
    opened = open_status_store(tmp_path / "log.db")
    yield opened
    opened.close()


@pytest.fixture
def world(store: SqlStatusStore) -> World:
    operator = _operator("dojang operator")
    keys = {JONGNO: _key(), COURT: _key()}
    certs = {iss: _certify(operator, iss, key) for iss, key in keys.items()}
    operator.accredit(JONGNO, CATALOGUE.get(KIND).vct, not_before=NOW - DAY, not_after=None, now=NOW)
    return World(StatusLists(store, "https://status.example", secrets.token_bytes), operator, keys, certs)


def _status(verdict: Verdict) -> tuple[bool, str]:
    line = next(c for c in verdict.checks if c.check == "status")
    return line.ok, line.detail


def test_a_list_signed_with_the_agency_certificate_passes(world: World) -> None:
    verdict = world.verify()
    assert verdict.valid, verdict.checks
    ok, detail = _status(verdict)
    assert ok
    assert "signed by CN=jongno.example" in detail
    names = [c.check for c in verdict.checks]
    assert names.index("status") == names.index("kind") + 1  # after trust and accreditation lines


def test_a_list_signed_by_another_agency_certificate_is_refused(world: World) -> None:
    world.signer = world.own(COURT)  # genuine, chains to the root, but Court's
    verdict = world.verify()
    assert verdict.failed is not None
    assert verdict.failed.check == "status"
    assert verdict.failed.detail.startswith("status signer:")
    assert "does not match iss" in verdict.failed.detail


def test_a_list_signed_by_a_key_chaining_to_a_foreign_root_is_refused(world: World) -> None:
    foreign = _operator("dojang operator")  # the same name, another key
    impostor = _key()
    world.signer = StatusSigner(impostor, tuple(encode_x5c([_certify(foreign, JONGNO, impostor)])))
    verdict = world.verify()
    assert verdict.failed is not None
    assert verdict.failed.check == "status"
    assert verdict.failed.detail.startswith("status signer:")
    assert "broken signature" in verdict.failed.detail


def test_no_downgrade_to_a_bare_key_for_a_certified_agency(world: World) -> None:
    world.signer = world.keys[JONGNO]  # the agency's own key, but kid only
    verdict = world.verify()
    assert verdict.failed is not None
    assert verdict.failed.check == "status"
    assert "without x5c" in verdict.failed.detail


def test_a_revoked_signer_certificate_cannot_sign_status_lists(world: World) -> None:
    # Revoked a minute after issuance: the credential stands (its chain is checked at iat), but a list
    # signed with that certificate later is refused.
    world.operator.revoke_certificate(world.certs[JONGNO].fingerprint, at=NOW + 60, now=NOW + 60)
    world.clock = NOW + 120
    verdict = world.verify()
    assert [c.check for c in verdict.checks if c.ok][-2:] == ["accreditation", "kind"]
    assert verdict.failed is not None
    assert verdict.failed.check == "status"
    assert verdict.failed.detail.startswith("status signer:")
    assert "was revoked" in verdict.failed.detail
