"""Aggregation: `drops.aggregate(...)` with group_by, a filter, rules and sorts; statistics.

The platform computes counts, averages and extremes per group of drops; the
statistics service gives the flow's drops-added counter per day.

Run it (from the repository root or from examples/):

    python examples/aggregation.py

With FLOWTHINGS_HOST (and FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN) set it talks
to that platform; otherwise it starts an embedded local platform.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import contextmanager

from flowthings import API, Token, mem
from flowthings.local.testing import local_platform

WIND = [  # (town, wind speed in km/h)
    ("Brooklyn", 12.0), ("Brooklyn", 18.5), ("Brooklyn", 31.0), ("Queens", 8.0),
    ("Queens", 11.5), ("Harlem", 22.0), ("Harlem", 27.5), ("Harlem", 40.0),
]  # fmt: skip


@contextmanager
def connect() -> Generator[API, None, None]:
    """The platform at FLOWTHINGS_HOST, or an embedded local platform."""
    host = os.environ.get("FLOWTHINGS_HOST")
    if host:
        with API(Token.from_env(), secure=False, host=host, ws_host=host) as api:
            yield api
    else:
        print("FLOWTHINGS_HOST is not set: starting an embedded local platform")
        with local_platform() as platform:
            yield platform.api


def delete_leftovers(api: API, *paths: str) -> None:
    """Delete the flows an earlier run left at ``paths`` (with their drops).

    A path names one flow per account, so without this a second run against
    the same platform would fail with "A flow with path ... already exists".
    """
    for path in paths:
        for old in api.flow.find(mem.path == path):
            api.flow.delete(old["id"])


def count_drops(n: int) -> str:
    """``"1 drop"``, ``"2 drops"``."""
    return f"{n} drop" if n == 1 else f"{n} drops"


def main() -> None:
    with connect() as api:
        path = f"/{api.creds.account}/weather/wind"
        delete_leftovers(api, path)
        flow = api.flow.create({"path": path})
        drops = api.drop(flow["id"])
        for town, speed in WIND:
            drops.create({"elems": {"town": town, "windSpeed": speed}})

        print("wind per town, windiest first (gusty = share of readings above 25 km/h):")
        groups = drops.aggregate(
            ["$count", "$avg:windSpeed", "$max:windSpeed", "$avg:gusty"],
            group_by=["town"],
            rules={"gusty": mem.elems.windSpeed > 25},
            sorts=["-$avg:windSpeed"],
        )
        for g in groups:
            print(
                f"  {g['town']:<9} n={g['$count']} avg={g['$avg:windSpeed']:.1f}"
                f" max={g['$max:windSpeed']} gusty={g['$avg:gusty']:.0%}"
            )

        # No group_by (or group_by=[]): all matching drops form one group.
        [calm] = drops.aggregate(["$count", "$min:windSpeed"], filter=mem.elems.windSpeed < 20)
        print(f"calm readings (< 20 km/h): {calm['$count']}, calmest {calm['$min:windSpeed']}")

        by_day = drops.aggregate(["$count"], group_by=["$year", "$month", "$day"])
        for g in by_day:
            day = f"{g['$year']}-{g['$month']:02}-{g['$day']:02}"
            print(f"written on {day} (UTC): {count_drops(g['$count'])}")

        # the month of the newest group: by_day is ordered by its keys
        year, month = by_day[-1]["$year"], by_day[-1]["$month"]
        added = api.statistics.flow_drop_added(flow["id"], year, month, level="DAY")
        print(f"statistics: {count_drops(sum(added))} added in {year}-{month:02}; per day: {added}")


if __name__ == "__main__":
    main()
