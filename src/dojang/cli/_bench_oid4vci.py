"""Bench row ``oid4vci_flow``: whole OpenID4VCI issuances per second over loopback HTTP.

A fresh data directory (an operator, one agency certified and accredited for the kind), then
``dojang serve --workers N --no-sequencer`` on a free port of 127.0.0.1 over SQLite (``DATA/log.db``)
or PostgreSQL (a fresh schema, dropped afterwards). Wallet threads each run one flow at a time: the
agency makes an offer (library call on this process's own store connection), then the wallet library
(``dojang.roles.wallet.receive``, over a new keep-alive connection per flow, as each wallet is another
phone) fetches issuer and AS metadata, redeems the code with the PIN at the token endpoint, takes a
c_nonce, signs its proof with a new key and gets the credential (signed, with a status index and a
durable log entry). A warm-up of a few flows per thread is not timed.

The rate is the flows finished in the timed window divided by its wall time. The row also says how
much CPU the server processes and this (client) process used, and how busy the rest of the machine
was (``other_load``), because on a small machine the wallets compete with the server for the cores.
``python -m dojang.cli._bench_oid4vci --help`` runs it by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import httpx

from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.storage import SqlOid4vciStore, store_for
from dojang.cli._context import State
from dojang.cli._offer import create_offer
from dojang.cli._operator import accredit_agency, add_agency, init_operator
from dojang.core.crypto import generate_key
from dojang.core.encoding import loads_strict
from dojang.roles.wallet import Received, receive

__all__ = [
    "DEFAULT_POSTGRES",
    "FLOW_KIND",
    "FLOW_ROWS",
    "POSTGRES_ENV",
    "flow_note",
    "flow_rows",
    "oid4vci_flow_rate",
    "oid4vci_rows",
]

Backend = Literal["sqlite", "postgres"]
FLOW_KIND = "resident-register-abstract"
#: Where ``--db postgres`` runs unless told otherwise (the development machines' database).
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
#: The rows, by backend; ``dojang bench`` measures the PostgreSQL one only where $POSTGRES_ENV is set.
FLOW_ROWS: dict[str, Backend] = {"oid4vci_flow": "sqlite", "oid4vci_flow_pg": "postgres"}
POSTGRES_ENV = "DOJANG_BENCH_POSTGRES"
_DOJANG = Path(sys.executable).with_name("dojang")
_AGENCY = "https://bench.example/agencies/oid4vci"
_CITIZENS = 50
_STARTUP_SECONDS = 30.0
_HZ = os.sysconf("SC_CLK_TCK")
_FORM = "application/x-www-form-urlencoded"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(data: Path, url: str, log_db: str | None) -> State:
    # The same settings as the server's (which sees no other DOJANG_ variable): keys under its kek.
    environ = {"DOJANG_PUBLIC_URL": url, **({"DOJANG_LOG_DB": log_db} if log_db else {})}
    settings = Settings.from_env(environ, data_dir=data)
    state = State(settings, KeyStore(settings.keys_dir, lambda: settings.passphrase(lambda _: None)))
    now = int(time.time())
    init_operator(state, name="bench operator", operator_id="bench", not_before=now - 60, now=now)
    add_agency(state, _AGENCY, "bench agency", not_before=now - 60, now=now)
    accredit_agency(state, _AGENCY, FLOW_KIND, not_before=now - 60, not_after=None, now=now)
    state.close()
    return state


@contextlib.contextmanager
def _database(backend: Backend, dsn: str) -> Iterator[str | None]:
    """``DOJANG_LOG_DB`` for the run: None (SQLite in the data directory) or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield None
        return
    import psycopg  # noqa: PLC0415 - only this backend needs it

    schema = f"bench_oid4vci_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def _server(data: Path, url: str, port: int, workers: int, log_db: str | None) -> Iterator[int]:
    """``dojang serve`` on 127.0.0.1:``port`` until the block ends; yields its process id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOJANG_")}
    env |= {"DOJANG_PUBLIC_URL": url, **({"DOJANG_LOG_DB": log_db} if log_db else {})}
    cmd = [str(_DOJANG), "serve", "--data-dir", str(data), "--port", str(port), "--no-sequencer"]
    server = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [*cmd, "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(url, server)
        yield server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"dojang serve did not start (exit status {server.poll()})")


def _tree_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and its live descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            times[int(entry)] = int(fields[11]) + int(fields[12])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | more, bool(more)
    return sum(times.get(pid, 0) for pid in tree) / _HZ


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Loopback:
    """The wallets' HTTP for the bench: one keep-alive connection per flow over the standard library.

    It speaks what ``HttpTransport`` speaks (JSON answers, no redirects) for a quarter of httpx's CPU
    per request, so that the load generator, which shares the machine with the server, takes less of it.
    """

    def __init__(self, port: int) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def close(self) -> None:
        self._conn.close()

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        parts = urlsplit(url)
        self._conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = self._conn.getresponse()
        raw = response.read()
        return response.status, loads_strict(raw, what=f"answer of {url}") if raw else None

    def get(self, url: str) -> tuple[int, Any]:
        return self._send("GET", url, None, {"Accept": "application/json"})

    def post_form(self, url: str, form: Mapping[str, str]) -> tuple[int, Any]:
        return self._send("POST", url, urlencode(form).encode(), {"Content-Type": _FORM})

    def post_json(self, url: str, body: Any, *, bearer: str | None = None) -> tuple[int, Any]:
        headers = {
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {bearer}"} if bearer else {}),
        }
        return self._send("POST", url, json.dumps(body).encode(), headers)


@dataclass
class _Wallets:
    """Wallet threads running flows against ``url`` until told to stop; ``done`` counts finished flows."""

    state: State
    store: SqlOid4vciStore
    port: int
    done: int = 0
    error: BaseException | None = None

    def flow(self, n: int) -> None:
        made = create_offer(
            self.state, FLOW_KIND, f"C{n % _CITIZENS + 1:04d}", agency=_AGENCY, store=self.store
        )
        transport = _Loopback(self.port)  # a new connection per flow, as each wallet is another phone
        try:
            result = receive(
                made.link, made.pin, transport=transport, now=lambda: int(time.time()),
                new_key=lambda: generate_key("ES256", secrets.token_bytes),
            )  # fmt: skip
        finally:
            transport.close()
        if not isinstance(result, Received):
            raise AssertionError(f"{FLOW_KIND} was deferred; the bench needs immediate issuance")

    def run(self, threads: int, *, flows: int | None = None, seconds: float | None = None) -> None:
        """Run ``flows`` flows in all, or as many as fit in ``seconds``, over ``threads`` threads."""
        lock, counter = threading.Lock(), iter(range(sys.maxsize))
        deadline = None if seconds is None else time.monotonic() + seconds

        def wallet() -> None:
            try:
                while self.error is None:
                    with lock:
                        n = next(counter)
                    if (flows is not None and n >= flows) or (deadline and time.monotonic() >= deadline):
                        return
                    self.flow(n)
                    with lock:
                        self.done += 1
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
                self.error = exc

        pool = [threading.Thread(target=wallet, name=f"wallet-{i}") for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        if self.error is not None:
            raise self.error


def oid4vci_flow_rate(
    *, workers: int, backend: Backend = "sqlite", seconds: float = 5.0, threads: int = 8,
    dsn: str = DEFAULT_POSTGRES,
) -> dict[str, Any]:  # fmt: skip
    """One bench row: offer → token → nonce → credential flows per second with ``workers`` servers."""
    from dojang.cli._bench import _cpu_jiffies, _other_load  # noqa: PLC0415 - _bench imports this module

    with (
        tempfile.TemporaryDirectory(prefix="dojang-oid4vci-bench-") as tmp,
        _database(backend, dsn) as log_db,
    ):
        data, port = Path(tmp) / "data", _free_port()
        url = f"http://127.0.0.1:{port}"
        state = _prepare(data, url, log_db)
        store = SqlOid4vciStore(store_for(state.settings.log_db)).open()
        wallets = _Wallets(state, store, port)
        try:
            with _server(data, url, port, workers, log_db) as pid:
                # Warm-up, not timed: one flow alone opens the agency's status list, then every
                # thread's caches.
                wallets.run(1, flows=1)
                wallets.run(threads, flows=4 * threads)
                wallets.done = 0
                machine, server, client = _cpu_jiffies(), _tree_cpu(pid), _own_cpu()
                start = time.perf_counter()
                wallets.run(threads, seconds=seconds)
                elapsed = time.perf_counter() - start
                server, client = _tree_cpu(pid) - server, _own_cpu() - client
                other = _other_load(machine, _cpu_jiffies(), server + client)
        finally:
            store.close()
            state.close()
    return {
        "name": next(name for name, db in FLOW_ROWS.items() if db == backend),
        "cores": workers,
        "ops_per_s": wallets.done / elapsed,
        "ops": wallets.done,
        "seconds": round(elapsed, 3),
        "db": backend,
        "workers": workers,
        "threads": threads,
        "server_cpu_s": round(server, 2),
        "client_cpu_s": round(client, 2),
        "other_load": other,
    }


def oid4vci_rows(
    workers: Sequence[int], seconds: float, backends: Sequence[Backend], *, dsn: str = DEFAULT_POSTGRES
) -> list[dict[str, Any]]:
    """The ``oid4vci_flow`` (SQLite) and ``oid4vci_flow_pg`` rows asked for, at each server worker count."""
    return [
        oid4vci_flow_rate(workers=n, backend=backend, seconds=seconds, dsn=dsn)
        for backend in backends
        for n in workers
    ]


def flow_rows(
    names: Sequence[str], workers: Sequence[int], seconds: float, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    """``dojang bench``'s part: the flow rows among ``names`` (PostgreSQL at ``$DOJANG_BENCH_POSTGRES``)."""
    chosen = [name for name in FLOW_ROWS if name in names]
    if not chosen:
        return []
    progress(f"measuring {', '.join(chosen)}: OpenID4VCI issuances over loopback HTTP")
    dsn = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES
    return oid4vci_rows(workers, seconds, [FLOW_ROWS[name] for name in chosen], dsn=dsn)


def flow_note(row: dict[str, Any]) -> str:
    """The line under ``dojang bench``'s table that says what a flow row measured."""
    if row["name"] not in FLOW_ROWS:
        return ""
    return (
        f"{row['name']}: offer → token → nonce → credential flows/s over loopback HTTP, {row['cores']}"
        f" server worker(s) on {row['db']}, {row['threads']} wallets; CPU s: server {row['server_cpu_s']},"
        f" wallets {row['client_cpu_s']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dojang.cli._bench_oid4vci", description=__doc__)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"], help="default: sqlite")
    parser.add_argument("--workers", action="append", type=int, help="server processes (default: 1 and 2)")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per row (default 5)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent wallets (default 8)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each row this many times")
    parser.add_argument("--dsn", default=DEFAULT_POSTGRES, help=f"PostgreSQL (default {DEFAULT_POSTGRES})")
    args = parser.parse_args(argv)
    for _ in range(args.repeat):
        for backend in args.db or ["sqlite"]:
            for n in args.workers or [1, 2]:
                row = oid4vci_flow_rate(
                    workers=n, backend=backend, seconds=args.seconds, threads=args.threads, dsn=args.dsn
                )
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                print(json.dumps({"time": stamp, **row, "ops_per_s": round(row["ops_per_s"], 1)}), flush=True)


if __name__ == "__main__":
    main()
