"""What every service of one `API` shares: options, credentials, transport.

Options left at `DEFAULT` are resolved against `flowthings.defaults` on every
request, so the services never cache a URL or a parameter set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any, cast
from urllib.parse import quote

import httpx

from ._config import DefaultType, Token, defaults, resolve, ws_host_now
from ._errors import FlowThingsError
from .http._spec import RequestSpec
from .http._transport import RetryPolicy, Transport

__all__ = ["ApiOptions", "ServiceContext", "id_segment", "require_id"]


@dataclass
class ApiOptions:
    """The options an `API` was built with; `DEFAULT` means "ask `defaults`"."""

    async_lib: ModuleType | DefaultType | None
    secure: bool | DefaultType
    params: Mapping[str, Any] | DefaultType
    host: str | DefaultType
    ws_host: str | DefaultType
    version: str | DefaultType
    timeout: float | httpx.Timeout | DefaultType
    max_retries: int | DefaultType
    retry_post: bool

    def scheme(self, websocket: bool = False) -> str:
        """`https`/`http` (or `wss`/`ws`) depending on `secure`."""
        secure = resolve(self.secure, "secure")
        if websocket:
            return "wss" if secure else "ws"
        return "https" if secure else "http"

    def retry_policy(self) -> RetryPolicy:
        """The retry policy in force now (`defaults` are read on every call)."""
        return _retry_policy(
            resolve(self.max_retries, "max_retries"),
            defaults.retry_backoff,
            defaults.max_retry_wait,
            self.retry_post,
        )


# The inputs are resolved per request (so `defaults` changes apply at once);
# only building the frozen, shareable result is memoised, off the hot path.
@lru_cache(maxsize=16)
def _retry_policy(max_retries: int, backoff: float, max_wait: float, retry_post: bool) -> RetryPolicy:
    return RetryPolicy(max_retries, backoff, max_wait, retry_post)


@lru_cache(maxsize=64)
def _rest_prefix(scheme: str, host: str, version: str, account: str) -> str:
    return f"{scheme}://{host}/v{version}/{quote(account, safe='')}"


class ServiceContext:
    """Shared, mutable state of one API: credentials can be swapped at any time."""

    asynchronous = False
    """Whether `execute` returns awaitables (the asyncio client's context)."""

    def __init__(self, options: ApiOptions, creds: Token, transport: Transport) -> None:
        self.options = options
        self.creds = creds
        self.transport = transport

    def rest_url(self, path: str) -> str:
        """Absolute URL of `path` under `/v{version}/{account}`."""
        options = self.options
        prefix = _rest_prefix(
            options.scheme(),
            resolve(options.host, "host"),
            resolve(options.version, "version"),
            self.creds.account,
        )
        return prefix + path

    def ws_url(self, path: str, websocket: bool = False) -> str:
        """Absolute URL of `path` on the WebSocket host (no version, no account)."""
        options = self.options
        return f"{options.scheme(websocket)}://{ws_host_now(options.host, options.ws_host)}{path}"

    def merged_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """`defaults.params` / `API(params=...)` overridden by the call's params."""
        merged = dict(resolve(self.options.params, "params"))
        if params:
            merged.update(params)
        return merged

    def execute(self, spec: RequestSpec) -> Any:
        """Runs one call: its params merged with the API's, sent with the current
        credentials; returns `body`, or `(body, references)` when `refs` is set."""
        merged = self.merged_params(spec.params)
        body, references = self.transport.execute(spec, merged, self.creds)
        if merged.get("refs"):
            return body, references
        return body


def id_segment(value: object, what: str = "id") -> str:
    """`/` + the URL-path-escaped id; rejects ids that could walk to another path.

    Raises:
        TypeError: When the id is not a string.
        ValueError: When the id is empty, `.` or `..`.
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if value in ("", ".", ".."):
        raise ValueError(f"{what} must be a non-empty resource id, got {value!r}")
    return "/" + quote(value, safe="")


def require_id(model: Any) -> str:
    """The `id` of a dict or a model, or FlowThingsError when it has none."""
    model_id: object = (
        cast("Mapping[str, Any]", model).get("id")
        if isinstance(model, Mapping)
        else getattr(model, "id", None)
    )
    if model_id is None:
        raise FlowThingsError("this call needs a model with an 'id'")
    if not isinstance(model_id, str):
        raise TypeError(f"model id must be a str, not {type(model_id).__name__}")
    return model_id
