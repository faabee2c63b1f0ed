"""Red-team F9: a never-reading WebSocket subscriber's outbox is bounded in bytes.

The outbox was bounded only by a frame count (1000), and a frame may be about
1 MiB: one subscriber that never reads could pin about 1 GB. It is now also
bounded in bytes (16 MiB by default); past it the socket is closed with 1013
and a reason naming the bound, as production servers drop slow consumers.
The bound is lowered here so the test stays small.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct

import pytest
import websocket

from flowthings.local.realtime import pubsub
from flowthings.local.realtime.pubsub import Outbox

from .conftest import World

BOUND = 256 * 1024


def test_outbox_overflows_on_bytes() -> None:
    loop = asyncio.new_event_loop()
    try:
        box = Outbox(loop, maxsize=1000, max_bytes=1000)
        assert box.put("a" * 600)
        assert not box.put("b" * 600)
        assert box.overflowed
        assert "1000 bytes" in box.reason
        small = Outbox(loop, maxsize=2, max_bytes=10**9)
        assert small.put("x")
        assert small.put("y")
        assert not small.put("z")
        assert "2 messages" in small.reason
    finally:
        loop.close()


def test_a_never_reading_subscriber_is_dropped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pubsub, "DEFAULT_MAX_QUEUE_BYTES", BOUND)
    fid = world.flows["private"]["id"]
    r = world.alice.http.post(
        "/session",
        headers={"X-Auth-Token": world.alice.token, "X-Auth-Account": world.alice.account},
    )
    sid = r.json()["body"]["id"]
    ws = websocket.create_connection(
        f"ws://{world.lp.host}/session/{sid}/ws",
        timeout=10,
        suppress_origin=True,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
    )
    try:
        ws.send(json.dumps({"msgId": "s", "type": "subscribe", "flowId": fid}))
        # the subscriber reads nothing from now on; alice writes big drops
        pad = "p" * (200 * 1024)
        for _ in range(80):
            world.alice.ok("POST", f"/drop/{fid}", {"elems": {"pad": pad}})
        # the server dropped the socket: after what was buffered comes a 1013 close
        ws.settimeout(10)
        while True:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        code = struct.unpack("!H", data[:2])[0]
        assert code == 1013
        assert b"bytes" in data[2:]
    finally:
        ws.close()
        ws.shutdown()
    # the writer never waited: the account keeps working
    assert world.alice.ok("GET", f"/drop/{fid}", params={"limit": "1"})
