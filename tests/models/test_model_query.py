"""Typed filter members build the same nodes, and strings, as ``mem``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flowthings.filters import AGE, EXISTS, Filter, Member, mem
from flowthings.models import (
    ApiTask,
    Device,
    Drop,
    Flow,
    FlowthingsModel,
    Group,
    Identity,
    MqttTask,
    RssTask,
    Share,
    Token,
    Track,
)
from flowthings.models._query import MapField, Query

SAME_AS_MEM = [
    pytest.param(Flow.q.capacity > 10, mem.capacity > 10, id="number-gt"),
    pytest.param(Flow.q.capacity >= 1.5, mem.capacity >= 1.5, id="number-ge-float"),
    pytest.param(Flow.q.capacity < 3, mem.capacity < 3, id="number-lt"),
    pytest.param(Flow.q.capacity <= 3, mem.capacity <= 3, id="number-le"),
    pytest.param(Flow.q.capacity == 0, mem.capacity == 0, id="number-eq"),
    pytest.param(Flow.q.capacity != 0, mem.capacity != 0, id="number-ne"),
    pytest.param(Flow.q.capacity.IN(1, 2, 3), mem.capacity.IN(1, 2, 3), id="number-in"),
    pytest.param((Flow.q.capacity % 2) == 0, (mem.capacity % 2) == 0, id="number-mod"),
    pytest.param(Flow.q.path.re("^/a", "i"), mem.path.re("^/a", "i"), id="string-re"),
    pytest.param(Flow.q.displayName == "it's", mem.displayName == "it's", id="string-eq"),
    pytest.param(Flow.q.path != "/a/b", mem.path != "/a/b", id="string-ne"),
    pytest.param(Flow.q.path.IN("/a/b", "/a/c"), mem.path.IN("/a/b", "/a/c"), id="string-in"),
    pytest.param(Flow.q.public == True, mem.public == True, id="bool-eq"),  # noqa: E712
    pytest.param(Flow.q.public != False, mem.public != False, id="bool-ne"),  # noqa: E712
    pytest.param(Flow.q.path.exists(), EXISTS(mem.path), id="exists"),
    pytest.param(
        Flow.q.creationDate > 1433793760545, mem.creationDate > 1433793760545, id="date-ms"
    ),
    pytest.param(
        Flow.q.creationDate < dt.datetime(2015, 6, 1, tzinfo=dt.timezone.utc),
        mem.creationDate < dt.datetime(2015, 6, 1, tzinfo=dt.timezone.utc),
        id="date-datetime",
    ),
    pytest.param(Flow.q.lastEditDate.age > 3600000, AGE("lastEditDate") > 3600000, id="age"),
    pytest.param(
        Flow.q.lastEditDate >= Flow.q.creationDate,
        mem.lastEditDate >= mem.creationDate,
        id="member-to-member",
    ),
    pytest.param(Drop.q.elems["temp"] > 3, mem.elems.temp > 3, id="elems-item"),
    pytest.param(Drop.q.elems.temp == "hot", mem.elems.temp == "hot", id="elems-attr"),
    pytest.param(Drop.q.elems["a.b"].re("x"), mem.elems.a.b.re("x"), id="elems-nested"),
    pytest.param(
        Drop.q.elems["tags"].CONTAINS("a", "b"),
        mem.elems.tags.CONTAINS("a", "b"),
        id="elems-contains",
    ),
    pytest.param(
        Drop.q.elems["length"] <= Drop.q.elems["width"],
        mem.elems.length <= mem.elems.width,
        id="elems-member-to-member",
    ),
    pytest.param(
        Drop.q.location.WITHIN(5, "KM", coords=(40.7, -73.9)),
        mem.location.WITHIN(5, "KM", coords=(40.7, -73.9)),
        id="within-coords",
    ),
    pytest.param(
        Drop.q.location.WITHIN(5, "MILES", zip="10001"),
        mem.location.WITHIN(5, "MILES", zip="10001"),
        id="within-zip",
    ),
    pytest.param(Drop.q.fhash == "20150623", mem.fhash == "20150623", id="drop-fhash"),
    pytest.param(
        Drop.q.parentDropId["flowId"] == "f1", mem.parentDropId.flowId == "f1", id="map-item"
    ),
    pytest.param(
        Group.q.memberIds.CONTAINS("i1"), mem.memberIds.CONTAINS("i1"), id="list-contains"
    ),
    pytest.param(
        Track.q.destination.CONTAINS("/a/b"), mem.destination.CONTAINS("/a/b"), id="paths-contains"
    ),
    pytest.param(Track.q.destination == "/a/b", mem.destination == "/a/b", id="paths-eq"),
    pytest.param(Flow.q["someExtra"] == 1, mem.someExtra == 1, id="undeclared-member"),
    pytest.param(
        (Flow.q.capacity > 1) & (Flow.q.path.re("^/a")),
        (mem.capacity > 1) & mem.path.re("^/a"),
        id="and",
    ),
    pytest.param(~(Flow.q.public == True), ~(mem.public == True), id="not"),  # noqa: E712
]


@pytest.mark.parametrize(("typed", "untyped"), SAME_AS_MEM)
def test_typed_member_builds_the_same_node_as_mem(typed: Filter, untyped: Filter) -> None:
    assert typed == untyped
    assert str(typed) == str(untyped)


def test_examples_compile() -> None:
    assert str(Flow.q.capacity > 10) == "capacity > 10"
    assert str(Drop.q.elems["temp"] > 3) == "elems.temp > 3"
    assert str(Flow.q.path.re("^/a")) == "path =~ /^\\/a/"


WRONG_OPERANDS = [
    pytest.param(lambda: Flow.q.capacity == "10", id="number-eq-str"),
    pytest.param(lambda: Flow.q.capacity > "10", id="number-gt-str"),  # type: ignore[operator]
    pytest.param(lambda: Flow.q.capacity == True, id="number-eq-bool"),  # noqa: E712
    pytest.param(lambda: Flow.q.capacity.IN("1"), id="number-in-str"),  # type: ignore[arg-type]
    pytest.param(lambda: Flow.q.path == 3, id="string-eq-int"),
    pytest.param(lambda: Flow.q.path.IN("a", 3), id="string-in-int"),  # type: ignore[arg-type]
    pytest.param(lambda: Flow.q.public == 1, id="bool-eq-int"),
    pytest.param(lambda: Flow.q.creationDate > "yesterday", id="date-gt-str"),  # type: ignore[operator]
    pytest.param(lambda: Group.q.memberIds.CONTAINS(1), id="list-contains-int"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("build", WRONG_OPERANDS)
def test_wrong_operand_type_raises(build: Any) -> None:
    with pytest.raises(TypeError):
        build()


def test_field_has_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(Flow.q.capacity)


def test_member_is_the_untyped_member() -> None:
    assert isinstance(Flow.q.path.member, Member)
    assert str(Flow.q.path.member) == "path"
    assert repr(Flow.q.capacity) == "NumberField('capacity')"


MODELS = [Flow, Drop, Track, Group, Identity, Token, Share, Device, ApiTask, MqttTask, RssTask]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_typed_member(model: type[FlowthingsModel]) -> None:
    q = model.q  # type: ignore[attr-defined]
    assert isinstance(q, Query)
    for name in model.model_fields:
        member = getattr(type(q), name, None)
        assert member is not None, f"{model.__name__}.q.{name} is missing"
        assert str(member) == name
    # and nothing more than the fields
    declared = {n for n in dir(type(q)) if not n.startswith("_")}
    assert declared == set(model.model_fields)


def test_q_is_not_a_model_field() -> None:
    assert "q" not in Flow.model_fields
    assert Flow(path="/a/b").to_wire() == {"path": "/a/b"}


def test_map_field_rejects_private_attributes() -> None:
    with pytest.raises(AttributeError):
        MapField("metadata")._private  # noqa: B018
