"""Type-checked (``mypy --strict``) uses of the sync services and their typed views.

Never executed as tests: ``test_mypy.py`` runs mypy on this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typing_extensions import assert_type

from flowthings import API, M, P, Token, mem
from flowthings.models import AggregateRow, Drop, Flow, References, Share, Track
from flowthings.models import Token as TokenModel
from flowthings.services._bulk import BulkItem, BulkResult
from flowthings.services.typed import (
    TypedDropFactory,
    TypedDropService,
    TypedService,
    TypedShareService,
    TypedStatisticsService,
    TypedTokenService,
)

JSON = dict[str, Any]


def sync(api: API) -> None:
    assert_type(api.flow.read("f1"), JSON)
    assert_type(api.flow.read("f1", refs=True), tuple[JSON, References])
    assert_type(api.flow.find("f1"), JSON)
    assert_type(api.flow.find(["f1", "f2"]), dict[str, JSON])
    assert_type(api.flow.find(mem.path == "/a/b"), list[JSON])
    assert_type(api.flow.find(limit=10, refs=True), tuple[list[JSON], References])
    assert_type(api.flow.find_many(Flow.q.capacity > 1), list[JSON])
    assert_type(api.flow.create(Flow(path="/a/b")), JSON)
    assert_type(api.flow.update(M({"id": "f1"}, displayName="x")), JSON)
    assert_type(api.drop("f1").aggregate(["$count"], group_by=["town"]), list[JSON])
    assert_type(api.statistics.flow_drop_added("f1", 2015), list[int])
    assert_type(P(limit=10).to_dict(), dict[str, Any])
    assert_type(Token("acc", "tok").account, str)


def typed(api: API) -> None:
    flows = TypedService(api.flow, Flow)
    assert_type(flows.read("f1"), Flow)
    assert_type(flows.read("f1", refs=True), tuple[Flow, References])
    assert_type(flows.read_or_else("f1"), Flow | None)
    assert_type(flows.read_or_else("f1", 0), Flow | int)
    assert_type(flows.read_or_else("f1", refs=True), tuple[Flow, References] | None)
    assert_type(flows.read_or_else("f1", 0, refs=True), tuple[Flow, References] | int)
    assert_type(flows.read_many(["f1"]), dict[str, Flow])
    assert_type(flows.find_many(Flow.q.capacity > 1, limit=5), list[Flow])
    assert_type(flows.find_many(refs=True), tuple[list[Flow], References])
    assert_type(flows.find("f1"), Flow)
    assert_type(flows.find("f1", refs=True), tuple[Flow, References])
    assert_type(flows.find(["f1"]), dict[str, Flow])
    assert_type(flows.find(["f1"], refs=True), tuple[dict[str, Flow], References])
    assert_type(flows.find(Flow.q.path == "/a/b"), list[Flow])
    assert_type(flows.find(), list[Flow])
    assert_type(flows.find(limit=3, refs=True), tuple[list[Flow], References])
    assert_type(flows.create(Flow(path="/a/b")), Flow)
    assert_type(flows.create({"path": "/a/b"}), Flow)
    flow = flows.read("f1")
    assert_type(flows.update(M(flow, displayName="x")), Flow)
    assert_type(flows.update(flow, refs=True), tuple[Flow, References])
    assert_type(flows.update_many([flow]), dict[str, Flow])
    assert_type(flows.save(flow), Flow)
    assert_type(flows.save([flow]), dict[str, Flow])
    assert_type(flows.delete("f1"), Flow | None)
    assert_type(flows.model, type[Flow])

    tracks = TypedService(api.track, Track)
    assert_type(tracks.find(Track.q.source == "/a/b"), list[Track])

    drops = TypedDropService(api.drop("f1"))
    assert_type(drops.find(Drop.q.elems["temp"] > 3), list[Drop])
    assert_type(drops.create(Drop(elems={"x": 1})), Drop)
    assert_type(drops.aggregate(["$count"], group_by=["town"]), list[AggregateRow])
    assert_type(drops.flow_id, str)
    by_path = TypedDropFactory(api.drop)
    assert_type(by_path("f1"), TypedDropService)
    assert_type(by_path.find(path="/a/b"), list[Drop])

    tokens = TypedTokenService(api.token)
    assert_type(tokens.create({"paths": {}}), TokenModel)
    shares = TypedShareService(api.share)
    assert_type(shares.find(), list[Share])

    stats = TypedStatisticsService(api.statistics)
    assert_type(stats.flow_drop_added("f1", 2015, 1, level="DAY"), list[int])


def params_and_collections(api: API, flag: bool, flows: list[Flow], ids: tuple[str, ...]) -> None:
    """Typed query parameters, ``refs`` from a variable, and read-only collections."""
    assert_type(api.flow.find(limit=10, start=20, sort="path", order="desc"), list[JSON])
    assert_type(api.flow.find(only=["id", "path"], hints=False), list[JSON])
    assert_type(api.flow.find(filter=mem.path == "/a/b", skip=5), list[JSON])
    assert_type(api.flow.find(extra_params={"undocumented": 1}), list[JSON])
    assert_type(api.flow.read("f1", only="id"), JSON)
    query: dict[str, Any] = {"limit": 10, "whatever": 1}
    api.flow.find(**query)  # 1.0.5 dict style stays accepted (the answer is then Any)
    assert_type(api.flow.find(limit=1, refs=flag), list[JSON] | tuple[list[JSON], References])
    assert_type(api.flow.read("f1", refs=flag), JSON | tuple[JSON, References])
    assert_type(api.flow.find(ids), dict[str, JSON])
    assert_type(api.flow.read_many(ids), dict[str, JSON])
    assert_type(api.flow.update_many(flows), dict[str, JSON])
    assert_type(api.flow.update_many([M(f, displayName="x") for f in flows]), dict[str, JSON])
    assert_type(api.flow.save(flows), dict[str, JSON])
    assert_type(api.drop.find(path="/a/b", limit=1, refs=flag), list[JSON] | tuple[list[JSON], References])
    typed = api.flow.typed
    assert_type(typed.find(limit=1, refs=flag), list[Flow] | tuple[list[Flow], References])
    assert_type(typed.update_many(flows), dict[str, Flow])
    assert_type(typed.update_many([M(f, capacity=10) for f in flows]), dict[str, Flow])
    assert_type(typed.update(M({"id": "f1"}, anything=1)), Flow)
    assert_type(typed.find(ids), dict[str, Flow])
    assert_type(typed.save(tuple(flows)), dict[str, Flow])


def large_data(api: API, drops: list[Drop]) -> None:
    """``find_iter`` and ``create_many`` take the typed parameters too (issue 16)."""
    flows = api.flow.find_iter(mem.path == "/a/b", page_size=500, sort="path", order="asc")
    assert_type(flows, Iterator[JSON])
    assert_type(api.flow.find_iter(limit=10, only=["id"], extra_params={"x": 1}), Iterator[JSON])
    assert_type(api.flow.typed.find_iter(filter=mem.path == "/a/b"), Iterator[Flow])
    assert_type(api.drop("f1").typed.find_iter(order="desc"), Iterator[Drop])
    created = api.drop("f1").create_many([{"elems": {"n": 1}}], concurrency=4, hints=0)
    assert_type(created, BulkResult[JSON])
    assert_type(created.succeeded, list[JSON])
    typed_created = api.drop("f1").typed.create_many(drops, extra_params={"x": 1})
    assert_type(typed_created, BulkResult[Drop])
    assert_type(typed_created.failed, list[BulkItem[Drop]])
