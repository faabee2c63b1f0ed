"""Typed drop elements: the discriminated union, its fallback, and ``plain``."""

from __future__ import annotations

from typing import Any

import pytest

from flowthings.models import (
    BooleanElement,
    DateElement,
    Drop,
    DropRefElement,
    DurationElement,
    EmailElement,
    FloatElement,
    HtmlElement,
    IdElement,
    IntegerElement,
    LengthElement,
    ListElement,
    LocationElement,
    LongElement,
    MapElement,
    MediaElement,
    MediaRefElement,
    OtherElement,
    SetElement,
    SortedMapElement,
    SortedSetElement,
    StringElement,
    TextElement,
    UriElement,
    UrlElement,
)
from flowthings.models.elements import BytesElement, plain

TYPED = [
    pytest.param({"type": "integer", "value": 75}, IntegerElement, 75, id="integer"),
    pytest.param({"type": "long", "value": 1433800947425}, LongElement, 1433800947425,
                 id="long"),
    pytest.param({"type": "float", "value": 5.87}, FloatElement, 5.87, id="float"),
    pytest.param({"type": "string", "value": "s"}, StringElement, "s", id="string"),
    pytest.param({"type": "boolean", "value": True}, BooleanElement, True, id="boolean"),
    pytest.param({"type": "date", "value": 1302547651168}, DateElement, 1302547651168,
                 id="date"),
    pytest.param({"type": "id", "value": "0987654321ABCDEF12345678"}, IdElement,
                 "0987654321ABCDEF12345678", id="id"),
    pytest.param({"type": "email", "value": "someone@example.com"}, EmailElement,
                 "someone@example.com", id="email"),
    pytest.param({"type": "url", "value": "http://x"}, UrlElement, "http://x", id="url"),
    pytest.param({"type": "uri", "value": "http://x"}, UriElement, "http://x", id="uri"),
    pytest.param({"type": "html", "value": "<b>x</b>"}, HtmlElement, "<b>x</b>", id="html"),
    pytest.param({"type": "bytes", "value": "AAEC"}, BytesElement, "AAEC", id="bytes"),
    pytest.param({"type": "location", "value": {"lat": 1.5, "lon": 2.5,
                                                "specifiers": {"ZIP": "10001"}}},
                 LocationElement, {"lat": 1.5, "lon": 2.5, "specifiers": {"ZIP": "10001"}},
                 id="location"),
    pytest.param({"type": "list", "value": [1, {"type": "string", "value": "a"}]},
                 ListElement, [1, "a"], id="list"),
    pytest.param({"type": "set", "value": [1, 2]}, SetElement, [1, 2], id="set"),
    pytest.param({"type": "sortedSet", "value": [{"type": "integer", "value": 75},
                                                 {"type": "integer", "value": 100}]},
                 SortedSetElement, [75, 100], id="sortedSet"),
    pytest.param({"type": "map", "value": {"a": 1, "b": {"type": "float", "value": 2.5}}},
                 MapElement, {"a": 1, "b": 2.5}, id="map"),
    pytest.param({"type": "sortedMap", "value": {"a": 1}}, SortedMapElement, {"a": 1},
                 id="sortedMap"),
    pytest.param({"type": "dropRef", "value": {
        "flowId": {"type": "id", "value": "0987654321ABCDEF12345678"},
        "dropId": {"type": "id", "value": "1234567890ABCDEF12345678"}}},
        DropRefElement, {"flowId": {"type": "id", "value": "0987654321ABCDEF12345678"},
                         "dropId": {"type": "id", "value": "1234567890ABCDEF12345678"}},
        id="dropRef"),
    pytest.param({"type": "length", "value": {"magnitude": 5.0, "unit": "miles"}},
                 LengthElement, {"magnitude": 5.0, "unit": "miles"}, id="length"),
    pytest.param({"type": "duration", "value": {"magnitude": 3.0, "unit": "hours"}},
                 DurationElement, {"magnitude": 3.0, "unit": "hours"}, id="duration"),
    pytest.param({"type": "text", "value": {"content": "*x*", "format": "markdown",
                                            "safe": True}},
                 TextElement, {"content": "*x*", "format": "markdown", "safe": True},
                 id="text-java"),
    pytest.param({"type": "text", "value": {"value": "<p>x</p>", "type": "text/html"}},
                 TextElement, {"value": "<p>x</p>", "type": "text/html"}, id="text-fixture"),
    pytest.param({"type": "media", "value": {"type": "HTML", "title": "t",
                                             "thumbnailWidth": 10, "provider_name": "p"}},
                 MediaElement, {"type": "HTML", "title": "t", "thumbnailWidth": 10,
                                "provider_name": "p"}, id="media"),
    pytest.param({"type": "mediaRef", "value": {"anything": [1]}}, MediaRefElement,
                 {"anything": [1]}, id="mediaRef"),
    pytest.param({"type": "hologram", "value": {"x": 1}}, OtherElement, {"x": 1},
                 id="unknown-type"),
    pytest.param({"type": "integer", "value": 1.5}, OtherElement, 1.5, id="bad-payload"),
]  # fmt: skip


@pytest.mark.parametrize(("wire", "cls", "plain_value"), TYPED)
def test_typed_element(wire: dict[str, Any], cls: type, plain_value: Any) -> None:
    drop = Drop.model_validate({"elems": {"x": wire}})
    element = drop.elems["x"]
    assert type(element) is cls
    assert drop.to_wire() == {"elems": {"x": wire}}
    assert plain(element) == plain_value
    assert drop.plain_elems() == {"x": plain_value}


PLAIN = [
    pytest.param("beepboop", id="string"),
    pytest.param(True, id="bool"),
    pytest.param(1433800947425, id="int"),
    pytest.param(5.87, id="float"),
    pytest.param(None, id="null"),
    pytest.param({"foo": "bar", "baz": 7.3}, id="object"),
    pytest.param([1, 2, 3.4, True, False], id="array"),
    pytest.param({"type": "HTML", "title": "no value member"}, id="object-with-type"),
    pytest.param({"type": 3, "value": 1}, id="object-with-non-string-type"),
]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_json_element_stays_plain(value: Any) -> None:
    drop = Drop.model_validate({"elems": {"x": value}})
    assert drop.elems["x"] == value
    assert drop.to_wire() == {"elems": {"x": value}}
    assert plain(drop.elems["x"]) == value


def test_element_built_in_code_writes_its_type() -> None:
    drop = Drop(
        elems={
            "temp": FloatElement(value=21.5),
            "codes": SortedSetElement(value=[IntegerElement(value=1), 2]),
            "room": "kitchen",
        }
    )
    assert drop.to_wire() == {
        "elems": {
            "temp": {"type": "float", "value": 21.5},
            "codes": {"type": "sortedSet", "value": [{"type": "integer", "value": 1}, 2]},
            "room": "kitchen",
        }
    }
    assert drop.model_dump(mode="json", by_alias=True, exclude_unset=True) == drop.to_wire()


def test_extra_members_of_an_element_are_kept() -> None:
    wire = {"type": "integer", "value": 1, "unit": "celsius"}
    assert Drop.model_validate({"elems": {"x": wire}}).to_wire() == {"elems": {"x": wire}}


def test_union_tags_match_the_element_type_names() -> None:
    from typing import get_args

    from flowthings.models.elements import _KNOWN, _OTHER, Element

    union = get_args(Element)[0]
    tags = {}
    for member in get_args(union):
        cls, tag = get_args(member)
        tags[tag.tag] = cls
    assert tags.pop(_OTHER) is OtherElement
    assert tags == _KNOWN
