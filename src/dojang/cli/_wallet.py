"""``dojang wallet``: the reference wallet's receiving side — redeem an offer, list and show credentials.

``receive`` follows OpenID4VCI 1.0 only (``dojang.roles.wallet.receive``): each credential is bound
to a new holder key created in the wallet's key store, verified with the same pipeline as ``dojang
verify`` (against ``--trust``, default ``WALLET/trust``) and stored encrypted
(``dojang.adapters.wallet_files``). Nothing that fails verification is stored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from dojang.adapters.trust_files import read_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.adapters.wallet_files import HttpTransport, StoredCredential, WalletStore
from dojang.cli._context import DashArguments, State, cli_of, opened_state, state_options
from dojang.cli._messages import Lang
from dojang.cli._status import status_check_for
from dojang.core.catalogue import Catalogue, format_path
from dojang.core.crypto import SigningKey
from dojang.errors import ConfigError, NotFoundError, VerificationError
from dojang.roles.verifier import Verdict, Verifier
from dojang.roles.wallet import PendingIssuance, Received, poll_deferred, receive

__all__ = ["wallet"]


def _store(state: State) -> WalletStore:
    settings = state.settings
    return WalletStore(settings.data_dir / "wallet", lambda: settings.passphrase(lambda _n: None))


def _verifier(state: State, trust: Path | None) -> Verifier:
    path = trust if trust is not None else state.settings.trust_dir
    if not (path / "issuers.json").is_file() and not path.is_file():
        raise ConfigError(
            f"no issuer trust in {path}: the wallet verifies what it receives before storing it",
            hint="pass --trust DIR (the issuing platform's trust directory)",
        )
    return Verifier(
        trust=read_trust(path),
        catalogue=state.catalogue,
        status=status_check_for(path, state),
        pki=read_pki(path),
    )


def _new_key(state: State) -> SigningKey:
    record = state.keys.create("holder")
    return state.keys.load(record.kid)


def _keep(state: State, received: Received, verifier: Verifier) -> list[tuple[StoredCredential, Verdict]]:
    now = int(time.time())
    verdicts = [verifier.verify(sd_jwt, now=now) for sd_jwt, _ in received.credentials]
    for verdict in verdicts:
        if not verdict.valid and (failed := verdict.failed) is not None:
            raise VerificationError(
                f"received credential failed {failed.check}: {failed.detail}", check=failed.check
            )
    store = _store(state)
    kept = []
    for (sd_jwt, key), verdict in zip(received.credentials, verdicts, strict=True):
        record = {
            "sd_jwt": sd_jwt,
            "kind": state.catalogue.get(str(verdict.vct)).id,
            "vct": str(verdict.vct),
            "issuer": str(verdict.claims.get("iss", "")),
            "credential_issuer": received.credential_issuer,
            "holder_kid": key.kid,
            "received_at": now,
        }
        kept.append((store.add(record), verdict))
    return kept


@click.group()
def wallet() -> None:
    """The reference wallet: receive certificates with OpenID4VCI, list and show them."""


@wallet.command("receive")
@click.argument("link")
@click.option("--pin", default=None, help="The PIN (tx_code) the agency gave with the offer.")
@click.option(
    "--copies", type=click.IntRange(1, 4), default=1, show_default=True, help="Copies, each its own key."
)
@click.option(
    "--trust",
    type=click.Path(path_type=Path),
    default=None,
    help="The issuing platform's trust directory (default: WALLET/trust).",
)
@click.option(
    "--wait", type=click.IntRange(0, 3600), default=0, help="Seconds to wait for a deferred issuance."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
@state_options
@click.pass_context
def receive_command(
    ctx: click.Context,
    *,
    link: str,
    pin: str | None,
    copies: int,
    trust: Path | None,
    wait: int,
    as_json: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Redeem the openid-credential-offer:// LINK: verify the credential(s) and store them encrypted."""
    with opened_state(data_dir, passphrase_file) as state:
        verifier = _verifier(state, trust)
        transport = HttpTransport()
        try:
            result = receive(
                link, pin, transport=transport, new_key=lambda: _new_key(state),
                now=lambda: int(time.time()), copies=copies,
            )  # fmt: skip
            deadline = time.monotonic() + wait
            while isinstance(result, PendingIssuance) and time.monotonic() < deadline:
                time.sleep(min(result.interval, max(0.0, deadline - time.monotonic())))
                result = poll_deferred(result, transport)
        finally:
            transport.close()
        if isinstance(result, PendingIssuance):
            raise NotFoundError(
                f"the issuer has not finished yet (transaction {result.transaction_id})",
                hint="the agency's back office must approve it; run receive again with --wait",
            )
        kept = _keep(state, result, verifier)
        catalogue = state.catalogue
    lang = cli_of(ctx).lang
    if as_json:
        click.echo(json.dumps([_summary(c, catalogue, lang) for c, _ in kept], ensure_ascii=False, indent=2))
        return
    for stored, _ in kept:
        click.echo(f"{stored.id}  {catalogue.get(stored.kind).title(lang)}  ({stored.issuer})")


def _summary(stored: StoredCredential, catalogue: Catalogue, lang: Lang) -> dict[str, Any]:
    kind = catalogue.get(stored.kind)
    return {
        "id": stored.id,
        "kind": kind.id,
        "title": kind.title(lang),
        "vct": stored.vct,
        "issuer": stored.issuer,
        "holder_kid": stored.holder_kid,
        "received_at": stored.received_at,
    }


@wallet.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@state_options
@click.pass_context
def list_command(
    ctx: click.Context, *, as_json: bool, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """The credentials in this wallet: id, kind (in Korean) and issuer."""
    lang = cli_of(ctx).lang
    with opened_state(data_dir, passphrase_file) as state:
        catalogue = state.catalogue
        items = [_summary(c, catalogue, lang) for c in _store(state).list()]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(f"{item['id']}  {catalogue.get(item['kind']).title('ko')}  {item['issuer']}")


def _lines(claims: Mapping[str, Any], catalogue: Catalogue, kind_id: str, lang: Lang) -> list[str]:
    kind = catalogue.get(kind_id)
    out: list[str] = []

    def walk(value: Any, path: tuple[str | int | None, ...], depth: int) -> None:
        try:
            label = kind.label(format_path(path), "ko")
            if lang == "en":
                label = f"{label} ({kind.label(format_path(path), 'en')})"
        except NotFoundError:
            label = format_path(path)
        if isinstance(value, dict):
            out.append(f"{'  ' * depth}{label}:")
            for key, sub in value.items():
                walk(sub, (*path, key), depth + 1)
        elif isinstance(value, list):
            out.append(f"{'  ' * depth}{label}:")
            for index, sub in enumerate(value):
                walk(sub, (*path, index), depth + 1)
        else:
            out.append(f"{'  ' * depth}{label}: {value}")

    for name, value in claims.items():
        if name not in {"iss", "iat", "exp", "vct", "cnf", "status", "nbf", "sub", "jti"}:
            walk(value, (name,), 0)
    return out


@wallet.command("show", cls=DashArguments)
@click.argument("credential_id", metavar="ID")
@click.option(
    "--trust", type=click.Path(path_type=Path), default=None, help="Trust directory (default: WALLET/trust)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict and claims as JSON.")
@state_options
@click.pass_context
def show_command(
    ctx: click.Context,
    *,
    credential_id: str,
    trust: Path | None,
    as_json: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """One credential: every claim with the kind's Korean labels, and whether it is still valid."""
    with opened_state(data_dir, passphrase_file) as state:
        stored = _store(state).get(credential_id)
        verdict = _verifier(state, trust).verify(stored.sd_jwt, now=int(time.time()))
        catalogue = state.catalogue
    lang = cli_of(ctx).lang
    if as_json:
        document = {
            **_summary(stored, catalogue, lang),
            "verdict": verdict.to_json(),
            "sd_jwt": stored.sd_jwt,
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    click.echo(catalogue.get(stored.kind).title("ko"))
    for line in _lines(verdict.claims, catalogue, stored.kind, lang):
        click.echo(line)
    failed = verdict.failed
    click.echo(
        "유효함 (valid)" if failed is None else f"유효하지 않음 (not valid): {failed.check}: {failed.detail}"
    )
