"""The asyncio client's `ServiceContext`: ``execute`` returns a coroutine.

The services are the sync ones (one implementation); bound to this context
their calls return awaitables, and the few steps after an answer (parsing
models, a 404 turned into a default, paging, fan-out) follow through
`flowthings.services._results`.
"""

from __future__ import annotations

from typing import Any

from .._config import Token
from .._context import ApiOptions, ServiceContext
from ..http._async_transport import AsyncTransport
from ..http._spec import RequestSpec

__all__ = ["AsyncServiceContext"]


class AsyncServiceContext(ServiceContext):
    """Options, swappable credentials and the `AsyncTransport` of one asyncio `API`."""

    asynchronous = True

    def __init__(self, options: ApiOptions, creds: Token, transport: AsyncTransport) -> None:
        # No sync `Transport`: `self.transport` stays unset, `async_transport` sends.
        self.options = options
        self.creds = creds
        self.async_transport = transport

    async def execute(self, spec: RequestSpec) -> Any:
        """Runs one call (see `ServiceContext.execute`), awaiting the answer."""
        merged = self.merged_params(spec.params)
        body, references = await self.async_transport.execute(spec, merged, self.creds)
        if merged.get("refs"):
            return body, references
        return body
