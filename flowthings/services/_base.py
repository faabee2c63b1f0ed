"""Service base classes: the documented service methods, implemented once.

Every keyword argument of a service method is a query parameter, built with
`P` exactly as 1.0.5 did (`refs=True` -> `refs=1`, `only=[...]` comma-joined,
filters compiled). With `refs=True` a call returns `(body, head.references)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar, cast, overload

from typing_extensions import Unpack, deprecated

from .._context import ServiceContext, id_segment, require_id
from .._errors import FlowThingsError
from .._modify import Modify, Params
from ..filters import Filter
from ..http._spec import RequestSpec
from ._paging import DEFAULT_PAGE_SIZE, Paged, Pager, PageRequest, aiterate, iterate
from ._params import FindParams, IterParams, JSONObject, ReadParams, References, query
from ._results import or_else

if TYPE_CHECKING:
    from pydantic import BaseModel

    ModelInput = Mapping[str, Any] | BaseModel | Modify[Any]
    """What an update takes: a dict, a model, or an `M` of either."""

__all__ = [
    "CrudService",
    "ImmutableService",
    "JSONObject",
    "ReadableService",
    "FindParams",
    "ReadParams",
    "References",
    "Service",
    "find_params",
]


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
        return query(params)
    if "filter" in params:
        raise TypeError("pass filters either positionally or as filter=, not both")
    return query({"filter": filters, **params})


class Service:
    """A bare service: `request()` under its path, on the API's shared context."""

    def __init__(self, context: ServiceContext, path: str) -> None:
        self._context = context
        self._path = path

    @property
    def path(self) -> str:
        """The service path under `/v{version}/{account}`, e.g. `/flow`."""
        return self._path

    @property
    def asynchronous(self) -> bool:
        """Whether calls return awaitables (a service of `flowthings.asyncio.API`)."""
        return self._context.asynchronous

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path or '/'}>"

    def wants_refs(self, params: Mapping[str, Any] | None = None) -> bool:
        """Whether a call with ``params`` answers ``(body, references)``.

        ``refs`` counts per call and in the ``API``'s (or the defaults')
        params, exactly as `request` merges them.
        """
        call = query(params).to_dict() if params is not None else None
        return bool(self._context.merged_params(call).get("refs"))

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
        return self._context.execute(self.spec(method, path, data, params))

    def spec(
        self,
        method: str,
        path: str = "",
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> RequestSpec:
        """The description of a `request` (nothing is sent): what every call builds.

        The typed views add a decoder to it (`RequestSpec.decoded_by`); an
        executor sends it (`ServiceContext.execute`).
        """
        if not isinstance(method, str) or not method:
            raise TypeError("method must be a non-empty str")
        if not isinstance(path, str):
            raise TypeError("path must be a str")
        if path and not path.startswith("/"):
            path = "/" + path
        full = self._path + path
        return RequestSpec(method.upper(), self._url(path), full, _params(params), data)

    def execute(self, spec: RequestSpec) -> Any:
        """Sends ``spec`` on this service's API: `body`, or `(body, references)` with `refs`."""
        return self._context.execute(spec)

    def _url(self, path: str) -> str:
        return self._context.rest_url(self._path + path)


# What each reading call sends, described once: the sync methods execute these
# specs, and the typed views execute them with a decoder added.


def read_spec(service: Service, id: str, params: Mapping[str, Any]) -> RequestSpec:
    """``read``: ``GET {path}/{id}``."""
    return service.spec("GET", id_segment(id), params=query(params))


def read_many_spec(service: Service, ids: object, params: Mapping[str, Any]) -> RequestSpec:
    """``read_many``: ``MGET {path}`` with the ids as the body.

    Raises:
        TypeError: When ``ids`` is not a list or tuple (a lone str is a
            sequence of str, and a common mistake).
    """
    if not isinstance(ids, Sequence) or isinstance(ids, str | bytes):
        raise TypeError("read_many() takes a list of ids")
    id_list = list(cast("Sequence[object]", ids))
    for one in id_list:
        id_segment(one)
    return service.spec("MGET", data=id_list, params=query(params))


def find_many_spec(
    service: Service, filters: tuple[Filter | str, ...], params: dict[str, Any]
) -> RequestSpec:
    """``find_many``: ``GET {path}`` with the filters AND-ed."""
    return service.spec("GET", params=find_params(filters, params))


FindKind = Literal["one", "by_id", "list"]


def find_spec(
    service: Service, args: tuple[Any, ...], params: dict[str, Any]
) -> tuple[FindKind, RequestSpec]:
    """``find``: a read by id (str), by ids (list or tuple), or a find by filters."""
    first: object = args[0] if args else None
    if isinstance(first, str | list | tuple):
        if len(args) > 1:
            raise TypeError("find() by id takes no further positional arguments")
        if isinstance(first, str):
            _refuse_filter_as_id(first)
            return "one", read_spec(service, first, params)
        return "by_id", read_many_spec(service, cast("Sequence[object]", first), params)
    return "list", find_many_spec(service, args, params)


def _refuse_filter_as_id(value: str) -> None:
    """A str given to ``find`` is an id (1.0.5): refuse, before any request, one that
    is a filter or a path (a platform id holds neither whitespace nor a leading ``/``)."""
    if value.startswith("/"):
        raise ValueError(
            f"find() with a str reads the object with that id; {value!r} is a path: "
            f"find it with a filter, e.g. find(mem.path == {value!r}) or "
            f"find(filter='path == \"{value}\"')"
        )
    if any(c.isspace() for c in value):
        raise ValueError(
            f"find() with a str reads the object with that id; {value!r} looks like a "
            f"filter: pass it as find(filter={value!r}) or build it with mem"
        )


def by_path_spec(
    service: Service, filters: tuple[Filter | str, ...], path: object, params: dict[str, Any]
) -> RequestSpec:
    """``api.drop.find(path=...)``: ``GET /drop?path=...`` with the filters AND-ed."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("path must be a flow path such as '/alice/sensors'")
    wire = find_params(filters, params).to_dict()
    return service.spec("GET", params={**wire, "path": path})


class ReadableService(Service):
    """`read`, `read_or_else`, `read_many`, `find_many` and the overloaded `find`.

    Keyword arguments are the documented query parameters (`ReadParams`,
    `FindParams`) plus `refs`; undocumented ones go in `extra_params={...}`.
    """

    @overload
    def read(self, id: str, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def read(self, id: str, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def read(self, id: str, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    def read(self, id: str, **params: Any) -> Any:
        """Reads one resource by id.

        Examples:
            >>> api.flow.read('<flow_id>')
        """
        return self.execute(read_spec(self, id, params))

    @overload
    def read_or_else(self, id: str, default: _D, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References] | _D: ...
    @overload
    def read_or_else(self, id: str, default: _D, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject | _D: ...
    @overload
    def read_or_else(self, id: str, default: _D, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References] | _D: ...
    @overload
    def read_or_else(self, id: str, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References] | None: ...
    @overload
    def read_or_else(self, id: str, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject | None: ...
    @overload
    def read_or_else(self, id: str, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References] | None: ...
    def read_or_else(self, id: str, default: Any = None, **params: Any) -> Any:
        """Like `read`, but returns `default` when (and only when) the platform says 404.

        Examples:
            >>> api.flow.read_or_else('<flow_id>', None)
        """
        return or_else(lambda: cast(Any, self.read(id, **params)), default)

    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, JSONObject]: ...
    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, JSONObject] | tuple[dict[str, JSONObject], References]: ...
    def read_many(self, ids: list[str] | tuple[str, ...], **params: Any) -> Any:
        """Reads several resources in one `MGET`; returns a map of id -> resource.

        Args:
            ids: The ids: a list or a tuple (not any sequence: a lone str is
                a sequence of str, and a common mistake).

        Examples:
            >>> api.flow.read_many(['<flow_id_1>', '<flow_id_2>'])
        """
        return self.execute(read_many_spec(self, ids, params))

    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[JSONObject], References]: ...
    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[JSONObject]: ...
    @overload
    def find_many(self, *filters: Filter | str, refs: bool, **params: Unpack[FindParams]) -> list[JSONObject] | tuple[list[JSONObject], References]: ...
    def find_many(self, *filters: Filter | str, **params: Any) -> Any:
        """Finds resources; several filters are AND-ed.

        Examples:
            >>> api.flow.find_many(mem.displayName == 'Foo', limit=10)
        """
        return self.execute(find_many_spec(self, filters, params))

    # The first argument is positional-only: `find(id="f1")` would otherwise
    # type as a read but run as a find with an `id` query parameter.
    @overload
    def find(self, id: str, /, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def find(self, id: str, /, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def find(self, id: str, /, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, JSONObject]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, JSONObject] | tuple[dict[str, JSONObject], References]: ...
    @overload
    def find(self, /, *filters: Filter, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[JSONObject], References]: ...
    @overload
    def find(self, /, *filters: Filter, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[JSONObject]: ...
    @overload
    def find(self, /, *filters: Filter, refs: bool, **params: Unpack[FindParams]) -> list[JSONObject] | tuple[list[JSONObject], References]: ...
    def find(self, /, *args: Any, **params: Any) -> Any:
        """Reads by id (str), reads many (list or tuple) or finds by filters (anything else).

        Raises:
            ValueError: A str that is a filter or a path rather than an id
                (before any request; the message names the call to use).

        Examples:
            >>> api.flow.find('<flow_id>')
            >>> api.flow.find(['<flow_id_1>', '<flow_id_2>'])
            >>> api.flow.find(mem.displayName == 'Foo')
        """
        return self.execute(find_spec(self, args, params)[1])

    def find_iter(
        self,
        *filters: Filter | str,
        page_size: int = DEFAULT_PAGE_SIZE,
        **params: Unpack[IterParams],
    ) -> Iterator[JSONObject]:
        """Streams every match, one page in memory at a time, consistent under writes.

        Pages with a cursor on the sort member and the id (see
        `flowthings.services._paging` and docs/large-data.md): every object
        that matches and exists for the whole iteration is yielded exactly
        once, in the requested order, even while others write.

        Args:
            *filters: Filters, AND-ed (or ``filter=``).
            page_size: Objects per request (1 to 1000).
            **params: Query parameters (`IterParams`): ``sort`` (default
                ``creationDate``), ``order`` (default ``desc``), ``only`` (the
                sort member and ``id`` are always fetched too), ``limit`` (the
                most objects to yield in all), ``extra_params``.
                ``start``/``skip`` and ``refs`` are refused (``TypeError``).

        Examples:
            >>> for drop in api.drop(flow_id).find_iter(mem.elems.temp > 20, order='asc'):
            ...     print(drop['id'])
        """
        paged = self._paged(filters, page_size, params)  # argument errors now, not at next()
        if self.asynchronous:  # the asyncio client: `async for` over the same pager
            return cast("Iterator[JSONObject]", aiterate(paged.find, paged.pager))
        return iterate(paged.find, paged.pager)

    def _paged(
        self, filters: tuple[Filter | str, ...], page_size: int, params: Mapping[str, Any]
    ) -> Paged[JSONObject]:
        """The iteration `find_iter` runs, for any executor (the green door's too)."""
        return Paged(self._find_page, Pager(filters, dict(params), page_size), _same)

    def _find_page(
        self, request: PageRequest
    ) -> list[JSONObject] | tuple[list[JSONObject], References]:
        # The pager built these params (refs refused), so the answer is the page,
        # or (page, references) when refs is set in the API's own params: no
        # overload can tell which from a dict of params.
        return cast(
            "list[JSONObject] | tuple[list[JSONObject], References]",
            self.find_many(*request.filters, **request.params),
        )

def _same(item: JSONObject) -> JSONObject:
    return item


class _Deletable(Service):
    def delete(self, id: str, data: Any = None, **params: Unpack[ReadParams]) -> Any:
        """Deletes a resource by id (with an optional request body).

        Examples:
            >>> api.flow.delete('<flow_id>')
        """
        return self.request("DELETE", id_segment(id), data=data, params=query(params))


class _Creatable(Service):
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    def create(self, model: Mapping[str, Any] | BaseModel, **params: Any) -> Any:
        """Creates a resource (`POST`); a dict or a model.

        Examples:
            >>> api.flow.create({'path': '/path/to/flow'})
        """
        check_model(model, "create")
        return self.request("POST", data=model, params=query(params))


def check_model(model: object, call: str) -> None:
    from pydantic import BaseModel

    if not isinstance(model, Mapping | BaseModel):
        raise TypeError(f"{call}() takes a dict or a model, not {type(model).__name__}")


def _changes(model: ModelInput) -> tuple[str, Any]:
    """(id, what to send) for one update: only the diff of an `M`."""
    if isinstance(model, Modify):
        new_model, diff = model.done()
        return require_id(new_model), diff
    check_model(model, "update")
    return require_id(model), model


def is_many(models: object) -> bool:
    """Whether ``models`` is a list (or tuple, ...) of models rather than one model."""
    return isinstance(models, Sequence) and not isinstance(models, str | bytes)


class ImmutableService(ReadableService, _Creatable, _Deletable):
    """Tokens and shares: create, read, find and delete; never update.

    `update`, `update_many` and `save` exist only to raise the documented
    error at run time; they are marked deprecated, so checkers flag a call.
    """

    # A literal message (checkers read it); no run-time warning: the call raises anyway.
    @deprecated("tokens and shares are immutable: the platform has no update", category=None)
    def update(self, *args: object, **kwargs: object) -> NoReturn:
        """Always raises: tokens and shares are immutable."""
        raise FlowThingsError(f"{self._path.strip('/')} objects are immutable and cannot be updated")

    # A literal message (checkers read it); no run-time warning: the call raises anyway.
    @deprecated("tokens and shares are immutable: the platform has no update", category=None)
    def update_many(self, *args: object, **kwargs: object) -> NoReturn:
        """Always raises: tokens and shares are immutable."""
        raise FlowThingsError(f"{self._path.strip('/')} objects are immutable and cannot be updated")

    # A literal message (checkers read it); no run-time warning: the call raises anyway.
    @deprecated("tokens and shares are immutable: the platform has no update", category=None)
    def save(self, *args: object, **kwargs: object) -> NoReturn:
        """Always raises: tokens and shares are immutable."""
        raise FlowThingsError(f"{self._path.strip('/')} objects are immutable and cannot be updated")


class CrudService(ReadableService, _Creatable, _Deletable):
    """The full set: find, create, update, update_many, save, delete."""

    @overload
    def update(self, model: ModelInput, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def update(self, model: ModelInput, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def update(self, model: ModelInput, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    def update(self, model: ModelInput, **params: Any) -> Any:
        """Updates a resource by its `id` (`PUT`); given an `M`, only the diff is sent.

        Examples:
            >>> api.flow.update({'id': '<flow_id>', 'displayName': 'Foo'})
            >>> api.flow.update(M(model, displayName='Foo'))
        """
        model_id, changes = _changes(model)
        return self.request("PUT", id_segment(model_id), data=changes, params=query(params))

    @overload
    def update_many(self, models: Sequence[ModelInput], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def update_many(self, models: Sequence[ModelInput], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, JSONObject]: ...
    @overload
    def update_many(self, models: Sequence[ModelInput], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, JSONObject] | tuple[dict[str, JSONObject], References]: ...
    def update_many(self, models: Sequence[ModelInput], **params: Any) -> Any:
        """Updates several resources in one `MPUT` (`{id: changes}`)."""
        if not is_many(models):
            raise TypeError("update_many() takes a list of models")
        data: dict[str, Any] = {}
        for model in models:
            model_id, changes = _changes(model)
            id_segment(model_id)
            data[model_id] = changes
        return self.request("MPUT", data=data, params=query(params))

    @overload
    def save(self, model: Sequence[ModelInput], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, JSONObject], References]: ...
    @overload
    def save(self, model: Sequence[ModelInput], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, JSONObject]: ...
    @overload
    def save(self, model: Sequence[ModelInput], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, JSONObject] | tuple[dict[str, JSONObject], References]: ...
    @overload
    def save(self, model: ModelInput, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def save(self, model: ModelInput, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def save(self, model: ModelInput, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    def save(self, model: Any, **params: Any) -> Any:
        """`update_many` for a list, `update` for an `M` or a model with an `id`, else `create`."""
        if is_many(model):
            return cast(Any, self.update_many(model, **params))
        if isinstance(model, Modify) or _has_id(model):
            return cast(Any, self.update(cast("ModelInput", model), **params))
        return cast(Any, self.create(model, **params))


def _has_id(model: object) -> bool:
    if isinstance(model, Mapping):
        return "id" in model
    return getattr(model, "id", None) is not None
