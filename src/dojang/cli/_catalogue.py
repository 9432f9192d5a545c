"""``dojang catalogue``: the document kinds, their labels and disclosure policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dojang.cli._context import cli_of, opened_state, state_options
from dojang.cli._messages import text
from dojang.core.catalogue import DocumentKind, format_path

__all__ = ["catalogue"]


def _summary(kind: DocumentKind) -> dict[str, Any]:
    return {
        "id": kind.id,
        "vct": kind.vct,
        "version": kind.version,
        "title": {"ko": kind.title("ko"), "en": kind.title("en")},
        "validity_days": kind.validity_days,
        "issuance": kind.issuance,
    }


def _detail(kind: DocumentKind) -> dict[str, Any]:
    claims = [
        {
            "path": format_path(path),
            "label": {"ko": kind.label(path, "ko"), "en": kind.label(path, "en")},
            "policy": policy,
        }
        for path, policy in kind.disclosure.items()
    ]
    return {**_summary(kind), "claims": claims}


@click.group()
def catalogue() -> None:
    """Document kinds: what each certificate holds and what the holder may withhold."""


@catalogue.command("list")
@click.option("--json", "as_json", is_flag=True)
@state_options
@click.pass_context
def list_kinds(
    ctx: click.Context, as_json: bool, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """List every document kind (built in, $DOJANG_CATALOGUE_PATH and DATA/catalogue)."""
    with opened_state(data_dir, passphrase_file) as state:
        kinds = state.catalogue.kinds()
    if as_json:
        click.echo(json.dumps({"kinds": [_summary(k) for k in kinds]}, ensure_ascii=False, indent=2))
        return
    lang = cli_of(ctx).lang
    for kind in kinds:
        click.echo(f"{kind.id:<30} {kind.title(lang)}  ({kind.vct})")


@catalogue.command("show")
@click.argument("kind_name", metavar="KIND")
@click.option("--json", "as_json", is_flag=True)
@state_options
@click.pass_context
def show(
    ctx: click.Context, kind_name: str, as_json: bool, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Show one kind (by id or vct): titles, and each claim's label and disclosure policy."""
    with opened_state(data_dir, passphrase_file) as state:
        kind = state.catalogue.get(kind_name)
    if as_json:
        click.echo(json.dumps(_detail(kind), ensure_ascii=False, indent=2))
        return
    lang = cli_of(ctx).lang
    click.echo(f"{kind.title('ko')} / {kind.title('en')}")
    click.echo(
        f"{kind.id}  {kind.vct}  v{kind.version}  {text('validity_days', lang, days=kind.validity_days)}"
        f"  {text('issuance_' + kind.issuance, lang)}"
    )
    for path, policy in kind.disclosure.items():
        depth = sum(1 for step in path if step is not None) - 1
        label = kind.label(path, lang)
        click.echo(f"  {'  ' * depth}{format_path(path):<40} {label}  [{text('policy_' + policy, lang)}]")
