"""The Oid4vciStore contract, run on every backend: SQLite in a temporary file, PostgreSQL in a new schema."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import psycopg
import pytest

from dojang.adapters.storage import SqlOid4vciStore, open_oid4vci_store, open_store
from dojang.roles.issuer import StoredOffer

NOW = 1_800_000_000
#: What a duplicate row raises: the drivers' own errors (the store does not translate them).
DUPLICATE = (sqlite3.IntegrityError, psycopg.IntegrityError)


@pytest.fixture
def store(location: tuple[str, str]) -> Iterator[SqlOid4vciStore]:
    opened = open_oid4vci_store(location[0], schema=location[1])
    yield opened
    opened.close()


def _hash(label: str, n: int = 0) -> bytes:
    return label.encode().ljust(28, b".") + n.to_bytes(4, "big")


def _offer(n: int = 1, *, pin: bool = True, deferred: bool = False) -> StoredOffer:
    return StoredOffer(
        id=f"offer-{n}", code_hash=_hash("code", n), pin_hash=_hash("pin", n) if pin else None,
        pin_length=6 if pin else 0, agency="https://issuer.example/agencies/demo", kind="resident",
        citizen="900101-1234567", property_id=None, document='{"credential_issuer":"https://i.example"}',
        created=NOW, expires=NOW + 604_800, deferred=deferred,
    )  # fmt: skip


def _granted(offer: StoredOffer, n: int = 1) -> StoredOffer:
    return replace(offer, state="token", token_hash=_hash("token", n), token_expires=NOW + 600)


# -- offers ----------------------------------------------------------------------------------------


def test_an_offer_is_found_by_id_or_code_digest_exactly_as_stored(store: SqlOid4vciStore) -> None:
    offer = _offer(1)
    store.add_offer(offer)
    assert store.offer(id="offer-1") == offer
    assert store.offer(code_hash=_hash("code", 1)) == offer
    assert store.offer(id="offer-2") is None
    assert store.offer(code_hash=_hash("code", 2)) is None
    assert store.offer(token_hash=_hash("token", 1)) is None  # no token granted yet


def test_every_field_round_trips_including_flags_and_empty_secrets(store: SqlOid4vciStore) -> None:
    full = replace(
        _offer(1, deferred=True), property_id="11-1234", state="pending", attempts=2,
        token_hash=_hash("token", 1), token_expires=NOW + 600, transaction_hash=_hash("tx", 1),
        holder_jwks='[{"kty":"EC"}]', ready=True, version=7,
    )  # fmt: skip
    bare = _offer(2, pin=False)
    store.add_offer(full)
    store.add_offer(bare)
    assert store.offer(id="offer-1") == full
    assert store.offer(id="offer-2") == bare
    found = store.offer(id="offer-1")
    assert found is not None
    assert (type(found.deferred), type(found.ready), type(found.code_hash)) == (bool, bool, bytes)


def test_a_lookup_names_exactly_one_key(store: SqlOid4vciStore) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        store.offer()
    with pytest.raises(ValueError, match="exactly one"):
        store.offer(id="offer-1", code_hash=_hash("code", 1))


def test_ids_and_code_digests_are_unique(store: SqlOid4vciStore) -> None:
    store.add_offer(_offer(1))
    with pytest.raises(DUPLICATE):
        store.add_offer(replace(_offer(2), id="offer-1"))
    with pytest.raises(DUPLICATE):
        store.add_offer(replace(_offer(2), code_hash=_hash("code", 1)))
    assert store.offer(id="offer-2") is None
    assert store.counts() == {"nonces": 0, "offers_offered": 1}
    store.add_offer(_offer(2))  # the store still works after a refused insert
    assert store.offer(id="offer-2") == _offer(2)


def test_a_code_is_exchanged_once_by_compare_and_set(store: SqlOid4vciStore) -> None:
    offer = _offer(1)
    store.add_offer(offer)
    assert store.save_offer(_granted(offer, 1), version=1)
    assert not store.save_offer(_granted(offer, 2), version=1)  # a second wallet with the same code
    stored = store.offer(code_hash=_hash("code", 1))
    assert stored == replace(_granted(offer, 1), version=2)
    assert store.offer(token_hash=_hash("token", 1)) == stored
    assert store.offer(token_hash=_hash("token", 2)) is None


def test_a_stale_version_changes_nothing(store: SqlOid4vciStore) -> None:
    store.add_offer(_offer(1))
    assert store.save_offer(replace(_offer(1), ready=True), version=1)
    assert not store.save_offer(replace(_offer(1), state="issued", attempts=9), version=1)
    assert not store.save_offer(replace(_offer(1), state="issued"), version=3)
    assert not store.save_offer(replace(_offer(9), state="issued"), version=1)  # no such offer
    assert store.offer(id="offer-1") == replace(_offer(1), ready=True, version=2)


def test_only_the_flow_fields_change_on_save(store: SqlOid4vciStore) -> None:
    store.add_offer(_offer(1))
    changed = replace(_offer(1), code_hash=_hash("code", 5), agency="x", document="{}", expires=0)
    assert store.save_offer(replace(changed, ready=True), version=1)
    assert store.offer(id="offer-1") == replace(_offer(1), ready=True, version=2)


def test_wrong_pins_are_counted_until_the_offer_burns(store: SqlOid4vciStore) -> None:
    store.add_offer(_offer(1))
    for attempt in range(1, 5):
        current = store.offer(id="offer-1")
        assert current is not None
        burned = attempt == 4
        counted = replace(current, attempts=attempt, state="burned" if burned else current.state)
        assert store.save_offer(counted, version=current.version)
    final = store.offer(id="offer-1")
    assert final is not None
    assert (final.attempts, final.state, final.version) == (4, "burned", 5)
    assert store.counts() == {"nonces": 0, "offers_burned": 1}


def test_a_deferred_offer_is_approved_and_then_issued(store: SqlOid4vciStore) -> None:
    offer = replace(_granted(_offer(1, deferred=True)), version=1)
    store.add_offer(offer)
    pending = replace(offer, state="pending", transaction_hash=_hash("tx", 1), holder_jwks="[]")
    assert store.consume(pending, version=1, nonces=[], now=NOW)
    assert store.save_offer(replace(pending, ready=True), version=2)
    ready = store.offer(id="offer-1")
    assert ready is not None
    assert (ready.state, ready.ready, ready.deferred, ready.version) == ("pending", True, True, 3)
    assert store.save_offer(replace(ready, state="issued"), version=3)
    assert store.counts() == {"nonces": 0, "offers_issued": 1}


# -- used nonces ------------------------------------------------------------------------------------


def _used(n: int, expires: int = NOW + 300) -> tuple[bytes, int]:
    return _hash("nonce", n), expires


def test_consume_records_the_nonces_and_moves_the_offer_on_together(store: SqlOid4vciStore) -> None:
    offer = _granted(_offer(1))
    store.add_offer(offer)
    assert store.consume(replace(offer, state="issued"), version=1, nonces=[_used(1), _used(2)], now=NOW)
    assert store.offer(id="offer-1") == replace(offer, state="issued", version=2)
    assert store.counts() == {"nonces": 2, "offers_issued": 1}


def test_a_nonce_is_used_once(store: SqlOid4vciStore) -> None:
    store.add_offer(_granted(_offer(1)))
    store.add_offer(_granted(_offer(2), 2))
    assert store.consume(replace(_granted(_offer(1)), state="issued"), version=1, nonces=[_used(1)], now=NOW)
    again = replace(_granted(_offer(2), 2), state="issued")
    assert not store.consume(again, version=1, nonces=[_used(1)], now=NOW + 299)
    assert store.offer(id="offer-2") == _granted(_offer(2), 2)


def test_used_nonces_are_forgotten_once_expired(store: SqlOid4vciStore) -> None:
    for n in range(1, 4):
        store.add_offer(_granted(_offer(n), n))
    done = [replace(_granted(_offer(n), n), state="issued") for n in range(1, 4)]
    assert store.consume(done[0], version=1, nonces=[_used(1, NOW + 10), _used(2, NOW + 300)], now=NOW)
    # At NOW + 10 the first has expired (the issuer refuses it by its own expiry): its record goes.
    assert store.consume(done[1], version=1, nonces=[_used(3)], now=NOW + 10)
    assert store.counts()["nonces"] == 2
    assert not store.consume(done[2], version=1, nonces=[_used(2)], now=NOW + 10)  # still remembered


def test_a_refused_consume_changes_nothing(store: SqlOid4vciStore) -> None:
    offer = _granted(_offer(1))
    store.add_offer(offer)
    other = _granted(_offer(2), 2)
    store.add_offer(other)
    assert store.consume(replace(other, state="issued"), version=1, nonces=[_used(1)], now=NOW)
    before = store.counts()
    done = replace(offer, state="issued")
    # One nonce was used before: the fresh one is not recorded either.
    assert not store.consume(done, version=1, nonces=[_used(2), _used(1)], now=NOW)
    # The offer moved on meanwhile: the nonces are not recorded.
    assert not store.consume(done, version=2, nonces=[_used(2), _used(3)], now=NOW)
    assert store.counts() == before
    assert store.offer(id="offer-1") == offer
    assert store.consume(done, version=1, nonces=[_used(2), _used(3)], now=NOW)


def test_offers_live_beside_the_log_and_survive_reopening(location: tuple[str, str]) -> None:
    with open_oid4vci_store(location[0], schema=location[1]) as first:
        first.add_offer(_granted(_offer(1, deferred=True)))
        assert first.consume(_granted(_offer(1, deferred=True)), version=1, nonces=[_used(1)], now=NOW)
    log = open_store(location[0], schema=location[1])
    assert log.head().size == 0  # one database, one migration history, every port
    log.close()
    with open_oid4vci_store(location[0], schema=location[1]) as again:
        assert again.offer(id="offer-1") == replace(_granted(_offer(1, deferred=True)), version=2)
        assert again.counts()["nonces"] == 1


# -- concurrent requests ---------------------------------------------------------------------------


def _race(location: tuple[str, str], count: int, work: Callable[[SqlOid4vciStore, int], bool]) -> list[bool]:
    """Run ``work`` at once on ``count`` stores, each with its own connection, as separate API workers."""
    stores = [open_oid4vci_store(location[0], schema=location[1]) for _ in range(count)]
    start = threading.Barrier(count)

    def run(n: int) -> bool:
        start.wait()
        return work(stores[n], n)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(run, range(count)))
    finally:
        for store in stores:
            store.close()


def test_one_code_exchanged_at_once_by_many_wallets_gives_one_token(
    location: tuple[str, str], store: SqlOid4vciStore
) -> None:
    store.add_offer(_offer(1))
    wins = _race(location, 5, lambda s, n: s.save_offer(_granted(_offer(1), n), version=1))
    assert wins.count(True) == 1
    winner = wins.index(True)
    assert store.offer(id="offer-1") == replace(_granted(_offer(1), winner), version=2)


def test_one_nonce_spent_at_once_by_many_requests_is_spent_once(
    location: tuple[str, str], store: SqlOid4vciStore
) -> None:
    for n in range(5):
        store.add_offer(_granted(_offer(n), n))

    def spend(worker: SqlOid4vciStore, n: int) -> bool:
        done = replace(_granted(_offer(n), n), state="issued")
        return worker.consume(done, version=1, nonces=[_used(1)], now=NOW)

    wins = _race(location, 5, spend)
    assert wins.count(True) == 1
    assert store.counts() == {"nonces": 1, "offers_issued": 1, "offers_token": 4}
