"""The asyncio client end to end against the local platform over loopback (issue 18)."""

from __future__ import annotations

import asyncio

import pytest

import flowthings.asyncio
from flowthings import FlowThingsNotFound, mem
from flowthings.local.testing import LocalPlatform
from flowthings.models import Drop


def _api(platform: LocalPlatform) -> flowthings.asyncio.API:
    creds = platform.new_account()
    return flowthings.asyncio.API(creds, host=platform.host, secure=False)


def test_documented_calls_round_trip(flowthings_platform: LocalPlatform) -> None:
    async def main() -> None:
        async with _api(flowthings_platform) as api:
            path = f"/{api.creds.account}/sensors"
            flow = await api.flow.create({"path": path})
            drops = api.drop(flow["id"])
            created = await drops.create({"elems": {"temp": 21}})
            typed = await drops.typed.create(Drop(elems={"temp": 25}))
            assert typed.elems is not None
            found = await drops.find(mem.elems.temp > 22)
            assert [d["id"] for d in found] == [typed.id]
            assert (await drops.read(created["id"]))["elems"]["temp"]["value"] == 21
            body, refs = await api.flow.read(flow["id"], refs=True)
            assert body["id"] == flow["id"]
            assert isinstance(refs, dict)
            assert await api.flow.read_or_else("nope", None) is None
            with pytest.raises(FlowThingsNotFound):
                await api.flow.read("nope")
            result = await drops.create_many([{"elems": {"temp": t}} for t in range(10)], concurrency=4)
            assert result.ok
            assert len(result.succeeded) == 10
            streamed = [d async for d in drops.find_iter(page_size=3)]
            assert len(streamed) == 12
            assert len({d["id"] for d in streamed}) == 12
            models = [d async for d in drops.typed.find_iter(mem.elems.temp >= 5, order="asc")]
            assert all(isinstance(d, Drop) for d in models)
            dates = [d.creationDate or 0 for d in models]
            assert len(models) == 7
            assert dates == sorted(dates)
            rows = await drops.aggregate(["$count"])
            assert rows[0]["$count"] == 12
            by_path = await api.drop.find(path=path, limit=2)
            assert len(by_path) == 2

    asyncio.run(main())


def test_gather_many_finds_over_one_pooled_client(flowthings_platform: LocalPlatform) -> None:
    async def main() -> None:
        async with _api(flowthings_platform) as api:
            flow = await api.flow.create({"path": f"/{api.creds.account}/g"})
            drops = api.drop(flow["id"])
            await asyncio.gather(*(drops.create({"elems": {"n": n}}) for n in range(20)))
            pages = await asyncio.gather(*(drops.find(mem.elems.n == n) for n in range(20)))
            assert sorted(page[0]["elems"]["n"]["value"] for page in pages) == list(range(20))
            client = api.http_client
            assert all(len(page) == 1 for page in pages)
        assert client.is_closed

    asyncio.run(main())
