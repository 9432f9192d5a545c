"""``dojang demo``: the whole story on screen, and artefacts an outside checker can verify on its own.

Issuance uses the real clock (so the artefacts stay valid for ``dojang verify`` right after) and the
synthetic registry with a fixed seed (so the people and documents are the same on every run).
"""

from __future__ import annotations

import datetime
import json
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.log_files import export_tiles, read_log_trust
from dojang.adapters.registry import Citizen, SyntheticRegistry
from dojang.adapters.trust_files import read_trust, write_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.cli._context import State, cli_of, open_state, write_output
from dojang.cli._demo_backdate import BACKDATED_KIND, backdate_step, issue_backdated_copy
from dojang.cli._demo_status import REVOKE_REASON, REVOKED_KIND, issue_revoked_copy, publish_demo_status
from dojang.cli._demo_trust import AGENCY_OF_KIND, operator_step, trust_rejections
from dojang.cli._issue import check_bound_to, issue_credential, registry_claims
from dojang.cli._keys import DEFAULT_ISS, publish_trust
from dojang.cli._log import prove_credential
from dojang.cli._logsvc import publish_log_trust
from dojang.cli._messages import Lang, check_name, text
from dojang.cli._render import verdict_lines
from dojang.cli._status import status_check_for
from dojang.cli._verify import CLI_KB_MAX_AGE
from dojang.core.crypto import generate_key, parse_jws
from dojang.core.encoding import b64url_decode, b64url_encode, json_b64url
from dojang.core.log import parse_tlog_proof
from dojang.core.sdjwt import parse
from dojang.errors import ConfigError, InputError
from dojang.roles.issuer import Issuer
from dojang.roles.verifier import Verifier
from dojang.roles.wallet import present_claims

__all__ = ["demo"]

_SEED, _SIZE = 2026, 200
_BANK = "https://bank.example/accounts"
_SHOP = "https://liquor-shop.example/age-check"
_OTHER = "https://other-bank.example/accounts"
_DAY = 86_400
#: What a previous demo leaves in its output directory, so that a re-run may replace it.
_MARKER = ".dojang-demo"
_PARTS = ("data", "trust", "credentials", "presentations", "rejected", "log", "status", _MARKER)


@dataclass
class _Run:
    """One demo run: where it writes, what it has issued, and the verdicts that were not as expected."""

    out: Path
    state: State
    lang: Lang
    now: datetime.datetime
    credentials: dict[str, str] = field(default_factory=dict)
    surprises: list[str] = field(default_factory=list)
    revoked: str = ""
    backdated: str = ""

    def say(self, key: str, **values: object) -> None:
        click.echo(text(key, self.lang, **values))

    def write_proof(self, token_path: Path, token: str) -> bytes:
        """The token's tlog-proof, written beside it as ``*.sd-jwt.tlog-proof``."""
        proof = prove_credential(self.state.log[0], token).encode()
        write_output(token_path.with_name(token_path.name + ".tlog-proof"), proof.decode("utf-8"))
        return proof

    def write(self, folder: str, name: str, token: str, meta: dict[str, Any] | None = None) -> Path:
        path = self.out / folder / f"{name}.sd-jwt"
        write_output(path, token + "\n")
        if meta is not None:
            write_output(path.with_suffix(".json"), json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        return path


def _prepare(out: Path) -> None:
    """Refuse to write into a directory that is neither empty nor a previous demo's output."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not (out / _MARKER).exists():
            raise InputError(
                f"{out} is not empty and was not written by dojang demo",
                hint="pick a new directory, or empty this one",
            )
        for part in _PARTS:
            target = out / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / _MARKER).write_text("written by dojang demo; a re-run replaces this directory's contents\n")


def _pick_citizen(registry: SyntheticRegistry, today: datetime.date) -> Citizen:
    """The first adult who heads a family and owns a property: every kind of certificate applies."""
    for citizen_id in registry.citizen_ids():
        citizen = registry.citizen(citizen_id)
        adult = citizen.birth_date.replace(year=citizen.birth_date.year + 19) <= today
        if adult and citizen.children_ids and registry.properties_of(citizen_id):
            return citizen
    raise ConfigError("the synthetic registry holds no adult property owner with children")


def _issue_all(run: _Run, registry: SyntheticRegistry, citizen: Citizen, holder_jwk: dict[str, Any]) -> None:
    today_kinds = registry.kinds_for(citizen.id)
    for kind_id in today_kinds:
        claims = registry_claims(registry, kind_id, citizen.id, run.now, None)
        credential = issue_credential(
            run.state, kind_id, claims, now=run.now, holder_jwk=holder_jwk, agency=AGENCY_OF_KIND.get(kind_id)
        )
        run.credentials[kind_id] = credential.sd_jwt
        path = run.write("credentials", kind_id, credential.sd_jwt)
        click.echo(f"   {credential.kind.title(run.lang)} → {path}")
    # One more 등본 copy, revoked: kept out of credentials/ (all genuine and valid), shown in rejected/.
    run.revoked = issue_revoked_copy(
        run.state, registry, citizen.id, run.now, holder_jwk, agency=AGENCY_OF_KIND.get(REVOKED_KIND)
    )
    # And one back-dated by an insider, before the status lists are published: its status is valid.
    run.backdated = issue_backdated_copy(
        run.state, registry, citizen.id, run.now, holder_jwk, agency=AGENCY_OF_KIND.get(BACKDATED_KIND)
    )
    status_dir = publish_demo_status(run.state, run.out)
    run.say("demo_step_status", reason=REVOKE_REASON.label(run.lang), path=status_dir)
    click.echo(backdate_step(run.now, run.lang))


def _member_index(sd_jwt: str, citizen: Citizen) -> int:
    """Where the citizen stands in the 등본's member list (matched by name and birth date)."""
    sd = parse(sd_jwt)
    members = [d.value for d in sd.disclosures if d.name is None and isinstance(d.value, dict)]
    for index, member in enumerate(members):
        shown = {d.name: d.value for d in sd.disclosures if d.digest in member.get("_sd", ())}
        if shown.get("name") == citizen.name and shown.get("birth_date") == citizen.birth_date.isoformat():
            return index
    raise ConfigError(f"citizen {citizen.id} is not a member of their own household copy")


def _presentations(run: _Run, citizen: Citizen) -> dict[str, tuple[str, str, str]]:
    """The citizen's genuine presentations: name (audience, nonce, token)."""
    _, holder = run.state.keys.load_active("holder")
    copy = run.credentials["resident-register-copy"]
    family = run.credentials["family-relation-certificate"]
    index = _member_index(copy, citizen)
    plan = [
        ("bank-name-and-address", copy, _BANK, [f"members[{index}].name", "address"]),
        ("shop-age-over-19", family, _SHOP, ["age_over_19"]),
    ]
    made: dict[str, tuple[str, str, str]] = {}
    for name, credential, audience, claims in plan:
        check_bound_to(credential, holder)
        nonce = secrets.token_urlsafe(16)
        token = present_claims(
            credential, claims=claims, holder_key=holder, audience=audience, nonce=nonce, now=int(time.time())
        )
        run.write("presentations", name, token, {"audience": audience, "nonce": nonce})
        title = run.state.catalogue.get(parse_jws(parse(credential).jwt).payload["vct"]).title(run.lang)
        run.say("demo_present_line", recipient=audience, title=title, claims=", ".join(claims))
        made[name] = (audience, nonce, token)
    return made


def _tamper_disclosure(token: str) -> str:
    """Change one disclosed string value and re-encode that disclosure, keeping every other byte."""
    parts = token.split("~")
    for index, disclosure in enumerate(parse(token).disclosures, start=1):
        if isinstance(disclosure.value, str):
            forged = [disclosure.salt, disclosure.name, disclosure.value + "X"]
            parts[index] = b64url_encode(json.dumps(forged, ensure_ascii=False).encode("utf-8"))
            return "~".join(parts)
    raise ConfigError("the presentation discloses no string value to tamper with")


def _tamper_payload(token: str) -> str:
    """Change the signed payload (push ``exp`` a year out) and re-encode it, keeping the old signature."""
    jwt, rest = token.split("~", 1)
    head, body, signature = jwt.split(".")
    payload = json.loads(b64url_decode(body))
    payload["exp"] = int(payload["exp"]) + 365 * _DAY
    forged = ".".join([head, json_b64url(payload), signature])
    return f"{forged}~{rest}"


def _bank_claims(run: _Run, citizen: Citizen) -> list[str]:
    return [f"members[{_member_index(run.credentials['resident-register-copy'], citizen)}].name", "address"]


def _rejected(
    run: _Run, citizen: Citizen, bank: tuple[str, str, str]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, token, meta) for every example that must fail, each with the check that must fail."""
    audience, nonce, token = bank
    yield "tampered-disclosure", _tamper_disclosure(token), _meta(audience, nonce, "disclosures")
    yield "tampered-payload", _tamper_payload(token), _meta(audience, nonce, "signature")
    yield "wrong-audience", token, _meta(_OTHER, nonce, "audience")
    yield "wrong-nonce", token, _meta(audience, secrets.token_urlsafe(16), "nonce")
    _, holder = run.state.keys.load_active("holder")
    kind_id = "resident-register-copy"
    registry = SyntheticRegistry(_SEED, _SIZE)
    claims = _bank_claims(run, citizen)

    def presented(sd_jwt: str) -> str:
        return present_claims(
            sd_jwt, claims=claims, holder_key=holder, audience=audience, nonce=nonce, now=int(time.time())
        )

    # Issued genuinely by the trusted key, but long ago: its validity period is over.
    kind = run.state.catalogue.get(kind_id)
    past = run.now - datetime.timedelta(days=kind.validity_days + 30)
    past_claims = registry_claims(registry, kind_id, citizen.id, past, None)
    old = issue_credential(
        run.state,
        kind_id,
        past_claims,
        now=past,
        holder_jwk=dict(holder.public.jwk),
        agency=AGENCY_OF_KIND[kind_id],
    )
    yield "expired", presented(old.sd_jwt), _meta(audience, nonce, "validity-period")
    # A forger's key claiming the agency's name: not in the trust list.
    forger = Issuer(
        DEFAULT_ISS, generate_key("ES256", secrets.token_bytes), run.state.catalogue, secrets.token_bytes
    )
    claims_now = registry_claims(registry, kind_id, citizen.id, run.now, None)
    forged = forger.issue(kind_id, claims_now, now=run.now, holder_jwk=dict(holder.public.jwk))
    yield "unknown-issuer-key", presented(forged.sd_jwt), _meta(audience, nonce, "issuer-key")
    # Genuine, logged and anchored, but revoked by its agency: only the status line fails.
    revoked = present_claims(
        run.revoked, claims=[f"members[{_member_index(run.revoked, citizen)}].name", "address"],
        holder_key=holder, audience=audience, nonce=nonce, now=int(time.time()),
    )  # fmt: skip
    run.write_proof(run.out / "rejected" / "revoked.sd-jwt", revoked)
    yield "revoked", revoked, _meta(audience, nonce, "status")
    # The accredited agency's genuine key, a valid status, logged and anchored, but dated days before
    # the chain saw it (an insider back-dating): every line holds except log-time.
    backdated = present_claims(
        run.backdated, claims=[f"members[{_member_index(run.backdated, citizen)}].name", "address"],
        holder_key=holder, audience=audience, nonce=nonce, now=int(time.time()),
    )  # fmt: skip
    run.write_proof(run.out / "rejected" / "back-dated.sd-jwt", backdated)
    yield "back-dated", backdated, _meta(audience, nonce, "log-time")
    # A real agency's certificate but no accreditation for the kind; a certificate from another root.
    yield from trust_rejections(
        run.state,
        kind_id,
        claims_now,
        now=run.now,
        holder_jwk=dict(holder.public.jwk),
        present=presented,
        meta=lambda check: _meta(audience, nonce, check),
    )


def _anchor(run: _Run) -> None:
    """Integrate, sign a checkpoint, anchor it and wait for its confirmations; show block and tx."""
    service, chain = run.state.log
    service.integrate()
    checkpoint = service.checkpoint()
    if checkpoint is None:
        raise ConfigError("the demo's log is empty after issuing")
    confirmations = run.state.settings.log.confirmations
    service.anchor_pending(confirmations)
    if isinstance(chain, InProcessChain):
        chain.advance(confirmations)
    service.anchor_pending(confirmations)
    receipt = service.confirmed(checkpoint.size)
    if receipt is None:
        raise ConfigError(f"checkpoint {checkpoint.size} was not anchored with {confirmations} confirmations")
    run.say("demo_checkpoint", size=checkpoint.size, root=checkpoint.root.hex()[:16])
    run.say("demo_anchor_line", block=receipt["block"], tx=receipt["tx"], confirmations=confirmations)
    chain.close()  # the lock on the chain's state is released until the operator needs it again


def _tamper_proof(proof: bytes) -> bytes:
    """Flip one bit of the first proof hash, keeping the file well-formed."""
    parsed = parse_tlog_proof(proof)
    first = bytes([parsed.hashes[0][0] ^ 1]) + parsed.hashes[0][1:]
    return type(parsed)(parsed.index, (first, *parsed.hashes[1:]), parsed.checkpoint, parsed.extra).encode()


def _meta(audience: str, nonce: str, expected: str) -> dict[str, Any]:
    return {"audience": audience, "nonce": nonce, "expected_failure": expected}


def _verify_genuine(
    run: _Run, verifier: Verifier, path: Path, token: str, *, audience: str | None, nonce: str | None
) -> None:
    """A credential gets one summary line; a presentation its full verdict and what it disclosed."""
    label = str(path.relative_to(run.out))
    proof = _proof_beside(path)
    verdict = verifier.verify(token, now=int(time.time()), audience=audience, nonce=nonce, proof=proof)
    if verdict.valid and audience is None:
        click.echo(f" ✓ {label}: {text('valid', run.lang)} ({len(verdict.checks)} checks)")
        return
    click.echo(f" • {label}")
    for line in verdict_lines(verdict, run.state.catalogue, run.lang):
        click.echo(f"   {line}")
    if not verdict.valid:
        run.surprises.append(label)


def _proof_beside(path: Path) -> bytes | None:
    beside = path.with_name(path.name + ".tlog-proof")
    return beside.read_bytes() if beside.is_file() else None


def _verify_rejected(run: _Run, verifier: Verifier, path: Path, token: str, meta: dict[str, Any]) -> None:
    name = str(path.relative_to(run.out))
    verdict = verifier.verify(
        token, now=int(time.time()), audience=meta["audience"], nonce=meta["nonce"], proof=_proof_beside(path)
    )
    click.echo(f" • {name}")
    run.say(
        "demo_expect", check=f"{meta['expected_failure']} ({check_name(meta['expected_failure'], run.lang)})"
    )
    for check in verdict.checks:
        click.echo(f"   {'✓' if check.ok else '✗'} {check_name(check.check, run.lang)}: {check.detail}")
    failed = verdict.failed
    if failed is not None and failed.check == meta["expected_failure"]:
        run.say("demo_ok")
    else:
        run.say("demo_bad")
        run.surprises.append(name)


def _story(run: _Run) -> None:
    run.say("demo_title")
    click.echo()
    issuer, _ = run.state.keys.ensure_active("issuer", iss=DEFAULT_ISS)
    publish_trust(run.state)
    write_trust(run.out / "trust", run.state.keys.trust_list())
    run.say("demo_step_keys", iss=issuer.iss)
    click.echo(f"   kid {issuer.kid} → {run.out / 'trust' / 'issuers.json'}")
    operator_step(run.state, run.out / "trust", run.now, run.lang)
    registry = SyntheticRegistry(_SEED, _SIZE)
    citizen = _pick_citizen(registry, run.now.date())
    holder, _ = run.state.keys.ensure_active("holder")
    run.say("demo_step_holder", name=citizen.name, citizen=citizen.id)
    click.echo(f"   kid {holder.kid}")
    run.say("demo_step_issue")
    _issue_all(run, registry, citizen, dict(holder.public_key().jwk))
    run.say("demo_step_log")
    _anchor(run)
    for kind_id, token in run.credentials.items():
        proof = run.write_proof(run.out / "credentials" / f"{kind_id}.sd-jwt", token)
        write_output(run.out / "log" / f"{kind_id}.sd-jwt.tlog-proof", proof.decode("utf-8"))
    log_key = run.state.log[0].signer.verifier
    publish_log_trust(run.state.settings, log_key, run.out / "trust", tiles="../log")
    click.echo(f"   → {run.out / 'trust' / 'log.json'}, {run.out / 'credentials'}/*.sd-jwt.tlog-proof")
    run.say("demo_step_present")
    made = _presentations(run, citizen)
    for name, (_, _, token) in made.items():
        run.write_proof(run.out / "presentations" / f"{name}.sd-jwt", token)
    # The verifier reads the trust list back from the published files, as an outsider would.
    verifier = Verifier(
        trust=read_trust(run.out / "trust"),
        catalogue=run.state.catalogue,
        kb_max_age=CLI_KB_MAX_AGE,
        log=read_log_trust(run.out / "trust"),
        pki=read_pki(run.out / "trust"),
        status=status_check_for(run.out / "trust", run.state),
    )
    run.say("demo_step_verify")
    for kind_id, token in run.credentials.items():
        path = run.out / "credentials" / f"{kind_id}.sd-jwt"
        _verify_genuine(run, verifier, path, token, audience=None, nonce=None)
    for name, (audience, nonce, token) in made.items():
        path = run.out / "presentations" / f"{name}.sd-jwt"
        _verify_genuine(run, verifier, path, token, audience=audience, nonce=nonce)
    run.say("demo_step_reject")
    bank = made["bank-name-and-address"]
    rejected = list(_rejected(run, citizen, bank))
    rejected.append(("tampered-proof", bank[2], _meta(bank[0], bank[1], "log-inclusion")))
    for name, token, meta in rejected:
        path = run.write("rejected", name, token, meta)
        if name == "tampered-proof":
            good = _proof_beside(run.out / "presentations" / "bank-name-and-address.sd-jwt") or b""
            write_output(path.with_name(path.name + ".tlog-proof"), _tamper_proof(good).decode("utf-8"))
        _verify_rejected(run, verifier, path, token, meta)
    # The expired example was issued with the same key: republish so the copy matches DATA/trust.
    write_trust(run.out / "trust", run.state.keys.trust_list())
    # It was logged too: a second checkpoint, anchored; the first one's proofs stay valid through a
    # consistency proof from the tiles published in log/.
    click.echo()
    run.say("demo_step_log_again")
    _anchor(run)
    service = run.state.log[0]
    note = service.store.checkpoint() or b""
    write_output(run.out / "log" / "checkpoint", note.decode("utf-8"))
    tiles = export_tiles(service.store, service.store.head().size, run.out / "log")
    click.echo()
    run.say("demo_log", path=run.out / "log", tiles=tiles)


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for the artefacts (its own data directory is DIR/data).",
)
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path), default=None, hidden=True)
@click.pass_context
def demo(ctx: click.Context, out: Path, passphrase_file: Path | None) -> None:
    """Tell the whole story (issue, hold, share, verify, reject) and leave its artefacts in DIR."""
    _prepare(out)
    run = _Run(
        out, open_state(out / "data", passphrase_file), cli_of(ctx).lang, datetime.datetime.now(datetime.UTC)
    )
    try:
        _story(run)
    finally:
        run.state.close()
    if run.surprises:
        run.say("demo_failed", count=len(run.surprises))
        ctx.exit(1)
    bank = out / "presentations" / "bank-name-and-address"
    meta = json.loads(bank.with_suffix(".json").read_text())
    run.say(
        "demo_try",
        file=bank.with_suffix(".sd-jwt"),
        trust=out / "trust",
        aud=meta["audience"],
        nonce=meta["nonce"],
    )
    run.say("demo_done", path=out)
