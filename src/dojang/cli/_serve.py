"""``dojang serve``: the HTTP services (the log as C2SP tlog-tiles, status lists, OpenAPI) under uvicorn.

uvicorn runs with uvloop and httptools: with the default asyncio loop each request stalled 44 ms
(DESIGN.md §7). One worker serves the app built here; more workers run uvicorn's factory mode, each
process calling ``dojang.api:app_from_env`` with the data directory passed in ``$DOJANG_DATA_DIR``.
uvicorn handles SIGTERM and SIGINT: it stops accepting, finishes open requests, then the store closes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from dojang.adapters.anchor import InProcessChain
from dojang.adapters.settings import DATA_DIR_ENV, Settings
from dojang.adapters.storage import ScanningLogStore, open_store
from dojang.api import (
    LOG_DB_ENV,
    LOG_ORIGIN_ENV,
    IssuerDirectory,
    Oid4vciService,
    PlatformApis,
    StatusService,
    create_app,
    log_location,
    platform_apis,
    status_service,
)
from dojang.cli._context import State, open_state
from dojang.cli._logsvc import publish_log_trust
from dojang.cli._offer import oid4vci_service
from dojang.errors import ConfigError, DojangError

__all__ = ["serve"]

_FACTORY = "dojang.cli._offer:worker_app"


def _listen(host: str, port: int) -> socket.socket:
    """Bind now, so that a taken port or an unknown host is a clear error (exit 2), not a log line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="choose another --port or stop the other server",
        ) from None
    return sock


@click.command("serve")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: $DOJANG_DATA_DIR or ~/.local/share/dojang).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (only this one).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes (uvicorn)."
)
@click.option(
    "--sequencer/--no-sequencer",
    default=True,
    show_default=True,
    help="Also run the log's single sequencer here: integrate new entries every second, sign a "
    "checkpoint at most once per $DOJANG_ANCHOR_INTERVAL seconds and anchor it.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding the passphrase of the log key (default: $DOJANG_KEY_PASSPHRASE or DATA/keys/kek).",
)
def serve(
    *,
    data_dir: Path | None,
    host: str,
    port: int,
    workers: int,
    sequencer: bool,
    passphrase_file: Path | None,
) -> None:
    """Serve the transparency log (C2SP tlog-tiles) and the OpenAPI schema over HTTP until stopped.

    The log store is DATA/log.db (SQLite, created on first use), or $DOJANG_LOG_DB (e.g. a
    postgresql:// URL). Unless --no-sequencer, this process is also the log's one sequencer, so
    that every issuance recorded in the store is integrated and anchored within an interval.
    Stop with Ctrl-C or SIGTERM.
    """
    settings = Settings.from_env(os.environ, data_dir=data_dir)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {settings.data_dir}: {exc.strerror}") from None
    # Opening creates and migrates the store, so a fresh data directory is ready before we listen.
    location = log_location(os.environ, settings.data_dir)
    store = open_store(location)
    try:
        sock = _listen(host, port)
    except BaseException:
        store.close()
        raise
    shown = location if isinstance(location, Path) else f"${LOG_DB_ENV}"
    click.echo(f"dojang serve: http://{host}:{sock.getsockname()[1]} (log store: {shown})", err=True)
    running = Sequencer(open_state(data_dir, passphrase_file)) if sequencer else None
    with contextlib.closing(sock), _stopped_by_signals(), running or contextlib.nullcontext():
        if workers == 1:
            status = status_service(settings, open_state(data_dir, passphrase_file).keys)
            oid4vci = oid4vci_service(open_state(data_dir, passphrase_file))
            apis = open_state(data_dir, passphrase_file)
            platform = platform_apis(apis.settings, apis.keys)  # agency and operator APIs, bulk worker
            _run_one(store, sock, status, IssuerDirectory(settings.data_dir), oid4vci, platform=platform)
            return
        store.close()
        # Each worker process opens the store itself and finds the data directory here; they share
        # the socket bound above, so the port is the one just printed. The socket object itself goes
        # to the workers: uvicorn's fd= re-wraps a descriptor as AF_UNIX, and uvloop then leaves
        # TCP_NODELAY off, which stalled every response ~40 ms (Nagle against delayed ACKs).
        os.environ[DATA_DIR_ENV] = str(settings.data_dir.resolve())
        config = uvicorn.Config(
            _FACTORY, workers=workers, factory=True, loop="uvloop", http="httptools", lifespan="on",
            server_header=False,
        )  # fmt: skip
        Multiprocess(config, sockets=[sock]).run()


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Make SIGTERM and SIGINT end the command with exit 0 once uvicorn has shut down gracefully.

    uvicorn catches both while it runs and, after a graceful shutdown, raises the signal again under
    the handler found before it started; by default that kills the process (SIGTERM) or raises
    KeyboardInterrupt (SIGINT). The stop was asked for and has been done, so these do nothing.
    """
    previous = {sig: signal.signal(sig, _stop_done) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_done(_sig: int, _frame: FrameType | None) -> None:
    return None


def _run_one(
    store: ScanningLogStore,
    sock: socket.socket,
    status: StatusService,
    issuers: IssuerDirectory,
    oid4vci: Oid4vciService,
    *,
    platform: PlatformApis,
) -> None:
    """One process: the app built here around the open stores, which close when the server stops."""

    def close() -> None:
        status.close()
        store.close()

    origin = os.environ.get(LOG_ORIGIN_ENV) or None
    app = create_app(
        store,
        origin=origin,
        on_shutdown=close,
        status=status,
        issuers=issuers,
        oid4vci=oid4vci,
        platform=platform,
    )
    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="on", server_header=False)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise ConfigError("the server did not start (see the messages above)")


class Sequencer(threading.Thread):
    """The operator's loop in a background thread: one sequencer per log, errors reported, never fatal.

    An unreachable chain node only delays anchoring (the outbox keeps the work); integration and
    checkpoints go on.
    """

    def __init__(self, state: State, period: float = 1.0) -> None:
        super().__init__(name="dojang-sequencer", daemon=True)
        self.state, self.period, self._stop_asked = state, period, threading.Event()

    def __enter__(self) -> Sequencer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop_asked.set()
        self.join(timeout=30)
        self.state.close()

    def run(self) -> None:
        while not self._stop_asked.wait(self.period):
            try:
                self.turn()
            except DojangError as exc:
                click.echo(f"dojang serve: sequencer: {exc.message}", err=True)

    def turn(self) -> None:
        service, chain = self.state.log
        depth = self.state.settings.log.confirmations
        service.integrate()
        if service.maybe_checkpoint() is not None:
            publish_log_trust(self.state.settings, service.signer.verifier, self.state.settings.trust_dir)
        submitted, _ = service.anchor_pending(depth)
        if isinstance(chain, InProcessChain) and submitted:
            # The embedded chain has one block producer (us) and never reorganises: we make its depth.
            chain.advance(depth)
            service.anchor_pending(depth)


if __name__ == "__main__":
    serve(prog_name="dojang serve")
