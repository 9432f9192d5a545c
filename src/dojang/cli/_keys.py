"""``dojang keys``: create, list and rotate the data directory's private keys."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dojang.adapters.keystore import PURPOSES, KeyRecord, Purpose
from dojang.adapters.trust_files import write_trust
from dojang.cli._context import State, cli_of, opened_state, state_options
from dojang.cli._messages import Lang, text
from dojang.cli._render import iso_time

__all__ = ["DEFAULT_ISS", "keys", "publish_trust"]

#: The issuer identifier a data directory's first issuer key gets when none is given.
DEFAULT_ISS = "https://issuer.dojang.example/agencies/demo"

_PURPOSE = click.Choice(PURPOSES)


def publish_trust(state: State) -> Path:
    """(Re)write ``DATA/trust/issuers.json`` from the key store's issuer keys, retired ones included."""
    return write_trust(state.settings.trust_dir, state.keys.trust_list())


def _line(record: KeyRecord, lang: Lang) -> str:
    if record.active:
        status = text("active", lang)
    elif record.retired_at is not None:
        status = text("retired", lang, when=iso_time(record.retired_at))
    else:
        status = text("inactive", lang)
    iss = f"  {record.iss}" if record.iss else ""
    return f"{record.kid}  {record.purpose:<6}  {record.alg:<5}  {iso_time(record.created_at)}  {status}{iss}"


@click.group()
def keys() -> None:
    """Private keys at rest in the data directory (encrypted)."""


@keys.command("create")
@click.option("--purpose", type=_PURPOSE, default="issuer", show_default=True)
@click.option("--iss", default=None, help=f"Issuer identifier of an issuer key (default: {DEFAULT_ISS}).")
@state_options
@click.pass_context
def create(
    ctx: click.Context, purpose: Purpose, iss: str | None, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Create a key; it becomes active if the purpose has no active key yet."""
    if iss is not None and purpose != "issuer":
        raise click.UsageError("--iss applies only to --purpose issuer")
    lang = cli_of(ctx).lang
    with opened_state(data_dir, passphrase_file) as state:
        record = state.keys.create(purpose, iss=(iss or DEFAULT_ISS) if purpose == "issuer" else None)
        click.echo(text("key_created", lang, purpose=purpose, kid=record.kid))
        if purpose == "issuer":
            click.echo(text("trust_written", lang, path=publish_trust(state)), err=True)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the index as JSON (public keys only).")
@state_options
@click.pass_context
def list_keys(ctx: click.Context, as_json: bool, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """List every key: kid, purpose, algorithm, creation time, status."""
    with opened_state(data_dir, passphrase_file) as state:
        records = state.keys.list()
    if as_json:
        click.echo(json.dumps({"keys": [r.to_json() for r in records]}, ensure_ascii=False, indent=2))
        return
    lang = cli_of(ctx).lang
    for record in records:
        click.echo(_line(record, lang))
    if not records:
        click.echo(text("no_keys", lang))


@keys.command("rotate")
@click.option("--purpose", type=_PURPOSE, default="issuer", show_default=True)
@state_options
@click.pass_context
def rotate(ctx: click.Context, purpose: Purpose, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Retire the active key and activate a new one; the retired key stays in the trust list."""
    lang = cli_of(ctx).lang
    with opened_state(data_dir, passphrase_file) as state:
        old, new = state.keys.rotate(purpose)
        click.echo(text("key_rotated", lang, purpose=purpose, old=old.kid, new=new.kid))
        if purpose == "issuer":
            click.echo(text("trust_written", lang, path=publish_trust(state)), err=True)
