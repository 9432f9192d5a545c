"""The synthetic registry's records: citizens, households, addresses and registered properties."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Address",
    "Citizen",
    "Household",
    "Member",
    "OwnershipEntry",
    "Property",
    "Residence",
    "Right",
    "Sex",
]

Sex = Literal["남", "여"]


@dataclass(frozen=True, slots=True)
class Address:
    """A 도로명주소 in a real 시·도 and 시·군·구, on a fictional road."""

    sido: str
    sigungu: str
    dong: str
    road_address: str
    detail: str | None
    postal_code: str
    registry_office: str

    def line(self) -> str:
        """The address on one line, as printed on certificates."""
        detail = f", {self.detail}" if self.detail else ""
        return f"{self.sido} {self.sigungu} {self.road_address}{detail}"

    def claims(self) -> dict[str, Any]:
        out = {"sido": self.sido, "sigungu": self.sigungu, "road_address": self.road_address}
        if self.detail:
            out["detail"] = self.detail
        return {**out, "postal_code": self.postal_code}


@dataclass(frozen=True, slots=True)
class Residence:
    """One line of a person's address history (초본): where, since when, why, and under which head."""

    address: Address
    moved_in: datetime.date
    reason: str
    head_name: str


@dataclass(frozen=True, slots=True)
class Citizen:
    """A fictional person. ``residences`` runs oldest first; the last one is the current household."""

    id: str
    name: str
    name_hanja: str | None
    bon: str
    birth_date: datetime.date
    sex: Sex
    rrn: str
    household_id: str
    registration_base: str
    father_id: str | None
    mother_id: str | None
    spouse_id: str | None
    children_ids: tuple[str, ...]
    residences: tuple[Residence, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """A household member as listed on the 등본."""

    citizen_id: str
    relationship: str
    moved_in: datetime.date
    reason: str


@dataclass(frozen=True, slots=True)
class Household:
    id: str
    address: Address
    head_id: str
    formed: datetime.date
    reason: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class OwnershipEntry:
    """A 갑구 entry. Owners outside the registry are fictional people too; only a masked RRN is kept."""

    purpose: str
    received: datetime.date
    receipt_number: int
    cause: tuple[str, datetime.date] | None
    owner_name: str
    owner_rrn_masked: str
    owner_address: str


@dataclass(frozen=True, slots=True)
class Right:
    """An 을구 entry: a 근저당권 with its 채권최고액."""

    received: datetime.date
    receipt_number: int
    contract_date: datetime.date
    max_claim_amount: int
    debtor: str
    mortgagee: str


@dataclass(frozen=True, slots=True)
class Property:
    id: str
    unique_number: str
    kind: Literal["토지", "건물", "집합건물"]
    address: Address
    location: str
    land: tuple[str, float] | None
    building: Mapping[str, Any] | None
    ownership: tuple[OwnershipEntry, ...]
    rights: tuple[Right, ...]
    #: The current owner: a citizen of the registry (the last 갑구 entry).
    owner_id: str
