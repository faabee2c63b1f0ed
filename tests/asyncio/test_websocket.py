"""The asyncio WebSocket client end to end against the local platform over loopback (issue 18).

Every test runs its own event loop (``asyncio.run``) and ends by checking that
the client left no task behind. Waits are bounded by ``WAIT``; no assertion
depends on how long a sleep lasted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

import flowthings.asyncio
from flowthings import (
    FlowThingsConnectionError,
    FlowThingsConnectionLost,
    FlowThingsForbidden,
    FlowThingsNotConnected,
    FlowThingsNotFound,
    FlowThingsRequestTimeout,
    Token,
    mem,
)
from flowthings.asyncio import WebSocketClient
from flowthings.models import Drop

from ..websocket.conftest import ACCOUNT, TOKEN, WsServer

pytestmark = pytest.mark.timeout(60)

WAIT = 10.0


def api_of(server: WsServer, token: str = TOKEN) -> flowthings.asyncio.API:
    return flowthings.asyncio.API(
        Token(ACCOUNT, token), secure=False, host=server.host, ws_host=server.host, max_retries=0
    )


Main = Callable[[flowthings.asyncio.API], Awaitable[None]]


def run(server: WsServer, main: Main) -> None:
    """Run ``main(api)`` in a fresh loop; then no task of the client may be left."""

    async def wrapper() -> None:
        async with api_of(server) as api:
            await main(api)
        await asyncio.sleep(0)  # let cancelled helpers finish unwinding
        left = asyncio.all_tasks() - {asyncio.current_task()}
        assert left == set(), f"leaked tasks: {left}"

    asyncio.run(wrapper())


async def new_flow(api: flowthings.asyncio.API, name: str) -> str:
    flow = await api.flow.create({"path": f"/{ACCOUNT}/{name}"})
    return str(flow["id"])


class Errors:
    """An ``on_error`` that queues what it is given."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[BaseException] = asyncio.Queue()
        self.reconnects: asyncio.Queue[int] = asyncio.Queue()

    def on_error(self, ws: WebSocketClient, exc: BaseException) -> None:
        self.queue.put_nowait(exc)

    def on_reconnect(self, ws: WebSocketClient, attempt: int) -> None:
        self.reconnects.put_nowait(attempt)

    async def next(self) -> BaseException:
        return await asyncio.wait_for(self.queue.get(), WAIT)


# -- subscriptions and pushes --------------------------------------------------------


@pytest.mark.parametrize("by", ["id", "path"])
def test_subscribe_and_receive_typed_pushes(server: WsServer, by: str) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "temps")
        async with api.websocket.connect() as ws:
            assert ws.connected
            assert await ws.subscribe(fid if by == "id" else f"/{ACCOUNT}/temps") == {}
            stream = ws.drops(fid, timeout=WAIT)
            written = [await api.drop(fid).create({"elems": {"t": t}}) for t in (21, 22)]
            got = [await anext(stream), await anext(stream)]
            assert all(isinstance(d, Drop) for d in got)
            assert [d.id for d in got] == [w["id"] for w in written]
            assert [d.plain_elems() for d in got] == [{"t": 21}, {"t": 22}]
            assert got[0].flowId == fid
            assert [d async for d in ws.drops(fid, timeout=0.05)] == []  # ends on timeout
        assert not ws.connected
        assert [d async for d in stream] == []  # ended with the client

    run(server, main)


def test_messages_yields_the_pushed_dicts_next_to_typed_drops(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "raw")
        async with api.websocket.connect() as ws:
            await ws.subscribe(fid)
            raw, typed = ws.messages(fid, timeout=WAIT), ws.drops(fid, timeout=WAIT)
            written = await api.drop(fid).create({"elems": {"t": 5}})
            data = await anext(raw)
            assert isinstance(data, dict)
            assert data["id"] == written["id"]
            assert data["elems"] == {"t": {"type": "integer", "value": 5}}  # as pushed
            assert (await anext(typed)).id == written["id"]
        assert [m async for m in raw] == []

    run(server, main)


def test_subscriptions_made_before_open_are_sent_on_open(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "early")
        ws = api.websocket.connect()
        assert await ws.subscribe(fid) is None  # recorded only: not connected yet
        all_flows = ws.drops(timeout=WAIT)
        async with ws:
            assert ws.subscriptions == [fid]
            written = await api.drop(fid).create({"elems": {"n": 1}})
            assert (await anext(all_flows)).id == written["id"]  # answered before open returned
            await ws.unsubscribe(fid)
            assert ws.subscriptions == []

    run(server, main)


def test_unsubscribe_stops_delivery(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid, sentinel = await new_flow(api, "a"), await new_flow(api, "sentinel")
        async with api.websocket.connect() as ws:
            await ws.subscribe(fid)
            await ws.subscribe(sentinel)
            stream = ws.drops(timeout=WAIT)
            await ws.unsubscribe(fid)
            await api.drop(fid).create({"elems": {"x": 1}})
            await api.drop(sentinel).create({"elems": {"x": 2}})
            # pushes keep write order on one connection: one for ``fid`` would come first
            assert (await anext(stream)).flowId == sentinel

    run(server, main)


def test_a_deleted_flow_ends_its_subscription_and_iterators(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid, other = await new_flow(api, "doomed"), await new_flow(api, "other")
        errors = Errors()
        async with api.websocket.connect(on_error=errors.on_error) as ws:
            await ws.subscribe(fid)
            await ws.subscribe(other)
            doomed, everything = ws.drops(fid, timeout=WAIT), ws.drops(timeout=WAIT)
            await api.flow.delete(fid)  # the platform sends an ``unsubscribed`` frame
            with pytest.raises(FlowThingsNotFound):
                await anext(doomed)
            assert isinstance(await errors.next(), FlowThingsNotFound)
            assert ws.subscriptions == [other]
            written = await api.drop(other).create({"elems": {"n": 1}})
            assert (await anext(everything)).id == written["id"]  # other flows carry on

    run(server, main)


def test_subscribing_to_a_missing_flow_raises_and_is_forgotten(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        async with api.websocket.connect() as ws:
            with pytest.raises(FlowThingsNotFound):
                await ws.subscribe(f"/{ACCOUNT}/nope")
            assert ws.subscriptions == []
            assert ws.connected

    run(server, main)


# -- requests --------------------------------------------------------------------------


def test_every_request_returns_its_reply_body(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "crud")
        async with api.websocket.connect() as ws:
            created = await ws.create_drop(fid, Drop(elems={"temp": 30}))
            assert created["flowId"] == fid
            assert (await ws.find_drop(fid, created["id"]))["id"] == created["id"]
            await ws.create_drop(fid, {"elems": {"temp": 10}})
            hot = await ws.find_drops(fid, filter=mem.elems.temp > 25, limit=5)
            assert [d["id"] for d in hot] == [created["id"]]
            updated = await ws.update_drop(fid, created["id"], {"elems": {"temp": 31}})
            assert updated["elems"]["temp"]["value"] == 31
            await ws.delete_drop(fid, created["id"])
            with pytest.raises(FlowThingsNotFound) as caught:
                await ws.find_drop(fid, created["id"])
            assert caught.value.method == "find"
            flows = await ws.request("flow", "findmany")
            assert [f["id"] for f in flows] == [fid]
            assert await ws.send({"type": "findmany", "object": "drop", "flowId": fid}) != []

    run(server, main)


def test_concurrent_requests_on_one_socket_get_their_own_replies(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "many")
        async with api.websocket.connect() as ws:
            replies = await asyncio.gather(
                *(ws.create_drop(fid, {"elems": {"i": i}}) for i in range(100))
            )
            assert [r["elems"]["i"]["value"] for r in replies] == list(range(100))
            assert len({r["id"] for r in replies}) == 100
            assert len(await api.drop(fid).find(limit=1000)) == 100

    run(server, main)


def test_a_request_without_reply_times_out(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        async with api.websocket.connect() as ws:
            # heartbeats are never answered, so this request can only time out
            with pytest.raises(FlowThingsRequestTimeout):
                await ws.send({"type": "heartbeat"}, timeout=0.2)
            assert ws._pending == {}
            assert ws.connected

    run(server, main)


def test_sending_while_not_connected_is_refused(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        ws = api.websocket.connect()
        with pytest.raises(FlowThingsNotConnected):
            await ws.find_drops("f1")
        async with ws:
            pass
        with pytest.raises(FlowThingsNotConnected):
            await ws.find_drops("f1")

    run(server, main)


# -- cancellation -----------------------------------------------------------------------


def test_a_cancelled_request_leaves_the_connection_usable(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "cancel")
        async with api.websocket.connect() as ws:
            never = asyncio.ensure_future(ws.send({"type": "heartbeat"}, timeout=60.0))
            in_flight = asyncio.ensure_future(ws.find_drops(fid))
            await asyncio.sleep(0)  # both are sent and waiting
            never.cancel()
            in_flight.cancel()
            for task in (never, in_flight):
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert ws._pending == {}  # a late reply matches nothing
            created = await ws.create_drop(fid, {"elems": {"n": 1}})
            assert [d["id"] for d in await ws.find_drops(fid)] == [created["id"]]
            with pytest.raises(asyncio.TimeoutError):  # a timeout around a call cancels it
                await asyncio.wait_for(ws.send({"type": "heartbeat"}, timeout=60.0), 0.05)
            assert (await ws.find_drop(fid, created["id"]))["id"] == created["id"]

    run(server, main)


def test_a_cancelled_async_for_unregisters_its_iterator(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "cancel-iter")
        async with api.websocket.connect() as ws:
            await ws.subscribe(fid)
            seen: list[Drop] = []
            first = asyncio.Event()

            async def consume() -> None:
                async for drop in ws.drops(fid):
                    seen.append(drop)
                    first.set()

            task = asyncio.ensure_future(consume())
            await asyncio.sleep(0)
            assert len(ws._streams) == 1
            await api.drop(fid).create({"elems": {"n": 1}})
            await asyncio.wait_for(first.wait(), WAIT)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert len(ws._streams) == 0
            assert len(seen) == 1
            assert ws.connected

    run(server, main)


def test_a_cancelled_open_closes_the_client(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        stuck = asyncio.Event()

        async def slow_session() -> str:
            stuck.set()
            await asyncio.sleep(60)
            raise AssertionError("not reached")

        ws = WebSocketClient(slow_session)
        opening = asyncio.ensure_future(ws.open())
        await asyncio.wait_for(stuck.wait(), WAIT)
        opening.cancel()
        with pytest.raises(asyncio.CancelledError):
            await opening
        assert not ws.connected

    run(server, main)


# -- heartbeats, reconnection, gaps -----------------------------------------------------------


@pytest.mark.parametrize("heartbeat", [pytest.param(0.1, id="beating"), pytest.param(None, id="silent")])
def test_heartbeats_keep_an_idle_connection_open(
    make_server: Callable[..., WsServer], heartbeat: float | None
) -> None:
    server = make_server(idle_timeout=0.5)

    async def main(api: flowthings.asyncio.API) -> None:
        errors = Errors()
        ws = api.websocket.connect(
            heartbeat_interval=heartbeat, reconnect=False, on_error=errors.on_error
        )
        async with ws:
            if heartbeat is None:  # control: the server does close idle connections
                lost = await errors.next()
                assert isinstance(lost, FlowThingsConnectionLost)
                assert "1001 idle timeout" in str(lost)  # the close frame's code and reason
                return
            with pytest.raises(asyncio.TimeoutError):  # three idle timeouts pass without a close
                await asyncio.wait_for(errors.queue.get(), 1.5)
            assert ws.connected
            assert await ws.send({"type": "findmany", "object": "flow"}) == []

    run(server, main)


def test_server_restart_reconnects_resubscribes_and_reports_the_gap(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        fid = await new_flow(api, "restart")
        errors = Errors()
        ws = api.websocket.connect(
            backoff_base=0.05,
            backoff_max=0.2,
            on_error=errors.on_error,
            on_reconnect=errors.on_reconnect,
        )
        async with ws:
            await ws.subscribe(fid)
            stream = ws.drops(fid, timeout=WAIT)
            strict = ws.drops(fid, timeout=WAIT, raise_on_gap=True)
            first = await api.drop(fid).create({"elems": {"n": 1}})
            assert (await anext(stream)).id == first["id"]
            assert (await anext(strict)).id == first["id"]
            pending = asyncio.ensure_future(ws.send({"type": "heartbeat"}, timeout=60.0))
            await asyncio.sleep(0)

            await asyncio.to_thread(server.stop)
            assert isinstance(await errors.next(), FlowThingsConnectionLost)
            with pytest.raises(FlowThingsConnectionLost):
                await pending  # a request pending at the loss fails
            with pytest.raises(FlowThingsNotConnected):
                await ws.find_drops(fid)
            await asyncio.to_thread(server.start)  # same port, same data
            assert await asyncio.wait_for(errors.reconnects.get(), WAIT) >= 1
            assert ws.connected
            assert ws.subscriptions == [fid]

            second = await api.drop(fid).create({"elems": {"n": 2}})
            assert (await anext(stream)).id == second["id"]  # resubscribed; gap skipped
            assert stream.gaps == 1
            with pytest.raises(FlowThingsConnectionLost):
                await anext(strict)  # raise_on_gap: the gap ends it
            assert len(ws._streams) == 1

    run(server, main)


def test_retries_exhausted_is_a_final_close(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        errors = Errors()
        ws = api.websocket.connect(
            backoff_base=0.01, backoff_max=0.02, max_retries=2, on_error=errors.on_error
        )
        async with ws:
            stream = ws.drops(timeout=WAIT)
            await asyncio.to_thread(server.stop)
            assert [d async for d in stream] == []  # ends when the client gives up
            assert stream.gaps == 1
            assert not ws.connected
            with pytest.raises(FlowThingsNotConnected):
                await ws.find_drops("f1")
        # the lost connection, then two failed attempts (their session requests)
        reported = [errors.queue.get_nowait() for _ in range(3)]
        assert isinstance(reported[0], FlowThingsConnectionLost)
        assert all(isinstance(e, FlowThingsConnectionError) for e in reported[1:])
        assert errors.queue.empty()

    run(server, main)


def test_open_gives_up_with_the_last_connection_error(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        await asyncio.to_thread(server.stop)
        ws = api.websocket.connect(max_retries=1, backoff_base=0.01, on_error=lambda w, e: None)
        with pytest.raises(FlowThingsNotConnected) as caught:
            async with ws:
                raise AssertionError("not reached")
        assert isinstance(caught.value.__cause__, FlowThingsConnectionError)  # the session request

    run(server, main)


# -- credentials, logging, packaging ------------------------------------------------------------


def test_bad_credentials_raise_a_typed_error_at_once(server: WsServer) -> None:
    async def main() -> None:
        async with api_of(server, token="B" * 32) as api:
            ws = api.websocket.connect(on_error=lambda w, e: None)
            with pytest.raises(FlowThingsForbidden) as caught:
                async with ws:
                    raise AssertionError("not reached")
            assert caught.value.status in (401, 403)
            assert "B" * 32 not in repr(caught.value)
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())


def test_without_on_error_a_lost_connection_is_logged(
    server: WsServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        async with api.websocket.connect(reconnect=False) as ws:
            stream = ws.drops(timeout=WAIT)
            await asyncio.to_thread(server.stop)
            assert [d async for d in stream] == []

    with caplog.at_level(logging.WARNING, logger="flowthings"):
        run(server, main)
    lost = [r for r in caplog.records if "WebSocket closed" in r.getMessage()]
    assert len(lost) == 1
    assert TOKEN not in caplog.text


def test_a_client_opens_once(server: WsServer) -> None:
    async def main(api: flowthings.asyncio.API) -> None:
        async with api.websocket.connect() as ws:
            with pytest.raises(flowthings.FlowThingsError):
                await ws.open()
        await ws.aclose()  # idempotent

    run(server, main)


def test_without_websockets_connect_says_what_to_install(
    server: WsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "flowthings.asyncio._ws_client")
    monkeypatch.delitem(sys.modules, "flowthings.asyncio._ws_loop")
    monkeypatch.setitem(sys.modules, "websockets.asyncio.client", None)
    api = api_of(server)
    with pytest.raises(ImportError, match=r"pip install 'flowthings\[asyncio\]'"):
        api.websocket.connect()


def test_close_is_bounded_when_the_peer_never_answers() -> None:
    from ..websocket.test_lifecycle import MuteServer

    mute = MuteServer()
    try:

        async def main() -> None:
            async def session() -> str:
                return f"ws://127.0.0.1:{mute.port}/session/x/ws"

            ws = WebSocketClient(session, heartbeat_interval=None)
            ws.close_timeout = 0.2
            await ws.open()
            assert ws.connected
            await asyncio.wait_for(ws.aclose(), WAIT)
            assert not ws.connected
            await asyncio.sleep(0)
            assert asyncio.all_tasks() == {asyncio.current_task()}

        asyncio.run(main())
    finally:
        mute.close()
