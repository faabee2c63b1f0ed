"""The ``flowthings`` command line against the session's local platform."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowthings import API, Token
from flowthings.cli import main
from flowthings.local.testing import LocalPlatform

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    """Runs ``flowthings`` in-process (or as a subprocess) with one account's environment."""

    lp: LocalPlatform
    creds: Token
    api: API
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    @property
    def env(self) -> dict[str, str]:
        return {
            "FLOWTHINGS_ACCOUNT": self.creds.account,
            "FLOWTHINGS_TOKEN": self.creds.token,
            "FLOWTHINGS_HOST": f"http://{self.lp.host}",
        }

    def __call__(self, *argv: str) -> Result:
        for name, value in self.env.items():
            self.monkeypatch.setenv(name, value)
        self.capsys.readouterr()
        out = io.StringIO()
        code = main(list(argv), stdout=out)
        return Result(code, out.getvalue(), self.capsys.readouterr().err)

    def popen(self, *argv: str, code: str | None = None) -> subprocess.Popen[str]:
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        command = ["-c", code, *argv] if code else ["-m", "flowthings.cli", *argv]
        return subprocess.Popen(
            [sys.executable, *command], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


@pytest.fixture
def cli(
    flowthings_platform: LocalPlatform,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    for name in ("FLOWTHINGS_WS_HOST", "FLOWTHINGS_SECURE"):
        monkeypatch.delenv(name, raising=False)
    creds = flowthings_platform.new_account()
    with flowthings_platform.api_for(creds) as api:
        yield Cli(flowthings_platform, creds, api, monkeypatch, capsys)
