"""``M`` (model modifications with a diff) and ``P`` (query parameter builder).

Both behave as in flowthings 1.0.5.

Examples:
    >>> new, diff = M({"id": "f1", "path": "/a"}, displayName="A").done()
    >>> new, diff
    ({'id': 'f1', 'path': '/a', 'displayName': 'A'}, {'displayName': 'A'})
    >>> P(limit=10).refs(True).only("id", "path").to_dict()
    {'limit': 10, 'refs': 1, 'only': 'id,path'}

Beyond 1.0.5, ``M`` also wraps pydantic models (returning a model of the same
class), exposes `Modify.model_id`, and never shares state between
successive `Modify.done` results; ``P.filter`` accepts raw strings inside
a list, and ``P.to_dict`` returns a new dict on every call.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import BaseModel
from typing_extensions import TypeVar as DefaultTypeVar
from typing_extensions import Unpack, overload  # registers overloads on 3.10 too (get_overloads)

from flowthings.filters._nodes import Filter, FilterLike, as_filter, compile_filter

if TYPE_CHECKING:
    from .models import (
        ApiTask,
        Device,
        Drop,
        Flow,
        Group,
        Identity,
        MqttTask,
        RssTask,
        Share,
        Token,
        Track,
    )
    from .models._changes import (
        ApiTaskChanges,
        DeviceChanges,
        DropChanges,
        FlowChanges,
        GroupChanges,
        IdentityChanges,
        MqttTaskChanges,
        RssTaskChanges,
        ShareChanges,
        TokenChanges,
        TrackChanges,
    )

__all__ = ["M", "Modify", "P", "Params"]

ModelT = DefaultTypeVar("ModelT", bound="dict[str, Any] | BaseModel", default=Any)
"""The wrapped model's type; a bare ``Modify`` means ``Modify[Any]``."""

_P = TypeVar("_P", bound="Params")
_BM = TypeVar("_BM", bound=BaseModel)


def _wire_to_field(model_cls: type[BaseModel], key: str) -> str:
    """Attribute name for a wire (alias) name; our models use identical names."""
    fields = model_cls.model_fields
    if key in fields:
        return key
    for name, info in fields.items():
        if info.alias == key:
            return name
    if model_cls.model_config.get("extra") != "allow":
        raise ValueError(f"{model_cls.__name__} has no field {key!r}")
    return key


def _check_declared(model: BaseModel, key: str) -> None:
    """Refuse a change to a member the model neither declares nor already holds.

    ``M(model, displayNme="x")`` is a typo, not a new member: it would be
    stored on the platform as such. ``modify(key, val)`` stays the explicit
    way to set an undeclared member.
    """
    fields = type(model).model_fields
    if key in fields or any(info.alias == key for info in fields.values()):
        return
    if key in (model.model_extra or {}):
        return
    raise ValueError(
        f"{type(model).__name__} has no field {key!r} (use M(...).modify({key!r}, value) "
        f"to set a member the model does not declare)"
    )


class Modify(Generic[ModelT]):
    """Incremental changes to a model, kept apart from the model itself.

    ``done()`` gives the model with the changes applied and the diff (only the
    changed keys).  Pass an ``M`` to a service's ``update()`` / ``save()`` and
    only the diff is sent.  The model given is never mutated: it is copied
    when wrapped.

    Args:
        model: A dict, a pydantic model, or ``None`` (an empty dict).  Another
            mapping is copied into a dict.
        **changes: Initial changes, by wire (camelCase) name.

    Raises:
        TypeError: If ``model`` is not a dict, a mapping or a pydantic model.

    Examples:
        >>> flow = {"id": "f1", "path": "/a"}
        >>> M(flow, displayName="Foo").modify("capacity", 10).done()
        ({'id': 'f1', 'path': '/a', 'displayName': 'Foo', 'capacity': 10}, {'displayName': 'Foo', 'capacity': 10})
    """

    __slots__ = ("_base", "_changes")

    # One overload per model, so the changes are checked against its fields
    # (`tests/typing/test_changes.py` keeps the list in step with the models).
    # Another pydantic model takes no keyword changes: use `modify(key, val)`.
    @overload
    def __init__(self: Modify[Flow], model: Flow, **changes: Unpack[FlowChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Drop], model: Drop, **changes: Unpack[DropChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Track], model: Track, **changes: Unpack[TrackChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Group], model: Group, **changes: Unpack[GroupChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Identity], model: Identity, **changes: Unpack[IdentityChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Token], model: Token, **changes: Unpack[TokenChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Share], model: Share, **changes: Unpack[ShareChanges]) -> None: ...
    @overload
    def __init__(self: Modify[Device], model: Device, **changes: Unpack[DeviceChanges]) -> None: ...
    @overload
    def __init__(self: Modify[ApiTask], model: ApiTask, **changes: Unpack[ApiTaskChanges]) -> None: ...
    @overload
    def __init__(self: Modify[MqttTask], model: MqttTask, **changes: Unpack[MqttTaskChanges]) -> None: ...
    @overload
    def __init__(self: Modify[RssTask], model: RssTask, **changes: Unpack[RssTaskChanges]) -> None: ...
    @overload
    def __init__(self: Modify[_BM], model: _BM) -> None: ...
    @overload
    def __init__(
        self: Modify[dict[str, Any]], model: Mapping[str, Any] | None = None, **changes: Any
    ) -> None: ...
    def __init__(self, model: Any = None, **changes: Any) -> None:
        base: Any
        if model is None:
            base = {}
        elif isinstance(model, BaseModel):
            base = model.model_copy(deep=True)
        elif isinstance(model, dict):
            # deepcopy keeps dict subclasses and detaches nested values
            base = copy.deepcopy(cast("dict[str, Any]", model))
        elif isinstance(model, Mapping):
            base = copy.deepcopy(dict(cast("Mapping[str, Any]", model)))
        else:
            raise TypeError(f"M() wraps a dict or a pydantic model, not {type(model).__name__}")
        self._base: ModelT = base
        self._changes: dict[str, Any] = {}
        for key, val in changes.items():
            if isinstance(base, BaseModel):
                _check_declared(base, key)
            self.modify(key, val)

    def modify(self, key: str, val: Any) -> Modify[ModelT]:
        """Set ``key`` (a wire name) to ``val``.

        Args:
            key: The member's wire (camelCase) name, e.g. ``"displayName"``.
            val: The new value.

        Returns:
            This ``Modify``, so calls can be chained.

        Raises:
            TypeError: If ``key`` is not a string.
            ValueError: If the wrapped model's class has no such field and
                does not allow extra fields.
        """
        if not isinstance(key, str):
            raise TypeError(f"M.modify() key must be a str, not {type(key).__name__}")
        if isinstance(self._base, BaseModel):
            _wire_to_field(type(self._base), key)
        self._changes[key] = val
        return self

    def done(self) -> tuple[ModelT, dict[str, Any]]:
        """The new model and the diff.

        Returns:
            ``(new_model, diff)``: a new model of the wrapped kind with the
            changes applied, and a new dict of the changes (wire names).
        """
        base: Any = self._base
        if isinstance(base, BaseModel):
            update = {_wire_to_field(type(base), k): v for k, v in self._changes.items()}
            new: Any = base.model_copy(update=update, deep=True)
        else:
            new = copy.deepcopy(base)
            new.update(self._changes)
        return new, dict(self._changes)

    @property
    def model_id(self) -> str:
        """The ``id`` of the wrapped model (or of the changes, if it had none).

        Raises:
            ValueError: If there is no id.
            TypeError: If the id is not a string.
        """
        base: Any = self._base
        ident: object = (
            cast("dict[str, Any]", base).get("id") if isinstance(base, dict) else getattr(base, "id", None)
        )
        if ident is None:
            ident = self._changes.get("id")
        if ident is None:
            raise ValueError(
                "M.model_id: the wrapped model has no 'id' (read the model from the "
                "platform first, or create it instead of updating it)"
            )
        if not isinstance(ident, str):
            raise TypeError(f"M.model_id: the model's id must be a str, not {type(ident).__name__}")
        return ident

    def __repr__(self) -> str:
        return f"M({self._base!r}, changes={self._changes!r})"


M = Modify
"""Short name of `Modify` (as in 1.0.5)."""


def _compile_filters(items: Sequence[FilterLike]) -> str:
    if not items:
        raise ValueError("P.filter() needs at least one filter")
    for item in items:
        if not isinstance(item, (Filter, str)):
            raise TypeError(
                f"P.filter() takes filters (mem.x == 1) or filter strings, "
                f"not {type(item).__name__}"
            )
    if len(items) == 1:
        return compile_filter(items[0])
    # Left-nested AND, exactly as 1.0.5's reduce(): ((a) && (b)) && (c)
    return compile_filter(reduce(lambda a, b: a.AND(b), items[1:], as_filter(items[0])))


class Params:
    """Query parameters, with keyword arguments or chainable setters.

    ``refs`` becomes ``1`` / ``0``, ``only`` is comma-joined, ``filter`` is
    compiled (several filters are AND-ed left to right); any other name is
    kept as given.  Services accept a ``P`` wherever they accept a dict.

    Args:
        **params: Parameters, set as with the setter of the same name.

    Examples:
        >>> P(limit=10).refs(True).start(20).to_dict()
        {'limit': 10, 'refs': 1, 'start': 20}
    """

    __slots__ = ("_params",)

    def __init__(self, **params: Any) -> None:
        self._params: dict[str, Any] = {}
        for name, value in params.items():
            if name == "refs":
                self.refs(value)
            elif name == "only":
                self.only(value)
            elif name == "filter":
                self.filter(value)
            else:
                self._params[name] = value

    def refs(self: _P, toggle: bool) -> _P:
        """Ask for referenced objects (``refs=1``) or not (``refs=0``).

        Args:
            toggle: Whether to include references.
        """
        self._params["refs"] = 1 if toggle else 0
        return self

    def only(self: _P, *fields: str | Sequence[str]) -> _P:
        """Return only these members (``only=id,path``).

        Args:
            *fields: Member names, or lists of them.

        Raises:
            TypeError: If a name is not a string.
        """
        names: list[str] = []
        for item in fields:
            group = [item] if isinstance(item, str) else item
            if not isinstance(group, (list, tuple)):
                raise TypeError(
                    f"P.only() takes names or lists of names, not {type(item).__name__}"
                )
            for name in group:
                if not isinstance(name, str):
                    raise TypeError(f"P.only() names must be str, not {type(name).__name__}")
                names.append(name)
        self._params["only"] = ",".join(names)
        return self

    def filter(self: _P, f: FilterLike | Sequence[FilterLike], *more: FilterLike) -> _P:
        """Set the filter; several filters are AND-ed left to right.

        Args:
            f: A filter, a raw filter string, or a list/tuple of them.
            *more: More filters to AND with ``f``.

        Raises:
            TypeError: If an item is not a filter or a string.
            ValueError: If the list is empty.
        """
        items: list[FilterLike] = list(f) if isinstance(f, (list, tuple)) else [f]  # type: ignore[list-item]
        items.extend(more)
        self._params["filter"] = _compile_filters(items)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a new dict (changing it does not change this ``P``)."""
        return dict(self._params)

    def __getattr__(self, name: str) -> Callable[[Any], Params]:
        if name.startswith("_"):
            # private/dunder probes (copy, pickle, IPython) are not parameters
            raise AttributeError(name)

        def setter(value: Any) -> Params:
            self._params[name] = value
            return self

        return setter

    def __copy__(self: _P) -> _P:
        # the default shallow copy would share the dict, so setters on the
        # copy would change the original
        clone = type(self).__new__(type(self))
        clone._params = dict(self._params)
        return clone

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Params):
            return self._params == other._params
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"P({inner})"


P = Params
"""Short name of `Params` (as in 1.0.5)."""
