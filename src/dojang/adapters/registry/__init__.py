"""A synthetic registry of fictional citizens, households and properties, deterministic from a seed."""

from dojang.adapters.registry._model import (
    Address,
    Citizen,
    Household,
    Member,
    OwnershipEntry,
    Property,
    Residence,
    Right,
)
from dojang.adapters.registry._registry import KIND_IDS, SyntheticRegistry

__all__ = [
    "KIND_IDS",
    "Address",
    "Citizen",
    "Household",
    "Member",
    "OwnershipEntry",
    "Property",
    "Residence",
    "Right",
    "SyntheticRegistry",
]
