# This module walks pydantic-core schemas: nested JSON-like dicts whose shape
# the checkers cannot know, so strict pyright's "unknown type" rules are off here.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false, reportUnknownArgumentType=false
"""Fast validators of platform answers: the answer's bytes in, the same models out.

A drop's ``elems`` values are `ElemValue` s:
a union decided by Python callables (is it a ``{type, value}`` element? which
type? does its payload fit, or is it an ``OtherElement``?) over pydantic's
``JsonValue`` (itself decided by a Python callable), and every element model
runs ``model_post_init``. That is right for any Python input and costs about
five Python calls per element: ``json.loads`` of an answer and then building
1000 drops took ~7x the ``json.loads`` alone.

Data read from JSON is narrower (objects with string keys, arrays, strings,
numbers, booleans, null; never a model instance), and for it the same
decision can be made inside pydantic-core, with no Python call:

1. a union tagged on the ``type`` member over the known element models (a
   missing or unknown tag, or a payload that does not fit, fails);
2. else ``OtherElement``, with ``value`` *required* (an element needs both
   members; ``{"type": "x"}`` alone is plain JSON) and ``type`` a string;
3. else the JSON value as it is (``JsonValue`` accepts any JSON).

The element models reached this way always get ``type`` from the input, so
their ``model_post_init`` (which marks ``type`` as set for models built in
code) has nothing to do and is left out. And the answer is validated straight
from its bytes (pydantic's JSON mode), in one pass.

`envelope_validator` builds such a validator for a flowthings envelope
whose ``body`` is one ``model`` or a list of them, by rewriting the core
schema pydantic generated for the model (so every other member is validated
exactly as by the model itself). It is only built for models holding
``ElemValue`` s (drops); for the others it is ``None``. Callers must fall
back to the usual path (``json.loads``, then the model) whenever it raises:
the fast validator never accepts an answer the usual path would refuse, and
gives equal models with equal set fields
(``tests/models/test_wire.py`` checks every element form).
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any, cast

from pydantic import TypeAdapter
from pydantic_core import SchemaValidator, core_schema

from .elements import (  # the tag function identifies ElemValue unions in a schema
    BaseElement,
    OtherElement,
    _elem_value_tag,  # pyright: ignore[reportPrivateUsage]
)

__all__ = ["envelope_validator"]

_WIRE = ":wire"
_BUILD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=64)
def envelope_validator(model: type[Any], many: bool) -> SchemaValidator | None:
    """The fast validator of an envelope ``{"head": ..., "body": ...}`` (JSON bytes in).

    Args:
        model: The model of the body's items.
        many: The body is a list of ``model`` (else one ``model``).

    Returns:
        A validator giving ``{"head": <JSON>, "body": <models>}`` (other
        members dropped), or ``None`` when ``model`` holds no element values
        (or the installed pydantic generates schemas this module does not know).
    """
    with _BUILD_LOCK:
        try:
            return _build(list[model] if many else model)  # type: ignore[valid-type]
        except Exception:  # pragma: no cover - a pydantic whose schemas look different
            return None


def _build(tp: Any) -> SchemaValidator | None:
    schema: dict[str, Any] = copy.deepcopy(dict(TypeAdapter(tp).core_schema))
    if schema.get("type") != "definitions" or not _rewrite(schema):
        return None
    schema["schema"] = core_schema.typed_dict_schema(
        {
            "head": core_schema.typed_dict_field(core_schema.any_schema()),
            "body": core_schema.typed_dict_field(schema["schema"]),
        }
    )
    # pydantic-core reuses the validator a complete model class already has
    # for any `model` schema of that class, which would bring back the slow
    # `elems` schema: mark the classes incomplete while building.
    classes = {m["cls"] for m in _models(schema)}
    marked = [c for c in classes if c.__dict__.get("__pydantic_complete__") is True]
    try:
        for cls in marked:
            type.__setattr__(cls, "__pydantic_complete__", False)
        return SchemaValidator(cast(core_schema.CoreSchema, schema))
    finally:
        for cls in marked:
            type.__setattr__(cls, "__pydantic_complete__", True)


def _models(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "model" and isinstance(node.get("cls"), type):
            found.append(node)
        for value in node.values():
            found += _models(value)
    elif isinstance(node, list):
        for value in node:
            found += _models(value)
    return found


def _rewrite(schema: dict[str, Any]) -> bool:
    """Rewrite a ``definitions`` schema in place; False when it holds no ``ElemValue``."""
    definitions: list[dict[str, Any]] = schema["definitions"]
    elements = {
        d["ref"]: d
        for d in definitions
        if d.get("type") == "model" and _is_element(d.get("cls")) and "ref" in d
    }
    wire_defs = []
    for ref, definition in elements.items():
        wire = copy.copy(definition)
        wire["ref"] = ref + _WIRE
        wire.pop("post_init", None)
        if definition["cls"] is OtherElement:
            wire["schema"] = _value_required(definition["schema"])
        wire_defs.append(wire)
    if not _replace_unions(schema, set(elements)):
        return False
    definitions.extend(wire_defs)
    return True


def _is_element(cls: object) -> bool:
    return isinstance(cls, type) and issubclass(cls, BaseElement)


def _value_required(fields_schema: dict[str, Any]) -> dict[str, Any]:
    fields_schema = copy.copy(fields_schema)
    fields = dict(fields_schema["fields"])
    value = dict(fields["value"])
    inner = value["schema"]
    if inner.get("type") == "default":
        value["schema"] = inner["schema"]
    fields["value"] = value
    fields_schema["fields"] = fields
    return fields_schema


def _fast_union(union: dict[str, Any], element_refs: set[str]) -> dict[str, Any] | None:
    """The pure-core replacement of one ``ElemValue`` tagged union."""
    element = union["choices"].get("element")
    while isinstance(element, dict) and element.get("type") == "function-wrap":
        element = element["schema"]
    if not isinstance(element, dict) or element.get("type") != "tagged-union":
        return None
    known: dict[str, Any] = {}
    other_ref = None
    for tag, choice in element["choices"].items():
        ref = choice.get("schema_ref") if isinstance(choice, dict) else None
        if ref not in element_refs:
            return None
        if tag == "__other__":
            other_ref = ref
        else:
            known[tag] = core_schema.definition_reference_schema(ref + _WIRE)
    if other_ref is None:
        return None
    fast = core_schema.union_schema(
        [
            # ``Any``: pydantic-core's annotation of ``choices`` changed across the
            # supported releases (dict[Hashable, CoreSchema] vs Mapping values)
            core_schema.tagged_union_schema(cast(Any, known), discriminator="type"),
            core_schema.definition_reference_schema(other_ref + _WIRE),
            core_schema.any_schema(),
        ],
        mode="left_to_right",
    )
    return cast(dict[str, Any], fast)


def _replace_unions(node: Any, element_refs: set[str]) -> bool:
    """Replace, in place, every ``ElemValue`` union below ``node``; True if any was."""
    if isinstance(node, dict):
        slots: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        slots = list(enumerate(node))
    else:
        return False
    found = False
    for slot, value in slots:
        if (
            isinstance(value, dict)
            and value.get("type") == "tagged-union"
            and value.get("discriminator") is _elem_value_tag
        ):
            fast = _fast_union(value, element_refs)
            if fast is not None:
                node[slot] = fast
                found = True
                continue
        found = _replace_unions(value, element_refs) or found
    return found
