"""Static checks of the green views' types (run by tests/typing/test_mypy.py).

Never imported by the test run; mypy reads it.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from flowthings import API
from flowthings._green import AsyncView, GreenThread, GreenThunk, LazyView
from flowthings.models import Drop, Flow
from flowthings.services import DropService, FlowService, JSONObject, References


def check(api: API) -> None:
    async_api = api.async_()
    assert_type(async_api.flow, AsyncView[FlowService])
    assert_type(async_api.drop("f1"), AsyncView[DropService])
    assert_type(async_api.flow.call(FlowService.read, "f1"), GreenThread[JSONObject])
    assert_type(
        async_api.flow.call(FlowService.read, "f1", refs=True),
        GreenThread[tuple[JSONObject, References]],
    )
    assert_type(async_api.spawn(api.statistics.track_hit, "t1"), GreenThread[list[int]])
    assert_type(async_api.flow.find("f1"), GreenThread[Any])
    assert_type(async_api.results(), list[Any])

    lazy_api = api.lazy()
    assert_type(lazy_api.drop("f1"), LazyView[DropService])
    assert_type(lazy_api.drop("f1").call(DropService.find_many), GreenThunk[list[JSONObject]])
    assert_type(
        lazy_api.drop("f1").call(DropService.aggregate, ["$count"]), GreenThunk[list[JSONObject]]
    )
    assert_type(lazy_api.spawn(api.flow.read, "f1").unwrap(), JSONObject)
    assert_type(lazy_api.flow.find("f1"), GreenThunk[Any])
    lazy_api.flow.call(FlowService.read, 1)  # type: ignore[arg-type]
    assert_type(lazy_api.flow.typed.call(type(api.flow.typed).read, "f1"), GreenThunk[Flow])
    assert_type(
        async_api.drop("f1").typed.call(type(api.drop("f1").typed).find), GreenThread[list[Drop]]
    )
    assert_type(lazy_api.drop.typed("f1").service.flow_id, str)
    lazy_api.drop(1)  # type: ignore[arg-type]
    lazy_api.flow("f1")  # type: ignore[misc,arg-type]  # FlowService is not a factory
    # Known mypy limit: an overloaded method with *args plus extra keywords
    # (find_many(mem.x == 1, limit=3)) is not matched through ParamSpec; call
    # it by attribute (lazy_api.flow.find_many(...)), which is typed Any.
