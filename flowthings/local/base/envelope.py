"""The response envelope and the platform's error type.

Every answer, success or failure, is ``{"head": {"ok", "status", "errors",
"messages", "references"}, "body"}`` (``rest-api.md`` §4). On errors the HTTP
status equals ``head.status`` and ``body`` is ``{}``; ``errors`` holds one
human-readable string per problem. The wording of error strings other than the
documented 404 text is our own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MSG_CREATED",
    "MSG_OK",
    "PlatformError",
    "Result",
    "bad_request",
    "envelope",
    "forbidden",
    "MAX_DEPTH",
    "has_lone_surrogate",
    "retry_headers",
    "too_deep",
    "method_not_allowed",
    "not_found",
    "too_many_requests",
]

MSG_OK = "Your request has been processed successfully."
MSG_CREATED = "Your request has been processed successfully. A new resource has been created."
ERR_NOT_FOUND = "The requested resource could not be located at this address."
ERR_FORBIDDEN = "You are not authorized to perform this request."
ERR_METHOD = "This method is not supported on this resource."
ERR_INTERNAL = "An internal error occurred."


class PlatformError(Exception):
    """A failed request: HTTP/head ``status`` plus human-readable ``errors``."""

    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(f"{status}: {'; '.join(errors)}")
        self.status = status
        self.errors = list(errors)
        self.retry_after: int | None = None  # seconds, sent as Retry-After (429s)


def bad_request(*errors: str) -> PlatformError:
    """Return a 400 error carrying ``errors``."""
    return PlatformError(400, *errors)


def not_found(what: str = ERR_NOT_FOUND) -> PlatformError:
    """Return a 404 error."""
    return PlatformError(404, what)


def forbidden(why: str = ERR_FORBIDDEN) -> PlatformError:
    """Return a 403 error."""
    return PlatformError(403, why)


def method_not_allowed() -> PlatformError:
    """Return a 405 error (e.g. PUT on an immutable Token or Share)."""
    return PlatformError(405, ERR_METHOD)


def retry_headers(error: PlatformError) -> dict[str, str]:
    """The headers an answer to ``error`` carries: ``Retry-After`` when it says when."""
    return {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}


def too_many_requests(why: str, retry_after: int = 1) -> PlatformError:
    """Return a 429 error; the HTTP answer carries ``Retry-After: retry_after``."""
    error = PlatformError(429, why)
    error.retry_after = retry_after
    return error


@dataclass
class Result:
    """A successful operation: status, body and ``head.references``."""

    status: int
    body: Any
    references: dict[str, Any] = field(default_factory=dict)


def envelope(
    status: int,
    body: Any = None,
    *,
    errors: Iterable[str] = (),
    references: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the ``{"head", "body"}`` envelope for ``status``."""
    ok = status < 400
    messages = [MSG_CREATED if status == 201 else MSG_OK] if ok else []
    return {
        "head": {
            "ok": ok,
            "status": status,
            "errors": list(errors),
            "messages": messages,
            "references": references or {},
        },
        "body": body if ok else {},
    }


# A `\uD800`-`\uDFFF` escape in JSON text may decode to a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")


def has_lone_surrogate(text: str, value: Any) -> bool:
    """Whether ``value``, decoded from the JSON ``text``, holds a lone UTF-16 surrogate.

    Such a string is not UTF-8 encodable: no answer (nor SQLite row) could
    carry it, so inputs holding one are refused. ``text`` is only a fast
    pre-check: without a surrogate escape ``value`` is not walked.
    """
    if _SURROGATE_ESCAPE.search(text) is None:
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


MAX_DEPTH = 128
"""Deepest nesting of arrays/objects a request body may have (deeper is a 400).

Bodies are walked recursively when rendered, filtered and aggregated; a bound
well below the interpreter's recursion limit keeps every one of those safe.
"""


def too_deep(text: str, value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value``, decoded from the JSON ``text``, nests deeper than ``limit``.

    ``text`` is a fast pre-check: with at most ``limit`` brackets in it,
    ``value`` is not walked.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False
