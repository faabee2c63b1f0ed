"""Statistics engine of the local platform: series names, time buckets, event log.

Pure and transport-independent: the core keeps hourly counters
(``Store.bump``) and answers ``GET /statistics/<series>/<id>[/y[/m[/d]]]``
with :func:`statistics_range` and :func:`bucket_counts`.  It follows ``platform/aggregation-statistics.md`` §2
and settles what the docs leave open as follows:

Time zone
    Every bucket boundary is computed in UTC.
Range
    ``year`` → that calendar year; ``year+month`` → that month;
    ``year+month+day`` → that day.  No date segment at all → the current UTC
    year (from ``now_ms``, default the wall clock).  ``month`` without
    ``year`` or ``day`` without ``month`` is an error.
Default bucket size
    One level below the range: a year gives 12 monthly buckets, a month one
    bucket per day of that month (28-31), a day 24 hourly buckets.
``level``
    ``YEAR``, ``MONTH``, ``DAY`` or ``HOUR``, case-insensitive; it sets the
    bucket size *within* the queried range (``/2015?level=DAY`` → 365 daily
    buckets, ``/2016?level=HOUR`` → 8784).  A level equal to or coarser than
    the range (``/2015?level=YEAR``, ``/2015/12/1?level=year`` — the official
    python client's own test uses the latter) gives **one** bucket covering the
    queried range; it never widens the range.  Any other level is an error.
Validation
    ``year`` must be within 1970-9999 (epoch-based storage), ``month`` 1-12,
    ``day`` a real day of that month (``2015/2/29`` is an error); values must
    be ints (``bool`` is rejected).  Errors raise :class:`StatisticsError`
    (a ``ValueError``) whose message suits a 400 envelope.
Result
    A list of ints, one per bucket, oldest first.  Timestamps outside the
    range are ignored.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as _dt
import time
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "API_CALL_BY_IDENTITY",
    "DROP_CREATED_BY",
    "FLOW_DROP_ADDED",
    "FLOW_TRACKED",
    "LEVELS",
    "SERIES",
    "TRACK_HIT",
    "TRACK_PASS",
    "StatisticsError",
    "bucket_counts",
    "statistics_range",
]

FLOW_DROP_ADDED: Final = "flowDropAdded"
"""Drops added to a flow (object id: the flow), including drops written by tracks."""
FLOW_TRACKED: Final = "flowTracked"
"""Drops a track wrote into a flow (object id: the destination flow)."""
TRACK_HIT: Final = "trackHit"
"""A drop reached a track (object id: the track), before its filter."""
TRACK_PASS: Final = "trackPass"
"""A drop passed a track's filter and its JS ran without error (object id: the track)."""
API_CALL_BY_IDENTITY: Final = "apiCallByIdentity"
"""An authenticated API call (object id: the calling identity)."""
DROP_CREATED_BY: Final = "dropCreatedBy"
"""A drop created by an API call (object id: the creating identity)."""

SERIES: Final = frozenset(
    {FLOW_DROP_ADDED, FLOW_TRACKED, TRACK_HIT, TRACK_PASS, API_CALL_BY_IDENTITY, DROP_CREATED_BY}
)
"""The six statistics series names (``statisticType`` URL segment)."""

LEVELS: Final = ("YEAR", "MONTH", "DAY", "HOUR")
"""Bucket levels, coarsest first."""

_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 24 * _HOUR_MS
_EPOCH_ORDINAL: Final = _dt.date(1970, 1, 1).toordinal()
_MIN_YEAR: Final = 1970
_MAX_YEAR: Final = 9999


class StatisticsError(ValueError):
    """An invalid statistics query (bad date segment or level); message for a 400."""


def _day_ms(year: int, month: int, day: int) -> int:
    """Epoch ms of 00:00 UTC on the given date."""
    return (_dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL) * _DAY_MS


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StatisticsError(f"{name} must be an integer, not {value!r}")
    return value


def _level_index(level: str | None) -> int | None:
    if level is None:
        return None
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise StatisticsError(
            f"unknown level {level!r}; expected one of {', '.join(LEVELS)} (any case)"
        )
    return LEVELS.index(level.upper())


def statistics_range(
    *,
    year: int | None,
    month: int | None,
    day: int | None,
    level: str | None,
    now_ms: int | None = None,
) -> list[int]:
    """Return the bucket boundaries of a statistics query.

    Args:
        year: Year segment, or ``None`` for the current UTC year.
        month: Month segment (1-12), or ``None``.
        day: Day segment (1-31, valid for the month), or ``None``.
        level: ``YEAR|MONTH|DAY|HOUR`` (any case) or ``None`` for the default.
        now_ms: "Now" in epoch ms, used only when no date segment is given.

    Returns:
        ``n + 1`` increasing epoch-ms boundaries for ``n`` buckets; bucket ``i``
        is ``[b[i], b[i+1])``, so the range is ``[b[0], b[-1])``.

    Raises:
        StatisticsError: Invalid segment, combination or level.
    """
    wanted = _level_index(level)
    if year is None:
        if month is not None or day is not None:
            raise StatisticsError("a month or day needs a year")
        now = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        year = _dt.datetime.fromtimestamp(now / 1000, tz=_dt.timezone.utc).year
    year = _check_int("year", year)
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise StatisticsError(f"year must be between {_MIN_YEAR} and {_MAX_YEAR}, not {year}")
    if month is None and day is not None:
        raise StatisticsError("a day needs a month")
    if month is not None:
        month = _check_int("month", month)
        if not 1 <= month <= 12:
            raise StatisticsError(f"month must be between 1 and 12, not {month}")
    if day is not None:
        assert month is not None
        day = _check_int("day", day)
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise StatisticsError(f"day must be between 1 and {last} for {year}-{month:02d}")

    # The range's own level: 0 year, 1 month, 2 day.
    span = 0 if month is None else 1 if day is None else 2
    size = span + 1 if wanted is None else wanted
    if month is None:
        start_day, n_days = (year, 1, 1), 366 if calendar.isleap(year) else 365
    elif day is None:
        start_day, n_days = (year, month, 1), calendar.monthrange(year, month)[1]
    else:
        start_day, n_days = (year, month, day), 1
    start = _day_ms(*start_day)
    end = start + n_days * _DAY_MS
    if size <= span:
        return [start, end]
    if size == 3:
        return list(range(start, end + 1, _HOUR_MS))
    if size == 2:
        return list(range(start, end + 1, _DAY_MS))
    # Monthly buckets over a year.
    return [_day_ms(year, m, 1) for m in range(1, 13)] + [end]


def bucket_counts(counts: Iterable[tuple[int, int]], boundaries: Sequence[int]) -> list[int]:
    """Sum weighted timestamps into the buckets given by *boundaries*.

    Args:
        counts: ``(timestamp_ms, n)`` pairs, e.g. hourly counters.
        boundaries: From :func:`statistics_range`.

    Returns:
        One int per bucket; pairs outside the range are ignored.
    """
    out = [0] * (len(boundaries) - 1)
    lo, hi = boundaries[0], boundaries[-1]
    for ts, n in counts:
        if lo <= ts < hi:
            out[bisect.bisect_right(boundaries, ts) - 1] += n
    return out
