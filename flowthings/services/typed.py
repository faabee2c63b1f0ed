"""Typed views: the service methods taking and returning models instead of dicts.

Each view wraps a sync service (the one implementation of the request) and
parses its answers with a model class from `flowthings.models`; the
requests on the wire are exactly those of the wrapped service.

Examples:
    >>> flow = api.flow.typed.read('<flow_id>')          # Flow
    >>> drops = api.drop(flow.id).typed.find(Drop.q.elems['temp'] > 3, limit=10)  # list[Drop]
    >>> drops, refs = api.drop(flow.id).typed.find(limit=10, refs=True)

A projection (``only=[...]``) may leave out members a model requires; such an
answer is still returned, as a model built without validation
(`pydantic.BaseModel.model_construct`) holding exactly the members sent.

Drops are validated straight from the answer's bytes when possible (see
`flowthings.models._wire`): the view then calls a copy of the sync
service whose transport hands the bytes to that validator first, and falls
back to the usual parse (``json.loads``, then the model) for any answer the
fast validator does not take. The models are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    TypeAlias,
    TypeVar,
    cast,
    overload,
)

from pydantic import ValidationError
from typing_extensions import Unpack

from .._modify import Modify
from ..http._spec import Decode, RequestSpec
from ..models import AggregateRow, Drop, Share, Token
from ..models._base import FlowthingsModel
from ..models._wire import envelope_validator
from ._base import by_path_spec, find_many_spec, find_spec, is_many, read_spec
from ._bulk import DEFAULT_CONCURRENCY, BulkResult, bulk
from ._paging import DEFAULT_PAGE_SIZE, Paged
from ._params import FindParams, IterParams, ReadParams
from ._results import map_items, or_else, then
from .statistics import TypedStatisticsService

if TYPE_CHECKING:
    from ..filters import Filter
    from ..models import References
    from ._base import CrudService, ImmutableService, ReadableService, Service
    from .drop import DropService, DropServiceFactory

__all__ = [
    "TypedDropFactory",
    "TypedDropService",
    "TypedImmutableService",
    "TypedReadService",
    "TypedService",
    "TypedShareService",
    "TypedStatisticsService",
    "TypedTokenService",
    "parse_model",
]

ModelT = TypeVar("ModelT", bound=FlowthingsModel)
_D = TypeVar("_D")
_T = TypeVar("_T")


_Input: TypeAlias = "ModelT | Mapping[str, Any] | Modify[ModelT] | Modify[dict[str, Any]]"
"""What a typed update takes: a model of the view's class, a dict, or an `M` of either."""



class _Decoded:
    """A body the transport already validated into models (from the answer's bytes)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _decoder(model: type[FlowthingsModel], many: bool) -> Decode | None:
    """The transport hook validating an answer's bytes into ``model`` s, if one exists."""
    validator = envelope_validator(model, many)
    if validator is None:
        return None

    def decode(content: bytes) -> tuple[Any, dict[str, Any]] | None:
        try:
            envelope = validator.validate_json(content)
        except (ValueError, RecursionError):  # ValidationError is a ValueError
            return None  # the usual parse decides: models, a partial model, or the error
        head = envelope["head"]
        if not isinstance(head, dict):
            return None
        references: object = cast(dict[str, Any], head).get("references")
        return _Decoded(envelope["body"]), cast(
            dict[str, Any], references if isinstance(references, dict) else {}
        )

    return decode


def parse_model(model: type[ModelT], body: object, *, partial: bool = False) -> ModelT:
    """Parse one resource as returned by the platform.

    Args:
        model: The model class.
        body: The JSON object.
        partial: Accept an object lacking required members (an ``only=``
            projection): it is then built without validation.

    Raises:
        pydantic.ValidationError: If ``body`` does not fit the model.
    """
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        if partial and isinstance(body, Mapping) and _only_missing(exc):
            fields = cast("Mapping[str, Any]", body)
            return cast(ModelT, model.model_construct(**fields))  # pyright: ignore[reportUnnecessaryCast]
        raise


def _many(one: Callable[[Any], _T]) -> Callable[[Any], list[_T]]:
    """Parses a list body: models the transport already validated as they are,
    else each item with ``one``."""

    def many(body: Any) -> list[_T]:
        if isinstance(body, _Decoded):
            return cast(list[_T], body.value)
        return [one(value) for value in body]

    return many


def _with_refs(
    result: Any, source: Service, params: Mapping[str, Any], parse: Callable[[Any], _T]
) -> Any:
    """Parse a sync answer: ``(body, references)`` when ``refs`` is true, per call
    or in the ``API``'s (or the defaults') params, exactly as the sync call decided."""
    if source.wants_refs(params):
        return then(result, lambda answer: (parse(answer[0]), answer[1]))
    return then(result, parse)


class TypedReadService(Generic[ModelT]):
    """The reading half of a typed view: ``read``, ``read_many``, ``find_many``, ``find``.

    Args:
        service: The sync service to wrap.
        model: The model class its answers are parsed with.
    """

    def __init__(self, service: ReadableService, model: type[ModelT]) -> None:
        self._service = service
        self._model = model

    @property
    def model(self) -> type[ModelT]:
        """The model class answers are parsed with."""
        return self._model

    @property
    def untyped(self) -> ReadableService:
        """The wrapped sync service (plain dicts in and out)."""
        return self._service

    def __repr__(self) -> str:
        return f"<{type(self).__name__}[{self._model.__name__}] {self._service.path}>"

    def parse(self, body: object, *, partial: bool = False) -> ModelT:
        """Parse one resource as returned by the platform (see `parse_model`)."""
        return parse_model(self._model, body, partial=partial)

    def _fast(self, spec: RequestSpec, many: bool) -> RequestSpec:
        """``spec``, its answer's body of one (or a list of) model(s) validated from the
        bytes (the spec as it is when the model has no such decoder)."""
        return spec.decoded_by(_decoder(self._model, many))

    def _one(self, params: Mapping[str, Any]) -> Callable[[Any], ModelT]:
        partial = "only" in params

        def one(body: Any) -> ModelT:
            if isinstance(body, _Decoded):
                return cast(ModelT, body.value)
            return self.parse(body, partial=partial)

        return one

    def _by_id(self, params: Mapping[str, Any]) -> Callable[[Any], dict[str, ModelT]]:
        one = self._one(params)
        return lambda body: {key: one(value) for key, value in body.items()}

    def _list(self, params: Mapping[str, Any]) -> Callable[[Any], list[ModelT]]:
        return _many(self._one(params))

    @overload
    def read(self, id: str, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References]: ...
    @overload
    def read(self, id: str, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT: ...
    @overload
    def read(self, id: str, *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References]: ...
    def read(self, id: str, **params: Any) -> Any:
        """Read one resource by id (see the sync ``read``)."""
        result = self._service.execute(self._fast(read_spec(self._service, id, params), many=False))
        return _with_refs(result, self._service, params, self._one(params))

    @overload
    def read_or_else(self, id: str, default: _D, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References] | _D: ...
    @overload
    def read_or_else(self, id: str, default: _D, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT | _D: ...
    @overload
    def read_or_else(self, id: str, default: _D, *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References] | _D: ...
    @overload
    def read_or_else(self, id: str, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References] | None: ...
    @overload
    def read_or_else(self, id: str, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT | None: ...
    @overload
    def read_or_else(self, id: str, *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References] | None: ...
    def read_or_else(self, id: str, default: Any = None, **params: Any) -> Any:
        """Like `read`, but return ``default`` when the platform says 404."""
        spec = self._fast(read_spec(self._service, id, params), many=False)
        return or_else(
            lambda: _with_refs(self._service.execute(spec), self._service, params, self._one(params)),
            default,
        )

    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, ModelT], References]: ...
    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, ModelT]: ...
    @overload
    def read_many(self, ids: list[str] | tuple[str, ...], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, ModelT] | tuple[dict[str, ModelT], References]: ...
    def read_many(self, ids: list[str] | tuple[str, ...], **params: Any) -> Any:
        """Read several resources in one request: a map of id to model."""
        return _with_refs(self._service.read_many(ids, **params), self._service, params, self._by_id(params))

    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[ModelT], References]: ...
    @overload
    def find_many(self, *filters: Filter | str, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[ModelT]: ...
    @overload
    def find_many(self, *filters: Filter | str, refs: bool, **params: Unpack[FindParams]) -> list[ModelT] | tuple[list[ModelT], References]: ...
    def find_many(self, *filters: Filter | str, **params: Any) -> Any:
        """Find resources; several filters are AND-ed."""
        spec = self._fast(find_many_spec(self._service, filters, params), many=True)
        return _with_refs(self._service.execute(spec), self._service, params, self._list(params))

    @overload
    def find(self, id: str, /, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References]: ...
    @overload
    def find(self, id: str, /, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT: ...
    @overload
    def find(self, id: str, /, *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, ModelT], References]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, ModelT]: ...
    @overload
    def find(self, ids: list[str] | tuple[str, ...], /, *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, ModelT] | tuple[dict[str, ModelT], References]: ...
    @overload
    def find(self, /, *filters: Filter, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[ModelT], References]: ...
    @overload
    def find(self, /, *filters: Filter, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[ModelT]: ...
    @overload
    def find(self, /, *filters: Filter, refs: bool, **params: Unpack[FindParams]) -> list[ModelT] | tuple[list[ModelT], References]: ...
    # `self` is positional-only everywhere: `**params` of the by-id forms could
    # otherwise hold a "self" key the implementation cannot take.
    def find(self, /, *args: Any, **params: Any) -> Any:
        """Read by id (str), read many (list), or find by filters (anything else)."""
        kind, spec = find_spec(self._service, args, params)
        parse: Callable[[Any], Any]
        if kind == "one":
            parse, spec = self._one(params), self._fast(spec, many=False)
        elif kind == "by_id":
            parse = self._by_id(params)
        else:
            parse, spec = self._list(params), self._fast(spec, many=True)
        return _with_refs(self._service.execute(spec), self._service, params, parse)

    def find_iter(
        self,
        *filters: Filter | str,
        page_size: int = DEFAULT_PAGE_SIZE,
        **params: Unpack[IterParams],
    ) -> Iterator[ModelT]:
        """Streams every match as a model (see the sync `find_iter` for the guarantee).

        With ``only=``, models lacking required members are built without
        validation, as ``find`` does.

        Examples:
            >>> for drop in api.drop(flow_id).typed.find_iter(order='asc'):
            ...     print(drop.id, drop.elems)
        """
        items = self._service.find_iter(*filters, page_size=page_size, **params)
        return cast("Iterator[ModelT]", map_items(items, self._one(params)))

    def _paged(
        self, filters: tuple[Filter | str, ...], page_size: int, params: Mapping[str, Any]
    ) -> Paged[ModelT]:
        """The iteration `find_iter` runs, items parsed into models (the green door's)."""
        plain = self._service._paged(filters, page_size, params)  # pyright: ignore[reportPrivateUsage]  # the same layer
        return Paged(plain.find, plain.pager, self._one(params))


class TypedImmutableService(TypedReadService[ModelT]):
    """A typed view of a service without updates (tokens, shares): adds
    ``create`` and ``delete``."""

    def __init__(self, service: ImmutableService | CrudService, model: type[ModelT]) -> None:
        super().__init__(service, model)
        self._writer = service

    @overload
    def create(self, model: ModelT | Mapping[str, Any], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References]: ...
    @overload
    def create(self, model: ModelT | Mapping[str, Any], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT: ...
    @overload
    def create(self, model: ModelT | Mapping[str, Any], *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References]: ...
    def create(self, model: ModelT | Mapping[str, Any], **params: Any) -> Any:
        """Create a resource from a model (or a dict); return the created resource."""
        return _with_refs(self._writer.create(model, **params), self._writer, params, self._one(params))

    def delete(self, id: str, data: Any = None, **params: Unpack[ReadParams]) -> ModelT | None:
        """Delete a resource by id; return the deleted resource when the platform sends it."""
        refs = self._writer.wants_refs(params)

        def parse(body: Any) -> ModelT | None:
            if refs:
                body = body[0]
            return self.parse(body, partial=True) if isinstance(body, Mapping) and body else None  # pyright: ignore[reportUnknownArgumentType]

        result: ModelT | None = then(self._writer.delete(id, data, **params), parse)
        return result


class TypedService(TypedImmutableService[ModelT]):
    """The typed view of a full service: adds ``update``, ``update_many`` and ``save``.

    Examples:
        >>> api.flow.typed.create(Flow(path='/alice/pears'))
        Flow(id='f...', ..., path='/alice/pears', ...)
    """

    def __init__(self, service: CrudService, model: type[ModelT]) -> None:
        super().__init__(service, model)
        self._crud = service

    @overload
    def update(self, model: _Input[ModelT], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References]: ...
    @overload
    def update(self, model: _Input[ModelT], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT: ...
    @overload
    def update(self, model: _Input[ModelT], *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References]: ...
    def update(self, model: _Input[ModelT], **params: Any) -> Any:
        """Update a resource by its ``id``; given an ``M``, only the diff is sent.

        The ``M`` must wrap a model of this view's class (or a dict).
        """
        return _with_refs(self._crud.update(model, **params), self._crud, params, self._one(params))

    @overload
    def update_many(self, models: Sequence[_Input[ModelT]], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, ModelT], References]: ...
    @overload
    def update_many(self, models: Sequence[_Input[ModelT]], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, ModelT]: ...
    @overload
    def update_many(self, models: Sequence[_Input[ModelT]], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, ModelT] | tuple[dict[str, ModelT], References]: ...
    def update_many(self, models: Sequence[_Input[ModelT]], **params: Any) -> Any:
        """Update several resources in one request: a map of id to updated model."""
        result: Any = cast(Any, self._crud.update_many(models, **params))
        return _with_refs(result, self._crud, params, self._by_id(params))

    @overload
    def save(self, model: Sequence[_Input[ModelT]], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[dict[str, ModelT], References]: ...
    @overload
    def save(self, model: Sequence[_Input[ModelT]], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> dict[str, ModelT]: ...
    @overload
    def save(self, model: Sequence[_Input[ModelT]], *, refs: bool, **params: Unpack[ReadParams]) -> dict[str, ModelT] | tuple[dict[str, ModelT], References]: ...
    @overload
    def save(self, model: _Input[ModelT], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[ModelT, References]: ...
    @overload
    def save(self, model: _Input[ModelT], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> ModelT: ...
    @overload
    def save(self, model: _Input[ModelT], *, refs: bool, **params: Unpack[ReadParams]) -> ModelT | tuple[ModelT, References]: ...
    def save(self, model: Any, **params: Any) -> Any:
        """``update_many`` for a list, ``update`` for an ``M`` or a model with an id,
        else ``create``."""
        parse = self._by_id(params) if is_many(model) else self._one(params)
        return _with_refs(self._crud.save(model, **params), self._crud, params, parse)


class TypedDropService(TypedService[Drop]):
    """The typed view of ``api.drop(flow_id)``: adds ``aggregate`` and ``delete_all``."""

    def __init__(self, service: DropService) -> None:
        super().__init__(service, Drop)
        self._drops = service

    @property
    def flow_id(self) -> str:
        """The id of the flow this view reads and writes."""
        return self._drops.flow_id

    def delete_all(self) -> Any:
        """Empty the flow (see the sync ``delete_all``); returns the platform's body."""
        return self._drops.delete_all()

    def create_many(
        self,
        models: Iterable[Drop | Mapping[str, Any]],
        concurrency: int = DEFAULT_CONCURRENCY,
        **params: Unpack[ReadParams],
    ) -> BulkResult[Drop]:
        """Create many drops (see the sync `create_many`); each value a `Drop`.

        Examples:
            >>> result = api.drop(flow_id).typed.create_many([Drop(elems={'n': 1})])
            >>> result.succeeded[0].id
        """
        result: BulkResult[Drop] = bulk(
            self._drops.asynchronous, lambda model: self.create(model, **params), models, concurrency
        )
        return result

    def aggregate(
        self,
        outputs: list[str] | tuple[str, ...],
        group_by: Sequence[str] | None = None,
        filter: Filter | str | None = None,
        rules: Mapping[str, Filter | str] | None = None,
        sorts: Sequence[str] | None = None,
    ) -> list[AggregateRow]:
        """Aggregate the flow's drops (see the sync ``aggregate``); one row per group."""
        rows = self._drops.aggregate(outputs, group_by, filter, rules, sorts)
        result: list[AggregateRow] = then(
            rows, lambda answer: [AggregateRow.model_validate(row) for row in answer]
        )
        return result


class TypedDropFactory:
    """The typed view of ``api.drop``: drops created and found by flow path."""

    def __init__(self, service: DropServiceFactory) -> None:
        self._factory = service

    @property
    def untyped(self) -> DropServiceFactory:
        """The wrapped sync service."""
        return self._factory

    def __call__(self, flow_id: str) -> TypedDropService:
        """The typed view of the drop service of one flow."""
        return TypedDropService(self._factory(flow_id))

    @overload
    def create(self, model: Drop | Mapping[str, Any], *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[Drop, References]: ...
    @overload
    def create(self, model: Drop | Mapping[str, Any], *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> Drop: ...
    @overload
    def create(self, model: Drop | Mapping[str, Any], *, refs: bool, **params: Unpack[ReadParams]) -> Drop | tuple[Drop, References]: ...
    def create(self, model: Drop | Mapping[str, Any], **params: Any) -> Any:
        """Create a drop in the flow named by its ``path``."""
        result: Any = cast(Any, self._factory.create(model, **params))
        return _with_refs(result, self._factory, params, lambda body: parse_model(Drop, body))

    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[Drop], References]: ...
    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[Drop]: ...
    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: bool, **params: Unpack[FindParams]) -> list[Drop] | tuple[list[Drop], References]: ...
    def find(self, /, *filters: Filter | str, path: str, **params: Any) -> Any:
        """Find drops of the flow at ``path``."""
        partial = "only" in params
        spec = by_path_spec(self._factory, filters, path, params)
        result = self._factory.execute(spec.decoded_by(_decoder(Drop, many=True)))
        parse = _many(lambda d: parse_model(Drop, d, partial=partial))
        return _with_refs(result, self._factory, params, parse)


class TypedTokenService(TypedImmutableService[Token]):
    """The typed view of ``api.token`` (tokens are immutable: no update)."""

    def __init__(self, service: ImmutableService) -> None:
        super().__init__(service, Token)


class TypedShareService(TypedImmutableService[Share]):
    """The typed view of ``api.share`` (shares are immutable: no update)."""

    def __init__(self, service: ImmutableService) -> None:
        super().__init__(service, Share)


def _only_missing(exc: ValidationError) -> bool:
    return all(error["type"] == "missing" for error in exc.errors())
