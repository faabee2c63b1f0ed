"""The fast envelope validator (models/_wire.py) gives exactly the models of the usual path.

The usual path is ``json.loads`` then ``Drop.model_validate``; the fast one
validates the answer's bytes with a rewritten schema. Whatever the fast one
accepts must give equal models of the same classes with the same set fields
and extras, at every depth; whatever the usual path refuses, the fast one
must refuse too (callers then fall back to the usual path).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from flowthings.models import Drop, Flow
from flowthings.models._wire import envelope_validator
from flowthings.models.elements import _KNOWN

ELEMENT_FORMS = [
    pytest.param(21.5, id="float"),
    pytest.param(3, id="int"),
    pytest.param("kitchen", id="str"),
    pytest.param(True, id="bool"),
    pytest.param(None, id="null"),
    pytest.param([1, "a", None, {"type": "integer", "value": 1}], id="list-of-json"),
    pytest.param({"a": 1, "b": {"c": [1]}}, id="object"),
    pytest.param({"type": 3, "value": 1}, id="non-str-type"),
    pytest.param({"type": "integer"}, id="type-without-value"),
    pytest.param({"value": 1}, id="value-without-type"),
    pytest.param({"type": "integer", "value": 5}, id="integer"),
    pytest.param({"type": "integer", "value": "abc"}, id="integer-bad-payload"),
    pytest.param({"type": "integer", "value": True}, id="integer-bool-payload"),
    pytest.param({"type": "integer", "value": 1.0}, id="integer-float-payload"),
    pytest.param({"type": "integer", "value": 1, "unit": "kept"}, id="integer-extra"),
    pytest.param({"type": "long", "value": 12345678901234567890123}, id="long-big"),
    pytest.param({"type": "float", "value": 1}, id="float-int-payload"),
    pytest.param({"type": "float", "value": "1.5"}, id="float-str-payload"),
    pytest.param({"type": "string", "value": None}, id="string-null"),
    pytest.param({"type": "boolean", "value": 1}, id="boolean-int"),
    pytest.param({"type": "date", "value": 1700000000000}, id="date"),
    pytest.param({"type": "unknown", "value": {"x": 1}}, id="unknown-type"),
    pytest.param({"type": "__other__", "value": 1}, id="other-tag-name"),
    pytest.param({"type": "location", "value": {"lat": 1, "lon": 2.5}}, id="location"),
    pytest.param({"type": "location", "value": {"lat": "a"}}, id="location-bad"),
    pytest.param(
        {"type": "list", "value": [{"type": "integer", "value": 1}, 2, {"type": "bogus", "value": 0}]},
        id="list",
    ),
    pytest.param({"type": "set", "value": [{"type": "list", "value": [{"type": "map", "value": {}}]}]}, id="nested"),
    pytest.param({"type": "sortedSet", "value": "not a list"}, id="sortedSet-bad"),
    pytest.param({"type": "map", "value": {"a": {"type": "string", "value": "x"}, "b": 2}}, id="map"),
    pytest.param({"type": "sortedMap", "value": {"a": {"type": "integer"}}}, id="sortedMap-json-inside"),
    pytest.param(
        {"type": "dropRef", "value": {"flowId": {"type": "id", "value": "f1"}, "dropId": "d1"}},
        id="dropRef",
    ),
    pytest.param({"type": "dropRef", "value": {"flowId": {"value": "f1"}, "dropId": "d1"}}, id="dropRef-id-without-type"),
    pytest.param({"type": "length", "value": {"magnitude": 1, "unit": "meters"}}, id="length"),
    pytest.param({"type": "duration", "value": {"magnitude": "x"}}, id="duration-bad"),
    pytest.param({"type": "text", "value": {"content": "x", "format": "html"}}, id="text"),
    pytest.param({"type": "media", "value": {"url": "u", "width": 3}}, id="media"),
    pytest.param({"type": "mediaRef", "value": [1]}, id="mediaRef"),
    pytest.param({"type": "html", "value": "<b>x</b>"}, id="html"),
]


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal values of the same classes; models with the same set fields and extras."""
    assert type(a) is type(b), where
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        assert a.__pydantic_extra__ == b.__pydantic_extra__, where
        for name in type(a).model_fields:
            same(getattr(a, name), getattr(b, name), f"{where}.{name}")
        assert a.to_wire() == b.to_wire(), where  # type: ignore[attr-defined]
        assert repr(a) == repr(b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def usual(content: bytes, many: bool) -> Any:
    body = json.loads(content)["body"]
    return [Drop.model_validate(d) for d in body] if many else Drop.model_validate(body)


def check(body: Any, many: bool = True) -> None:
    content = json.dumps({"head": {"status": 200}, "body": body}).encode()
    fast = envelope_validator(Drop, many)
    assert fast is not None
    try:
        expected = usual(content, many)
    except ValidationError:
        with pytest.raises(ValidationError):
            fast.validate_json(content)
        return
    got = fast.validate_json(content)
    assert got["head"] == {"status": 200}
    same(got["body"], expected)


@pytest.mark.parametrize("value", ELEMENT_FORMS)
def test_every_element_form_gives_the_same_models(value: Any) -> None:
    check([{"id": "d1", "elems": {"x": value}}])
    check({"id": "d1", "elems": {"x": value, "y": value}}, many=False)


@pytest.mark.parametrize(
    "drop",
    [
        pytest.param({"elems": {}}, id="empty"),
        pytest.param({"elems": {"a": 1}, "extra": {"kept": [1]}, "version": 3}, id="extras"),
        pytest.param({"elems": {}, "location": {"lat": 1, "lon": 2}}, id="location"),
        pytest.param({"elems": {}, "parentDropId": {"flowId": "f", "dropId": "d"}}, id="parent"),
        pytest.param({"elems": {}, "creationDate": 1.0}, id="float-date"),
        pytest.param({"id": "d1"}, id="missing-elems"),
        pytest.param({"elems": [1]}, id="elems-not-object"),
        pytest.param({"elems": {}, "creationDate": "soon"}, id="bad-date"),
        pytest.param(3, id="not-an-object"),
    ],
)
def test_drop_members_and_refusals_match(drop: Any) -> None:
    check([drop])
    check(drop, many=False)


def test_bytes_json_loads_takes_but_the_fast_path_does_not_are_refused() -> None:
    # a lone surrogate: json.loads accepts it, the fast parser does not, so the
    # caller falls back to the usual path (which gives the drop)
    content = b'{"head": {}, "body": [{"elems": {"a": "\\ud800"}}]}'
    fast = envelope_validator(Drop, True)
    assert fast is not None
    with pytest.raises(ValueError, match="hex escape"):
        fast.validate_json(content)
    assert usual(content, True)[0].elems["a"] == "\ud800"


def test_models_without_elements_get_no_fast_validator() -> None:
    assert envelope_validator(Flow, True) is None
    assert envelope_validator(Flow, False) is None


def test_the_model_classes_are_left_complete() -> None:
    envelope_validator.cache_clear()
    assert envelope_validator(Drop, True) is not None
    from flowthings.models import elements

    for cls in (Drop, elements.IntegerElement, elements.ListElement, elements.OtherElement):
        assert cls.__pydantic_complete__ is True
    # and the classes' own validation is untouched (element types still marked as set)
    assert elements.IntegerElement(value=3).to_wire() == {"type": "integer", "value": 3}


_TAGS = [*_KNOWN, "bogus", "__other__"]
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)


def _json(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    element = st.fixed_dictionaries(
        {"type": st.sampled_from(_TAGS) | st.integers(0, 3)},
        optional={"value": children, "extra": children},
    )
    return st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3) | element


_values = st.recursive(_scalars, _json, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), _values, max_size=4))
def test_any_json_elems_give_the_same_models(elems: dict[str, Any]) -> None:
    check([{"id": "d", "elems": elems}])
