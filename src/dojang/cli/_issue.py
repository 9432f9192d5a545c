"""``dojang issue`` and ``dojang present``: the agency's and the citizen's side, on one data directory."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from dojang.adapters.registry import SyntheticRegistry
from dojang.cli._context import State, cli_of, open_state, read_input, state_options, write_output
from dojang.cli._keys import DEFAULT_ISS, publish_trust
from dojang.cli._messages import text
from dojang.cli._operator import agency_issuer
from dojang.cli._status import publish_status_trust, status_lists
from dojang.core.crypto import SigningKey, jwk_thumbprint, parse_jws, verify_key_from_jwk
from dojang.core.encoding import loads_strict
from dojang.core.sdjwt import parse
from dojang.errors import InputError, MalformedError
from dojang.roles.issuer import IssuedCredential, issue_logged
from dojang.roles.wallet import present_claims

__all__ = ["check_bound_to", "issue", "issue_credential", "present", "registry_claims"]

_REGISTRY_SEED = 2026
_REGISTRY_SIZE = 200


def registry_claims(
    registry: SyntheticRegistry, kind_id: str, citizen: str, now: datetime.datetime, property_id: str | None
) -> dict[str, Any]:
    today = now.astimezone(datetime.timezone(datetime.timedelta(hours=9))).date()
    return registry.claims_for(kind_id, citizen, today=today, property_id=property_id)


def issue_credential(
    state: State,
    kind_id: str,
    claims: Mapping[str, Any],
    *,
    now: datetime.datetime,
    holder_jwk: Mapping[str, Any] | None,
    iss: str = DEFAULT_ISS,
    agency: str | None = None,
) -> IssuedCredential:
    """Issue with the data directory's active issuer key (created on first use) and republish trust.

    With ``agency`` (an issuer id the operator registered) its certified key signs, with ``x5c``; an
    agency issuing a kind it is not accredited for is refused (ForbiddenError) before anything is stored.

    The issuance entry is durable in the log's pending queue before the credential is returned, and
    so is its entry in the agency's status list (its ``status`` claim).
    """
    issuer = agency_issuer(state, agency, fallback_iss=iss)
    # The same path as the agency API and bulk jobs: accreditation, status index, then the log entry.
    credential, _ = issue_logged(
        issuer, status_lists(state), state.log[0], kind_id, claims, now=now, holder_jwk=holder_jwk
    )
    publish_trust(state)
    publish_status_trust(state)
    return credential


def _holder_jwk(state: State, holder_jwk_file: Path | None, bind_holder: bool) -> dict[str, Any] | None:
    if holder_jwk_file is not None:
        document = loads_strict(
            read_input(str(holder_jwk_file), what="holder JWK").encode(), what="holder JWK"
        )
        return dict(verify_key_from_jwk(document).jwk)
    if bind_holder:
        record, _ = state.keys.ensure_active("holder")
        return dict(record.public_key().jwk)
    return None


@click.command()
@click.option(
    "--kind", "kind_id", required=True, help="Document kind: id or vct (see: dojang catalogue list)."
)
@click.option("--citizen", required=True, help="Citizen id in the synthetic registry, e.g. C0001.")
@click.option("--agency", default=None, help="Issue as this registered agency (issuer id): signed with x5c.")
@click.option("--property", "property_id", default=None, help="Property id, for a register extract.")
@click.option(
    "--holder-jwk",
    "holder_jwk_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bind the credential to this public JWK (a JSON file).",
)
@click.option("--holder", "bind_holder", is_flag=True, help="Bind to this data directory's holder key.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write it here.")
@click.option("--json", "as_json", is_flag=True, help="Print the credential and its facts as JSON.")
@click.option("--registry-seed", type=int, default=_REGISTRY_SEED, show_default=True, hidden=True)
@click.option("--registry-size", type=click.IntRange(1, 100_000), default=_REGISTRY_SIZE, hidden=True)
@state_options
@click.pass_context
def issue(
    ctx: click.Context,
    *,
    kind_id: str,
    citizen: str,
    agency: str | None,
    property_id: str | None,
    holder_jwk_file: Path | None,
    bind_holder: bool,
    out: Path | None,
    as_json: bool,
    registry_seed: int,
    registry_size: int,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Issue a certificate of KIND to a citizen from the synthetic registry's data."""
    if holder_jwk_file is not None and bind_holder:
        raise click.UsageError("choose one of --holder-jwk and --holder")
    lang = cli_of(ctx).lang
    state = open_state(data_dir, passphrase_file)
    kind = state.catalogue.get(kind_id)
    holder = _holder_jwk(state, holder_jwk_file, bind_holder)
    now = datetime.datetime.now(datetime.UTC)
    claims = registry_claims(
        SyntheticRegistry(registry_seed, registry_size), kind.id, citizen, now, property_id
    )
    credential = issue_credential(state, kind.id, claims, now=now, holder_jwk=holder, agency=agency)
    expires = datetime.datetime.fromtimestamp(credential.exp, datetime.UTC).date().isoformat()
    click.echo(
        text("issued", lang, title=kind.title(lang), citizen=citizen, kid=credential.kid, exp=expires),
        err=True,
    )
    if out is not None:
        write_output(out, credential.sd_jwt + "\n")
        click.echo(text("wrote", lang, path=out), err=True)
    if as_json:
        facts = {
            "sd_jwt": credential.sd_jwt,
            "kind": kind.id,
            "vct": kind.vct,
            "kid": credential.kid,
            "iat": credential.iat,
            "exp": credential.exp,
            "citizen": citizen,
            "holder_bound": holder is not None,
        }
        click.echo(json.dumps(facts, ensure_ascii=False, indent=2))
    elif out is None:
        click.echo(credential.sd_jwt)


def check_bound_to(sd_jwt: str, holder: SigningKey) -> None:
    """Refuse to present a credential that is not bound to ``holder``: its KB-JWT could never verify."""
    payload = parse_jws(parse(sd_jwt).jwt, what="issuer-signed JWT").payload
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, Mapping):
        raise InputError(
            "this credential is not bound to a holder key, so it cannot be presented with a key binding",
            hint="issue it with --holder (or --holder-jwk)",
        )
    try:
        bound = jwk_thumbprint(jwk)
    except MalformedError as exc:
        raise InputError(f"the credential's cnf.jwk is unusable: {exc.message}") from None
    if bound != holder.kid:
        raise InputError(
            f"this credential is bound to holder key {bound}, not to this data directory's {holder.kid}"
        )


@click.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--claims", default=None, help="Comma-separated claims to disclose, e.g. members[0].name,address."
)
@click.option("--all", "disclose_all", is_flag=True, help="Disclose every claim.")
@click.option("--audience", required=True, help="The recipient (KB-JWT aud).")
@click.option("--nonce", required=True, help="The recipient's nonce (KB-JWT nonce).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write it here.")
@click.option(
    "--json-serialization",
    "as_json_serialization",
    is_flag=True,
    help="Write the JWS JSON serialization (RFC 9901 §8) instead of the compact form.",
)
@state_options
@click.pass_context
def present(
    ctx: click.Context,
    *,
    file: str,
    claims: str | None,
    disclose_all: bool,
    audience: str,
    nonce: str,
    out: Path | None,
    as_json_serialization: bool,
    data_dir: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Present the credential in FILE to a recipient, disclosing only the chosen claims."""
    if (claims is not None) == disclose_all:
        raise click.UsageError("give either --claims a,b,... or --all")
    names = None if claims is None else [name for name in claims.split(",") if name.strip()]
    if names is not None and not names:
        raise click.UsageError("--claims names no claim")
    sd_jwt = read_input(file, what="credential")
    state = open_state(data_dir, passphrase_file)
    _, holder = state.keys.load_active("holder")
    check_bound_to(sd_jwt, holder)
    presentation = present_claims(
        sd_jwt, claims=names, holder_key=holder, audience=audience, nonce=nonce, now=int(time.time())
    )
    if as_json_serialization:
        # The KB-JWT's sd_hash covers the compact form in both serializations (RFC 9901 §8.1).
        presentation = parse(presentation).serialize_json()
    if out is None:
        click.echo(presentation)
    else:
        write_output(out, presentation + "\n")
        click.echo(text("wrote", lang=cli_of(ctx).lang, path=out), err=True)
