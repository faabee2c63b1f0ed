"""Each ``flowthings`` command, its formats and its one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from flowthings.cli import ExitCode, build_parser, main
from flowthings.cli._commands import parse_elems

from ..large_data.conftest import bulk_fill
from .conftest import Cli


@pytest.fixture
def sensors(cli: Cli) -> dict[str, Any]:
    flow: dict[str, Any] = cli.api.flow.create(
        {"path": f"/{cli.creds.account}/sensors", "description": "room sensors"}
    )
    result = cli.api.drop(flow["id"]).create_many(
        [{"elems": {"temp": 20 + i, "room": "hall"}} for i in range(5)], concurrency=1
    )
    assert result.ok
    return flow


def test_flows_table_and_jsonl(cli: Cli, sensors: dict[str, Any]) -> None:
    table = cli("flows")
    assert table.code == ExitCode.OK
    assert table.out.splitlines()[0].split() == ["id", "path", "capacity", "description"]
    assert f"/{cli.creds.account}/sensors" in table.out
    assert "room sensors" in table.out
    lines = cli("flows", "--format", "jsonl").out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [sensors["id"]]


def test_drops_newest_first_with_limit_and_filter(cli: Cli, sensors: dict[str, Any]) -> None:
    got = cli("drops", "sensors", "--limit", "2", "--format", "json")
    assert got.code == ExitCode.OK
    assert [d["elems"]["temp"] for d in json.loads(got.out)] == [24, 23]  # plain elements
    filtered = cli("drops", sensors["id"], "--filter", "elems.temp < 22", "--format", "jsonl")
    assert sorted(json.loads(line)["elems"]["temp"] for line in filtered.out.splitlines()) == [
        20,
        21,
    ]
    table = cli("drops", f"/{cli.creds.account}/sensors", "-n", "1").out.splitlines()
    assert table[0].split() == ["id", "creationDate", "elems"]
    assert table[1].endswith('{"temp":24,"room":"hall"}')


def test_drops_csv_has_a_column_per_element(cli: Cli, sensors: dict[str, Any]) -> None:
    got = cli("drops", "sensors", "--format", "csv", "--order", "asc")
    rows = list(csv.DictReader(io.StringIO(got.out)))
    assert list(rows[0]) == ["id", "creationDate", "elems.room", "elems.temp", "_extra"]
    assert [int(r["elems.temp"]) for r in rows] == [20, 21, 22, 23, 24]


def test_put_writes_one_drop(cli: Cli, sensors: dict[str, Any]) -> None:
    got = cli(
        "put",
        "sensors",
        "temp=21.5",
        "room=attic",
        "ok=true",
        'tags=["a"]',
        "pos.floor=2",
        "--format",
        "json",
    )
    assert got.code == ExitCode.OK
    drop = json.loads(got.out)
    assert drop["elems"] == {
        "temp": 21.5,
        "room": "attic",
        "ok": True,
        "tags": ["a"],
        "pos": {"floor": 2},
    }
    assert cli.api.drop(sensors["id"]).read(drop["id"], hints=0)["elems"] == drop["elems"]
    text = cli("put", "sensors", "n=1")
    assert text.out.startswith("created d")
    assert text.out.rstrip().endswith("/sensors")


@pytest.mark.parametrize(
    ("pairs", "elems"),
    [
        pytest.param(["a=1"], {"a": 1}, id="number"),
        pytest.param(["a=hello"], {"a": "hello"}, id="text"),
        pytest.param(['a="21"'], {"a": "21"}, id="quoted-number-stays-text"),
        pytest.param(["a=null"], {"a": None}, id="null"),
        pytest.param(["a=x=y"], {"a": "x=y"}, id="equals-in-value"),
        pytest.param(["a.b=1", "a.c=2"], {"a": {"b": 1, "c": 2}}, id="nested"),
    ],
)
def test_put_values(pairs: list[str], elems: dict[str, Any]) -> None:
    assert parse_elems(pairs) == elems


def test_export_jsonl_and_csv_to_files(cli: Cli, sensors: dict[str, Any], tmp_path: Path) -> None:
    jsonl = tmp_path / "out.jsonl"
    got = cli("export", "sensors", "-o", str(jsonl), "--page-size", "2")
    assert got.code == ExitCode.OK
    assert got.out == ""
    assert got.err == ""  # not a terminal: no progress line
    temps = [json.loads(line)["elems"]["temp"] for line in jsonl.read_text().splitlines()]
    assert temps == [20, 21, 22, 23, 24]  # oldest first
    table = tmp_path / "out.csv"
    assert cli("export", "sensors", "--format", "csv", "-o", str(table)).code == ExitCode.OK
    assert len(list(csv.DictReader(io.StringIO(table.read_text())))) == 5


@pytest.mark.parametrize(
    ("argv", "env", "code", "message"),
    [
        pytest.param(["drops", "nosuch"], {}, ExitCode.NOT_FOUND, "no flow at path /", id="unknown-path"),
        pytest.param(["drops", "f" + "0" * 24], {}, ExitCode.NOT_FOUND, "no flow with id", id="unknown-id"),
        pytest.param(["drops", "sensors", "--filter", "elems.temp >> 3"], {}, ExitCode.BAD_REQUEST, "Invalid filter", id="bad-filter"),
        pytest.param(["flows"], {"FLOWTHINGS_TOKEN": "wrong"}, ExitCode.CREDENTIALS, "rejected the credentials", id="bad-token"),
        pytest.param(["flows"], {"FLOWTHINGS_TOKEN": ""}, ExitCode.CREDENTIALS, "set FLOWTHINGS_ACCOUNT and FLOWTHINGS_TOKEN", id="no-token"),
        pytest.param(["flows"], {"FLOWTHINGS_HOST": "http://127.0.0.1:1"}, ExitCode.UNREACHABLE, "cannot reach http://127.0.0.1:1", id="unreachable"),
        pytest.param(["put", "sensors", "novalue"], {}, ExitCode.USAGE, "expected key=value", id="bad-pair"),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_their_exit_code(
    cli: Cli, sensors: dict[str, Any], argv: list[str], env: dict[str, str], code: int, message: str
) -> None:
    original = Cli.env.fget(cli)  # type: ignore[attr-defined]
    cli.monkeypatch.setattr(Cli, "env", property(lambda self: {**original, **env}))
    got = cli(*argv)
    assert got.code == code
    assert got.err.count("\n") == 1
    assert got.err.startswith("flowthings: error: ")
    assert message in got.err
    assert "Traceback" not in got.err


@pytest.mark.parametrize("command", ["flows", "drops", "export", "tail", "put"])
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert "exit codes:" in text
    assert f"flowthings {command}" in text


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["drops", "x", "--limit", "-1"], id="negative-limit"),
        pytest.param(["export", "x", "--page-size", "5000"], id="page-size"),
        pytest.param(["drops", "x", "--format", "xml"], id="format"),
        pytest.param([], id="no-command"),
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_a_closed_pipe_ends_an_export_quietly(cli: Cli) -> None:
    flow = cli.api.flow.create({"path": f"/{cli.creds.account}/piped"})
    # ~1.5 MB of output: far more than a pipe buffers, so the writer meets the closed pipe
    bulk_fill(cli.lp, cli.api, flow["id"], ({"i": i, "pad": "x" * 250} for i in range(5000)))
    proc = cli.popen("export", "piped")
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith('{"id":')
    proc.stdout.close()  # the reader leaves, as `| head -1` does
    _, err = proc.communicate(timeout=120)
    assert err == ""
    assert proc.returncode == ExitCode.OK


def test_the_console_script_is_declared() -> None:
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    # (no tomllib on Python 3.10)
    section = text.split("[project.scripts]\n", 1)[1].split("\n[", 1)[0]
    assert section.strip() == 'flowthings = "flowthings.cli:main"'
    assert callable(main)
