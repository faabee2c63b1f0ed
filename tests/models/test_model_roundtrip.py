"""Every documented example payload parses and round-trips through ``to_wire()``."""

from __future__ import annotations

import json
from typing import Any

import pytest

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

# The examples of platform/objects.md, verbatim.
FLOW = """{
  "id": "f5575f4e02b738dfc9af7314c",
  "path": "/alice/pears/test1",
  "capacity": 500,
  "description": "This is a description",
  "filter": "a==2",
  "public": true,
  "creationDate": 1433793760545,
  "creatorId": "i551ac39ad4c6c02e55b74632",
  "lastEditDate": 1433792025397
}"""
DROP_MINIMAL = """{"elems": {"temperature": 60}}"""
DROP_FULL = """{
  "id": "d0000000000018cc6666f6f00",
  "flowId": "f55523257adc66a5ff36e731c",
  "path": "/alice/apples",
  "creationDate": 1433800947425,
  "lastEditDate": 1433800947425,
  "parentDropId": {"flowId": "f55523257adc66a5ff36e731c", "dropId": "d55523257adc66a5ff36e731c"},
  "location": {"lat": 0.0603, "lon": 0.6709, "specifiers": {}},
  "fhash": "foo",
  "elems": {"astring": "beepboop", "abool": true, "along": 1433800947425,
            "adouble": 5.87, "anobject": {"foo": "bar", "baz": 7.3},
            "anarray": [1, 2, 3.4, true, false]}
}"""
DROP_TYPED = """{"path": "/my_account_id/my_first_flow",
 "location": {"lat": 40.703285, "lon": -73.987852},
 "elems": {"name": "foo", "error_rate": 0.15, "service_available": true,
           "status_codes": {"type": "sortedSet", "value": [{"type": "integer", "value": 100},
                                                            {"type": "integer", "value": 90}]},
           "stats": {"voltage": 15.4, "temp": 30.4, "uptime": 1992343.4}}}"""
DROP_ELEMENT_TYPES = """{"elems": {
  "is_the_sky_blue": {"type": "boolean", "value": true},
  "birthday": {"type": "date", "value": 1302547651168},
  "anotherDrop": {"type": "dropRef", "value": {
      "flowId": {"type": "id", "value": "0987654321ABCDEF12345678"},
      "dropId": {"type": "id", "value": "1234567890ABCDEF12345678"}}},
  "reply_email": {"type": "email", "value": "someone@example.com"},
  "status_codes": {"type": "sortedSet", "value": [{"type": "integer", "value": 75},
                                                   {"type": "integer", "value": 100}]}
}}"""
TRACK = """{
  "id": "t5576059b2b738dfc9af731a5",
  "source": "/alice/apples",
  "destination": "/alice/pears/test1",
  "filter": "a==2",
  "js": "function(a) {a.elems.b = 2; return a;}",
  "disabled": false,
  "creationDate": 1433798043721,
  "creatorId": "i551ac39ad4c6c02e55b74632",
  "lastEditDate": 1433798043721
}"""
TOKEN = """{
  "id": "k548b20f2d4c63c0634ad3cc8",
  "tokenString": "SSOjDZ4VMHS2JcwT1sIpE8x91QfG",
  "paths": {
    "/alice/homesecurity/thermostat": {"dropRead": true, "dropWrite": true},
    "/alice/homesecurity/reports": {"dropRead": false, "dropWrite": true}
  },
  "duration": 600000,
  "expiresInMs": 599990,
  "description": "thermostat",
  "issuedBy": "i551ac39ad4c6c02e55b74632",
  "creationDate": 1433796976988,
  "creatorId": "i551ac39ad4c6c02e55b74632"
}"""
SHARE = """{
  "id": "s548b20f1d4c63c0634ad3bc9",
  "issuedTo": "i548b1c1bd4c607c7716e4ac2",
  "issuedBy": "i551ac39ad4c6c02e55b74632",
  "paths": {
    "/alice/homesecurity": {"read": true, "write": true, "dropRead": true, "dropWrite": true},
    "/alice/ideas": {"read": true, "write": false, "dropRead": true, "dropWrite": false}
  },
  "duration": 360000000,
  "expiresInMs": 359999991,
  "description": "team access",
  "creationDate": 1433796976988,
  "creatorId": "i551ac39ad4c6c02e55b74632"
}"""
IDENTITY = """{
  "id": "i5575fa2c2b738dfc9af7315b",
  "name": "joeb",
  "email": "test@example.com",
  "firstName": "Joe", "lastName": "Bloggs", "middleName": "Harvey", "salutation": "Mr",
  "icon": "https://example.com/joe.png",
  "groupIds": ["g5575fa442b738dfc9af73165"],
  "shares": {"s5575faf52b738dfc9af7316d": {"paths": {"/alice/pears":
      {"read": true, "write": false, "dropRead": false, "dropWrite": false}}}},
  "masterToken": "Vxw6fikd3squUTbtKlaGyw3sHFVgxGZj",
  "creationDate": 1433795116056,
  "creatorId": "i000000000000000000000001",
  "lastEditDate": 1433795116056
}"""
GROUP = """{"id": "g5575f8b32b738dfc9af73152", "displayName": "Maintenance",
 "description": "Maintenance Dept.", "memberIds": ["i551ac39bd4c6c02e55b7463a"],
 "creationDate": 1433794739203, "creatorId": "i551ac39ad4c6c02e55b74632",
 "lastEditDate": 1433792025397}"""
DEVICE = """{"id": "v5575ee192b738dfc9af7312a", "path": "/alice/pears", "displayName": "Display",
 "tokenId": "k5575ee192b738dfc9af7312b", "status": "UNSEEN", "timeSinceLastSeen": -1,
 "reportPeriodicity": 60000, "deviceSummary": {"foo": "bar", "baz": 3},
 "creationDate": 1433792025397, "creatorId": "i551ac39ad4c6c02e55b74632"}"""
API_TASK = """{"id": "q5575ec612b738dfc9af73118", "destination": "/alice/pears",
 "js": "function(abc) {return abc}", "periodicity": 500000, "displayName": "Display",
 "description": "This is a description", "disabled": true, "status": "OK",
 "lastRun": 0, "nextRun": 0, "runCt": 0,
 "reportFlowId": "f5575ec612b738dfc9af7311a",
 "reportPath": "/alice/:reports/q5575ec612b738dfc9af73118-report",
 "creationDate": 1433791585846, "creatorId": "i551ac39ad4c6c02e55b74632"}"""
MQTT_TASK = """{"id": "m5575fdcc2b738dfc9af73180", "uri": "tcp://abc", "topic": "aliens",
 "destination": "/alice/pears", "clientId": "10", "username": "abc",
 "password": "onetwothree", "qos": 0, "version": "3.1.1", "reportFrequency": 300000,
 "status": "OK", "reportFlowId": "f5575fdcc2b738dfc9af73182",
 "reportPath": "/alice/:reports/m5575fdcc2b738dfc9af73180-report",
 "creationDate": 1433796044303, "creatorId": "i551ac39ad4c6c02e55b74632"}"""
RSS_TASK = """{"id": "r5576002c2b738dfc9af73193", "url": "http://example.com/feed.xml",
 "destination": "/alice/pears", "category": "Tests", "favicon": "http://beepboop",
 "icon": "http://here", "isFeatured": true, "periodicity": 3600000,
 "status": "OK", "lastRun": 0, "nextRun": 0, "runCt": 0,
 "reportFlowId": "f5576002c2b738dfc9af73195",
 "reportPath": "/alice/:reports/r5576002c2b738dfc9af73193-report"}"""

CASES = [
    pytest.param(Flow, FLOW, id="flow"),
    pytest.param(Drop, DROP_MINIMAL, id="drop-minimal"),
    pytest.param(Drop, DROP_FULL, id="drop-full"),
    pytest.param(Drop, DROP_TYPED, id="drop-typed"),
    pytest.param(Drop, DROP_ELEMENT_TYPES, id="drop-element-types"),
    pytest.param(Track, TRACK, id="track"),
    pytest.param(Token, TOKEN, id="token"),
    pytest.param(Share, SHARE, id="share"),
    pytest.param(Identity, IDENTITY, id="identity"),
    pytest.param(Group, GROUP, id="group"),
    pytest.param(Device, DEVICE, id="device"),
    pytest.param(ApiTask, API_TASK, id="api-task"),
    pytest.param(MqttTask, MQTT_TASK, id="mqtt-task"),
    pytest.param(RssTask, RSS_TASK, id="rss-task"),
]


@pytest.mark.parametrize(("model", "text"), CASES)
def test_example_round_trips(model: type[FlowthingsModel], text: str) -> None:
    data = json.loads(text)
    parsed = model.model_validate(data)
    assert parsed.to_wire() == data
    # the lead's services serialize models this way: same result
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == data
    # and from the raw JSON bytes too
    assert model.model_validate_json(text).to_wire() == data


@pytest.mark.parametrize(("model", "text"), CASES)
def test_example_keeps_unknown_members(model: type[FlowthingsModel], text: str) -> None:
    data: dict[str, Any] = {**json.loads(text), "someFutureMember": {"x": [1, 2]}}
    parsed = model.model_validate(data)
    assert parsed.to_wire() == data
    assert parsed.model_extra == {"someFutureMember": {"x": [1, 2]}}


def test_fields_are_wire_names() -> None:
    flow = Flow.model_validate(json.loads(FLOW))
    assert flow.creationDate == 1433793760545
    assert flow.creatorId == "i551ac39ad4c6c02e55b74632"
    assert flow.capacity == 500
    drop = Drop.model_validate(json.loads(DROP_FULL))
    assert drop.flowId == "f55523257adc66a5ff36e731c"
    assert drop.location is not None
    assert drop.location.lat == 0.0603
    assert drop.parentDropId is not None
    assert drop.parentDropId.dropId == "d55523257adc66a5ff36e731c"


def test_new_model_sends_only_what_was_given() -> None:
    assert Flow(path="/alice/pears").to_wire() == {"path": "/alice/pears"}
    assert Flow(path="/alice/pears", description=None).to_wire() == {
        "path": "/alice/pears",
        "description": None,
    }


def test_secrets_hidden_from_repr() -> None:
    token = Token.model_validate(json.loads(TOKEN))
    assert "SSOjDZ4VMHS2JcwT1sIpE8x91QfG" not in repr(token)
    assert token.tokenString == "SSOjDZ4VMHS2JcwT1sIpE8x91QfG"
    identity = Identity.model_validate(json.loads(IDENTITY))
    assert "Vxw6fikd3squUTbtKlaGyw3sHFVgxGZj" not in repr(identity)
    mqtt = MqttTask.model_validate(json.loads(MQTT_TASK))
    assert "onetwothree" not in repr(mqtt)


def test_field_docstrings_come_from_objects_md() -> None:
    for model in (
        Flow,
        Drop,
        Track,
        Token,
        Share,
        Identity,
        Group,
        Device,
        ApiTask,
        MqttTask,
        RssTask,
    ):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"


def test_repr_shows_what_was_set() -> None:
    assert repr(Flow(path="/a/b", capacity=3)) == "Flow(path='/a/b', capacity=3)"
    drop = Drop.model_validate({"elems": {"x": 1}, "someFutureMember": 2})
    assert repr(drop) == "Drop(elems={'x': 1}, someFutureMember=2)"
