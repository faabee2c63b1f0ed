"""Extension routes of the local platform: aggregation, statistics, track simulation.

Registered in every :class:`~flowthings.local.core.platform.Platform`'s
``extensions`` (see ``core.dispatch``). Each handler authorizes itself.

``POST /drop/{flowId}/aggregate``
    Needs ``drop_read`` on the flow; answers ``analytics.aggregate.aggregate`` over
    the flow's stored drops. A malformed request (missing/malformed
    ``output`` or ``groupBy``, bad filter, ...) is a 400.
``GET /statistics/{type}/{id}[/year[/month[/day]]]?level=``
    ``type`` is one of the six series (an unknown one is a 400, like any bad
    segment or level; date segments are ASCII digits). The series of a flow needs ``read`` on the flow's path,
    of a track ``read`` on its ``source``; anything else (identities, deleted
    objects) is the account owner's only. Counts come from the hourly
    ``stat_counts`` counters bucketed with ``statistics_range`` /
    ``bucket_counts``.
``POST /track/simulate``
    ``{"drop": {...}, "js": "..."}`` → ``tracks.engine.simulate``, run in the
    platform's sandbox. Needs the account's master token (it runs code).
    Malformed input or a missing mini-racer is a 400; a failing script is a
    200 with the error in ``log``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowthings.local.analytics.aggregate import AggregationError, aggregate
from flowthings.local.analytics.statistics import (
    SERIES,
    StatisticsError,
    bucket_counts,
    statistics_range,
)
from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import (
    Result,
    bad_request,
    method_not_allowed,
    not_found,
    too_many_requests,
)
from flowthings.local.core.calls import Call, Handler
from flowthings.local.query.interrupt import interruptible
from flowthings.local.tracks.engine import JsUnavailableError, TrackBusyError, TrackError, simulate

if TYPE_CHECKING:
    from flowthings.local.core.auth import Principal
    from flowthings.local.core.platform import Platform

__all__ = ["EXTENSIONS"]


def _aggregate(platform: Platform, p: Principal, call: Call) -> Result:
    if len(call.segments) != 3:
        raise not_found()
    if call.method != "POST":
        raise method_not_allowed()
    flow = platform.flow(p, call.account, call.segments[1])
    platform.authorize(p, "drop_read", call.account, flow["path"])
    try:
        with interruptible():  # a big flow's scan stops past the deadline or when the caller left
            scan = platform.store.scan(call.account, "drop", flow_id=flow["id"], newest_first=False)
            return Result(200, aggregate(list(scan), call.body, now_ms=_ids.now_ms()))
    except AggregationError as exc:
        raise bad_request(str(exc)) from None


def _date(text: str, name: str) -> int:
    # ASCII digits only ("²".isdigit() is true but int() rejects it); no
    # valid date segment has more than 4 digits beyond leading zeros.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > 4:
        raise bad_request(f"The {name} must be a number of at most 4 digits, not {text[:16]!r}.")
    return int(text)


def _statistics(platform: Platform, p: Principal, call: Call) -> Result:
    seg = call.segments
    if not 3 <= len(seg) <= 6:
        raise not_found()
    if call.method != "GET":
        raise method_not_allowed()
    series, oid = seg[1], seg[2]
    if series not in SERIES:
        raise bad_request(f"Unknown statistics type {series!r}; expected one of {sorted(SERIES)}.")
    parts: list[int | None] = [None, None, None]
    for i, (text, name) in enumerate(zip(seg[3:], ("year", "month", "day"), strict=False)):
        parts[i] = _date(text, name)
    level = call.params.get("level")
    platform.authorize(p, "access", call.account)
    path: str | None = None
    if series in ("flowDropAdded", "flowTracked"):
        flow = platform.store.get(call.account, "flow", oid)
        path = flow["path"] if flow else None
    elif series in ("trackHit", "trackPass"):
        track = platform.store.get(call.account, "track", oid)
        path = track.get("source") if track else None
    platform.authorize(p, "read", call.account, path)
    try:
        bounds = statistics_range(
            year=parts[0], month=parts[1], day=parts[2], level=level, now_ms=_ids.now_ms()
        )
    except StatisticsError as exc:
        raise bad_request(str(exc)) from None
    counts = platform.store.stat_counts(call.account, series, oid, bounds[0], bounds[-1])
    return Result(200, bucket_counts(counts, bounds))


def _simulate(platform: Platform, p: Principal, call: Call) -> Result:
    if len(call.segments) != 2:
        raise not_found()
    if call.method != "POST":
        raise method_not_allowed()
    platform.authorize(p, "write", call.account)
    body = call.body if isinstance(call.body, dict) else {}
    try:
        drop: Any = body.get("drop")
        js: Any = body.get("js")
        return Result(200, simulate(drop, js, sandbox=platform.js, account=call.account))
    except TrackBusyError as exc:
        raise too_many_requests(str(exc), exc.retry_after) from None
    except (TrackError, JsUnavailableError) as exc:
        raise bad_request(str(exc)) from None


EXTENSIONS: dict[str, Handler] = {
    "drop/*/aggregate": _aggregate,
    "statistics": _statistics,
    "track/simulate": _simulate,
}
