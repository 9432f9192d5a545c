"""The synthetic registry: deterministic, well-formed fictional data that every kind can issue."""

from __future__ import annotations

import datetime
import re

import pytest

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.registry import KIND_IDS, SyntheticRegistry
from dojang.errors import NotFoundError

TODAY = datetime.date(2026, 3, 1)
REGISTRY = SyntheticRegistry()
CATALOGUE = load_catalogue()
RRN = re.compile(r"[0-9]{6}-[1-4][0-9]{6}")


def rrn_checksum_ok(rrn: str) -> bool:
    digits = rrn.replace("-", "")
    total = sum(int(d) * w for d, w in zip(digits[:12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def test_same_seed_same_data_other_seed_other_data() -> None:
    again, other = SyntheticRegistry(), SyntheticRegistry(seed=7)
    assert [REGISTRY.citizen(c) for c in REGISTRY.citizen_ids()] == [
        again.citizen(c) for c in again.citizen_ids()
    ]
    assert REGISTRY.claims_for("resident-register-copy", "C0001", today=TODAY) == again.claims_for(
        "resident-register-copy", "C0001", today=TODAY
    )
    assert [REGISTRY.citizen(c).rrn for c in REGISTRY.citizen_ids()] != [
        other.citizen(c).rrn for c in other.citizen_ids()
    ]


def test_ids_and_size() -> None:
    assert REGISTRY.citizen_ids()[:2] == ("C0001", "C0002")
    assert len(REGISTRY.citizen_ids()) == 200
    assert len(SyntheticRegistry(seed=3, size=37).citizen_ids()) == 37


def test_resident_registration_numbers_are_consistent_and_unique() -> None:
    numbers = set()
    for cid in REGISTRY.citizen_ids():
        citizen = REGISTRY.citizen(cid)
        assert RRN.fullmatch(citizen.rrn), citizen.rrn
        assert citizen.rrn[:6] == citizen.birth_date.strftime("%y%m%d")
        century = 1 if citizen.birth_date.year < 2000 else 3
        assert int(citizen.rrn[7]) == century + (0 if citizen.sex == "남" else 1)
        assert rrn_checksum_ok(citizen.rrn)
        numbers.add(citizen.rrn)
    assert len(numbers) == len(REGISTRY.citizen_ids())


def test_relations_and_households_are_consistent() -> None:
    spouses = children = 0
    for cid in REGISTRY.citizen_ids():
        citizen = REGISTRY.citizen(cid)
        if citizen.spouse_id:
            spouses += 1
            assert REGISTRY.citizen(citizen.spouse_id).spouse_id == cid
            assert REGISTRY.citizen(citizen.spouse_id).sex != citizen.sex
        for child in citizen.children_ids:
            children += 1
            assert cid in (REGISTRY.citizen(child).father_id, REGISTRY.citizen(child).mother_id)
            assert REGISTRY.citizen(child).birth_date > citizen.birth_date
        home = REGISTRY.household(citizen.household_id)
        assert cid in [m.citizen_id for m in home.members]
        assert citizen.residences[-1].address == home.address
        moves = [r.moved_in for r in citizen.residences]
        assert moves == sorted(moves)
        assert moves[0] >= citizen.birth_date
    assert spouses > 50
    assert children > 50
    # Relations reach across households: some married children live apart from their parents.
    assert any(
        REGISTRY.citizen(c).father_id
        and REGISTRY.citizen(REGISTRY.citizen(c).father_id or "").household_id
        != REGISTRY.citizen(c).household_id
        for c in REGISTRY.citizen_ids()
    )


def test_every_citizen_and_every_kind_they_qualify_for_prepares() -> None:
    issued = 0
    for cid in REGISTRY.citizen_ids():
        for kind_id in REGISTRY.kinds_for(cid):
            kind = CATALOGUE.get(kind_id)
            claims = kind.prepare(REGISTRY.claims_for(kind_id, cid, today=TODAY), today=TODAY)
            assert "registry_record_id" not in claims
            issued += 1
    owners = [c for c in REGISTRY.citizen_ids() if REGISTRY.properties_of(c)]
    assert len(owners) >= 10
    assert issued == 3 * len(REGISTRY.citizen_ids()) + len(owners)


def test_registry_claims_hold_never_claims_and_lack_derived_ones() -> None:
    copy = REGISTRY.claims_for("resident-register-copy", "C0001", today=TODAY)
    assert copy["registry_record_id"].startswith("RR-")
    assert all("person_id" in m for m in copy["members"])
    assert "age_over_19" not in REGISTRY.claims_for("resident-register-abstract", "C0001", today=TODAY)


def test_the_register_extract_names_the_owner_last() -> None:
    owner = next(c for c in REGISTRY.citizen_ids() if REGISTRY.properties_of(c))
    claims = REGISTRY.claims_for("real-estate-register-extract", owner, today=TODAY)
    last = claims["ownership"][-1]["owner"]
    assert last["name"] == REGISTRY.citizen(owner).name
    assert last["rrn_masked"] == REGISTRY.citizen(owner).rrn[:8] + "******"


def test_unknown_ids_and_non_owners_are_not_found() -> None:
    with pytest.raises(NotFoundError):
        REGISTRY.citizen("C9999")
    with pytest.raises(NotFoundError):
        REGISTRY.claims_for("land-ledger", "C0001", today=TODAY)
    non_owner = next(c for c in REGISTRY.citizen_ids() if not REGISTRY.properties_of(c))
    with pytest.raises(NotFoundError):
        REGISTRY.claims_for("real-estate-register-extract", non_owner, today=TODAY)
    assert "real-estate-register-extract" not in REGISTRY.kinds_for(non_owner)
    assert set(REGISTRY.kinds_for(non_owner)) == set(KIND_IDS) - {"real-estate-register-extract"}
