"""``tail`` over the WebSocket, progress on terminals, and a 50,000-drop export."""

from __future__ import annotations

import argparse
import io
import json
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flowthings.cli import ExitCode
from flowthings.cli._commands import _Tail
from flowthings.cli._output import Progress
from flowthings.local.testing import local_platform

from ..large_data.conftest import bulk_fill
from .conftest import Cli


@pytest.fixture
def flow(cli: Cli) -> dict[str, Any]:
    created: dict[str, Any] = cli.api.flow.create({"path": f"/{cli.creds.account}/live"})
    return created


def _started(proc: subprocess.Popen[str]) -> None:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "tailing" in line, line + proc.stderr.read()


def test_tail_prints_each_matching_drop_once(cli: Cli, flow: dict[str, Any]) -> None:
    proc = cli.popen(
        "tail", "live", "--count", "2", "--filter", "elems.temp > 100", "--format", "jsonl"
    )
    try:
        _started(proc)
        drops = cli.api.drop(flow["id"])
        for temp in (5, 150, 7, 200):
            drops.create({"elems": {"temp": temp}})
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.OK, err
    assert [json.loads(line)["elems"]["temp"] for line in out.splitlines()] == [150, 200]


def test_ctrl_c_ends_a_tail_cleanly(cli: Cli, flow: dict[str, Any]) -> None:
    proc = cli.popen("tail", "live")
    try:
        _started(proc)
        cli.api.drop(flow["id"]).create({"elems": {"temp": 1}})
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.OK, err
    assert "Traceback" not in err


def test_after_a_reconnection_tail_prints_what_it_missed_once(
    cli: Cli, flow: dict[str, Any]
) -> None:
    out = io.StringIO()
    args = argparse.Namespace(filter=None, format="jsonl", count=0)
    tail = _Tail(args, cli.api, flow, out)
    drops = cli.api.drop(flow["id"])
    first = drops.create({"elems": {"n": 0}})
    tail.show(first)  # pushed before the connection dropped
    for n in (1, 2, 3):  # written while it was down
        drops.create({"elems": {"n": n}})
    tail.catch_up()
    tail.catch_up()  # a second reconnection prints nothing twice
    assert [json.loads(line)["elems"]["n"] for line in out.getvalue().splitlines()] == [0, 1, 2, 3]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_count_rate_and_eta_on_a_terminal_only() -> None:
    terminal = _Terminal()
    progress = Progress("drops", total=200, stream=terminal)
    list(progress.track(range(50)))
    line = progress.line()
    assert line.startswith("50 / 200 drops (25%)")
    assert "/s" in line
    assert "ETA" in line
    progress.close()
    assert terminal.getvalue().endswith("\n")
    assert "50 / 200 drops" in terminal.getvalue()
    pipe = io.StringIO()
    quiet = Progress("drops", total=200, stream=pipe)
    list(quiet.track(range(50)))
    quiet.close()
    assert pipe.getvalue() == ""


# The peak RSS of this process image: VmHWM (ru_maxrss would include the
# forking pytest process's own peak, which Linux carries over into the child).
_MEASURED = """\
import re, sys
from flowthings.cli import main
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
print("MAXRSS", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
sys.exit(code)
"""


def _export_rss_kb(cli: Cli, path: str, target: Path) -> int:
    proc = cli.popen("export", path, "-o", str(target), code=_MEASURED)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == ExitCode.OK, err
    return int(err.split("MAXRSS")[1].split()[0])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
@pytest.mark.timeout(300)
def test_a_50000_drop_export_is_complete_with_bounded_memory(
    cli: Cli, flow: dict[str, Any], tmp_path: Path
) -> None:
    small = cli.api.flow.create({"path": f"/{cli.creds.account}/small"})
    bulk_fill(cli.lp, cli.api, small["id"], ({"i": i} for i in range(10)))
    big = cli.api.flow.create({"path": f"/{cli.creds.account}/big"})
    payload = "x" * 200  # ~300 bytes a drop: 15 MB of JSON, far more as dicts
    ids = bulk_fill(
        cli.lp, cli.api, big["id"], ({"i": i, "pad": payload} for i in range(50_000)), same_ms=3
    )
    baseline = _export_rss_kb(cli, "small", tmp_path / "small.jsonl")
    target = tmp_path / "big.jsonl"
    peak = _export_rss_kb(cli, "big", target)
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(exported) == 50_000
    assert [d["id"] for d in exported] == ids  # complete, oldest first, no duplicate
    # Measured: +6 MB streaming; +50 MB when the drops are all held (a list).
    assert peak - baseline < 25_000, (peak, baseline)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.timeout(120)
def test_tail_reconnects_after_a_platform_restart_and_prints_each_drop_once(
    cli: Cli, tmp_path: Path
) -> None:
    db, port, token = str(tmp_path / "platform.db"), _free_port(), "T" * 32
    with local_platform(db, {"tailer": token}, port=port) as lp:
        fid = lp.api.flow.create({"path": "/tailer/live"})["id"]
        env = {
            "FLOWTHINGS_ACCOUNT": "tailer",
            "FLOWTHINGS_TOKEN": token,
            "FLOWTHINGS_HOST": f"http://{lp.host}",
        }
        cli.monkeypatch.setattr(Cli, "env", property(lambda self: env))
        proc = cli.popen("tail", "live", "--count", "3", "--format", "jsonl")
        _started(proc)
        lp.api.drop(fid).create({"elems": {"n": 1}})
        assert proc.stdout is not None
        first = proc.stdout.readline()
    try:
        # The platform is down; it comes back on the same port with the same data,
        # and drops are written at once: pushed after the reconnection, or read
        # back by tail's catch-up if written before it; printed once either way.
        with local_platform(db, {"tailer": token}, port=port) as lp:
            for n in (2, 3):
                lp.api.drop(fid).create({"elems": {"n": n}})
            rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.OK, err
    assert [json.loads(line)["elems"]["n"] for line in [first, *rest.splitlines()]] == [1, 2, 3]
    assert "connection lost; reconnecting" in err
    assert "reconnected" in err
