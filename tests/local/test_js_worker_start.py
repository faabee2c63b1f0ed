"""A track-JS worker's start is waited for apart from the calls' deadlines.

A new worker (an interpreter, py_mini_racer, V8) may take seconds on a busy
machine; that must not count against the first call's ``timeout_ms`` (a
200 ms track would time out just because its worker was cold). The worker
says ``{"ready": true}`` once V8 is initialised; the pool waits up to
``_START_S`` for it, and a worker that never says so is a clear error.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flowthings.local.tracks import js_pool


def test_a_new_worker_is_ready_before_its_first_call_is_timed() -> None:
    w = js_pool._Worker()
    try:
        assert w.alive()
        request = {
            "prelude": "globalThis.__ftRun = function (p) { return JSON.stringify(p); };",
            "js": "function (d) { return d; }",
            "payload": '{"n": 1}',
            "timeout_ms": 200,
            "memory": 64 * 1024 * 1024,
            "max_output": 1 << 20,
        }
        # the deadline is only the call's: the start is already behind us
        reply = w.call(request, time.monotonic() + 1.0)
        assert reply == {"kind": "ok", "raw": '{"n":1}'}
    finally:
        w.kill()


def test_a_worker_that_never_gets_ready_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mute = tmp_path / "mute_worker.py"
    mute.write_text("import time\ntime.sleep(30)\n", encoding="utf-8")
    monkeypatch.setattr(js_pool, "_WORKER_SCRIPT", str(mute))
    monkeypatch.setattr(js_pool, "_START_S", 0.5)
    start = time.monotonic()
    with pytest.raises(js_pool.WorkerDied, match="did not start"):
        js_pool._Worker()
    assert time.monotonic() - start < 10


def test_a_worker_that_says_something_else_first_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "odd_worker.py"
    odd.write_text("print('{\"hello\": 1}', flush=True)\nimport time\ntime.sleep(30)\n")
    monkeypatch.setattr(js_pool, "_WORKER_SCRIPT", str(odd))
    with pytest.raises(js_pool.WorkerDied, match="did not start"):
        js_pool._Worker()
