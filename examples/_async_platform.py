"""What the asyncio examples (`async_dashboard.py`, `async_tail.py`) share: where they connect.

Not an example itself (the leading underscore keeps it out of the examples'
list): each script imports it from its own directory, so it works whether the
script is run from the repository root or from examples/.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import flowthings.asyncio
from flowthings import Token, mem
from flowthings.local.testing import local_platform


@asynccontextmanager
async def connect() -> AsyncGenerator[flowthings.asyncio.API, None]:
    """The platform at FLOWTHINGS_HOST, or an embedded local platform."""
    host = os.environ.get("FLOWTHINGS_HOST")
    if host:
        async with flowthings.asyncio.API(Token.from_env(), secure=False, host=host) as api:
            yield api
    else:
        print("FLOWTHINGS_HOST is not set: starting an embedded local platform")
        with local_platform() as platform:
            async with flowthings.asyncio.API(platform.creds, secure=False, host=platform.host) as api:
                yield api


async def fresh_flow(api: flowthings.asyncio.API, path: str) -> str:
    """A new flow at ``path`` (an earlier run's flow there is deleted first); its id.

    So a script can run again and again against one platform and account.
    """
    for old in await api.flow.find(mem.path == path):
        await api.flow.delete(old["id"])
    return str((await api.flow.create({"path": path}))["id"])
