"""The exception tree.

```
Exception
 ├── FlowThingsError                 client-side misuse or configuration (no request made)
 └── FlowThingsException             the platform (or the network) said no
      ├── FlowThingsBadRequest        400
      ├── FlowThingsForbidden         401, 403
      ├── FlowThingsNotFound          404
      ├── FlowThingsMethodNotAllowed  405
      ├── FlowThingsConflict          409
      ├── FlowThingsRateLimited       429
      ├── FlowThingsServerError       >= 500, and answers that are not a valid envelope
      └── FlowThingsConnectionError   the request never got an answer (chained with `from`)
           ├── FlowThingsTimeout      ... because a timeout expired
           │    └── FlowThingsRequestTimeout    a WebSocket request got no reply in time
           └── FlowThingsConnectionLost         the WebSocket connection closed
                └── FlowThingsNotConnected      a WebSocket request sent while not connected
```

The three WebSocket classes live in `flowthings.websocket._requests` and are exported by
`flowthings` like the others.

`FlowThingsException` carries what 1.0.5 documented (`errors`, `creds`,
`method`, `path`) plus the HTTP `status`. `creds` is the `Token`, whose repr
hides the secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import Token

__all__ = [
    "FlowThingsBadRequest",
    "FlowThingsConflict",
    "FlowThingsConnectionError",
    "FlowThingsError",
    "FlowThingsException",
    "FlowThingsForbidden",
    "FlowThingsMethodNotAllowed",
    "FlowThingsNotFound",
    "FlowThingsRateLimited",
    "FlowThingsServerError",
    "FlowThingsTimeout",
    "exception_for_status",
]


class FlowThingsError(Exception):
    """Client-side error: bad configuration or misuse, raised before any I/O."""


class FlowThingsException(Exception):
    """An error answered by the platform, or a request that got no answer.

    Attributes:
        errors: List of errors returned from the platform (`head.errors`).
        creds: Request credentials (the `Token`; its repr hides the token).
        method: Request HTTP method.
        path: Request path, relative to `/v{version}/{account}` (e.g. `/flow/f1`).
        status: HTTP status (or `head.status`), `None` when no answer came.
    """

    def __init__(
        self,
        errors: Sequence[str] | None = None,
        creds: Token | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> None:
        self.errors: list[str] = list(errors) if errors else []
        self.creds = creds
        self.method = method
        self.path = path
        self.status = status
        super().__init__(*self.errors)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors, self.creds, self.method, self.path, self.status))

    def __str__(self) -> str:
        where = " ".join(p for p in (self.method, self.path) if p)
        status = f"{self.status} " if self.status is not None else ""
        account = f" (account {self.creds.account})" if self.creds else ""
        detail = "; ".join(self.errors) if self.errors else "no error message"
        return f"{status}{where}{account}: {detail}".strip()

    def __repr__(self) -> str:
        parts = [
            self.creds.account if self.creds else None,
            self.method,
            self.path,
            str(self.errors) if self.errors else None,
        ]
        return f"<{type(self).__name__} {' '.join(p for p in parts if p)}>"


class FlowThingsBadRequest(FlowThingsException):
    """400: the platform rejected the request (validation, bad filter, ...)."""


class FlowThingsForbidden(FlowThingsException):
    """401 or 403: wrong credentials, or the token may not do this."""


class FlowThingsNotFound(FlowThingsException):
    """404: the resource could not be located at this address."""


class FlowThingsMethodNotAllowed(FlowThingsException):
    """405: the resource does not support this method (e.g. updating a token)."""


class FlowThingsConflict(FlowThingsException):
    """409: what the hosted platform answers to a write that conflicts with the current state.

    The local platform never answers 409 (a duplicate flow path there is a
    400, `FlowThingsBadRequest`).
    """


class FlowThingsRateLimited(FlowThingsException):
    """429: too many requests.

    Retried automatically (up to `max_retries`) for idempotent methods, and for
    POST with `retry_post=True`; raised once the retries are used up.
    """


class FlowThingsServerError(FlowThingsException):
    """5xx, or an answer that is not a valid flowthings envelope."""


class FlowThingsConnectionError(FlowThingsException):
    """The request got no answer: DNS, refused connection, reset, TLS, ..."""


class FlowThingsTimeout(FlowThingsConnectionError):
    """A connect, read, write or pool timeout expired."""


_BY_STATUS: dict[int, type[FlowThingsException]] = {
    400: FlowThingsBadRequest,
    401: FlowThingsForbidden,
    403: FlowThingsForbidden,
    404: FlowThingsNotFound,
    405: FlowThingsMethodNotAllowed,
    409: FlowThingsConflict,
    429: FlowThingsRateLimited,
}


def exception_for_status(status: int) -> type[FlowThingsException]:
    """The exception class for an error status (the one mapping in the SDK)."""
    if status >= 500:
        return FlowThingsServerError
    return _BY_STATUS.get(status, FlowThingsException)
