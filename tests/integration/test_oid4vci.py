"""OpenID4VCI 1.0 over real HTTP against ``dojang serve``: every kind, a batch, deferred issuance (per
kind from the catalogue, or per offer), and the refusal matrix.

The server runs as a subprocess on 127.0.0.1 (a free port, bounded waits, stopped at the end) over a
data directory where the operator certified and accredited one agency for every catalogue kind.
Offers are made with the library (``create_offer``), redeemed by the reference wallet's library and
by its CLI. Each refusal is checked for the spec's error code and status, and for changing nothing
stored: offers per state, used c_nonces, log entries and status-list entries are counted before
and after.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import Invoke, clean_env

from dojang.adapters.registry import SyntheticRegistry
from dojang.adapters.settings import Settings
from dojang.adapters.storage import open_oid4vci_store, open_store
from dojang.adapters.trust_files import read_trust
from dojang.adapters.trust_list_files import read_pki
from dojang.adapters.wallet_files import HttpTransport
from dojang.cli._context import State, open_state
from dojang.cli._offer import REGISTRY_SEED, REGISTRY_SIZE, approve_offer, create_offer
from dojang.cli._operator import accredit_agency, add_agency, init_operator
from dojang.core.crypto import SigningKey, generate_key, jwk_thumbprint, parse_jws, sign_jws
from dojang.core.sdjwt import parse
from dojang.roles.issuer import PRE_AUTHORIZED_GRANT
from dojang.roles.verifier import Verifier
from dojang.roles.wallet import PendingIssuance, Received, poll_deferred, receive

DOJANG = Path(sys.executable).with_name("dojang")
AGENCY = "https://jongno.gov.example/agencies/jongno"
STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class Platform:
    url: str
    data: Path
    state: State
    http: httpx.Client

    def offer(self, kind: str, citizen: str = "C0001", **options: Any) -> Any:
        return create_offer(self.state, kind, citizen, agency=AGENCY, **options)

    def counts(self) -> dict[str, int]:
        with contextlib.closing(sqlite3.connect(self.data / "log.db")) as db:
            status = db.execute("SELECT count(*) FROM status_credentials").fetchone()[0]
        with open_store(self.data / "log.db") as log:
            # Through the port: the log's own tables are the storage adapter's business.
            entries = len(log.pending(1_000_000)) + log.head().size
        with open_oid4vci_store(self.data / "log.db") as store:
            offers = store.counts()
        return {**offers, "log": entries, "status": int(status)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _setup(data: Path, url: str) -> State:
    settings = Settings.from_env({"DOJANG_PUBLIC_URL": url}, data_dir=data)
    state = State(settings, open_state(data, None).keys)
    now = int(time.time())
    init_operator(
        state, name="dojang test root", operator_id="https://operator.example", not_before=now - 60, now=now
    )
    add_agency(state, AGENCY, "종로구청", not_before=now - 60, now=now)
    for kind in state.catalogue.kinds():
        accredit_agency(state, AGENCY, kind.id, not_before=now - 60, not_after=None, now=now)
    state.close()
    return state


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data = tmp_path_factory.mktemp("oid4vci") / "data"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    state = _setup(data, url)
    env = clean_env(DOJANG_PUBLIC_URL=url)
    server = subprocess.Popen(
        [str(DOJANG), "serve", "--data-dir", str(data), "--port", str(port), "--no-sequencer"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    client = httpx.Client(base_url=url, timeout=10)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/.well-known/openid-credential-issuer").status_code == 200:
                    break
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "dojang serve did not start"
            time.sleep(0.1)
        yield Platform(url, data, state, client)
    finally:
        client.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stderr is not None:
            server.stderr.close()


def _key() -> SigningKey:
    return generate_key("ES256", secrets.token_bytes)


def _trusted(platform: Platform) -> Verifier:
    trust = platform.data / "trust"
    return Verifier(trust=read_trust(trust), catalogue=platform.state.catalogue, pki=read_pki(trust))


def _owner() -> tuple[str, str]:
    registry = SyntheticRegistry(REGISTRY_SEED, REGISTRY_SIZE)
    for n in range(1, REGISTRY_SIZE + 1):
        citizen = f"C{n:04d}"
        if owned := registry.properties_of(citizen):
            return citizen, owned[0]
    raise AssertionError("no property owner in the synthetic registry")


# -- metadata -------------------------------------------------------------------------------------


def test_metadata_lists_every_kind_with_ko_en_display(platform: Platform) -> None:
    metadata = platform.http.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == platform.url
    assert metadata["nonce_endpoint"] == platform.url + "/nonce"
    assert metadata["batch_credential_issuance"]["batch_size"] >= 2
    configs = metadata["credential_configurations_supported"]
    assert set(configs) == {kind.id for kind in platform.state.catalogue.kinds()}
    for kind in platform.state.catalogue.kinds():
        config = configs[kind.id]
        assert config["format"] == "dc+sd-jwt"
        assert config["vct"] == kind.vct
        assert config["cryptographic_binding_methods_supported"] == ["jwk"]
        assert config["proof_types_supported"] == {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}}
        display = {d["locale"]: d["name"] for d in config["credential_metadata"]["display"]}
        assert display == {"ko": kind.title("ko"), "en": kind.title("en")}
        described = [d.get("description", "") for d in config["credential_metadata"]["display"]]
        assert all("deferred" in d or "지연" in d for d in described) == kind.deferred
        assert all(
            {d["locale"] for d in c["display"]} == {"ko", "en"}
            for c in config["credential_metadata"]["claims"]
        )
    auth = platform.http.get("/.well-known/oauth-authorization-server").json()
    assert auth["token_endpoint"] == platform.url + "/token"
    assert auth["pre-authorized_grant_anonymous_access_supported"] is True


# -- the full flow --------------------------------------------------------------------------------


def _start(link: str, pin: str | None, copies: int = 1) -> Received | PendingIssuance:
    transport = HttpTransport()
    try:
        return receive(
            link, pin, transport=transport, new_key=_key, now=lambda: int(time.time()), copies=copies
        )
    finally:
        transport.close()


def _poll(pending: PendingIssuance) -> Received | PendingIssuance:
    transport = HttpTransport()
    try:
        return poll_deferred(pending, transport)
    finally:
        transport.close()


def _redeem(platform: Platform, link: str, pin: str | None, copies: int = 1, offer_id: str = "") -> Received:
    """Redeem an offer; a deferred one is approved by the back office first, then fetched."""
    result = _start(link, pin, copies)
    if isinstance(result, PendingIssuance):
        assert offer_id, "the offer was deferred"
        assert isinstance(_poll(result), PendingIssuance)  # not approved yet
        approve_offer(platform.state, offer_id)
        result = _poll(result)
    assert isinstance(result, Received)
    return result


@pytest.mark.parametrize("by_reference", [False, True])
def test_every_kind_offer_token_nonce_credential_verify(platform: Platform, by_reference: bool) -> None:
    citizen, prop = _owner()
    verifier = _trusted(platform)
    for kind in platform.state.catalogue.kinds():
        extra = {"property_id": prop} if kind.id == "real-estate-register-extract" else {}
        made = platform.offer(kind.id, citizen, by_reference=by_reference, **extra)
        assert made.link.startswith(
            "openid-credential-offer://?credential_offer" + ("_uri=" if by_reference else "=")
        )
        assert made.pin is not None
        assert made.pin.isdigit()
        assert len(made.pin) == 6
        assert made.deferred == kind.deferred
        received = _redeem(platform, made.link, made.pin, offer_id=made.id)
        ((sd_jwt, key),) = received.credentials
        verdict = verifier.verify(sd_jwt, now=int(time.time()))
        assert verdict.valid, verdict.to_json()
        assert verdict.vct == kind.vct
        names = {c.check for c in verdict.checks}
        assert {"trust-chain", "accreditation"} <= names
        payload = parse_jws(parse(sd_jwt).jwt).payload
        assert payload["iss"] == AGENCY
        assert jwk_thumbprint(payload["cnf"]["jwk"]) == key.kid
        assert "status" in payload


def test_batch_of_two_distinct_keys_and_status_indexes(platform: Platform) -> None:
    before = platform.counts()
    made = platform.offer("resident-register-abstract")
    received = _redeem(platform, made.link, made.pin, copies=2)
    payloads = [parse_jws(parse(sd).jwt).payload for sd, _ in received.credentials]
    assert len({jwk_thumbprint(p["cnf"]["jwk"]) for p in payloads}) == 2
    assert (
        len({(p["status"]["status_list"]["uri"], p["status"]["status_list"]["idx"]) for p in payloads}) == 2
    )
    after = platform.counts()
    assert after["status"] == before["status"] + 2
    assert after["log"] == before["log"] + 2


def test_cli_offer_receive_list_show(platform: Platform, tmp_path: Path, invoke: Invoke) -> None:
    wallet = tmp_path / "wallet"
    run = invoke(
        "agency", "offer", "--kind", "family-relation-certificate", "--citizen", "C0002",
        "--agency", AGENCY, "--data-dir", str(platform.data), "--public-url", platform.url, "--json",
    )  # fmt: skip
    assert run.code == 0, run.stderr
    offer = json.loads(run.stdout)
    trust = str(platform.data / "trust")
    run = invoke(
        "wallet", "receive", offer["link"], "--pin", offer["pin"], "--data-dir", str(wallet), "--trust", trust
    )
    assert run.code == 0, run.stderr
    listed = invoke("--lang", "ko", "wallet", "list", "--data-dir", str(wallet))
    assert "가족관계증명서" in listed.stdout
    credential_id = listed.stdout.split()[0]
    shown = invoke(
        "--lang", "ko", "wallet", "show", credential_id, "--data-dir", str(wallet), "--trust", trust
    )
    assert shown.code == 0
    assert "유효함" in shown.stdout
    # At rest nothing is in clear: the claims' Korean text is not in any wallet file.
    for path in (wallet / "wallet").glob("*.cred"):
        assert "가족" not in path.read_bytes().decode("latin-1")
        assert b"sd-jwt" not in path.read_bytes()
    # Redeeming the same link again is refused (one-time code), exit 2.
    again = invoke(
        "wallet", "receive", offer["link"], "--pin", offer["pin"], "--data-dir", str(wallet), "--trust", trust
    )
    assert again.code == 2
    assert "invalid_grant" in again.stderr


# -- refusals ---------------------------------------------------------------------------------------


def _code(link: str) -> str:
    offer = json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])
    return str(offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"])


def _token(platform: Platform, code: str, pin: str | None) -> httpx.Response:
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if pin is not None:
        form["tx_code"] = pin
    return platform.http.post("/token", data=form)


def _proof(
    key: SigningKey, *, aud: str, nonce: str | None, typ: str = "openid4vci-proof+jwt", jwk: Any = None
) -> str:
    claims: dict[str, Any] = {"aud": aud, "iat": int(time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    return sign_jws({"typ": typ, "jwk": jwk or dict(key.public.jwk)}, claims, key)


def _refused(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def granted(platform: Platform) -> tuple[str, str]:
    """A fresh offer redeemed for an access token: (access token, kind id)."""
    made = platform.offer("resident-register-copy")
    answer = _token(platform, _code(made.link), made.pin)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"]), "resident-register-copy"


def _nonce(platform: Platform) -> str:
    return str(platform.http.post("/nonce").json()["c_nonce"])


def test_token_refusals(platform: Platform) -> None:
    made = platform.offer("resident-register-copy")
    code = _code(made.link)
    before = platform.counts()
    _refused(_token(platform, "not-a-code", made.pin), 400, "invalid_grant")
    _refused(_token(platform, code, None), 400, "invalid_request")
    _refused(
        platform.http.post("/token", data={"grant_type": "authorization_code", "code": "x"}),
        400,
        "unsupported_grant_type",
    )
    _refused(
        platform.http.post(
            "/token", content=b"%%%", headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        400,
        "invalid_request",
    )
    assert platform.counts() == before
    assert _token(platform, code, made.pin).status_code == 200
    _refused(_token(platform, code, made.pin), 400, "invalid_grant")  # one-time code


def test_wrong_pin_attempt_limit_burns_the_offer(platform: Platform) -> None:
    made = platform.offer("resident-register-copy")
    code, wrong = _code(made.link), "000000" if made.pin != "000000" else "111111"
    for _ in range(5):
        _refused(_token(platform, code, wrong), 400, "invalid_grant")
    _refused(_token(platform, code, made.pin), 400, "invalid_grant")  # the right PIN comes too late


def test_credential_refusals_change_nothing(platform: Platform, granted: tuple[str, str]) -> None:
    token, kind = granted
    auth = {"Authorization": f"Bearer {token}"}
    key, other = _key(), _key()
    url = platform.url

    def request(proofs: list[str], config: str = kind) -> dict[str, Any]:
        return {"credential_configuration_id": config, "proofs": {"jwt": proofs}}

    with open_oid4vci_store(platform.data / "log.db") as store:
        from dojang.cli._offer import _issuer

        # Made by this issuer (the server's nonce key), but it expired 5 minutes ago.
        expired = _issuer(platform.state, store).nonce(int(time.time()) - 600)
    forged = expired[:-2] + ("AA" if not expired.endswith("AA") else "BA")
    before = platform.counts()
    post = platform.http.post
    nonce = _nonce  # each case gets a fresh c_nonce unless it is about the nonce

    def asked(proofs: list[str], config: str = kind) -> httpx.Response:
        return post("/credential", json=request(proofs, config), headers=auth)

    bad, bad_proof, unknown = (
        {"Authorization": "Bearer x"},
        "invalid_proof",
        "unknown_credential_configuration",
    )
    bad_request, no_proofs = "invalid_credential_request", {"credential_configuration_id": kind}
    evil, theirs = "https://evil.example", other.public.jwk
    cases: list[tuple[str, httpx.Response, int, str]] = [
        ("no token", post("/credential", json=request([])), 401, "invalid_token"),
        ("bad token", post("/credential", json=request([]), headers=bad), 401, "invalid_token"),
        ("malformed JSON", post("/credential", content=b"{", headers=auth), 400, bad_request),
        ("no proofs", post("/credential", json=no_proofs, headers=auth), 400, bad_proof),
        ("unknown config", asked([_proof(key, aud=url, nonce=nonce(platform))], "x"), 400, unknown),
        ("wrong aud", asked([_proof(key, aud=evil, nonce=nonce(platform))]), 400, bad_proof),
        ("wrong typ", asked([_proof(key, aud=url, nonce=nonce(platform), typ="JWT")]), 400, "invalid_proof"),
        ("another key", asked([_proof(key, aud=url, nonce=nonce(platform), jwk=theirs)]), 400, bad_proof),
        ("no nonce", asked([_proof(key, aud=url, nonce=None)]), 400, "invalid_proof"),
        ("unknown nonce", asked([_proof(key, aud=url, nonce="made-up")]), 400, "invalid_nonce"),
        ("expired nonce", asked([_proof(key, aud=url, nonce=expired)]), 400, "invalid_nonce"),
        ("forged nonce", asked([_proof(key, aud=url, nonce=forged)]), 400, "invalid_nonce"),
        ("same key twice", asked([_proof(key, aud=url, nonce=nonce(platform))] * 2), 400, bad_proof),
    ]  # fmt: skip
    for name, response, status, error in cases:
        assert response.status_code == status, (name, response.text)
        assert response.json()["error"] == error, name
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer"), name
    # Nothing was stored: c_nonces are recorded only once used, and no case used one.
    assert platform.counts() == before
    # The token still works, once.
    spent = _nonce(platform)
    ok = platform.http.post("/credential", json=request([_proof(key, aud=url, nonce=spent)]), headers=auth)
    assert ok.status_code == 200, ok.text
    # Its c_nonce is spent: another wallet's request with it is refused and changes nothing.
    made = platform.offer(kind)
    other_auth = {
        "Authorization": f"Bearer {_token(platform, _code(made.link), made.pin).json()['access_token']}"
    }
    before = platform.counts()
    replayed = post("/credential", json=request([_proof(other, aud=url, nonce=spent)]), headers=other_auth)
    _refused(replayed, 400, "invalid_nonce")
    assert platform.counts() == before
    reused = platform.http.post(
        "/credential", json=request([_proof(key, aud=url, nonce=_nonce(platform))]), headers=auth
    )
    _refused(reused, 401, "invalid_token")


def test_deferred_issuance_chosen_per_offer(platform: Platform) -> None:
    # An immediate kind, deferred by the offer (the per-offer choice overrides the catalogue's).
    made = platform.offer("resident-register-abstract", deferred=True)
    assert made.deferred
    token = _token(platform, _code(made.link), made.pin).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    key = _key()
    body = {"credential_configuration_id": "resident-register-abstract",
            "proofs": {"jwt": [_proof(key, aud=platform.url, nonce=_nonce(platform))]}}  # fmt: skip
    pending = platform.http.post("/credential", json=body, headers=auth)
    assert pending.status_code == 202, pending.text
    transaction = pending.json()["transaction_id"]
    assert pending.json()["interval"] > 0
    again = platform.http.post("/deferred-credential", json={"transaction_id": transaction}, headers=auth)
    assert again.status_code == 202
    _refused(
        platform.http.post("/deferred-credential", json={"transaction_id": "x"}, headers=auth),
        400,
        "invalid_transaction_id",
    )
    before = platform.counts()
    approve_offer(platform.state, made.id)
    done = platform.http.post("/deferred-credential", json={"transaction_id": transaction}, headers=auth)
    assert done.status_code == 200, done.text
    (item,) = done.json()["credentials"]
    assert _trusted(platform).verify(item["credential"], now=int(time.time())).valid
    # Signed only once approved: one status index and one log entry, at the deferred request.
    after = platform.counts()
    assert (after["status"], after["log"]) == (before["status"] + 1, before["log"] + 1)
    _refused(
        platform.http.post("/deferred-credential", json={"transaction_id": transaction}, headers=auth),
        400,
        "invalid_transaction_id",
    )


def test_offer_refused_for_unknown_citizen_or_agency(platform: Platform) -> None:
    from dojang.errors import ForbiddenError, NotFoundError

    before = platform.counts()
    with pytest.raises(NotFoundError):
        platform.offer("resident-register-copy", "C9999")
    with pytest.raises((ForbiddenError, NotFoundError)):
        create_offer(platform.state, "resident-register-copy", "C0001", agency="https://unknown.example")
    assert platform.counts() == before


def test_kind_marked_deferred_waits_for_the_back_office(
    platform: Platform, invoke: Invoke, tmp_path: Path
) -> None:
    """The register extract is ``"issuance": "deferred"`` in the catalogue: its offers wait by default."""
    citizen, prop = _owner()
    made = platform.offer("real-estate-register-extract", citizen, property_id=prop)
    assert made.deferred
    before = platform.counts()
    pending = _start(made.link, made.pin)
    assert isinstance(pending, PendingIssuance)
    assert pending.interval > 0
    assert isinstance(_poll(pending), PendingIssuance)
    # Nothing is signed before approval: no status index, no log entry.
    middle = platform.counts()
    assert (middle["status"], middle["log"]) == (before["status"], before["log"])
    assert middle["offers_pending"] == before.get("offers_pending", 0) + 1
    run = invoke("agency", "approve", made.id, "--data-dir", str(platform.data))
    assert run.code == 0, run.stderr
    received = _poll(pending)
    assert isinstance(received, Received)
    ((sd_jwt, _),) = received.credentials
    verdict = _trusted(platform).verify(sd_jwt, now=int(time.time()))
    assert verdict.valid, verdict.to_json()
    assert verdict.vct == platform.state.catalogue.get("real-estate-register-extract").vct
    # The per-offer choice still overrides the kind's: an immediate extract.
    now = platform.offer("real-estate-register-extract", citizen, property_id=prop, deferred=False)
    assert not now.deferred
    assert isinstance(_start(now.link, now.pin), Received)


def test_cli_offer_follows_the_kind_unless_told(platform: Platform, invoke: Invoke) -> None:
    citizen, prop = _owner()
    base = ("agency", "offer", "--kind", "real-estate-register-extract", "--citizen", citizen,
            "--property", prop, "--agency", AGENCY, "--data-dir", str(platform.data),
            "--public-url", platform.url, "--json")  # fmt: skip
    by_kind = invoke(*base)
    assert by_kind.code == 0, by_kind.stderr
    assert json.loads(by_kind.stdout)["deferred"] is True
    told = invoke(*base, "--immediate")
    assert told.code == 0, told.stderr
    offer = json.loads(told.stdout)
    assert offer["deferred"] is False
    assert isinstance(_start(offer["link"], offer["pin"]), Received)
