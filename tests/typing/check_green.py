"""Static checks of the green views' types (run by tests/typing/test_mypy.py).

Never imported by the test run; mypy reads it.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from flowthings import API, M, WebSocketClient
from flowthings.green._api import GreenPageIterator, GreenThread, GreenThunk
from flowthings.models import AggregateRow, Drop, Flow, StatisticsSeries, Token
from flowthings.services import DropService, FlowService, JSONObject, References


def check(api: API) -> None:
    async_api = api.async_()
    assert_type(async_api.flow.service, FlowService)
    assert_type(async_api.drop("f1").service, DropService)
    assert_type(async_api.flow.call(FlowService.read, "f1"), GreenThread[JSONObject])
    assert_type(
        async_api.flow.call(FlowService.read, "f1", refs=True),
        GreenThread[tuple[JSONObject, References]],
    )
    assert_type(async_api.spawn(api.statistics.track_hit, "t1"), GreenThread[list[int]])
    assert_type(async_api.flow.find("f1"), GreenThread[JSONObject])
    assert_type(async_api.results(), list[Any])

    lazy_api = api.lazy()
    assert_type(lazy_api.drop("f1").service, DropService)
    assert_type(lazy_api.drop("f1").call(DropService.find_many), GreenThunk[list[JSONObject]])
    assert_type(
        lazy_api.drop("f1").call(DropService.aggregate, ["$count"]), GreenThunk[list[JSONObject]]
    )
    assert_type(lazy_api.spawn(api.flow.read, "f1").unwrap(), JSONObject)
    assert_type(lazy_api.flow.find("f1"), GreenThunk[JSONObject])
    lazy_api.flow.call(FlowService.read, 1)  # type: ignore[arg-type]
    assert_type(lazy_api.flow.typed.call(type(api.flow.typed).read, "f1"), GreenThunk[Flow])
    assert_type(
        async_api.drop("f1").typed.call(type(api.drop("f1").typed).find), GreenThread[list[Drop]]
    )
    assert_type(lazy_api.drop.typed("f1").service.flow_id, str)



def real_signatures(api: API, flag: bool) -> None:
    """The views' methods carry the sync signatures (generated mirrors, issue 16)."""
    async_api = api.async_()
    lazy_api = api.lazy()
    assert_type(async_api.flow.typed.read("f1"), GreenThread[Flow])
    assert_type(lazy_api.drop("f1").find(limit=10), GreenThunk[list[dict[str, Any]]])
    assert_type(lazy_api.drop("f1").find_many(Drop.q.elems["t"] > 1, limit=3), GreenThunk[list[JSONObject]])
    assert_type(async_api.flow.find(limit=1, refs=True), GreenThread[tuple[list[JSONObject], References]])
    assert_type(async_api.flow.find(limit=1, refs=flag), GreenThread[list[JSONObject] | tuple[list[JSONObject], References]])
    assert_type(lazy_api.drop("f1").typed.find(limit=2), GreenThunk[list[Drop]])
    assert_type(lazy_api.drop.typed("f1").aggregate(["$count"]), GreenThunk[list[AggregateRow]])
    assert_type(async_api.drop.find(path="/a/b"), GreenThread[list[JSONObject]])
    assert_type(async_api.statistics.track_hit("t1", 2015), GreenThread[list[int]])
    # find_iter: an iterator that prefetches pages, not a green thread (issue 19)
    assert_type(async_api.drop("f1").find_iter(order="asc"), GreenPageIterator[JSONObject])
    assert_type(lazy_api.flow.typed.find_iter(sort="path"), GreenPageIterator[Flow])
    assert_type(next(async_api.drop("f1").typed.find_iter(page_size=50)), Drop)
    with lazy_api.token.find_iter() as tokens:
        assert_type(tokens, GreenPageIterator[JSONObject])
    assert_type(lazy_api.statistics.typed.track_hit("t1"), GreenThunk[StatisticsSeries])
    assert_type(async_api.token.typed.create({"paths": {}}), GreenThread[Token])
    assert_type(lazy_api.flow.typed.update(M({"id": "f1"}, displayName="x")), GreenThunk[Flow])
    assert_type(async_api.websocket.connect(), GreenThread[WebSocketClient])

