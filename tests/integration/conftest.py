"""Runs ``dojang`` two ways: the installed console script in a subprocess, and click's runner in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from dojang.cli import cli

DOJANG = Path(sys.executable).with_name("dojang")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any dojang setting or locale leaking in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOJANG_", "LC_")) and k != "LANG"}
    env["LANG"] = "C.UTF-8"
    return {**env, **extra}


def run_process(args: Sequence[str], *, stdin: bytes | None = None, **env: str) -> Run:
    done = subprocess.run(
        [str(DOJANG), *args], input=stdin, capture_output=True, env=clean_env(**env), check=False, timeout=120
    )
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


Invoke = Callable[..., Run]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke(*args, input=None, **env)``: the CLI in-process, quick enough for many calls."""
    for name in list(os.environ):
        if name.startswith(("DOJANG_", "LC_")) or name == "LANG":
            monkeypatch.delenv(name)

    def run(*args: str, input: str | bytes | None = None, **env: str) -> Run:  # noqa: A002 - click's name
        result = CliRunner().invoke(cli, list(args), input=input, env=env or None, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def process() -> Invoke:
    """``process(*args, stdin=None, **env)``: the installed ``dojang`` console script in a subprocess."""

    def run(*args: str, stdin: bytes | None = None, **env: str) -> Run:
        return run_process(args, stdin=stdin, **env)

    return run


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real ``dojang demo`` run, shared by the tests that check its artefacts."""
    out = tmp_path_factory.mktemp("demo") / "out"
    result = run_process(["demo", "--out", str(out)])
    assert result.code == 0, result.stdout + result.stderr
    return out
