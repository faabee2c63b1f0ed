"""Connection options work after the command too: ``flowthings flows --host URL``.

The docs put them before the command, but a new user types them after it
(where ``--filter`` and ``--limit`` go); that used to fail with
"unrecognized arguments: --host ... (did you mean --host?)".
"""

from __future__ import annotations

import pytest

from flowthings.cli import ExitCode, build_parser

from .conftest import Cli


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["flows"], {"host": None, "ws_host": None, "insecure": False, "timeout": 30.0}, id="defaults"),
        pytest.param(["--host", "a", "--timeout", "5", "flows"], {"host": "a", "timeout": 5.0}, id="before"),
        pytest.param(["flows", "--host", "a", "--insecure", "--ws-host", "w"], {"host": "a", "insecure": True, "ws_host": "w"}, id="after"),
        pytest.param(["--host", "a", "--insecure", "flows", "--host", "b"], {"host": "b", "insecure": True}, id="after-overrides-before"),
        pytest.param(["--timeout", "7", "drops", "x", "--limit", "3"], {"timeout": 7.0, "limit": 3}, id="kept-when-not-repeated"),
    ],
)  # fmt: skip
def test_connection_options_before_or_after_the_command(
    argv: list[str], expected: dict[str, object]
) -> None:
    args = build_parser().parse_args(argv)
    assert {name: getattr(args, name) for name in expected} == expected


def test_a_host_after_the_command_is_used(cli: Cli) -> None:
    cli.monkeypatch.setattr(
        Cli,
        "env",
        property(lambda self: {"FLOWTHINGS_ACCOUNT": self.creds.account, "FLOWTHINGS_TOKEN": self.creds.token}),
    )  # fmt: skip
    cli.api.flow.create({"path": f"/{cli.creds.account}/after"})
    got = cli("flows", "--host", f"http://{cli.lp.host}", "--format", "jsonl")
    assert got.code == ExitCode.OK, got.err
    assert f"/{cli.creds.account}/after" in got.out


def test_command_help_lists_them_apart(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tail", "--help"])
    text = capsys.readouterr().out
    options, connection = text.split("connection options (also accepted before COMMAND):", 1)
    assert "--count" in options
    assert "--host" not in options.split("options:", 1)[1]
    assert "--host" in connection.split("examples:", 1)[0]
