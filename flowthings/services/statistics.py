"""Usage statistics: `/statistics/{type}/{id}[/year[/month[/day]]]?level=...`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, Literal, overload

from typing_extensions import ParamSpec, Self

from .._context import ServiceContext, id_segment
from ._base import Service
from ._results import then

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from ..models import StatisticsSeries

__all__ = ["StatisticsLevel", "StatisticsService", "TypedStatisticsService"]

_P = ParamSpec("_P")

StatisticsLevel = Literal["YEAR", "MONTH", "DAY", "HOUR", "year", "month", "day", "hour"]
"""Bucket size of a statistics series."""


def _date_part(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return "/" + text


class StatisticsService(Service):
    """Time series of usage counters: one list of counts per time bucket.

    Each metric takes `(id, year=None, month=None, day=None, level=None)`;
    `month` is only sent with a `year`, `day` only with a `month`, as in 1.0.5.
    """

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context, "/statistics")

    @property
    def typed(self) -> TypedStatisticsService:
        """This service answering validated `StatisticsSeries`."""
        return TypedStatisticsService(self)

    def _series(
        self,
        metric: str,
        id: str,
        year: int | None,
        month: int | None,
        day: int | None,
        level: StatisticsLevel | None,
    ) -> list[int]:
        path = f"/{metric}{id_segment(id)}"
        if year is not None:
            path += _date_part(year, "year")
            if month is not None:
                path += _date_part(month, "month")
                if day is not None:
                    path += _date_part(day, "day")
        params = {"level": level} if level is not None else None
        result: list[int] = self.request("GET", path, None, params)
        return result

    def flow_drop_added(
        self, flow_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """Drops added to a flow (including those arriving through tracks)."""
        return self._series("flowDropAdded", flow_id, year, month, day, level)

    def flow_tracked(
        self, flow_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """Drops routed into a flow by tracks."""
        return self._series("flowTracked", flow_id, year, month, day, level)

    def track_hit(
        self, track_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """Drops that reached a track."""
        return self._series("trackHit", track_id, year, month, day, level)

    def track_pass(
        self, track_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """Drops that passed a track."""
        return self._series("trackPass", track_id, year, month, day, level)

    def api_call_by_identity(
        self, identity_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """API calls made by an identity."""
        return self._series("apiCallByIdentity", identity_id, year, month, day, level)

    def drop_created_by(
        self, identity_id: str, year: int | None = None, month: int | None = None,
        day: int | None = None, level: StatisticsLevel | None = None,
    ) -> list[int]:
        """Drops created by an identity."""
        return self._series("dropCreatedBy", identity_id, year, month, day, level)

    # The camelCase names 1.0.5 also had.
    flowDropAdded = flow_drop_added
    flowTracked = flow_tracked
    trackHit = track_hit
    trackPass = track_pass
    apiCallByIdentity = api_call_by_identity
    dropCreatedBy = drop_created_by


# The typed view lives with the service it wraps: `StatisticsService.typed`
# returns it, and `services.typed` re-exports it (one way: typed -> statistics).


@functools.cache
def _series_adapter() -> TypeAdapter[list[int]]:
    # Built at the first typed call: `import flowthings` stays free of it.
    from pydantic import TypeAdapter

    return TypeAdapter(list[int])


class _Series(Generic[_P]):
    """A metric of the wrapped statistics service, its answer validated as a series.

    The signature is the sync method's (one source of truth), via ``ParamSpec``.
    """

    def __init__(self, metric: Callable[Concatenate[StatisticsService, _P], list[int]]) -> None:
        self._name = metric.__name__
        self.__doc__ = metric.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, obj: TypedStatisticsService, owner: type[Any]
    ) -> Callable[_P, StatisticsSeries]: ...
    def __get__(self, obj: TypedStatisticsService | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        metric = getattr(obj.untyped, self._name)

        def series(*args: _P.args, **kwargs: _P.kwargs) -> StatisticsSeries:
            series: StatisticsSeries = then(metric(*args, **kwargs), _series_adapter().validate_python)
            return series

        series.__name__ = self._name
        series.__doc__ = self.__doc__
        return series


class TypedStatisticsService:
    """The typed view of ``api.statistics``: each metric as a `StatisticsSeries`.

    Each metric takes the arguments of the sync one:
    ``(id, year=None, month=None, day=None, level=None)``.
    """

    def __init__(self, service: StatisticsService) -> None:
        self._stats = service

    @property
    def untyped(self) -> StatisticsService:
        """The wrapped sync service."""
        return self._stats

    flow_drop_added = _Series(StatisticsService.flow_drop_added)
    flow_tracked = _Series(StatisticsService.flow_tracked)
    track_hit = _Series(StatisticsService.track_hit)
    track_pass = _Series(StatisticsService.track_pass)
    api_call_by_identity = _Series(StatisticsService.api_call_by_identity)
    drop_created_by = _Series(StatisticsService.drop_created_by)
