"""Incoming frames and callbacks of the WebSocket client.

:class:`Dispatcher` is a mixin of :class:`~flowthings.websocket._client.WebSocketClient`:
it turns one received text frame into a reply (settling the request's future
and calling its ``callback``) or a push (``on_message``, ``on_drop`` and the
``drops()`` iterators), and it is the one place where user callbacks are
called: :meth:`Dispatcher._safe` reports an exception raised by any callback to
``on_error`` (one raised by ``on_error`` itself, or any error when there is no
``on_error``, is logged as a warning on the ``flowthings`` logger), so a
faulty callback never stops the reader thread. A malformed frame (not JSON,
unexpected shapes, an unparsable ``head.status``) is ignored, or reported to
``on_error`` when it belonged to a request, and never ends the connection.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._errors import FlowThingsException
from ._callbacks import OnDrop, OnMessage
from ._drops import DropStreams, to_drop
from ._requests import ErrorCallback, Pending, RequestTable, ended_error, reply_outcome, settle
from ._wire import Ended, Push, Reply, decode

if TYPE_CHECKING:
    from .._config import Token
    from ._client import WebSocketClient

__all__ = ["Dispatcher"]

logger = logging.getLogger("flowthings")


class Dispatcher:
    """Frame dispatch and safe callback calls (state lives in ``WebSocketClient``)."""

    on_message: OnMessage | None
    on_error: ErrorCallback | None
    on_drop: OnDrop | None
    creds: Token | None
    _requests: RequestTable
    _streams: DropStreams
    _lock: threading.RLock
    _subscriptions: dict[str, None]

    def _client(self) -> WebSocketClient:
        return self  # type: ignore[return-value]  # the mixin is only used by WebSocketClient

    def _dispatch(self, text: str) -> None:
        """Handle one received text frame (runs in the reader thread)."""
        frame = decode(text)
        if isinstance(frame, Push):
            self._push(frame.resource, frame.value)
        elif isinstance(frame, Ended):
            self._ended(frame)
        elif frame is not None:
            self._reply(frame)

    def _reply(self, frame: Reply) -> None:
        pending = self._requests.pop(frame.msg_id)
        if pending is None:
            return
        if pending.callback is not None:
            self._safe(pending.callback, self._client(), frame.body)
        try:
            outcome = reply_outcome(frame.head, frame.body, pending.request, self.creds)
        except Exception as exc:  # e.g. a head.status that is not a number
            settle(pending.future, exc)
            self._report(exc)
            return
        settle(pending.future, outcome)

    def _ended(self, frame: Ended) -> None:
        """The platform ended a subscription (flow deleted, access gone): nothing
        more will come for that flow, so it is forgotten (not restored after a
        reconnection), its iterators end with the error, and it is reported."""
        exc = ended_error(frame.head, self.creds)
        with self._lock:
            self._subscriptions.pop(frame.resource, None)
        self._streams.refused(frame.resource, exc)
        self._report(exc)

    def _push(self, resource: str, value: Any) -> None:
        ws = self._client()
        if self.on_message is not None:
            self._safe(self.on_message, ws, resource, value)
        queues = self._streams.wanted(resource)
        if self.on_drop is None and not queues:
            return
        try:
            drop = to_drop(value)
        except Exception as exc:
            self._report(exc)
            return
        if self.on_drop is not None:
            self._safe(self.on_drop, ws, resource, drop)
        for q in queues:
            q.put_nowait(drop)

    def _fail_pending(self, exc: FlowThingsException) -> None:
        for p in self._requests.drain():
            self._fail(p, exc)

    def _fail(self, pending: Pending, exc: FlowThingsException) -> None:
        settle(pending.future, exc)
        if pending.errback is not None:
            self._safe(pending.errback, self._client(), exc)
        elif self.on_error is not None:
            self._safe(self.on_error, self._client(), exc)
        else:  # the request's future holds the error: not worth a warning
            logger.debug("WebSocket request failed: %s", exc)

    def _report(self, exc: BaseException) -> None:
        """Give an error to ``on_error``, or log it when there is no ``on_error``.

        Logged rather than dropped so that a lost connection (and with it the
        pushes it carried) is never silent; the token is never in the message.
        """
        if self.on_error is None:
            logger.warning("WebSocket error (no on_error callback): %s", exc)
            return
        self._safe(self.on_error, self._client(), exc)

    def _safe(self, fn: Callable[..., Any] | None, *args: Any) -> None:
        """Call a user callback; its exception goes to ``on_error``, never upward."""
        if fn is None:
            return
        try:
            fn(*args)
        except Exception as exc:
            on_error = self.on_error
            if fn is on_error:
                logger.warning("on_error callback raised", exc_info=True)
            elif on_error is None:
                logger.warning("WebSocket callback raised (no on_error callback)", exc_info=True)
            else:
                with contextlib.suppress(Exception):  # a raising on_error has nowhere to go
                    on_error(self._client(), exc)
