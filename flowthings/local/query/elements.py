"""Drop elements: what counts as a typed element, and how elements are rendered.

The ONE place for the element rules of the local platform (``objects.md`` §2,
``filter-language.md`` §6).  Filters and aggregation compare by :func:`plain`
values, REST/MGET/WebSocket answers and track JS input use
:func:`render_drop`, ``POST /track/simulate`` uses :func:`render_elems`.

Storage
    Elements are stored exactly as sent (typed, plain or mixed); nothing is
    typed or untyped on write.
Typed element (:func:`typed_parts`)
    A JSON object with **exactly** the two keys ``type`` and ``value`` whose
    ``type`` is one of :data:`TYPE_NAMES`.  Anything else is plain JSON: an
    object with extra keys (``{"type": "a", "value": 1, "x": 2}``), a
    ``type`` that is not a string, or an unknown type name
    (``{"type": "custom", "value": 5}`` is a user map), so no user data is
    ever mistaken for a wrapper.  Type names are case-sensitive.
Typed rendering (``/v0.1`` default, WebSocket pushes, track JS input)
    Each *top-level* element is wrapped ``{"type": t, "value": v}`` with ``t``
    inferred by :func:`element_type` (str ``string``, bool ``boolean``, int
    ``integer`` or ``long`` outside 32 bits, float ``float``, object ``map``,
    array ``list``); an already typed element is kept exactly as given;
    ``null`` stays ``null``; nested values are left as given.
Plain rendering (``hints=0|false`` on ``/v0.1``, always on ``/v4.0``, simulate)
    :func:`plain`, recursively: a typed element of a *container* type
    (``list set sortedSet`` items, ``map sortedMap`` values) or a ``dropRef``
    (``{flowId, dropId}`` with the ids unwrapped) gives its payload with every
    item unwrapped; any other typed element (scalars, ``date`` → int ms,
    ``location`` → ``{lat, lon, ...}``, ``length``, ``duration``, ``text``,
    ``media``, ``bytes``, ``mediaRef``, ...) gives its ``value`` as is, since
    such payloads are records, not elements (a ``text`` payload
    ``{"type": "html", "value": "<b>"}`` must not be unwrapped again).  Plain
    objects and arrays are untyped maps and lists: their items are unwrapped
    too.  Sets are not de-duplicated or sorted, maps not key-sorted: order is
    kept as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "TYPE_NAMES",
    "element_type",
    "plain",
    "render_drop",
    "render_elems",
    "typed_parts",
]

TYPE_NAMES: Final = frozenset(
    {
        "boolean",
        "date",
        "dropRef",
        "id",
        "email",
        "string",
        "integer",
        "long",
        "float",
        "double",
        "list",
        "set",
        "sortedSet",
        "map",
        "sortedMap",
        "location",
        "length",
        "duration",
        "text",
        "media",
        "bytes",
        "uri",
        "url",
        "html",
        "mediaRef",
    }
)
"""Element type names recognised in the typed ``{"type": ..., "value": ...}`` form."""

_UNWRAP_ITEMS: Final = frozenset({"list", "set", "sortedSet", "map", "sortedMap", "dropRef"})
"""Types whose payload holds elements (unwrapped by :func:`plain`); others are records."""

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
"""Exact types of JSON scalars: checked with ``type(v) in _SCALARS`` before the
(much slower) ``Mapping`` ABC check, as filters and sorts call :func:`plain`
once per scanned drop."""


def typed_parts(value: object) -> tuple[str, Any] | None:
    """Return ``(type, value)`` of a typed element, or ``None`` for plain JSON."""
    if type(value) in _SCALARS:
        return None
    if (
        isinstance(value, Mapping)
        and len(value) == 2
        and "type" in value
        and "value" in value
        and isinstance(value["type"], str)
        and value["type"] in TYPE_NAMES
    ):
        return value["type"], value["value"]
    return None


def element_type(value: Any) -> str | None:
    """Return the element type name of a stored element (typed or plain; ``None`` for null)."""
    parts = typed_parts(value)
    if parts is not None:
        return parts[0]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if _INT32_MIN <= value <= _INT32_MAX else "long"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return None


def plain(value: Any) -> Any:
    """Return the plain JSON form of an element (the module docstring's rule)."""
    if type(value) in _SCALARS:
        return value
    parts = typed_parts(value)
    if parts is not None:
        kind, payload = parts
        return plain(payload) if kind in _UNWRAP_ITEMS else payload
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _typed(value: Any) -> Any:
    if type(value) in _SCALARS:  # the usual elements: plain JSON, never a typed element
        return value if value is None else {"type": element_type(value), "value": value}
    kind = element_type(value)
    if kind is None or typed_parts(value) is not None:
        return value
    return {"type": kind, "value": value}


def render_elems(elems: Mapping[str, Any], typed: bool) -> dict[str, Any]:
    """Render a drop's ``elems``: top-level typed when ``typed``, else all plain."""
    if typed:
        return {name: _typed(value) for name, value in elems.items()}
    return {name: plain(value) for name, value in elems.items()}


def render_drop(drop: dict[str, Any], typed: bool) -> dict[str, Any]:
    """Return ``drop`` with its ``elems`` rendered (a non-object ``elems`` is left alone)."""
    elems = drop.get("elems")
    if not isinstance(elems, Mapping):
        return drop
    return {**drop, "elems": render_elems(elems, typed)}
