"""Typed filter members: ``Flow.q.capacity > 10``, ``Drop.q.elems["temp"] > 3``.

Every model has a class attribute ``q``, a query namespace with one typed
member per field. A typed member wraps a `Member`
and builds exactly the nodes ``mem`` builds (``Flow.q.capacity > 10`` is
``mem.capacity > 10``), but it only offers the operators that make sense for
its field type, so mypy rejects ``Flow.q.capacity.re("x")`` or
``Flow.q.capacity > "x"`` and an IDE completes field names. An operand of the
wrong type given to ``==``/``!=`` (which mypy cannot reject) raises
`TypeError`.

Element names under ``elems`` and members of free-form objects have no
declared type: ``Drop.q.elems["temp"]`` is a plain ``Member`` with every
operator. ``Flow.q["someMember"]`` reaches a member the model does not declare.
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NoReturn, TypeAlias, overload

from typing_extensions import deprecated

from flowthings.filters import (
    AGE,
    EXISTS,
    AgeBuilder,
    Compare,
    Exists,
    ListMatch,
    Member,
    ModuloTerm,
    RegexMatch,
    UnitName,
    Within,
)

__all__ = [
    "AnyField",
    "ApiTaskQuery",
    "BoolField",
    "DateField",
    "DeviceQuery",
    "DropQuery",
    "ElemsField",
    "FlowQuery",
    "GroupQuery",
    "IdentityQuery",
    "LocationField",
    "MapField",
    "MqttTaskQuery",
    "NumberField",
    "PathsField",
    "Query",
    "RssTaskQuery",
    "ShareQuery",
    "StringField",
    "StringListField",
    "TokenQuery",
    "TrackQuery",
]

AnyField: TypeAlias = Member
"""A member of unknown type (an element, a member of a free-form object): every operator."""

Number: TypeAlias = int | float


def _check(value: object, kinds: tuple[type, ...], field: _Field, op: str) -> None:
    if isinstance(value, _Field | Member):
        return
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return
    names = " or ".join(k.__name__ for k in kinds)
    raise TypeError(
        f"{type(field).__name__} {field}: {op} takes {names} (or a member), "
        f"not {type(value).__name__}"
    )


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _operand(value: object) -> object:
    return value.member if isinstance(value, _Field) else value


class _Field:
    """Base of the typed members: a member path, ``exists()``, and ``==``/``!=``."""

    __slots__ = ("_member",)
    __hash__: ClassVar[None] = None  # type: ignore[assignment]
    _kinds: ClassVar[tuple[type, ...]] = ()

    def __init__(self, name: str) -> None:
        self._member = Member.from_path(name)

    @property
    def member(self) -> Member:
        """The untyped member (``mem.<name>``) with every operator."""
        return self._member

    def exists(self) -> Exists:
        """The member is present: ``EXISTS name``."""
        return EXISTS(self._member)

    def _compare(self, op: str, other: object) -> Compare:
        _check(other, self._kinds, self, op)
        return _COMPARE[op](self._member, _operand(other))  # type: ignore[no-any-return]

    def __bool__(self) -> NoReturn:
        raise TypeError("a field has no truth value: compare it to build a filter")

    def __str__(self) -> str:
        return str(self._member)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


# `==` and `!=` take any object in Python, so a mistyped comparison
# (`Flow.q.displayName == 1`) would fall back to `object.__eq__` and pass
# every checker. Each field's catch-all overload is marked deprecated instead:
# mypy (with the `deprecated` error code) and pyright flag the call, and it
# still raises TypeError at run time.


class StringField(_Field):
    """A string member: ``==``, ``!=``, ``re()``, ``IN()``."""

    __slots__ = ()
    _kinds = (str,)

    @overload  # type: ignore[override]
    def __eq__(self, other: str | StringField | Member) -> Compare: ...
    @overload
    @deprecated("== with a value of the wrong type: it raises TypeError at run time")
    def __eq__(self, other: object) -> Compare: ...
    def __eq__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("==", other)

    @overload  # type: ignore[override]
    def __ne__(self, other: str | StringField | Member) -> Compare: ...
    @overload
    @deprecated("!= with a value of the wrong type: it raises TypeError at run time")
    def __ne__(self, other: object) -> Compare: ...
    def __ne__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("!=", other)

    def re(self, pattern: str, flags: str = "") -> RegexMatch:
        """Regex match: ``name =~ /pattern/flags`` (see ``Member.re``)."""
        return self._member.re(pattern, flags)

    def IN(self, *items: str) -> ListMatch:
        """The member equals one of ``items``: ``name IN ['a','b']``."""
        for item in items:
            _check(item, self._kinds, self, "IN")
        return self._member.IN(*items)


class PathsField(StringField):
    """A flow path or a list of them (``Track.destination``): adds ``CONTAINS()``."""

    __slots__ = ()

    def CONTAINS(self, *items: str) -> ListMatch:
        """The list contains ``items``: ``name CONTAINS ['a','b']``."""
        for item in items:
            _check(item, self._kinds, self, "CONTAINS")
        return self._member.CONTAINS(*items)


class NumberField(_Field):
    """A numeric member: comparisons, ``%``, ``IN()``."""

    __slots__ = ()
    _kinds = (int, float)

    @overload  # type: ignore[override]
    def __eq__(self, other: Number | NumberField | Member) -> Compare: ...
    @overload
    @deprecated("== with a value of the wrong type: it raises TypeError at run time")
    def __eq__(self, other: object) -> Compare: ...
    def __eq__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("==", other)

    @overload  # type: ignore[override]
    def __ne__(self, other: Number | NumberField | Member) -> Compare: ...
    @overload
    @deprecated("!= with a value of the wrong type: it raises TypeError at run time")
    def __ne__(self, other: object) -> Compare: ...
    def __ne__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("!=", other)

    def __lt__(self, other: Number | NumberField | Member) -> Compare:
        return self._compare("<", other)

    def __le__(self, other: Number | NumberField | Member) -> Compare:
        return self._compare("<=", other)

    def __gt__(self, other: Number | NumberField | Member) -> Compare:
        return self._compare(">", other)

    def __ge__(self, other: Number | NumberField | Member) -> Compare:
        return self._compare(">=", other)

    def __mod__(self, divisor: int) -> ModuloTerm:
        return self._member % divisor

    def IN(self, *items: Number) -> ListMatch:
        """The member equals one of ``items``: ``name IN [1,2]``."""
        for item in items:
            _check(item, self._kinds, self, "IN")
        return self._member.IN(*items)


DateValue: TypeAlias = int | _dt.datetime


class DateField(_Field):
    """A date member (ms since the epoch): comparisons with ms or a ``datetime``
    (``Date(ms)``), and ``age`` for ``AGE('name')``."""

    __slots__ = ()
    _kinds = (int, _dt.datetime)

    @overload  # type: ignore[override]
    def __eq__(self, other: DateValue | DateField | Member) -> Compare: ...
    @overload
    @deprecated("== with a value of the wrong type: it raises TypeError at run time")
    def __eq__(self, other: object) -> Compare: ...
    def __eq__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("==", other)

    @overload  # type: ignore[override]
    def __ne__(self, other: DateValue | DateField | Member) -> Compare: ...
    @overload
    @deprecated("!= with a value of the wrong type: it raises TypeError at run time")
    def __ne__(self, other: object) -> Compare: ...
    def __ne__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("!=", other)

    def __lt__(self, other: DateValue | DateField | Member) -> Compare:
        return self._compare("<", other)

    def __le__(self, other: DateValue | DateField | Member) -> Compare:
        return self._compare("<=", other)

    def __gt__(self, other: DateValue | DateField | Member) -> Compare:
        return self._compare(">", other)

    def __ge__(self, other: DateValue | DateField | Member) -> Compare:
        return self._compare(">=", other)

    @property
    def age(self) -> AgeBuilder:
        """Time since this date: ``Flow.q.lastEditDate.age > 3600000``."""
        return AGE(self._member)


class BoolField(_Field):
    """A boolean member: ``==`` and ``!=``."""

    __slots__ = ()
    _kinds = (bool,)

    @overload  # type: ignore[override]
    def __eq__(self, other: bool | BoolField | Member) -> Compare: ...
    @overload
    @deprecated("== with a value of the wrong type: it raises TypeError at run time")
    def __eq__(self, other: object) -> Compare: ...
    def __eq__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("==", other)

    @overload  # type: ignore[override]
    def __ne__(self, other: bool | BoolField | Member) -> Compare: ...
    @overload
    @deprecated("!= with a value of the wrong type: it raises TypeError at run time")
    def __ne__(self, other: object) -> Compare: ...
    def __ne__(self, other: object) -> Compare:  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._compare("!=", other)


class StringListField(_Field):
    """A list of strings (``memberIds``, ``groupIds``): ``CONTAINS()``."""

    __slots__ = ()
    _kinds = (str,)

    def CONTAINS(self, *items: str) -> ListMatch:
        """The list contains ``items``: ``name CONTAINS ['a','b']``."""
        for item in items:
            _check(item, self._kinds, self, "CONTAINS")
        return self._member.CONTAINS(*items)


class LocationField(_Field):
    """A location (``{lat, lon}``): ``WITHIN()``."""

    __slots__ = ()

    def WITHIN(
        self,
        distance: float,
        unit: UnitName = "MILES",
        coords: Sequence[float] | None = None,
        zip: str | int | None = None,
    ) -> Within:
        """Distance test: ``location WITHIN 5 KM OF [lat,lon]`` (see ``Member.WITHIN``)."""
        return self._member.WITHIN(distance, unit, coords, zip)


class MapField(_Field):
    """A free-form object: its members have no declared type (plain ``Member``)."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Member:
        return self._member[name]

    def __getattr__(self, name: str) -> Member:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._member, name)  # type: ignore[no-any-return]


class ElemsField(MapField):
    """A drop's ``elems``: ``Drop.q.elems["temp"] > 3`` is ``mem.elems.temp > 3``.

    Item access is the reliable form; attribute access works for names that are
    not methods of this class (``exists``, ``member``).
    """

    __slots__ = ()


# ------------------------------------------------------------- per-model namespaces


class Query:
    """Base of the per-model query namespaces: the members common to all resources."""

    id = StringField("id")
    creationDate = DateField("creationDate")
    creatorId = StringField("creatorId")
    lastEditDate = DateField("lastEditDate")
    lastEditorId = StringField("lastEditorId")

    def __getitem__(self, name: str) -> Member:
        """A member the model does not declare: ``Flow.q["someMember"]``."""
        return Member.from_path(name)


class FlowQuery(Query):
    """Typed filter members of `Flow`."""

    path = StringField("path")
    capacity = NumberField("capacity")
    description = StringField("description")
    filter = StringField("filter")
    public = BoolField("public")
    name = StringField("name")
    displayName = StringField("displayName")


class DropQuery(Query):
    """Typed filter members of `Drop`."""

    elems = ElemsField("elems")
    path = StringField("path")
    flowId = StringField("flowId")
    location = LocationField("location")
    fhash = StringField("fhash")
    parentDropId = MapField("parentDropId")
    version = NumberField("version")


class TrackQuery(Query):
    """Typed filter members of `Track`."""

    source = StringField("source")
    destination = PathsField("destination")
    filter = StringField("filter")
    js = StringField("js")
    disabled = BoolField("disabled")
    description = StringField("description")
    metadata = MapField("metadata")


class GroupQuery(Query):
    """Typed filter members of `Group`."""

    memberIds = StringListField("memberIds")
    displayName = StringField("displayName")
    description = StringField("description")


class IdentityQuery(Query):
    """Typed filter members of `Identity`."""

    name = StringField("name")
    email = StringField("email")
    firstName = StringField("firstName")
    lastName = StringField("lastName")
    middleName = StringField("middleName")
    salutation = StringField("salutation")
    icon = StringField("icon")
    groupIds = StringListField("groupIds")
    shares = MapField("shares")
    masterToken = StringField("masterToken")


class TokenQuery(Query):
    """Typed filter members of `Token`."""

    paths = MapField("paths")
    duration = NumberField("duration")
    description = StringField("description")
    tokenString = StringField("tokenString")
    expiresInMs = NumberField("expiresInMs")
    issuedBy = StringField("issuedBy")


class ShareQuery(Query):
    """Typed filter members of `Share`."""

    issuedTo = StringField("issuedTo")
    paths = MapField("paths")
    duration = NumberField("duration")
    description = StringField("description")
    issuedBy = StringField("issuedBy")
    expiresInMs = NumberField("expiresInMs")


class DeviceQuery(Query):
    """Typed filter members of `Device`."""

    path = StringField("path")
    displayName = StringField("displayName")
    tokenId = StringField("tokenId")
    status = StringField("status")
    lastSeen = DateField("lastSeen")
    timeSinceLastSeen = NumberField("timeSinceLastSeen")
    reportPeriodicity = NumberField("reportPeriodicity")
    deviceSummary = MapField("deviceSummary")
    tracks = MapField("tracks")


class _TaskQuery(Query):
    displayName = StringField("displayName")
    description = StringField("description")
    disabled = BoolField("disabled")
    reportFlowId = StringField("reportFlowId")
    reportPath = StringField("reportPath")
    status = StringField("status")


class _PeriodicTaskQuery(_TaskQuery):
    periodicity = NumberField("periodicity")
    lastRun = DateField("lastRun")
    nextRun = DateField("nextRun")
    runCt = NumberField("runCt")


class ApiTaskQuery(_PeriodicTaskQuery):
    """Typed filter members of `ApiTask`."""

    destination = StringField("destination")
    js = StringField("js")
    source = MapField("source")


class MqttTaskQuery(_TaskQuery):
    """Typed filter members of `MqttTask`."""

    uri = StringField("uri")
    topic = StringField("topic")
    destination = StringField("destination")
    source = StringField("source")
    host = StringField("host")
    username = StringField("username")
    password = StringField("password")
    clientId = StringField("clientId")
    qos = NumberField("qos")
    version = StringField("version")
    reportFrequency = NumberField("reportFrequency")
    inputFormat = StringField("inputFormat")
    outputFormat = StringField("outputFormat")


class RssTaskQuery(_PeriodicTaskQuery):
    """Typed filter members of `RssTask`."""

    url = StringField("url")
    destination = StringField("destination")
    category = StringField("category")
    favicon = StringField("favicon")
    icon = StringField("icon")
    isFeatured = BoolField("isFeatured")
