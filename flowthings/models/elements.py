# Each element class narrows the base's `type` and `value` (pydantic's
# discriminated-union pattern; nothing assigns through the base), which strict
# pyright reports as an incompatible override:
# pyright: reportIncompatibleVariableOverride=false
"""Typed drop elements: the ``{"type": ..., "value": ...}`` forms.

In the v0.1 platform a drop element is either plain JSON (``"temp": 21.5``) or a
typed wrapper (``"temp": {"type": "float", "value": 21.5}``); see the element
types table of the filter language notes. `ElemValue` is the type of one
value of ``Drop.elems``: an `Element` (a discriminated union on ``type``)
or plain JSON. A typed element whose ``type`` is unknown, or whose ``value`` does
not have the documented shape, becomes an `OtherElement`, so no server
answer ever fails to parse.

Examples:
    >>> Drop(elems={"temp": FloatElement(value=21.5), "room": "kitchen"}).to_wire()
    {'elems': {'temp': {'type': 'float', 'value': 21.5}, 'room': 'kitchen'}}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import (
    Discriminator,
    Field,
    JsonValue,
    StrictFloat,
    StrictInt,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from ._base import FlowthingsModel

__all__ = [
    "BaseElement",
    "BooleanElement",
    "BytesElement",
    "DateElement",
    "DropRefElement",
    "DropRefValue",
    "DurationElement",
    "Element",
    "ElemValue",
    "EmailElement",
    "FloatElement",
    "HtmlElement",
    "IdElement",
    "IntegerElement",
    "LengthElement",
    "ListElement",
    "Location",
    "LocationElement",
    "Magnitude",
    "MapElement",
    "MediaElement",
    "MediaRefElement",
    "MediaValue",
    "LongElement",
    "OtherElement",
    "SetElement",
    "SortedMapElement",
    "SortedSetElement",
    "StringElement",
    "TextElement",
    "TextValue",
    "UriElement",
    "UrlElement",
    "plain",
]


class Location(FlowthingsModel):
    """A geographic point: a drop's ``location`` or a ``location`` element's value."""

    lat: float
    """Latitude in degrees."""

    lon: float
    """Longitude in degrees."""

    specifiers: dict[str, Any] | None = None
    """Address parts such as ``city``, ``street``, ``state``, ``zip`` (any case)."""


class Magnitude(FlowthingsModel):
    """The value of a ``length`` or ``duration`` element."""

    magnitude: float
    """The amount, in ``unit``."""

    unit: str
    """``meters``/``miles``/``kilometers``/``feet`` or ``milliseconds``...``days``."""


class TextValue(FlowthingsModel):
    """The value of a ``text`` element (the key names vary between sources)."""

    content: str | None = None
    """The text (java model key)."""

    value: str | None = None
    """The text (fixture key)."""

    format: str | None = None
    """``html``, ``markdown``, ``textile`` or ``text`` (java model key)."""

    type: str | None = None
    """``text/html`` and the like (fixture key)."""

    safe: bool | None = None
    """Whether the content was sanitized."""


class MediaValue(FlowthingsModel):
    """The value of a ``media`` element: an oEmbed-like description."""

    type: str | None = None
    """Media kind, e.g. ``HTML``."""
    title: str | None = None
    """Title."""
    text: str | None = None
    """Text."""
    version: str | None = None
    """oEmbed version."""
    html: str | None = None
    """Embeddable HTML."""
    url: str | None = None
    """Media URL."""
    thumbnailUrl: str | None = None
    """Thumbnail URL."""
    thumbnailWidth: int | None = None
    """Thumbnail width in pixels."""
    thumbnailHeight: int | None = None
    """Thumbnail height in pixels."""
    width: int | None = None
    """Width in pixels."""
    height: int | None = None
    """Height in pixels."""
    authorName: str | None = None
    """Author name."""
    authorUrl: str | None = None
    """Author URL."""
    provider_name: str | None = None
    """Provider name."""
    provider_url: str | None = None
    """Provider URL."""
    mime_type: str | None = None
    """MIME type."""
    media_type: str | None = None
    """Media type."""
    cacheAge: int | None = None
    """Cache age in seconds."""


class BaseElement(FlowthingsModel):
    """Base of the typed element forms: ``{"type": name, "value": payload}``.

    ``type`` is always written by `to_wire`, even when it came from the
    class default (``IntegerElement(value=3)``).
    """

    type: str
    """The element type name (``integer``, ``date``, ``sortedSet``, ...)."""

    value: Any
    """The payload; its shape depends on ``type``."""

    def model_post_init(self, context: Any, /) -> None:
        """Mark ``type`` as set so that ``exclude_unset`` dumps keep it."""
        self.__pydantic_fields_set__.add("type")


class IntegerElement(BaseElement):
    """A 32-bit integer."""

    type: Literal["integer"] = "integer"
    value: int = Field(strict=True)


class LongElement(BaseElement):
    """A 64-bit integer."""

    type: Literal["long"] = "long"
    value: int = Field(strict=True)


class FloatElement(BaseElement):
    """A floating point number."""

    type: Literal["float"] = "float"
    # ``int`` first: an integral value stays an exact int (a float would round
    # any integer beyond 2**53), so the element round-trips unchanged
    value: StrictInt | StrictFloat


class StringElement(BaseElement):
    """A string."""

    type: Literal["string"] = "string"
    value: str = Field(strict=True)


class BooleanElement(BaseElement):
    """A boolean (``HAS boolean`` in filters)."""

    type: Literal["boolean"] = "boolean"
    value: bool = Field(strict=True)


class DateElement(BaseElement):
    """A date, milliseconds since the epoch (``x > Date(ms)`` in filters)."""

    type: Literal["date"] = "date"
    value: int = Field(strict=True)


class IdElement(BaseElement):
    """An object id (used inside ``dropRef``)."""

    type: Literal["id"] = "id"
    value: str = Field(strict=True)


class EmailElement(BaseElement):
    """An e-mail address (``x == Email('...')`` in filters)."""

    type: Literal["email"] = "email"
    value: str = Field(strict=True)


class UrlElement(BaseElement):
    """A URL (docs name)."""

    type: Literal["url"] = "url"
    value: str = Field(strict=True)


class UriElement(BaseElement):
    """A URI (Swift client name)."""

    type: Literal["uri"] = "uri"
    value: str = Field(strict=True)


class HtmlElement(BaseElement):
    """Sanitized HTML."""

    type: Literal["html"] = "html"
    value: str = Field(strict=True)


class BytesElement(BaseElement):
    """Base64-encoded bytes (removed from the platform in 2017)."""

    type: Literal["bytes"] = "bytes"
    value: str = Field(strict=True)


class LocationElement(BaseElement):
    """A geographic point."""

    type: Literal["location"] = "location"
    value: Location


class ListElement(BaseElement):
    """An ordered list of elements (typed or plain)."""

    type: Literal["list"] = "list"
    value: list[ElemValue]


class SetElement(BaseElement):
    """An unordered set of unique elements."""

    type: Literal["set"] = "set"
    value: list[ElemValue]


class SortedSetElement(BaseElement):
    """A sorted set of unique elements (the server sorts and de-duplicates)."""

    type: Literal["sortedSet"] = "sortedSet"
    value: list[ElemValue]


class MapElement(BaseElement):
    """A map of name to element."""

    type: Literal["map"] = "map"
    value: dict[str, ElemValue]


class SortedMapElement(BaseElement):
    """A key-sorted map of name to element."""

    type: Literal["sortedMap"] = "sortedMap"
    value: dict[str, ElemValue]


class DropRefValue(FlowthingsModel):
    """The value of a ``dropRef`` element."""

    flowId: IdElement | str
    """Id of the flow holding the referenced drop."""

    dropId: IdElement | str
    """Id of the referenced drop."""


class DropRefElement(BaseElement):
    """A reference to another drop."""

    type: Literal["dropRef"] = "dropRef"
    value: DropRefValue


class LengthElement(BaseElement):
    """A length with a unit."""

    type: Literal["length"] = "length"
    value: Magnitude


class DurationElement(BaseElement):
    """A duration with a unit."""

    type: Literal["duration"] = "duration"
    value: Magnitude


class TextElement(BaseElement):
    """Formatted text."""

    type: Literal["text"] = "text"
    value: TextValue


class MediaElement(BaseElement):
    """An embedded media description."""

    type: Literal["media"] = "media"
    value: MediaValue


class MediaRefElement(BaseElement):
    """A media reference (payload shape undocumented: any JSON)."""

    type: Literal["mediaRef"] = "mediaRef"
    value: Any


class OtherElement(BaseElement):
    """A typed element of an unknown type, or whose value has an unexpected shape."""

    value: Any = None


_KNOWN: dict[str, type[BaseElement]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        IntegerElement, LongElement, FloatElement, StringElement, BooleanElement,
        DateElement, IdElement, EmailElement, UrlElement, UriElement, HtmlElement,
        BytesElement, LocationElement, ListElement, SetElement, SortedSetElement,
        MapElement, SortedMapElement, DropRefElement, LengthElement, DurationElement,
        TextElement, MediaElement, MediaRefElement,
    )
}  # fmt: skip
_OTHER = "__other__"


def _element_tag(v: Any) -> str:
    if isinstance(v, OtherElement):
        return _OTHER
    t: object = cast("dict[str, Any]", v).get("type") if isinstance(v, dict) else getattr(v, "type", None)
    return t if isinstance(t, str) and t in _KNOWN else _OTHER


def _element_or_other(v: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A known type with an unexpected payload must not fail a server answer.
    try:
        return handler(v)
    except ValidationError:
        if isinstance(v, dict) and isinstance(cast("dict[str, Any]", v).get("type"), str):
            return OtherElement.model_validate(v)
        raise


Element = Annotated[
    (
        Annotated[IntegerElement, Tag("integer")]
        | Annotated[LongElement, Tag("long")]
        | Annotated[FloatElement, Tag("float")]
        | Annotated[StringElement, Tag("string")]
        | Annotated[BooleanElement, Tag("boolean")]
        | Annotated[DateElement, Tag("date")]
        | Annotated[IdElement, Tag("id")]
        | Annotated[EmailElement, Tag("email")]
        | Annotated[UrlElement, Tag("url")]
        | Annotated[UriElement, Tag("uri")]
        | Annotated[HtmlElement, Tag("html")]
        | Annotated[BytesElement, Tag("bytes")]
        | Annotated[LocationElement, Tag("location")]
        | Annotated[ListElement, Tag("list")]
        | Annotated[SetElement, Tag("set")]
        | Annotated[SortedSetElement, Tag("sortedSet")]
        | Annotated[MapElement, Tag("map")]
        | Annotated[SortedMapElement, Tag("sortedMap")]
        | Annotated[DropRefElement, Tag("dropRef")]
        | Annotated[LengthElement, Tag("length")]
        | Annotated[DurationElement, Tag("duration")]
        | Annotated[TextElement, Tag("text")]
        | Annotated[MediaElement, Tag("media")]
        | Annotated[MediaRefElement, Tag("mediaRef")]
        | Annotated[OtherElement, Tag(_OTHER)]
    ),
    Discriminator(_element_tag),
    WrapValidator(_element_or_other),
]
"""A typed element, discriminated on ``type``; unknown types give `OtherElement`."""


def _elem_value_tag(v: Any) -> str:
    if isinstance(v, BaseElement):
        return "element"
    if isinstance(v, dict) and isinstance(cast("dict[str, Any]", v).get("type"), str) and "value" in v:
        return "element"
    return "json"


ElemValue = Annotated[
    Annotated[Element, Tag("element")] | Annotated[JsonValue, Tag("json")],
    Discriminator(_elem_value_tag),
]
"""One value of ``Drop.elems``: a typed `Element` or plain JSON.

A JSON object with a string ``type`` and a ``value`` member is read as an element.
"""


def plain(value: ElemValue) -> JsonValue:
    """Return the plain JSON form of an element value (types stripped, recursively).

    Args:
        value: A value of ``Drop.elems``.

    Returns:
        Plain JSON: collections of elements become lists/dicts of plain values,
        structured payloads (``location``, ``dropRef``...) their JSON objects.

    Examples:
        >>> plain(SortedSetElement(value=[IntegerElement(value=1), 2]))
        [1, 2]
    """
    if not isinstance(value, BaseElement):
        return value
    inner: Any = value.value
    if isinstance(inner, list):
        return [plain(v) for v in cast("list[ElemValue]", inner)]
    if isinstance(inner, dict):
        return {k: plain(v) for k, v in cast("dict[str, Any]", inner).items()}
    if isinstance(inner, FlowthingsModel):
        return inner.to_wire()
    return inner  # type: ignore[no-any-return]


for _model in (ListElement, SetElement, SortedSetElement, MapElement, SortedMapElement):
    _model.model_rebuild()
