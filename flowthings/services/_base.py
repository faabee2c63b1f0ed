"""Service base classes: the documented service methods, implemented once.

Every keyword argument of a service method is a query parameter, built with
`P` exactly as 1.0.5 did (`refs=True` -> `refs=1`, `only=[...]` comma-joined,
filters compiled). With `refs=True` a call returns `(body, head.references)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar, overload

from .._context import ServiceContext, id_segment, require_id
from .._errors import FlowThingsError, FlowThingsNotFound
from .._filters import Filter
from .._modify import Modify, P, Params
from ._paging import FindIterMixin

if TYPE_CHECKING:
    from pydantic import BaseModel

    ModelInput = Mapping[str, Any] | BaseModel | Modify[Any]

__all__ = [
    "CrudService",
    "ImmutableService",
    "JSONObject",
    "ReadableService",
    "References",
    "Service",
    "find_params",
]

JSONObject = dict[str, Any]
"""A resource as returned by the platform: a plain JSON object."""
References = dict[str, Any]
"""`head.references` of a `refs=True` answer: id -> referenced object."""

_D = TypeVar("_D")


def _params(params: Mapping[str, Any] | Params | None) -> dict[str, Any] | None:
    if params is None:
        return None
    if isinstance(params, Params):
        return params.to_dict()
    return dict(params)


def find_params(filters: tuple[Filter | str, ...], params: dict[str, Any]) -> Params:
    """The query of a find: positional filters AND-ed, or a `filter=` keyword.

    Raises:
        TypeError: When filters are given both ways.
    """
    if not filters:
        return P(**params)
    if "filter" in params:
        raise TypeError("pass filters either positionally or as filter=, not both")
    return P(filter=filters, **params)


class Service:
    """A bare service: `request()` under its path, on the API's shared context."""

    def __init__(self, context: ServiceContext, path: str) -> None:
        self._context = context
        self._path = path

    @property
    def path(self) -> str:
        """The service path under `/v{version}/{account}`, e.g. `/flow`."""
        return self._path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path or '/'}>"

    def wants_refs(self, params: Mapping[str, Any] | None = None) -> bool:
        """Whether a call with ``params`` answers ``(body, references)``.

        ``refs`` counts per call and in the ``API``'s (or the defaults')
        params, exactly as `request` merges them.
        """
        return bool(self._context.merged_params(params).get("refs"))

    def request(
        self,
        method: str,
        path: str = "",
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> Any:
        """Makes an arbitrary request under this service's path.

        Args:
            method: HTTP method (`GET`, `POST`, `MGET`, ...).
            path: Path below the service path, starting with `/` (or empty).
            data: JSON body (dicts, lists, pydantic models).
            params: Query parameters (a dict or `P(...)`).

        Returns:
            The envelope's `body`, or `(body, references)` when `refs` is set.
        """
        if not isinstance(method, str) or not method:
            raise TypeError("method must be a non-empty str")
        if not isinstance(path, str):
            raise TypeError("path must be a str")
        if path and not path.startswith("/"):
            path = "/" + path
        return self._context.request(
            method.upper(), self._url(path), self._path + path, data, _params(params)
        )

    def _url(self, path: str) -> str:
        return self._context.rest_url(self._path + path)


class ReadableService(FindIterMixin, Service):
    """`read`, `read_or_else`, `read_many`, `find_many` and the overloaded `find`."""

    @overload
    def read(self, id: str, *, refs: Literal[True], **params: Any) -> tuple[JSONObject, References]: ...
    @overload
    def read(self, id: str, *, refs: Literal[False] = ..., **params: Any) -> JSONObject: ...
    @overload
    def read(self, id: str, *, refs: bool, **params: Any) -> JSONObject | tuple[JSONObject, References]: ...
    def read(self, id: str, **params: Any) -> Any:
        """Reads one resource by id.

        Examples:
            >>> api.flow.read('<flow_id>')
        """
        return self.request("GET", id_segment(id), params=P(**params))

    @overload
    def read_or_else(self, id: str, default: _D, *, refs: Literal[True], **params: Any) -> tuple[JSONObject, References] | _D: ...
    @overload
    def read_or_else(self, id: str, default: _D = ..., *, refs: Literal[False] = ..., **params: Any) -> JSONObject | _D: ...
    def read_or_else(self, id: str, default: Any = None, **params: Any) -> Any:
        """Like `read`, but returns `default` when (and only when) the platform says 404.

        Examples:
            >>> api.flow.read_or_else('<flow_id>', None)
        """
        try:
            return self.read(id, **params)
        except FlowThingsNotFound:
            return default

    @overload
    def read_many(self, ids: list[str], *, refs: Literal[True], **params: Any) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def read_many(self, ids: list[str], *, refs: Literal[False] = ..., **params: Any) -> dict[str, JSONObject]: ...
    def read_many(self, ids: list[str], **params: Any) -> Any:
        """Reads several resources in one `MGET`; returns a map of id -> resource.

        Examples:
            >>> api.flow.read_many(['<flow_id_1>', '<flow_id_2>'])
        """
        candidate: object = ids
        if not isinstance(candidate, list | tuple):
            raise TypeError("read_many() takes a list of ids")
        for one in ids:
            id_segment(one)
        return self.request("MGET", data=list(ids), params=P(**params))

    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[True], **params: Any) -> tuple[list[JSONObject], References]: ...
    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[False] = ..., **params: Any) -> list[JSONObject]: ...
    def find_many(self, *filters: Filter | str, **params: Any) -> Any:
        """Finds resources; several filters are AND-ed.

        Examples:
            >>> api.flow.find_many(mem.displayName == 'Foo', limit=10)
        """
        return self.request("GET", params=find_params(filters, params))

    @overload
    def find(self, id: str, *, refs: Literal[True], **params: Any) -> tuple[JSONObject, References]: ...
    @overload
    def find(self, id: str, *, refs: Literal[False] = ..., **params: Any) -> JSONObject: ...
    @overload
    def find(self, ids: list[str], *, refs: Literal[True], **params: Any) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def find(self, ids: list[str], *, refs: Literal[False] = ..., **params: Any) -> dict[str, JSONObject]: ...
    @overload
    def find(self, *filters: Filter, refs: Literal[True], **params: Any) -> tuple[list[JSONObject], References]: ...
    @overload
    def find(self, *filters: Filter, refs: Literal[False] = ..., **params: Any) -> list[JSONObject]: ...
    def find(self, *args: Any, **params: Any) -> Any:
        """Reads by id (str), reads many (list) or finds by filters (anything else).

        Examples:
            >>> api.flow.find('<flow_id>')
            >>> api.flow.find(['<flow_id_1>', '<flow_id_2>'])
            >>> api.flow.find(mem.displayName == 'Foo')
        """
        first = args[0] if args else None
        if isinstance(first, (str, list)):
            if len(args) > 1:
                raise TypeError("find() by id takes no further positional arguments")
            if isinstance(first, str):
                return self.read(first, **params)
            return self.read_many(first, **params)
        return self.find_many(*args, **params)


class _Deletable(Service):
    def delete(self, id: str, data: Any = None, **params: Any) -> Any:
        """Deletes a resource by id (with an optional request body).

        Examples:
            >>> api.flow.delete('<flow_id>')
        """
        return self.request("DELETE", id_segment(id), data=data, params=P(**params))


class _Creatable(Service):
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[True], **params: Any) -> tuple[JSONObject, References]: ...
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[False] = ..., **params: Any) -> JSONObject: ...
    def create(self, model: Mapping[str, Any] | BaseModel, **params: Any) -> Any:
        """Creates a resource (`POST`); a dict or a model.

        Examples:
            >>> api.flow.create({'path': '/path/to/flow'})
        """
        _check_model(model, "create")
        return self.request("POST", data=model, params=P(**params))


def _check_model(model: object, call: str) -> None:
    from pydantic import BaseModel

    if not isinstance(model, Mapping | BaseModel):
        raise TypeError(f"{call}() takes a dict or a model, not {type(model).__name__}")


def _changes(model: ModelInput) -> tuple[str, Any]:
    """(id, what to send) for one update: only the diff of an `M`."""
    if isinstance(model, Modify):
        new_model, diff = model.done()
        return require_id(new_model), diff
    _check_model(model, "update")
    return require_id(model), model


class ImmutableService(ReadableService, _Creatable, _Deletable):
    """Tokens and shares: create, read, find and delete; never update."""

    def update(self, *args: object, **kwargs: object) -> NoReturn:
        """Always raises: tokens and shares are immutable."""
        raise FlowThingsError(f"{self._path.strip('/')} objects are immutable and cannot be updated")

    update_many = update
    save = update


class CrudService(ReadableService, _Creatable, _Deletable):
    """The full set: find, create, update, update_many, save, delete."""

    @overload
    def update(self, model: ModelInput, *, refs: Literal[True], **params: Any) -> tuple[JSONObject, References]: ...
    @overload
    def update(self, model: ModelInput, *, refs: Literal[False] = ..., **params: Any) -> JSONObject: ...
    def update(self, model: ModelInput, **params: Any) -> Any:
        """Updates a resource by its `id` (`PUT`); given an `M`, only the diff is sent.

        Examples:
            >>> api.flow.update({'id': '<flow_id>', 'displayName': 'Foo'})
            >>> api.flow.update(M(model, displayName='Foo'))
        """
        model_id, changes = _changes(model)
        return self.request("PUT", id_segment(model_id), data=changes, params=P(**params))

    @overload
    def update_many(self, models: list[ModelInput], *, refs: Literal[True], **params: Any) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def update_many(self, models: list[ModelInput], *, refs: Literal[False] = ..., **params: Any) -> dict[str, JSONObject]: ...
    def update_many(self, models: list[ModelInput], **params: Any) -> Any:
        """Updates several resources in one `MPUT` (`{id: changes}`)."""
        if not isinstance(models, list | tuple):
            raise TypeError("update_many() takes a list of models")
        data: dict[str, Any] = {}
        for model in models:
            model_id, changes = _changes(model)
            id_segment(model_id)
            data[model_id] = changes
        return self.request("MPUT", data=data, params=P(**params))

    @overload
    def save(self, model: list[ModelInput], **params: Any) -> dict[str, JSONObject]: ...
    @overload
    def save(self, model: ModelInput, **params: Any) -> JSONObject: ...
    def save(self, model: Any, **params: Any) -> Any:
        """`update_many` for a list, `update` for an `M` or a model with an `id`, else `create`."""
        if isinstance(model, list):
            return self.update_many(model, **params)
        if isinstance(model, Modify) or _has_id(model):
            return self.update(model, **params)
        return self.create(model, **params)


def _has_id(model: object) -> bool:
    if isinstance(model, Mapping):
        return "id" in model
    return getattr(model, "id", None) is not None
