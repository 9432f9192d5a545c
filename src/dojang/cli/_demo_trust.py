"""The demo's issuer trust: the operator's root CA, two accredited agencies, and the trust rejections.

The root and the agencies' certificates and accreditations start about a year back, so that the
demo's deliberately old (expired) credential was still signed by an accredited agency.
"""

from __future__ import annotations

import datetime
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from dojang.adapters.trust_files import write_trust
from dojang.adapters.trust_list_files import ROOT_CA_FILE, TRUST_LIST_FILE, read_registry
from dojang.cli._context import State
from dojang.cli._messages import Lang, text
from dojang.cli._operator import accredit_agency, add_agency, init_operator
from dojang.core.crypto import create_root_ca, generate_key, issue_document_signer
from dojang.roles.issuer import Issuer

__all__ = ["AGENCY_OF_KIND", "operator_step", "publish_pki", "setup_operator", "trust_rejections"]

_JONGNO = ("https://jongno.issuer.dojang.example", "서울특별시 종로구청")
_COURT = ("https://registry.seoul-central-court.dojang.example", "서울중앙지방법원 등기국")
_KINDS = {
    _JONGNO: ("resident-register-copy", "resident-register-abstract", "family-relation-certificate"),
    _COURT: ("real-estate-register-extract",),
}
#: Which agency issues each kind in the demo.
AGENCY_OF_KIND = {kind: agency[0] for agency, kinds in _KINDS.items() for kind in kinds}
_DAY = 86_400


def setup_operator(state: State, now: datetime.datetime, lang: Lang) -> None:
    """Operator init, two agencies with certificates, accreditations; every change in the log."""
    seconds = int(now.timestamp())
    root, _ = init_operator(
        state,
        name="행정안전부 (demo)",
        operator_id="https://operator.dojang.example",
        not_before=seconds - 730 * _DAY,
        now=seconds,
    )
    click.echo(f"   {root.subject} → {state.settings.trust_dir / ROOT_CA_FILE}")
    for (issuer_id, name), kinds in _KINDS.items():
        add_agency(state, issuer_id, name, not_before=seconds - 400 * _DAY, now=seconds)
        for kind in kinds:
            accredit_agency(
                state, issuer_id, kind, not_before=seconds - 400 * _DAY, not_after=None, now=seconds
            )
        titles = ", ".join(state.catalogue.get(kind).title(lang) for kind in kinds)
        click.echo(text("demo_operator_agency", lang, name=name, id=issuer_id, kinds=titles))


def operator_step(state: State, trust_dir: Path, now: datetime.datetime, lang: Lang) -> None:
    """The demo's operator step: set up, then publish the root, the trust list and issuers.json."""
    click.echo(text("demo_step_operator", lang))
    setup_operator(state, now, lang)
    publish_pki(state, trust_dir)
    # The agencies' keys also sign their status lists: the published issuers.json names them too.
    write_trust(trust_dir, state.keys.trust_list())


def publish_pki(state: State, trust_dir: Path) -> None:
    """Copy the root certificate and the signed trust list into the demo's published trust directory."""
    trust_dir.mkdir(parents=True, exist_ok=True)
    for name in (ROOT_CA_FILE, TRUST_LIST_FILE):
        shutil.copyfile(state.settings.trust_dir / name, trust_dir / name)


def trust_rejections(
    state: State,
    kind_id: str,
    claims: dict[str, Any],
    *,
    now: datetime.datetime,
    holder_jwk: dict[str, Any],
    present: Callable[[str], str],
    meta: Callable[[str], dict[str, Any]],
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, token, meta): a real agency signing a kind it is not accredited for, and a certificate
    from another root claiming a real agency's id."""
    court = read_registry(state.settings.data_dir).agency(_COURT[0])
    cert = court.certificates[-1]
    # The court's own certified key, bypassing the issuer's accreditation check (as a rogue would).
    rogue = Issuer(
        court.issuer_id,
        state.keys.load(cert.public_key.kid),
        state.catalogue,
        secrets.token_bytes,
        certificate=cert,
    )
    token = rogue.issue(kind_id, claims, now=now, holder_jwk=holder_jwk).sd_jwt
    yield "non-accredited-agency", present(token), meta("accreditation")
    other_key = generate_key("ES256", secrets.token_bytes)
    other_root = create_root_ca(
        other_key,
        name="another operator",
        not_before=now - datetime.timedelta(days=30),
        not_after=now + datetime.timedelta(days=3650),
        rng=secrets.token_bytes,
    )
    signer = generate_key("ES256", secrets.token_bytes)
    foreign = issue_document_signer(
        other_key,
        other_root,
        signer.public,
        agency_name=_JONGNO[1],
        issuer_id=_JONGNO[0],
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=365),
        rng=secrets.token_bytes,
    )
    impostor = Issuer(_JONGNO[0], signer, state.catalogue, secrets.token_bytes, certificate=foreign)
    token = impostor.issue(kind_id, claims, now=now, holder_jwk=holder_jwk).sd_jwt
    yield "certificate-from-another-root", present(token), meta("trust-chain")
