"""Tail flows with asyncio: `async for` over live drops while other tasks write and query.

One asyncio WebSocket client (`api.websocket.connect()`) subscribes to two
machine flows; a consumer task tails the pushes as typed `Drop` models while
writer tasks send readings over REST, and requests go over the same socket
(`await ws.find_drops(...)`), each matched to its reply by `msgId`.

Run it (from the repository root or from examples/):

    python examples/async_tail.py

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

MACHINES = {"press": [61.0, 64.5, 71.0], "lathe": [40.5, 75.5]}  # machine -> temperatures (C)
WAIT = 10.0  # seconds to wait for the connection and for each push


async def machine_flow(api: flowthings.asyncio.API, machine: str) -> str:
    """A fresh flow for ``machine``; its id."""
    return await fresh_flow(api, f"/{api.creds.account}/plant/{machine}")


async def write(api: flowthings.asyncio.API, flow_id: str, temps: list[float]) -> None:
    """Writes one machine's readings in order, over REST."""
    for seq, temp in enumerate(temps):
        await api.drop(flow_id).typed.create(Drop(elems={"seq": seq, "temp": temp}))


async def tail(stream: flowthings.asyncio.AsyncDropIterator, names: dict[str, str], count: int) -> list[str]:
    """The first ``count`` pushed drops, as lines (``async for`` over typed `Drop`s)."""
    lines: list[str] = []
    async for drop in stream:
        elems = drop.plain_elems()
        temp = elems["temp"]
        assert isinstance(temp, float)  # elems are JSON values: this writer stores floats
        alarm = "  ALARM" if temp > 70 else ""
        lines.append(f"{names[drop.flowId or '']:<5} #{elems['seq']} {temp:.1f} C{alarm}")
        if len(lines) == count:
            break
    return lines


async def main() -> None:
    async with connect() as api:
        ids = await asyncio.gather(*(machine_flow(api, m) for m in MACHINES))
        flows = dict(zip(MACHINES, ids, strict=True))
        names = {fid: machine for machine, fid in flows.items()}
        async with api.websocket.connect() as ws:  # a session, then the socket; closed on exit
            for fid in flows.values():
                await ws.subscribe(fid)
            print(f"tailing {len(ws.subscriptions)} flows")
            stream = ws.drops(timeout=WAIT)  # every subscribed flow, from now on
            consumer = asyncio.ensure_future(tail(stream, names, sum(map(len, MACHINES.values()))))
            await asyncio.gather(*(write(api, flows[m], t) for m, t in MACHINES.items()))
            lines = await consumer
            for machine in MACHINES:  # pushes keep write order within a flow
                print("\n".join(line for line in lines if line.startswith(machine)))
            hot = await asyncio.gather(
                *(ws.find_drops(fid, filter=mem.elems.temp > 70) for fid in flows.values())
            )
            print(f"over 70 C, asked over the socket: {sum(len(h) for h in hot)} readings")
        print(f"connection closed (connected={ws.connected})")


if __name__ == "__main__":
    asyncio.run(main())
