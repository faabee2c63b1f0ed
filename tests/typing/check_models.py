"""Type-checked (``mypy --strict``) uses of the models and typed filter members.

Never executed as tests: ``test_mypy.py`` runs mypy on this file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import JsonValue
from typing_extensions import assert_type

from flowthings import AGE, API, EXISTS, NOT, Filter, M, Member, Modify, mem
from flowthings.models import (
    AggregateRow,
    ApiTask,
    BaseElement,
    BoolField,
    DateField,
    Device,
    Drop,
    ElemsField,
    ElemValue,
    FloatElement,
    Flow,
    Group,
    Identity,
    IntegerElement,
    Location,
    LocationField,
    MqttTask,
    NumberField,
    RssTask,
    Share,
    SharePermission,
    SortedSetElement,
    StatisticsSeries,
    StringField,
    StringListField,
    Token,
    TokenPermission,
    Track,
    plain,
)


def models() -> None:
    flow = Flow(path="/alice/pears", capacity=10, displayName="Pears")
    assert_type(flow.path, str)
    assert_type(flow.capacity, int | None)
    assert_type(flow.displayName, str | None)
    assert_type(flow.id, str | None)
    assert_type(flow.creationDate, int | None)
    assert_type(flow.to_wire(), dict[str, Any])

    drop = Drop(elems={"temp": FloatElement(value=21.5), "room": "kitchen"})
    assert_type(drop.elems, dict[str, ElemValue])
    assert_type(drop.flowId, str | None)
    assert_type(drop.location, Location | None)
    assert_type(drop.plain_elems(), dict[str, JsonValue])
    temp = drop.elems["temp"]
    if isinstance(temp, FloatElement):
        assert_type(temp.value, int | float)  # an integral value stays an int
    if isinstance(temp, BaseElement):
        assert_type(plain(temp), JsonValue)
    codes = SortedSetElement(value=[IntegerElement(value=1), 2])
    assert_type(codes.type, Literal["sortedSet"])

    track = Track(source="/a/b", destination=["/a/c"])
    assert_type(track.destination, str | list[str] | None)
    token = Token(paths={"/a/b": TokenPermission(dropRead=True)})
    assert_type(token.paths, dict[str, TokenPermission])
    assert_type(token.tokenString, str | None)
    share = Share(issuedTo="i1", paths={"/a": SharePermission(read=True)})
    assert_type(share.paths["/a"].read, bool | None)
    assert_type(Group(memberIds=["i1"]).memberIds, list[str])
    assert_type(Identity().groupIds, list[str] | None)
    assert_type(Device(path="/a/b").status, str | None)
    assert_type(ApiTask(destination="/a/b", js="f").periodicity, int | None)
    assert_type(MqttTask(uri="tcp://x", topic="t", source="/a/b").qos, int | None)
    assert_type(RssTask(url="u", destination="/a/b").isFeatured, bool | None)

    row = AggregateRow.model_validate({"$count": 1})
    assert_type(row["$count"], Any)
    series: StatisticsSeries = [1, 2, 3]
    assert_type(series, list[int])

    new_flow, diff = M(flow, displayName="Apples").done()
    assert_type(new_flow, Flow)
    assert_type(diff, dict[str, Any])
    assert_type(Flow.model_validate({"path": "/a/b"}), Flow)


def typed_members() -> None:
    assert_type(Flow.q.capacity, NumberField)
    assert_type(Flow.q.path, StringField)
    assert_type(Flow.q.public, BoolField)
    assert_type(Flow.q.creationDate, DateField)
    assert_type(Drop.q.elems, ElemsField)
    assert_type(Drop.q.location, LocationField)
    assert_type(Group.q.memberIds, StringListField)
    assert_type(Drop.q.elems["temp"], Member)
    assert_type(Flow.q["undeclared"], Member)
    assert_type(Flow.q.path.member, Member)

    filters: list[Filter] = [
        Flow.q.capacity > 10,
        Flow.q.capacity <= 2.5,
        Flow.q.capacity == 0,
        Flow.q.capacity.IN(1, 2),
        (Flow.q.capacity % 2) == 0,
        Flow.q.path.re("^/alice", "i"),
        Flow.q.path == "/alice/pears",
        Flow.q.path.IN("/a/b", "/a/c"),
        Flow.q.public == True,  # noqa: E712
        Flow.q.lastEditDate > Flow.q.creationDate,
        Flow.q.lastEditDate.age > 60000,
        Flow.q.path.exists(),
        Drop.q.elems["temp"] > 3,
        Drop.q.elems["tags"].CONTAINS("a"),
        Drop.q.location.WITHIN(5, "KM", coords=(40.7, -73.9)),
        Group.q.memberIds.CONTAINS("i1"),
        Track.q.destination.CONTAINS("/a/b"),
        (Flow.q.capacity > 1) & Flow.q.path.re("x"),
        (Flow.q.capacity > 1) | NOT(Flow.q.public == False),  # noqa: E712
        ~EXISTS(mem.path),
        AGE < 600000,
    ]
    assert_type(filters, list[Filter])


def modifications(flow: Flow, drop: Drop, track: Track, api: API) -> None:
    """``M(model, **changes)`` is checked against the model's fields (issue 16)."""
    assert_type(M(flow, displayName="x", capacity=10), Modify[Flow])
    assert_type(M(flow, displayName=None), Modify[Flow])
    assert_type(M(drop, elems={"temp": 21}, location=None), Modify[Drop])
    assert_type(M(track, destination=["/a/b"]), Modify[Track])
    assert_type(M(flow).modify("undeclared", 1), Modify[Flow])
    assert_type(M({"id": "f1"}, anything=object()), Modify[dict[str, Any]])
    assert_type(api.flow.typed.update(M(flow, public=True)), Flow)
    assert_type(api.flow.typed.update(M({"id": "f1"}, displayName="x")), Flow)
    assert_type(api.drop("f1").typed.update(M(drop, elems={})), Drop)
    assert_type(api.flow.update(M(drop, elems={})), dict[str, Any])  # dict door: any model
