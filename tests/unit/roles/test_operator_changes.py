"""The operator's changes in order (log, then registry, then trust list), shared by the CLI and the API."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dojang.core.crypto import create_root_ca, generate_key
from dojang.core.log import AccreditationAction, AccreditationEntry, encode_entry, parse_entry
from dojang.errors import UnavailableError
from dojang.roles.operator import (
    INSTITUTION,
    AccreditationService,
    Operator,
    OperatorRegistry,
    institution_entry,
)

T0 = 1_780_000_000
AGENCY = "https://jongno.example"


@dataclass
class Desk:
    """A real operator over an in-memory registry; ``events`` is the order things happened in."""

    operator: Operator
    events: list[str] = field(default_factory=list)
    saved: list[OperatorRegistry] = field(default_factory=list)
    down: bool = False

    def record(self, entries: Sequence[bytes]) -> list[int]:
        if self.down:
            raise UnavailableError("log store down")
        self.events += [f"log {parse_entry(e).action.name}" for e in entries]  # type: ignore[union-attr]
        return list(range(len(entries)))

    def service(self) -> AccreditationService:
        def save(registry: OperatorRegistry) -> None:
            self.events.append("save")
            self.saved.append(registry)
            self.operator = Operator(self.operator._key, self.operator.root, registry)

        def publish(token: str) -> Path:
            self.events.append("publish")
            return Path("trust-list.jwt")

        def load() -> Operator:
            return Operator(self.operator._key, self.operator.root, self.operator.registry)

        return AccreditationService(self, load, save, publish)


@pytest.fixture
def desk() -> Desk:
    key = generate_key("ES256", secrets.token_bytes)
    start = datetime.datetime.fromtimestamp(T0 - 86_400, datetime.UTC)
    root = create_root_ca(
        key, name="operator", not_before=start, not_after=start + datetime.timedelta(days=3650),
        rng=secrets.token_bytes,
    )  # fmt: skip
    return Desk(Operator(key, root, OperatorRegistry()))


def test_every_change_is_logged_before_it_is_saved_and_published(desk: Desk) -> None:
    service = desk.service()
    agency_key = generate_key("ES256", secrets.token_bytes).public
    service.add_agency(
        AGENCY, "종로구청", lambda iss: agency_key, not_before=T0, not_after=T0 + 86_400,
        rng=secrets.token_bytes, now=T0,
    )  # fmt: skip
    service.accredit(AGENCY, "urn:x:kind:1", not_before=T0, not_after=None, now=T0)
    service.withdraw(AGENCY, "urn:x:kind:1", at=T0 + 10, now=T0 + 10)
    fingerprint = desk.operator.registry.agency(AGENCY).certificates[0].fingerprint
    service.revoke_certificate(fingerprint, at=T0 + 20, now=T0 + 20)
    assert desk.events == [
        *("log CERTIFY", "save", "publish"),
        *("log GRANT", "save", "publish"),
        *("log WITHDRAW", "save", "publish"),
        *("log REVOKE_CERTIFICATE", "save", "publish"),
    ]


def test_a_change_the_log_did_not_take_is_neither_saved_nor_published(desk: Desk) -> None:
    desk.service().add_agency(
        AGENCY, "종로구청", lambda iss: generate_key("ES256", secrets.token_bytes).public,
        not_before=T0, not_after=T0 + 86_400, rng=secrets.token_bytes, now=T0,
    )  # fmt: skip
    desk.events.clear()
    desk.down = True
    with pytest.raises(UnavailableError):
        desk.service().accredit(AGENCY, "urn:x:kind:1", not_before=T0, not_after=None, now=T0)
    assert desk.events == []
    assert desk.operator.registry.agency(AGENCY).accreditations == ()


def test_an_institution_entry_names_the_institution_only() -> None:
    registered = institution_entry("hana-bank", registered=True, now=T0)
    removed = institution_entry("hana-bank", registered=False, now=T0 + 5)
    assert registered == AccreditationEntry(
        AccreditationAction.REGISTER_INSTITUTION, "hana-bank", INSTITUTION, T0, None, T0
    )
    assert removed.action is AccreditationAction.REMOVE_INSTITUTION
    for entry in (registered, removed):
        data = encode_entry(entry)
        assert parse_entry(data) == entry
        assert len(data) == 27 + 2 + len(b"hana-bank") + 2 + len(INSTITUTION)  # ids and times, nothing else
