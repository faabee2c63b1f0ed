"""The asyncio executor: the sync executor's retry decisions, asyncio's sleeping,
cancellation, same-origin redirects, ownership of the client (issue 18)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

import flowthings.asyncio
from flowthings import FlowThingsConnectionError, FlowThingsNotFound, FlowThingsServerError, Token
from flowthings.http._retry import RetryPolicy, retry_wait

CREDS = Token("acc", "sekrit")
OK = {"head": {"status": 200}, "body": {"id": "f1"}}


def _api(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> flowthings.asyncio.API:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return flowthings.asyncio.API(CREDS, host="h.example", http_client=client, **options)  # type: ignore[arg-type]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def no_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("flowthings.http._async_transport._sleep", no_sleep)
    return recorded


def test_503_is_retried_honouring_retry_after(waits: list[float]) -> None:
    answers = [httpx.Response(503, headers={"Retry-After": "2"}, json={}), httpx.Response(200, json=OK)]

    async def main() -> object:
        async with _api(lambda request: answers.pop(0), max_retries=3) as api:
            return await api.flow.read("f1")

    assert asyncio.run(main()) == {"id": "f1"}
    assert waits == [2.0]


def test_post_is_not_retried_after_sending(waits: list[float]) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503, json={"head": {"status": 503, "errors": ["busy"]}, "body": None})

    async def main() -> None:
        async with _api(handler, max_retries=3) as api:
            await api.flow.create({"path": "/acc/a"})

    with pytest.raises(FlowThingsServerError):
        asyncio.run(main())
    assert calls == ["POST"]
    assert waits == []


def test_connection_errors_are_retried_then_typed(waits: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def main() -> None:
        async with _api(handler, max_retries=2) as api:
            await api.flow.create({"path": "/acc/a"})  # not sent: retried even for POST

    with pytest.raises(FlowThingsConnectionError):
        asyncio.run(main())
    assert len(waits) == 2


def test_the_decision_is_shared_with_the_sync_executor() -> None:
    policy = RetryPolicy(max_retries=2, backoff=0.5, max_wait=10, retry_post=False)
    busy = httpx.Response(503, headers={"Retry-After": "3"})
    assert retry_wait(policy, "GET", 0, response=busy) == 3.0
    assert retry_wait(policy, "GET", 2, response=busy) is None  # retries exhausted
    assert retry_wait(policy, "POST", 0, response=busy) is None  # may have reached the server
    refused = httpx.ConnectError("refused")
    assert retry_wait(policy, "POST", 0, error=refused) is not None  # never sent
    assert retry_wait(policy, "GET", 0, response=httpx.Response(404)) is None


def test_cancellation_propagates_and_stops_retrying(waits: list[float]) -> None:
    started = asyncio.Event()
    calls: list[int] = []

    async def main() -> None:
        async def slow(request: httpx.Request) -> httpx.Response:
            calls.append(1)
            started.set()
            await asyncio.sleep(30)
            return httpx.Response(200, json=OK)

        client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
        async with client, flowthings.asyncio.API(CREDS, http_client=client, max_retries=5) as api:
            task = asyncio.create_task(api.flow.read("f1"))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(asyncio.wait_for(main(), 5))
    assert calls == [1]
    assert waits == []


def test_cross_origin_redirects_are_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/v0.1/acc/flow/f1"})

    async def main() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
        async with client, flowthings.asyncio.API(CREDS, http_client=client) as api:
            await api.flow.read("f1")

    with pytest.raises(FlowThingsConnectionError, match="credentials are only sent"):
        asyncio.run(main())


def test_404_maps_to_the_same_exception_and_default() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"head": {"status": 404, "errors": ["nope"]}, "body": None})

    async def main() -> object:
        async with _api(handler) as api:
            with pytest.raises(FlowThingsNotFound):
                await api.flow.read("f1")
            return await api.flow.read_or_else("f1", "default")

    assert asyncio.run(main()) == "default"


def test_an_injected_client_stays_open_an_owned_one_is_closed() -> None:
    async def main() -> tuple[bool, bool]:
        mine = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=OK)))
        async with flowthings.asyncio.API(CREDS, http_client=mine) as api:
            assert api.http_client is mine
        async with flowthings.asyncio.API(CREDS) as owned:
            client = owned.http_client
        closed = mine.is_closed, client.is_closed
        await mine.aclose()
        return closed

    assert asyncio.run(main()) == (False, True)


def test_create_many_keeps_failures_per_input_and_checks_arguments_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if b'"bad"' in request.content:
            return httpx.Response(400, json={"head": {"status": 400, "errors": ["bad"]}, "body": None})
        return httpx.Response(200, json={"head": {"status": 200}, "body": {"id": "d"}})

    async def main() -> None:
        async with _api(handler) as api:
            with pytest.raises(ValueError, match="concurrency"):
                api.drop("f").create_many([], concurrency=0)  # before anything is awaited
            result = await api.drop("f").create_many(
                [{"elems": {"n": 1}}, {"elems": {"n": "bad"}}, {"elems": {"n": 3}}], concurrency=2
            )
            assert [item.ok for item in result] == [True, False, True]
            assert result.succeeded == [{"id": "d"}, {"id": "d"}]

    asyncio.run(main())
