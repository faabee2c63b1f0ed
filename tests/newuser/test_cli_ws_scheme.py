"""``--ws-host`` with a scheme: the scheme counts (it used to be dropped, so
``wss://`` vs ``ws://`` silently followed the REST host), and hosts whose
schemes disagree are a usage error naming both."""

from __future__ import annotations

import argparse

import pytest

from flowthings.cli import ExitCode, build_parser
from flowthings.cli._app import _connect
from flowthings.cli._errors import CliError

ENV = {"FLOWTHINGS_ACCOUNT": "acct", "FLOWTHINGS_TOKEN": "t" * 32}


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args([*argv, "flows"])


@pytest.mark.parametrize(
    ("argv", "env", "rest", "ws"),
    [
        pytest.param(["--ws-host", "wss://w.example:9"], {}, "https://api.flowthings.io", "wss://w.example:9", id="wss"),
        pytest.param(["--ws-host", "ws://w:9"], {}, "http://api.flowthings.io", "ws://w:9", id="ws-sets-plain"),
        pytest.param(["--host", "http://h:8", "--ws-host", "ws://w:9"], {}, "http://h:8", "ws://w:9", id="both-plain"),
        pytest.param(["--host", "https://h", "--ws-host", "w:9"], {}, "https://h", "wss://w:9", id="host-decides"),
        pytest.param(["--host", "h:8"], {"FLOWTHINGS_WS_HOST": "ws://w"}, "http://h:8", "ws://w", id="env"),
        pytest.param(["--insecure", "--ws-host", "w"], {}, "http://api.flowthings.io", "ws://w", id="insecure"),
    ],
)  # fmt: skip
def test_the_websocket_scheme_counts(
    argv: list[str], env: dict[str, str], rest: str, ws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    args = _args(*argv)
    api, shown = _connect(args, {**ENV, **env})
    try:
        assert shown == rest
        assert args.ws_shown == ws
    finally:
        api.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["--host", "http://h", "--ws-host", "wss://w"],
        ["--host", "https://h", "--ws-host", "ws://w"],
        ["--insecure", "--ws-host", "wss://w"],
    ],
)
def test_disagreeing_schemes_are_a_usage_error(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CliError) as info:
        _connect(_args(*argv), dict(ENV))
    assert info.value.code == ExitCode.USAGE
    assert "disagree on TLS" in str(info.value)
