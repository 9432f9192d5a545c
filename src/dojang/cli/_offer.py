"""``dojang agency offer``: an OpenID4VCI credential offer (link and PIN); the issuer service for ``serve``.

:func:`create_offer` is the library call: it refuses a kind the agency is not accredited for (when
the operator's trust setup exists) and a citizen the registry does not hold, before anything is
stored. :func:`oid4vci_service` composes the protocol (``dojang.roles.issuer.Oid4vciIssuer``) with
the data directory's issuance path: the agency's signer (``agency_issuer``), a status index and the
issuance log entry (``issue_logged``), recorded straight on the log store's pending queue so that
any worker process can issue while the sequencer integrates.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click
import segno
from fastapi import FastAPI

from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.settings import PUBLIC_URL_ENV, Settings
from dojang.adapters.storage import SqlOid4vciStore, open_oid4vci_store, open_store
from dojang.api import app_from_env
from dojang.api._oid4vci import Oid4vciService
from dojang.cli._context import State, cli_of, open_state, state_options
from dojang.cli._issue import registry_claims
from dojang.cli._keys import DEFAULT_ISS, publish_trust
from dojang.cli._operator import agency_issuer
from dojang.cli._status import publish_status_trust, status_lists
from dojang.errors import ConfigError, InputError
from dojang.roles.issuer import CreatedOffer, Oid4vciConfig, Oid4vciIssuer, StoredOffer, issue_logged

__all__ = [
    "REGISTRY_SEED",
    "REGISTRY_SIZE",
    "agency",
    "approve",
    "approve_offer",
    "create_offer",
    "offer",
    "oid4vci_service",
    "worker_app",
]

REGISTRY_SEED = 2026
REGISTRY_SIZE = 200


@functools.cache
def _registry() -> SyntheticRegistry:
    """The synthetic registry (built once per process: ~10 ms)."""
    return SyntheticRegistry(REGISTRY_SEED, REGISTRY_SIZE)


class _PendingLog:
    """The log's durable ``record`` on its store: the sequencer (in ``serve``) integrates it later."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def record(self, entries: Sequence[bytes]) -> list[int]:
        seqs: list[int] = self.store.add_pending(entries)
        return seqs


def _issuer(state: State, store: SqlOid4vciStore, log: _PendingLog | None = None) -> Oid4vciIssuer:
    registry = _registry()
    lists = status_lists(state)

    def mint(offer: StoredOffer, holder_jwk: Mapping[str, Any], now: int) -> str:
        when = datetime.datetime.fromtimestamp(now, datetime.UTC)
        signer = agency_issuer(state, offer.agency or None, fallback_iss=DEFAULT_ISS)
        claims = registry_claims(registry, offer.kind, offer.citizen, when, offer.property_id)
        if log is None:
            raise ConfigError("credentials are issued by `dojang serve`, not here")
        credential, _ = issue_logged(signer, lists, log, offer.kind, claims, now=when, holder_jwk=holder_jwk)
        return credential.sd_jwt

    config = Oid4vciConfig(issuer_url=state.settings.public_url)
    return Oid4vciIssuer(store, state.catalogue, config, mint, secrets.token_bytes)


def oid4vci_service(state: State) -> Oid4vciService:
    """The OpenID4VCI service of a data directory, for ``dojang serve`` (one per worker process)."""
    store = open_oid4vci_store(state.settings.log_db)
    log_store = open_store(state.settings.log_db)
    publish_trust(state)
    publish_status_trust(state)

    def close() -> None:
        store.close()
        log_store.close()
        state.close()

    return Oid4vciService(_issuer(state, store, _PendingLog(log_store)), close=close)


def worker_app() -> FastAPI:
    """uvicorn's factory in each worker of ``dojang serve --workers N``: the app plus OpenID4VCI."""
    return app_from_env(oid4vci=oid4vci_service(open_state(None, None)))


def create_offer(
    state: State,
    kind_id: str,
    citizen: str,
    *,
    agency: str | None = None,
    property_id: str | None = None,
    by_reference: bool = False,
    deferred: bool = False,
    now: int | None = None,
) -> CreatedOffer:
    """Offer ``kind_id`` to ``citizen`` from ``agency`` (default: the data directory's issuer key).

    ForbiddenError when the operator has not accredited the agency for the kind; NotFoundError for
    an unknown kind, citizen or property.
    """
    when = int(time.time()) if now is None else now
    moment = datetime.datetime.fromtimestamp(when, datetime.UTC)
    kind = state.catalogue.get(kind_id)
    signer = agency_issuer(state, agency, fallback_iss=DEFAULT_ISS)
    signer.check_may_issue(kind.id, now=moment)
    # The registry's answer is checked now (an unknown citizen is refused), then dropped: the
    # credential is built from the registry when the wallet redeems the offer.
    registry_claims(_registry(), kind.id, citizen, moment, property_id)
    with open_oid4vci_store(state.settings.log_db) as store:
        issuer = _issuer(state, store)
        return issuer.create_offer(
            agency=agency or "", kind_id=kind.id, citizen=citizen, now=when, property_id=property_id,
            deferred=deferred, by_reference=by_reference,
        )  # fmt: skip


def approve_offer(state: State, offer_id: str) -> StoredOffer:
    """Back office: let a deferred offer's credential be issued at the wallet's next request."""
    with open_oid4vci_store(state.settings.log_db) as store:
        return _issuer(state, store).approve(offer_id)


@click.group("agency")
def agency() -> None:
    """An issuing agency's actions: OpenID4VCI offers to citizens' wallets."""


@agency.command("offer")
@click.option(
    "--kind", "kind_id", required=True, help="Document kind: id or vct (see: dojang catalogue list)."
)
@click.option("--citizen", required=True, help="Citizen id in the synthetic registry, e.g. C0001.")
@click.option("--agency", default=None, help="Offer as this registered agency (issuer id).")
@click.option("--property", "property_id", default=None, help="Property id, for a register extract.")
@click.option("--by-reference", is_flag=True, help="Link to the offer (credential_offer_uri), not embed it.")
@click.option("--deferred", is_flag=True, help="Back-office work first: issue after `dojang agency approve`.")
@click.option("--public-url", default=None, help=f"The credential issuer's URL (default: ${PUBLIC_URL_ENV}).")
@click.option("--json", "as_json", is_flag=True, help="Print the link, PIN and offer as JSON.")
@click.option(
    "--qr",
    "qr_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the link as a QR code for a phone's wallet to scan (.svg or .png).",
)
@state_options
@click.pass_context
def offer(
    ctx: click.Context,
    *,
    kind_id: str,
    citizen: str,
    agency: str | None,
    property_id: str | None,
    by_reference: bool,
    deferred: bool,
    public_url: str | None,
    as_json: bool,
    qr_file: Path | None,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Offer a certificate of KIND to a citizen: prints the openid-credential-offer:// link and its PIN.

    The citizen's wallet redeems the link (as text or QR code) with the PIN at `dojang serve`.
    """
    environ = dict(os.environ)
    if public_url is not None:
        environ[PUBLIC_URL_ENV] = public_url
    settings = Settings.from_env(environ, data_dir=data_dir, passphrase_file=passphrase_file)
    base = open_state(data_dir, passphrase_file)
    state = State(settings, base.keys)
    try:
        made = create_offer(
            state, kind_id, citizen, agency=agency, property_id=property_id,
            by_reference=by_reference, deferred=deferred,
        )  # fmt: skip
    finally:
        state.close()
    if qr_file is not None:
        write_qr(qr_file, made.link)
    if as_json:
        facts = {
            "id": made.id,
            "link": made.link,
            "pin": made.pin,
            "offer": made.document,
            "offer_uri": made.offer_uri,
        }
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    lang = cli_of(ctx).lang
    click.echo(made.link)
    label = "PIN (tx_code)" if lang == "en" else "PIN (거래 코드)"
    click.echo(f"{label}: {made.pin}", err=False)
    if deferred:
        click.echo(f"offer id: {made.id} (approve with: dojang agency approve {made.id})", err=True)


def write_qr(path: Path, link: str) -> None:
    """The link as a QR code (error correction M, boosted when it fits), SVG or PNG by extension."""
    if path.suffix.lower() not in {".svg", ".png"}:
        raise InputError(f"--qr writes .svg or .png files, not {path.suffix or 'a file without extension'}")
    try:
        segno.make(link, error="m", micro=False).save(str(path), scale=4, border=4)
    except (OSError, segno.DataOverflowError) as exc:
        raise InputError(f"cannot write the QR code {path}: {exc}") from None


@agency.command("approve")
@click.argument("offer_id")
@state_options
def approve(offer_id: str, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Back office: approve the deferred OFFER_ID, so that the wallet's next request gets the credential."""
    state = open_state(data_dir, passphrase_file)
    try:
        approve_offer(state, offer_id)
    finally:
        state.close()
    click.echo(f"approved {offer_id}", err=True)
