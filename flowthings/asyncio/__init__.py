"""The asyncio client: ``async with flowthings.asyncio.API(creds) as api``.

Owns `API` and the asyncio names of the services. The services are the sync
services themselves, bound to an `AsyncServiceContext` whose ``execute``
awaits `flowthings.http._async_transport.AsyncTransport` (the same
`build_request`, `interpret` and retry decision as the sync executor); their
awaited signatures live in the generated ``_services.pyi``. It may import the
SDK core, ``_api``, ``_context``, ``http`` and ``services``; nothing imports it.
"""

from ._api import API

__all__ = ["API"]
