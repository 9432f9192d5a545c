"""Status lists end to end through the roles: issue with an index, revoke / suspend / reinstate, verify.

Real parts only: the SQLite status store, the built-in catalogue, the synthetic registry, ES256 keys;
a status change appends its log entry to the pending entries of the log in the same database.
"""

from __future__ import annotations

import datetime
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.storage import SqlStatusStore, open_status_store, open_store, store_for
from dojang.core.crypto import Rng, SigningKey, generate_key, parse_jws
from dojang.core.log import CredentialStatus, StatusEntry, credential_digest, parse_entry
from dojang.core.sdjwt import parse
from dojang.core.status import (
    DEFAULT_SIZE,
    ListHead,
    StatusChangeRecord,
    StatusReason,
    StatusReference,
    read_status_claim,
)
from dojang.errors import ForbiddenError, InputError, NotFoundError
from dojang.roles.issuer import DEFAULT_TTL, FULL_AT, MAX_BLOCK, Issuer, StatusLists, agency_slug
from dojang.roles.verifier import StatusCheck, TrustedKey, TrustList, Verifier

BASE = "https://status.example"
SEOUL = "https://issuer.example/agencies/seoul"
BUSAN = "https://issuer.example/agencies/busan"
T0 = 1_780_000_000
KIND = "resident-register-copy"


@dataclass
class Log:
    """The log sharing the status store's database: what a status change appended to it."""

    path: Path

    @property
    def entries(self) -> list[bytes]:
        with open_store(self.path) as store:
            return [p.entry for p in store.pending(1_000)]


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
def world(store: SqlStatusStore, tmp_path: Path) -> World:
    keys = {iss: generate_key("ES256", os.urandom) for iss in (SEOUL, BUSAN)}
    return World(StatusLists(store, BASE, os.urandom), keys, Log(tmp_path / "log.db"), [T0])


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
    )
    world.clock[0] = T0 + 6
    assert _failed(world.verifier(), sd_jwt, T0 + 6) == "status"
    world.lists.change(
        digest, CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED, issuer=SEOUL, now=T0 + 7
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
        world.lists.change(digest, after, reason, issuer=SEOUL, now=when)
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
        )
    assert world.lists.store.load_list("seoul-1") == before
    assert world.log.entries == []
    assert world.lists.store.snapshots("seoul-1")[-1].time == T0  # only the list's first snapshot


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (CredentialStatus.REVOKED, CredentialStatus.REVOKED, StatusReason.LOST_OR_STOLEN),
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
        world.lists.change(digest, first, StatusReason.UNSPECIFIED, issuer=SEOUL, now=T0)
    logged = list(world.log.entries)
    with pytest.raises(InputError):
        world.lists.change(digest, second, reason, issuer=SEOUL, now=T0 + 1)
    assert world.log.entries == logged


def test_an_unknown_credential_or_reason_is_refused(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.lists.change(
            b"\0" * 32,
            CredentialStatus.REVOKED,
            StatusReason.UNSPECIFIED,
            issuer=SEOUL,
            now=T0,
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


def test_the_change_just_made_asked_again_is_answered_and_logged_once(world: World) -> None:
    digest = _digest(world.issue())
    first = world.lists.change(
        digest, CredentialStatus.SUSPENDED, StatusReason.UNDER_INVESTIGATION, issuer=SEOUL, now=T0 + 1
    )
    again = world.lists.change(
        digest, CredentialStatus.SUSPENDED, StatusReason.UNDER_INVESTIGATION, issuer=SEOUL, now=T0 + 9
    )
    assert (first.repeated, again.repeated) == (False, True)
    assert (again.log_seq, again.time, again.before) == (first.log_seq, T0 + 1, CredentialStatus.VALID)
    assert len(world.log.entries) == 1
    with pytest.raises(InputError):  # the same status for another reason is not the change made
        world.lists.change(digest, CredentialStatus.SUSPENDED, StatusReason.UNSPECIFIED, issuer=SEOUL, now=T0)
    reinstate = CredentialStatus.VALID, StatusReason.REVIEW_COMPLETED
    world.lists.change(digest, *reinstate, issuer=SEOUL, now=T0 + 2)
    later = world.lists.change(
        digest, CredentialStatus.SUSPENDED, StatusReason.UNDER_INVESTIGATION, issuer=SEOUL, now=T0 + 3
    )
    assert not later.repeated  # suspended again after a reinstatement: a new change
    assert [parse_entry(e).status for e in world.log.entries] == [
        CredentialStatus.SUSPENDED,
        CredentialStatus.VALID,
        CredentialStatus.SUSPENDED,
    ]
    assert world.lists.store.last_change(digest) == StatusChangeRecord(
        digest, CredentialStatus.VALID, CredentialStatus.SUSPENDED, StatusReason.UNDER_INVESTIGATION, T0 + 3,
        later.log_seq,
    )  # fmt: skip


# -- allocation by blocks, and the races it must survive ---------------------------------------------


_NUMBERS = itertools.count(1)


def _fake_signer() -> Callable[[StatusReference], str]:
    def sign(ref: StatusReference) -> str:
        return f"eyJhIjoxfQ.eyJ{next(_NUMBERS)}fQ.c2ln~"  # a well-formed JWS shape is all the digest needs

    return sign


class _Racing(SqlStatusStore):
    """The real store, with another issuer acting once just after this one reads the lists (``heads``)
    or just before it reserves (``reserve``): the interleavings two processes can produce."""

    def __init__(self, path: Path, on: str, other: Callable[[], object]) -> None:
        super().__init__(store_for(path))
        self._on, self._other = on, other

    def _race(self, name: str) -> None:
        if self._on == name:
            self._on = ""
            self._other()

    def heads(self, issuer: str | None = None) -> list[ListHead]:
        heads = super().heads(issuer)
        self._race("heads")
        return heads

    def reserve(self, list_id: str, count: int, rng: Rng, *, limit: int) -> list[int]:
        self._race("reserve")
        return super().reserve(list_id, count, rng, limit=limit)


def test_losing_the_race_to_open_a_list_reads_again_and_issues(store: SqlStatusStore, tmp_path: Path) -> None:
    other = StatusLists(store, BASE, os.urandom)
    racing = _Racing(tmp_path / "log.db", "heads", lambda: other.allocate(SEOUL, T0, _fake_signer()))
    lists = StatusLists(racing.open(), BASE, os.urandom)
    _, record = lists.allocate(SEOUL, T0 + 1, _fake_signer())  # saw no list, but the other opened it
    assert record.list_id == "seoul-1"
    assert [s.id for s in store.lists(SEOUL)] == ["seoul-1"]
    assert [s.time for s in store.snapshots("seoul-1")] == [T0]  # the winner's first snapshot only
    assert (lists.lost_races, other.lost_races) == (1, 0)
    racing.close()


def test_losing_the_race_for_the_last_indexes_opens_the_next_list(
    store: SqlStatusStore, tmp_path: Path
) -> None:
    other = StatusLists(store, BASE, os.urandom, size=8)
    racing = _Racing(tmp_path / "log.db", "", lambda: other.allocate(SEOUL, T0, _fake_signer()))
    lists = StatusLists(racing.open(), BASE, os.urandom, size=8)
    lists.current(SEOUL, T0)
    assert len(store.reserve("seoul-1", lists.limit - 1, os.urandom, limit=lists.limit)) == 5
    racing._on = "reserve"  # the other takes the last index of seoul-1 just before this one reserves
    _, record = lists.allocate(SEOUL, T0, _fake_signer())
    assert record.list_id == "seoul-2"
    assert [s.allocated for s in store.lists(SEOUL)] == [6, 1]
    assert lists.lost_races == 1
    racing.close()


def test_blocks_start_at_one_index_and_double(store: SqlStatusStore) -> None:
    lists = StatusLists(store, BASE, os.urandom)
    allocated = []
    for _ in range(8):
        lists.allocate(SEOUL, T0, _fake_signer())
        allocated.append(store.load_list("seoul-1").allocated)
    assert allocated == [1, 3, 3, 7, 7, 7, 7, 15]  # a one-shot issuer reserves only what it uses
    assert MAX_BLOCK == 64


def test_a_block_is_random_indexes_handed_out_in_draw_order(store: SqlStatusStore) -> None:
    lists = StatusLists(store, BASE, os.urandom)
    handed = [lists.allocate(SEOUL, T0, _fake_signer())[1].idx for _ in range(1 + 2 + 4 + 8 + 16 + 32 + 64)]
    block = handed[-64:]  # one reservation of MAX_BLOCK indexes
    assert store.load_list("seoul-1").allocated == 127
    assert block != sorted(block)  # not a range, and not handed out in index order
    assert max(block) - min(block) > DEFAULT_SIZE // 2


def test_an_index_whose_signing_failed_is_handed_out_next(store: SqlStatusStore) -> None:
    lists = StatusLists(store, BASE, os.urandom)
    tried: list[int] = []

    def refuse(ref: StatusReference) -> str:
        tried.append(ref.idx)
        raise InputError("the registry has no such citizen")

    with pytest.raises(InputError):
        lists.allocate(SEOUL, T0, refuse)
    _, record = lists.allocate(SEOUL, T0, _fake_signer())
    assert record.idx == tried[0]
    assert store.load_list("seoul-1").allocated == 1
