"""One REST call, described once; building it and reading its answer, without I/O.

A service call is a `RequestSpec`: method, URL (and the path it is logged
under), the call's own query parameters, the JSON body and, optionally, a
decoder offered a successful answer's bytes first (the typed views validate
models straight from them). Everything around it is a pure function:

- `build_request` turns a spec, the merged parameters and the credentials'
  headers into the `HttpRequest` that goes on the wire (body bytes, encoded
  query, parsed URL) — the 1.0.5 wire format lives here;
- `interpret` turns a status and body bytes into ``(body, references)`` or
  the `FlowThingsException` the platform's envelope calls for.

Wire compatibility with 1.0.5 (which used `requests`): bodies are
`json.dumps(data)` with the default separators, query values are encoded the
way `requests` encoded them (`None` dropped, lists repeated, `str()` of
everything else, so `True` is sent as `True`), and the same four headers are
sent on every request.

An executor only does I/O around them: the sync `Transport` sends with
``httpx.Client`` (redirects, retries, sleeping); an asyncio executor sends the
same `HttpRequest` with ``httpx.AsyncClient`` and calls the same `interpret`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, cast

import httpx
from pydantic import BaseModel

from .._config import Token
from .._errors import FlowThingsServerError, exception_for_status

__all__ = [
    "Decode",
    "HttpRequest",
    "QueryItems",
    "RequestSpec",
    "build_request",
    "encode_params",
    "interpret",
    "signed_headers",
    "to_json",
]

Decode = Callable[[bytes], "tuple[Any, dict[str, Any]] | None"]
"""Offered a successful answer's bytes: ``(body, references)``, or ``None`` to
let the envelope be parsed as usual."""

QueryItems = list[tuple[str, str | int | float | bool | None]]

_SNIPPET_CHARS = 200


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """A service call, described once: what to send and how to read the answer.

    Attributes:
        method: HTTP method (``GET``, ``MGET``, ``POST``, ...).
        url: The absolute URL (the service resolved its host and account).
        path: The path under the account, for logs and errors (``/flow/f1``).
        params: The call's own query parameters (the API's are merged in by
            the context that executes the spec).
        body: The JSON body (dicts, lists, pydantic models), or ``None``.
        decode: Offered a successful answer's bytes first (see `Decode`).
    """

    method: str
    url: str
    path: str
    params: Mapping[str, Any] | None = None
    body: Any = None
    decode: Decode | None = None

    def decoded_by(self, decode: Decode | None) -> RequestSpec:
        """This call with ``decode`` reading its answer (itself when ``None``)."""
        return self if decode is None else replace(self, decode=decode)


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What goes on the wire for one spec (built by `build_request`)."""

    method: str
    url: httpx.URL
    headers: httpx.Headers
    content: bytes | None
    query: QueryItems | None
    path: str
    creds: Token
    decode: Decode | None


def build_request(
    spec: RequestSpec, params: Mapping[str, Any], creds: Token, headers: httpx.Headers
) -> HttpRequest:
    """The wire request of ``spec`` with the merged query ``params`` (pure)."""
    return HttpRequest(
        spec.method,
        _parsed_url(spec.url),
        headers,
        to_json(spec.body) if spec.body is not None else None,
        encode_params(params) if params else None,
        spec.path,
        creds,
        spec.decode,
    )


def interpret(request: HttpRequest, status: int, content: bytes) -> tuple[Any, dict[str, Any]]:
    """The answer to ``request``: ``(body, head.references)`` (pure).

    Raises:
        FlowThingsException: A subclass chosen by the status, with the
            platform's ``errors``.
    """
    if request.decode is not None and 200 <= status < 400:
        decoded = request.decode(content)
        if decoded is not None:
            return decoded
    return parse_envelope(status, content, request.creds, request.method, request.path)


def signed_headers(creds: Token) -> httpx.Headers:
    """The four headers 1.0.5 sent on every request, GETs included."""
    # An `httpx.Headers` (rather than a dict) is encoded once; httpx copies
    # what it is given, so an executor may reuse one per credentials.
    return httpx.Headers(
        {
            "Accept": "*/*",
            "Content-Type": 'application/json; charset="UTF-8"',
            "X-Auth-Token": creds.token,
            "X-Auth-Account": creds.account,
        }
    )


def to_json(data: Any) -> bytes:
    """The JSON body of a request: `json.dumps(data)` with 1.0.5's separators.

    Pydantic models (at any depth) are dumped by alias with unset fields left
    out, so a model built from a few fields sends only those fields; other
    mappings are sent as objects. The encoder walks the data once: plain
    dicts and lists never reach the `default` hook.
    """
    return json.dumps(data, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, Any]", value))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode_params(params: Mapping[str, Any]) -> QueryItems:
    """Encodes query parameters exactly as `requests` (and so 1.0.5) did."""
    items: QueryItems = []
    for key, value in params.items():
        if value is None:
            continue
        values: Iterable[Any] = (
            cast("Iterable[Any]", value) if isinstance(value, list | tuple) else (value,)
        )
        items.extend((str(key), str(v)) for v in values if v is not None)
    return items


@lru_cache(maxsize=256)
def _parsed_url(url: str) -> httpx.URL:
    # httpx parses a str URL on every request, which costs about as much as
    # all of the SDK's own work; most calls repeat a URL (`/flow`, `/drop/{id}`),
    # and an `httpx.URL` is immutable and passed through unparsed.
    return httpx.URL(url)


def _snippet(content: bytes) -> str:
    text = content[:_SNIPPET_CHARS].decode("utf-8", errors="replace").strip()
    return " ".join(text.split())


def parse_envelope(
    status: int, content: bytes, creds: Token, method: str, log_path: str
) -> tuple[Any, dict[str, Any]]:
    """``(body, head.references)`` of a flowthings envelope, or its error raised."""
    try:
        loaded: object = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the stack allows
        loaded = None
    envelope = cast("dict[str, Any]", loaded) if isinstance(loaded, dict) else None
    head_value: object = envelope.get("head") if envelope is not None else None
    if envelope is None or not isinstance(head_value, dict):
        cls = exception_for_status(status) if status >= 400 else FlowThingsServerError
        detail = _snippet(content) or "<empty body>"
        message = f"HTTP {status}: not a flowthings envelope: {detail}"
        raise cls(errors=[message], creds=creds, method=method, path=log_path, status=status)
    head = cast("dict[str, Any]", head_value)
    if 200 <= status < 400:
        references: object = head.get("references")
        return envelope.get("body"), (
            cast("dict[str, Any]", references) if isinstance(references, dict) else {}
        )
    head_status = head.get("status")
    if isinstance(head_status, bool) or not isinstance(head_status, int) or head_status < 400:
        head_status = status
    errors = head.get("errors")
    error_list = [str(e) for e in cast("list[object]", errors)] if isinstance(errors, list) else []
    raise exception_for_status(head_status)(
        errors=error_list, creds=creds, method=method, path=log_path, status=head_status
    )
