"""A hand-made WebSocket server side, for tests that need a peer no library would be.

:func:`accept_handshake` answers one client's opening handshake on a plain
socket (RFC 6455 section 4.2.2); the test then sends raw frames
(:func:`server_frame`) or nothing at all.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_handshake(conn: socket.socket) -> None:
    """Read the client's upgrade request on ``conn`` and answer 101."""
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


def server_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked, final server frame (payloads under 126 bytes)."""
    assert len(payload) < 126
    return struct.pack("!BB", 0x80 | opcode, len(payload)) + payload
