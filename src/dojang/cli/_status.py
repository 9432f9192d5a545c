"""``dojang status``: revoke, suspend, reinstate and show a credential's status; the status plumbing.

What the other commands share from here: every credential issued from a data directory gets an
entry in its agency's status list (the issuer role's ``issue_logged``), ``DATA/trust/status.json`` tells
``dojang verify`` to read those lists from the data directory itself, and :func:`status_check_for`
builds the verifier's status check from a trust directory.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dojang.adapters.status_sources import (
    DirectoryStatusSource,
    HttpStatusSource,
    StoreStatusSource,
    read_status_trust,
    status_signer_lookup,
    write_status_tokens,
    write_status_trust,
)
from dojang.cli._context import (
    DashArguments,
    State,
    cli_of,
    open_state,
    opened_state,
    read_input,
    state_options,
)
from dojang.cli._messages import Lang, text
from dojang.cli._render import iso_time
from dojang.core.log import CredentialStatus, credential_digest
from dojang.core.status import StatusReason
from dojang.errors import ForbiddenError, InputError
from dojang.roles.issuer import StatusChange, StatusLists, StatusSigner
from dojang.roles.verifier import StatusCheck, StatusSource

__all__ = [
    "change_status",
    "publish_status_tokens",
    "publish_status_trust",
    "status",
    "status_check_for",
    "status_line",
    "status_lists",
]

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_REASONS = click.Choice([reason.slug for reason in StatusReason])


def status_lists(state: State) -> StatusLists:
    """The data directory's status lists, published under ``$DOJANG_PUBLIC_URL``."""
    return StatusLists(state.status_store, state.settings.public_url, secrets.token_bytes)


def publish_status_trust(state: State) -> None:
    """Write ``DATA/trust/status.json`` (read the lists from this data directory) unless one exists."""
    if not (state.settings.trust_dir / "status.json").is_file():
        write_status_trust(state.settings.trust_dir, {"data_dir": ".."})


def status_check_for(trust: Path, state: State) -> StatusCheck:
    """The verifier's status check as ``TRUST/status.json`` describes it (default: HTTP to each URI)."""
    document = read_status_trust(trust) or {}
    source: StatusSource
    if isinstance(document.get("directory"), str):
        source = DirectoryStatusSource(Path(document["directory"]))
    elif (
        isinstance(document.get("data_dir"), str)
        and Path(document["data_dir"]) == state.settings.data_dir.resolve()
    ):
        source = StoreStatusSource(status_lists(state), _signers(state))
    elif isinstance(document.get("data_dir"), str):
        other = open_state(Path(document["data_dir"]), state.settings.passphrase_file)
        source = StoreStatusSource(status_lists(other), _signers(other))
    else:
        base = document.get("base_url")
        source = HttpStatusSource(base_url=base if isinstance(base, str) else None)
    return StatusCheck(source, required=document.get("required") is True)


def _signers(state: State) -> Callable[[str], StatusSigner]:
    """Each agency's status list signer in this data directory (its certificate as x5c, if it has one)."""
    return status_signer_lookup(state.keys, state.settings.data_dir)


def _digest_of(credential: str) -> bytes:
    """CREDENTIAL is an SD-JWT file ('-' for stdin) or its 64-hex digest (as the log names it)."""
    if _HEX_DIGEST.fullmatch(credential):
        return bytes.fromhex(credential)
    return credential_digest(read_input(credential, what="credential").strip())


def _agency(state: State, iss: str | None, owner: str) -> str:
    """The acting agency: ``--iss``, else the credential's own agency when this data directory holds
    its key (it is that agency's workspace), else the data directory's active issuer."""
    held = {r.iss for r in state.keys.list() if r.purpose == "issuer" and r.retired_at is None}
    if iss is not None:
        if iss not in held:
            raise ForbiddenError(
                f"this data directory holds no key of {iss}, so it cannot act as that agency"
            )
        return iss
    if owner in held:
        return owner
    return state.keys.active("issuer").iss or ""


def _label(value: CredentialStatus, lang: Lang) -> str:
    return text(f"status_{value.value}", lang)


def change_status(
    state: State, digest: bytes, after: CredentialStatus, reason: StatusReason, *, iss: str | None = None
) -> StatusChange:
    """Change one credential's status as agency ``iss`` (default: the data directory's issuer), logged."""
    lists = status_lists(state)
    acting = _agency(state, iss, lists.lookup(digest).issuer)
    return lists.change(digest, after, reason, issuer=acting, now=int(time.time()))


def publish_status_tokens(state: State, directory: Path) -> list[Path]:
    """Sign every list of the data directory now and write them as ``directory/<list id>.jwt``."""
    lists, key_for, now = status_lists(state), _signers(state), int(time.time())
    tokens = {
        stored.id: lists.token(stored.id, key_for(stored.issuer), now=now) for stored in lists.store.lists()
    }
    return write_status_tokens(directory, tokens)


def _change(
    ctx: click.Context,
    action: str,
    after: CredentialStatus,
    *,
    credential: str,
    reason: str,
    iss: str | None,
    as_json: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    lang = cli_of(ctx).lang
    why = StatusReason.parse(reason)
    digest = _digest_of(credential)
    with opened_state(data_dir, passphrase_file) as state:
        started = time.perf_counter()
        change = change_status(state, digest, after, why, iss=iss)
        elapsed = time.perf_counter() - started
    _report(change, action, lang, as_json=as_json, elapsed=elapsed)


def _report(change: StatusChange, action: str, lang: Lang, *, as_json: bool, elapsed: float) -> None:
    if as_json:
        document = {
            "digest": change.record.digest.hex(),
            "list": change.record.list_id,
            "uri": change.uri,
            "idx": change.record.idx,
            "before": change.before.name.lower(),
            "after": change.after.name.lower(),
            "reason": change.reason.slug,
            "time": change.time,
            "log_seq": change.log_seq,
            "repeated": change.repeated,
            "seconds": round(elapsed, 6),
        }
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(status_line(change, action, lang))


def status_line(change: StatusChange, action: str, lang: Lang) -> str:
    """What a revoke, suspend or reinstate did, in a sentence (``action``: revoke, suspend, reinstate)."""
    return text(
        "status_repeated" if change.repeated else "status_changed",
        lang,
        action=text(f"status_{action}", lang),
        list=change.record.list_id,
        idx=change.record.idx,
        before=_label(change.before, lang),
        after=_label(change.after, lang),
        reason=change.reason.label(lang),
        seq=change.log_seq,
    )


@click.group("status")
def status() -> None:
    """Credential status (IETF Token Status List): revoke, suspend, reinstate, show."""


def _change_command(action: str, after: CredentialStatus, summary: str) -> None:
    @status.command(action, cls=DashArguments, help=summary)
    @click.argument("credential", metavar="CREDENTIAL")
    @click.option("--reason", required=True, type=_REASONS, help="Why (a reason code, logged).")
    @click.option("--iss", default=None, help="Acting agency (default: the data directory's issuer).")
    @click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
    @state_options
    @click.pass_context
    def command(ctx: click.Context, /, **options: Any) -> None:
        _change(ctx, action, after, **options)


_change_command(
    "revoke", CredentialStatus.REVOKED, "Revoke CREDENTIAL (an SD-JWT file or its digest); final."
)
_change_command("suspend", CredentialStatus.SUSPENDED, "Suspend CREDENTIAL until it is reinstated.")
_change_command("reinstate", CredentialStatus.VALID, "Reinstate a suspended CREDENTIAL.")


@status.command("show", cls=DashArguments)
@click.argument("credential", metavar="CREDENTIAL")
@click.option(
    "--time", "at", type=click.IntRange(min=0), default=None, help="As it stood then (Unix seconds)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@state_options
@click.pass_context
def show(
    ctx: click.Context,
    *,
    credential: str,
    at: int | None,
    as_json: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Show CREDENTIAL's status now, or at --time T (from the list's snapshots)."""
    lang = cli_of(ctx).lang
    digest = _digest_of(credential)
    with opened_state(data_dir, passphrase_file) as state:
        lists = status_lists(state)
        record, value = lists.status_of(digest, at)
        uri = lists.store.load_list(record.list_id).uri
    if as_json:
        document = {"list": record.list_id, "uri": uri, "idx": record.idx, "status": value.name.lower()}
        click.echo(json.dumps({**document, "time": at}, indent=2))
        return
    when = "" if at is None else text("status_at", lang, time=_when(at))
    click.echo(
        text(
            "status_show",
            lang,
            list=record.list_id,
            idx=record.idx,
            uri=uri,
            status=_label(value, lang),
            when=when,
        )
    )


def _when(seconds: int) -> str:
    try:
        return iso_time(seconds)
    except (OverflowError, ValueError, OSError):
        raise InputError(f"--time {seconds} is not a usable time") from None
