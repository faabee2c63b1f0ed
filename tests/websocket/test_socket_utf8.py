"""Text frames are decoded strictly as UTF-8 (in C: websocket-client's own check,
pure Python, is skipped for speed), so a peer sending bytes that are not UTF-8
in a text frame still fails the connection (RFC 6455 8.1: close code 1007).

The peer is a minimal hand-made WebSocket server (handshake, then raw frames),
so it can send what a well-behaved library refuses to: a text frame that is
not UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flowthings.websocket._socket import Closed, Socket, Text

WAIT = 10.0
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final server frame (payloads under 126 bytes)."""
    assert len(payload) < 126
    return struct.pack("!BB", 0x80 | opcode, len(payload)) + payload


@contextmanager
def _peer(frames: list[bytes]) -> Iterator[int]:
    """Accept one WebSocket client, send ``frames`` after the handshake, hold on."""
    listener = socket.create_server(("127.0.0.1", 0))
    release = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())  # RFC 6455 says SHA-1
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
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
        _frame(0x1, "héllo ✓".encode()),
        _frame(0x1, b"\xff\xfe not utf-8"),
        _frame(0x1, b"never read"),
    ]
    with _peer(frames) as port:
        sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
        try:
            assert sock.recv() == Text("héllo ✓")
            assert sock.recv() == Closed(1007, "invalid UTF-8 in a text frame")
        finally:
            sock.shutdown()


def test_binary_frames_are_still_read_as_text_with_replacement() -> None:
    with _peer([_frame(0x2, b"ok \xff")]) as port:
        sock = Socket(f"ws://127.0.0.1:{port}/s", timeout=WAIT)
        try:
            assert sock.recv() == Text("ok \ufffd")
        finally:
            sock.shutdown()
