"""Documented constraints are validated on input; server answers stay readable."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from flowthings.models import (
    AggregateRow,
    ApiTask,
    Device,
    Drop,
    Flow,
    FlowthingsModel,
    Group,
    MqttTask,
    RssTask,
    Share,
    Token,
    Track,
)

INVALID = [
    pytest.param(Flow, {}, id="flow-path-required"),
    pytest.param(Flow, {"path": "alice/pears"}, id="flow-path-no-leading-slash"),
    pytest.param(Flow, {"path": "/alice"}, id="flow-path-account-only"),
    pytest.param(Flow, {"path": "/alice/"}, id="flow-path-empty-segment"),
    pytest.param(Flow, {"path": "//pears"}, id="flow-path-empty-account"),
    pytest.param(Flow, {"path": "/alice/" + "x" * 122}, id="flow-path-129-chars"),
    pytest.param(Flow, {"path": "/a/b", "capacity": -1}, id="flow-capacity-negative"),
    pytest.param(Flow, {"path": "/a/b", "capacity": 100001}, id="flow-capacity-too-big"),
    pytest.param(Drop, {}, id="drop-elems-required"),
    pytest.param(Drop, {"elems": {}, "location": {"lat": 1}}, id="drop-location-lon"),
    pytest.param(Track, {"destination": "/a/b"}, id="track-source-required"),
    pytest.param(Track, {"source": "/a/b", "destination": 3}, id="track-destination-type"),
    pytest.param(Group, {"displayName": "x"}, id="group-members-required"),
    pytest.param(Token, {"description": "x"}, id="token-paths-required"),
    pytest.param(Share, {"paths": {}}, id="share-issued-to-required"),
    pytest.param(Share, {"issuedTo": "i1"}, id="share-paths-required"),
    pytest.param(Device, {"displayName": "x"}, id="device-path-required"),
    pytest.param(ApiTask, {"destination": "/a/b"}, id="api-task-js-required"),
    pytest.param(ApiTask, {"js": "f", "destination": "/a/b", "periodicity": 59999},
                 id="api-task-periodicity-min"),
    pytest.param(RssTask, {"url": "http://x"}, id="rss-destination-required"),
    pytest.param(RssTask, {"url": "u", "destination": "/a/b", "periodicity": 1000},
                 id="rss-periodicity-min"),
    pytest.param(MqttTask, {"uri": "tcp://x", "topic": "t"}, id="mqtt-no-direction"),
    pytest.param(MqttTask, {"uri": "tcp://x", "topic": "t", "source": "/a/b",
                            "destination": "/a/c"}, id="mqtt-both-directions"),
    pytest.param(MqttTask, {"uri": "tcp://x", "topic": "t", "source": "/a/b", "qos": 3},
                 id="mqtt-qos"),
    pytest.param(MqttTask, {"topic": "t", "source": "/a/b"}, id="mqtt-uri-required"),
    pytest.param(ApiTask, {"js": "f", "destination": "/a/b", "displayName": "x" * 2049},
                 id="task-display-name-length"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "data"), INVALID)
def test_invalid_input_is_rejected(model: type[FlowthingsModel], data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)


VALID = [
    pytest.param(Flow, {"path": "/alice/" + "x" * 121}, id="flow-path-128-chars"),
    pytest.param(Flow, {"path": "/alice/:reports/q1-report"}, id="flow-report-path"),
    pytest.param(Flow, {"path": "/a/b", "capacity": 0}, id="flow-capacity-zero"),
    pytest.param(Flow, {"path": "/a/b", "capacity": 100000}, id="flow-capacity-max"),
    pytest.param(Track, {"source": "/a/b", "destination": ["/a/c", "/a/d"]},
                 id="track-destination-list"),
    pytest.param(Track, {"source": "/a/b"}, id="track-without-destination"),
    pytest.param(MqttTask, {"uri": "tcp://x", "topic": "t", "source": "/a/b"},
                 id="mqtt-source"),
    pytest.param(ApiTask, {"js": "f", "destination": "/a/b", "periodicity": 60000},
                 id="api-task-periodicity-min"),
    pytest.param(Share, {"issuedTo": "g1", "paths": {"/foo": {"administer": True}}},
                 id="share-administer"),
    pytest.param(Drop, {"elems": {}, "location": {"lat": 1, "lon": 2,
                                                  "specifiers": {"ZIP": "10001"}}},
                 id="drop-location-specifiers"),
    pytest.param(Drop, {"elems": {"x": {"type": "futureType", "value": {"a": 1}}}},
                 id="drop-unknown-element-type"),
    pytest.param(Drop, {"elems": {"x": {"type": "integer", "value": "not a number"}}},
                 id="drop-element-bad-payload"),
    pytest.param(Drop, {"elems": {"x": None, "y": [None, {"type": 1, "value": 2}]}},
                 id="drop-null-and-odd-json"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "data"), VALID)
def test_valid_input_round_trips(model: type[FlowthingsModel], data: dict[str, Any]) -> None:
    assert model.model_validate(data).to_wire() == data


def test_server_set_fields_are_optional() -> None:
    flow = Flow(path="/a/b")
    assert flow.id is None
    assert flow.creationDate is None
    assert flow.creatorId is None
    assert flow.lastEditDate is None


def test_populate_by_name_and_extra_keyword() -> None:
    flow = Flow(path="/a/b", displayName="x", someFutureMember=1)
    assert flow.to_wire() == {"path": "/a/b", "displayName": "x", "someFutureMember": 1}


def test_aggregate_row_reads_like_a_dict() -> None:
    row = AggregateRow.model_validate({"town": "Queens", "$avg:windSpeed": 9.8, "$count": 17})
    assert row["$count"] == 17
    assert row["town"] == "Queens"
    assert "$avg:windSpeed" in row
    assert "nope" not in row
    assert row.get("nope", 0) == 0
    assert len(row) == 3
    assert list(row.keys()) == ["town", "$avg:windSpeed", "$count"]
    assert list(row.values()) == ["Queens", 9.8, 17]
    assert dict(row.items()) == dict(row) == row.to_wire()
    with pytest.raises(KeyError):
        row["nope"]
