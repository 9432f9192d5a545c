"""``DashArguments``: a command's arguments may start with '-'; its own options still parse as before."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from dojang.cli._context import DashArguments


@click.group("root", context_settings={"help_option_names": ["-h", "--help"]})
def _root() -> None:
    """A root group like dojang's (``-h`` is help)."""


@_root.command("take", cls=DashArguments)
@click.argument("value")
@click.option("--at", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.option("--on/--off", default=None)
def _take(value: str, at: str | None, as_json: bool, on: bool | None) -> None:
    click.echo(repr((value, at, as_json, on)))


def _run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(_root, ["take", *args])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-abc_XYZ"], ("-abc_XYZ", None, False, None)),
        (["-abc_XYZh"], ("-abc_XYZh", None, False, None)),  # 'h' is not read as -h
        (["--x"], ("--x", None, False, None)),
        (["--x=y"], ("--x=y", None, False, None)),
        (["-"], ("-", None, False, None)),
        (["--at", "-q", "-abh", "--json"], ("-abh", "-q", True, None)),
        (["-abh", "--at=2026-01-01", "--off"], ("-abh", "2026-01-01", False, False)),
        (["--json", "--", "--at"], ("--at", None, True, None)),
        (["--", "-h"], ("-h", None, False, None)),
    ],
)
def test_values_starting_with_a_dash_are_arguments(args: list[str], expected: tuple[object, ...]) -> None:
    result = _run(*args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(expected)


def test_help_is_still_help() -> None:
    for flag in ("-h", "--help"):
        result = _run(flag)
        assert result.exit_code == 0
        assert result.output.startswith("Usage: ")


def test_a_mistyped_option_is_named_as_one() -> None:
    result = _run("-abc", "--att", "2026-01-01")
    assert result.exit_code == 2
    assert "No such option '--att'. Did you mean '--at'?" in result.output


def test_too_many_arguments_and_none_at_all() -> None:
    extra = _run("-abc", "more")
    assert extra.exit_code == 2
    assert "unexpected extra argument (more)" in extra.output
    missing = _run("--json")
    assert missing.exit_code == 2
    assert "Missing argument 'VALUE'" in missing.output
