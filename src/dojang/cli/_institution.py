"""``dojang operator institution add|list|remove``: the receiving institutions of a data directory.

The same :class:`~dojang.api._operator_api.OperatorService` as ``/operator/institutions`` does the
work, so the CLI and the HTTP API keep one order: a duplicate or unknown id is refused before
anything is written; a registration or removal is logged first (an accreditation entry naming the
institution's id only, through the operator role's ``AccreditationService``), then
``DATA/institutions.json`` is saved. Input is checked by the HTTP API's own model, so both edges
accept the same ids, names and contacts.

Run these where the operator lives (``dojang operator init``). A ``dojang serve`` on the same data
directory serialises its own API calls but not this process's: make institution changes through one
of the two at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from dojang.api._operator_api import InstitutionIn, OperatorService
from dojang.cli._context import State, cli_of, opened_state, state_options
from dojang.cli._messages import text
from dojang.cli._render import iso_time
from dojang.errors import InputError, NotFoundError
from dojang.roles.issuer import KST

__all__ = ["institution", "institution_service"]

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@dataclass(frozen=True)
class _StateLog:
    """The data directory's log, opened only when an entry is recorded (listing opens nothing)."""

    state: State

    def record(self, entries: Sequence[bytes]) -> list[int]:
        return self.state.log[0].record(entries)


def institution_service(state: State) -> OperatorService:
    """The operator's institution registry of this data directory, logging through its log."""
    return OperatorService(state.settings.data_dir, state.keys, state.catalogue, _StateLog(state))


def _require_operator(state: State) -> None:
    if not (state.settings.trust_dir / "root-ca.pem").is_file():
        raise NotFoundError(
            f"no platform operator in {state.settings.data_dir}: receiving institutions are the operator's",
            hint="create it with: dojang operator init",
        )


def _checked(institution_id: str, name: str, contact: str) -> InstitutionIn:
    """The same rules as ``POST /operator/institutions``; every problem named, as its option."""
    try:
        return InstitutionIn(id=institution_id, name=name, contact=contact)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise InputError(f"bad receiving institution: {problems}") from None


def _iso(seconds: int) -> str:
    return iso_time(seconds, KST)


def _dump(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@click.group("institution")
def institution() -> None:
    """Receiving institutions (banks, schools, employers): register, list, remove; each change logged."""


@institution.command("add")
@click.option("--id", "institution_id", required=True, help="Its id: letters, digits, '.', '_', ':', '-'.")
@click.option("--name", required=True, help="Its name, e.g. 국민은행 종로지점.")
@click.option("--contact", required=True, help="Whom to contact there (kept here, never logged).")
@_JSON
@state_options
@click.pass_context
def add(
    ctx: click.Context, *, institution_id: str, name: str, contact: str, as_json: bool,
    data_dir: Path | None, passphrase_file: Path | None,
) -> None:  # fmt: skip
    """Register a receiving institution: logged by its id, then saved to DATA/institutions.json."""
    checked = _checked(institution_id, name, contact)
    with opened_state(data_dir, passphrase_file) as state:
        _require_operator(state)
        entry = institution_service(state).add_institution(checked.id, checked.name, checked.contact)
    if as_json:
        _dump(entry)
        return
    click.echo(text("institution_added", cli_of(ctx).lang, id=entry["id"], name=entry["name"]))


@institution.command("list")
@_JSON
@state_options
@click.pass_context
def list_institutions(
    ctx: click.Context, *, as_json: bool, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """List the registered receiving institutions: id, name, contact, when registered."""
    with opened_state(data_dir, passphrase_file) as state:
        found = institution_service(state).institutions()
    if as_json:
        _dump({"institutions": found})
        return
    for item in found:
        click.echo(
            f"{item.get('id')}  {item.get('name')}  {item.get('contact')}  {_iso(item.get('registered', 0))}"
        )
    if not found:
        click.echo(text("institutions_none", cli_of(ctx).lang))


@institution.command("remove")
@click.argument("institution_id", metavar="ID")
@_JSON
@state_options
@click.pass_context
def remove(
    ctx: click.Context, *, institution_id: str, as_json: bool, data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:  # fmt: skip
    """Remove the receiving institution ID: logged by its id, then removed from DATA/institutions.json."""
    with opened_state(data_dir, passphrase_file) as state:
        _require_operator(state)
        institution_service(state).remove_institution(institution_id)
    if as_json:
        _dump({"id": institution_id, "removed": True})
        return
    click.echo(text("institution_removed", cli_of(ctx).lang, id=institution_id))
