"""Statistics engine: bucket layout, level overrides, validation, event store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from flowthings.local.analytics.statistics import (
    SERIES,
    StatisticsError,
    bucket_counts,
    statistics_range,
)


def statistics_buckets(stamps: list[int], **query: Any) -> list[int]:
    """Count events per bucket of a statistics query, as the platform does."""
    return bucket_counts(((ts, 1) for ts in stamps), statistics_range(**query))


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def test_series_names() -> None:
    assert sorted(SERIES) == sorted(
        [
            "flowDropAdded",
            "flowTracked",
            "trackHit",
            "trackPass",
            "apiCallByIdentity",
            "dropCreatedBy",
        ]
    )


def test_year_gives_twelve_months_docs_example() -> None:
    stamps = [ms(2015, 1, 6, 12)] * 20 + [ms(2014, 12, 31, 23, 59), ms(2016, 1, 1)]
    assert (
        statistics_buckets(stamps, year=2015, month=None, day=None, level=None) == [20] + [0] * 11
    )


def test_month_gives_days_docs_example() -> None:
    stamps = [ms(2015, 1, 6, h) for h in range(20)]
    result = statistics_buckets(stamps, year=2015, month=1, day=None, level=None)
    assert len(result) == 31
    assert result[5] == 20
    assert sum(result) == 20


@pytest.mark.parametrize(
    ("year", "month", "days"),
    [(2015, 2, 28), (2016, 2, 29), (2015, 4, 30), (2015, 12, 31)],
)
def test_days_in_month(year: int, month: int, days: int) -> None:
    assert len(statistics_buckets([], year=year, month=month, day=None, level=None)) == days


def test_day_gives_hours() -> None:
    stamps = [ms(2015, 1, 6, 0), ms(2015, 1, 6, 0, 59, 59), ms(2015, 1, 6, 23, 30), ms(2015, 1, 7)]
    result = statistics_buckets(stamps, year=2015, month=1, day=6, level=None)
    assert len(result) == 24
    assert result[0] == 2
    assert result[23] == 1
    assert sum(result) == 3


@pytest.mark.parametrize(
    ("segments", "level", "count"),
    [
        pytest.param((2015, None, None), "DAY", 365, id="year-day"),
        pytest.param((2016, None, None), "day", 366, id="leap-year-day"),
        pytest.param((2015, None, None), "hour", 8760, id="year-hour"),
        pytest.param((2015, None, None), "Month", 12, id="year-month"),
        pytest.param((2015, None, None), "YEAR", 1, id="year-year"),
        pytest.param((2015, 12, None), "hour", 31 * 24, id="month-hour"),
        pytest.param((2015, 12, None), "month", 1, id="month-month"),
        pytest.param((2015, 12, None), "year", 1, id="month-year"),
        pytest.param((2015, 12, 1), "year", 1, id="day-year-python-test"),
        pytest.param((2015, 12, 1), "day", 1, id="day-day"),
        pytest.param((2015, 12, 1), "HOUR", 24, id="day-hour"),
    ],
)
def test_level_override(segments: tuple[Any, Any, Any], level: str, count: int) -> None:
    year, month, day = segments
    result = statistics_buckets([], year=year, month=month, day=day, level=level)
    assert result == [0] * count


def test_coarse_level_sums_the_range_only() -> None:
    stamps = [ms(2015, 12, 1, 5), ms(2015, 12, 2), ms(2015, 11, 30, 23)]
    assert statistics_buckets(stamps, year=2015, month=12, day=1, level="year") == [1]
    assert statistics_buckets(stamps, year=2015, month=None, day=None, level="YEAR") == [3]


def test_year_level_day_buckets_place_events() -> None:
    result = statistics_buckets(
        [ms(2015, 3, 1, 10), ms(2015, 12, 31, 23, 59)], year=2015, month=None, day=None, level="day"
    )
    assert result[31 + 28] == 1  # 1 March is day index 59
    assert result[-1] == 1


def test_no_segments_is_current_year() -> None:
    now = ms(2020, 6, 15, 12)
    stamps = [ms(2020, 6, 1), ms(2019, 6, 1)]
    result = statistics_buckets(stamps, year=None, month=None, day=None, level=None, now_ms=now)
    assert result == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_range_boundaries() -> None:
    bounds = statistics_range(year=2015, month=1, day=None, level=None)
    assert bounds[0] == ms(2015, 1, 1)
    assert bounds[-1] == ms(2015, 2, 1)
    assert len(bounds) == 32


def test_bucket_counts_weighted() -> None:
    bounds = statistics_range(year=2015, month=1, day=6, level=None)
    assert bucket_counts([(ms(2015, 1, 6, 3), 5), (ms(2015, 1, 7), 9)], bounds)[3] == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"year": 2015, "month": 13, "day": None, "level": None}, id="month-13"),
        pytest.param({"year": 2015, "month": 0, "day": None, "level": None}, id="month-0"),
        pytest.param({"year": 2015, "month": 1, "day": 32, "level": None}, id="day-32"),
        pytest.param({"year": 2015, "month": 2, "day": 29, "level": None}, id="feb-29"),
        pytest.param({"year": 2015, "month": 2, "day": 0, "level": None}, id="day-0"),
        pytest.param({"year": 2015, "month": None, "day": 3, "level": None}, id="day-no-month"),
        pytest.param({"year": None, "month": 3, "day": None, "level": None}, id="month-no-year"),
        pytest.param({"year": 1969, "month": None, "day": None, "level": None}, id="year-low"),
        pytest.param({"year": 10000, "month": None, "day": None, "level": None}, id="year-high"),
        pytest.param({"year": 2015, "month": None, "day": None, "level": "WEEK"}, id="level-week"),
        pytest.param({"year": 2015, "month": None, "day": None, "level": ""}, id="level-empty"),
        pytest.param({"year": True, "month": None, "day": None, "level": None}, id="bool-year"),
        pytest.param({"year": "2015", "month": None, "day": None, "level": None}, id="str-year"),
    ],
)
def test_invalid_queries(kwargs: dict[str, Any]) -> None:
    with pytest.raises(StatisticsError) as info:
        statistics_buckets([], **kwargs)
    assert isinstance(info.value, ValueError)
