"""``python -m flowthings.local demo``: a narrated tour of the SDK on a local platform.

Starts the platform in-process on a free loopback port (in-memory database),
walks through flows, drops, filtered queries, references, MGET/MPUT,
deletes, an aggregation, a track with a JavaScript transform and a live
WebSocket subscription (``api.websocket.connect``) using the public SDK,
prints each step, and returns 0 (a few seconds at most).
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

__all__ = ["run_demo"]


def _subscription_step(api: Any, flow: dict[str, Any], say: Callable[[str], Any]) -> None:
    """Subscribe to ``flow`` over WebSocket, write a drop over REST, print the push."""
    pushed: queue.Queue[dict[str, Any]] = queue.Queue()
    ws = api.websocket.connect(
        on_message=lambda _ws, _resource, data: pushed.put(data),
        heartbeat_interval=None,
        reconnect=False,
    )
    ws.run_in_thread(wait_open=5)
    try:
        ws.subscribe(flow["id"]).result(timeout=5)
        say(f"   subscribed to {flow['path']} over {ws.url.split('/session')[0]}")
        api.drop(flow["id"]).create({"elems": {"city": "Dumbo", "temp": 23.0}})
        drop = pushed.get(timeout=5)
        elems = {
            k: v.get("value", v) if isinstance(v, dict) else v for k, v in drop["elems"].items()
        }
        say(f"   pushed: drop {drop['id']} {elems}")
    finally:
        ws.close()
    say("   connection closed")


def _drops(n: int) -> str:
    return f"{n} drop" if n == 1 else f"{n} drops"


def run_demo(say: Callable[[str], Any] = print) -> int:
    """Run the tour, narrating with ``say``; return the exit code (0 on success)."""
    from flowthings import M, mem

    from .testing import local_platform

    with local_platform() as lp:
        api = lp.api
        root = f"/{lp.account}"
        say(f"Local flowthings platform running at {lp.base_url}")
        say(f"  account {lp.account!r}, master token {lp.token}")
        say("")

        say("1. Create two flows")
        weather = api.flow.create(
            {"path": f"{root}/weather", "description": "city temps", "capacity": 100}
        )
        alerts = api.flow.create({"path": f"{root}/alerts", "filter": "elems.level >= 2"})
        say(f"   {weather['path']} -> {weather['id']} (capacity {weather['capacity']})")
        say(f"   {alerts['path']} -> {alerts['id']} (only drops with elems.level >= 2)")

        say("2. Write drops")
        readings = [("Brooklyn", 18.5), ("Queens", 22.0), ("Harlem", 25.5), ("Astoria", 16.0)]
        for city, temp in readings:
            d = api.drop(weather["id"]).create({"elems": {"city": city, "temp": temp}})
            say(f"   {city}: {temp} C -> drop {d['id']}")
        by_path = api.drop.create({"path": alerts["path"], "elems": {"level": 3, "msg": "heat"}})
        say(f"   by path {alerts['path']}: drop {by_path['id']}")
        try:
            api.drop(alerts["id"]).create({"elems": {"level": 1, "msg": "minor"}})
        except Exception as exc:  # the flow's filter rejects it
            say(f"   a level-1 alert is rejected by the flow filter: {exc.__class__.__name__}")

        say("3. Filtered queries")
        warm = api.drop(weather["id"]).find(mem.elems.temp > 20, hints=0)
        say(f"   temp > 20: {sorted(d['elems']['city'] for d in warm)}")
        newest = api.drop(weather["id"]).find(limit=1, hints=0)
        say(f"   newest drop: {newest[0]['elems']}")
        coldest = api.drop(weather["id"]).find(sort="elems.temp", order="asc", limit=1, hints=0)
        say(f"   coldest: {coldest[0]['elems']['city']}")
        typed = api.drop(weather["id"]).find(limit=1)
        say(f"   /v0.1 renders elements typed: {typed[0]['elems']['temp']}")
        drops, refs = api.drop(weather["id"]).find(limit=2, refs=True, only=["elems"])
        say(f"   refs=True returns {_drops(len(drops))} and references to {sorted(refs)}")

        say("4. MGET / MPUT")
        many = api.flow.read_many([weather["id"], alerts["id"]])
        say(f"   read_many -> {sorted(f['path'] for f in many.values())}")
        updated = api.flow.update_many(
            [
                M(weather, description="temperatures by city"),
                M(alerts, description="alerts, level >= 2"),
            ]
        )
        for f in updated.values():
            say(f"   update_many -> {f['path']}: {f['description']!r}")
        multi = api.drop.find_in_flows({weather["id"]: {"limit": 2}, alerts["id"]: {}})
        say(f"   multi-flow find -> { ({k: len(v) for k, v in multi.items()}) }")

        say("5. Delete")
        api.drop(weather["id"]).delete_all()
        left = len(api.drop(weather["id"]).find())
        say(f"   emptied {weather['path']}: {_drops(left)} left")
        gone = api.flow.delete(alerts["id"])
        say(f"   deleted flow {gone['path']}")

        say("6. Aggregation")
        # step 5 emptied the flow: write a fresh set of readings to aggregate, and say so
        fresh = [*readings, ("Brooklyn", 21.5), ("Queens", 19.0)]
        for city, temp in fresh:
            api.drop(weather["id"]).create({"elems": {"city": city, "temp": temp}})
        listed = ", ".join(f"{city} {temp}" for city, temp in fresh)
        say(f"   wrote {_drops(len(fresh))} to {weather['path']} again:")
        say(f"   {listed}")
        say("   count, average and maximum per city, warmest first:")
        groups = api.drop(weather["id"]).aggregate(
            ["$count", "$avg:temp", "$max:temp"], group_by=["city"], sorts=["-$avg:temp"]
        )
        for g in groups:
            say(f"   {g['city']:<9} n={g['$count']} avg={g['$avg:temp']:.2f} max={g['$max:temp']}")

        say("7. A track with a JavaScript transform")
        fahrenheit = api.flow.create({"path": f"{root}/fahrenheit"})
        js = (
            "function (input) {\n"
            "  var c = input.elems.temp.value;\n"
            "  return {elems: {city: input.elems.city.value, f: c * 9 / 5 + 32}};\n"
            "}"
        )
        track = api.track.create(
            {
                "source": weather["path"],
                "destination": fahrenheit["path"],
                "filter": "elems.temp > 20",
                "js": js,
            }
        )
        say(f"   track {track['id']}: {weather['path']} -> {fahrenheit['path']} if temp > 20")
        api.drop(weather["id"]).create({"elems": {"city": "Flatbush", "temp": 30.0}})
        api.drop(weather["id"]).create({"elems": {"city": "Inwood", "temp": 10.0}})
        routed = api.drop(fahrenheit["id"]).find(hints=0)
        say(f"   routed: {[d['elems'] for d in routed]} (Inwood filtered out)")

        say("8. A live WebSocket subscription")
        _subscription_step(api, weather, say)
        say("")
        say("Done.")
    return 0
