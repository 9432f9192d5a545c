"""Generates registered properties (토지, 단독주택, 아파트) with their 갑구 and 을구 histories."""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from typing import Any, Literal

from dojang.adapters.registry._data import BANKS, REGIONS
from dojang.adapters.registry._families import AS_OF, plus_years
from dojang.adapters.registry._model import Address, Citizen, Household, OwnershipEntry, Property, Right, Sex
from dojang.adapters.registry._people import (
    draw_address,
    draw_date,
    draw_given,
    draw_surname,
    lot_address,
    mask,
    rrn,
)

__all__ = ["build_properties"]

_DAY = datetime.timedelta(days=1)


def build_properties(
    rng: random.Random, citizens: Mapping[str, Citizen], households: Mapping[str, Household]
) -> dict[str, Property]:
    """Homes owned by some household heads, and farmland or forest owned by some of the elders."""
    out: dict[str, Property] = {}
    for home in households.values():
        head = citizens[home.head_id]
        elder = head.birth_date.year < 1970
        if rng.random() < (0.6 if elder else 0.4):
            kind: Literal["건물", "집합건물"] = "집합건물" if home.address.detail else "건물"
            _add(
                out,
                _build(
                    rng,
                    prop_id=_next_id(out),
                    owner=head,
                    kind=kind,
                    address=home.address,
                    acquired=home.formed,
                    citizens=citizens,
                ),
            )
        if elder and rng.random() < 0.3:
            land, bought = (
                draw_address(rng, apartment=False),
                plus_years(head.birth_date, rng.randint(30, 55)),
            )
            _add(
                out,
                _build(
                    rng,
                    prop_id=_next_id(out),
                    owner=head,
                    kind="토지",
                    address=land,
                    acquired=min(bought, AS_OF),
                    citizens=citizens,
                ),
            )
    return out


def _next_id(out: Mapping[str, Property]) -> str:
    return f"P{len(out) + 1:04d}"


def _add(out: dict[str, Property], prop: Property) -> None:
    out[prop.id] = prop


def _build(
    rng: random.Random,
    *,
    prop_id: str,
    owner: Citizen,
    kind: Literal["토지", "건물", "집합건물"],
    address: Address,
    acquired: datetime.date,
    citizens: Mapping[str, Citizen],
) -> Property:
    ownership = _ownership(rng, owner, acquired, citizens)
    office = next(i for i, r in enumerate(REGIONS) if r[:2] == (address.sido, address.sigungu))
    first = ownership[0].received
    return Property(
        id=prop_id,
        unique_number=f"{1101 + office:04d}-{first.year}-{rng.randint(1, 999999):06d}",
        kind=kind,
        address=address,
        location=lot_address(rng, address),
        land=_land(rng, kind),
        building=_building(rng, kind, address),
        ownership=ownership,
        rights=_mortgages(rng, owner, acquired),
        owner_id=owner.id,
    )


def _land(rng: random.Random, kind: str) -> tuple[str, float]:
    if kind == "토지":
        return rng.choice(("전", "답", "임야", "과수원", "대")), round(rng.uniform(300, 12000), 1)
    # A 집합건물 registers the whole estate's land; a house its own plot.
    area = rng.uniform(15000, 60000) if kind == "집합건물" else rng.uniform(120, 500)
    return "대", round(area, 1)


def _building(rng: random.Random, kind: str, address: Address) -> dict[str, Any] | None:
    if kind == "토지":
        return None
    if kind == "건물":
        structure = rng.choice(("철근콘크리트구조", "벽돌구조", "경량철골구조"))
        return {
            "structure": structure,
            "use": "단독주택",
            "floors": rng.randint(1, 3),
            "area_m2": round(rng.uniform(60, 250), 2),
        }
    return {
        "structure": "철근콘크리트구조",
        "use": "아파트",
        "floors": rng.randint(12, 35),
        "unit": address.detail or "",
        "area_m2": rng.choice((59.97, 84.96, 114.82, 134.55)),
        "land_share": f"{rng.uniform(15000, 60000):.1f}분의 {rng.uniform(25, 75):.2f}",
    }


def _ownership(
    rng: random.Random, owner: Citizen, acquired: datetime.date, citizens: Mapping[str, Citizen]
) -> tuple[OwnershipEntry, ...]:
    """보존 by a fictional first owner, up to two sales, then the owner: bought, or a gift from the father."""
    start = min(datetime.date(1975, 1, 1), plus_years(acquired, -10))
    days = sorted(draw_date(rng, start, acquired - 60 * _DAY) for _ in range(rng.randint(1, 3)))
    sellers: list[tuple[str, str, str]] = [_stranger(rng, day) for day in days]
    father = citizens.get(owner.father_id or "")
    gift = father is not None and plus_years(father.birth_date, 25) < days[-1] and rng.random() < 0.3
    if father is not None and gift:
        sellers[-1] = (father.name, mask(father.rrn), _current_address(father))
    entries = []
    for rank, (day, seller) in enumerate(zip(days, sellers, strict=True)):
        cause = None if rank == 0 else ("매매", day - rng.randint(0, 40) * _DAY)
        entries.append(_entry(rng, "소유권보존" if rank == 0 else "소유권이전", day, cause, seller))
    cause = ("증여" if gift else "매매", acquired - rng.randint(1, 30) * _DAY)
    entries.append(
        _entry(rng, "소유권이전", acquired, cause, (owner.name, mask(owner.rrn), _current_address(owner)))
    )
    return tuple(entries)


def _entry(
    rng: random.Random,
    purpose: str,
    day: datetime.date,
    cause: tuple[str, datetime.date] | None,
    who: tuple[str, str, str],
) -> OwnershipEntry:
    return OwnershipEntry(purpose, day, rng.randint(1000, 99999), cause, *who)


def _stranger(rng: random.Random, day: datetime.date) -> tuple[str, str, str]:
    """A fictional owner outside the registry, aged 25 to 70 on ``day``: name, masked RRN, address."""
    surname, sex = draw_surname(rng), _sex(rng)
    birth = draw_date(rng, plus_years(day, -70), plus_years(day, -25))
    name = surname[0] + draw_given(rng, sex)[0]
    return name, mask(rrn(rng, birth, sex, set())), draw_address(rng, apartment=False).line()


def _sex(rng: random.Random) -> Sex:
    return "남" if rng.random() < 0.5 else "여"


def _current_address(citizen: Citizen) -> str:
    return citizen.residences[-1].address.line()


def _mortgages(rng: random.Random, owner: Citizen, acquired: datetime.date) -> tuple[Right, ...]:
    days = sorted(draw_date(rng, acquired, AS_OF) for _ in range(rng.randint(0, 2)))
    return tuple(
        Right(
            received=day,
            receipt_number=rng.randint(1000, 99999),
            contract_date=day - rng.randint(0, 5) * _DAY,
            # 채권최고액 is customarily 120% of the loan; loans in steps of 10 million won.
            max_claim_amount=rng.randint(5, 60) * 12_000_000,
            debtor=owner.name,
            mortgagee=rng.choice(BANKS),
        )
        for day in days
    )
