"""Text frames are decoded strictly as UTF-8 (in C: websocket-client's own check,
pure Python, is skipped for speed), so a peer sending bytes that are not UTF-8
in a text frame still fails the connection (RFC 6455 8.1: close code 1007).

The peer is a minimal hand-made WebSocket server (handshake, then raw frames),
so it can send what a well-behaved library refuses to: a text frame that is
not UTF-8.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flowthings.websocket._socket import Closed, Socket, Text

from ._raw_peer import accept_handshake, server_frame

WAIT = 10.0


@contextmanager
def _peer(frames: list[bytes]) -> Iterator[int]:
    """Accept one WebSocket client, send ``frames`` after the handshake, hold on."""
    listener = socket.create_server(("127.0.0.1", 0))
    release = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            accept_handshake(conn)
            conn.sendall(b"".join(frames))
            release.wait(WAIT)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        release.set()
        thread.join(WAIT)
        listener.close()


def test_text_frames_decode_and_invalid_utf8_fails_the_connection_with_1007() -> None:
    frames = [
        server_frame(0x1, "héllo ✓".encode()),
        server_frame(0x1, b"\xff\xfe not utf-8"),
        server_frame(0x1, b"never read"),
    ]
    with _peer(frames) as port:
        sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
        try:
            assert sock.recv() == Text("héllo ✓")
            assert sock.recv() == Closed(1007, "invalid UTF-8 in a text frame")
        finally:
            sock.shutdown()


def test_binary_frames_are_still_read_as_text_with_replacement() -> None:
    with _peer([server_frame(0x2, b"ok \xff")]) as port:
        sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
        try:
            assert sock.recv() == Text("ok \ufffd")
        finally:
            sock.shutdown()
