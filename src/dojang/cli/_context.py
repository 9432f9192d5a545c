"""What every command shares: language, the --data-dir options, opening state, reading bounded input."""

from __future__ import annotations

import difflib
import functools
import itertools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from dojang.adapters.catalogue_files import load_catalogue
from dojang.adapters.keystore import KeyStore
from dojang.adapters.settings import Settings
from dojang.adapters.storage import SqlStatusStore, open_status_store
from dojang.cli._logsvc import LogParts, open_log
from dojang.cli._messages import Lang
from dojang.core.catalogue import Catalogue
from dojang.errors import InputError, MalformedError, TooLargeError

__all__ = [
    "MAX_INPUT_BYTES",
    "Cli",
    "DashArguments",
    "State",
    "cli_of",
    "open_state",
    "opened_state",
    "read_input",
    "state_options",
    "write_output",
]

#: The most bytes a command reads from one input file: larger inputs are refused, not truncated.
MAX_INPUT_BYTES = 1024 * 1024

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Cli:
    """The root group's choices, in ``ctx.obj``."""

    lang: Lang


def cli_of(ctx: click.Context) -> Cli:
    obj = ctx.find_object(Cli)
    return obj if obj is not None else Cli(lang="en")


def state_options(command: F) -> F:
    """``--data-dir`` and ``--passphrase-file``, for every command that touches stored state."""
    command = click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="File holding the passphrase that encrypts private keys "
        "(default: $DOJANG_KEY_PASSPHRASE, else the data directory's keys/kek).",
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data directory (default: $DOJANG_DATA_DIR or ~/.local/share/dojang).",
    )(command)


@dataclass(frozen=True)
class State:
    """One data directory opened for a command."""

    settings: Settings
    keys: KeyStore

    @functools.cached_property
    def catalogue(self) -> Catalogue:
        return load_catalogue(self.settings.catalogue_dirs)

    @functools.cached_property
    def log(self) -> LogParts:
        """The log service (opened on first use) and its chain."""
        return open_log(self.settings, self.keys)

    @functools.cached_property
    def status_store(self) -> SqlStatusStore:
        """The status lists, in the log's database (opened on first use)."""
        return open_status_store(self.settings.log_db)

    def close(self) -> None:
        """Release the log's store and chain, and the status store, if they were opened."""
        status = self.__dict__.pop("status_store", None)
        if status is not None:
            status.close()
        parts = self.__dict__.pop("log", None)
        if parts is not None:
            parts[0].store.close()
            parts[1].close()


def _notice(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def open_state(
    data_dir: Path | None, passphrase_file: Path | None, *, environ: Mapping[str, str] | None = None
) -> State:
    """The data directory's state, with settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    settings = Settings.from_env(env, data_dir=data_dir, passphrase_file=passphrase_file)
    keys = KeyStore(settings.keys_dir, lambda: settings.passphrase(_notice))
    return State(settings, keys)


@contextmanager
def opened_state(
    data_dir: Path | None, passphrase_file: Path | None, *, environ: Mapping[str, str] | None = None
) -> Iterator[State]:
    """:func:`open_state` for a ``with`` block: what the block opened (log, chain, status store) is
    closed when it ends, however it ends."""
    state = open_state(data_dir, passphrase_file, environ=environ)
    try:
        yield state
    finally:
        state.close()


class DashArguments(click.Command):
    """A command whose arguments may start with '-': base64url digests, fingerprints and ids do.

    click reads every word starting with '-' as an option, and its ``ignore_unknown_options`` would
    split ``-abhc`` into one-letter options (``-h`` prints the help). Here a word is an option only
    when it is one of this command's own option names (``--name=value`` included), and the words
    after it that the option takes are its value; every other word is an argument, as if written
    after '--'. When that leaves more words than the command has arguments for, an unknown '--' word
    among them is reported as the mistyped option it probably is (``--reasn``), not as an argument.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        arity = self._option_arity(ctx)
        options: list[str] = []
        values: list[str] = []
        words = iter(args)
        for word in words:
            if word == "--":
                return self._parse(ctx, options, values, list(words), arity)
            name = word.split("=", 1)[0] if word.startswith("--") else word
            if name not in arity:
                values.append(word)
                continue
            options.append(word)
            if name == word:
                options.extend(itertools.islice(words, arity[name]))
        return self._parse(ctx, options, values, [], arity)

    def _parse(
        self,
        ctx: click.Context,
        options: list[str],
        values: list[str],
        after: list[str],
        arity: dict[str, int],
    ) -> list[str]:
        room = [p.nargs for p in self.get_params(ctx) if isinstance(p, click.Argument)]
        if all(n >= 0 for n in room) and len(values) + len(after) > sum(room) and not ctx.resilient_parsing:
            names = sorted(name for name in arity if name.startswith("--"))
            typed = [v.split("=", 1)[0] for v in values if v.startswith("--")]
            if typed:
                close = {t: difflib.get_close_matches(t, names) for t in typed}
                guess = next((t for t in typed if close[t]), typed[0])
                raise click.NoSuchOption(guess, possibilities=close[guess], ctx=ctx)
        return super().parse_args(ctx, [*options, "--", *values, *after])

    def _option_arity(self, ctx: click.Context) -> dict[str, int]:
        """Each option name of this command: how many words after it are its value."""
        arity: dict[str, int] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                takes = 0 if param.is_flag or param.count else param.nargs
                arity.update(dict.fromkeys((*param.opts, *param.secondary_opts), takes))
        return arity


def read_input(name: str, *, what: str = "input") -> str:
    """Read a file (``-`` for stdin) of at most MAX_INPUT_BYTES as ASCII-compatible UTF-8 text."""
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{what} {name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {name}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{what} {name}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise TooLargeError(f"{what} {name} is too large (over {MAX_INPUT_BYTES} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedError(f"{what} {name} is not text (not UTF-8)") from None


def write_output(path: Path, text: str) -> None:
    """Write a result file the user asked for (plain write: it is theirs, not the store's)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
