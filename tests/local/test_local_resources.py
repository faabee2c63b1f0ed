"""End-to-end tests through the SDK: every resource against the local platform."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowthings import (
    FlowThingsBadRequest,
    FlowThingsError,
    FlowThingsForbidden,
    FlowThingsNotFound,
    M,
)

API = Any  # the SDK's API; kept loose so the tests read like user code


def acct(api: API) -> str:
    name: str = api.creds.account if hasattr(api, "creds") else api._creds.account
    return name


@pytest.fixture
def a(flowthings_api: API) -> str:
    return acct(flowthings_api)


# (service attribute, create body, partial update, member checked after update)
CRUD = [
    pytest.param("flow", {"path": "/{a}/f", "description": "d"}, {"capacity": 5}, id="flow"),
    pytest.param(
        "track",
        {"source": "/{a}/src", "destination": "/{a}/dst", "js": "f"},
        {"disabled": True},
        id="track",
    ),
    pytest.param(
        "track",
        {"source": "/{a}/src", "destination": ["/{a}/x", "/{a}/y"]},
        {"filter": "a == 2"},
        id="track-destination-list",
    ),
    pytest.param(
        "group", {"memberIds": [], "displayName": "G"}, {"description": "new"}, id="group"
    ),
    pytest.param(
        "device", {"path": "/{a}/dev", "displayName": "D"}, {"displayName": "E"}, id="device"
    ),
    pytest.param(
        "api_task",
        {"destination": "/{a}/x", "js": "function(a){return a}"},
        {"periodicity": 120000},
        id="api-task",
    ),
    pytest.param(
        "mqtt_task",
        {"uri": "tcp://b:1883", "topic": "t", "destination": "/{a}/x"},
        {"qos": 1},
        id="mqtt",
    ),
    pytest.param(
        "rss_task",
        {"url": "http://e.com/feed.xml", "destination": "/{a}/x"},
        {"category": "news"},
        id="rss",
    ),
]


def _fill(body: dict[str, Any], account: str) -> dict[str, Any]:
    def sub(v: Any) -> Any:
        if isinstance(v, str):
            return v.replace("{a}", account)
        if isinstance(v, list):
            return [sub(x) for x in v]
        return v

    return {k: sub(v) for k, v in body.items()}


@pytest.mark.parametrize(("service", "body", "changes"), CRUD)
def test_crud(
    flowthings_api: API, a: str, service: str, body: dict[str, Any], changes: dict[str, Any]
) -> None:
    svc = getattr(flowthings_api, service)
    body = _fill(body, a)
    created = svc.create(body)
    oid = created["id"]
    assert len(oid) == 25
    assert all(c in "0123456789abcdef" for c in oid[1:])
    for k, v in body.items():
        assert created[k] == v
    assert created["creationDate"] == created["lastEditDate"]
    assert created["creatorId"].startswith("i")
    assert svc.read(oid) == created
    assert oid in [o["id"] for o in svc.find()]
    time.sleep(0.002)
    updated = svc.update({"id": oid, **changes})
    assert updated == {
        **created,
        **changes,
        "lastEditDate": updated["lastEditDate"],
        "lastEditorId": created["creatorId"],
        **({"timeSinceLastSeen": -1} if service == "device" else {}),
    }
    assert updated["lastEditDate"] > created["lastEditDate"]
    assert svc.read(oid) == updated
    assert svc.read_many([oid]) == {oid: updated}
    assert svc.find([oid]) == {oid: updated}
    deleted = svc.delete(oid)
    assert deleted["id"] == oid
    assert svc.read_or_else(oid, "gone") == "gone"
    with pytest.raises(FlowThingsNotFound) as exc:
        svc.read(oid)
    assert exc.value.status == 404


def test_server_set_fields_are_ignored(flowthings_api: API, a: str) -> None:
    forged = {
        "id": "f" + "1" * 24,
        "creationDate": 1,
        "creatorId": "i" + "2" * 24,
        "lastEditDate": 2,
        "path": f"/{a}/x",
    }
    flow = flowthings_api.flow.create(forged)
    assert flow["id"] != forged["id"]
    assert flow["creationDate"] > 1
    assert flow["creatorId"] != forged["creatorId"]
    assert flow["capacity"] == 1000
    again = flowthings_api.flow.update({**flow, "creationDate": 5, "description": "x"})
    assert again["creationDate"] == flow["creationDate"]
    assert again["description"] == "x"


def test_save_and_update_with_m(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.save({"path": f"/{a}/s"})
    flow = flowthings_api.flow.save(M(flow, description="via M"))
    assert flowthings_api.flow.read(flow["id"])["description"] == "via M"
    other = flowthings_api.flow.create({"path": f"/{a}/t"})
    both = flowthings_api.flow.save([M(flow, capacity=7), M(other, capacity=8)])
    assert {k: v["capacity"] for k, v in both.items()} == {flow["id"]: 7, other["id"]: 8}


def test_update_many_failure_changes_nothing(flowthings_api: API, a: str) -> None:
    f1 = flowthings_api.flow.create({"path": f"/{a}/one"})
    f2 = flowthings_api.flow.create({"path": f"/{a}/two"})
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.flow.update_many([M(f1, description="x"), M(f2, capacity=10**9)])
    with pytest.raises(FlowThingsBadRequest):  # duplicate path inside one MPUT
        flowthings_api.flow.update_many([M(f1, description="y"), M(f2, path=f1["path"])])
    assert flowthings_api.flow.read_many([f1["id"], f2["id"]]) == {f1["id"]: f1, f2["id"]: f2}


def test_identity(flowthings_api: API, a: str) -> None:
    (me,) = flowthings_api.identity.find()
    assert me["name"] == a
    assert me["id"].startswith("i")
    assert len(me["masterToken"]) == 32
    updated = flowthings_api.identity.update({"id": me["id"], "firstName": "Joe"})
    assert updated["firstName"] == "Joe"
    assert updated["name"] == a
    with pytest.raises(FlowThingsForbidden):
        flowthings_api.identity.create({"name": "other"})
    with pytest.raises(FlowThingsForbidden):
        flowthings_api.identity.delete(me["id"])


def test_tokens_and_shares(flowthings_api: API, a: str) -> None:
    paths = {f"/{a}/home": {"dropRead": True, "dropWrite": False}}
    tok = flowthings_api.token.create({"paths": paths, "duration": 600000, "description": "t"})
    assert len(tok["tokenString"]) == 28
    assert tok["id"].startswith("k")
    assert tok["issuedBy"].startswith("i")
    assert 0 < tok["expiresInMs"] <= 600000
    assert flowthings_api.token.read(tok["id"])["tokenString"] == tok["tokenString"]
    assert [t["id"] for t in flowthings_api.token.find()] == [tok["id"]]
    with pytest.raises(FlowThingsError):
        flowthings_api.token.update({"id": tok["id"], "description": "x"})
    share = flowthings_api.share.create(
        {
            "issuedTo": flowthings_api.identity.find()[0]["id"],
            "paths": {
                f"/{a}/home": {"read": True, "write": False, "dropRead": True, "dropWrite": False}
            },
        }
    )
    assert share["id"].startswith("s")
    assert "expiresInMs" not in share
    assert flowthings_api.share.delete(share["id"])["id"] == share["id"]
    assert flowthings_api.token.delete(tok["id"])["id"] == tok["id"]
    assert flowthings_api.token.find() == []


def test_device_creates_token_and_flows(flowthings_api: API, a: str) -> None:
    dev = flowthings_api.device.create({"path": f"/{a}/coaster"})
    assert dev["status"] == "UNSEEN"
    assert dev["timeSinceLastSeen"] == -1
    token = flowthings_api.token.read(dev["tokenId"])
    assert f"/{a}/coaster" in token["paths"]
    paths = {f["path"] for f in flowthings_api.flow.find()}
    assert {f"/{a}/coaster/{s}" for s in ("default", "command", "report")} <= paths


def test_tasks_get_a_report_flow(flowthings_api: API, a: str) -> None:
    task = flowthings_api.api_task.create({"destination": f"/{a}/x", "js": "f"})
    assert task["periodicity"] == 3600000
    assert task["runCt"] == 0
    assert task["status"] == "OK"
    assert task["reportPath"] == f"/{a}/:reports/{task['id']}-report"
    assert flowthings_api.flow.read(task["reportFlowId"])["path"] == task["reportPath"]
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.api_task.update({"id": task["id"], "periodicity": 1000})


# ---------------------------------------------------------------- drops ---


def test_drop_lifecycle(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/d"})
    drops = flowthings_api.drop(flow["id"])
    d1 = drops.create(
        {"elems": {"x": 1, "tags": ["a"]}, "location": {"lat": 1.0, "lon": 2.0}}, hints=0
    )
    assert d1["id"].startswith("d")
    assert d1["flowId"] == flow["id"]
    assert d1["path"] == flow["path"]
    assert d1["elems"] == {"x": 1, "tags": ["a"]}
    d2 = flowthings_api.drop.create({"path": flow["path"], "elems": {"x": 2}})
    assert d2["flowId"] == flow["id"]
    assert d2["id"] > d1["id"]
    assert drops.read(d1["id"], hints=0) == d1
    assert [d["id"] for d in flowthings_api.drop.find(path=flow["path"])] == [d2["id"], d1["id"]]
    time.sleep(0.002)
    upd = drops.update({"id": d1["id"], "elems": {"x": 10}, "fhash": "h"}, hints=0)
    assert upd["elems"] == {"x": 10}
    assert upd["location"] == d1["location"]
    assert upd["fhash"] == "h"
    assert upd["lastEditDate"] > d1["lastEditDate"]
    many = drops.read_many([d1["id"], d2["id"], "d" + "0" * 24], hints=0)
    assert set(many) == {d1["id"], d2["id"]}
    both = drops.update_many(
        [{"id": d1["id"], "elems": {"x": 11}}, {"id": d2["id"], "elems": {"x": 12}}], hints=0
    )
    assert {k: v["elems"]["x"] for k, v in both.items()} == {d1["id"]: 11, d2["id"]: 12}
    assert drops.delete(d2["id"], hints=0)["elems"] == {"x": 12}
    assert drops.read_or_else(d2["id"]) is None
    drops.delete_all()
    assert drops.find() == []
    assert flowthings_api.flow.read(flow["id"])["path"] == flow["path"]


def test_drop_in_another_flow_is_not_found(flowthings_api: API, a: str) -> None:
    f1 = flowthings_api.flow.create({"path": f"/{a}/one"})
    f2 = flowthings_api.flow.create({"path": f"/{a}/two"})
    d = flowthings_api.drop(f1["id"]).create({"elems": {}})
    with pytest.raises(FlowThingsNotFound):
        flowthings_api.drop(f2["id"]).read(d["id"])
    assert flowthings_api.drop(f2["id"]).read_many([d["id"]]) == {}


def test_drop_by_unknown_path_is_404(flowthings_api: API, a: str) -> None:
    with pytest.raises(FlowThingsNotFound):
        flowthings_api.drop.create({"path": f"/{a}/nowhere", "elems": {}})
    with pytest.raises(FlowThingsNotFound):
        flowthings_api.drop.find(path=f"/{a}/nowhere")


def test_capacity_eviction(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/cap", "capacity": 3})
    ids = [flowthings_api.drop(flow["id"]).create({"elems": {"n": n}})["id"] for n in range(5)]
    assert [d["id"] for d in flowthings_api.drop(flow["id"]).find()] == ids[:1:-1]
    flowthings_api.flow.update({"id": flow["id"], "capacity": 1})
    flowthings_api.drop(flow["id"]).create({"elems": {"n": 5}})
    assert [d["elems"]["n"]["value"] for d in flowthings_api.drop(flow["id"]).find()] == [5]


def test_capacity_zero_keeps_nothing(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/zero", "capacity": 0})
    d = flowthings_api.drop(flow["id"]).create({"elems": {"n": 1}})
    assert d["id"].startswith("d")
    assert flowthings_api.drop(flow["id"]).find() == []


def test_flow_filter_gates_writes(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/gate", "filter": "elems.t > 10"})
    drops = flowthings_api.drop(flow["id"])
    ok = drops.create({"elems": {"t": 11}})
    with pytest.raises(FlowThingsBadRequest) as exc:
        drops.create({"elems": {"t": 3}})
    assert exc.value.status == 400
    assert "filter" in exc.value.errors[0]
    with pytest.raises(FlowThingsBadRequest):
        flowthings_api.drop.create({"path": flow["path"], "elems": {"x": 1}})
    with pytest.raises(FlowThingsBadRequest):
        drops.update({"id": ok["id"], "elems": {"t": 1}})
    bare = flowthings_api.flow.create({"path": f"/{a}/bare", "filter": "t > 10"})
    flowthings_api.drop(bare["id"]).create({"elems": {"t": {"type": "integer", "value": 12}}})
    assert [d["id"] for d in drops.find()] == [ok["id"]]


def test_flow_path_change_moves_drops_and_delete_takes_them(flowthings_api: API, a: str) -> None:
    flow = flowthings_api.flow.create({"path": f"/{a}/old"})
    d = flowthings_api.drop(flow["id"]).create({"elems": {}})
    flowthings_api.flow.update({"id": flow["id"], "path": f"/{a}/new"})
    assert flowthings_api.drop(flow["id"]).read(d["id"])["path"] == f"/{a}/new"
    assert len(flowthings_api.drop.find(path=f"/{a}/new")) == 1
    assert flowthings_api.flow.delete(flow["id"])["path"] == f"/{a}/new"
    with pytest.raises(FlowThingsNotFound):
        flowthings_api.drop(flow["id"]).find()
