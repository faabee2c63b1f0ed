"""The connection loop of the WebSocket client: connect, serve, reconnect, tick.

:class:`ConnectionLoop` is a mixin of :class:`~flowthings.websocket._client.WebSocketClient`
holding everything that runs on the client's two threads:

* the **reader** (the thread that called ``run()``): :meth:`ConnectionLoop._run`
  connects, restores subscriptions, reads frames until the connection ends,
  then backs off and reconnects with a fresh session, until ``close()``,
  ``reconnect=False`` or ``max_retries`` failed attempts in a row;
* the **ticker**: :meth:`ConnectionLoop._tick` sends heartbeats and fails
  requests whose deadline passed. It sleeps on a condition until the next
  heartbeat or deadline and is woken when a connection opens, a request with
  an earlier deadline is added, or the client closes.

``close()`` and the loop coordinate through ``_closing`` (an event) and
``_sock`` (the open socket, guarded by ``_lock``): the loop publishes a new
socket under the lock *before* checking ``_closing``, and ``close()`` sets
``_closing`` *before* reading ``_sock``, so whichever comes second sees the
other and the socket is always told to close.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .._errors import FlowThingsConnectionError, FlowThingsException
from ._callbacks import OnOpen, OnReconnect
from ._dispatch import Dispatcher
from ._requests import (
    Callback,
    FlowThingsNotConnected,
    Sender,
    connect_error,
    connection_lost,
    request_timed_out,
)
from ._socket import Closed, HandshakeError, Socket, SocketError
from ._wire import HEARTBEAT, Reconnection, subscription_message

if TYPE_CHECKING:
    from ._client import WebSocketClient

__all__ = ["ConnectionLoop"]

class ConnectionLoop(Dispatcher, Sender, Reconnection):
    """Reader and ticker loops (state lives in ``WebSocketClient``)."""

    url: str
    session_factory: Callable[[], str] | None
    on_open: OnOpen | None
    on_reconnect: OnReconnect | None
    heartbeat_interval: float | None
    _socket_options: dict[str, Any]
    _lock: threading.RLock
    _wake: threading.Condition
    _sock: Socket | None
    _subscriptions: dict[str, None]
    _closing: threading.Event
    _opened: threading.Event
    _last_sent: float
    _last_error: FlowThingsException | None
    _reader_done: bool
    close_timeout: float

    # -- reader ------------------------------------------------------------

    def _run(self) -> None:
        url: str | None = self.url
        attempt = 0
        while not self._closing.is_set():
            try:
                if url is None:
                    assert self.session_factory is not None
                    url = self.session_factory()
                sock = Socket(url, **self._socket_options)
            except Exception as exc:
                url = None
                attempt += 1
                err = connect_error(
                    exc,
                    self.creds,
                    refused_status=exc.status if isinstance(exc, HandshakeError) else None,
                    why=str(exc),
                )
                self._last_error = err
                self._report(err)
                if not self._should_retry(err, attempt):
                    return
                self._backoff(attempt)
                continue
            url = None  # a session is good for one connection only
            self._serve(sock, attempt)
            attempt = 1
            if self._closing.is_set() or not self._should_retry(None, attempt):
                return
            self._backoff(attempt)

    def _backoff(self, attempt: int) -> None:
        self._closing.wait(self._backoff_delay(attempt))  # close() ends the wait early

    def _serve(self, sock: Socket, attempt: int) -> None:
        """Use one connection until it ends; the socket is always released."""
        first = not self._opened.is_set()
        closed = Closed(1006, "connection lost")
        try:
            with self._wake:
                self._sock = sock
                self._last_sent = time.monotonic()
                resubscribe = list(self._subscriptions)
                self._wake.notify_all()
            if self._closing.is_set():  # close() ran before it could see this socket
                sock.send_close(1000, "client closed")
            else:
                self._restore(sock, resubscribe, first, attempt)
            while True:
                frame = sock.recv()
                if isinstance(frame, Closed):
                    closed = frame
                    break
                try:
                    self._dispatch(frame.data)
                except Exception as exc:  # no frame may end the connection (or the client)
                    self._report(exc)
        finally:
            with self._wake:
                self._sock = None
                self._wake.notify_all()
            sock.shutdown()
        if not self._closing.is_set():
            lost = connection_lost(closed.code, closed.reason, self.creds)
            self._fail_pending(lost)
            self._streams.gap(lost)
            self._report(lost)

    def _restore(self, sock: Socket, resources: list[str], first: bool, attempt: int) -> None:
        """Re-send subscriptions; fire on_open/on_reconnect once all are answered.

        Nothing fires if the connection was lost before every answer came: the
        next connection then counts as the first one again (for ``on_open``).
        """
        remaining = [len(resources)]

        def ready() -> None:
            with self._lock:
                if self._sock is not sock:
                    return
            if first:
                self._opened.set()
                self._safe(self.on_open, self._client())
            else:
                self._safe(self.on_reconnect, self._client(), attempt)

        def answered(_: Any) -> None:
            with self._lock:
                remaining[0] -= 1
                done = remaining[0] == 0
            if done:
                ready()

        if not resources:
            ready()
        for resource in resources:
            self._subscribe_now(resource, None).add_done_callback(answered)

    def _subscribe_now(self, resource: str, callback: Callback | None) -> Future[Any]:
        def refused(_: WebSocketClient, exc: BaseException) -> None:
            self._report(exc)

        try:
            future = self.send(
                subscription_message("subscribe", resource), callback, errback=refused
            )
        except FlowThingsNotConnected:
            # the connection just dropped: the subscription is recorded and is
            # sent when the next one opens, as if it had been made offline
            done: Future[Any] = Future()
            done.set_result(None)
            return done

        def check(f: Future[Any]) -> None:
            exc = None if f.cancelled() else f.exception()
            if exc is not None and not isinstance(exc, FlowThingsConnectionError):
                with self._lock:
                    self._subscriptions.pop(resource, None)
                self._streams.refused(resource, exc)
                self._report(exc)

        future.add_done_callback(check)
        return future

    # -- ticker ------------------------------------------------------------

    def _tick(self) -> None:
        """Heartbeats and request timeouts (runs in its own thread)."""
        with self._wake:
            while not self._closing.is_set():
                now = time.monotonic()
                failed = self._requests.expired(now)
                sock = self._sock
                beat_due = (
                    sock is not None
                    and self.heartbeat_interval is not None
                    and now - self._last_sent >= self.heartbeat_interval
                )
                if beat_due:
                    self._last_sent = now
                if failed or beat_due:
                    self._wake.release()
                    try:
                        if beat_due and sock is not None:
                            with contextlib.suppress(SocketError):  # the reader sees the loss
                                sock.send_text(HEARTBEAT)
                        for p in failed:
                            self._fail(p, request_timed_out(p.request, self.creds))
                    finally:
                        self._wake.acquire()
                    continue
                deadline = self._requests.next_deadline()
                waits = [] if deadline is None else [deadline - now]
                if sock is not None and self.heartbeat_interval is not None:
                    waits.append(self._last_sent + self.heartbeat_interval - now)
                self._wake.wait(max(0.0, min(waits)) if waits else None)
            self._watch_close()

    def _watch_close(self) -> None:
        """After ``close()``: abort a socket whose closing handshake takes too long.

        ``close()`` called from another thread aborts on its own, but called
        from a callback it cannot wait; without this a peer that never answers
        the close frame would keep ``run()`` blocked in a read forever. Runs in
        the ticker with ``_wake`` held, until the reader loop has finished;
        a socket that opens after the deadline (a handshake that was under
        way) is aborted as soon as it appears.
        """
        deadline = time.monotonic() + self.close_timeout
        aborted: Socket | None = None
        while not self._reader_done:
            left = deadline - time.monotonic()
            sock = self._sock
            if left <= 0 and sock is not None and sock is not aborted:
                aborted = sock
                sock.abort()  # the reader sees the end of the connection
                continue
            self._wake.wait(left if left > 0 else None)

