"""The WebSocket client: ``api.websocket.connect(...)`` returns a `WebSocketClient`.

```python
def on_open(ws):
    ws.subscribe('<flow_id>')          # or a flow path: '/alice/flow'

def on_message(ws, resource, data):   # resource = flow id, data = the drop (dict)
    print('Got message:', resource, data)

ws = api.websocket.connect(on_open=on_open, on_message=on_message)
ws.run()                               # blocks, as documented in 1.0.5
```

``run_in_thread()``, ``close()`` and ``with api.websocket.connect() as ws:`` give
the non-blocking form; ``on_drop(ws, flow_id, drop)`` and ``ws.drops()`` give
pushes as typed `Drop` models.

Behaviour and the choices behind it:

* **Wire format is 1.0.5's.** ``subscribe(resource)`` sends
  ``{"type": "subscribe", "object": "drop", "flowId": resource}``, or ``"path"``
  when the resource starts with ``/``. ``send(data, callback)`` adds a unique
  integer ``msgId`` and calls ``callback(ws, reply_body)`` with the reply's
  ``body`` (even for error replies, as 1.0.5 did). Every request also returns a
  `concurrent.futures.Future`, resolved with the reply body or failed
  with the `FlowThingsException` subclass of the reply's
  status.
* **Requests time out.** With no reply after ``request_timeout`` seconds the
  future fails with `FlowThingsRequestTimeout`; a request pending when
  the connection drops fails with `FlowThingsConnectionLost`. Such
  failures go to the request's ``errback(ws, exc)`` if given, else to
  ``on_error(ws, exc)``; ``callback`` is only ever called with a reply body.
* **Heartbeats**: ``{"type": "heartbeat"}`` every ``heartbeat_interval`` seconds
  (default 10; ``None`` disables them).
* **Reconnection**: when the connection ends without ``close()``, the client
  reports ``on_error(ws, FlowThingsConnectionLost)``, then retries with
  exponential backoff and jitter (delay ``min(backoff_max, backoff_base *
  2**(n-1))`` scaled by a random factor in [0.5, 1]), asking the session factory
  for a new session each time (sessions are single-use). It re-subscribes to
  everything subscribed, then calls ``on_reconnect(ws, attempt)``. Failed
  attempts go to ``on_error``. ``max_retries=None`` (default) retries forever,
  ``0`` never reconnects; 401/403 answers to the session request end the
  client at once.
  ``on_open`` fires for the first connection only, once the subscriptions made
  before it are answered (so a drop written after ``on_open``/``wait_open()``
  is pushed; a connection lost before that fires neither, and the next one
  counts as the first); ``on_close`` fires once, on the final close
  (``close()``, retries exhausted, or ``reconnect=False``), before ``run()``
  returns.
* **Sending while not connected is refused**: ``send()`` and the request
  helpers raise `FlowThingsNotConnected` at once (nothing is queued, so
  nothing is replayed late). ``subscribe``/``unsubscribe`` are state, not
  messages: they are recorded and (re)sent whenever a connection opens.
* **Threads**: ``run()`` reads in the calling thread, which runs the reply, push
  and lifecycle callbacks; a helper thread sends heartbeats and fires request
  timeouts (their errbacks run there). Callbacks must not block for long, and
  must not wait on a request's future: its reply is read by that same thread.
  An exception raised by a callback goes to ``on_error`` (one raised by
  ``on_error`` is dropped); it never stops the client.
* **Closing** is bounded: ``close()`` from another thread waits for the run
  loop (and joins the ``run_in_thread()`` thread); called from a callback it
  returns at once and the loop ends after the callback. Either way a server
  that does not answer the close frame within ``close_timeout`` (5 s) has
  the socket aborted, so ``run()`` always returns and no thread outlives the
  client. A client runs once: a second ``run()``/``run_in_thread()`` raises.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .._errors import FlowThingsError, FlowThingsException
from ._callbacks import OnClose, OnDrop, OnError, OnMessage, OnOpen, OnReconnect
from ._drops import DropIterator, DropStreams
from ._loop import ConnectionLoop
from ._requests import (
    Callback,
    DropRequests,
    ErrorCallback,
    FlowThingsConnectionLost,
    FlowThingsNotConnected,
    FlowThingsRequestTimeout,
    RequestTable,
    subscription_message,
)
from ._socket import Socket, SocketError

if TYPE_CHECKING:
    from .._config import Token

__all__ = [
    "FlowThingsConnectionLost",
    "FlowThingsNotConnected",
    "FlowThingsRequestTimeout",
    "WebSocketClient",
]


_POLL = 0.05
"""Seconds between checks of the run loop while waiting for the first connection."""
_GIVE_UP_WAIT = 0.5
"""Seconds ``run_in_thread(wait_open=...)`` lets the run loop take to stop once it gave up."""


class WebSocketClient(ConnectionLoop, DropRequests):
    """A flowthings WebSocket connection with subscriptions and requests.

    Built by ``api.websocket.connect(...)``; all arguments but ``url`` and
    ``session_factory`` are the keyword options of ``connect``.

    Args:
        url: The ``ws(s)://.../session/{id}/ws`` URL of a fresh session.
        session_factory: Creates a new session and returns its URL (used to
            reconnect); ``None`` disables reconnection.
        on_open: ``on_open(ws)`` after the first connection opened and the
            subscriptions made before it were answered.
        on_message: ``on_message(ws, resource, data)`` for each pushed drop
            (``resource`` is the flow id, ``data`` the drop dict).
        on_close: ``on_close(ws)`` once, on the final close.
        on_error: ``on_error(ws, exc)`` for connection errors, failed
            requests without errback, and exceptions raised by callbacks.
        on_reconnect: ``on_reconnect(ws, attempt)`` after a reconnection
            succeeded and subscriptions were restored.
        on_drop: ``on_drop(ws, flow_id, drop)`` with the push as a ``Drop`` model.
        heartbeat_interval: Seconds between heartbeats; ``None`` disables them.
        request_timeout: Seconds to wait for a reply.
        reconnect: Whether to reconnect after an unexpected close.
        max_retries: Reconnection attempts in a row before giving up
            (``None``: forever).
        backoff_base: First reconnection delay, in seconds.
        backoff_max: Largest reconnection delay, in seconds.
        connect_timeout: Handshake timeout, in seconds.
        header: Extra handshake headers.
        sslopt: websocket-client TLS options.
        sockopt: Socket options, ``(level, name, value)`` tuples.
        creds: Credentials, attached to raised exceptions.
    """

    def __init__(
        self,
        url: str,
        session_factory: Callable[[], str] | None = None,
        *,
        on_open: OnOpen | None = None,
        on_message: OnMessage | None = None,
        on_close: OnClose | None = None,
        on_error: OnError | None = None,
        on_reconnect: OnReconnect | None = None,
        on_drop: OnDrop | None = None,
        heartbeat_interval: float | None = 10.0,
        request_timeout: float = 10.0,
        reconnect: bool = True,
        max_retries: int | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        connect_timeout: float = 10.0,
        header: Mapping[str, str] | None = None,
        sslopt: Mapping[str, Any] | None = None,
        sockopt: list[tuple[int, int, int]] | None = None,
        creds: Token | None = None,
    ) -> None:
        self.url = url
        self.session_factory = session_factory
        self.on_open = on_open
        self.on_message = on_message
        self.on_close = on_close
        self.on_error = on_error
        self.on_reconnect = on_reconnect
        self.on_drop = on_drop
        self.heartbeat_interval = heartbeat_interval
        self.request_timeout = request_timeout
        self.reconnect = reconnect and session_factory is not None
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._socket_options: dict[str, Any] = {
            "timeout": connect_timeout,
            "header": header,
            "sslopt": sslopt,
            "sockopt": sockopt,
        }
        self.creds = creds
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._sock: Socket | None = None
        self._requests = RequestTable()
        self._subscriptions: dict[str, None] = {}
        self._streams = DropStreams()
        self._closing = threading.Event()
        self._opened = threading.Event()
        self._finished = threading.Event()
        self._last_error: FlowThingsException | None = None
        self._reader_done = False
        self.close_timeout = 5.0
        """Seconds a closing handshake may take before the socket is aborted."""
        self._started = False
        self._last_sent = time.monotonic()
        self._thread: threading.Thread | None = None
        self._runner: threading.Thread | None = None
        self._ticker: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a connection is open right now."""
        with self._lock:
            return self._sock is not None

    def run(self) -> None:
        """Connect and process messages until the final close (blocking).

        Returns once the client closed for good: after `close` (from a
        callback or another thread), when reconnection is off or gave up, or
        when the session request was refused (401/403). ``on_close`` has run
        and every pending request has failed by then.

        Raises:
            FlowThingsError: The client was already started.
        """
        self._claim_start()
        self._run_claimed()

    def run_in_thread(self, wait_open: float | None = None) -> threading.Thread:
        """Run `run` in a daemon thread and return the thread.

        `close` joins that thread.

        Args:
            wait_open: If given, wait up to this many seconds for the first
                connection to open; if it does not (or the client gave up
                sooner, e.g. on a refused session), the client is closed and
                `FlowThingsNotConnected` is raised, chained to the last
                connection error.

        Raises:
            FlowThingsError: The client was already started.
            FlowThingsNotConnected: No connection opened within `wait_open`.
        """
        self._claim_start()
        thread = threading.Thread(target=self._run_claimed, name="flowthings-ws", daemon=True)
        with self._lock:
            self._thread = thread
        thread.start()
        if wait_open is not None and not self._wait_open_or_finished(wait_open):
            # a caller who waits for the connection must not be left with a
            # client retrying silently in the background; the reader may be
            # stuck in a handshake for a while, so do not wait for it long:
            # it is a daemon and ends as soon as that attempt does
            self.close(timeout=_GIVE_UP_WAIT)
            raise FlowThingsNotConnected(
                [f"WebSocket did not open within {wait_open:g} s"], self.creds
            ) from self._last_error
        return thread

    def _wait_open_or_finished(self, timeout: float) -> bool:
        """Wait for the first connection, but not past the run loop's end."""
        deadline = time.monotonic() + timeout
        while not self._opened.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._finished.is_set():
                break
            self._opened.wait(min(left, _POLL))
        return self._opened.is_set()

    def wait_open(self, timeout: float | None = None) -> bool:
        """Wait until the first connection opened; return whether it did."""
        return self._opened.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Close the connection for good (no reconnection); idempotent.

        From another thread, waits up to ``timeout`` seconds for the run loop
        to finish (then aborts the socket and waits as long again); from a
        callback, returns at once and the run loop ends after the callback.

        Args:
            timeout: Seconds to wait for the run loop to finish.
        """
        self._closing.set()
        with self._wake:
            sock = self._sock
            started, thread = self._started, self._thread
            self._wake.notify_all()
        if sock is not None:
            sock.send_close(1000, "client closed")
        if not started or threading.current_thread() in (self._runner, self._ticker):
            return  # never run, or called from a callback: the loop ends after it returns
        if not self._finished.wait(timeout):
            with self._lock:
                sock = self._sock  # may have opened since
            if sock is not None:
                sock.abort()
            self._finished.wait(timeout)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _claim_start(self) -> None:
        with self._lock:
            if self._started:
                raise FlowThingsError("this WebSocket client was already started")
            self._started = True

    def _run_claimed(self) -> None:
        ticker = threading.Thread(target=self._tick, name="flowthings-ws-ticker", daemon=True)
        with self._lock:
            self._runner = threading.current_thread()
            self._ticker = ticker
        ticker.start()
        try:
            self._run()
        finally:
            self._closing.set()
            with self._wake:
                self._reader_done = True
                self._wake.notify_all()
            ticker.join()
            self._fail_pending(FlowThingsConnectionLost(["WebSocket client closed"], self.creds))
            self._streams.end()
            self._safe(self.on_close, self)
            self._finished.set()

    def __enter__(self) -> WebSocketClient:
        self.run_in_thread()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- subscriptions and requests ---------------------------------------

    def subscribe(self, resource: str, callback: Callback | None = None) -> Future[Any]:
        """Subscribe to the drops of a flow (by id, or by path if it starts with ``/``).

        The subscription is remembered and restored after reconnections. If
        the platform refuses it (e.g. no such flow), it is forgotten and the
        error goes to the future and ``on_error``. Made while not connected,
        it is sent when the next connection opens (the returned future is
        then already resolved with ``None``).

        Args:
            resource: Flow id or flow path.
            callback: ``callback(ws, reply_body)`` when the platform answers;
                never called for a subscription made while not connected.
        """
        with self._lock:
            self._subscriptions[resource] = None
            if self._sock is None:
                future: Future[Any] = Future()
                future.set_result(None)  # sent when a connection opens
                return future
        return self._subscribe_now(resource, callback)

    def unsubscribe(self, resource: str, callback: Callback | None = None) -> Future[Any]:
        """Stop the pushes of a flow subscribed with `subscribe`."""
        with self._lock:
            self._subscriptions.pop(resource, None)
            if self._sock is None:
                future: Future[Any] = Future()
                future.set_result(None)
                return future
        return self.send(subscription_message("unsubscribe", resource), callback)

    @property
    def subscriptions(self) -> list[str]:
        """The resources currently subscribed (restored on reconnection)."""
        with self._lock:
            return list(self._subscriptions)

    def send(
        self,
        data: Mapping[str, Any],
        callback: Callback | None = None,
        *,
        errback: ErrorCallback | None = None,
        timeout: float | None = None,
    ) -> Future[Any]:
        """Send a request frame with a fresh ``msgId``; the reply's body is the answer.

        Returns a future resolved with the body of the reply (or failed with
        the `FlowThingsException` subclass of an error reply's status).

        Args:
            data: The request (``type``, ``object``, ``flowId``, ``id``, ``value``...).
            callback: ``callback(ws, reply_body)`` with the reply's ``body``.
            errback: ``errback(ws, exc)`` on timeout or connection loss.
            timeout: Seconds to wait for the reply (default ``request_timeout``).

        Raises:
            FlowThingsNotConnected: No connection is open (see module docs).
        """
        wait = self.request_timeout if timeout is None else timeout
        with self._wake:
            sock = self._sock
            if sock is None:
                raise FlowThingsNotConnected(
                    ["WebSocket is not connected"], self.creds, str(data.get("type")), None
                )
            earliest = self._requests.next_deadline()
            pending = self._requests.add(data, callback, errback, wait)
            if earliest is None or pending.deadline < earliest:
                self._wake.notify_all()  # the ticker sleeps until an earlier deadline
        with contextlib.suppress(SocketError):  # the reader sees the loss, fails the request
            sock.send_text(json.dumps(pending.request))
        return pending.future

    def drops(
        self,
        flow_id: str | None = None,
        *,
        timeout: float | None = None,
        raise_on_gap: bool = False,
    ) -> DropIterator:
        """Iterate over pushed drops as ``Drop`` models.

        Only drops pushed after the iterator was created are seen. Iteration
        ends on the final close, or when no drop came for ``timeout`` seconds.
        Drops pushed while the client was reconnecting are missed: the
        iterator counts these gaps in ``.gaps``, or raises on them.

        Args:
            flow_id: Only drops of this flow id (default: every subscription).
            timeout: Seconds to wait for each next drop (``None``: forever).
            raise_on_gap: Raise ``FlowThingsConnectionLost`` (and end) when
                the connection is lost, instead of carrying on after the
                reconnection; re-read what was missed, then open a new iterator.
        """
        return self._streams.open(flow_id, timeout, raise_on_gap)
