"""Usage statistics: `/statistics/{type}/{id}[/year[/month[/day]]]?level=...`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .._context import ServiceContext, id_segment
from ._base import Service

if TYPE_CHECKING:
    from .typed import TypedStatisticsService

__all__ = ["StatisticsLevel", "StatisticsService"]

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
        from .typed import TypedStatisticsService

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
