"""``dojang log checkpoint|prove|audit`` and ``dojang anchor status``: the operator's log commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.storage import ScanningLogStore, open_store
from dojang.cli._context import (
    DashArguments,
    State,
    cli_of,
    open_state,
    opened_state,
    read_input,
    state_options,
    write_output,
)
from dojang.cli._logsvc import open_chain, publish_log_trust
from dojang.cli._messages import Lang, text
from dojang.core.log import Anchor, Checkpoint, NoteVerifier, TlogProof
from dojang.errors import ConfigError, NotFoundError, UnavailableError
from dojang.roles.operator import AuditError, AuditReport, LogService, audit_log

__all__ = ["anchor", "checkpoint_and_anchor", "log", "prove_credential"]


def checkpoint_and_anchor(state: State, lang: Lang) -> Checkpoint | None:
    """Integrate, sign a checkpoint, try to anchor it; say what happened; publish DATA/trust/log.json."""
    service, chain = state.log
    service.integrate()
    checkpoint = service.checkpoint()
    depth = state.settings.log.confirmations
    submitted, confirmed = service.anchor_pending(depth)
    if isinstance(chain, InProcessChain) and submitted:
        # The embedded chain has one block producer and never reorganises: its depth is ours to make.
        chain.advance(depth)
        confirmed += service.anchor_pending(depth)[1]
    if checkpoint is None:
        click.echo(text("log_empty", lang), err=True)
        return None
    click.echo(text("log_checkpoint", lang, size=checkpoint.size, root=checkpoint.root.hex()))
    click.echo(text("log_anchor_queued", lang, submitted=submitted, confirmed=confirmed))
    publish_log_trust(state.settings, service.signer.verifier, state.settings.trust_dir)
    return checkpoint


def prove_credential(service: LogService, sd_jwt: str) -> TlogProof:
    """The proof of an issued credential, integrating and signing a checkpoint first if need be."""
    try:
        return service.prove(sd_jwt)
    except NotFoundError:
        service.integrate()
        service.checkpoint()
        return service.prove(sd_jwt)


@click.group()
def log() -> None:
    """The transparency log: checkpoints, proofs, audit."""


@log.command("checkpoint")
@state_options
@click.pass_context
def checkpoint_command(ctx: click.Context, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Integrate pending entries, sign a checkpoint and anchor it."""
    with opened_state(data_dir, passphrase_file) as state:
        checkpoint_and_anchor(state, cli_of(ctx).lang)


@log.command("prove", cls=DashArguments)
@click.argument("credential", metavar="CREDENTIAL")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write it here.")
@state_options
@click.pass_context
def prove(
    ctx: click.Context, credential: str, out: Path | None, data_dir: Path | None, passphrase_file: Path | None
) -> None:
    """Write the C2SP tlog-proof of an issued CREDENTIAL (to --out, else standard output)."""
    sd_jwt = read_input(credential, what="credential").strip()
    with opened_state(data_dir, passphrase_file) as state:
        proof = prove_credential(state.log[0], sd_jwt).encode()
    if out is None:
        click.echo(proof.decode("utf-8"), nl=False)
    else:
        write_output(out, proof.decode("utf-8"))
        click.echo(text("wrote", cli_of(ctx).lang, path=out), err=True)


@log.command("audit")
@state_options
@click.pass_context
def audit(ctx: click.Context, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """Replay the whole log, recompute every tile and root, check checkpoints and anchors (exit 1 if bad)."""
    lang = cli_of(ctx).lang
    state = open_state(data_dir, passphrase_file)
    settings = state.settings
    try:
        record = state.keys.active("log")
    except NotFoundError:
        raise ConfigError(f"no log key in {settings.keys_dir}: this data directory runs no log") from None
    verifier = NoteVerifier.for_key(settings.log.origin, record.public_key())
    chain = open_chain(settings, read_only=True) if _has_chain(state) else None
    store = open_store(settings.log_db)
    try:
        report = _run_audit(store, verifier, settings.log.origin, chain, lang)
    except AuditError as exc:
        where = "" if exc.index is None else text("audit_index", lang, index=exc.index)
        click.echo(text("audit_failed", lang, check=exc.check, where=where, message=exc.message))
        ctx.exit(1)
    finally:
        store.close()
        if chain is not None:
            chain.close()
    click.echo(
        text("audit_ok", lang, size=report.size, checkpoints=report.checkpoints, anchored=report.anchored)
    )


def _run_audit(
    store: ScanningLogStore, verifier: NoteVerifier, origin: str, chain: Anchor | None, lang: Lang
) -> AuditReport:
    size = store.head().size
    label = text("audit_label", lang)
    stream = sys.stderr
    bar: Any = click.progressbar(length=size, label=label, file=stream)
    with bar:
        return audit_log(store, verifier, origin, chain, progress=bar.update)


def _has_chain(state: State) -> bool:
    settings = state.settings
    return settings.log.chain_rpc is not None or (settings.chain_dir / "chain.journal").exists()


@click.group()
def anchor() -> None:
    """The blockchain anchors of the log's checkpoints."""


@anchor.command("status")
@state_options
@click.pass_context
def status(ctx: click.Context, data_dir: Path | None, passphrase_file: Path | None) -> None:
    """The latest anchored checkpoint (size, block, transaction, confirmations) and pending work."""
    lang = cli_of(ctx).lang
    with opened_state(data_dir, passphrase_file) as state:
        service, _ = state.log
        try:
            service.anchor_pending(state.settings.log.confirmations)
            found = service.status()
        except UnavailableError:
            # A running `dojang serve` holds the embedded chain and drives the outbox: only look.
            chain = open_chain(state.settings, read_only=True)
            found = LogService(service.store, chain, service.signer, service.origin, time.time).status()
    if found.latest is None:
        click.echo(text("anchor_none", lang))
    else:
        click.echo(
            text(
                "anchor_latest",
                lang,
                size=found.latest.tree_size,
                block=found.latest.block_number,
                tx=found.latest.tx_hash,
                confirmations=found.confirmations if found.confirmations is not None else "?",
            )
        )
    click.echo(
        text(
            "anchor_pending",
            lang,
            anchor=found.pending_anchor,
            confirm=found.pending_confirm,
            checkpoint=found.checkpoint_size if found.checkpoint_size is not None else "-",
            head=found.head_size,
        )
    )
