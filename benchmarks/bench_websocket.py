"""WebSocket push benchmark on the local platform.

Measures, on one in-process local platform (uvicorn on loopback):

* **push throughput** — drops/s delivered to every subscriber while writer
  threads POST drops over REST, against the baseline of the same REST writes
  with nobody subscribed (ratio ~1 means pushing costs the writers nothing);
* **push latency** — median time from the start of a REST write to its push
  reaching an SDK ``WebSocketClient`` subscriber, against the baseline of the
  median REST round trip of the same write (raw httpx).

Run: ``python benchmarks/bench_websocket.py [--drops 2000] [--subscribers 4]``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from flowthings._websocket import WebSocketClient
from flowthings.local._platform import Platform
from flowthings.local._server import bind, make_server
from flowthings.local._ws import websocket_routes

ACCOUNT, TOKEN = "bench", "B" * 32
HEADERS = {"X-Auth-Account": ACCOUNT, "X-Auth-Token": TOKEN}


def start_server() -> tuple[Platform, Any, threading.Thread, Any]:
    platform = Platform()
    platform.create_account(ACCOUNT, TOKEN)
    sock = bind()
    server = make_server(platform, routes=websocket_routes(platform))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.005)
    return platform, server, thread, sock


def write_drops(base: str, flow_id: str, count: int, writers: int) -> float:
    """POST ``count`` drops from ``writers`` threads; return the elapsed seconds."""

    def run(n: int) -> None:
        with httpx.Client(base_url=base, headers=HEADERS) as http:
            for i in range(n):
                http.post(f"/v0.1/{ACCOUNT}/drop/{flow_id}", json={"elems": {"i": i}})

    share = [count // writers + (1 if w < count % writers else 0) for w in range(writers)]
    threads = [threading.Thread(target=run, args=(n,)) for n in share]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def subscriber(
    base: str, ws_base: str, flow_id: str, on_push: Callable[[], None]
) -> WebSocketClient:
    def new_session() -> str:
        sid = httpx.post(f"{base}/session", headers=HEADERS).json()["body"]["id"]
        return f"{ws_base}/session/{sid}/ws"

    ws = WebSocketClient(new_session(), new_session, on_message=lambda w, r, d: on_push())
    ws.subscribe(flow_id)
    ws.run_in_thread(wait_open=10)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--latency-samples", type=int, default=300)
    args = parser.parse_args()

    platform, server, thread, sock = start_server()
    port = sock.getsockname()[1]
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, headers=HEADERS)
    try:
        flow_id = http.post(f"/v0.1/{ACCOUNT}/flow", json={"path": f"/{ACCOUNT}/b"}).json()["body"][
            "id"
        ]

        # baseline: REST writes, nobody subscribed
        write_drops(base, flow_id, min(200, args.drops), args.writers)  # warm-up
        base_s = write_drops(base, flow_id, args.drops, args.writers)

        # the same writes with subscribers
        done = threading.Event()
        received = [0]
        lock = threading.Lock()
        target = args.drops * args.subscribers

        def on_push() -> None:
            with lock:
                received[0] += 1
                if received[0] == target:
                    done.set()

        clients = [subscriber(base, ws_base, flow_id, on_push) for _ in range(args.subscribers)]
        start = time.perf_counter()
        write_drops(base, flow_id, args.drops, args.writers)
        done.wait(120)
        push_s = time.perf_counter() - start
        for c in clients:
            c.close()

        # latency: one write at a time, start of POST -> push received
        arrived = threading.Event()
        latencies, rtts = [], []
        lat_client = subscriber(base, ws_base, flow_id, arrived.set)
        for i in range(args.latency_samples):
            arrived.clear()
            t0 = time.perf_counter()
            http.post(f"/v0.1/{ACCOUNT}/drop/{flow_id}", json={"elems": {"i": i}})
            rtts.append(time.perf_counter() - t0)
            arrived.wait(10)
            latencies.append(time.perf_counter() - t0)
        lat_client.close()
    finally:
        http.close()
        server.should_exit = True
        thread.join(10)
        sock.close()
        platform.close()

    rest_rate = args.drops / base_s
    push_rate = args.drops / push_s
    print(f"REST writes, no subscriber:      {rest_rate:8.0f} drops/s ({args.writers} writers)")
    print(
        f"REST writes + {args.subscribers} subscribers:     {push_rate:8.0f} drops/s written, "
        f"{received[0] / push_s:8.0f} pushes/s delivered ({received[0]}/{target})"
    )
    print(f"  ratio (with pushes / baseline): {push_rate / rest_rate:.2f}")
    med_lat, med_rtt = statistics.median(latencies), statistics.median(rtts)
    print(f"median REST round trip (baseline): {med_rtt * 1000:7.2f} ms")
    print(f"median write -> push received:     {med_lat * 1000:7.2f} ms")
    print(f"  ratio (push latency / REST RTT): {med_lat / med_rtt:.2f}")


if __name__ == "__main__":
    main()
