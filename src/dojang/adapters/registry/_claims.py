"""Registry data shaped as each document kind's claims, before the catalogue strips and derives."""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from typing import Any

from dojang.adapters.registry._model import Citizen, Household, OwnershipEntry, Property, Residence, Right

__all__ = ["abstract", "copy", "document_header", "family", "register_extract"]

_RELATION = {"father_id": "부", "mother_id": "모", "spouse_id": "배우자"}


def document_header(rng: random.Random, office: str, record: str, today: datetime.date) -> dict[str, Any]:
    """The claims every certificate opens with; ``registry_record_id`` is the registry's own, never issued."""
    number = "-".join(f"{rng.randrange(10000):04d}" for _ in range(4))
    return {
        "document_number": number,
        "issuing_office": office,
        "issue_date": today.isoformat(),
        "registry_record_id": record,
    }


def copy(citizens: Mapping[str, Citizen], home: Household) -> dict[str, Any]:
    """주민등록표 등본: the household, its address and every member."""
    head = citizens[home.head_id]
    members = [
        {
            "person_id": member.citizen_id,
            **_person(citizens[member.citizen_id]),
            "relationship": member.relationship,
            "moved_in_date": member.moved_in.isoformat(),
            "change_reason": member.reason,
        }
        for member in home.members
    ]
    household = {
        "head_name": head.name,
        "composition_reason": home.reason,
        "composition_date": home.formed.isoformat(),
    }
    return {"household": household, "address": home.address.claims(), "members": members}


def abstract(citizen: Citizen) -> dict[str, Any]:
    """주민등록표 초본: the person and their address history."""
    return {"person": _person(citizen), "address_history": [_residence(r) for r in citizen.residences]}


def family(citizens: Mapping[str, Citizen], citizen: Citizen) -> dict[str, Any]:
    """가족관계증명서 (일반): the subject, 등록기준지, parents, spouse and children in the registry."""
    relatives = [(_RELATION[key], getattr(citizen, key)) for key in ("father_id", "mother_id", "spouse_id")]
    relatives += [("자녀", child) for child in citizen.children_ids]
    members = [
        {"relation": relation, **_person(citizens[cid]), "bon": citizens[cid].bon}
        for relation, cid in relatives
        if cid
    ]
    return {
        "certificate_type": "일반",
        "registration_base": citizen.registration_base,
        "subject": {**_person(citizen), "bon": citizen.bon},
        "family": members,
    }


def register_extract(prop: Property) -> dict[str, Any]:
    """부동산 등기사항증명서: the property, its 갑구 (ownership) and 을구 (mortgages)."""
    claims: dict[str, Any] = {
        "unique_number": prop.unique_number,
        "property_kind": prop.kind,
        "location": prop.location,
    }
    if prop.kind != "토지":
        claims["road_address"] = prop.address.line()
    if prop.land is not None:
        claims["land"] = {"category": prop.land[0], "area_m2": prop.land[1]}
    if prop.building is not None:
        claims["building"] = dict(prop.building)
    claims["ownership"] = [_ownership(rank, entry) for rank, entry in enumerate(prop.ownership, start=1)]
    claims["other_rights"] = [_mortgage(rank, right) for rank, right in enumerate(prop.rights, start=1)]
    return claims


def _person(citizen: Citizen) -> dict[str, Any]:
    out: dict[str, Any] = {"name": citizen.name}
    if citizen.name_hanja:
        out["name_hanja"] = citizen.name_hanja
    return {**out, "birth_date": citizen.birth_date.isoformat(), "sex": citizen.sex, "rrn": citizen.rrn}


def _residence(residence: Residence) -> dict[str, Any]:
    return {
        "address": residence.address.claims(),
        "moved_in_date": residence.moved_in.isoformat(),
        "change_reason": residence.reason,
        "household_head_name": residence.head_name,
    }


def _ownership(rank: int, entry: OwnershipEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rank": str(rank),
        "purpose": entry.purpose,
        "receipt": {"date": entry.received.isoformat(), "number": f"제{entry.receipt_number}호"},
    }
    if entry.cause is not None:
        out["cause"] = {"kind": entry.cause[0], "date": entry.cause[1].isoformat()}
    owner = {"name": entry.owner_name, "rrn_masked": entry.owner_rrn_masked, "address": entry.owner_address}
    return {**out, "owner": owner}


def _mortgage(rank: int, right: Right) -> dict[str, Any]:
    return {
        "rank": str(rank),
        "purpose": "근저당권설정",
        "receipt": {"date": right.received.isoformat(), "number": f"제{right.receipt_number}호"},
        "cause": {"kind": "설정계약", "date": right.contract_date.isoformat()},
        "max_claim_amount": right.max_claim_amount,
        "debtor": right.debtor,
        "mortgagee": right.mortgagee,
    }
