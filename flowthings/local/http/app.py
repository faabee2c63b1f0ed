"""ASGI application of the local platform (HTTP routes only).

Every request under ``/v{version}/{account}/...`` becomes a
:class:`~flowthings.local.core.dispatch.Call`; the platform core does the rest.

Choices:

* The core runs synchronously on the event loop thread (SQLite calls are
  short and serialized by the store lock anyway), avoiding a thread hop per
  request — except ``POST /track/simulate``, aggregations, drop writes
  to an account that has tracks or to a flow that has a filter, drop
  updates and bodies carrying a ``filter``, which may run track JavaScript
  (up to 200 ms per track), regexes (up to 1 s) or scan big flows and so
  run in the threadpool (``_may_block``). Calls whose body is over 64 KiB
  or gzipped are authenticated from their headers first (a stranger's big
  body is never parsed), then decompressed, parsed, validated, stored and
  rendered in the platform's heavy lane
  (:mod:`flowthings.local.core.heavy_lane`: two at a time, one per account,
  accounts in turn, a 429 past 16 waiting). Answers of
  many documents are encoded in a worker thread, and no answer exceeds
  ``MAX_RESPONSE`` (16 MiB; see :mod:`flowthings.local.base.encode`). Drop
  listeners still see writes
  in commit order: the store lock orders them, whatever thread writes.
* Bodies over 1 MiB and anything :func:`~flowthings.local.core.validate.parse_document`
  refuses (malformed JSON, ``NaN``/``Infinity``, numbers out of the float
  range such as ``1e400``, integers over 4300 digits, nesting deeper than
  ``MAX_DEPTH`` = 128 levels, strings holding a lone UTF-16 surrogate,
  non-UTF-8 bodies) are 400 envelopes — the same check as WebSocket
  frames. An empty body is "no body". ``Content-Encoding: gzip`` bodies
  are accepted.
* Unknown paths are 404 envelopes; unsupported methods on known routes are
  405 envelopes; anything unexpected is logged and answered with a 500
  envelope (never a traceback).
* ``HEAD`` is treated like ``GET``. A trailing slash is ignored.
"""

from __future__ import annotations

import dataclasses
import gzip
import logging
import threading
import zlib
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from flowthings.local.base.encode import encode_envelope, is_large
from flowthings.local.base.envelope import (
    ERR_INTERNAL,
    PlatformError,
    bad_request,
    not_found,
    retry_headers,
)
from flowthings.local.base.headers import single_header
from flowthings.local.core.auth import Principal
from flowthings.local.core.calls import NO_BODY, Call
from flowthings.local.core.dispatch import dispatch, principal_of
from flowthings.local.core.heavy_lane import lane_of
from flowthings.local.core.platform import Platform
from flowthings.local.core.validate import OFF_LOOP_DOCUMENT, parse_document

__all__ = [
    "BIG_ACCOUNT_BYTES",
    "CANCEL_KEY",
    "MAX_BODY",
    "METHODS",
    "PlatformApp",
    "RestApp",
    "cancel_event",
    "create_app",
    "json_response",
]

log = logging.getLogger("flowthings.local")

MAX_BODY = 1024 * 1024
BIG_ACCOUNT_BYTES = 16 * 1024 * 1024
"""Reads of an account storing more than this leave the event loop (see ``_big_read``)."""
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "MGET", "MPUT", "PATCH", "OPTIONS"]
_METHOD_SET = frozenset(METHODS)
_TOO_LARGE = f"The request body exceeds {MAX_BODY} bytes."

CANCEL_KEY = "flowthings.cancel"
"""ASGI scope key of the request's cancel event (see :func:`cancel_event`)."""


def cancel_event(scope: Any) -> threading.Event:
    """The event set when the request's client disconnects (shared through the
    ASGI scope: the HTTP protocol sets it on connection loss, see
    ``http.server``); the core stops the request's SQLite reads and filter
    evaluations once it is set. Created by whichever side asks first (both
    run on the event loop)."""
    event: threading.Event = scope.setdefault(CANCEL_KEY, threading.Event())
    return event


def json_response(
    status: int,
    body: Any = None,
    *,
    errors: Sequence[str] = (),
    references: dict[str, Any] | None = None,
) -> Response:
    """Return an enveloped JSON response."""
    raw = encode_envelope(status, body, references, errors=errors)
    return Response(raw, status, media_type="application/json")


async def _read_raw(receive: Receive, headers: Headers) -> bytes:
    """The request body's bytes as sent (at most ``MAX_BODY``; nothing parsed yet)."""
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise bad_request(_TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect  # the client left (or the server cut a refused body short)
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise bad_request(_TOO_LARGE)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _is_gzip(headers: Headers, raw: bytes) -> bool:
    return bool(raw) and headers.get("content-encoding", "").lower() == "gzip"


def _answer_heavy(platform: Platform, call: Call, raw: bytes, gzipped: bool) -> tuple[int, bytes]:
    """Decompress, parse, validate, run and encode a big call (in the heavy lane)."""
    body = _parse_body(_gunzip(raw) if gzipped else raw)
    return _answer(platform, dataclasses.replace(call, body=body))


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return NO_BODY
    return parse_document(raw)


def _gunzip(raw: bytes) -> bytes:
    try:
        d = zlib.decompressobj(wbits=31)
        raw = d.decompress(raw, MAX_BODY + 1)
    except (zlib.error, gzip.BadGzipFile):
        raise bad_request("The request body is not valid gzip.") from None
    if len(raw) > MAX_BODY:
        raise bad_request(_TOO_LARGE)
    return raw


def _may_block(platform: Platform, call: Call) -> bool:
    """Whether ``call`` may run for long (track JavaScript, an aggregation, a scan, a regex).

    A drop write runs track JS only when the account has tracks; without any,
    it is as short as any other write and stays on the event loop (a thread
    hop costs more than the write itself). A track created meanwhile at worst
    runs one write's tracks on the loop. ``MGET``/``MPUT`` (many objects, or
    a find per flow) and finds that evaluate a ``filter`` or ``sort`` on
    every object leave the loop too, so one tenant's big query cannot stall
    the others' requests (the GIL is handed back every few milliseconds).
    So do drop writes that a flow filter gates (a POST to a flow that has a
    ``filter``, every drop PUT) and bodies carrying a ``filter`` to compile:
    a filter's regexes may use their whole 1 s budget, which on the loop
    would be every tenant's time.
    """
    seg = call.segments
    if call.method in ("MGET", "MPUT"):
        return True
    if call.method == "GET":
        flt = call.params.get("filter", "")
        # RE2 releases the GIL: a costly regex filter then delays only its caller
        if "=~" in flt or "MATCHES" in flt:
            return True
        return bool(seg) and len(seg) <= 2 and any(k in call.params for k in ("filter", "sort"))
    if call.method not in ("POST", "PUT"):
        return False
    if isinstance(call.body, dict) and "filter" in call.body:
        return True  # a flow's or track's new filter is compiled (lark: ms per KB)
    if seg[:1] != ["drop"]:
        return call.method == "POST" and seg[:2] == ["track", "simulate"]
    if call.method == "PUT":
        return len(seg) > 1  # an updated drop is gated against its flow's filter
    if len(seg) > 2 or platform.store.has_kind(call.account, "track"):
        return True
    return _gated(platform, call)


def _gated(platform: Platform, call: Call) -> bool:
    """Whether a drop POST goes to a flow with a filter (evaluated on the drop:
    regexes may take up to their 1 s budget, so that must not be the loop's time).
    One indexed read; a flow without a filter keeps the write on the loop."""
    seg = call.segments
    if len(seg) > 1:
        flow = platform.store.get(call.account, "flow", seg[1])
    else:
        path = call.body.get("path") if isinstance(call.body, dict) else None
        flow = platform.store.flow_by_path(call.account, path) if isinstance(path, str) else None
    return flow is not None and bool(flow.get("filter"))


def _big_read(platform: Platform, call: Call, who: Principal) -> bool:
    """Whether a read must leave the event loop because of how much its account stores.

    An account may store up to its quota (1 GiB) in documents of up to 1 MiB:
    a page of such drops is seconds of decoding and rendering, which on the
    loop would be every tenant's time. Reads of an account storing more than
    :data:`BIG_ACCOUNT_BYTES` run in a worker thread (the GIL is handed back
    between documents); small accounts keep the cheaper loop. Reads of
    another account's data (a share) always leave the loop: its size is
    looked up only for its own callers.
    """
    if who.account != call.account:
        return True
    return platform.store.stored_bytes(call.account) > BIG_ACCOUNT_BYTES


def _answer(platform: Platform, call: Call, who: Principal | None = None) -> tuple[int, bytes]:
    # a call that already left the loop is encoded in the same worker thread
    result = dispatch(platform, call, who)
    return result.status, encode_envelope(result.status, result.body, result.references)


def _url_path(scope: Any) -> str:
    # what ``request.url.path`` gives, without building (and parsing) a whole URL
    path: str = scope["path"]
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


def _call(scope: Scope, headers: Headers, body: Any) -> Call:
    parts = [s for s in _url_path(scope).split("/") if s]
    if len(parts) < 2 or not parts[0].startswith("v"):
        raise not_found()
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    return Call(
        method=method,
        version=parts[0][1:],
        account=parts[1],
        segments=parts[2:],
        params=dict(QueryParams(query)) if (query := scope["query_string"]) else {},
        body=body,
        token=single_header(headers, "x-auth-token"),
        auth_account=single_header(headers, "x-auth-account"),
        cancel=cancel_event(scope),
        checked=True,  # the body is NO_BODY or came out of parse_document
    )


class RestApp:
    """The REST catch-all as a bare ASGI app: every ``/v{version}/{account}/...`` call.

    A Starlette ``Request``/``Response`` pair, its router and its two
    middlewares cost more than the platform's own work on a small drop write,
    so :class:`PlatformApp` sends REST calls here directly (the answers are
    the same: an enveloped JSON body with its length).
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, raw, extra = await self._answer(scope, receive)
        head = [
            (b"content-length", str(len(raw)).encode("ascii")),
            (b"content-type", b"application/json"),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": raw})

    async def _answer(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        platform = self.platform
        headers = Headers(scope=scope)
        try:
            raw = await _read_raw(receive, headers)
            gzipped = _is_gzip(headers, raw)
            if gzipped or len(raw) > OFF_LOOP_DOCUMENT:
                # ~1 s of CPU per MiB of tiny items: only for a caller who authenticates,
                # in the lane where each account takes its turn
                call = _call(scope, headers, NO_BODY)
                uploader = principal_of(platform, call)
                status, raw = await lane_of(platform).run(
                    uploader.account, _answer_heavy, platform, call, raw, gzipped
                )
                return status, raw, []
            call = _call(scope, headers, _parse_body(raw))
            # reads are authenticated first: where they run depends on whose data they read
            who: Principal | None = None
            if call.method == "GET":
                who = principal_of(platform, call)
            if _may_block(platform, call) or (who is not None and _big_read(platform, call, who)):
                status, raw = await run_in_threadpool(_answer, platform, call, who)
            else:
                result = dispatch(platform, call, who)
                status = result.status
                if is_large(result.body):  # many documents: encode off the loop
                    raw = await run_in_threadpool(
                        encode_envelope, status, result.body, result.references
                    )
                else:
                    raw = encode_envelope(status, result.body, result.references, large=False)
            return status, raw, []
        except ClientDisconnect:  # nobody reads the answer
            return 400, b"", []
        except PlatformError as exc:
            extra = [(k.lower().encode(), v.encode()) for k, v in retry_headers(exc).items()]
            return exc.status, encode_envelope(exc.status, errors=exc.errors), extra
        except Exception:
            log.exception("internal error on %s %s", scope["method"], _url_path(scope))
            return 500, encode_envelope(500, errors=[ERR_INTERNAL]), []


class PlatformApp:
    """The local platform's ASGI app: REST calls straight to :class:`RestApp`,
    everything else (extra routes such as the WebSocket ones, unknown paths,
    unsupported methods) through Starlette.

    Attributes:
        rest: the REST app.
        starlette: the Starlette app for the other requests.
    """

    def __init__(self, rest: RestApp, starlette: Starlette) -> None:
        self.rest, self.starlette = rest, starlette

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith("/v")
            and scope["method"] in _METHOD_SET
        ):
            await self.rest(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def create_app(platform: Platform, routes: Sequence[BaseRoute] = ()) -> PlatformApp:
    """Build the ASGI app serving ``platform``.

    Args:
        platform: the platform core.
        routes: extra routes matched before the REST catch-all, e.g.
            ``_ws.websocket_routes(platform)`` (``POST /session`` and the
            WebSocket endpoint), as ``local_platform()`` and ``serve`` do.
    """
    rest = RestApp(platform)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return json_response(status, errors=[str(getattr(exc, "detail", "")) or ERR_INTERNAL])

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return json_response(500, errors=[ERR_INTERNAL])

    starlette = Starlette(
        routes=[*routes, Route("/{full:path}", rest, methods=METHODS)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    return PlatformApp(rest, starlette)
