"""Drawing fictional people and addresses: names, birth dates, resident registration numbers, 도로명주소."""

from __future__ import annotations

import datetime
import random

from dojang.adapters.registry._data import FEMALE_NAMES, MALE_NAMES, REGIONS, ROADS, SURNAMES
from dojang.adapters.registry._model import Address, Sex

__all__ = ["Surname", "draw_address", "draw_date", "draw_given", "draw_surname", "lot_address", "mask", "rrn"]

Surname = tuple[str, str, str]  # (surname, hanja, 본)
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def draw_surname(rng: random.Random) -> Surname:
    surname, hanja, bon, _ = rng.choices(SURNAMES, weights=[entry[3] for entry in SURNAMES])[0]
    return surname, hanja, bon


def draw_given(rng: random.Random, sex: Sex) -> tuple[str, str]:
    return rng.choice(MALE_NAMES if sex == "남" else FEMALE_NAMES)


def draw_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    """A day from ``start`` to ``end`` inclusive; ``start`` itself when the range is empty."""
    span = (end - start).days
    return start + datetime.timedelta(days=rng.randint(0, span)) if span > 0 else start


def rrn(rng: random.Random, birth: datetime.date, sex: Sex, taken: set[str]) -> str:
    """A unique, well-formed, fictional 주민등록번호: YYMMDD-G + five digits + the check digit.

    G is 1/2 for men/women born in the 1900s and 3/4 in the 2000s; the check digit follows the
    published weights so that the numbers pass the usual format checks.
    """
    century = 1 if birth.year < 2000 else 3
    gender = century + (0 if sex == "남" else 1)
    while True:
        front = f"{birth:%y%m%d}{gender}{rng.randrange(100000):05d}"
        check = (11 - sum(int(d) * w for d, w in zip(front, _RRN_WEIGHTS, strict=True)) % 11) % 10
        number = f"{front[:6]}-{front[6:]}{check}"
        if number not in taken:
            taken.add(number)
            return number


def mask(number: str) -> str:
    """``800101-1234567`` → ``800101-1******``, as the 등기사항증명서 prints owners' numbers."""
    return number[:8] + "******"


def draw_address(rng: random.Random, *, apartment: bool) -> Address:
    sido, sigungu, postal, dongs, office = rng.choice(REGIONS)
    road = rng.choice(ROADS)
    if rng.random() < 0.3:
        road += f"{rng.randint(1, 60)}번길"
    detail = f"{rng.randint(101, 115)}동 {rng.randint(1, 25)}{rng.randint(1, 6):02d}호" if apartment else None
    return Address(
        sido=sido,
        sigungu=sigungu,
        dong=rng.choice(dongs),
        road_address=f"{road} {rng.randint(1, 250)}",
        detail=detail,
        postal_code=f"{postal}{rng.randrange(100):02d}",
        registry_office=office,
    )


def lot_address(rng: random.Random, address: Address) -> str:
    """A 지번 location in the same 법정동, e.g. ``서울특별시 강남구 역삼동 123-4``."""
    lot = f"{rng.randint(1, 999)}-{rng.randint(1, 30)}" if rng.random() < 0.7 else str(rng.randint(1, 999))
    return f"{address.sido} {address.sigungu} {address.dong} {lot}"
