"""Run-time side of the typed query parameters (issue 16): the ``extra_params``
escape hatch, tuples and other sequences where a call only reads, and that the
1.0.5 dict-style calls still send the same query."""

from __future__ import annotations

from typing import Any

import pytest

from flowthings import API, M, mem
from flowthings.models import Flow

from .conftest import Wire


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        pytest.param({"limit": 10}, [("limit", "10")], id="documented"),
        pytest.param(
            {"extra_params": {"x": "1"}, "limit": 2}, [("limit", "2"), ("x", "1")], id="extra"
        ),
        pytest.param({"extra_params": {"only": ["id", "path"]}}, [("only", "id,path")], id="extra-built-by-P"),
        pytest.param({"extra_params": {}}, [], id="extra-empty"),
        # 1.0.5 style: any keyword, untyped at run time, sent as given.
        pytest.param({"invalid": "param"}, [("invalid", "param")], id="dict-style"),
    ],
)
def test_find_query(wire: Wire, api: API, kwargs: dict[str, Any], sent: list[tuple[str, str]]) -> None:
    wire.reply(200, [])
    api.flow.find(**kwargs)
    assert sorted(wire.query) == sorted(sent)


def test_extra_params_with_a_filter(wire: Wire, api: API) -> None:
    wire.reply(200, [])
    api.flow.find(mem.x == 1, extra_params={"y": "2"})
    assert sorted(wire.query) == [("filter", "x == 1"), ("y", "2")]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda a: a.flow.find(limit=1, extra_params={"limit": 2}), id="clash"),
        pytest.param(lambda a: a.flow.read("f1", extra_params=[("x", 1)]), id="not-a-dict"),
    ],
)
def test_extra_params_misuse_fails_before_io(wire: Wire, api: API, call: Any) -> None:
    with pytest.raises(TypeError, match="extra_params"):
        call(api)
    assert not wire.route.called


def test_refs_in_extra_params_still_answers_a_tuple(wire: Wire, api: API) -> None:
    wire.reply(200, {"id": "f1", "path": "/acc/a"}, references={"i1": {}})
    flow, refs = api.flow.typed.read("f1", extra_params={"refs": True})
    assert isinstance(flow, Flow)
    assert refs == {"i1": {}}
    assert wire.query == [("refs", "1")]


def test_tuples_of_ids_read_many(wire: Wire, api: API) -> None:
    wire.reply(200, {"f1": {"id": "f1", "path": "/acc/a"}})
    assert api.flow.find(("f1",)) == {"f1": {"id": "f1", "path": "/acc/a"}}
    assert wire.request.method == "MGET"
    assert wire.json == ["f1"]
    assert api.flow.read_many(("f1",)) == {"f1": {"id": "f1", "path": "/acc/a"}}
    assert list(api.flow.typed.find(("f1",))) == ["f1"]


def test_update_many_and_save_take_tuples(wire: Wire, api: API) -> None:
    flow = Flow(id="f1", path="/acc/a")
    wire.reply(200, {"f1": {"id": "f1", "path": "/acc/a", "displayName": "x"}})
    api.flow.update_many((M(flow, displayName="x"),))
    assert wire.request.method == "MPUT"
    assert wire.json == {"f1": {"displayName": "x"}}
    saved = api.flow.typed.save((M(flow, displayName="x"),))
    assert saved["f1"].displayName == "x"
    assert wire.request.method == "MPUT"


def test_refs_as_a_bool_variable(wire: Wire, api: API) -> None:
    wire.reply(200, [], references={})
    for flag, expected in ((True, ([], {})), (False, [])):
        assert api.flow.find(limit=1, refs=flag) == expected
