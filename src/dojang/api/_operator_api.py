"""The operator API (``/operator/…``): agencies, accreditations, receiving institutions, the trust list.

Only the operator's bearer token passes. Agency and accreditation changes take the same steps as
``dojang operator`` (the operator role's ``AccreditationService``): the change is logged (an
accreditation entry, durable first), then the registry is saved and the signed trust list
republished. Receiving institutions are a small registry of their own (``DATA/institutions.json``:
id, name, contact); registering or removing one is logged first too, by its id only.
"""

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from dojang.adapters.api_tokens import Principal
from dojang.adapters.keystore import KeyStore, atomic_write
from dojang.adapters.trust_list_files import read_registry, read_root, write_registry, write_trust_list
from dojang.api._auth import AUTH_RESPONSES, Authenticator
from dojang.api._problems import Problem
from dojang.core.catalogue import Catalogue
from dojang.core.crypto import VerifyKey
from dojang.errors import ConfigError, InputError, NotFoundError
from dojang.roles.issuer import EntryRecorder
from dojang.roles.operator import AccreditationService, Operator

__all__ = ["INSTITUTIONS_FILE", "OperatorService", "operator_router"]

INSTITUTIONS_FILE = "institutions.json"
SIGNER_YEARS = 3
_YEAR = 365 * 86_400
_TAGS: list[str | Enum] = ["operator"]


@dataclass
class OperatorService:
    """The operator's actions on one data directory (root CA key in ``keys``, registry in ``data_dir``)."""

    data_dir: Path
    keys: KeyStore
    catalogue: Catalogue
    log: EntryRecorder
    clock: Callable[[], float] = field(default=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def trust_dir(self) -> Path:
        return self.data_dir / "trust"

    def _operator(self) -> Operator:
        _, key = self.keys.load_active("operator")
        return Operator(key, read_root(self.trust_dir), read_registry(self.data_dir))

    @property
    def changes(self) -> AccreditationService:
        return AccreditationService(
            self.log,
            self._operator,
            lambda registry: write_registry(self.data_dir, registry),
            lambda token: write_trust_list(self.trust_dir, token),
        )

    def agencies(self) -> list[dict[str, Any]]:
        return [_agency_view(a) for a in self._operator().registry.agencies]

    def add_agency(self, issuer_id: str, name: str) -> dict[str, Any]:
        """Register an agency, give it a signing key and a document-signer certificate."""
        now = int(self.clock())

        def key_for(iss: str) -> VerifyKey:
            return self.keys.create("issuer", iss=iss).public_key()

        with self._lock:
            operator, _ = self.changes.add_agency(
                issuer_id, name, key_for, not_before=now, not_after=now + SIGNER_YEARS * _YEAR,
                rng=secrets.token_bytes, now=now,
            )  # fmt: skip
            return _agency_view(operator.registry.agency(issuer_id))

    def accredit(
        self, agency: str, kind: str, not_before: int | None, not_after: int | None
    ) -> dict[str, Any]:
        now, vct = int(self.clock()), self.catalogue.get(kind).vct
        start = now if not_before is None else not_before
        with self._lock:
            entry = self.changes.accredit(agency, vct, not_before=start, not_after=not_after, now=now)
        return {"agency": agency, "vct": vct, "not_before": entry.not_before, "not_after": entry.not_after}

    def withdraw(self, agency: str, kind: str, at: int | None) -> dict[str, Any]:
        now, vct = int(self.clock()), self.catalogue.get(kind).vct
        with self._lock:
            entry = self.changes.withdraw(agency, vct, at=now if at is None else at, now=now)
        return {"agency": agency, "vct": vct, "not_before": entry.not_before, "not_after": entry.not_after}

    def trust_list(self) -> str:
        """The signed trust list as published (signed now when none is yet)."""
        path = self.trust_dir / "trust-list.jwt"
        if not path.is_file():
            with self._lock:
                self.changes.commit(self._operator(), (), now=int(self.clock()))
        return path.read_text(encoding="ascii").strip()

    # -- receiving institutions --------------------------------------------------------------------

    def institutions(self) -> list[dict[str, Any]]:
        path = self.data_dir / INSTITUTIONS_FILE
        try:
            document = json.loads(path.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} cannot be read: {exc}") from None
        return [i for i in document.get("institutions", []) if isinstance(i, dict)]

    def add_institution(self, institution_id: str, name: str, contact: str) -> dict[str, Any]:
        """Register an institution: logged by its id (durable first), then saved."""
        with self._lock:
            known = self.institutions()
            if any(i.get("id") == institution_id for i in known):
                raise InputError(f"receiving institution {institution_id!r} is already registered")
            now = int(self.clock())
            self.changes.record_institution(institution_id, registered=True, now=now)
            entry = {"id": institution_id, "name": name, "contact": contact, "registered": now}
            self._save_institutions([*known, entry])
        return entry

    def remove_institution(self, institution_id: str) -> None:
        """Remove an institution: logged by its id (durable first), then saved."""
        with self._lock:
            known = self.institutions()
            kept = [i for i in known if i.get("id") != institution_id]
            if len(kept) == len(known):
                raise NotFoundError(f"no receiving institution {institution_id!r} is registered")
            self.changes.record_institution(institution_id, registered=False, now=int(self.clock()))
            self._save_institutions(kept)

    def _save_institutions(self, institutions: list[dict[str, Any]]) -> None:
        document = json.dumps({"institutions": institutions}, ensure_ascii=False, indent=2)
        atomic_write(self.data_dir / INSTITUTIONS_FILE, document.encode())


def _agency_view(agency: Any) -> dict[str, Any]:
    return {
        "issuer_id": agency.issuer_id,
        "name": agency.name,
        "certificates": [c.fingerprint for c in agency.certificates],
        "accreditations": [
            {"vct": g.vct, "not_before": g.not_before, "not_after": g.not_after}
            for g in agency.accreditations
        ],
    }


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issuer_id: str = Field(pattern=r"^https://[^\s]+$", description="The agency's issuer id (its iss)")
    name: str = Field(min_length=1, max_length=200)


class Accreditation(BaseModel):
    vct: str
    not_before: int
    not_after: int | None


class AgencyOut(BaseModel):
    issuer_id: str
    name: str
    certificates: list[str] = Field(description="x5t#S256 fingerprints of its document-signer certificates")
    accreditations: list[Accreditation]


class AccreditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(description="The agency's issuer id")
    kind: str = Field(description="Document kind: id or vct")
    not_before: int | None = Field(default=None, ge=0, description="Unix seconds (default now)")
    not_after: int | None = Field(default=None, ge=0, description="Unix seconds, exclusive (default open)")


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str
    kind: str
    at: int | None = Field(default=None, ge=0, description="Withdrawn from (Unix seconds, default now)")


class AccreditationOut(Accreditation):
    agency: str


#: A receiving institution's id, in a request body and in a path alike.
_INSTITUTION_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class InstitutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_INSTITUTION_ID)
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=200)


_InstitutionId = Annotated[str, PathParam(pattern=_INSTITUTION_ID, description="The institution's id")]


class InstitutionOut(BaseModel):
    id: str
    name: str
    contact: str
    registered: int


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed request or a change that makes no sense (problem+json)",
        404: "No such agency or kind",
    }
    return {
        **{s: {"model": Problem, **r} for s, r in AUTH_RESPONSES.items()},
        **{s: {"model": Problem, "description": text[s]} for s in codes},
    }


def operator_router(service: OperatorService, auth: Authenticator) -> APIRouter:
    """``/operator/…`` over ``service``."""
    router = APIRouter(prefix="/operator", tags=_TAGS)
    Op = Annotated[Principal, Depends(auth.operator())]  # noqa: N806 - a type alias, named like one

    @router.get(
        "/agencies", operation_id="operator_agencies", summary="Registered agencies", responses=_responses()
    )
    def agencies(_op: Op) -> list[AgencyOut]:
        """Every agency with its certificates and accreditations."""
        return [AgencyOut.model_validate(a) for a in service.agencies()]

    @router.post(
        "/agencies", status_code=201, operation_id="operator_add_agency",
        summary="Register an agency and certify a new signing key for it", responses=_responses(400),
    )  # fmt: skip
    def add_agency(body: AgencyIn, _op: Op) -> AgencyOut:
        """Register the agency, create its signing key and issue its signer certificate (logged)."""
        return AgencyOut.model_validate(service.add_agency(body.issuer_id, body.name))

    @router.post(
        "/accreditations", status_code=201, operation_id="operator_accredit",
        summary="Accredit an agency for a kind", responses=_responses(400, 404),
    )  # fmt: skip
    def accredit(body: AccreditIn, _op: Op) -> AccreditationOut:
        """Grant the accreditation over a period (logged, trust list republished)."""
        return AccreditationOut.model_validate(
            service.accredit(body.agency, body.kind, body.not_before, body.not_after)
        )

    @router.post(
        "/accreditations/withdrawals", operation_id="operator_withdraw",
        summary="Withdraw an agency's accreditation for a kind", responses=_responses(400, 404),
    )  # fmt: skip
    def withdraw(body: WithdrawIn, _op: Op) -> AccreditationOut:
        """End the accreditation at ``at`` (logged, trust list republished)."""
        return AccreditationOut.model_validate(service.withdraw(body.agency, body.kind, body.at))

    @router.get(
        "/institutions",
        operation_id="operator_institutions",
        summary="Receiving institutions",
        responses=_responses(),
    )
    def institutions(_op: Op) -> list[InstitutionOut]:
        """The registered receiving institutions (banks, schools, employers …)."""
        return [InstitutionOut.model_validate(i) for i in service.institutions()]

    @router.post(
        "/institutions", status_code=201, operation_id="operator_add_institution",
        summary="Register a receiving institution", responses=_responses(400),
    )  # fmt: skip
    def add_institution(body: InstitutionIn, _op: Op) -> InstitutionOut:
        """Add an institution: id, name and contact (logged by its id only)."""
        return InstitutionOut.model_validate(service.add_institution(body.id, body.name, body.contact))

    @router.delete(
        "/institutions/{institution_id}", status_code=204, operation_id="operator_remove_institution",
        summary="Remove a receiving institution", responses=_responses(404), response_class=Response,
    )  # fmt: skip
    def remove_institution(institution_id: _InstitutionId, _op: Op) -> Response:
        """Remove the institution from the registry (logged by its id)."""
        service.remove_institution(institution_id)
        return Response(status_code=204)

    @router.get(
        "/trust-list", operation_id="operator_trust_list", summary="The signed trust list",
        response_class=Response, responses={
            200: {
                "description": "The trust list JWT",
                "content": {"application/jwt": {"schema": {"type": "string"}}},
            },
            **_responses(),
        },
    )  # fmt: skip
    def trust_list(_op: Op) -> Response:
        """The operator-signed list of accredited agencies and the kinds each may issue."""
        return Response(service.trust_list(), media_type="application/jwt")

    return router
