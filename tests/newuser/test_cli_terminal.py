"""Text from the platform cannot drive the terminal of whoever runs ``flowthings``.

Flow descriptions and drop values are written by the flow's owner, and by
anyone the flow is shared with; printed raw, an ESC sequence in them could
clear the screen, set the window title, write the clipboard (OSC 52) or hide
text, and a bidirectional override could reorder what the reader sees. The
human formats (table, text, error lines) show such characters escaped; the
machine formats (jsonl, json, csv) keep the exact values.
"""

from __future__ import annotations

import json

import pytest

from flowthings.cli import ExitCode
from flowthings.cli._output import printable

from .conftest import Cli

HOSTILE = "ok\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\rfake\x08\u009b31m\u202eevil"
RAW = ("\x1b", "\x07", "\r", "\x08", "\u009b", "\u202e")


def _clean(text: str) -> None:
    for char in RAW:
        assert char not in text, repr(char)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("\x1b[31m", "\\x1b[31m", id="esc"),
        pytest.param("a\u009bb", "a\\x9bb", id="c1-csi"),
        pytest.param("x\u202ey", "x\\u202ey", id="bidi-override"),
        pytest.param("\x7f", "\\x7f", id="del"),
        pytest.param("café 😀 /alice/x", "café 😀 /alice/x", id="ordinary-text-unchanged"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_a_hostile_description_is_escaped_in_the_flows_table(cli: Cli) -> None:
    cli.api.flow.create({"path": f"/{cli.creds.account}/evil", "description": HOSTILE})
    table = cli("flows")
    assert table.code == ExitCode.OK
    _clean(table.out)
    assert "ok\\x1b[2J" in table.out
    # the machine format keeps the value exactly
    (row,) = [json.loads(line) for line in cli("flows", "--format", "jsonl").out.splitlines()]
    assert row["description"] == HOSTILE


def test_hostile_drop_values_are_escaped_in_drops_and_tail(cli: Cli) -> None:
    flow = cli.api.flow.create({"path": f"/{cli.creds.account}/evil"})
    cli.api.drop(flow["id"]).create({"elems": {"note": HOSTILE}})
    table = cli("drops", "evil")
    assert table.code == ExitCode.OK
    _clean(table.out)
    proc = cli.popen("tail", "evil", "--count", "1")
    try:
        assert proc.stderr is not None
        assert "tailing" in proc.stderr.readline()
        cli.api.drop(flow["id"]).create({"elems": {"note": HOSTILE}})
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.OK, err
    assert "note" in out
    _clean(out)


def test_error_lines_are_escaped(cli: Cli) -> None:
    got = cli("drops", "nosuch\x1b]0;pwned\x07")
    assert got.code == ExitCode.NOT_FOUND
    _clean(got.err)
    assert "nosuch\\x1b]0;pwned\\x07" in got.err
