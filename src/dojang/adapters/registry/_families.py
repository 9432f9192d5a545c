"""Generates fictional families: elderly couples, their children's own households, grandchildren.

Relations cross households (a married child lives apart from the parents), and every person gets an
address history that ends at their current household. Everything happens on or before ``AS_OF``, so
the data does not depend on the day it is generated.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field, replace

from dojang.adapters.registry._model import Address, Citizen, Household, Member, Residence, Sex
from dojang.adapters.registry._people import (
    Surname,
    draw_address,
    draw_date,
    draw_given,
    draw_surname,
    lot_address,
    rrn,
)

__all__ = ["AS_OF", "build_families", "plus_years"]

AS_OF = datetime.date(2025, 12, 31)
_YEAR = datetime.timedelta(days=365)


def plus_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class _Draft:
    """A person while the generator still adds relations and homes."""

    citizen: Citizen
    surname: Surname
    children: list[str] = field(default_factory=list)
    homes: list[Residence] = field(default_factory=list)


@dataclass
class _Home:
    household: Household
    members: list[Member] = field(default_factory=list)


class _Builder:
    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng, self.size, self.width = rng, size, max(4, len(str(size)))
        self.people: dict[str, _Draft] = {}
        self.homes: dict[str, _Home] = {}
        self.rrns: set[str] = set()

    def room(self) -> bool:
        return len(self.people) < self.size

    def person(self, sex: Sex, birth: datetime.date, surname: Surname, base: str | None = None) -> _Draft:
        given, given_hanja = draw_given(self.rng, sex)
        citizen_id = f"C{len(self.people) + 1:0{self.width}d}"
        citizen = Citizen(
            id=citizen_id,
            name=surname[0] + given,
            name_hanja=surname[1] + given_hanja if self.rng.random() < 0.6 else None,
            bon=surname[2],
            birth_date=birth,
            sex=sex,
            rrn=rrn(self.rng, birth, sex, self.rrns),
            household_id="",
            registration_base=base or lot_address(self.rng, draw_address(self.rng, apartment=False)),
            father_id=None,
            mother_id=None,
            spouse_id=None,
            children_ids=(),
            residences=(),
        )
        self.people[citizen_id] = draft = _Draft(citizen, surname)
        return draft

    def new_home(self, address: Address, head: _Draft, formed: datetime.date) -> _Home:
        home_id = f"H{len(self.homes) + 1:0{self.width}d}"
        home = _Home(Household(home_id, address, head.citizen.id, formed, "전입세대구성", ()))
        self.homes[home_id] = home
        return home

    def join(self, home: _Home, who: _Draft, relationship: str, moved_in: datetime.date, reason: str) -> None:
        home.members.append(Member(who.citizen.id, relationship, moved_in, reason))
        head = self.people[home.household.head_id].citizen.name
        who.homes.append(Residence(home.household.address, moved_in, reason, head))

    def earlier_homes(self, who: _Draft, until: datetime.date) -> None:
        """Zero to two addresses between the person's 18th birthday and ``until``."""
        start = plus_years(who.citizen.birth_date, 18)
        if who.homes:
            start = max(start, who.homes[-1].moved_in + _YEAR)
        days = sorted({draw_date(self.rng, start, until - _YEAR) for _ in range(self.rng.randint(0, 2))})
        for day in (d for d in days if d < until):
            head = (
                who.citizen.name
                if self.rng.random() < 0.5
                else who.surname[0] + draw_given(self.rng, "남")[0]
            )
            address = draw_address(self.rng, apartment=self.rng.random() < 0.5)
            who.homes.append(Residence(address, day, "전입", head))

    def lineage(self) -> None:
        rng = self.rng
        surname = draw_surname(rng)
        husband = self.person(
            "남", draw_date(rng, datetime.date(1938, 1, 1), datetime.date(1965, 12, 31)), surname
        )
        wife = None
        if self.room() and rng.random() < 0.85:
            wife = self.person("여", self.near(husband.citizen.birth_date, 5), draw_surname(rng))
        born = husband.citizen.birth_date
        formed = draw_date(rng, plus_years(born, 27), min(plus_years(born, 50), AS_OF))
        home = self.new_home(draw_address(rng, apartment=rng.random() < 0.6), husband, formed)
        self.settle(home, husband, wife, formed)
        for _ in range(rng.randint(0, 3)):
            if self.room():
                self.child(husband, wife, home)

    def settle(self, home: _Home, head: _Draft, spouse: _Draft | None, formed: datetime.date) -> None:
        for who, relationship in ((head, "본인"), (spouse, "배우자")):
            if who is not None:
                self.earlier_homes(who, formed)
                self.join(home, who, relationship, formed, "전입")
        if spouse is not None:
            self.link(head, spouse)

    def child(self, father: _Draft, mother: _Draft | None, home: _Home) -> None:
        rng, born_f = self.rng, father.citizen.birth_date
        born = draw_date(
            rng, plus_years(born_f, 24), min(plus_years(born_f, 40), datetime.date(2005, 12, 31))
        )
        kid = self.person(rng.choice(("남", "여")), born, father.surname, father.citizen.registration_base)
        self.adopt(kid, father, mother)
        moved_in, reason = (
            (born, "출생등록") if born >= home.household.formed else (home.household.formed, "전입")
        )
        out_from = max(moved_in + _YEAR, plus_years(born, 26))
        out_until = min(plus_years(born, 40), AS_OF - datetime.timedelta(days=30))
        if not self.room() or rng.random() < 0.3 or out_from >= out_until:
            self.join(home, kid, "자녀", moved_in, reason)
            return
        head_name = self.people[home.household.head_id].citizen.name
        kid.homes.append(Residence(home.household.address, moved_in, reason, head_name))
        self.marry_out(kid, draw_date(rng, out_from, out_until))

    def marry_out(self, kid: _Draft, formed: datetime.date) -> None:
        rng = self.rng
        sex: Sex = "여" if kid.citizen.sex == "남" else "남"
        spouse = self.person(sex, self.near(kid.citizen.birth_date, 4), draw_surname(rng))
        husband, wife = (kid, spouse) if kid.citizen.sex == "남" else (spouse, kid)
        head, other = (husband, wife) if rng.random() < 0.75 else (wife, husband)
        home = self.new_home(draw_address(rng, apartment=rng.random() < 0.7), head, formed)
        self.settle(home, head, other, formed)
        for _ in range(rng.randint(0, 3)):
            born = draw_date(rng, formed + datetime.timedelta(days=300), min(plus_years(formed, 15), AS_OF))
            if not self.room() or born > AS_OF:
                break
            grandchild = self.person(
                rng.choice(("남", "여")), born, husband.surname, husband.citizen.registration_base
            )
            self.adopt(grandchild, husband, wife)
            self.join(home, grandchild, "자녀", born, "출생등록")

    def near(self, day: datetime.date, years: int) -> datetime.date:
        shifted = day + datetime.timedelta(days=self.rng.randint(-365 * years, 365 * years))
        return min(shifted, datetime.date(2005, 12, 31))

    def link(self, one: _Draft, other: _Draft) -> None:
        one.citizen = replace(one.citizen, spouse_id=other.citizen.id)
        other.citizen = replace(other.citizen, spouse_id=one.citizen.id)

    def adopt(self, kid: _Draft, father: _Draft, mother: _Draft | None) -> None:
        kid.citizen = replace(
            kid.citizen, father_id=father.citizen.id, mother_id=mother.citizen.id if mother else None
        )
        for parent in (father, mother):
            if parent is not None:
                parent.children.append(kid.citizen.id)

    def freeze(self) -> tuple[dict[str, Citizen], dict[str, Household]]:
        homes = {hid: _with_members(home) for hid, home in self.homes.items()}
        where = {m.citizen_id: hid for hid, home in homes.items() for m in home.members}
        citizens = {
            cid: replace(
                d.citizen, household_id=where[cid], children_ids=tuple(d.children), residences=tuple(d.homes)
            )
            for cid, d in self.people.items()
        }
        return citizens, homes


def _with_members(home: _Home) -> Household:
    h = home.household
    return Household(h.id, h.address, h.head_id, h.formed, h.reason, tuple(home.members))


def build_families(rng: random.Random, size: int) -> tuple[dict[str, Citizen], dict[str, Household]]:
    """``size`` citizens in households, with relations and address histories, drawn from ``rng``."""
    builder = _Builder(rng, size)
    while builder.room():
        builder.lineage()
    return builder.freeze()
