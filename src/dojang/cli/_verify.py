"""``dojang verify``: one verdict per input; exit 0 valid, 1 not valid, 2 unreadable input or bad usage."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from dojang.adapters.log_files import read_log_trust
from dojang.adapters.trust_files import read_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.cli._context import cli_of, open_state, read_input, state_options
from dojang.cli._render import verdict_lines
from dojang.cli._status import status_check_for
from dojang.core.catalogue import Catalogue
from dojang.errors import DojangError, InputError
from dojang.roles.verifier import Verdict, Verifier

__all__ = ["CLI_KB_MAX_AGE", "failure_json", "verify"]

#: How old a presentation's key binding JWT may be when verified from a file. The Verifier's own
#: default (5 minutes) suits an online exchange; a presentation kept in a file is checked later, and
#: its nonce already ties it to the recipient's request. ``--max-age`` narrows or widens this.
CLI_KB_MAX_AGE = 24 * 3600


def failure_json(check: str, detail: str) -> dict[str, Any]:
    """The ``--json`` document for input that could not be verified at all."""
    return {
        "valid": False,
        "checks": [{"check": check, "ok": False, "detail": detail}],
        "vct": None,
        "claims": {},
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


@click.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory with issuers.json, or a file: a trust list, a JWK Set or one issuer JWK "
    "(default: DATA/trust).",
)
@click.option("--audience", default=None, help="Expected audience of the key binding JWT (a presentation).")
@click.option(
    "--nonce", default=None, help="Expected nonce of the key binding JWT; required with --audience."
)
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    default=CLI_KB_MAX_AGE,
    show_default=True,
    help="Oldest accepted key binding JWT, in seconds.",
)
@click.option(
    "--proof",
    "proof_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The credential's C2SP tlog-proof (default: FILE.tlog-proof beside it, if present).",
)
@click.option(
    "--status-at",
    type=click.IntRange(min=0),
    default=None,
    help="Check the status as it stood at this time (Unix seconds): was it valid then?",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@state_options
@click.pass_context
def verify(
    ctx: click.Context,
    *,
    file: str,
    trust_dir: Path | None,
    audience: str | None,
    nonce: str | None,
    max_age: int,
    proof_file: Path | None,
    status_at: int | None,
    as_json: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Verify FILE, an SD-JWT VC or a presentation ('-' reads standard input).

    FILE holds the compact form or the JWS JSON serialization (RFC 9901 §8), General or Flattened.
    """
    if (audience is None) != (nonce is None):
        raise click.UsageError("--audience and --nonce go together: a presentation is checked for both")
    lang = cli_of(ctx).lang
    try:
        state = open_state(data_dir, passphrase_file)
        trust_path = trust_dir if trust_dir is not None else state.settings.trust_dir
        token = read_input(file, what="credential")
        log = read_log_trust(trust_path)
        verifier = Verifier(
            trust=read_trust(trust_path),
            catalogue=state.catalogue,
            kb_max_age=max_age,
            log=log,
            status=status_check_for(trust_path, state),
            pki=read_pki(trust_path),
        )
        proof = _read_proof(file, proof_file) if log is not None else None
        verdict = verifier.verify(
            token, now=int(time.time()), audience=audience, nonce=nonce, proof=proof, status_at=status_at
        )
    except DojangError as exc:
        if not as_json:
            raise
        check = "format" if isinstance(exc, InputError) else "trust"
        click.echo(_dump(failure_json(check, exc.message)))
        ctx.exit(exc.exit_code)
    _show(verdict, verifier.catalogue, as_json=as_json, lang=lang)
    ctx.exit(0 if verdict.valid else 1)


def _read_proof(file: str, proof_file: Path | None) -> bytes | None:
    """``--proof P``, else ``FILE.tlog-proof`` when it exists; None when there is none."""
    if proof_file is None:
        beside = Path(f"{file}.tlog-proof")
        if file == "-" or not beside.is_file():
            return None
        proof_file = beside
    return read_input(str(proof_file), what="tlog-proof").encode("utf-8")


def _show(verdict: Verdict, catalogue: Catalogue, *, as_json: bool, lang: str) -> None:
    if as_json:
        click.echo(_dump(verdict.to_json()))
        return
    for line in verdict_lines(verdict, catalogue, "ko" if lang == "ko" else "en"):
        click.echo(line)
