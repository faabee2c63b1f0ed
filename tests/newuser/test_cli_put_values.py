"""``flowthings put`` values and files a new user gets wrong, answered as usage errors.

Python's ``json`` reads ``NaN``/``Infinity`` and turns ``1e999`` into ``inf``,
which the platform then refused as "not valid JSON"; a key given twice
silently kept only the last value; an unwritable ``-o`` file ended in a
``FileNotFoundError``/``IsADirectoryError`` with exit code 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flowthings.cli import ExitCode
from flowthings.cli._commands import parse_elems
from flowthings.cli._errors import CliError

from .conftest import Cli


@pytest.mark.parametrize(
    ("pairs", "elems"),
    [
        pytest.param(["n=NaN"], {"n": "NaN"}, id="nan-is-text"),
        pytest.param(["x=-Infinity", "y=Infinity"], {"x": "-Infinity", "y": "Infinity"}, id="infinity-is-text"),
        pytest.param(["t=1e300"], {"t": 1e300}, id="large-finite-number"),
        pytest.param(["a.b=1", "a.c=2"], {"a": {"b": 1, "c": 2}}, id="siblings"),
    ],
)  # fmt: skip
def test_values(pairs: list[str], elems: dict[str, Any]) -> None:
    assert parse_elems(pairs) == elems


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        pytest.param(["t=1e999"], "1e999 is too large for a number", id="overflow"),
        pytest.param(["t=[1, 1e999]"], "1e999 is too large for a number", id="overflow-in-list"),
        pytest.param(["a=1", "a=2"], "'a' is given twice", id="twice"),
        pytest.param(["a.b=1", "a=2"], "'a' is given twice", id="value-over-object"),
        pytest.param(["a=1", "a.b=2"], "'a' is already a value", id="object-over-value"),
        pytest.param([".a=1"], "an empty name between dots", id="leading-dot"),
        pytest.param(["a..b=1"], "an empty name between dots", id="double-dot"),
    ],
)
def test_mistakes_are_usage_errors(pairs: list[str], message: str) -> None:
    with pytest.raises(CliError) as error:
        parse_elems(pairs)
    assert error.value.code == ExitCode.USAGE
    assert message in str(error.value)


@pytest.fixture
def flow(cli: Cli) -> dict[str, Any]:
    created: dict[str, Any] = cli.api.flow.create({"path": f"/{cli.creds.account}/out"})
    return created


@pytest.mark.parametrize("where", ["missing-dir/x.jsonl", "."], ids=["no-directory", "a-directory"])
def test_an_unwritable_output_file_is_a_usage_error(
    cli: Cli, flow: dict[str, Any], tmp_path: Path, where: str
) -> None:
    got = cli("export", "out", "-o", str(tmp_path / where))
    assert got.code == ExitCode.USAGE
    assert got.err.startswith(f"flowthings: error: cannot write {tmp_path / where}: ")
    assert "Error:" not in got.err  # no exception class name


def test_a_nan_value_is_written_as_text(cli: Cli, flow: dict[str, Any]) -> None:
    got = cli("put", "out", "n=NaN")
    assert got.code == ExitCode.OK, got.err
    (drop,) = cli.api.drop(flow["id"]).find(hints=0)
    assert drop["elems"] == {"n": "NaN"}
