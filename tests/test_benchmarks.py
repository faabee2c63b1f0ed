"""The benchmark command runs (quick mode) and prints every expected row.

No timing is asserted (machines are noisy); only that the command works,
that the table has every row with a positive, finite measurement, baseline
and ratio, that it writes where ``--output`` says (never over
``benchmarks/results.md``), and that a benchmark whose own correctness check
fails (a push never received, a write not stored) fails the command instead
of reporting a figure such as 0 pushes/s.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from flowthings.local.testing import LocalPlatform

ROOT = Path(__file__).resolve().parent.parent


EXPECTED_ROWS = [
    "api.flow.read(id)",
    "api.flow.read(id), vs 1.0.5-style",
    "api.drop(fid).find(limit=100)",
    "api.drop(fid).find(limit=100), vs 1.0.5-style",
    "api.flow.read(id), client side only (no network, no server)",
    "api.drop(fid).find(limit=100), client side only (no network, no server)",
    "asyncio api.flow.read(id), client side only (no network, no server)",
    "asyncio api.drop(fid).find(limit=100), client side only (no network, no server)",
    "model building: answer bytes to list[Drop], /v0.1 (typed elements)",
    "floor: bare pydantic models (1 per drop + 1 per typed element), /v0.1 (the least pydantic can do)",
    "floor: bare pydantic models (1 per drop + 1 per typed element), /v4.0 (the least pydantic can do)",
    "usual path (fallback): json.loads + Drop.model_validate, /v0.1 (before the fix)",
    "usual path (fallback): json.loads + Drop.model_validate, /v4.0 (before the fix)",
    "api.drop(fid).typed.find(limit=200), /v0.1, mock transport (request + models)",
    "model building: answer bytes to list[Drop], /v4.0 (plain elements)",
    "api.drop(fid).typed.find(limit=200), /v4.0, mock transport (request + models)",
    "typed.find(limit=200) end-to-end",
    "SDK: build + compile a 5-clause filter (str(expr))",
    "platform: parse + compile a filter string (lark, uncached)",
    "eventlet api.async_() speed-up, small batch, 20 ms latency",
    "eventlet api.async_() vs raw httpx in a green pool, small batch",
    "eventlet api.async_() speed-up, large batch, 20 ms latency",
    "eventlet api.async_() vs raw httpx in a green pool, large batch",
    "gevent api.async_() speed-up, small batch, 20 ms latency",
    "gevent api.async_() vs raw httpx in a green pool, small batch",
    "gevent api.async_() speed-up, large batch, 20 ms latency",
    "gevent api.async_() vs raw httpx in a green pool, large batch",
    "push throughput, 8 REST writers (2 processes): SDK WebSocketClient",
    "push throughput, drops created over WebSockets (4 writer processes): SDK WebSocketClient",
    "push throughput, drops created over WebSockets (4 writer processes): raw subscriber",
    "push throughput to one subscriber, drops created over WebSockets (4 writer processes): SDK"
    " WebSocketClient vs the goal",
    "push latency p50 at a sustained rate (2 WebSocket writer processes): SDK WebSocketClient",
    "push latency p99 at a sustained rate (2 WebSocket writer processes): SDK WebSocketClient",
    "push latency p50 at a sustained rate (2 WebSocket writer processes): SDK WebSocketClient"
    " vs the goal",
    "push latency (POST start to push), one write at a time: SDK WebSocketClient",
    "drop write rate: platform (raw httpx POST)",
    "drop write rate: SDK api.drop(fid).create",
    "drop write rate: 8 concurrent SDK writers (4 processes)",
    "drop write rate: 8 concurrent SDK writers (4 processes) vs the goal",
    "drop write rate: 8 concurrent SDK writers (4 processes), vs raw httpx writers",
    "drop write rate: 8 concurrent SDK WebSocket writers (4 processes, "
    "WebSocketClient.create_drop) vs the goal",
    "server CPU per drop stored, 8 REST SDK writers",
    "server CPU per drop stored, 8 WebSocket SDK writers",
    "writer CPU per drop, 8 REST SDK writers",
    "query: selective filter (elems.temp > 39.99)",
    "query: sort by elems.n, limit 20",
    "create_many(concurrency=8) speed-up, loopback (same process)",
    "create_many(concurrency=8) speed-up, 20 ms simulated latency",
    "asyncio api.flow.read(id)",
    "asyncio api.drop(fid).find(limit=100)",
    "asyncio gather of concurrent finds, speed-up, 20 ms latency",
    "eventlet api.async_() of concurrent finds, speed-up, 20 ms latency",
    "gevent api.async_() of concurrent finds, speed-up, 20 ms latency",
    "asyncio gather vs eventlet api.async_(), concurrent finds, 20 ms latency",
    "asyncio gather vs gevent api.async_(), concurrent finds, 20 ms latency",
    "asyncio gather vs raw httpx.AsyncClient gather, concurrent finds, 20 ms latency",
    "drop writes/s, 4 writers over 2 serve processes on PostgreSQL",
    "push latency, write on process A to a subscriber on process B (PostgreSQL)",
]
TARGETS = {
    "create_many(concurrency=8) speed-up, 20 ms simulated latency": "≥ 4",
    "api.flow.read(id)": "≤ 1.10",
    "api.drop(fid).find(limit=100)": "≤ 1.10",
    "asyncio api.flow.read(id)": "≤ 1.10",
    "asyncio api.drop(fid).find(limit=100)": "≤ 1.10",
    "model building: answer bytes to list[Drop], /v0.1 (typed elements)": "≤ 2",
    "model building: answer bytes to list[Drop], /v4.0 (plain elements)": "≤ 2",
}


def _number(cell: str) -> float:
    """The number of a table cell such as ``"1,234 pushes/s"`` (``nan`` for ``n/a``)."""
    value = cell.split()[0].replace(",", "")
    return float("nan") if value == "n/a" else float(value)


def _table(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| Group", "|---")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.sub(r" \(sequential extrapolated[^)]*\)$", "", cells[1])
        rows[name] = cells
    return rows


@pytest.mark.timeout(420)  # a loaded CI machine can be 5x slower than an idle one
def test_quick_benchmarks_print_and_write_every_row(tmp_path: Path) -> None:
    results = ROOT / "benchmarks" / "results.md"
    before = results.read_bytes() if results.exists() else None
    output = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # progress on stderr while it runs (it takes tens of seconds), the table on stdout
    assert "running websocket ..." in done.stderr
    assert "running" not in done.stdout
    written = output.read_text(encoding="utf-8")
    assert "| Group | Benchmark | N |" in done.stdout
    assert written.strip() in done.stdout
    assert "Python 3." in written
    assert "quick" in written
    rows = _table(written)
    assert sorted(rows) == sorted(EXPECTED_ROWS)
    for name, cells in rows.items():
        group, _, n, measured, baseline, baseline_is, ratio, target, passed = cells
        assert group, name
        assert baseline_is, name
        assert int(n) > 0, name
        # a figure of 0 (0 pushes/s: nothing received) or n/a is a failed run, not a result
        assert 0 <= float(ratio) < float("inf"), name  # "0.00" when 100x faster than baseline
        assert _number(measured) > 0, name
        assert _number(baseline) > 0, name
        assert target == TARGETS.get(name, ""), name
        assert passed in (("pass", "FAIL") if target else ("",)), name
    # the committed full results are never overwritten by a test run
    assert (results.read_bytes() if results.exists() else None) == before


def test_missed_pushes_fail_the_benchmark_instead_of_a_zero_rate(
    flowthings_platform: LocalPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import bench_websocket
    from benchmarks._harness import CheckFailed, Settings

    real_push = bench_websocket._Counter.push

    def lossy_push(self: bench_websocket._Counter, drop: Any) -> None:
        elems = drop.get("elems", {})
        i = elems.get("i")
        if (i.get("value") if isinstance(i, dict) else i) == 3:
            return  # the subscriber never sees drop 3
        real_push(self, drop)

    monkeypatch.setattr(bench_websocket._Counter, "push", lossy_push)
    monkeypatch.setattr(bench_websocket, "PUSH_WAIT", 1.0)
    settings = replace(Settings.make(quick=True), ws_drops=10, ws_latency_samples=2)
    # 8 REST writers of one drop each (drops 0..7): drop 3 never arrives
    with pytest.raises(CheckFailed, match=r"subscriber received 7 of 8 pushes"):
        bench_websocket.rows(settings, flowthings_platform)


def test_a_failed_check_exits_1_without_a_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import run
    from benchmarks._harness import CheckFailed

    def failing(*args: object, **kwargs: object) -> list[object]:
        raise CheckFailed("SDK subscriber received 0 of 150 pushes within 60.0 s")

    monkeypatch.setattr(run, "run_sections", failing)
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--quick", "--output", "-"])
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith(
        "error: a benchmark's correctness check failed: "
        "SDK subscriber received 0 of 150 pushes within 60.0 s\n"
    )
