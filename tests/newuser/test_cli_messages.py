"""What the command line says to a new user who got something wrong.

Each message names the cause and what to change, in the terms a terminal user
has (variables and options, not ``API(host=..., secure=...)``), and a mistyped
command, choice or option is answered with the likely intent.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from flowthings import Token
from flowthings._errors import FlowThingsConnectionError
from flowthings.cli import ExitCode, build_parser
from flowthings.cli._errors import describe

from .conftest import Cli


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        pytest.param(["flws"], "(did you mean 'flows'?)", id="command"),
        pytest.param(["drops", "x", "--format", "jsn"], "(did you mean 'json'?)", id="choice"),
        pytest.param(["drops", "x", "--json"], "(did you mean --format json?)", id="json-flag"),
        pytest.param(["flows", "--csv"], "(did you mean --format csv?)", id="csv-flag"),
        pytest.param(["drops", "x", "--limt", "3"], "(did you mean --limit?)", id="option"),
    ],
)
def test_a_typo_is_answered_with_the_likely_intent(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _usage_error(argv, capsys).endswith(hint)


def test_an_unrelated_word_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    assert "did you mean" not in _usage_error(["zzzzzz"], capsys)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--timeout", "0", "flows"], id="zero"),
        pytest.param(["--timeout", "-1", "flows"], id="negative"),
        pytest.param(["--timeout", "nan", "flows"], id="nan"),
        pytest.param(["--timeout", "inf", "flows"], id="inf"),
        pytest.param(["tail", "x", "--connect-timeout", "-1"], id="connect-timeout"),
    ],
)
def test_a_duration_must_be_above_zero(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # these used to reach the SDK: "ValueError: Timeout value out of range" (exit 1)
    # or a misleading "cannot reach" (exit 6)
    assert "must be a number of seconds above 0" in _usage_error(argv, capsys)


def test_an_empty_flow_reference_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "a flow path or id is needed" in _usage_error(["drops", ""], capsys)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed: nothing listens there


def test_nothing_listening_says_how_to_start_a_platform(cli: Cli) -> None:
    port = _free_port()
    cli.monkeypatch.setattr(
        Cli,
        "env",
        property(lambda self: {**_env(self), "FLOWTHINGS_HOST": f"http://127.0.0.1:{port}"}),
    )
    got = cli("flows")
    assert got.code == ExitCode.UNREACHABLE
    assert got.err.count("\n") == 1
    assert f"python -m flowthings.local serve --port {port}" in got.err
    assert "FLOWTHINGS_HOST or --host" in got.err
    assert "host=" not in got.err.replace("--host", "")  # no SDK keyword advice


def test_tls_to_a_plain_http_platform_says_insecure(cli: Cli) -> None:
    plain = cli.lp.host  # host:port of a plain-HTTP platform, without a scheme: https
    cli.monkeypatch.setattr(
        Cli, "env", property(lambda self: {**_env(self), "FLOWTHINGS_HOST": plain})
    )
    got = cli("flows")
    assert got.code == ExitCode.UNREACHABLE
    assert "speaks plain HTTP" in got.err
    assert f"pass --insecure, or give http://{plain} in FLOWTHINGS_HOST or --host" in got.err
    assert "secure=False" not in got.err
    assert cli("--insecure", "flows").code == ExitCode.OK


def test_the_default_host_is_explained() -> None:
    cause = httpx.ConnectError("[Errno -2] Name or service not known")
    error = FlowThingsConnectionError(
        errors=["ConnectError: [Errno -2] Name or service not known, requesting "
                "https://api.flowthings.io/v0.1/a/flow -- the host name 'api.flowthings.io' "
                "does not resolve: check host="],
        creds=Token("a", "t"), method="GET", path="/flow",
    )  # fmt: skip
    error.__cause__ = cause
    got = describe(error, "https://api.flowthings.io")
    assert got.code == ExitCode.UNREACHABLE
    message = str(got)
    assert "the hosted flowthings.io service is gone" in message
    assert "FLOWTHINGS_HOST or --host" in message
    assert "check host=" not in message


def test_a_missing_flow_says_where_to_look(cli: Cli) -> None:
    got = cli("put", "nosuch", "temp=1")
    assert got.code == ExitCode.NOT_FOUND
    assert f"no flow at path /{cli.creds.account}/nosuch" in got.err
    assert "`flowthings flows` lists your flows" in got.err


def test_an_unreachable_websocket_host_says_what_to_set(cli: Cli) -> None:
    cli.api.flow.create({"path": f"/{cli.creds.account}/live"})
    port = _free_port()
    got = cli("--ws-host", f"127.0.0.1:{port}", "tail", "live", "--connect-timeout", "5")
    assert got.code == ExitCode.UNREACHABLE
    assert got.err.count("\n") == 1
    assert "nothing is listening there" in got.err
    assert "FLOWTHINGS_WS_HOST or --ws-host" in got.err
    assert " -- " not in got.err  # the SDK's own hint is replaced, not repeated


def _env(cli: Cli) -> dict[str, str]:
    return {
        "FLOWTHINGS_ACCOUNT": cli.creds.account,
        "FLOWTHINGS_TOKEN": cli.creds.token,
        "FLOWTHINGS_HOST": f"http://{cli.lp.host}",
    }


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        pytest.param(["flows", "--version"], "(--version belongs to another command, or before the command)", id="version-after"),
        pytest.param(["flows", "--count", "3"], "(--count belongs to another command, or before the command)", id="tail-option"),
    ],
)  # fmt: skip
def test_an_option_in_the_wrong_place_is_not_answered_with_itself(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _usage_error(argv, capsys)
    assert line.endswith(hint)
    assert "did you mean" not in line
