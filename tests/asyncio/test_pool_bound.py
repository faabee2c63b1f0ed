"""``gather`` of more calls than the pool has connections (issue 18: bounded by the pool).

The asyncio client hands at most ``max_connections`` (100) requests to httpx
at once; the rest wait their turn outside httpx's pool, so their wait does
not count against the pool timeout. Before, 300 gathered calls against a
slow server failed with ``PoolTimeout`` (``FlowThingsConnectionError``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

import flowthings.asyncio
from flowthings import Token

from ..green.latency_server import LatencyServer, start_server


@pytest.fixture
def slow_server() -> Iterator[LatencyServer]:
    server = start_server(0.2)
    yield server
    server.shutdown()
    server.server_close()


def test_more_calls_than_connections_wait_their_turn(slow_server: LatencyServer) -> None:
    # Three waves of 100 at 0.2 s: the third waits ~0.4 s, beyond the pool timeout.
    timeout = httpx.Timeout(10.0, pool=0.3)

    async def main() -> list[object]:
        async with flowthings.asyncio.API(
            Token("acc", "tok"), secure=False, host=slow_server.base_url, timeout=timeout
        ) as api:
            return await asyncio.gather(*(api.flow.read(f"f{i}") for i in range(300)))

    answers = asyncio.run(main())
    assert answers == [{"id": f"f{i}", "method": "GET"} for i in range(300)]
    assert 50 <= slow_server.max_in_flight <= 100


def test_a_client_of_your_own_keeps_its_own_limits(slow_server: LatencyServer) -> None:
    # No bound is added to a caller's client: its pool (here 10) is the bound.
    limits = httpx.Limits(max_connections=10)

    async def main() -> list[object]:
        async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
            api = flowthings.asyncio.API(
                Token("acc", "tok"), secure=False, host=slow_server.base_url, http_client=client
            )
            return await asyncio.gather(*(api.flow.read(f"f{i}") for i in range(20)))

    assert len(asyncio.run(main())) == 20
    assert slow_server.max_in_flight == 10
