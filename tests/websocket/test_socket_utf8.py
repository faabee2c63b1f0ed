"""Text frames are decoded strictly as UTF-8 (in C: websocket-client's own check,
pure Python, is skipped for speed), so a peer sending bytes that are not UTF-8
in a text frame still fails the connection (RFC 6455 8.1: close code 1007)."""

from __future__ import annotations

import threading
from typing import Any

from websockets.sync.server import serve

from flowthings.websocket._socket import Closed, Socket, Text

WAIT = 10.0


def _serving(frames: list[tuple[bytes | str, bool]]) -> tuple[Any, threading.Event, list[Any]]:
    release = threading.Event()
    closes: list[Any] = []

    def handler(conn: Any) -> None:
        for data, text in frames:
            conn.send(data, text=text)
        release.wait(WAIT)
        closes.append(conn.close_code)

    srv = serve(handler, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, release, closes


def test_text_frames_decode_and_invalid_utf8_fails_the_connection_with_1007() -> None:
    frames: list[tuple[bytes | str, bool]] = [
        ("héllo ✓", True),
        (b"\xff\xfe not utf-8", True),
        ("never read", True),
    ]
    srv, release, _ = _serving(frames)
    port = srv.socket.getsockname()[1]
    sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
    try:
        assert sock.recv() == Text("héllo ✓")
        assert sock.recv() == Closed(1007, "invalid UTF-8 in a text frame")
    finally:
        release.set()
        sock.shutdown()
        srv.shutdown()


def test_binary_frames_are_still_read_as_text_with_replacement() -> None:
    srv, release, _ = _serving([(b"ok \xff", False)])
    port = srv.socket.getsockname()[1]
    sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
    try:
        assert sock.recv() == Text("ok \ufffd")
    finally:
        release.set()
        sock.shutdown()
        srv.shutdown()
