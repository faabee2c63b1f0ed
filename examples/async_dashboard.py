"""An asyncio dashboard: many flows written and read concurrently with `flowthings.asyncio`.

Every call of the sync SDK, awaited: ``asyncio.gather`` fans the writes and
the reads of several rooms out over one pooled ``httpx.AsyncClient``, typed
views return models, ``find_iter`` is an ``async for``.

Run it (from the repository root or from examples/):

    python examples/async_dashboard.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts an embedded local platform (both
set up by `_async_platform.py`, next to this script).
"""

from __future__ import annotations

import asyncio

from _async_platform import connect, fresh_flow

import flowthings.asyncio
from flowthings import mem
from flowthings.models import Drop

ROOMS = {  # room -> temperatures (C), oldest first
    "kitchen": [19.5, 21.0, 23.5, 22.0],
    "bedroom": [17.0, 18.5, 18.0],
    "office": [20.5, 24.0, 25.5, 26.0, 24.5],
}


async def room_flow(api: flowthings.asyncio.API, room: str) -> str:
    """A fresh flow for ``room``; its id."""
    return await fresh_flow(api, f"/{api.creds.account}/dashboard/{room}")


async def write_room(api: flowthings.asyncio.API, flow_id: str, temps: list[float]) -> int:
    """Writes the readings in order (one request each); how many were stored."""
    drops = api.drop(flow_id).typed
    for minute, temp in enumerate(temps):
        await drops.create(Drop(elems={"minute": minute, "temp": temp}))
    return len(temps)


async def summary(api: flowthings.asyncio.API, room: str, flow_id: str) -> str:
    """One dashboard line: latest reading, average, and the warm minutes."""
    drops = api.drop(flow_id)
    latest, rows = await asyncio.gather(
        drops.typed.find(limit=1, sort="elems.minute", order="desc"),
        drops.aggregate(["$avg:temp", "$count"]),
    )
    warm = [d.plain_elems()["minute"] async for d in drops.typed.find_iter(mem.elems.temp > 22, sort="elems.minute", order="asc")]
    last = latest[0].plain_elems()["temp"]
    return f"{room:<8} n={rows[0]['$count']} latest={last:.1f} avg={rows[0]['$avg:temp']:.2f} warm minutes={warm}"


async def main() -> None:
    async with connect() as api:
        ids = await asyncio.gather(*(room_flow(api, room) for room in ROOMS))
        flows = dict(zip(ROOMS, ids, strict=True))
        written = await asyncio.gather(*(write_room(api, flows[r], t) for r, t in ROOMS.items()))
        print(f"wrote {sum(written)} readings to {len(flows)} flows concurrently")
        for line in await asyncio.gather(*(summary(api, room, fid) for room, fid in flows.items())):
            print(line)


if __name__ == "__main__":
    asyncio.run(main())
