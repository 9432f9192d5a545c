"""Bench row ``oid4vci_flow``: whole OpenID4VCI issuances per second over loopback HTTP.

A fresh data directory (bare issuer key), ``dojang serve --workers N --no-sequencer`` on a free
port, offers made with the library, then wallets in threads each redeem one offer at a time with
the reference wallet's library: issuer and AS metadata, token with the PIN, c_nonce, proof,
credential (logged, with a status index). Not wired into ``dojang bench`` yet: call
:func:`oid4vci_flow_rate` (or ``python -m dojang.cli._bench_oid4vci``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from dojang.adapters.settings import Settings
from dojang.adapters.wallet_files import HttpTransport
from dojang.cli._context import State, open_state
from dojang.cli._offer import create_offer
from dojang.core.crypto import generate_key
from dojang.roles.wallet import Received, receive

__all__ = ["oid4vci_flow_rate"]

_DOJANG = Path(sys.executable).with_name("dojang")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def oid4vci_flow_rate(*, workers: int, flows: int = 200, threads: int = 8) -> float:
    """Offer → token → nonce → credential flows per second with ``workers`` server processes."""
    with tempfile.TemporaryDirectory(prefix="dojang-oid4vci-bench-") as tmp:
        data, port = Path(tmp) / "data", _free_port()
        url = f"http://127.0.0.1:{port}"
        state = State(
            Settings.from_env({"DOJANG_PUBLIC_URL": url}, data_dir=data), open_state(data, None).keys
        )
        state.keys.ensure_active("issuer", iss="https://issuer.dojang.example/agencies/demo")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOJANG_")}
        cmd = [str(_DOJANG), "serve", "--data-dir", str(data), "--port", str(port), "--no-sequencer"]
        server = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [*cmd, "--workers", str(workers)], env={**env, "DOJANG_PUBLIC_URL": url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(url)
            return _run(state, flows, threads)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            state.close()


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/.well-known/openid-credential-issuer").status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError("dojang serve did not start")


def _run(state: State, flows: int, threads: int) -> float:
    lock, done = threading.Lock(), [0]

    def wallet() -> None:
        transport = HttpTransport()
        try:
            while True:
                with lock:
                    if done[0] >= flows:
                        return
                    done[0] += 1
                    made = create_offer(state, "resident-register-abstract", "C0001")
                result = receive(
                    made.link, made.pin, transport=transport, now=lambda: int(time.time()),
                    new_key=lambda: generate_key("ES256", secrets.token_bytes),
                )  # fmt: skip
                assert isinstance(result, Received)
        finally:
            transport.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=wallet) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return flows / (time.perf_counter() - started)


if __name__ == "__main__":
    for n in (1, 2):
        print(f"oid4vci_flow workers={n}: {oid4vci_flow_rate(workers=n):.1f} flows/s")
