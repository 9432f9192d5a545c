"""``dojang agency offer``: an OpenID4VCI credential offer (link and PIN); the issuer service for ``serve``.

:func:`create_offer` is the library call: it refuses a kind the agency is not accredited for (when
the operator's trust setup exists) and a citizen the registry does not hold, before anything is
stored. :func:`oid4vci_service` composes the protocol (``dojang.roles.issuer.Oid4vciIssuer``) with
the data directory's issuance path: the agency's signer (``agency_issuer``), a status index and the
issuance log entry (``issue_logged``), recorded straight on the log store's pending queue so that
any worker process can issue while the sequencer integrates.

Each worker keeps what does not change between requests: the agencies' signers (rebuilt when the
operator registry or the key index is replaced, so a new accreditation or a rotated key counts at
once) and, on SQLite, one connection for offers, status lists and the log, so that the worker's
threads queue on one lock instead of on SQLite's busy handler, which sleeps up to 100 ms a try.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import json
import os
import secrets
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click
import segno
from fastapi import FastAPI

from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.settings import PUBLIC_URL_ENV
from dojang.adapters.storage import (
    SqliteLogStore,
    SqlOid4vciStore,
    SqlStatusStore,
    open_oid4vci_store,
    open_store,
    store_for,
)
from dojang.adapters.trust_list_files import REGISTRY_FILE
from dojang.api import app_from_env
from dojang.api._oid4vci import Oid4vciService
from dojang.cli._context import DashArguments, State, cli_of, open_state, opened_state, state_options
from dojang.cli._issue import registry_claims
from dojang.cli._keys import DEFAULT_ISS, publish_trust
from dojang.cli._operator import agency_issuer
from dojang.cli._status import publish_status_trust, status_lists
from dojang.errors import ConfigError, InputError
from dojang.roles.issuer import (
    CreatedOffer,
    Issuer,
    Oid4vciConfig,
    Oid4vciIssuer,
    StatusLists,
    StoredOffer,
    issue_logged,
)

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


_Stamp = tuple[tuple[int, int, int] | None, ...]


def _stamp(*paths: Path) -> _Stamp:
    """Which version of each file is in place: files are replaced by rename, so a new inode is a change."""
    stamps: list[tuple[int, int, int] | None] = []
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            stamps.append(None)
        else:
            stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamps)


class _Kept:
    """What one data directory's issuer keeps between requests: the agencies' signers, built once (a
    key decryption, the registry read) and rebuilt when the operator registry or the key index
    changes; the c_nonce key. (Threads issue concurrently: status indexes come from blocks
    reserved per process.)"""

    def __init__(self, state: State) -> None:
        self._state = state
        self._files = (state.settings.data_dir / REGISTRY_FILE, state.keys.index_path)
        self._made: dict[str | None, tuple[_Stamp, Issuer]] = {}
        self._lock = threading.Lock()

    def signer(self, agency: str | None) -> Issuer:
        stamp = _stamp(*self._files)
        with self._lock:
            known = self._made.get(agency)
        if known is not None and known[0] == stamp:
            return known[1]
        signer = agency_issuer(self._state, agency, fallback_iss=DEFAULT_ISS)
        with self._lock:
            # Stamped before building: a file replaced meanwhile makes the next call build again.
            self._made[agency] = (stamp, signer)
        return signer

    @functools.cached_property
    def nonce_key(self) -> bytes:
        """The c_nonce HMAC key, derived from the key passphrase: every worker of the data directory
        has it, and nothing else needs storing (a new passphrase only voids nonces in flight)."""
        secret = self._state.settings.passphrase(lambda _: None)
        return hmac.digest(secret, b"dojang oid4vci c_nonce key 1", "sha256")


_KEPT: weakref.WeakKeyDictionary[State, _Kept] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def _kept(state: State) -> _Kept:
    with _KEPT_LOCK:
        kept = _KEPT.get(state)
        if kept is None:
            kept = _KEPT[state] = _Kept(state)
        return kept


def _issuer(
    state: State, store: SqlOid4vciStore, log: _PendingLog | None = None, lists: StatusLists | None = None
) -> Oid4vciIssuer:
    registry = _registry()
    kept = _kept(state)

    def mint(offer: StoredOffer, holder_jwk: Mapping[str, Any], now: int) -> str:
        when = datetime.datetime.fromtimestamp(now, datetime.UTC)
        signer = kept.signer(offer.agency or None)
        claims = registry_claims(registry, offer.kind, offer.citizen, when, offer.property_id)
        if log is None:
            raise ConfigError("credentials are issued by `dojang serve`, not here")
        credential, _ = issue_logged(
            signer, lists or status_lists(state), log, offer.kind, claims, now=when, holder_jwk=holder_jwk
        )
        return credential.sd_jwt

    config = Oid4vciConfig(issuer_url=state.settings.public_url)
    # The nonce key is read when a nonce is first made or checked: offers and approvals need no passphrase.
    return Oid4vciIssuer(store, state.catalogue, config, mint, secrets.token_bytes, lambda: kept.nonce_key)


def oid4vci_service(state: State) -> Oid4vciService:
    """The OpenID4VCI service of a data directory, for ``dojang serve`` (one per worker process)."""
    db = store_for(state.settings.log_db).open()
    try:
        # SQLite has one writer: one connection (one lock) for all of this worker's writes. PostgreSQL
        # takes concurrent writers, so there offers, status lists and the log keep a connection each.
        shared = isinstance(db, SqliteLogStore)
        log_store = db if shared else open_store(state.settings.log_db)
        status = SqlStatusStore(db if shared else store_for(state.settings.log_db))
        publish_trust(state)
        publish_status_trust(state)
    except BaseException:
        db.close()
        raise
    lists = StatusLists(status, state.settings.public_url, secrets.token_bytes)

    def close() -> None:
        for closing in (db, log_store, status):
            closing.close()
        state.close()

    return Oid4vciService(_issuer(state, SqlOid4vciStore(db), _PendingLog(log_store), lists), close=close)


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
    deferred: bool | None = None,
    now: int | None = None,
    store: SqlOid4vciStore | None = None,
) -> CreatedOffer:
    """Offer ``kind_id`` to ``citizen`` from ``agency`` (default: the data directory's issuer key).

    ``deferred`` (issue only after ``approve_offer``) defaults to the kind's catalogue setting.
    ``store`` is an open offer store to use (default: open the data directory's for this call).
    ForbiddenError when the operator has not accredited the agency for the kind; NotFoundError for
    an unknown kind, citizen or property.
    """
    when = int(time.time()) if now is None else now
    moment = datetime.datetime.fromtimestamp(when, datetime.UTC)
    kind = state.catalogue.get(kind_id)
    _kept(state).signer(agency).check_may_issue(kind.id, now=moment)
    # The registry's answer is checked now (an unknown citizen is refused), then dropped: the
    # credential is built from the registry when the wallet redeems the offer.
    registry_claims(_registry(), kind.id, citizen, moment, property_id)
    db = store if store is not None else open_oid4vci_store(state.settings.log_db)
    try:
        return _issuer(state, db).create_offer(
            agency=agency or "", kind_id=kind.id, citizen=citizen, now=when, property_id=property_id,
            deferred=deferred, by_reference=by_reference,
        )  # fmt: skip
    finally:
        if store is None:
            db.close()


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
@click.option(
    "--deferred/--immediate",
    default=None,
    help="Back-office work first: issue after `dojang agency approve` (default: as the kind's catalogue "
    "entry says).",
)
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
    deferred: bool | None,
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
    with opened_state(data_dir, passphrase_file, environ=environ) as state:
        made = create_offer(
            state, kind_id, citizen, agency=agency, property_id=property_id,
            by_reference=by_reference, deferred=deferred,
        )  # fmt: skip
    if qr_file is not None:
        write_qr(qr_file, made.link)
    if as_json:
        facts = {
            "id": made.id,
            "link": made.link,
            "pin": made.pin,
            "offer": made.document,
            "offer_uri": made.offer_uri,
            "deferred": made.deferred,
        }
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    lang = cli_of(ctx).lang
    click.echo(made.link)
    label = "PIN (tx_code)" if lang == "en" else "PIN (거래 코드)"
    click.echo(f"{label}: {made.pin}", err=False)
    if made.deferred:
        click.echo(f"offer id: {made.id} (approve with: dojang agency approve {made.id})", err=True)


def write_qr(path: Path, link: str) -> None:
    """The link as a QR code (error correction M, boosted when it fits), SVG or PNG by extension."""
    if path.suffix.lower() not in {".svg", ".png"}:
        raise InputError(f"--qr writes .svg or .png files, not {path.suffix or 'a file without extension'}")
    try:
        segno.make(link, error="m", micro=False).save(str(path), scale=4, border=4)
    except (OSError, segno.DataOverflowError) as exc:
        raise InputError(f"cannot write the QR code {path}: {exc}") from None


@agency.command("approve", cls=DashArguments)
@click.argument("offer_id")
@state_options
def approve(offer_id: str, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Back office: approve the deferred OFFER_ID, so that the wallet's next request gets the credential.

    OFFER_ID is base64url and may start with '-'; it is read as OFFER_ID all the same.
    """
    with opened_state(data_dir, passphrase_file) as state:
        approve_offer(state, offer_id)
    click.echo(f"approved {offer_id}", err=True)
