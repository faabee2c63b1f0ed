"""Running the app with uvicorn: in the foreground (CLI) or in a background thread.

uvicorn is configured with ``http="h11"`` (it passes the non-standard ``MGET``
and ``MPUT`` methods through) and ``ws="websockets-sansio"`` (no deprecated
legacy WebSocket implementation is imported). The listening socket is bound
before the server starts, so port ``0`` picks a free port that is known up
front.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from ._app import create_app
from ._platform import Platform

__all__ = ["ServerThread", "bind", "make_server"]


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Return a listening TCP socket on ``host:port`` (``0`` = a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(platform: Platform, *, log_level: str = "warning", **app_kw: Any) -> Any:
    """Return a ``uvicorn.Server`` serving ``platform`` (not started)."""
    config = uvicorn.Config(
        create_app(platform, **app_kw),
        http="h11",
        ws="websockets-sansio",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


class ServerThread:
    """A uvicorn server for ``platform`` running in a daemon thread.

    Args:
        platform: the platform to serve.
        host: interface to bind (loopback by default).
        port: port to bind (``0`` = a free port).
        **app_kw: passed to ``create_app`` (e.g. ``routes=`` for WebSockets).
    """

    def __init__(
        self, platform: Platform, host: str = "127.0.0.1", port: int = 0, **app_kw: Any
    ) -> None:
        self.platform = platform
        self.sock = bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = make_server(platform, **app_kw)
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            name=f"flowthings-local-{self.port}",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.sock.close()
                raise RuntimeError("the local flowthings platform failed to start")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for the thread."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sock.close()
