"""Red-team F0, F0b, F0c: what a client sends cannot hold the event loop for long.

* a big JSON body or WebSocket frame of tiny items (about a second of CPU per
  MiB) is parsed only for a caller who authenticates, in the platform's heavy
  lane (one job per account at a time, accounts in turn), never on the loop;
* a request body in more than ``MAX_BODY_CHUNKS`` pieces (1-byte chunks) is a
  400 and the connection closes;
* a WebSocket message in more than ``MAX_WS_FRAGMENTS`` frames closes the
  socket with 1008.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import websocket
from websocket import ABNF

from flowthings.local.http.server import MAX_BODY_CHUNKS, MAX_WS_FRAGMENTS

from ._latency import assert_not_stalled, latencies
from ._served import served_world
from .conftest import TIMEOUT, World

# ~1 MiB of tiny items: the costliest document per byte to parse and validate
TINY_ITEMS = b"[" + b",".join([b"{}"] * 340_000) + b"]"


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    # one serve process for the module: the floods below measure that server only
    with served_world() as world:
        yield world


def _carol_latencies(w: World) -> list[float]:
    """The bystander's GET latencies (her own flows, her master token)."""
    with httpx.Client(
        base_url=f"{w.lp.base_url}/v0.1/{w.carol.account}",
        headers={"X-Auth-Token": w.carol.token},
        timeout=30,
    ) as carol:
        return latencies(carol)


def _hammer(stop: threading.Event, send: Callable[[], None]) -> Iterator[threading.Thread]:
    def run() -> None:
        while not stop.is_set():
            send()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    return iter(threads)


def test_big_anonymous_bodies_do_not_stall_other_tenants(w: World) -> None:
    stop = threading.Event()
    anon = httpx.Client(base_url=w.lp.base_url, timeout=30)
    statuses: list[int] = []

    def send() -> None:
        statuses.append(anon.post("/v0.1/nobody/flow", content=TINY_ITEMS).status_code)

    baseline = _carol_latencies(w)
    threads = list(_hammer(stop, send))
    try:
        time.sleep(0.3)
        measured = _carol_latencies(w)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        anon.close()
    assert statuses
    assert set(statuses) <= {401, 403, 404}, statuses
    assert_not_stalled(measured, baseline)


def test_big_authenticated_drop_writes_do_not_stall_other_tenants(w: World) -> None:
    # an account without tracks: small drop writes stay on the loop, big ones must not
    fid = w.flows["private"]["id"]
    stop = threading.Event()
    statuses: list[int] = []
    body = b'{"elems": {"a": ' + TINY_ITEMS[:-7] + b"]}}"
    owner = httpx.Client(
        base_url=f"{w.lp.base_url}/v0.1/{w.alice.account}",
        headers={"X-Auth-Token": w.alice.token},
        timeout=60,
    )

    def send() -> None:
        statuses.append(owner.post(f"/drop/{fid}", content=body).status_code)

    baseline = _carol_latencies(w)
    threads = list(_hammer(stop, send))
    try:
        time.sleep(0.3)
        measured = _carol_latencies(w)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        owner.close()
    assert statuses
    assert set(statuses) == {201}, statuses
    assert_not_stalled(measured, baseline)


def test_big_websocket_frames_do_not_stall_other_tenants(w: World) -> None:
    stop = threading.Event()
    sockets = [w.bob.socket(), w.bob.socket()]
    frame = '{"type":"nope","x":' + TINY_ITEMS.decode() + "}"
    replies: list[int] = []

    def sender(ws: websocket.WebSocket) -> None:
        while not stop.is_set():
            ws.send(frame)
            ws.settimeout(30)
            replies.append(json.loads(ws.recv())["head"]["status"])

    threads = [threading.Thread(target=sender, args=(s.ws,), daemon=True) for s in sockets]
    baseline = _carol_latencies(w)
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        measured = _carol_latencies(w)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        for s in sockets:
            s.close()
    assert replies
    assert set(replies) == {400}, replies
    assert_not_stalled(measured, baseline)


def _raw_post(w: World, body_wire: bytes, headers: bytes) -> bytes:
    host, port = w.lp.host.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        s.sendall(b"POST /v0.1/nobody/flow HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        s.sendall(body_wire)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
            if b"\r\n\r\n" in out and len(out) > 200:
                break
    return out


def test_a_body_in_one_byte_chunks_is_refused_quickly(w: World) -> None:
    # just over the cap, and no final chunk: without the cap the server would wait for
    # more (the 10 s deadline); the server reads it all, so its close is not a reset
    body = b"[" + b"1," * (MAX_BODY_CHUNKS // 2 + 50)
    wire = b"".join(b"1\r\n" + bytes([c]) + b"\r\n" for c in body)
    start = time.monotonic()
    answer = _raw_post(w, wire, b"Transfer-Encoding: chunked\r\n")
    elapsed = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert f"more than {MAX_BODY_CHUNKS} chunks".encode() in answer, answer[:300]
    assert elapsed < 3.0, elapsed


def test_a_body_in_few_chunks_is_fine(w: World) -> None:
    body = json.dumps({"path": w.path("chunky")}).encode()
    pieces = [body[i : i + 4] for i in range(0, len(body), 4)]
    r = w.alice.http.post(
        f"/v0.1/{w.alice.account}/flow",
        content=iter(pieces),  # a generator body: chunked transfer encoding
        headers={"X-Auth-Token": w.alice.token},
    )
    assert r.status_code == 201, r.text


def _fragments(message: bytes, size: int) -> bytes:
    pieces = [message[i : i + size] for i in range(0, len(message), size)]
    frames = [
        ABNF(
            int(i == len(pieces) - 1),
            0,
            0,
            0,
            ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT,
            1,
            piece,
        ).format()
        for i, piece in enumerate(pieces)
    ]
    return b"".join(frames)


def test_a_websocket_message_in_too_many_fragments_closes_the_socket(w: World) -> None:
    ws = w.bob.socket()
    try:
        msg = b'{"type":"heartbeat","x":"' + b"a" * (MAX_WS_FRAGMENTS * 4) + b'"}'
        ws.ws.sock.sendall(_fragments(msg, 1))
        ws.ws.settimeout(TIMEOUT)
        opcode, data = ws.ws.recv_data(control_frame=True)
        assert opcode == ABNF.OPCODE_CLOSE, (opcode, data)
        assert struct.unpack("!H", data[:2])[0] == 1008, data
    finally:
        ws.close()


def test_a_websocket_message_in_a_few_fragments_is_answered(w: World) -> None:
    ws = w.bob.socket()
    try:
        msg = json.dumps({"msgId": "f", "type": "findmany", "object": "flow"}).encode()
        ws.ws.sock.sendall(_fragments(msg, 2))
        reply = ws.recv()
        assert reply["head"]["msgId"] == "f", reply
        assert reply["head"]["status"] == 200, reply
    finally:
        ws.close()


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_strangers_big_body_is_refused_before_it_is_parsed(w: World, gzipped: bool) -> None:
    # not JSON at all: a parse would answer 400, the credential check answers first
    junk = b"[" + b"{}," * 40_000 + b"oops"
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    content = gzip.compress(junk) if gzipped else junk
    stranger = w.actor("not-a-token")
    refused = stranger.call("POST", "/drop", raw=content, headers=headers)
    assert refused.status == 403, refused
    # the account's own token gets the parse, and its verdict
    parsed = w.alice.call("POST", "/drop", raw=content, headers=headers)
    assert parsed.status == 400, parsed
    assert "not valid JSON" in parsed.errors[0], parsed.errors


def test_big_drops_of_one_account_are_all_stored(w: World) -> None:
    # the lane serialises an account's big bodies; none is lost or refused at this rate
    fid = w.flows["shared"]["id"]
    big = {"elems": {"blob": "x" * 100_000}}
    with httpx.Client(
        base_url=f"{w.lp.base_url}/v0.1/{w.alice.account}",
        headers={"X-Auth-Token": w.alice.token},
        timeout=60,
    ) as owner:

        def post(i: int) -> int:
            return owner.post(f"/drop/{fid}", json={**big, "fhash": str(i)}).status_code

        threads: list[threading.Thread] = []
        statuses: list[int] = []
        for i in range(6):
            t = threading.Thread(target=lambda i=i: statuses.append(post(i)))
            threads.append(t)
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [201] * 6
        found = owner.get(f"/drop/{fid}", params={"limit": 50, "only": "fhash"}).json()["body"]
    assert sorted(d["fhash"] for d in found) == [str(i) for i in range(6)]
