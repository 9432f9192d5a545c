"""``dojang operator``: the platform operator's root CA, agencies, accreditations and trust list.

Its ``institution`` group (receiving institutions) lives in :mod:`dojang.cli._institution`.

Every accreditation change is recorded in the transparency log (an accreditation entry) before the
registry is saved and the signed trust list republished to ``DATA/trust/trust-list.jwt``: the
operator role's ``AccreditationService`` keeps that order, here and in the operator HTTP API.
"""

from __future__ import annotations

import datetime
import secrets
import time
from pathlib import Path

import click

from dojang.adapters.trust_list_files import (
    REGISTRY_FILE,
    read_registry,
    read_root,
    write_registry,
    write_root,
    write_trust_list,
)
from dojang.cli._context import DashArguments, State, cli_of, opened_state, state_options, write_output
from dojang.cli._institution import institution
from dojang.cli._messages import Lang, text
from dojang.cli._render import iso_time
from dojang.core.catalogue import Catalogue
from dojang.core.crypto import Certificate, VerifyKey, create_root_ca
from dojang.core.log import AccreditationEntry
from dojang.errors import InputError, NotFoundError
from dojang.roles.issuer import KST, Issuer
from dojang.roles.operator import AccreditationService, Operator, OperatorRegistry
from dojang.roles.operator._accreditation import DEFAULT_OPERATOR_ID

__all__ = [
    "ROOT_YEARS",
    "SIGNER_YEARS",
    "accredit_agency",
    "add_agency",
    "agency_issuer",
    "changes",
    "init_operator",
    "open_operator",
    "operator",
    "parse_when",
]

ROOT_YEARS = 20
SIGNER_YEARS = 3
_YEAR = 365 * 86_400


def parse_when(value: str | None, *, default: int) -> int:
    """An ISO date or date-time (a date, or a time without zone, is Korean time) as epoch seconds."""
    if value is None:
        return default
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not an ISO date (2026-01-31) or date-time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=KST)
    return int(when.timestamp())


def _vct(catalogue: Catalogue, kind: str) -> str:
    return catalogue.get(kind).vct


def open_operator(state: State) -> Operator:
    """The operator of this data directory: the root CA key, the root certificate and the registry."""
    _, key = state.keys.load_active("operator")
    return Operator(key, read_root(state.settings.trust_dir), read_registry(state.settings.data_dir))


def changes(state: State) -> AccreditationService:
    """The operator's changes on this data directory: logged, then the registry and trust list files."""
    return AccreditationService(
        state.log[0],
        lambda: open_operator(state),
        lambda registry: write_registry(state.settings.data_dir, registry),
        lambda token: write_trust_list(state.settings.trust_dir, token),
    )


def init_operator(
    state: State, *, name: str, operator_id: str, not_before: int, now: int
) -> tuple[Certificate, bool]:
    """Create the root CA (key purpose ``operator``) and an empty registry; (root, created)."""
    trust_dir = state.settings.trust_dir
    if (trust_dir / "root-ca.pem").is_file():
        return read_root(trust_dir), False
    record, _ = state.keys.ensure_active("operator")
    key = state.keys.load(record.kid)
    root = create_root_ca(
        key,
        name=name,
        not_before=datetime.datetime.fromtimestamp(not_before, datetime.UTC),
        not_after=datetime.datetime.fromtimestamp(not_before + ROOT_YEARS * _YEAR, datetime.UTC),
        rng=secrets.token_bytes,
    )
    write_root(trust_dir, root)
    operator = Operator(key, root, OperatorRegistry(operator_id=operator_id))
    changes(state).commit(operator, (), now=now)
    return root, True


def add_agency(state: State, issuer_id: str, name: str, *, not_before: int, now: int) -> Certificate:
    """Register an agency, give it a signing key (or reuse its own) and a document-signer certificate."""

    def key_for(iss: str) -> VerifyKey:
        own = [r for r in state.keys.list() if r.purpose == "issuer" and r.iss == iss and r.active]
        return (own[0] if own else state.keys.create("issuer", iss=iss)).public_key()

    _, cert = changes(state).add_agency(
        issuer_id, name, key_for, not_before=not_before, not_after=not_before + SIGNER_YEARS * _YEAR,
        rng=secrets.token_bytes, now=now,
    )  # fmt: skip
    return cert


def accredit_agency(
    state: State, issuer_id: str, kind: str, *, not_before: int, not_after: int | None, now: int
) -> AccreditationEntry:
    vct = _vct(state.catalogue, kind)
    return changes(state).accredit(issuer_id, vct, not_before=not_before, not_after=not_after, now=now)


def agency_issuer(state: State, issuer_id: str | None, *, fallback_iss: str) -> Issuer:
    """The signer for ``issuer_id`` (else the active issuer key's agency): with its certificate and the
    operator's accreditations when the operator certified its key, a bare-key signer otherwise."""
    registry = _registry_or_none(state)
    cert: Certificate | None = None
    if issuer_id is not None:
        agency_ = registry.agency(issuer_id) if registry is not None else None
        if agency_ is None or not agency_.certificates:
            raise NotFoundError(f"no registered agency {issuer_id!r} with a certificate")
        cert = agency_.certificates[-1]
        key = state.keys.load(cert.public_key.kid)
    else:
        record, _ = state.keys.ensure_active("issuer", iss=fallback_iss)
        issuer_id, key = record.iss or fallback_iss, state.keys.load(record.kid)
        if registry is not None and any(a.issuer_id == issuer_id for a in registry.agencies):
            cert = registry.agency(issuer_id).certificate_for(key.public)
    if cert is None or registry is None:
        return Issuer(issuer_id, key, state.catalogue, secrets.token_bytes)
    return Issuer(
        issuer_id,
        key,
        state.catalogue,
        secrets.token_bytes,
        certificate=cert,
        accreditations=registry.trust_list(now=int(time.time())),
    )


def _registry_or_none(state: State) -> OperatorRegistry | None:
    if not (state.settings.data_dir / REGISTRY_FILE).is_file():
        return None
    return read_registry(state.settings.data_dir)


def _iso(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    return iso_time(seconds, KST)


def _lang(ctx: click.Context) -> Lang:
    return cli_of(ctx).lang


@click.group()
def operator() -> None:
    """The platform operator: root CA, agencies, accreditations and the signed trust list."""


@operator.command("init")
@click.option("--name", default="dojang platform operator", show_default=True, help="Operator (O=) name.")
@click.option("--id", "operator_id", default=DEFAULT_OPERATOR_ID, show_default=True, help="Operator id.")
@click.option("--from", "valid_from", default=None, help="Root CA valid from (ISO date; default now).")
@state_options
@click.pass_context
def init(
    ctx: click.Context,
    *,
    name: str,
    operator_id: str,
    valid_from: str | None,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Create the root CA (DATA/trust/root-ca.pem) and an empty signed trust list."""
    with opened_state(data_dir, passphrase_file) as state:
        now = int(time.time())
        root, created = init_operator(
            state, name=name, operator_id=operator_id, not_before=parse_when(valid_from, default=now), now=now
        )
    key = "operator_created" if created else "operator_exists"
    click.echo(text(key, _lang(ctx), subject=root.subject, fingerprint=root.fingerprint))


operator.add_command(institution)


@operator.group("agency")
def agency() -> None:
    """Agencies: register one and certify its signing key."""


@agency.command("add")
@click.option("--id", "issuer_id", required=True, help="The agency's issuer id (https URI), its iss.")
@click.option("--name", required=True, help="The agency's name, e.g. 서울특별시 종로구청.")
@click.option("--from", "valid_from", default=None, help="Certificate valid from (ISO date; default now).")
@state_options
@click.pass_context
def agency_add(
    ctx: click.Context,
    *,
    issuer_id: str,
    name: str,
    valid_from: str | None,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Register an agency and issue a document-signer certificate for its signing key."""
    with opened_state(data_dir, passphrase_file) as state:
        now = int(time.time())
        cert = add_agency(state, issuer_id, name, not_before=parse_when(valid_from, default=now), now=now)
    click.echo(
        text(
            "agency_added",
            _lang(ctx),
            name=name,
            id=issuer_id,
            fingerprint=cert.fingerprint,
            until=_iso(int(cert.not_after.timestamp())),
        )
    )


@operator.command("accredit")
@click.argument("agency_id", metavar="AGENCY")
@click.option("--kind", required=True, help="Document kind (id or vct).")
@click.option("--from", "valid_from", default=None, help="Accredited from (ISO date; default now).")
@click.option("--until", default=None, help="Accredited until, exclusive (ISO date; default open-ended).")
@state_options
@click.pass_context
def accredit(
    ctx: click.Context,
    *,
    agency_id: str,
    kind: str,
    valid_from: str | None,
    until: str | None,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Accredit AGENCY (its issuer id) to issue KIND over a period."""
    with opened_state(data_dir, passphrase_file) as state:
        now = int(time.time())
        entry = accredit_agency(
            state,
            agency_id,
            kind,
            not_before=parse_when(valid_from, default=now),
            not_after=None if until is None else parse_when(until, default=now),
            now=now,
        )
    click.echo(
        text(
            "accredited",
            _lang(ctx),
            id=agency_id,
            vct=entry.subject,
            start=_iso(entry.not_before),
            end=_iso(entry.not_after),
        )
    )


@operator.command("withdraw")
@click.argument("agency_id", metavar="AGENCY")
@click.option("--kind", required=True, help="Document kind (id or vct).")
@click.option("--at", "at", default=None, help="Withdrawn from (ISO date-time; default now).")
@state_options
@click.pass_context
def withdraw(
    ctx: click.Context,
    *,
    agency_id: str,
    kind: str,
    at: str | None,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Withdraw AGENCY's accreditation for KIND: credentials it signs from then on fail accreditation."""
    with opened_state(data_dir, passphrase_file) as state:
        now = int(time.time())
        vct = _vct(state.catalogue, kind)
        entry = changes(state).withdraw(agency_id, vct, at=parse_when(at, default=now), now=now)
    click.echo(text("withdrawn", _lang(ctx), id=agency_id, vct=vct, at=_iso(entry.not_before)))


@operator.command("revoke", cls=DashArguments)
@click.argument("fingerprint")
@click.option("--at", "at", default=None, help="Untrustworthy from (ISO date-time; default now).")
@state_options
@click.pass_context
def revoke(
    ctx: click.Context, fingerprint: str, at: str | None, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Revoke a document-signer certificate (by its x5t#S256 fingerprint) from a point in time.

    A fingerprint is base64url and may start with '-': it is read as FINGERPRINT all the same, e.g.
    `dojang operator revoke -i9bRSZ… --at 2026-06-01`.
    """
    with opened_state(data_dir, passphrase_file) as state:
        now = int(time.time())
        entry = changes(state).revoke_certificate(fingerprint, at=parse_when(at, default=now), now=now)
    click.echo(text("cert_revoked", _lang(ctx), fingerprint=fingerprint, at=_iso(entry.not_before)))


@operator.command("trust-list")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Copy it here.")
@state_options
@click.pass_context
def trust_list(
    ctx: click.Context, out: Path | None, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Sign and publish the trust list (DATA/trust/trust-list.jwt) and list what it says."""
    with opened_state(data_dir, passphrase_file) as state:
        operator_ = open_operator(state)
        path = changes(state).commit(operator_, (), now=int(time.time()))
    lang = _lang(ctx)
    for agency_ in operator_.registry.agencies:
        click.echo(f"{agency_.name}  {agency_.issuer_id}  ({len(agency_.certificates)} cert)")
        for grant in agency_.accreditations:
            click.echo(f"   {grant.vct}  {_iso(grant.not_before)} → {_iso(grant.not_after)}")
    for revoked in operator_.registry.revoked:
        click.echo(text("cert_revoked", lang, fingerprint=revoked.fingerprint, at=_iso(revoked.revoked_at)))
    if out is not None:
        write_output(out, path.read_text(encoding="ascii"))
        path = out
    click.echo(text("trust_list_written", lang, path=path), err=True)
