"""The lean HTTP/1.1 protocol (``local/http/fast_path.py``) answers exactly as h11 does.

Every request below — usual ones, and every shape the fast path hands to h11
(chunked bodies, upgrades, HTTP/1.0, repeated or odd lengths, malformed heads,
bare LFs, TLS bytes...) — goes over raw sockets to two servers of the same
platform: one with the fast path, one with h11 alone. The answers (status,
body, the headers that matter, whether the connection stays open) must match.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from flowthings.local.core.platform import Platform
from flowthings.local.http.fast_path import FAST_BODY, parse_head
from flowthings.local.http.server import ServerThread
from flowthings.local.realtime.ws import websocket_routes

ACCOUNT, TOKEN = "fastpath", "f" * 32
WAIT = 5.0


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[ServerThread, ServerThread, str]]:
    platform = Platform()
    platform.create_account(ACCOUNT, TOKEN)
    fast = ServerThread(platform, routes=websocket_routes(platform))
    plain = ServerThread(platform, routes=websocket_routes(platform), fast_path=False)
    fast.start()
    plain.start()
    flow_id = _create_flow(fast.port)
    try:
        yield fast, plain, flow_id
    finally:
        fast.stop()
        plain.stop()
        platform.close()


def _create_flow(port: int) -> str:
    body = json.dumps({"path": f"/{ACCOUNT}/fast"}).encode()
    answers = _exchange(port, _req("POST", f"/v0.1/{ACCOUNT}/flow", body), ["POST"])
    status, _, raw, _ = answers[0]
    assert status in (200, 201), raw
    flow_id: str = json.loads(raw)["body"]["id"]
    return flow_id


def _req(method: str, path: str, body: bytes = b"", extra: str = "", auth: bool = True) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
    if auth:
        head += f"X-Auth-Account: {ACCOUNT}\r\nX-Auth-Token: {TOKEN}\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode("latin-1") + body


_KEPT = ("content-type", "content-length", "transfer-encoding", "connection", "retry-after")


def _exchange(port: int, data: bytes, methods: list[str]) -> list[Any]:
    """Send ``data``; read one answer per method (fewer when the server closes)."""
    answers: list[Any] = []
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(data)
        reader = _SharedReader(sock)  # one buffer: answers read ahead are not lost
        for method in methods:
            response = http.client.HTTPResponse(reader, method=method)  # type: ignore[arg-type]
            try:
                response.begin()
                body = response.read()
            except (http.client.HTTPException, OSError):
                answers.append("closed")
                break
            headers = {k.lower(): v for k, v in response.getheaders() if k.lower() in _KEPT}
            answers.append((response.status, headers, body, response.will_close))
    return answers


class _KeptOpen(io.BufferedReader):
    def close(self) -> None:  # HTTPResponse closes its file after each answer
        pass


class _SharedReader:
    """Gives every ``HTTPResponse`` the same buffered file of the socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = _KeptOpen(socket.SocketIO(sock, "rb"))

    def makefile(self, *_: Any) -> Any:
        return self.file


def _normal_all(answers: list[Any]) -> list[Any]:
    return [a if a == "closed" else (a[0], a[1], _normal(a[2]), a[3]) for a in answers]


def _normal(body: bytes) -> Any:
    """Bodies without the parts that differ per request (ids, times)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if isinstance(doc, dict) and isinstance(doc.get("body"), dict):
        doc["body"] = dict(doc["body"])
        for key in ("id", "creationDate", "lastEditDate"):
            doc["body"].pop(key, None)
    return doc


def _cases(flow_id: str) -> list[tuple[str, bytes, list[str]]]:
    drop = json.dumps({"elems": {"temp": 21.5, "name": "é"}}).encode()
    drops = f"/v0.1/{ACCOUNT}/drop/{flow_id}"
    chunked = (
        f"POST {drops} HTTP/1.1\r\nHost: h\r\nX-Auth-Account: {ACCOUNT}\r\n"
        f"X-Auth-Token: {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(drop), drop)
    return [
        ("get", _req("GET", f"/v0.1/{ACCOUNT}/flow/{flow_id}"), ["GET"]),
        ("get, no credentials", _req("GET", f"/v0.1/{ACCOUNT}/flow", auth=False), ["GET"]),
        ("head", _req("HEAD", f"/v0.1/{ACCOUNT}/flow/{flow_id}"), ["HEAD"]),
        ("post a drop", _req("POST", drops, drop), ["POST"]),
        ("query string", _req("GET", drops + "?limit=1&filter=elems.temp%20%3E%2020"), ["GET"]),
        ("unknown path", _req("GET", "/nowhere"), ["GET"]),
        ("unknown method", _req("BREW", f"/v0.1/{ACCOUNT}/flow"), ["BREW"]),
        ("mget", _req("MGET", f"/v0.1/{ACCOUNT}/flow", json.dumps([flow_id]).encode()), ["MGET"]),
        ("bad json", _req("POST", drops, b"{nope"), ["POST"]),
        ("two requests in one packet",
         _req("GET", f"/v0.1/{ACCOUNT}/flow/{flow_id}") + _req("POST", drops, drop),
         ["GET", "POST"]),
        ("usual then mput in one packet",
         _req("GET", f"/v0.1/{ACCOUNT}/flow/{flow_id}")
         + _req("MPUT", f"/v0.1/{ACCOUNT}/flow", b"{}"), ["GET", "MPUT"]),
        ("connection close", _req("GET", f"/v0.1/{ACCOUNT}/flow", extra="Connection: close\r\n"),
         ["GET", "GET"]),
        ("chunked body", chunked, ["POST"]),
        ("http/1.0", f"GET /v0.1/{ACCOUNT}/flow HTTP/1.0\r\n\r\n".encode(), ["GET"]),
        ("no host", f"GET /v0.1/{ACCOUNT}/flow HTTP/1.1\r\n\r\n".encode(), ["GET"]),
        ("two hosts", _req("GET", "/x", extra="Host: other\r\n"), ["GET"]),
        ("two lengths", _req("POST", drops, drop, extra=f"Content-Length: {len(drop)}\r\n"),
         ["POST"]),
        ("length and chunked",
         _req("POST", drops, drop, extra="Transfer-Encoding: chunked\r\n"), ["POST"]),
        ("signed length", _req("POST", drops, extra="Content-Length: +5\r\n") + b"12345",
         ["POST"]),
        ("header without colon", _req("GET", "/v0.1/x", extra="Broken header\r\n"), ["GET"]),
        ("space before colon", _req("GET", "/v0.1/x", extra="X-Foo : bar\r\n"), ["GET"]),
        ("obsolete folding", _req("GET", "/v0.1/x", extra="X-Foo: a\r\n b\r\n"), ["GET"]),
        ("control char in a value", _req("GET", "/v0.1/x", extra="X-Foo: a\x01b\r\n"), ["GET"]),
        ("bare LF lines", f"GET /v0.1/{ACCOUNT}/flow HTTP/1.1\nHost: h\n\n".encode(), ["GET"]),
        ("lower-case method", _req("get", f"/v0.1/{ACCOUNT}/flow"), ["GET"]),
        ("absolute target", _req("GET", f"http://h/v0.1/{ACCOUNT}/flow"), ["GET"]),
        ("encoded dot segment", _req("GET", f"/v0.1/{ACCOUNT}/flow/%2e%2e/x"), ["GET"]),
        ("expect continue", _req("POST", drops, drop, extra="Expect: 100-continue\r\n"),
         ["POST"]),
        ("websocket upgrade without a session",
         _req("GET", "/session/nope/ws", extra="Connection: Upgrade\r\nUpgrade: websocket\r\n"
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         ["GET"]),
        ("huge head", _req("GET", "/v0.1/x", extra="X-Big: " + "a" * 20_000 + "\r\n"), ["GET"]),
        ("tls hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, ["GET"]),
        ("body over the fast size",
         _req("POST", drops, b'{"elems":{"s":"' + b"x" * (FAST_BODY + 10) + b'"}}'), ["POST"]),
    ]  # fmt: skip


def test_every_request_is_answered_as_h11_answers_it(
    servers: tuple[ServerThread, ServerThread, str],
) -> None:
    fast, plain, flow_id = servers
    for name, data, methods in _cases(flow_id):
        got = _normal_all(_exchange(fast.port, data, methods))
        expected = _normal_all(_exchange(plain.port, data, methods))
        assert got == expected, name
        assert got, name


def test_usual_requests_are_served_by_the_fast_path_and_others_handed_over() -> None:
    usual = _req("POST", "/v0.1/a/drop/f", b"{}")
    parsed = parse_head(usual.split(b"\r\n\r\n")[0])
    assert parsed is not None
    assert parsed[1] == 2
    request, _ = parsed
    assert (request.method, request.target) == (b"POST", b"/v0.1/a/drop/f")
    assert (b"x-auth-token", TOKEN.encode()) in request.headers
    for head in (
        b"GET / HTTP/1.0\r\nHost: h",
        b"GET / HTTP/1.1",  # no Host
        b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked",
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade",
        b"GET  / HTTP/1.1\r\nHost: h",
        b"GET /\x7f HTTP/1.1\r\nHost: h",
        b"MGET / HTTP/1.1\r\nHost: h\r\nX-A: \x00",
    ):
        assert parse_head(head) is None, head


def test_a_kept_alive_connection_serves_many_requests_and_closes_when_idle(
    servers: tuple[ServerThread, ServerThread, str],
) -> None:
    fast, _, flow_id = servers
    with socket.create_connection(("127.0.0.1", fast.port), timeout=WAIT) as sock:
        reader = _SharedReader(sock)
        for _ in range(3):
            sock.sendall(_req("GET", f"/v0.1/{ACCOUNT}/flow/{flow_id}"))
            response = http.client.HTTPResponse(reader, method="GET")  # type: ignore[arg-type]
            response.begin()
            assert response.status == 200
            assert json.loads(response.read())["body"]["id"] == flow_id
        # uvicorn's keep-alive timeout (5 s): the idle connection is closed by the server
        started = time.monotonic()
        sock.settimeout(15)
        assert sock.recv(1) == b""
        assert time.monotonic() - started < 12


def test_a_request_whose_body_never_completes_is_cut_at_the_deadline() -> None:
    platform = Platform()
    platform.create_account(ACCOUNT, TOKEN)
    server = ServerThread(platform, request_timeout=0.5)
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
            sock.sendall(_req("POST", f"/v0.1/{ACCOUNT}/flow", b"")[:-2]
                         + b"Content-Length: 10\r\n\r\n{")  # fmt: skip
            started = time.monotonic()
            assert sock.recv(1024) == b""  # closed, nothing answered
            assert time.monotonic() - started < 4
    finally:
        server.stop()
        platform.close()
