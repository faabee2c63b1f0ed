"""M (model modifications) and P (params builder)."""

from __future__ import annotations

import copy
import types
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from flowthings._modify import M, Modify, P, Params
from flowthings.filters import AGE, mem


class Flow(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    path: str
    displayName: str | None = None
    tags: list[str] = Field(default_factory=list)


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str | None = None
    display_name: str | None = Field(default=None, alias="displayName")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None


# ------------------------------------------------------------------------- M


def test_m_on_dict_returns_new_model_and_diff() -> None:
    data = {"id": "f1", "path": "/a", "tags": ["x"]}
    new, diff = M(data, displayName="A").done()
    assert new == {"id": "f1", "path": "/a", "tags": ["x"], "displayName": "A"}
    assert diff == {"displayName": "A"}
    assert data == {"id": "f1", "path": "/a", "tags": ["x"]}


def test_m_docstring_example_of_105() -> None:
    data = {"foo": "bar"}
    assert M(data, baz="qux").done() == ({"foo": "bar", "baz": "qux"}, {"baz": "qux"})


def test_m_never_shares_nested_state_with_the_given_model() -> None:
    data: dict[str, Any] = {"id": "f1", "tags": ["x"]}
    new, _ = M(data).done()
    new["tags"].append("y")
    assert data["tags"] == ["x"]


def test_m_snapshots_the_model_when_wrapped() -> None:
    data: dict[str, Any] = {"id": "f1", "tags": ["x"]}
    mod = M(data)
    data["tags"].append("late")
    data["other"] = 1
    assert mod.done()[0] == {"id": "f1", "tags": ["x"]}


def test_m_done_results_are_independent() -> None:
    mod = M({"id": "f1"}, a=1)
    first, first_diff = mod.done()
    first["b"] = 2
    first_diff["c"] = 3
    assert mod.done() == ({"id": "f1", "a": 1}, {"a": 1})


def test_m_modify_chains_and_overrides() -> None:
    mod = M({"id": "f1"}, a=1)
    assert mod.modify("a", 2).modify("b", 3) is mod
    assert mod.done() == ({"id": "f1", "a": 2, "b": 3}, {"a": 2, "b": 3})


@pytest.mark.parametrize(
    "model",
    [pytest.param(None, id="none"), pytest.param({}, id="empty")],
)
def test_m_without_model(model: dict[str, Any] | None) -> None:
    assert M(model, a=1).done() == ({"a": 1}, {"a": 1})
    assert M().done() == ({}, {})


def test_m_keeps_dict_subclass() -> None:
    class Doc(dict[str, Any]):
        pass

    new, _ = M(Doc(id="x"), a=1).done()
    assert type(new) is Doc


def test_m_copies_other_mappings_into_a_dict() -> None:
    new, diff = M(types.MappingProxyType({"id": "x"}), a=1).done()
    assert new == {"id": "x", "a": 1}
    assert type(new) is dict
    assert diff == {"a": 1}


def test_m_on_pydantic_model_returns_same_class() -> None:
    flow = Flow(id="f1", path="/a", tags=["x"])
    new, diff = M(flow, displayName="A").done()
    assert type(new) is Flow
    assert new.displayName == "A"
    assert new.path == "/a"
    assert diff == {"displayName": "A"}
    assert flow.displayName is None
    assert "displayName" in new.model_fields_set


def test_m_on_pydantic_model_is_deep() -> None:
    flow = Flow(id="f1", path="/a", tags=["x"])
    new, _ = M(flow).done()
    new.tags.append("y")
    assert flow.tags == ["x"]


def test_m_on_pydantic_model_refuses_unknown_keys_but_modify_sets_extra() -> None:
    # issue 16: a keyword change must name a field (or an extra member the
    # model already holds); `modify()` is the explicit way to add one.
    with pytest.raises(ValueError, match="Flow has no field 'capacity'"):
        M(Flow(id="f1", path="/a"), capacity=10)
    new, diff = M(Flow(id="f1", path="/a")).modify("capacity", 10).done()
    assert new.model_extra == {"capacity": 10}
    assert diff == {"capacity": 10}
    again, diff = M(new, capacity=11).done()
    assert again.model_extra == {"capacity": 11}
    assert diff == {"capacity": 11}


def test_m_maps_wire_names_to_aliased_fields() -> None:
    model = Aliased(id="a1")
    new, diff = M(model, displayName="A").done()
    assert new.display_name == "A"
    assert diff == {"displayName": "A"}
    assert new.model_dump(by_alias=True) == {"id": "a1", "displayName": "A"}


def test_m_refuses_unknown_field_of_a_closed_model() -> None:
    with pytest.raises(ValueError, match="Strict has no field 'bogus'"):
        M(Strict(id="s"), bogus=1)


@pytest.mark.parametrize(
    ("model", "changes", "expected"),
    [
        pytest.param({"id": "f1"}, {}, "f1", id="dict"),
        pytest.param(Flow(id="f2", path="/a"), {}, "f2", id="pydantic"),
        pytest.param({"id": "f1"}, {"id": "other"}, "f1", id="original-wins"),
        pytest.param(None, {"id": "f3"}, "f3", id="from-changes"),
    ],
)
def test_model_id(model: Any, changes: dict[str, Any], expected: str) -> None:
    assert M(model, **changes).model_id == expected


@pytest.mark.parametrize(
    ("model", "error", "message"),
    [
        pytest.param({}, ValueError, "has no 'id'", id="dict-missing"),
        pytest.param({"id": None}, ValueError, "has no 'id'", id="dict-none"),
        pytest.param(Flow(path="/a"), ValueError, "has no 'id'", id="pydantic-missing"),
        pytest.param({"id": 5}, TypeError, "must be a str", id="not-str"),
    ],
)
def test_model_id_errors(model: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _ = M(model).model_id


@pytest.mark.parametrize(
    "model",
    [pytest.param([1], id="list"), pytest.param(3, id="int"), pytest.param("x", id="str")],
)
def test_m_refuses_non_models(model: Any) -> None:
    with pytest.raises(TypeError, match="wraps a dict or a pydantic model"):
        M(model)


def test_m_refuses_non_str_keys() -> None:
    with pytest.raises(TypeError, match="key must be a str"):
        M({}).modify(1, "x")  # type: ignore[arg-type]


def test_m_is_modify_and_repr() -> None:
    assert M is Modify
    assert repr(M({"id": "a"}, b=1)) == "M({'id': 'a'}, changes={'b': 1})"


# ------------------------------------------------------------------------- P


def test_p_docstring_example_of_105() -> None:
    params = P(start=10, limit=100)
    params.refs(True).some_other_param("foo")
    assert params.to_dict() == {"start": 10, "limit": 100, "refs": 1, "some_other_param": "foo"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(P(refs=True), {"refs": 1}, id="refs-true"),
        pytest.param(P(refs=False), {"refs": 0}, id="refs-false"),
        pytest.param(P().refs(1), {"refs": 1}, id="refs-truthy"),  # type: ignore[arg-type]
        pytest.param(P(only="id"), {"only": "id"}, id="only-str"),
        pytest.param(P(only=["id", "path"]), {"only": "id,path"}, id="only-list"),
        pytest.param(P().only("id", ["a", "b"], ("c",)), {"only": "id,a,b,c"}, id="only-mixed"),
        pytest.param(P(filter=mem.a == 1), {"filter": "a == 1"}, id="filter"),
        pytest.param(P(filter="raw == 1"), {"filter": "raw == 1"}, id="filter-raw"),
        pytest.param(P(filter=[mem.a == 1]), {"filter": "a == 1"}, id="filter-single-list"),
        pytest.param(P(filter=["raw || x"]), {"filter": "raw || x"}, id="filter-single-raw"),
        pytest.param(
            P(filter=[mem.a == 1, mem.b == 2, mem.c == 3]),
            {"filter": "((a == 1) && (b == 2)) && (c == 3)"},
            id="filter-list-like-105",
        ),
        pytest.param(
            P(filter=(mem.a == 1, "x || y")),
            {"filter": "(a == 1) && (x || y)"},
            id="filter-tuple-raw",
        ),
        pytest.param(
            P().filter(AGE > 5, mem.b == 2),
            {"filter": "(AGE > 5) && (b == 2)"},
            id="filter-varargs",
        ),
        pytest.param(
            P().filter("a", "b", "c"), {"filter": "((a) && (b)) && (c)"}, id="filter-raw-varargs"
        ),
        pytest.param(
            P(limit=10).refs(True).skip(5), {"limit": 10, "refs": 1, "skip": 5}, id="chain"
        ),
        pytest.param(P(to_dict=1), {"to_dict": 1}, id="method-name-as-kwarg"),
        pytest.param(P(hints=None), {"hints": None}, id="kept-as-given"),
    ],
)
def test_p_to_dict(params: Params, expected: dict[str, Any]) -> None:
    assert params.to_dict() == expected


def test_p_to_dict_returns_a_new_dict() -> None:
    params = P(limit=1)
    first = params.to_dict()
    first["limit"] = 99
    assert params.to_dict() == {"limit": 1}
    assert params.to_dict() is not params.to_dict()


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(lambda: P(filter=[]), ValueError, "at least one filter", id="filter-empty"),
        pytest.param(lambda: P(filter=3), TypeError, "not int", id="filter-int"),
        pytest.param(lambda: P(filter=[mem.a == 1, 3]), TypeError, "not int", id="filter-item"),
        pytest.param(lambda: P(filter=mem.a), TypeError, "not Member", id="filter-member"),
        pytest.param(lambda: P(only=3), TypeError, "names or lists of names", id="only-int"),
        pytest.param(lambda: P(only=["a", 3]), TypeError, "names must be str", id="only-item"),
    ],
)
def test_p_misuse(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_p_private_names_are_not_setters() -> None:
    with pytest.raises(AttributeError):
        _ = P()._secret
    assert not hasattr(P(), "__wrapped__")


def test_p_equality_and_repr() -> None:
    assert P(limit=1, refs=True) == P(limit=1).refs(True)
    assert P(limit=1) != P(limit=2)
    assert repr(P(limit=1).refs(True)) == "P(limit=1, refs=1)"
    assert P is Params


def test_p_copies_are_independent() -> None:
    original = P(limit=1)
    for clone in (copy.copy(original), copy.deepcopy(original)):
        clone.limit(5)
        assert original.to_dict() == {"limit": 1}
        assert clone.to_dict() == {"limit": 5}
