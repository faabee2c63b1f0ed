"""Drops: `api.drop(flow_id)` for one flow, `api.drop.create(...)` by path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from typing_extensions import Unpack

from .._context import ServiceContext, id_segment
from .._modify import Params
from ..filters import Filter
from ._base import (
    CrudService,
    JSONObject,
    References,
    Service,
    by_path_spec,
    check_model,
)
from ._bulk import DEFAULT_CONCURRENCY, BulkResult, bulk
from ._params import FindParams, ReadParams, query

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .typed import TypedDropFactory, TypedDropService

__all__ = ["DropService", "DropServiceFactory"]


class DropService(CrudService):
    """The drops of one flow (`/drop/{flowId}`), plus `delete_all` and `aggregate`.

    Examples:
        >>> api.drop('<flow_id>').find(limit=10)
    """

    def __init__(self, context: ServiceContext, flow_id: str) -> None:
        super().__init__(context, "/drop" + id_segment(flow_id, "flow id"))
        self._flow_id = flow_id

    @property
    def flow_id(self) -> str:
        """The id of the flow this service reads and writes."""
        return self._flow_id

    @property
    def typed(self) -> TypedDropService:
        """This service taking and returning `Drop` models."""
        from .typed import TypedDropService

        return TypedDropService(self)

    def delete_all(self) -> Any:
        """Empties the flow: deletes every drop in it (`DELETE /drop/{flowId}`)."""
        return self.request("DELETE", "")

    def create_many(
        self,
        models: Iterable[Mapping[str, Any] | BaseModel],
        concurrency: int = DEFAULT_CONCURRENCY,
        **params: Unpack[ReadParams],
    ) -> BulkResult[JSONObject]:
        """Creates many drops, ``concurrency`` requests in flight at once.

        Each input is one ``create`` (``POST``); the results come back in input
        order, failures kept per input (see `BulkResult`), successes never
        lost. Only POSTs that could not be sent at all are retried (a POST
        may not be repeatable), as for ``create``. The workers share the
        API's pooled client (see `flowthings.services._bulk`).

        Args:
            models: Dicts or models; any iterable (read lazily).
            concurrency: Requests in flight at once (1 to 64; the pooled
                client keeps that many connections).
            **params: Query parameters of every ``create`` (`ReadParams`).

        Examples:
            >>> result = api.drop(flow_id).create_many({'elems': {'n': i}} for i in range(1000))
            >>> result.ok, len(result.succeeded)
        """
        result: BulkResult[JSONObject] = bulk(
            self.asynchronous, lambda model: self.create(model, **params), models, concurrency
        )
        return result

    def aggregate(
        self,
        outputs: list[str] | tuple[str, ...],
        group_by: Sequence[str] | None = None,
        filter: Filter | str | None = None,
        rules: Mapping[str, Filter | str] | None = None,
        sorts: Sequence[str] | None = None,
    ) -> list[JSONObject]:
        """Aggregates the flow's drops (`POST /drop/{flowId}/aggregate`).

        Args:
            outputs: What to compute: `'$count'`, `'$avg:field'`, `'$min:field'`, ...
            group_by: Grouping keys: element names or date selectors (`'$month'`).
            filter: Only drops matching this filter are aggregated.
            rules: Named filters; each drop gets 0/1 per rule, usable in
                `outputs` and `group_by` (`'$avg:rule'` is the fraction passing).
            sorts: Result ordering.

        Examples:
            >>> api.drop(flow_id).aggregate(['$avg:test'], rules={'test': mem.foo > 42})
        """
        given: object = outputs  # untyped callers may pass a lone str
        if isinstance(given, str):
            raise TypeError("outputs must be a list of selectors, e.g. ['$count']")
        data: dict[str, Any] = {"output": list(outputs)}
        if group_by is not None:
            data["groupBy"] = [group_by] if isinstance(group_by, str) else list(group_by)
        if filter is not None:
            data["filter"] = str(filter)
        if rules is not None:
            data["rules"] = {name: str(rule) for name, rule in rules.items()}
        if sorts is not None:
            data["sorts"] = [sorts] if isinstance(sorts, str) else list(sorts)
        result: list[JSONObject] = self.request("POST", "/aggregate", data)
        return result


class DropServiceFactory(Service):
    """`api.drop`: call it with a flow id, or create/find drops by flow path."""

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, "/drop")

    def __call__(self, flow_id: str) -> DropService:
        """The drop service of one flow."""
        return DropService(self._context, flow_id)

    @property
    def typed(self) -> TypedDropFactory:
        """Typed drops by path: `api.drop.typed.create(...)`, `.find(path=...)`."""
        from .typed import TypedDropFactory

        return TypedDropFactory(self)

    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[True], **params: Unpack[ReadParams]) -> tuple[JSONObject, References]: ...
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: Literal[False] = ..., **params: Unpack[ReadParams]) -> JSONObject: ...
    @overload
    def create(self, model: Mapping[str, Any] | BaseModel, *, refs: bool, **params: Unpack[ReadParams]) -> JSONObject | tuple[JSONObject, References]: ...
    def create(self, model: Mapping[str, Any] | BaseModel, **params: Any) -> Any:
        """Creates a drop in the flow named by the drop's `path` (`POST /drop`).

        Examples:
            >>> api.drop.create({'path': '/alice/sensors', 'elems': {'temp': 21}})
        """
        check_model(model, "create")
        return self.request("POST", data=model, params=query(params))

    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: Literal[True], **params: Unpack[FindParams]) -> tuple[list[JSONObject], References]: ...
    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: Literal[False] = ..., **params: Unpack[FindParams]) -> list[JSONObject]: ...
    @overload
    def find(self, /, *filters: Filter | str, path: str, refs: bool, **params: Unpack[FindParams]) -> list[JSONObject] | tuple[list[JSONObject], References]: ...
    def find(self, /, *filters: Filter | str, path: str, **params: Any) -> Any:
        """Finds drops of the flow at `path` (`GET /drop?path=...`).

        Examples:
            >>> api.drop.find(mem.elems.temp > 20, path='/alice/sensors', limit=5)
        """
        return self.execute(by_path_spec(self, filters, path, params))

    def find_in_flows(
        self, queries: Mapping[str, FindParams | Params]
    ) -> dict[str, list[JSONObject]]:
        """Finds drops in several flows in one `MGET /drop`.

        Args:
            queries: flow id -> query params (a dict of `FindParams`, or `P(...)`)
                for that flow.

        Returns:
            flow id -> the drops found in that flow.
        """
        data: list[dict[str, Any]] = []
        for flow_id, params in queries.items():
            id_segment(flow_id, "flow id")
            as_dict = params.to_dict() if isinstance(params, Params) else query(params).to_dict()
            data.append({"flowId": flow_id, "params": as_dict})
        result: dict[str, list[JSONObject]] = self.request("MGET", data=data)
        return result
