"""An asyncio request imports nothing once warm (issue 18, the overhead benchmark).

httpcore imports ``sniffio`` each time it sets up an asyncio lock or
semaphore (several per request). A failed import is not cached, so without
sniffio installed every request searched ``sys.path`` for it again: about a
third of the client's CPU per request. flowthings depends on sniffio; this
test fails if any import is attempted per request again.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

import flowthings.asyncio
from flowthings.local.testing import LocalPlatform


class _Spy:
    """A meta path finder that only records what was looked up."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(name)
        return None


def test_warm_requests_attempt_no_import(flowthings_platform: LocalPlatform) -> None:
    creds = flowthings_platform.new_account()
    spy = _Spy()

    async def main() -> None:
        async with flowthings.asyncio.API(creds, host=flowthings_platform.host, secure=False) as api:
            flow = await api.flow.create({"path": f"/{creds.account}/imports"})
            for _ in range(3):  # warm: lazy imports of the first requests are fine
                await api.flow.read(flow["id"])
                await asyncio.gather(*(api.drop(flow["id"]).find(limit=5) for _ in range(4)))
            sys.meta_path.insert(0, spy)
            try:
                for _ in range(5):
                    await api.flow.read(flow["id"])
                    await asyncio.gather(*(api.drop(flow["id"]).find(limit=5) for _ in range(4)))
            finally:
                sys.meta_path.remove(spy)

    asyncio.run(main())
    assert spy.names == []
