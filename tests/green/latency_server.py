"""A loopback HTTP server that answers flowthings envelopes after a delay.

Used by the green subprocess scripts and `benchmarks/bench_green.py`. It is a
`ThreadingHTTPServer`: in a monkey-patched process its threads, sockets and
`time.sleep` are green, so it answers many requests at once in the same
process as the client. It never imports eventlet or gevent itself.

Routes (under `/v0.1/<account>`; every method is accepted):

- `GET /flow/<id>`: `{"id": id}`; ids starting with `missing` answer 404.
- `GET /flow`: `[{"id": "f1", "path": <path from the filter>}, {"id": "f2"}]`.
- `GET /drop/<flowId>`: `[{"id": "d1", "flowId": flowId}]`.
- `POST /drop`: echoes the body with an `id`.
- `GET /statistics/...`: `[1, 2, 3]`.

Query parameter `delay` (seconds) overrides the server's delay for one request;
`refs=1` adds `head.references`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LatencyServer", "start_server"]


class LatencyServer(ThreadingHTTPServer):
    """The server; `delay`, and counters of connections and in-flight requests."""

    daemon_threads = True
    request_queue_size = 1024  # 1000 clients may connect at once

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    def reset_counters(self) -> None:
        with self.lock:
            self.connections = self.requests = self.in_flight = self.max_in_flight = 0


def start_server(delay: float = 0.05) -> LatencyServer:
    """Starts a server on a free loopback port in a (green) daemon thread."""
    server = LatencyServer(delay)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client pool reuses connections
    server: LatencyServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus the
        # client's delayed ACK add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        # One handler for every method (GET, POST, MGET, PUT, DELETE, ...).
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        self._answer()
        self.wfile.flush()

    def _answer(self) -> None:
        server = self.server
        with server.lock:
            server.requests += 1
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length)) if length else None
            time.sleep(float(query.get("delay", server.delay)))
            status, body = _route(self.command, url.path.split("/")[3:], query, data)
        finally:
            with server.lock:
                server.in_flight -= 1
        head: dict[str, Any] = {"status": status, "ok": status < 400, "messages": []}
        head["errors"] = [] if status < 400 else [f"not found: {url.path}"]
        if query.get("refs") == "1":
            head["references"] = {"r1": {"id": "r1"}}
        payload = json.dumps({"head": head, "body": body}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _route(method: str, parts: list[str], query: dict[str, str], data: Any) -> tuple[int, Any]:
    kind = parts[0] if parts else ""
    rest = parts[1:]
    if kind == "flow" and rest:
        if rest[0].startswith("missing"):
            return 404, None
        return 200, {"id": rest[0], "method": method}
    if kind == "flow":
        path = query.get("filter", "").partition("==")[2].strip(" '")
        return 200, [{"id": "f1", "path": path}, {"id": "f2", "path": path + "/2"}]
    if kind == "drop" and rest:
        return 200, [{"id": "d1", "flowId": rest[0], "limit": query.get("limit")}]
    if kind == "drop" and method == "POST":
        return 200, {**(data or {}), "id": "d-new"}
    if kind == "statistics":
        return 200, [1, 2, 3]
    return 404, None
