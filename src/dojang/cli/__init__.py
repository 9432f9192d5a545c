"""Command line: ``dojang …``, the composition root of the edges. Exit 0 valid, 1 not valid, 2 bad input.

Every :class:`~dojang.errors.DojangError` is caught here and printed with its hint (exit code from the
error class); click's usage errors exit 2; anything unexpected exits 2 with a one-line message, and
a traceback only when ``DOJANG_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

import dojang.cli._agency  # noqa: F401 - importing it adds the agency API's commands to their groups
from dojang.cli._bench import bench
from dojang.cli._catalogue import catalogue
from dojang.cli._context import Cli
from dojang.cli._demo import demo
from dojang.cli._issue import issue, present
from dojang.cli._keys import keys
from dojang.cli._log import anchor, log
from dojang.cli._messages import Lang, detect_lang, text
from dojang.cli._offer import agency
from dojang.cli._operator import operator
from dojang.cli._serve import serve
from dojang.cli._status import status
from dojang.cli._verify import verify
from dojang.cli._wallet import wallet
from dojang.errors import DojangError

__all__ = ["cli", "main"]

#: Exit code for everything that is not a verdict: unreadable input, bad usage, unusable setup.
_EXIT_USAGE = 2
_EXIT_INTERRUPTED = 130


class _Root(click.Group):
    """The root group: turns every failure into a message and an exit code, never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._run(args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None, extra: Any
    ) -> int:
        lang = _lang_of(args)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            return _EXIT_USAGE  # click's own default for a plain ClickException is 1, which means "not valid"
        except click.Abort:
            click.echo("Aborted.", err=True)
            return _EXIT_INTERRUPTED
        except DojangError as exc:
            click.echo(f"{text('error', lang)}: {exc.diagnostics()}", err=True)
            return exc.exit_code
        except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, not a traceback
            if os.environ.get("DOJANG_DEBUG") == "1":
                traceback.print_exc()
            click.echo(f"{text('error', lang)}: {type(exc).__name__}: {exc}", err=True)
            click.echo(text("unexpected", lang), err=True)
            return _EXIT_USAGE
        return rv if isinstance(rv, int) else 0


def _lang_of(args: Sequence[str] | None) -> Lang:
    """The language for error messages, found before click parses (parsing itself may fail)."""
    argv = list(sys.argv[1:] if args is None else args)
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return "ko" if arg.removeprefix("--lang=") == "ko" else "en"
        if arg == "--lang" and index + 1 < len(argv):
            return "ko" if argv[index + 1] == "ko" else "en"
    return detect_lang(os.environ)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(["ko", "en"]),
    default=None,
    help="Language of human output (default: from LC_ALL / LC_MESSAGES / LANG).",
)
@click.version_option(package_name="dojang")
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """dojang (도장): issue, hold, share and verify electronic certificates (SD-JWT VC)."""
    chosen: Lang = "ko" if lang == "ko" else "en" if lang == "en" else detect_lang(os.environ)
    ctx.obj = Cli(lang=chosen)


cli.add_command(keys)
cli.add_command(catalogue)
cli.add_command(issue)
cli.add_command(present)
cli.add_command(verify)
cli.add_command(demo)
cli.add_command(bench)
cli.add_command(log)
cli.add_command(anchor)
cli.add_command(serve)
cli.add_command(status)
cli.add_command(operator)
cli.add_command(agency)  # OpenID4VCI offers; the agency API's commands join this group
cli.add_command(wallet)


def main() -> None:
    """The ``dojang`` console script."""
    cli.main(prog_name="dojang")
