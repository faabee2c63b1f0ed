"""Requests over the WebSocket: errors, the pending-reply record, and CRUD helpers.

`DropRequests` is a mixin of `WebSocketClient`:
every helper builds one request frame (``object``/``type``/``flowId``/``id``/
``value``/``options``, as ``websocket.md`` §2 describes) and hands it to
``send``, so each returns the same `Future` and
accepts the same 1.0.5-style ``callback(ws, reply_body)``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .._errors import (
    FlowThingsConnectionError,
    FlowThingsException,
    FlowThingsTimeout,
    exception_for_status,
)
from ._callbacks import OnError, OnReply
from ._wire import (
    create_drop_frame,
    delete_drop_frame,
    find_drop_frame,
    find_drops_frame,
    request_frame,
    subscription_message,
    update_drop_frame,
    with_msg_id,
)

if TYPE_CHECKING:
    from .._config import Token

__all__ = [
    "Callback",
    "DropRequests",
    "ErrorCallback",
    "FlowThingsConnectionLost",
    "FlowThingsNotConnected",
    "FlowThingsRequestTimeout",
    "Pending",
    "RequestTable",
    "Sender",
    "connect_error",
    "connection_lost",
    "ended_error",
    "handshake_refused",
    "reply_outcome",
    "request_timed_out",
    "settle",
    "subscription_message",
]

Callback = OnReply
"""``callback(ws, reply_body)``."""
ErrorCallback = OnError
"""``errback(ws, exc)``."""


class FlowThingsConnectionLost(FlowThingsConnectionError):
    """The WebSocket connection ended before the request was answered."""


class FlowThingsNotConnected(FlowThingsConnectionLost):
    """A request was sent while the client had no open connection (refused)."""


class FlowThingsRequestTimeout(FlowThingsTimeout):
    """No reply came within ``request_timeout`` seconds."""


@dataclass
class Pending:
    """A request waiting for its reply."""

    future: Future[Any]
    callback: Callback | None
    errback: ErrorCallback | None
    deadline: float
    request: dict[str, Any]


def settle(future: Future[Any], outcome: Any) -> None:
    """Resolve ``future`` with a result, or fail it with an exception instance."""
    if future.done():  # cancelled by its caller
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class RequestTable:
    """Requests waiting for replies, keyed by their integer ``msgId`` (thread-safe).

    Deadlines are kept in a heap, so finding the next one and expiring the late
    ones cost O(log n) per request rather than a scan of every pending request.
    A heap entry whose request was answered stays until its deadline passes
    (then `expired` drops it), so the heap holds at most the requests
    sent within one timeout; the table itself only the unanswered ones.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, Pending] = {}
        self._deadlines: list[tuple[float, int]] = []

    def add(
        self,
        data: Mapping[str, Any],
        callback: Callback | None,
        errback: ErrorCallback | None,
        timeout: float,
    ) -> Pending:
        """Register a request; its frame (with a fresh ``msgId``) is ``request``."""
        with self._lock:
            msg_id = next(self._ids)
            request = with_msg_id(data, msg_id)
            deadline = time.monotonic() + timeout
            pending = Pending(Future(), callback, errback, deadline, request)
            self._pending[msg_id] = pending
            heapq.heappush(self._deadlines, (deadline, msg_id))
        return pending

    def pop(self, msg_id: Any) -> Pending | None:
        """Remove and return the request answered by ``msg_id`` (ours are ints)."""
        if not isinstance(msg_id, int) or isinstance(msg_id, bool):
            return None
        with self._lock:
            return self._pending.pop(msg_id, None)

    def expired(self, now: float) -> list[Pending]:
        """Remove and return the requests whose deadline passed."""
        late: list[Pending] = []
        with self._lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                _, msg_id = heapq.heappop(self._deadlines)
                pending = self._pending.pop(msg_id, None)
                if pending is not None:
                    late.append(pending)
        return late

    def next_deadline(self) -> float | None:
        """The earliest deadline of a waiting request, if any."""
        with self._lock:
            while self._deadlines and self._deadlines[0][1] not in self._pending:
                heapq.heappop(self._deadlines)  # answered: forget its deadline
            return self._deadlines[0][0] if self._deadlines else None

    def drain(self) -> list[Pending]:
        """Remove and return every waiting request."""
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
            self._deadlines.clear()
            return pending

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)


def reply_outcome(
    head: Mapping[str, Any], body: Any, request: Mapping[str, Any], creds: Token | None
) -> Any:
    """The reply body, or the exception for an error reply (mapped by status)."""
    if head.get("ok", False):
        return body
    status = int(head.get("status") or 400)
    errors: list[str] = head.get("errors") or []
    exc: FlowThingsException = exception_for_status(status)(
        errors, creds, str(request.get("type")), None, status
    )
    return exc


def ended_error(head: Mapping[str, Any], creds: Token | None) -> FlowThingsException:
    """The exception for an ``unsubscribed`` frame: its status (403, 404) mapped."""
    status = head.get("status")
    code = status if isinstance(status, int) and not isinstance(status, bool) else 404
    errors: object = head.get("errors")
    why = (
        [str(e) for e in cast("list[object]", errors)]
        if isinstance(errors, list)
        else ["subscription ended"]
    )
    return exception_for_status(code)(why, creds, "subscribe", None, code)


def connection_lost(code: int, reason: str, creds: Token | None) -> FlowThingsConnectionLost:
    """The error for a connection that ended without ``close()`` (a gap in the pushes)."""
    why = f"WebSocket closed: {code} {reason}".strip()
    return FlowThingsConnectionLost([why], creds)


def request_timed_out(request: Mapping[str, Any], creds: Token | None) -> FlowThingsRequestTimeout:
    """The error of a request that got no reply in time."""
    why = f"no reply to WebSocket request {request.get('msgId')} in time"
    return FlowThingsRequestTimeout([why], creds, str(request.get("type")))


def handshake_refused(status: int, creds: Token | None) -> FlowThingsConnectionLost:
    """The error of a WebSocket upgrade the server refused with an HTTP ``status``.

    The status line only: a library's message may also carry the response
    headers (cookies) and body, which must not reach logs.
    """
    return FlowThingsConnectionLost(
        [f"handshake refused with HTTP {status}"], creds, "GET", None, status
    )


def connect_error(
    exc: Exception, creds: Token | None, *, refused_status: int | None, why: str
) -> FlowThingsException:
    """The error reported for a failed session request, handshake or connection.

    Args:
        exc: What the attempt raised; a `FlowThingsException` (from the session
            request, e.g. `FlowThingsForbidden`) is reported as it is.
        creds: Credentials, attached to the error.
        refused_status: The HTTP status of a refused WebSocket upgrade, if it was one.
        why: The message of any other failure (chained to ``exc``).
    """
    if isinstance(exc, FlowThingsException):
        return exc
    if refused_status is not None:
        return handshake_refused(refused_status, creds)
    err = FlowThingsConnectionLost([why], creds)
    err.__cause__ = exc
    return err


class Sender:
    """Base of the client's mixins that send requests (``ConnectionLoop``, ``DropRequests``).

    It declares, for mypy only, the ``WebSocketClient.send`` they call; no stub
    exists at run time.
    """

    if TYPE_CHECKING:

        def send(
            self,
            data: Mapping[str, Any],
            callback: Callback | None = None,
            *,
            errback: ErrorCallback | None = None,
            timeout: float | None = None,
        ) -> Future[Any]: ...


class DropRequests(Sender):
    """Request helpers; each returns a future of the reply body."""

    def request(
        self, obj: str, kind: str, callback: Callback | None = None, **fields: Any
    ) -> Future[Any]:
        """Send a request about a ``drop``, ``flow`` or ``track``.

        Args:
            obj: ``drop``, ``flow`` or ``track``.
            kind: ``create``, ``find``, ``findmany``, ``update`` or ``delete``.
            callback: ``callback(ws, reply_body)``.
            **fields: The other members of the frame (``flowId``, ``id``,
                ``value``, ``options``).
        """
        return self.send(request_frame(obj, kind, **fields), callback)

    # The reply bodies are typed as on REST (and as the asyncio client's): the
    # platform answers a WebSocket request with the body of the same REST call.

    def create_drop(
        self, flow_id: str, drop: Any, callback: Callback | None = None
    ) -> Future[dict[str, Any]]:
        """Create a drop (a dict or a ``Drop`` model) in a flow; the reply is the stored drop."""
        return self.send(create_drop_frame(flow_id, drop), callback)

    def find_drop(
        self, flow_id: str, drop_id: str, callback: Callback | None = None
    ) -> Future[dict[str, Any]]:
        """Read one drop by id."""
        return self.send(find_drop_frame(flow_id, drop_id), callback)

    def find_drops(
        self, flow_id: str, callback: Callback | None = None, **options: Any
    ) -> Future[list[dict[str, Any]]]:
        """List a flow's drops; ``options`` are REST query parameters (limit, filter...)."""
        return self.send(find_drops_frame(flow_id, options), callback)

    def update_drop(
        self, flow_id: str, drop_id: str, changes: Any, callback: Callback | None = None
    ) -> Future[dict[str, Any]]:
        """Update a drop with the given members (a dict or a model); the reply is the updated drop."""
        return self.send(update_drop_frame(flow_id, drop_id, changes), callback)

    def delete_drop(
        self, flow_id: str, drop_id: str, callback: Callback | None = None
    ) -> Future[Any]:
        """Delete a drop."""
        return self.send(delete_drop_frame(flow_id, drop_id), callback)
