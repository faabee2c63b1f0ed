"""Typed models of the flowthings platform objects (pydantic v2).

One name per field, everywhere: attributes are the camelCase **wire names**
(``flow.displayName``, ``drop.flowId``, ``drop.creationDate``), the same names
the dict API, the filter DSL (``mem.displayName``), ``M(model, displayName=...)``
and the typed filter members (``Flow.q.displayName``) use. No aliases.

Models are tolerant readers:

- unknown members sent by the platform are kept (``extra="allow"``) and sent
  back by `FlowthingsModel.to_wire`;
- server-set members (``id``, ``creationDate``, ``creatorId``, ``lastEditDate``,
  ...) are optional;
- the documented constraints (flow path shape and length, capacity range, task
  periodicity, MQTT direction, required members) are validated, but only those
  the platform itself guarantees, so a valid server answer always parses.

`FlowthingsModel.to_wire` gives the JSON to send: unset fields are left
out, so ``Flow.model_validate(answer).to_wire() == answer``. Every service
accepts a model wherever it accepts a dict, and every service has a typed view
(``api.flow.typed.read(id) -> Flow``).

Every model has a class attribute ``q`` with one typed filter member per field
(``Flow.q.capacity > 10``, ``Drop.q.elems["temp"] > 3``,
``Flow.q.path.re("^/a")``); they build the same filters as ``mem``.

Note: `Token` here is the token *resource* (``/token``);
`flowthings.Token` is the credentials an ``API`` signs requests with.
"""

from __future__ import annotations

from ._base import FlowthingsModel, Resource
from ._query import (
    AnyField,
    BoolField,
    DateField,
    ElemsField,
    LocationField,
    NumberField,
    Query,
    StringField,
    StringListField,
)
from .device import Device
from .drop import Drop, ParentDropRef
from .elements import (
    BaseElement,
    BooleanElement,
    BytesElement,
    DateElement,
    DropRefElement,
    DropRefValue,
    DurationElement,
    Element,
    ElemValue,
    EmailElement,
    FloatElement,
    HtmlElement,
    IdElement,
    IntegerElement,
    LengthElement,
    ListElement,
    Location,
    LocationElement,
    LongElement,
    Magnitude,
    MapElement,
    MediaElement,
    MediaRefElement,
    MediaValue,
    OtherElement,
    SetElement,
    SortedMapElement,
    SortedSetElement,
    StringElement,
    TextElement,
    TextValue,
    UriElement,
    UrlElement,
    plain,
)
from .flow import Flow
from .group import Group
from .identity import Identity, ReceivedShare
from .results import AggregateRow, References, StatisticsSeries
from .share import Share, SharePermission
from .tasks import ApiTask, MqttTask, PeriodicTask, RssTask, Task
from .token import Token, TokenPermission
from .track import Track

__all__ = [
    "AggregateRow",
    "AnyField",
    "ApiTask",
    "BaseElement",
    "BoolField",
    "BooleanElement",
    "BytesElement",
    "DateElement",
    "DateField",
    "Device",
    "Drop",
    "DropRefElement",
    "DropRefValue",
    "DurationElement",
    "ElemValue",
    "Element",
    "ElemsField",
    "EmailElement",
    "FloatElement",
    "Flow",
    "FlowthingsModel",
    "Group",
    "HtmlElement",
    "IdElement",
    "Identity",
    "IntegerElement",
    "LengthElement",
    "ListElement",
    "Location",
    "LocationElement",
    "LocationField",
    "LongElement",
    "Magnitude",
    "MapElement",
    "MediaElement",
    "MediaRefElement",
    "MediaValue",
    "MqttTask",
    "NumberField",
    "OtherElement",
    "ParentDropRef",
    "PeriodicTask",
    "Query",
    "ReceivedShare",
    "References",
    "Resource",
    "RssTask",
    "SetElement",
    "Share",
    "SharePermission",
    "SortedMapElement",
    "SortedSetElement",
    "StatisticsSeries",
    "StringElement",
    "StringField",
    "StringListField",
    "Task",
    "TextElement",
    "TextValue",
    "Token",
    "TokenPermission",
    "Track",
    "UriElement",
    "UrlElement",
    "plain",
]
