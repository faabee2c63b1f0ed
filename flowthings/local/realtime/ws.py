"""WebSocket sessions of the local platform (``websocket.md``).

Wiring: ``websocket_routes(platform)`` returns the two routes of the "ws host",
which the local platform serves on the same port as REST:

* ``POST /session`` — ``X-Auth-Account`` + ``X-Auth-Token`` are resolved by the
  core exactly like REST credentials; answers ``201 {"body": {"id": ...}}``.
  Both headers are required; bad credentials are a 403 envelope, as on REST
  (the java client notes the hosted platform answered 400 here).
* ``GET /session/{id}/ws`` — the WebSocket.

Choices where the platform docs are silent:

* **Sessions are single-use** (every client makes a new one per connection) and
  an unused session expires after ``session_ttl`` seconds (default 60). An
  unknown, used or expired id is refused *before* the upgrade with an HTTP 404
  envelope (or, on servers without the ASGI denial-response extension, by
  closing with 1008 policy violation, which uvicorn turns into HTTP 403).
* **Replies** carry the REST envelope plus ``head.msgId``. A successful request
  is answered only when it has a ``msgId``; a failed one is always answered
  (``msgId`` echoed, or ``null``) so misuse is visible. A bad frame (not JSON,
  not an object, unknown ``type``/``object``, missing fields) gets a 400 reply
  and the socket stays open. ``heartbeat`` frames are never answered.
* **Requests run one at a time per connection**, in arrival order, on a worker
  thread (the core is synchronous) — except drop creates that cannot block
  (no tracks in the account, no filter on the flow, a small frame), which run
  on the event loop like REST drop writes; a connection's own writes are
  therefore applied in the order it sent them.
* **CRUD over the socket is REST in disguise**: each request is translated to
  the REST method/resource/params/body it stands for and executed through the
  same core entry point with the session's principal, so statuses, errors and
  permissions are the REST ones. ``object`` is ``drop``, ``flow`` or ``track``;
  ``find`` reads one by ``id``, ``findmany`` lists with ``options`` (REST query
  parameters). ``subscribe`` needs read access to the flow; subscribing to a
  missing flow answers 404. A flow given by ``path`` is resolved to its id at
  subscribe time.
* **Pushes** (``{"type": "message", "resource": flowId, "value": drop}``) come
  from :class:`~flowthings.local.realtime.pubsub.PubSubHub`, registered once per
  platform in the core's ``drop_listeners`` — so every drop *creation* is
  pushed, whatever wrote it (REST, WebSocket, a track), including drops of
  ``capacity: 0`` flows; updates and deletions are not pushed. ``value`` is
  rendered like a ``/v0.1`` read (typed elements; see ``version``).
  A subscription lives until ``unsubscribe`` or the end of the connection.
  **Access is re-checked on every push** against the flow's *current* path
  (a token or share subscriber), and when the flow moves or a token, share
  or group changes; a push reuses the last positive decision while the
  path, the account's access stamp and the expiry of what it rests on
  allow (``auth.stable_until``); when it is gone, or the flow is deleted, the
  subscription ends with one ``{"type": "unsubscribed", "resource":
  flowId, "head": {"status": 403|404, "errors": [...], "msgId": null}}``
  frame (see ``realtime.pubsub``) and nothing more is pushed for it; an
  ``unsubscribe`` by that id then answers 404. Each connection has a bounded
  outgoing queue (``max_queue``, default 1000 frames, replies included, and
  at most 16 MiB of frames, ``pubsub.DEFAULT_MAX_QUEUE_BYTES``). A
  subscriber that falls that far behind is closed with **1013** ("try again
  later") and the reason ``"outgoing queue overflow (N messages)"`` (or
  ``(N bytes)``): writers never wait for slow readers.
* **Idle connections** (no text frame received for ``idle_timeout`` seconds,
  default 120) are closed with 1001 "idle timeout". Clients keep a connection
  alive with ``{"type": "heartbeat"}`` frames (transport pings do not count);
  the SDK client beats every 10 s. Time spent handling a request does not
  count as idle (frames are not read meanwhile).
* **Cleanup**: when a connection ends (either side, overflow or idle close)
  its subscriptions are removed, including one whose subscribe request was
  still being handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from flowthings.local.base import ids as _ids
from flowthings.local.base.asgi_ext import SEND_MANY
from flowthings.local.base.encode import encode_answer, is_large
from flowthings.local.base.envelope import (
    PlatformError,
    bad_request,
    envelope,
    not_found,
    retry_headers,
    too_many_requests,
)
from flowthings.local.base.headers import single_header
from flowthings.local.core.auth import stable_until
from flowthings.local.core.calls import Call
from flowthings.local.core.dispatch import dispatch
from flowthings.local.core.heavy_lane import lane_of
from flowthings.local.core.platform import Platform
from flowthings.local.core.validate import OFF_LOOP_DOCUMENT, parse_document
from flowthings.local.query.params import render_drop
from flowthings.local.realtime.pubsub import DEFAULT_MAX_QUEUE, Outbox, OutboxOverflow, PubSubHub
from flowthings.local.realtime.relay import relay_writes

__all__ = ["SessionStore", "WebSocketSettings", "hub_for", "websocket_routes"]

_OBJECTS = frozenset({"drop", "flow", "track"})
_CRUD = frozenset({"create", "find", "findmany", "update", "delete"})


@dataclass(frozen=True)
class WebSocketSettings:
    """Tunables of the WebSocket endpoint.

    Attributes:
        session_ttl: Seconds an unused session stays valid.
        idle_timeout: Seconds without any received text frame before the
            server closes the connection (1001).
        max_queue: Bound of each connection's outgoing queue (frames).
        close_timeout: Seconds to wait for a close frame to be written.
        version: The REST API version WebSocket requests and pushes follow
            (``0.1``: drop elements rendered typed unless ``hints=0``, as
            v0.1 pushes were; ``4.0``: elements exactly as stored).
    """

    session_ttl: float = 60.0
    idle_timeout: float = 120.0
    max_queue: int = DEFAULT_MAX_QUEUE
    close_timeout: float = 5.0
    version: str = "0.1"


@dataclass(frozen=True)
class _Creds:
    account: str
    token: str


@dataclass
class _Session:
    creds: _Creds
    expires: float


@dataclass
class SessionStore:
    """Pending (not yet connected) sessions; thread-safe.

    At most ``per_account`` sessions of one account wait at a time (a 429
    past that: one tenant cannot fill the server's memory with sessions it
    never connects). Sessions expire in the order they were created (one
    ``ttl`` for all), so expiring looks only at the oldest ones.
    """

    ttl: float = 60.0
    per_account: int = 256
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: dict[str, _Session] = field(default_factory=dict)  # oldest first
    _counts: dict[str, int] = field(default_factory=dict)

    def create(self, creds: _Creds) -> str:
        """Register a new session for ``creds`` and return its id.

        Raises:
            PlatformError: 429 when the account has ``per_account`` sessions waiting.
        """
        now = time.monotonic()
        sid = secrets.token_hex(12)
        with self._lock:
            self._expire(now)
            if self._counts.get(creds.account, 0) >= self.per_account:
                raise too_many_requests(
                    f"More than {self.per_account} sessions of this account wait to be "
                    "connected: connect or let them expire first.",
                    retry_after=max(1, round(self.ttl / 4)),
                )
            self._pending[sid] = _Session(creds, now + self.ttl)
            self._counts[creds.account] = self._counts.get(creds.account, 0) + 1
        return sid

    def claim(self, sid: str) -> _Creds | None:
        """Consume a session: its credentials, or ``None`` if unknown/used/expired."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            session = self._pending.pop(sid, None)
            if session is not None:
                self._forget(session.creds.account)
        return None if session is None else session.creds

    def __len__(self) -> int:
        with self._lock:
            self._expire(time.monotonic())
            return len(self._pending)

    def _expire(self, now: float) -> None:
        while self._pending:
            sid, session = next(iter(self._pending.items()))
            if session.expires > now:
                return  # the others were created later: they expire later
            del self._pending[sid]
            self._forget(session.creds.account)

    def _forget(self, account: str) -> None:
        left = self._counts[account] - 1
        if left:
            self._counts[account] = left
        else:
            del self._counts[account]


_HUBS: weakref.WeakKeyDictionary[Platform, PubSubHub] = weakref.WeakKeyDictionary()
_HUBS_LOCK = threading.Lock()


def hub_for(platform: Platform, version: str = "0.1") -> PubSubHub:
    """The platform's push hub, created and registered on first use.

    Args:
        platform: The platform core.
        version: API version whose drop rendering pushes use (``0.x``: typed
            elements, as v0.1 pushes were; otherwise elements as stored).
            The first call for a platform decides.
    """
    with _HUBS_LOCK:
        hub = _HUBS.get(platform)
        if hub is None:
            hub = PubSubHub()
            typed = version.startswith("0.")

            def listener(account: str, flow: dict[str, Any], drop: dict[str, Any]) -> None:
                # runs under the store lock: render only when someone listens
                if hub.subscriber_count(flow["id"]):
                    hub.publish(flow["id"], render_drop(drop, typed))

            def changed(account: str, kind: str, old: dict[str, Any], new: Any) -> None:
                if kind == "flow":
                    hub.flow_changed(old["id"], None if new is None else new["path"])
                elif kind in ("token", "share", "group", "identity"):
                    # access in this account may have shrunk: end what it no
                    # longer allows (other accounts' grants did not change)
                    hub.recheck(account)

            platform.drop_listeners.append(listener)
            platform.object_listeners.append(changed)
            # several processes on one PostgreSQL database: push the others' writes too
            relay_writes(
                platform.store,
                platform.drop_listeners,
                platform.object_listeners,
                hub,
                listener,
                changed,
            )
            _HUBS[platform] = hub
        return hub


def websocket_routes(
    platform: Platform, settings: WebSocketSettings | None = None
) -> list[BaseRoute]:
    """Routes of the WebSocket host: ``POST /session`` and ``/session/{id}/ws``.

    Args:
        platform: The local platform core.
        settings: Tunables; defaults are documented on :class:`WebSocketSettings`.

    Returns:
        Routes to add to the platform's Starlette app (no version prefix).
    """
    settings = settings or WebSocketSettings()
    hub = hub_for(platform, settings.version)
    sessions = SessionStore(settings.session_ttl)

    async def create_session(request: Request) -> Response:
        try:
            account = single_header(request.headers, "x-auth-account") or ""
            token = single_header(request.headers, "x-auth-token") or ""
            if not account:
                raise PlatformError(403, "The X-Auth-Account header is required.")
            await run_in_threadpool(platform.authenticate, token, account)
            sid = sessions.create(_Creds(account, token))
        except PlatformError as exc:
            body = envelope(exc.status, errors=exc.errors)
            return JSONResponse(body, exc.status, retry_headers(exc))
        return JSONResponse(envelope(201, {"id": sid}), 201)

    async def session_socket(websocket: WebSocket) -> None:
        creds = sessions.claim(websocket.path_params["session_id"])
        if creds is None:
            await _refuse(websocket)
            return
        await websocket.accept()
        await _Connection(websocket, platform, hub, creds, settings).serve()

    return [
        Route("/session", create_session, methods=["POST"]),
        WebSocketRoute("/session/{session_id}/ws", session_socket),
    ]


async def _encode_reply(reply: dict[str, Any], pushed: tuple[Any, str] | None = None) -> str:
    """The frame text of ``reply``: many documents are encoded off the loop, and an
    answer over ``MAX_RESPONSE`` becomes a 400 reply (same ``msgId``).

    ``pushed``: the last pushed drop and its text (``PubSubHub.last_value``); a
    create's reply whose body is that drop reuses the text.
    """
    body = reply.get("body")
    if pushed is not None and type(body) is dict and len(reply) == 2 and body == pushed[0]:
        # json.dumps(reply): the envelope is {"head": ..., "body": ...}, in that order
        return f'{{"head": {json.dumps(reply["head"])}, "body": {pushed[1]}}}'
    try:
        if is_large(body):
            return await run_in_threadpool(encode_answer, reply, compact=False)
        return encode_answer(reply, compact=False, large=False)
    except PlatformError as exc:
        refused = envelope(exc.status, errors=exc.errors)
        refused["head"]["msgId"] = reply["head"].get("msgId")
        return json.dumps(refused)


INLINE_TURN = 8
"""Frames a connection answers on the loop in a row before it lets others run."""

_BATCH_CHARS = 64 * 1024
"""Characters of frames written to a socket at once (a frame over it goes alone)."""


def _batches(frames: list[str]) -> list[list[str]]:
    """``frames`` in order, grouped into runs of at most :data:`_BATCH_CHARS` characters."""
    out: list[list[str]] = []
    size = _BATCH_CHARS
    for frame in frames:
        if size + len(frame) > _BATCH_CHARS:
            out.append([])
            size = 0
        out[-1].append(frame)
        size += len(frame)
    return out


def _request(msg: Any) -> dict[str, Any]:
    """``msg`` as a request frame (a JSON object)."""
    if not isinstance(msg, dict):
        raise bad_request("Frame must be a JSON object.")
    return msg


def _kind(msg: dict[str, Any]) -> str:
    """The request's ``type``."""
    kind = msg.get("type")
    if not isinstance(kind, str):
        raise bad_request("'type' must be a string.")
    return kind


def _reply(
    msg_id: Any, error: Exception | None, status: int = 200, body: Any = None
) -> dict[str, Any] | None:
    """The reply frame of a request: its error's envelope, or its result's when it
    has a ``msgId`` (a successful request without one is not answered)."""
    if isinstance(error, PlatformError):
        reply = envelope(error.status, errors=error.errors)
    elif error is not None:  # never let a request kill the socket
        reply = envelope(500, errors=["An internal error occurred."])
    elif msg_id is None:
        return None
    else:
        reply = envelope(status, body)
    reply["head"]["msgId"] = msg_id
    return reply


async def _refuse(websocket: WebSocket) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        err = not_found("Unknown or expired WebSocket session.")
        body = envelope(404, errors=err.errors)
        await websocket.send_denial_response(JSONResponse(body, 404))
    else:
        await websocket.close(code=1008, reason="unknown session")


class _Connection:
    """One accepted socket: receive loop, sender task and idle watchdog."""

    def __init__(
        self,
        websocket: WebSocket,
        platform: Platform,
        hub: PubSubHub,
        creds: _Creds,
        settings: WebSocketSettings,
    ) -> None:
        self.ws = websocket
        self.platform = platform
        self.hub = hub
        self.creds = creds
        self.settings = settings
        self.outbox = Outbox(asyncio.get_running_loop(), settings.max_queue)
        self.last_seen = time.monotonic()
        self.close_code: int | None = None
        self.close_reason = ""
        # set when the connection ends: requests still running in worker threads stop
        self.gone = threading.Event()

    async def serve(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        watchdog = asyncio.create_task(self._watch_idle())
        receiver = asyncio.create_task(self._receive_loop())
        try:
            await asyncio.wait({sender, watchdog, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.gone.set()
            self.outbox.close()  # first: a subscribe still in a worker thread is refused
            self.hub.drop_connection(self.outbox)
            for task in (sender, watchdog, receiver):
                task.cancel()
            await asyncio.gather(sender, watchdog, receiver, return_exceptions=True)
        if self.close_code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.ws.close(self.close_code, self.close_reason), self.settings.close_timeout
                )

    async def _send_loop(self) -> None:
        many = SEND_MANY in self.ws.scope.get("extensions", {})
        try:
            while True:
                frames = await self.outbox.get()
                if not many:
                    for frame in frames:
                        await self.ws.send_text(frame)
                    continue
                for batch in _batches(frames):
                    # each send waits while the socket's buffer is full: a slow reader
                    # holds at most one batch there beyond the outbox's own bound
                    await self.ws.send(
                        {"type": "websocket.send", "text": batch[0], SEND_MANY: batch[1:]}
                    )
        except OutboxOverflow:
            self.close_code = 1013
            self.close_reason = self.outbox.reason
        except Exception:  # the peer went away mid-send
            return

    async def _watch_idle(self) -> None:
        timeout = self.settings.idle_timeout
        while True:
            remaining = self.last_seen + timeout - time.monotonic()
            if remaining <= 0:
                self.close_code = 1001
                self.close_reason = "idle timeout"
                return
            await asyncio.sleep(remaining)

    async def _receive_loop(self) -> None:
        upcoming: asyncio.Future[Any] | None = None
        inline = 0
        try:
            while True:
                message = await (upcoming or self.ws.receive())
                upcoming = None
                if message["type"] == "websocket.disconnect":
                    return
                text: str | bytes | None = message.get("text")
                if text is None:
                    text = message.get("bytes")
                if text is None:
                    continue
                self.last_seen = time.monotonic()
                done, reply_or_msg = self._on_loop(text)
                if done:
                    reply = reply_or_msg
                    inline += 1
                    if inline % INLINE_TURN == 0:
                        # frames already queued come back without a pause: let the
                        # other connections and requests have the loop in between
                        await asyncio.sleep(0)
                else:
                    # Requests are handled one at a time, in order; the next message is
                    # awaited meanwhile only to notice a disconnect: the request's work
                    # (a find in a worker thread) then stops (``Call.cancel``).
                    handling = asyncio.ensure_future(self._handle(text, reply_or_msg))
                    upcoming = asyncio.ensure_future(self.ws.receive())
                    await asyncio.wait({handling, upcoming}, return_when=asyncio.FIRST_COMPLETED)
                    if upcoming.done() and (
                        upcoming.exception() is not None
                        or upcoming.result()["type"] == "websocket.disconnect"
                    ):
                        self.gone.set()
                    reply = await handling
                    # frames queued behind a slow request were not read meanwhile
                    self.last_seen = time.monotonic()
                if reply is not None:
                    self.outbox.put(await _encode_reply(reply, self.hub.last_value))
        except WebSocketDisconnect:
            return
        finally:
            if upcoming is not None and not upcoming.done():
                upcoming.cancel()

    def _on_loop(self, text: str | bytes) -> tuple[bool, Any]:
        """Answer the frame right here when that is as short as any write.

        Returns ``(True, reply)`` for a heartbeat, a frame that is not a valid
        request, or a drop create that runs on the loop (:meth:`_short`) — no
        task, no thread hop; ``(False, request)`` for anything :meth:`_handle`
        must run: the parsed request, or ``None`` for a frame too big to parse
        on the loop.
        """
        if len(text) > OFF_LOOP_DOCUMENT:
            return False, None
        msg_id: Any = None
        try:
            # the REST body check, so a frame's value is refused exactly as a body would be
            msg = _request(parse_document(text, "The frame"))
            msg_id = msg.get("msgId")
            kind = _kind(msg)
            if kind == "heartbeat":
                return True, None
            if kind != "create" or not self._short(msg):
                return False, msg
            status, body = self._crud(kind, msg)
        except Exception as exc:
            return True, _reply(msg_id, exc)
        return True, _reply(msg_id, None, status, body)

    async def _handle(self, text: str | bytes, msg: dict[str, Any] | None) -> dict[str, Any] | None:
        """Run the request ``msg`` (parsed by :meth:`_on_loop`), or parse and run the
        big frame ``text`` (``msg`` is ``None``) off the loop."""
        msg_id: Any = None
        try:
            if msg is None:  # ~1 s per MiB of tiny items: not on the loop
                who = self.platform.authenticate(self.creds.token, self.creds.account)
                msg = _request(
                    await lane_of(self.platform).run(who.account, parse_document, text, "The frame")
                )
            msg_id = msg.get("msgId")
            kind = _kind(msg)
            if kind == "heartbeat":
                return None
            if kind in ("subscribe", "unsubscribe"):
                status, body = await run_in_threadpool(self._subscription, kind, msg)
            elif kind in _CRUD:
                status, body = await run_in_threadpool(self._crud, kind, msg)
            else:
                raise bad_request(f"Unknown message type: {kind!r}.")
        except Exception as exc:
            return _reply(msg_id, exc)
        return _reply(msg_id, None, status, body)

    def _short(self, msg: dict[str, Any]) -> bool:
        """Whether a create is a drop write as short as any other: run on the loop.

        As for REST (``http.app._may_block``), a drop write leaves the loop when it
        may run track JavaScript (the account has tracks) or a flow filter's
        regexes (the flow has a ``filter``); otherwise a thread hop (and the GIL
        hand-offs it brings) costs more than the write and delays every push.
        """
        flow_id = msg.get("flowId")
        if msg.get("object") != "drop" or not isinstance(flow_id, str):
            return False
        store, account = self.platform.store, self.creds.account
        if store.has_kind(account, "track"):
            return False
        flow = store.get(account, "flow", flow_id)
        return flow is not None and not flow.get("filter")

    def _subscription(self, kind: str, msg: dict[str, Any]) -> tuple[int, Any]:
        obj = msg.get("object", "drop")
        if obj != "drop":
            raise bad_request("Only 'drop' subscriptions are supported.")
        flow_id, path = msg.get("flowId"), msg.get("path")
        if not isinstance(flow_id, str) and not isinstance(path, str):
            raise bad_request("A subscription needs 'flowId' or 'path'.")
        account = self.creds.account
        principal = self.platform.authenticate(self.creds.token, account)
        try:
            flow = self.platform.flow(
                principal,
                account,
                flow_id if isinstance(flow_id, str) else None,
                path if isinstance(path, str) else None,
            )
        except PlatformError as exc:
            # the flow was deleted after it was subscribed: let its id be unsubscribed
            gone = exc.status == 404 and kind == "unsubscribe"
            if gone and isinstance(flow_id, str) and self.hub.unsubscribe(flow_id, self.outbox):
                return 200, {}
            raise
        self.platform.authorize(principal, "drop_read", account, flow["path"])
        if kind == "subscribe":
            check = None
            if not (principal.master and principal.account == account):
                check = self._still_allowed(account)
            self.hub.subscribe(flow["id"], self.outbox, check, flow["path"], account)
        else:
            self.hub.unsubscribe(flow["id"], self.outbox)
        return 200, {}

    def _still_allowed(self, account: str) -> Callable[[str], bool]:
        """A re-check of ``drop_read`` on the flow's current path, for tokens and
        shares (they expire or are revoked, and the flow may move out of scope)."""
        platform, token = self.platform, self.creds.token
        store = platform.store
        # the last decision that allowed, as (path, access stamp, valid until ms):
        # it stands while the flow's path and the account's access objects are
        # unchanged and nothing it rests on expired (``auth.stable_until``)
        passed: list[tuple[str, tuple[int, int], float]] = []

        def check(path: str) -> bool:
            stamp = store.access_stamp(account)  # read before the objects it covers
            now = _ids.now_ms()
            if passed and passed[0][:2] == (path, stamp) and now < passed[0][2]:
                return True
            passed.clear()
            try:
                principal = platform.authenticate(token, account)
            except PlatformError:
                return False
            if not platform.can(principal, "drop_read", account, path):
                return False
            passed.append((path, stamp, stable_until(principal, account, now)))
            return True

        return check

    def _crud(self, kind: str, msg: dict[str, Any]) -> tuple[int, Any]:
        obj = msg.get("object")
        if not isinstance(obj, str) or obj not in _OBJECTS:
            raise bad_request("'object' must be one of 'drop', 'flow', 'track'.")
        object_id = msg.get("id")
        value = msg.get("value")
        options = msg.get("options") or {}
        if kind in ("find", "update", "delete") and not isinstance(object_id, str):
            raise bad_request(f"'{kind}' needs an 'id'.")
        if kind in ("create", "update") and not isinstance(value, dict):
            raise bad_request(f"'{kind}' needs a 'value' object.")
        if not isinstance(options, dict):
            raise bad_request("'options' must be an object.")
        segments: list[str] = [obj]
        if obj == "drop":
            flow_id = msg.get("flowId")
            if isinstance(flow_id, str):
                segments.append(flow_id)
            elif kind != "create":
                raise bad_request("Drop requests need a 'flowId'.")
        if isinstance(object_id, str) and kind != "create" and kind != "findmany":
            segments.append(object_id)
        method = {
            "create": "POST",
            "find": "GET",
            "findmany": "GET",
            "update": "PUT",
            "delete": "DELETE",
        }[kind]
        call = Call(
            method=method,
            version=self.settings.version,
            account=self.creds.account,
            segments=segments,
            params={str(k): v if isinstance(v, str) else json.dumps(v) for k, v in options.items()},
            body=value,
            token=self.creds.token,
            auth_account=self.creds.account,
            cancel=self.gone,
            checked=True,  # `value` is part of a frame parse_document decoded
        )
        result = dispatch(self.platform, call)
        return result.status, result.body
