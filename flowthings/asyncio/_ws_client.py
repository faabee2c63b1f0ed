"""The asyncio WebSocket client: ``async with api.websocket.connect() as ws``.

```python
async with api.websocket.connect() as ws:        # session + connection; closed on exit
    await ws.subscribe(flow_id)                   # the platform's answer (a dict)
    created = await ws.create_drop(flow_id, {'elems': {'t': 1}})
    async for drop in ws.drops(flow_id):          # Drop models, as they are pushed
        ...
```

It is the thread client (`flowthings.WebSocketClient`) on one event loop,
built from the same pure pieces (`flowthings.websocket._wire`: frames,
decoding, backoff; `flowthings.websocket._requests`: reply and error
mapping; `flowthings.websocket._drops`: drop streams and gaps) over the
``websockets`` library's asyncio connection. What it does, and why:

* **One reader task** (``_run``) owns the connection: it asks the session
  factory for a session (``POST /session`` through the asyncio transport),
  connects, re-subscribes, reads frames until the connection ends, then backs
  off (`backoff_delay`: exponential, capped, with jitter) and starts over with
  a new session, until `aclose`, ``reconnect=False``, ``max_retries`` failed
  attempts in a row, or a 401/403 answer to the session request. A second
  task per connection sends heartbeats; nothing else runs in the background.
* **Requests are awaited calls**: `send` adds a fresh integer ``msgId``,
  sends the frame and waits (up to ``request_timeout``) for the reply with
  that id. Cancelling the waiting task only forgets the request: the frame is
  written whole or not at all (``websockets`` writes a frame in one step), a
  late reply is ignored, and the connection stays usable. Sending while not
  connected raises `FlowThingsNotConnected` at once (nothing is queued).
* **Subscriptions are state**: recorded by `subscribe`, (re)sent whenever a
  connection opens; a refused one (``subscribe`` answered 404, or an
  ``unsubscribed`` frame because the flow was deleted or access is gone) is
  forgotten and ends the iterators of that flow with the error.
* **Gaps**: a lost connection fails the pending requests with
  `FlowThingsConnectionLost`, is reported (``on_error``, else a warning on the
  ``flowthings`` logger) and is counted by every open `drops` iterator (or
  raised by one opened with ``raise_on_gap=True``): the drops pushed while
  reconnecting are not replayed by the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .._errors import FlowThingsError, FlowThingsException
from ..websocket._drops import DropStreams
from ..websocket._requests import FlowThingsNotConnected, request_timed_out
from ..websocket._wire import subscription_message, with_msg_id
from ._ws_loop import AsyncConnectionLoop, AsyncOnError, AsyncOnReconnect
from ._ws_requests import AsyncDropRequests
from ._ws_streams import AsyncDropIterator, AsyncMessageIterator

if TYPE_CHECKING:
    from .._config import Token

__all__ = ["AsyncOnError", "AsyncOnReconnect", "WebSocketClient"]

logger = logging.getLogger("flowthings")


class WebSocketClient(AsyncConnectionLoop, AsyncDropRequests):
    """A flowthings WebSocket connection for asyncio: subscriptions, pushes, requests.

    Built by ``api.websocket.connect(...)`` on a `flowthings.asyncio.API`;
    nothing is connected until ``async with`` (or `open`). The options are
    those of the thread client's ``connect`` where they apply.

    Args:
        session_factory: Opens a new session and returns its WebSocket URL
            (awaited for every connection: a session serves one connection).
        on_error: ``on_error(ws, exc)`` for connection errors and ended
            subscriptions; without it they are logged as warnings.
        on_reconnect: ``on_reconnect(ws, attempt)`` after a reconnection
            succeeded and the subscriptions were restored.
        heartbeat_interval: Seconds between heartbeats; ``None`` disables them.
        request_timeout: Seconds to wait for a reply.
        reconnect: Whether to reconnect after an unexpected close.
        max_retries: Reconnection attempts in a row before giving up
            (``None``: forever).
        backoff_base: First reconnection delay, in seconds.
        backoff_max: Largest reconnection delay, in seconds.
        connect_timeout: Handshake timeout, in seconds.
        header: Extra handshake headers.
        ssl: TLS context for ``wss://`` (default: the system's trust store).
        creds: Credentials, attached to raised exceptions.
    """

    def __init__(
        self,
        session_factory: Callable[[], Awaitable[str]],
        *,
        on_error: AsyncOnError | None = None,
        on_reconnect: AsyncOnReconnect | None = None,
        heartbeat_interval: float | None = 10.0,
        request_timeout: float = 10.0,
        reconnect: bool = True,
        max_retries: int | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        connect_timeout: float = 10.0,
        header: Mapping[str, str] | None = None,
        ssl: ssl_module.SSLContext | None = None,
        creds: Token | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.on_error = on_error
        self.on_reconnect = on_reconnect
        self.heartbeat_interval = heartbeat_interval
        self.request_timeout = request_timeout
        self.reconnect = reconnect
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.connect_timeout = connect_timeout
        self.header = dict(header) if header else None
        self.ssl = ssl
        self.creds = creds
        self.close_timeout = 5.0
        """Seconds the closing handshake may take before the connection is dropped."""
        self._conn: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[asyncio.Future[Any], dict[str, Any]]] = {}
        self._subscriptions: dict[str, None] = {}
        self._streams = DropStreams()
        self._runner: asyncio.Task[None] | None = None
        self._opened: asyncio.Future[None] | None = None
        self._closing: asyncio.Event | None = None
        self._last_error: FlowThingsException | None = None
        self._last_sent = 0.0
        self._closed = False

    # -- lifecycle ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether a connection is open right now."""
        return self._conn is not None

    @property
    def subscriptions(self) -> list[str]:
        """The resources currently subscribed (restored on reconnection)."""
        return list(self._subscriptions)

    async def open(self) -> None:
        """Start the client and wait until its first connection is open.

        Subscriptions made before are sent and answered first (so a drop
        written after `open` returns is pushed). Reconnection attempts go on
        while it waits: bound the wait with ``asyncio.wait_for`` if needed.
        If the wait fails or is cancelled, the client is closed.

        Raises:
            FlowThingsError: The client was already started.
            FlowThingsForbidden: The session request was refused (401/403).
            FlowThingsNotConnected: The client gave up (``reconnect=False`` or
                ``max_retries``), chained to the last connection error.
        """
        if self._runner is not None or self._closed:
            raise FlowThingsError("this WebSocket client was already started (or closed)")
        loop = asyncio.get_running_loop()
        self._opened = opened = loop.create_future()
        self._closing = asyncio.Event()
        self._last_sent = loop.time()
        self._runner = loop.create_task(self._run(), name="flowthings-ws")
        try:
            await asyncio.shield(opened)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Close the connection for good (no reconnection); idempotent.

        Pending requests fail with `FlowThingsConnectionLost`, `drops`
        iterators end. Bounded: a server that does not answer the close
        handshake within ``close_timeout`` has its connection dropped.
        """
        self._closed = True
        runner, closing = self._runner, self._closing
        if runner is None or closing is None:  # never opened
            self._streams.end()
            return
        closing.set()
        conn = self._conn
        if conn is None:
            # asking for a session, in a handshake, or backing off: nothing to
            # close gracefully, and a session request may take long to fail
            runner.cancel()
        else:
            with contextlib.suppress(Exception):  # gone already: nothing to say goodbye to
                await asyncio.wait_for(conn.close(1000, "client closed"), self.close_timeout)
        if not runner.done():
            done, _ = await asyncio.wait({runner}, timeout=self.close_timeout)
            if not done:  # a reader that did not see the end of its connection
                runner.cancel()
                await asyncio.wait({runner})
        opened = self._opened
        if opened is not None and opened.done() and not opened.cancelled():
            opened.exception()  # retrieved: `open` raised it, or nobody waits any more
        if not runner.cancelled() and runner.exception() is not None:
            logger.warning("WebSocket reader failed", exc_info=runner.exception())

    async def __aenter__(self) -> WebSocketClient:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- subscriptions and requests ---------------------------------------

    async def subscribe(self, resource: str) -> Any:
        """Subscribe to the drops of a flow (by id, or by path if it starts with ``/``).

        The subscription is remembered and restored after reconnections.
        Returns the platform's answer; made while not connected, the
        subscription is only recorded (sent when the next connection opens)
        and ``None`` is returned.

        Raises:
            FlowThingsNotFound: No such flow (the subscription is forgotten).
        """
        self._subscriptions[resource] = None
        if self._conn is None:
            return None
        return await self._subscribe_now(resource, report=False)

    async def unsubscribe(self, resource: str) -> Any:
        """Stop the pushes of a flow subscribed with `subscribe`.

        Returns the platform's answer; made while not connected, the
        subscription is only forgotten and ``None`` is returned.
        """
        self._subscriptions.pop(resource, None)
        if self._conn is None:
            return None
        return await self.send(subscription_message("unsubscribe", resource))

    async def send(self, data: Mapping[str, Any], *, timeout: float | None = None) -> Any:
        """Send a request frame with a fresh ``msgId``; the reply's body is the answer.

        Returns the body of the reply (awaited).

        Args:
            data: The request (``type``, ``object``, ``flowId``, ``id``, ``value``...).
            timeout: Seconds to wait for the reply (default ``request_timeout``).

        Raises:
            FlowThingsException: The subclass of the error reply's status.
            FlowThingsRequestTimeout: No reply in time.
            FlowThingsConnectionLost: The connection ended first.
            FlowThingsNotConnected: No connection is open (nothing was sent).
        """
        conn = self._conn
        if conn is None:
            raise FlowThingsNotConnected(
                ["WebSocket is not connected"], self.creds, str(data.get("type")), None
            )
        loop = asyncio.get_running_loop()
        msg_id = next(self._ids)
        request = with_msg_id(data, msg_id)
        reply: asyncio.Future[Any] = loop.create_future()
        self._pending[msg_id] = (reply, request)
        try:
            # the reader sees a lost connection and fails the request
            with contextlib.suppress(ConnectionClosed):
                await conn.send(json.dumps(request))
            self._last_sent = loop.time()
            wait = self.request_timeout if timeout is None else timeout
            try:
                return await asyncio.wait_for(reply, wait)
            except asyncio.TimeoutError:
                if reply.done() and not reply.cancelled():
                    return reply.result()  # answered as the wait ended
                raise request_timed_out(request, self.creds) from None
        finally:
            # answered, timed out or cancelled: a late reply then matches nothing
            self._pending.pop(msg_id, None)

    def drops(
        self,
        flow_id: str | None = None,
        *,
        timeout: float | None = None,
        raise_on_gap: bool = False,
    ) -> AsyncDropIterator:
        """Iterate over pushed drops as ``Drop`` models.

        Use ``async for``. Only drops pushed after the iterator was created are
        seen. Iteration ends on the final close, or when no drop came for
        ``timeout`` seconds.
        Drops pushed while the client was reconnecting are missed: the
        iterator counts these gaps in ``.gaps``, or raises on them.

        Args:
            flow_id: Only drops of this flow id (default: every subscription).
            timeout: Seconds to wait for each next drop (``None``: forever).
            raise_on_gap: Raise ``FlowThingsConnectionLost`` (and end) when
                the connection is lost, instead of carrying on after the
                reconnection; re-read what was missed, then open a new iterator.
        """
        return AsyncDropIterator(self._streams, flow_id, timeout, raise_on_gap)

    def messages(
        self,
        flow_id: str | None = None,
        *,
        timeout: float | None = None,
        raise_on_gap: bool = False,
    ) -> AsyncMessageIterator:
        """Like `drops`, but yields each pushed drop as the platform sent it (a dict,
        what the thread client's ``on_message`` gets): no model validation."""
        return AsyncMessageIterator(self._streams, flow_id, timeout, raise_on_gap)
