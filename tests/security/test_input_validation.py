"""Issue 14 item 3: one validation for every way in (REST, WebSocket, MPUT, tracks).

Bad input is a 400 whatever the transport, and nothing stored can make a
later read fail.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import websocket

from flowthings.local.base.envelope import MAX_DEPTH, PlatformError
from flowthings.local.core.validate import MAX_DOCUMENT, parse_document, validate_document

from .conftest import Socket, World


def _nested(depth: int) -> Any:
    v: Any = 1
    for _ in range(depth):
        v = [v]
    return v


# raw JSON text of a drop value that must be refused, spliced into frames/bodies
BAD_VALUES = {
    "nan": '{"elems": {"x": NaN}}',
    "infinity": '{"elems": {"x": Infinity}}',
    "minus-infinity": '{"elems": {"x": -Infinity}}',
    "float-overflow": '{"elems": {"x": 1e400}}',
    "lone-surrogate": '{"elems": {"x": "\\ud800"}}',
    "lone-surrogate-key": '{"elems": {"\\udfff": 1}}',
    "too-deep": json.dumps({"elems": {"x": _nested(MAX_DEPTH)}}),
    "huge-int": '{"elems": {"x": ' + "9" * 4301 + "}}",
    "oversize": json.dumps({"elems": {"x": "a" * (MAX_DOCUMENT + 10)}}),
}


def _reads_still_work(w: World) -> None:
    fid = w.flows["shared"]["id"]
    assert w.alice.call("GET", f"/drop/{fid}").status == 200
    assert w.alice.call("GET", "/flow", params={"limit": 1000}).status == 200
    assert w.alice.call("GET", "/track").status == 200


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_ws_create_drop_refuses_what_rest_refuses(w: World, name: str) -> None:
    fid = w.flows["shared"]["id"]
    raw = BAD_VALUES[name]
    assert w.alice.call("POST", f"/drop/{fid}", raw=raw.encode()).status == 400
    ws = w.alice.socket()
    try:
        frame = (
            '{"msgId": "c", "type": "create", "object": "drop", '
            f'"flowId": "{fid}", "value": {raw}}}'
        )
        reply = ws.request(frame)
        assert reply["head"]["status"] == 400, reply
        # the connection lives on
        ok = ws.request({"type": "findmany", "object": "drop", "flowId": fid}, "f")
        assert ok["head"]["status"] == 200
        assert ok["body"] == []
    finally:
        ws.close()
    _reads_still_work(w)


@pytest.mark.parametrize("name", ["nan", "lone-surrogate", "too-deep", "huge-int"])
def test_ws_update_and_flow_create_refuse_bad_values(w: World, name: str) -> None:
    fid = w.flows["shared"]["id"]
    drop = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    raw = BAD_VALUES[name]
    ws = w.alice.socket()
    try:
        update = (
            '{"msgId": "u", "type": "update", "object": "drop", '
            f'"flowId": "{fid}", "id": "{drop["id"]}", "value": {raw}}}'
        )
        assert ws.request(update)["head"]["status"] == 400
        flow_value = raw.replace('{"elems": ', f'{{"path": "{w.path("bad")}", "meta": ', 1)
        create = f'{{"msgId": "c", "type": "create", "object": "flow", "value": {flow_value}}}'
        assert ws.request(create)["head"]["status"] == 400
        track_value = raw.replace('{"elems": ', f'{{"source": "{w.path("shared")}", "m": ', 1)
        create = f'{{"msgId": "t", "type": "create", "object": "track", "value": {track_value}}}'
        assert ws.request(create)["head"]["status"] == 400
    finally:
        ws.close()
    _reads_still_work(w)
    assert w.alice.ok("GET", f"/drop/{fid}/{drop['id']}")["elems"]["x"] == {
        "type": "integer",
        "value": 1,
    }


@pytest.mark.parametrize("name", ["nan", "lone-surrogate", "too-deep", "huge-int"])
def test_mput_refuses_bad_values(w: World, name: str) -> None:
    fid = w.flows["shared"]["id"]
    drop = w.alice.ok("POST", f"/drop/{fid}", {"elems": {"x": 1}})
    raw = '{"' + drop["id"] + '": ' + BAD_VALUES[name] + "}"
    assert w.alice.call("MPUT", f"/drop/{fid}", raw=raw.encode()).status == 400
    raw = '{"' + w.flows["shared"]["id"] + '": ' + BAD_VALUES[name] + "}"
    assert w.alice.call("MPUT", "/flow", raw=raw.encode()).status == 400
    _reads_still_work(w)


def test_ws_frame_that_is_not_utf8_or_not_json_is_a_400(w: World) -> None:
    ws = w.alice.socket()
    try:
        ws.ws.send_binary(b'{"type": "heartbeat", "x": "\xff"}')
        assert ws.recv()["head"]["status"] == 400
        ws.send('{"type": "find", ')
        assert ws.recv()["head"]["status"] == 400
        ws.send('{"msgId": NaN, "type": "findmany", "object": "flow"}')
        reply = ws.recv()
        assert reply["head"]["status"] == 400
        assert reply["head"]["msgId"] is None
    finally:
        ws.close()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(float("nan"), id="nan"),
        pytest.param(float("inf"), id="inf"),
        pytest.param({"a": "\ud800"}, id="surrogate"),
        pytest.param({"\udc00": 1}, id="surrogate-key"),
        pytest.param({1: 1}, id="int-key"),
        pytest.param({"a": (1, 2)}, id="tuple"),
        pytest.param({"a": object()}, id="object"),
        pytest.param(_nested(MAX_DEPTH + 1), id="deep"),
        pytest.param(10**4301, id="huge-int"),
        pytest.param(["\x00" * (MAX_DOCUMENT // 4)], id="oversize-escaped"),
    ],
)
def test_validate_document_refuses_with_a_400(value: Any) -> None:
    with pytest.raises(PlatformError) as info:
        validate_document(value, "The track's drop")
    assert info.value.status == 400
    assert info.value.errors[0].startswith("The track's drop ")


@pytest.mark.parametrize(
    "value",
    [
        {"elems": {"x": 1.5, "y": "é\U0001f600", "z": [None, True, -(10**4000)]}},
        _nested(MAX_DEPTH - 1),
        ["a" * (MAX_DOCUMENT - 10)],
    ],
)
def test_validate_document_accepts_storable_documents(value: Any) -> None:
    validate_document(value)
    assert parse_document(json.dumps(value, ensure_ascii=False)) == value


@pytest.fixture
def w(world: World) -> World:
    return world


def _send_then_recv(ws: Socket, text: str) -> None:
    """Send ``text``; raise when the server closes the socket instead of answering.

    The close may come as an error while sending or reading (the server
    dropped the connection) or as a clean close frame, which websocket-client
    hands back as data rather than raising: then its code must be 1009.
    """
    ws.send(text)
    ws.ws.settimeout(10)
    opcode, data = ws.ws.recv_data()
    if opcode == websocket.ABNF.OPCODE_CLOSE:
        code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
        assert code in (1009, None), f"closed with {code}, not 1009 (message too big)"
        raise ConnectionResetError(f"closed by the server ({code})")


def test_a_giant_ws_frame_closes_only_that_socket(w: World) -> None:
    ws = w.alice.socket()
    other = w.alice.socket()
    try:
        gone = (OSError, websocket.WebSocketException)
        with pytest.raises(gone):  # the server closes (1009) while or after it is sent
            _send_then_recv(ws, '{"type": "heartbeat", "x": "' + "a" * (2 * MAX_DOCUMENT) + '"}')
        reply = other.request({"type": "findmany", "object": "flow"})
        assert reply["head"]["status"] == 200
    finally:
        ws.close()
        other.close()


@pytest.mark.parametrize(
    "elems",
    [
        pytest.param({"x": float("nan")}, id="nan"),
        pytest.param({"x": "\udc00"}, id="surrogate"),
        pytest.param({"x": _nested(MAX_DEPTH)}, id="deep"),
    ],
)
def test_track_output_goes_through_the_same_check(w: World, elems: dict[str, Any]) -> None:
    # what a track produces is written with write_drop(tracked=True): same validator
    platform = w.lp.platform
    flow = w.flows["shared"]
    with pytest.raises(PlatformError) as info:
        platform.write_drop(w.alice.account, flow, {"elems": elems}, "i0", tracked=True)
    assert info.value.status == 400
    assert info.value.errors[0].startswith("The track's drop ")
    _reads_still_work(w)
    assert w.alice.ok("GET", f"/drop/{flow['id']}") == []


@pytest.mark.parametrize(
    "n", [10**4300 - 1, -(10**4300 - 1), 2**14284], ids=["max", "min", "2^14284"]
)
def test_integers_of_4300_digits_are_fine(n: int) -> None:
    assert len(str(abs(n))) <= 4300
    validate_document({"x": n})


@pytest.mark.parametrize(
    "n", [10**4300, -(10**4300), 2**14285], ids=["10^4300", "-10^4300", "2^14285"]
)
def test_integers_of_4301_digits_are_refused(n: int) -> None:
    with pytest.raises(PlatformError):
        validate_document({"x": n})


def test_an_int_sum_too_long_to_encode_is_null(w: World) -> None:
    fid = w.flows["shared"]["id"]
    big = "9" * 4300
    for _ in range(2):
        raw = ('{"elems": {"x": ' + big + ', "y": -' + big + "}}").encode()
        assert w.alice.call("POST", f"/drop/{fid}", raw=raw).status == 201
    for field in ("x", "y"):
        r = w.alice.call("POST", f"/drop/{fid}/aggregate", {"output": [f"$sum:{field}"]})
        assert r.status == 200
        assert r.body == [{f"$sum:{field}": None}]
    _reads_still_work(w)


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        ("device", '{"path": "/ACC/dev", "lastSeen": -BIG}'),
        ("device", '{"path": "/ACC/dev", "reportPeriodicity": BIG}'),
        ("token", '{"paths": {"/ACC/shared": {"dropRead": true}}, "duration": BIG}'),
        ("share", '{"issuedTo": "ID", "paths": {"/ACC/shared": {"read": true}}, "duration": BIG}'),
        ("api-task", '{"destination": "/ACC/shared", "js": "1", "periodicity": BIG}'),
    ],
)
def test_integers_the_server_computes_with_are_64_bit(w: World, kind: str, template: str) -> None:
    # a 4300-digit lastSeen made every device listing a 500 (timeSinceLastSeen)
    identity = w.bob.ok("GET", "/identity")[0]["id"]
    raw = template.replace("ACC", w.alice.account).replace("ID", identity)
    r = w.alice.call("POST", f"/{kind}", raw=raw.replace("BIG", "9" * 4300).encode())
    assert r.status == 400
    assert "64-bit" in r.errors[0] or "must be an integer" in r.errors[0]
    assert w.alice.call("GET", f"/{kind}").status == 200
    assert (
        w.alice.call("POST", f"/{kind}", raw=raw.replace("BIG", str(2**62)).encode()).status == 201
    )
    assert w.alice.call("GET", f"/{kind}").status == 200
