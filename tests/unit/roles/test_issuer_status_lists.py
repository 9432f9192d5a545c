"""Status lists end to end through the roles: issue with an index, revoke / suspend / reinstate, verify.

Real parts only: the SQLite status store, the built-in catalogue, the synthetic registry, ES256 keys;
the log is a list that records what the issuer role hands it (the ``EntryRecorder`` port).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.storage import SqlStatusStore, open_status_store
from dojang.core.crypto import SigningKey, generate_key, parse_jws
from dojang.core.log import CredentialStatus, StatusEntry, credential_digest, parse_entry
from dojang.core.sdjwt import parse
from dojang.core.status import StatusReason, StatusReference, read_status_claim
from dojang.errors import ForbiddenError, InputError, NotFoundError
from dojang.roles.issuer import DEFAULT_TTL, FULL_AT, Issuer, StatusLists, agency_slug
from dojang.roles.verifier import StatusCheck, TrustedKey, TrustList, Verifier

BASE = "https://status.example"
SEOUL = "https://issuer.example/agencies/seoul"
BUSAN = "https://issuer.example/agencies/busan"
T0 = 1_780_000_000
KIND = "resident-register-copy"


@dataclass
class Log:
    entries: list[bytes] = field(default_factory=list)

    def record(self, entries: Sequence[bytes]) -> list[int]:
        self.entries += entries
        return list(range(len(self.entries) - len(entries) + 1, len(self.entries) + 1))


@dataclass
class World:
    lists: StatusLists
    keys: dict[str, SigningKey]
    log: Log
    clock: list[int]

    def issue(self, iss: str = SEOUL, now: int = T0) -> str:
        catalogue = load_catalogue(())
        issuer = Issuer(iss, self.keys[iss], catalogue, os.urandom)
        when = datetime.datetime.fromtimestamp(now, datetime.UTC)
        claims = SyntheticRegistry(2026, 50).claims_for(KIND, "C0001", today=when.date())

        def sign(ref: StatusReference) -> str:
            return issuer.issue(KIND, claims, now=when, status=ref).sd_jwt

        return self.lists.allocate(iss, now, sign)[0]

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        """A StatusSource: what the server answers, signed at the world's clock."""
        stored = self.lists.store.load_list(uri.rsplit("/", 1)[-1])
        key = self.keys[stored.issuer]
        if at is None:
            return self.lists.token(stored.id, key, now=self.clock[0])
        return self.lists.token_at(stored.id, at, key, now=self.clock[0])

    def verifier(self) -> Verifier:
        trust = TrustList(TrustedKey(iss, key.public) for iss, key in self.keys.items())
        return Verifier(trust=trust, catalogue=load_catalogue(()), status=StatusCheck(self))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStatusStore]:
    opened = open_status_store(tmp_path / "log.db")
    yield opened
    opened.close()


@pytest.fixture
def world(store: SqlStatusStore) -> World:
    keys = {iss: generate_key("ES256", os.urandom) for iss in (SEOUL, BUSAN)}
    return World(StatusLists(store, BASE, os.urandom), keys, Log(), [T0])


def _digest(sd_jwt: str) -> bytes:
    return credential_digest(sd_jwt)


def _failed(verifier: Verifier, sd_jwt: str, now: int, at: int | None = None) -> str | None:
    verdict = verifier.verify(sd_jwt, now=now, status_at=at)
    return None if verdict.failed is None else verdict.failed.check


# -- issuance ----------------------------------------------------------------------------------------


def test_every_credential_carries_an_always_visible_status_claim(world: World) -> None:
    sd_jwt = world.issue()
    payload = parse_jws(parse(sd_jwt).jwt).payload
    ref = read_status_claim(payload)  # in the signed payload itself, not in a disclosure
    assert ref.uri == f"{BASE}/statuslists/seoul-1"
    record = world.lists.lookup(_digest(sd_jwt))
    assert (record.list_id, record.idx, record.issuer) == ("seoul-1", ref.idx, SEOUL)
    stored = world.lists.store.load_list("seoul-1")
    assert stored.used[ref.idx >> 3] >> (ref.idx & 7) & 1
    assert stored.allocated == 1


def test_indexes_are_random_and_distinct_and_each_agency_has_its_own_list(world: World) -> None:
    refs = [read_status_claim(parse_jws(parse(world.issue()).jwt).payload) for _ in range(6)]
    assert len({r.idx for r in refs}) == 6
    assert sorted(r.idx for r in refs) != [r.idx for r in refs] or max(r.idx for r in refs) > 1000
    other = read_status_claim(parse_jws(parse(world.issue(BUSAN)).jwt).payload)
    assert other.uri.endswith("/statuslists/busan-1")


def test_a_new_list_opens_when_three_quarters_are_handed_out(store: SqlStatusStore) -> None:
    lists = StatusLists(store, BASE, os.urandom, size=8)
    digests = iter(range(1, 100))

    def sign(ref: StatusReference) -> str:
        return f"eyJhIjoxfQ.eyJ{next(digests)}fQ.c2ln~"  # a well-formed JWS shape is all the digest needs

    uris = [lists.current(SEOUL, T0).id]
    for _ in range(8):
        lists.allocate(SEOUL, T0, sign)
    assert uris == ["seoul-1"]
    assert [s.id for s in store.lists(SEOUL)] == ["seoul-1", "seoul-2"]
    assert store.load_list("seoul-1").allocated == int(8 * FULL_AT)


def test_agency_slugs() -> None:
    assert agency_slug("https://issuer.dojang.example/agencies/demo") == "demo"
    assert agency_slug("https://jongno.issuer.dojang.example") == "jongno"
    assert agency_slug("https://x.example/Agencies/Seoul Jung-gu/") == "seoul-jung-gu"


# -- changes -----------------------------------------------------------------------------------------


def test_revocation_shows_up_within_the_ttl(world: World) -> None:
    sd_jwt = world.issue()
    verifier = world.verifier()
    assert _failed(verifier, sd_jwt, T0) is None
    change = world.lists.change(
        _digest(sd_jwt),
        CredentialStatus.REVOKED,
        StatusReason.LOST_OR_STOLEN,
        issuer=SEOUL,
        now=T0 + 10,
        log=world.log,
    )
    assert (change.before, change.after) == (CredentialStatus.VALID, CredentialStatus.REVOKED)
    entry = parse_entry(world.log.entries[-1])
    assert entry == StatusEntry(
        _digest(sd_jwt), CredentialStatus.REVOKED, StatusReason.LOST_OR_STOLEN, T0 + 10
    )
    assert _failed(verifier, sd_jwt, T0 + 20) is None  # its cached list is fresh for one ttl
    world.clock[0] = T0 + DEFAULT_TTL + 1
    assert _failed(verifier, sd_jwt, T0 + DEFAULT_TTL + 1) == "status"  # stale after one ttl: refetched
    world.clock[0] = T0 + 20
    fresh = world.verifier().verify(sd_jwt, now=T0 + 20)  # a verifier without a cache sees it at once
    assert fresh.failed is not None
    assert fresh.failed.check == "status"
    assert "revoked" in fresh.failed.detail


def test_suspend_then_reinstate_is_valid_again(world: World) -> None:
    sd_jwt = world.issue()
    digest = _digest(sd_jwt)
    world.lists.change(
        digest,
        CredentialStatus.SUSPENDED,
        StatusReason.UNDER_INVESTIGATION,
        issuer=SEOUL,
        now=T0 + 5,
        log=world.log,
    )
    world.clock[0] = T0 + 6
    assert _failed(world.verifier(), sd_jwt, T0 + 6) == "status"
    world.lists.change(
        digest, CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED, issuer=SEOUL, now=T0 + 7, log=world.log
    )
    world.clock[0] = T0 + 8
    verdict = world.verifier().verify(sd_jwt, now=T0 + 8)
    assert verdict.valid
    assert [c.check for c in verdict.checks][-1] == "status"
    assert [parse_entry(e).status for e in world.log.entries] == [
        CredentialStatus.SUSPENDED,
        CredentialStatus.VALID,
    ]


def test_history_answers_valid_at_t_across_a_suspension_and_a_revocation(world: World) -> None:
    sd_jwt = world.issue(now=T0)
    digest = _digest(sd_jwt)
    steps = [
        (T0 + 100, CredentialStatus.SUSPENDED, StatusReason.UNDER_INVESTIGATION),
        (T0 + 200, CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED),
        (T0 + 300, CredentialStatus.REVOKED, StatusReason.COURT_ORDER),
    ]
    for when, after, reason in steps:
        world.lists.change(digest, after, reason, issuer=SEOUL, now=when, log=world.log)
    world.clock[0] = T0 + 1000
    verifier = world.verifier()
    expected = {
        T0: None,
        T0 + 99: None,
        T0 + 100: "status",
        T0 + 199: "status",
        T0 + 200: None,
        T0 + 299: None,
        T0 + 300: "status",
        T0 + 999: "status",
    }
    for at, failure in expected.items():
        assert _failed(verifier, sd_jwt, T0 + 1000, at=at) == failure, at
        assert (world.lists.status_of(digest, at)[1] is CredentialStatus.VALID) == (failure is None), at
    with pytest.raises(NotFoundError):
        world.lists.status_of(digest, T0 - 1)  # before the list existed
    assert _failed(verifier, sd_jwt, T0 + 1000, at=T0 - 1) == "status"


def test_another_agency_cannot_change_a_credential_and_nothing_changes(world: World) -> None:
    sd_jwt = world.issue(SEOUL)
    before = world.lists.store.load_list("seoul-1")
    with pytest.raises(ForbiddenError):
        world.lists.change(
            _digest(sd_jwt),
            CredentialStatus.REVOKED,
            StatusReason.UNSPECIFIED,
            issuer=BUSAN,
            now=T0,
            log=world.log,
        )
    assert world.lists.store.load_list("seoul-1") == before
    assert world.log.entries == []
    assert world.lists.store.snapshots("seoul-1")[-1].time == T0  # only the list's first snapshot


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (CredentialStatus.REVOKED, CredentialStatus.REVOKED, StatusReason.UNSPECIFIED),
        (CredentialStatus.REVOKED, CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED),
        (CredentialStatus.REVOKED, CredentialStatus.SUSPENDED, StatusReason.UNSPECIFIED),
        (None, CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED),
        (None, CredentialStatus.REVOKED, StatusReason.REVIEW_COMPLETED),
    ],
)
def test_changes_that_make_no_sense_are_refused(
    world: World, first: CredentialStatus | None, second: CredentialStatus, reason: StatusReason
) -> None:
    digest = _digest(world.issue())
    if first is not None:
        world.lists.change(digest, first, StatusReason.UNSPECIFIED, issuer=SEOUL, now=T0, log=world.log)
    logged = list(world.log.entries)
    with pytest.raises(InputError):
        world.lists.change(digest, second, reason, issuer=SEOUL, now=T0 + 1, log=world.log)
    assert world.log.entries == logged


def test_an_unknown_credential_or_reason_is_refused(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.lists.change(
            b"\0" * 32,
            CredentialStatus.REVOKED,
            StatusReason.UNSPECIFIED,
            issuer=SEOUL,
            now=T0,
            log=world.log,
        )
    with pytest.raises(InputError, match="lost-or-stolen"):
        StatusReason.parse("stolen")
    assert StatusReason.parse("court-order") is StatusReason.COURT_ORDER
    assert StatusReason.LOST_OR_STOLEN.label("ko") == "분실 또는 도난"


def test_a_credential_without_status_has_no_line_unless_required(world: World) -> None:
    catalogue = load_catalogue(())
    when = datetime.datetime.fromtimestamp(T0, datetime.UTC)
    claims = SyntheticRegistry(2026, 50).claims_for(KIND, "C0001", today=when.date())
    plain = Issuer(SEOUL, world.keys[SEOUL], catalogue, os.urandom).issue(KIND, claims, now=when).sd_jwt
    verifier = world.verifier()
    assert "status" not in [c.check for c in verifier.verify(plain, now=T0).checks]
    strict = Verifier(trust=verifier.trust, catalogue=catalogue, status=StatusCheck(world, required=True))
    assert _failed(strict, plain, T0) == "status"


def test_a_status_list_signed_by_another_agency_is_refused(world: World) -> None:
    sd_jwt = world.issue(SEOUL)
    world.keys[SEOUL], world.keys[BUSAN] = (
        world.keys[BUSAN],
        world.keys[SEOUL],
    )  # the server signs with Busan's key
    verifier = world.verifier()
    world.keys[SEOUL], world.keys[BUSAN] = world.keys[BUSAN], world.keys[SEOUL]
    trust = TrustList(TrustedKey(iss, key.public) for iss, key in world.keys.items())
    wrong = Verifier(trust=trust, catalogue=verifier.catalogue, status=StatusCheck(_Swapped(world)))
    assert _failed(wrong, sd_jwt, T0) == "status"
    assert "signed by" in wrong.verify(sd_jwt, now=T0).checks[-1].detail


@dataclass
class _Swapped:
    world: World

    def fetch(self, uri: str, *, at: int | None = None) -> str:
        return self.world.lists.token(uri.rsplit("/", 1)[-1], self.world.keys[BUSAN], now=T0)
