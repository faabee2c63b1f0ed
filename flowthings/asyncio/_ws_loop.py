"""The reader task of the asyncio WebSocket client: connect, serve, reconnect.

`AsyncConnectionLoop` is a mixin of `flowthings.asyncio.WebSocketClient`
(state lives there) holding what runs in the client's task: ``_run`` asks for
a session, connects, re-subscribes, reads frames until the connection ends,
then backs off and starts over; ``_beat`` sends heartbeats for one
connection; ``_dispatch`` turns one frame into a reply, a push or the end of
a subscription, through the thread client's pure decoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .._errors import FlowThingsConnectionError, FlowThingsException
from ..websocket._drops import DropStreams, to_drop
from ..websocket._requests import (
    FlowThingsConnectionLost,
    FlowThingsNotConnected,
    connect_error,
    connection_lost,
    ended_error,
    reply_outcome,
)
from ..websocket._wire import HEARTBEAT, Ended, Push, Reconnection, decode, subscription_message
from ._ws_streams import RawQueue

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from .._config import Token
    from ._ws_client import WebSocketClient

__all__ = ["AsyncConnectionLoop", "AsyncOnError", "AsyncOnReconnect"]

logger = logging.getLogger("flowthings")

AsyncOnError: TypeAlias = "Callable[[WebSocketClient, BaseException], object]"
"""``on_error(ws, exc)``: a lost connection, a failed reconnection attempt, a
refused re-subscription or an ended subscription (called in the loop)."""

AsyncOnReconnect: TypeAlias = "Callable[[WebSocketClient, int], object]"
"""``on_reconnect(ws, attempt)``: a reconnection succeeded and the
subscriptions were restored (called in the loop)."""

_MAX_FRAME = None
"""No size limit on received frames, like the thread client: a ``findmany``
reply can be large, and the platform bounds what it sends."""


class AsyncConnectionLoop(Reconnection):
    """Reader and heartbeat tasks (state lives in ``WebSocketClient``)."""

    session_factory: Callable[[], Awaitable[str]]
    on_error: AsyncOnError | None
    on_reconnect: AsyncOnReconnect | None
    heartbeat_interval: float | None
    connect_timeout: float
    close_timeout: float
    header: dict[str, str] | None
    ssl: ssl_module.SSLContext | None
    creds: Token | None
    _conn: ClientConnection | None
    _pending: dict[int, tuple[asyncio.Future[Any], dict[str, Any]]]
    _subscriptions: dict[str, None]
    _streams: DropStreams
    _opened: asyncio.Future[None] | None
    _closing: asyncio.Event | None
    _last_error: FlowThingsException | None
    _last_sent: float

    if TYPE_CHECKING:

        async def send(self, data: Mapping[str, Any], *, timeout: float | None = None) -> Any: ...

    def _client(self) -> WebSocketClient:
        return self  # type: ignore[return-value]  # the mixin is only used by WebSocketClient

    async def _run(self) -> None:
        assert self._closing is not None
        closing = self._closing
        attempt = 0
        try:
            while not closing.is_set():
                try:
                    url = await self.session_factory()
                    conn = await self._connect(url)
                except Exception as exc:  # a refused session, handshake or connection
                    attempt += 1
                    err = connect_error(
                        exc,
                        self.creds,
                        refused_status=(
                            exc.response.status_code if isinstance(exc, InvalidStatus) else None
                        ),
                        why=f"cannot connect: {exc!r}",
                    )
                    self._last_error = err
                    self._report(err)
                    if not self._should_retry(err, attempt):
                        return
                    await self._backoff(attempt)
                    continue
                await self._serve(conn, attempt)
                attempt = 1
                if closing.is_set() or not self._should_retry(None, attempt):
                    return
                await self._backoff(attempt)
        finally:
            closing.set()
            self._fail_pending(FlowThingsConnectionLost(["WebSocket client closed"], self.creds))
            self._streams.end()
            opened = self._opened
            if opened is not None and not opened.done():
                opened.set_exception(self._gave_up())

    async def _connect(self, url: str) -> ClientConnection:
        options: dict[str, Any] = {}
        if self.ssl is not None:  # websockets refuses an ssl argument for ws://
            options["ssl"] = self.ssl
        return await ws_connect(
            url,
            additional_headers=self.header,
            open_timeout=self.connect_timeout,
            close_timeout=self.close_timeout,
            max_size=_MAX_FRAME,
            **options,
        )

    def _gave_up(self) -> FlowThingsException:
        """What `open` raises when the client ended without ever connecting."""
        last = self._last_error
        if last is not None and not isinstance(last, FlowThingsConnectionError):
            return last  # e.g. FlowThingsForbidden: bad credentials, say so
        err = FlowThingsNotConnected(["WebSocket did not open"], self.creds)
        err.__cause__ = last
        return err

    async def _backoff(self, attempt: int) -> None:
        assert self._closing is not None
        delay = self._backoff_delay(attempt)
        with contextlib.suppress(asyncio.TimeoutError):  # aclose() ends the wait early
            await asyncio.wait_for(self._closing.wait(), delay)

    async def _serve(self, conn: ClientConnection, attempt: int) -> None:
        """Use one connection until it ends; it is always released."""
        assert self._closing is not None
        assert self._opened is not None
        first = not self._opened.done()
        self._conn = conn
        self._last_sent = asyncio.get_running_loop().time()
        helpers = [asyncio.ensure_future(self._restore(conn, list(self._subscriptions), first, attempt))]
        if self.heartbeat_interval is not None:
            helpers.append(asyncio.ensure_future(self._beat(conn, self.heartbeat_interval)))
        code, reason = 1006, "connection lost"  # unless a close frame says otherwise
        try:
            if self._closing.is_set():  # aclose() ran before it could see this connection
                await conn.close(1000, "client closed")
            while True:
                try:
                    text = await conn.recv()
                except ConnectionClosed as closed:
                    # from the exception: `conn.close_code` is websockets >= 13.1 only
                    if closed.rcvd is not None:
                        code, reason = closed.rcvd.code, closed.rcvd.reason
                    break
                try:
                    self._dispatch(text)
                except Exception as exc:  # no frame may end the connection (or the client)
                    self._report(exc)
        finally:
            self._conn = None
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            conn.transport.abort()  # at once when the peer never finished the close
        if not self._closing.is_set():
            lost = connection_lost(code, reason, self.creds)
            self._fail_pending(lost)
            self._streams.gap(lost)
            self._report(lost)

    async def _restore(
        self, conn: ClientConnection, resources: list[str], first: bool, attempt: int
    ) -> None:
        """Re-send subscriptions; mark the client open (or call on_reconnect) once all
        are answered. Nothing fires if the connection was lost before: the next
        connection then counts as the first one again."""
        await asyncio.gather(*(self._subscribe_now(r, report=True) for r in resources))
        if self._conn is not conn:
            return
        if first:
            assert self._opened is not None
            if not self._opened.done():
                self._opened.set_result(None)
        else:
            self._safe(self.on_reconnect, self._client(), attempt)

    async def _subscribe_now(self, resource: str, *, report: bool) -> Any:
        try:
            return await self.send(subscription_message("subscribe", resource))
        except FlowThingsNotConnected:
            return None  # the connection just dropped: sent when the next one opens
        except FlowThingsConnectionError as exc:  # lost or timed out: kept, resent later
            if report:
                self._report(exc)
                return None
            raise
        except FlowThingsException as exc:  # refused: no drop can come for it
            self._subscriptions.pop(resource, None)
            self._streams.refused(resource, exc)
            if report:
                self._report(exc)
                return None
            raise

    async def _beat(self, conn: ClientConnection, interval: float) -> None:
        """Heartbeats: the platform closes connections idle for a while."""
        loop = asyncio.get_running_loop()
        while True:
            due = self._last_sent + interval - loop.time()
            if due > 0:
                await asyncio.sleep(due)
                continue
            self._last_sent = loop.time()
            try:
                await conn.send(HEARTBEAT)
            except ConnectionClosed:
                return  # the reader sees the loss

    # -- frames ------------------------------------------------------------

    def _dispatch(self, text: str | bytes) -> None:
        frame = decode(text)
        if isinstance(frame, Push):
            queues = self._streams.wanted(frame.resource)
            drop: object = None  # validated once, and only if a drops() iterator wants it
            for q in queues:
                if isinstance(q, RawQueue):
                    q.put_nowait(frame.value)
                    continue
                if drop is None:
                    drop = to_drop(frame.value)
                q.put_nowait(drop)
        elif isinstance(frame, Ended):
            # the platform ended a subscription: forget it, end its iterators
            exc = ended_error(frame.head, self.creds)
            self._subscriptions.pop(frame.resource, None)
            self._streams.refused(frame.resource, exc)
            self._report(exc)
        elif frame is not None:
            msg_id = frame.msg_id
            if not isinstance(msg_id, int) or isinstance(msg_id, bool):
                return
            pending = self._pending.pop(msg_id, None)
            if pending is None or pending[0].done():
                return
            reply, request = pending
            try:
                outcome = reply_outcome(frame.head, frame.body, request, self.creds)
            except Exception as exc:  # e.g. a head.status that is not a number
                reply.set_exception(exc)
                return
            if isinstance(outcome, BaseException):
                reply.set_exception(outcome)
            else:
                reply.set_result(outcome)

    def _fail_pending(self, exc: FlowThingsException) -> None:
        pending, self._pending = self._pending, {}
        for reply, _ in pending.values():
            if not reply.done():
                reply.set_exception(exc)

    def _report(self, exc: BaseException) -> None:
        """Give an error to ``on_error``, or log it (never silent, never the token)."""
        if self.on_error is None:
            logger.warning("WebSocket error (no on_error callback): %s", exc)
            return
        self._safe(self.on_error, self._client(), exc)

    def _safe(self, fn: Callable[..., object] | None, *args: Any) -> None:
        """Call a user callback; its exception is logged, never raised into the reader."""
        if fn is None:
            return
        try:
            fn(*args)
        except Exception:
            logger.warning("WebSocket callback raised", exc_info=True)
