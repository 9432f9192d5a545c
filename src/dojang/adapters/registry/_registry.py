"""The synthetic registry: fictional citizens, households and properties, the same for the same seed."""

from __future__ import annotations

import datetime
import random
from typing import Any

from dojang.adapters.registry import _claims
from dojang.adapters.registry._families import build_families
from dojang.adapters.registry._model import Citizen, Household, Property
from dojang.adapters.registry._property import build_properties
from dojang.errors import ConfigError, NotFoundError

__all__ = ["KIND_IDS", "SyntheticRegistry"]

#: The document kinds this registry holds data for.
KIND_IDS = (
    "resident-register-copy",
    "resident-register-abstract",
    "family-relation-certificate",
    "real-estate-register-extract",
)
_REAL_ESTATE = "real-estate-register-extract"


class SyntheticRegistry:
    """A deterministic stand-in for the agencies' registries, for demos, tests and benchmarks.

    Everything is drawn from ``random.Random(seed)`` at construction: no global random state, no clock.
    Every person, road and lot number is fictional; place names and registry offices are real.
    """

    def __init__(self, seed: int = 2026, size: int = 200) -> None:
        if size < 1:
            raise ConfigError(f"a synthetic registry needs at least one citizen, not {size}")
        rng = random.Random(seed)  # noqa: S311  # reproducible fiction, not secrets
        self._seed = seed
        self._citizens, self._households = build_families(rng, size)
        self._properties = build_properties(rng, self._citizens, self._households)

    def citizen_ids(self) -> tuple[str, ...]:
        """Stable ids, ``C0001`` upwards."""
        return tuple(self._citizens)

    def citizen(self, citizen_id: str) -> Citizen:
        try:
            return self._citizens[citizen_id]
        except KeyError:
            raise NotFoundError(f"no citizen {citizen_id!r} in the synthetic registry") from None

    def household(self, household_id: str) -> Household:
        try:
            return self._households[household_id]
        except KeyError:
            raise NotFoundError(f"no household {household_id!r} in the synthetic registry") from None

    def properties_of(self, citizen_id: str) -> tuple[str, ...]:
        """Ids of the properties the citizen currently owns (``P0001`` …), oldest registration first."""
        self.citizen(citizen_id)
        return tuple(pid for pid, prop in self._properties.items() if prop.owner_id == citizen_id)

    def property(self, property_id: str) -> Property:
        try:
            return self._properties[property_id]
        except KeyError:
            raise NotFoundError(f"no property {property_id!r} in the synthetic registry") from None

    def kinds_for(self, citizen_id: str) -> tuple[str, ...]:
        """The kinds the citizen can be issued: all of them, the register extract only for owners."""
        owns = bool(self.properties_of(citizen_id))
        return tuple(kind for kind in KIND_IDS if kind != _REAL_ESTATE or owns)

    def claims_for(
        self, kind_id: str, citizen_id: str, *, today: datetime.date, property_id: str | None = None
    ) -> dict[str, Any]:
        """The registry's data for one certificate, before ``DocumentKind.prepare``.

        It still holds ``never`` claims and lacks derived ones. For the register extract it describes
        ``property_id``, by default the first property the citizen owns (NotFoundError if none).
        """
        citizen = self.citizen(citizen_id)
        # One stream per document, so a document number does not depend on what was asked before.
        rng = random.Random(f"{self._seed}/{kind_id}/{citizen_id}/{property_id}/{today.isoformat()}")  # noqa: S311
        here = citizen.residences[-1].address
        if kind_id == "resident-register-copy":
            home = self._households[citizen.household_id]
            office, record, body = (
                f"{here.sido} {here.sigungu} {here.dong}장",
                f"RR-{home.id}",
                _claims.copy(self._citizens, home),
            )
        elif kind_id == "resident-register-abstract":
            office, record, body = (
                f"{here.sido} {here.sigungu} {here.dong}장",
                f"RR-{citizen.id}",
                _claims.abstract(citizen),
            )
        elif kind_id == "family-relation-certificate":
            office, record = f"{here.sido} {here.sigungu}청장", f"FR-{citizen.id}"
            body = _claims.family(self._citizens, citizen)
        elif kind_id == _REAL_ESTATE:
            prop = self._owned_property(citizen_id, property_id)
            office, record, body = (
                prop.address.registry_office,
                f"RE-{prop.id}",
                _claims.register_extract(prop),
            )
        else:
            raise NotFoundError(
                f"the synthetic registry holds no {kind_id!r}; it serves {', '.join(KIND_IDS)}"
            )
        return {**_claims.document_header(rng, office, record, today), **body}

    def _owned_property(self, citizen_id: str, property_id: str | None) -> Property:
        owned = self.properties_of(citizen_id)
        if property_id is None and owned:
            return self._properties[owned[0]]
        if property_id in owned:
            return self._properties[property_id]
        raise NotFoundError(f"citizen {citizen_id} owns no property {property_id or ''}".rstrip())
