"""A small typed adapter over websocket-client's ``WebSocket``.

websocket-client ships no type information, so everything the WebSocket client
(``_client.py``) needs from it goes through :class:`Socket`: connect, send a
text frame, receive the next text or close frame, and close. The socket is
created with ``enable_multithread=True`` (websocket-client then locks sends and
receives separately), which lets one reader thread block in :meth:`Socket.recv`
while other threads send.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import websocket

__all__ = ["Closed", "HandshakeError", "Socket", "SocketError", "Text"]


class SocketError(Exception):
    """The socket failed (connect, send or receive); the connection is unusable."""


class HandshakeError(SocketError):
    """The server refused the upgrade with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Text:
    """A received text frame."""

    data: str


@dataclass(frozen=True)
class Closed:
    """The peer closed the connection (``code`` 1006 when no close frame came)."""

    code: int
    reason: str


class Socket:
    """One WebSocket connection (thread-safe sends, one reader).

    Args:
        url: ``ws://`` or ``wss://`` URL.
        timeout: Connect (handshake) timeout in seconds; once connected,
            receives block without timeout.
        header: Extra handshake headers.
        sslopt: websocket-client ``sslopt`` (e.g. ``{"cert_reqs": ssl.CERT_NONE}``).
        sockopt: Socket options, ``(level, name, value)`` tuples.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        header: Mapping[str, str] | None = None,
        sslopt: Mapping[str, Any] | None = None,
        sockopt: list[tuple[int, int, int]] | None = None,
    ) -> None:
        self._ws: Any = cast(
            Any,
            websocket.WebSocket(
                sslopt=dict(sslopt) if sslopt else None,
                sockopt=sockopt,
                enable_multithread=True,
                # websocket-client checks UTF-8 in pure Python (~100 us per small frame);
                # recv() decodes text frames strictly in C instead (same refusal)
                skip_utf8_validation=True,
            ),
        )
        try:
            self._ws.connect(
                url,
                timeout=timeout,
                header=[f"{k}: {v}" for k, v in (header or {}).items()],
                suppress_origin=True,
            )
        except websocket.WebSocketBadStatusException as exc:
            self._ws.shutdown()
            # the status line only: websocket-client's message also carries the
            # response headers (cookies) and body, which must not reach logs
            status = int(exc.status_code)
            raise HandshakeError(status, f"handshake refused with HTTP {status}") from exc
        except Exception as exc:
            self._ws.shutdown()
            raise SocketError(f"cannot connect: {exc}") from exc
        self._ws.settimeout(None)

    def send_text(self, text: str) -> None:
        """Send one text frame.

        Raises:
            SocketError: The connection is gone.
        """
        try:
            self._ws.send(text)
        except Exception as exc:
            raise SocketError(f"send failed: {exc}") from exc

    def recv(self) -> Text | Closed:
        """Block until the next text frame or the end of the connection.

        Pings are answered by websocket-client; binary frames are decoded as
        UTF-8 text.
        """
        try:
            opcode, frame = self._ws.recv_data_frame(False)
        except Exception:
            return Closed(1006, "connection lost")
        data: Any = frame.data
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raw = bytes(data or b"")
            if len(raw) >= 2:
                (code,) = struct.unpack("!H", raw[:2])
                return Closed(int(code), raw[2:].decode("utf-8", "replace"))
            return Closed(1005, "")
        if isinstance(data, bytes):
            if opcode == websocket.ABNF.OPCODE_TEXT:
                try:
                    return Text(data.decode("utf-8"))
                except UnicodeDecodeError:
                    # RFC 6455 5.6/8.1: a text frame must be UTF-8, else fail the connection
                    self.send_close(1007, "invalid UTF-8 in a text frame")
                    self.abort()
                    return Closed(1007, "invalid UTF-8 in a text frame")
            return Text(data.decode("utf-8", "replace"))
        return Text(str(data))

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (never raises)."""
        try:
            if self._ws.connected:
                self._ws.send_close(code, reason.encode("utf-8"))
        except Exception:  # already gone: nothing to say goodbye to
            pass

    def abort(self) -> None:
        """Wake a thread blocked in :meth:`recv` (the socket is shut down)."""
        try:
            sock = self._ws.sock
            if sock is not None:
                sock.shutdown(2)  # SHUT_RDWR
        except Exception:  # already closed
            pass

    def shutdown(self) -> None:
        """Release the socket immediately (never raises)."""
        with contextlib.suppress(Exception):  # already closed
            self._ws.shutdown()
