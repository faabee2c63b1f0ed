"""WebSocket push throughput and latency on the local platform.

The platform runs alone in a child process (``benchmarks._procs.ServerProcess``),
the writers in other child processes, the two subscribers in this one: a
writer or subscriber sharing the server's process would share its GIL and
hide the server's real rate (issue 20). One flow, two subscribers connected at
once and reading the same pushes: the SDK's ``WebSocketClient``
(``on_message`` callback) and the baseline, a raw ``websocket-client``
connection whose reader thread does the least a client can do (``recv`` +
``json.loads``).

* **throughput, REST writers** — 8 writers (2 processes of 4 threads) post N
  drops as fast as the platform takes them; each side's rate is N over the
  time from the start to its last push received;
* **throughput, WebSocket writers** — drops created through WebSockets
  (``type: create`` frames, up to 32 unanswered per connection; 4 writer
  processes), so HTTP is not in the way: this measures the push path. The raw
  subscriber's rate is also compared with the writers' acknowledged-create
  rate (1.0 = pushes keep up with writes);
* **throughput to one subscriber** — the same WebSocket writers once more
  (three times the drops), after the raw subscriber left: issue 20's goal
  (5,000 pushes/s) is about pushes to *one* subscriber, so the SDK's rate in
  this run is the one compared with it;
* **latency at a sustained rate** — drops created through WebSockets at a
  fixed total pace (1,000/s from 2 processes; 200/s in a quick run), each
  carrying its send time (``time.time()``, comparable across processes); p50
  and p99 of write-to-receipt for each side, and p50 against the goal (5 ms);
* **latency, one write at a time** — median time from the start of a REST
  POST (from this process) to the push reaching each side.

    python -m benchmarks --only websocket [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import websocket

from benchmarks._harness import Row, Settings, check
from benchmarks._procs import ServerProcess, WriterPlan, run_writers

if TYPE_CHECKING:
    from flowthings.local.testing import LocalPlatform

GROUP = "WebSocket push"
REST_WRITERS = 8
WS_WRITERS = 4
"""WebSocket writer processes of the throughput run (one connection each)."""
PACED_WRITERS = 2
PACED_SECONDS = 2.0
"""Length of the paced latency run."""
ONE_SUBSCRIBER_RUNS = 3
"""The one-subscriber run writes this many times the drops of the two-subscriber run."""
WS_WINDOW = 32
"""Most creates a WebSocket writer leaves unanswered (the outgoing queue holds 1000)."""
PUSH_GOAL = 5000.0
LATENCY_GOAL_MS = 5.0
PUSH_WAIT = 60.0
"""Seconds to wait for every push of the throughput run (a test shortens it)."""
SAMPLE_WAIT = 10.0
"""Seconds to wait for each push of the latency run."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Counter:
    """Counts pushes; records when each push (by its element ``i``) arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.arrived: dict[int, float] = {}
        self.delays: list[float] = []
        self.target = -1
        self.done = threading.Event()

    def push(self, drop: Any) -> None:
        now, wall = time.perf_counter(), time.time()
        with self.lock:
            self.count += 1
            elems = drop.get("elems", {}) if isinstance(drop, dict) else {}
            i = elems.get("i")
            if isinstance(i, dict):  # /v0.1 pushes carry typed elements
                i = i.get("value")
            if isinstance(i, int):
                self.arrived[i] = now
            sent = elems.get("sent")
            if isinstance(sent, dict):
                sent = sent.get("value")
            if isinstance(sent, float):  # stamped with time.time() by another process
                self.delays.append(wall - sent)
            if self.count == self.target:
                self.done.set()

    def expect(self, total: int) -> None:
        with self.lock:
            self.target = total
            if self.count >= total:
                self.done.set()


class _RawSubscriber:
    """The baseline: websocket-client, one reader thread, ``json.loads`` per frame."""

    def __init__(self, url: str, flow_id: str, counter: _Counter) -> None:
        # like the SDK: UTF-8 checked by the C decoder, not websocket-client's Python loop
        self.ws = websocket.create_connection(url, timeout=30, skip_utf8_validation=True)
        self.ws.send(json.dumps({"type": "subscribe", "object": "drop", "flowId": flow_id,
                                 "msgId": "sub"}))  # fmt: skip
        reply = json.loads(self.ws.recv())
        check(reply["head"]["ok"], f"raw WebSocket subscription refused: {reply}")
        self.counter = counter
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if msg.get("type") == "message":
                    self.counter.push(msg.get("value"))
        except (websocket.WebSocketException, OSError, ValueError):
            return

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


def rows(settings: Settings, lp: LocalPlatform) -> list[Row]:
    """The push throughput and latency rows (``lp`` is unused: the server runs alone
    in its own process, see the module docstring)."""
    with ServerProcess() as server:
        return _rows(settings, server)


def _rows(settings: Settings, server: ServerProcess) -> list[Row]:
    from flowthings import API, Token

    headers = server.headers
    http = httpx.Client(headers=headers)
    flow = http.post(server.url("/flow"), json={"path": f"/{server.account}/bench/ws",
                                                "capacity": 100_000}).json()["body"]  # fmt: skip
    flow_id = flow["id"]
    url = server.url(f"/drop/{flow_id}")
    host = server.base_url.split("//", 1)[1]

    def raw_session() -> str:
        sid = http.post(f"{server.base_url}/session").json()["body"]["id"]
        return f"ws://{host}/session/{sid}/ws"

    api = API(Token(server.account, server.token), host=host, ws_host=host, secure=False)
    sdk_count, raw_count = _Counter(), _Counter()
    sdk = api.websocket.connect(on_message=lambda ws, resource, drop: sdk_count.push(drop))
    sdk.run_in_thread(wait_open=10)
    sdk.subscribe(flow_id).result(10)
    raw = _RawSubscriber(raw_session(), flow_id, raw_count)
    plan = WriterPlan(server.base_url, server.account, server.token, flow_id, 0, 1, url=url)
    try:
        # warm-up: a few pushes both sides must see
        warm = 20
        for i in range(warm):
            http.post(url, json={"elems": {"w": i}}).raise_for_status()
        sdk_count.expect(warm)
        raw_count.expect(warm)
        for side, c in (("SDK", sdk_count), ("raw", raw_count)):
            check(c.done.wait(30), f"{side} subscriber got {c.count} of {warm} warm-up pushes")

        def expect(total: int) -> None:
            for c in (sdk_count, raw_count):
                c.done.clear()
                c.expect(total)

        def received(label: str, total: int, n: int) -> None:
            for side, c in (("SDK", sdk_count), ("raw", raw_count)):
                # a missing push is a bug, not a slow rate: never report it as a figure
                check(
                    c.done.wait(PUSH_WAIT),
                    f"{side} subscriber received {c.count - (total - n)} of {n}{label} pushes"
                    f" within {PUSH_WAIT} s",
                )

        # 8 REST writers in 2 processes
        per = max(1, settings.ws_drops // REST_WRITERS)
        n = per * REST_WRITERS
        total = warm + n
        expect(total)
        start = run_writers(replace(plan, mode="raw", per_thread=per, threads=4), 2).start
        received("", total, n)
        sdk_rate = n / (max(sdk_count.arrived[i] for i in range(n)) - start)
        raw_rate = n / (max(raw_count.arrived[i] for i in range(n)) - start)

        # the push path itself: drops created through WebSockets
        per_ws = max(1, settings.ws_drops // WS_WRITERS)
        m = per_ws * WS_WRITERS
        total += m
        expect(total)
        ws_plan = replace(plan, mode="ws", per_thread=per_ws, first=n, window=WS_WINDOW)
        acked, start, took, _ = run_writers(ws_plan, WS_WRITERS)
        ack_rate = acked / took
        received(" WebSocket-created", total, m)
        ws_sdk_rate = m / (max(sdk_count.arrived[n + k] for k in range(m)) - start)
        ws_raw_rate = m / (max(raw_count.arrived[n + k] for k in range(m)) - start)

        # latency at a sustained rate: paced creates, each carrying its send time
        rate = 200.0 if settings.quick else 1000.0
        per_paced = max(1, int(rate * PACED_SECONDS) // PACED_WRITERS)
        paced = per_paced * PACED_WRITERS
        total += paced
        expect(total)
        paced_plan = replace(ws_plan, per_thread=per_paced, first=n + m, stamp=True,
                             rate=rate / PACED_WRITERS)  # fmt: skip
        paced_took = run_writers(paced_plan, PACED_WRITERS).took
        achieved = paced / paced_took
        received(" paced", total, paced)

        latencies: dict[str, list[float]] = {"sdk": [], "raw": []}
        samples = settings.ws_latency_samples
        first = n + m + paced
        for k in range(samples):
            i = first + k
            expect(total + k + 1)
            t0 = time.perf_counter()
            http.post(url, json={"elems": {"i": i}}).raise_for_status()
            for side, c in (("SDK", sdk_count), ("raw", raw_count)):
                check(
                    c.done.wait(SAMPLE_WAIT) and i in c.arrived,
                    f"{side} subscriber missed latency push {k + 1} of {samples}"
                    f" (received {c.count} of {total + k + 1})",
                )
            latencies["sdk"].append(sdk_count.arrived[i] - t0)
            latencies["raw"].append(raw_count.arrived[i] - t0)

        # the goal's case: pushes to one subscriber (the raw one leaves first)
        # (ONE_SUBSCRIBER_RUNS times the drops: the writers' start is a smaller share)
        raw.close()
        total += samples
        one_first = n + m + paced + samples
        one = m * ONE_SUBSCRIBER_RUNS
        sdk_count.done.clear()
        sdk_count.expect(total + one)
        one_plan = replace(ws_plan, first=one_first, per_thread=per_ws * ONE_SUBSCRIBER_RUNS)
        start = run_writers(one_plan, WS_WRITERS).start
        check(
            sdk_count.done.wait(PUSH_WAIT),
            f"the only subscriber received {sdk_count.count - total} of {one} pushes"
            f" within {PUSH_WAIT} s",
        )
        one_rate = one / (max(sdk_count.arrived[one_first + k] for k in range(one)) - start)
    finally:
        sdk.close()
        raw.close()
        http.close()
        api.close()
    lat_sdk = statistics.median(latencies["sdk"])
    lat_raw = statistics.median(latencies["raw"])
    baseline = "raw `websocket-client` reading the same pushes"
    paced_name = f"at a sustained rate ({PACED_WRITERS} WebSocket writer processes)"
    paced_base = f"raw `websocket-client`, same pushes (paced at {achieved:,.0f} drops/s)"
    p = {side: (_percentile(c.delays, 0.5), _percentile(c.delays, 0.99))
         for side, c in (("sdk", sdk_count), ("raw", raw_count))}  # fmt: skip
    goal = "" if settings.quick else ">= 1.00"
    latency_goal = "" if settings.quick else "<= 1.00"
    ws_name = f"drops created over WebSockets ({WS_WRITERS} writer processes)"
    return [
        Row(GROUP, f"push throughput, {REST_WRITERS} REST writers (2 processes): SDK "
            "WebSocketClient", n, sdk_rate, raw_rate, "pushes/s", baseline),
        Row(GROUP, f"push throughput, {ws_name}: SDK WebSocketClient", m,
            ws_sdk_rate, ws_raw_rate, "pushes/s", baseline),
        Row(GROUP, f"push throughput, {ws_name}: raw subscriber", m,
            ws_raw_rate, ack_rate, "pushes/s", "creates acknowledged per second (same run)"),
        Row(GROUP, f"push throughput to one subscriber, {ws_name}: SDK WebSocketClient vs the"
            " goal", one, one_rate, PUSH_GOAL, "pushes/s", "issue 20's goal", target=goal),
        Row(GROUP, f"push latency p50 {paced_name}: SDK WebSocketClient", paced,
            p["sdk"][0] * 1e3, p["raw"][0] * 1e3, "ms", paced_base),
        Row(GROUP, f"push latency p99 {paced_name}: SDK WebSocketClient", paced,
            p["sdk"][1] * 1e3, p["raw"][1] * 1e3, "ms", paced_base),
        Row(GROUP, f"push latency p50 {paced_name}: SDK WebSocketClient vs the goal", paced,
            p["sdk"][0] * 1e3, LATENCY_GOAL_MS, "ms",
            f"issue 20's goal (at 1,000 drops/s; paced at {achieved:,.0f})", target=latency_goal),
        Row(GROUP, "push latency (POST start to push), one write at a time: SDK WebSocketClient",
            samples, lat_sdk * 1e3, lat_raw * 1e3, "ms", baseline),
    ]  # fmt: skip

