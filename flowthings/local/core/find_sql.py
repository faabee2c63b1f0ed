"""Drop finds that let SQLite filter and sort, decoding only what may be returned.

:func:`find_candidates` returns a *candidate list* for ``run_query``: every
drop that can be in the requested page (and possibly a few more), in the
order the full scan would have given them.  ``run_query`` then applies the
exact filter, sort and page, so answers are identical to a full scan.

Filter
    the conservative condition of ``_filter_sql`` restricts the rows SQLite
    hands back (never excluding a true match).
Sort by an element (``sort=elems.n`` or ``sort=n``)
    SQLite classifies each row's sort value the way ``_query._sort_key``
    orders it: numbers (0), strings (1), booleans (2).  A row is *known*
    when the element is one of those JSON scalars at its plain path (then
    the evaluator resolves it to exactly that value); anything else (typed
    wrappers, objects, ``null``, a missing element) is *unknown* and always a
    candidate.  Known rows are read in SQL order, decoded and filtered
    exactly until ``skip + limit`` of them match; reading continues through
    rows whose key ties with the last one (numbers within a relative 1e-9,
    in case SQLite parses a float one ulp away from Python), then stops:
    every later known row is strictly worse than a whole page of matches.
    Strings compare the same in both (UTF-8 byte order is code point order).

Sorts by a drop member (``path``, ``lastEditDate``...) or through a ``value``
segment return ``None``: the caller scans everything as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from flowthings.local.query.bounds import date_bounds
from flowthings.local.query.evaluate import DROP_TOP_LEVEL
from flowthings.local.query.params import run_query
from flowthings.local.query.sql import JSONB, SQLITE, Dialect, drop_prefilter

if TYPE_CHECKING:
    from flowthings.local.query.params import Query
    from flowthings.local.storage.engine import Storage

__all__ = ["find_candidates", "find_drops"]

_UNSAFE: Final = re.compile(r"[\x00-\x1f\"'\\]")
_UNKNOWN: Final = 9
_FIRST_BATCH: Final = 256
_WIDEN: Final = 1e-9


def find_drops(
    store: Storage, account: str, flow_id: str, q: Query, *, now_ms: int
) -> list[dict[str, Any]]:
    """The page of drops of ``flow_id`` that find ``q`` returns (filtered, sorted, paged).

    Identical to ``run_query`` over every drop of the flow; SQLite evaluates
    the conservative filter (and orders element sorts) so only rows that may
    be returned are decoded.
    """
    newest = q.descending or q.sort != "creationDate"
    since, until = date_bounds(q.filter.source) if q.filter else (None, None)
    # PostgreSQL (several processes) filters through jsonb; its element sorts
    # are left to Python (the candidate SQL below is SQLite's)
    dialect = JSONB if store.dialect == "postgresql" else SQLITE
    pre = drop_prefilter(q.filter.source, dialect) if q.filter else None
    where, params = (pre.sql, pre.bind(now_ms)) if pre else (None, ())
    if q.sort != "creationDate" and dialect is SQLITE:
        picked = find_candidates(
            store, flow_id, q, where=where, params=params, since=since, until=until, now_ms=now_ms
        )
        if picked is not None:
            return run_query(picked, q, drop=True, now_ms=now_ms)
    drops = store.scan(
        account, "drop", flow_id=flow_id, newest_first=newest, since=since, until=until,
        where=where, params=params,
    )  # fmt: skip
    return run_query(drops, q, drop=True, now_ms=now_ms)


def _sort_path(sort: str) -> tuple[str, ...] | None:
    segments = sort.split(".")
    if not all(segments) or "value" in segments:
        return None
    if any(_UNSAFE.search(s) for s in segments):
        return None  # quotes would end the JSON label or the SQL string; NUL ends SQL text
    if segments[0] == "elems":
        return tuple(segments)
    if segments[0] in DROP_TOP_LEVEL:
        return None  # a drop member, or elems when the drop lacks it: let Python decide
    return ("elems", *segments)


def find_candidates(
    store: Storage,
    flow_id: str,
    q: Query,
    *,
    where: str | None,
    params: tuple[Any, ...],
    since: float | None,
    until: float | None,
    now_ms: int,
    dialect: Dialect = SQLITE,
) -> list[dict[str, Any]] | None:
    """The drops of ``flow_id`` that may be in the page of sorted find ``q``.

    Args:
        store: The platform store.
        flow_id: The flow searched.
        q: The find (its ``sort`` is not ``creationDate``).
        where: The conservative SQL filter condition, or ``None``.
        params: Its parameters.
        since: Lowest ``creationDate`` a match may have (``_filter_bounds``).
        until: Highest ``creationDate`` a match may have.
        now_ms: The query time (for ``AGE``).
        dialect: SQL spelling.

    Returns:
        Candidates, newest first (the full scan's order), or ``None`` when
        the sort member is not one SQL can order.
    """
    path = _sort_path(q.sort)
    if path is None:
        return None
    kind, value = dialect.type_of(path), dialect.extract(path)
    # SQLite's JSON functions cut a string at an escaped NUL: such rows are unknown
    text = f"CASE WHEN instr(data, '\\u0000') > 0 THEN {_UNKNOWN} ELSE 1 END"
    cls = (
        f"CASE {kind} WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN {text}"
        f" WHEN 'true' THEN 2 WHEN 'false' THEN 2 ELSE {_UNKNOWN} END"
    )
    cond = "flow_id = ? AND kind = 'drop'"
    args: list[Any] = [flow_id]
    if since is not None:
        cond += " AND creation_date >= ?"
        args.append(since)
    if until is not None:
        cond += " AND creation_date <= ?"
        args.append(until)
    if where is not None:
        cond += f" AND ({where})"
        args.extend(params)
    direction = "DESC" if q.descending else "ASC"
    sql = (
        f"SELECT cls, key, creation_date, seq, data FROM ("
        f"SELECT {cls} AS cls, {value} AS key, creation_date, seq, data"
        f" FROM objects WHERE {cond})"
        f" ORDER BY cls = {_UNKNOWN} DESC, cls {direction}, key {direction} LIMIT ? OFFSET ?"
    )
    end = q.skip + q.limit
    if end == 0:
        return []
    flt = q.filter
    # keyed by seq: a write between two batches shifts OFFSET, so a row may come twice
    picked: dict[int, tuple[int, dict[str, Any]]] = {}
    matched = 0
    boundary: tuple[int, Any] | None = None
    offset, batch = 0, max(_FIRST_BATCH, 2 * end)
    while True:
        rows = store.select(sql, (*args, batch, offset))
        for row_cls, key, created, seq, data in rows:
            if seq in picked:
                continue
            if row_cls == _UNKNOWN:
                picked[seq] = (created, store.decode(data))
                continue
            if boundary is not None and not _within(boundary, row_cls, key, q.descending):
                return _in_scan_order(picked)
            obj = store.decode(data)
            if flt is not None and not flt.matches(obj, now_ms=now_ms, drop=True):
                continue
            picked[seq] = (created, obj)
            matched += 1
            if matched == end:
                boundary = (row_cls, key)
        if len(rows) < batch:
            return _in_scan_order(picked)
        offset += batch
        batch *= 4


def _within(boundary: tuple[int, Any], row_cls: int, key: Any, descending: bool) -> bool:
    """Whether a row may still tie with (or beat) the page's last match."""
    b_cls, b_key = boundary
    if row_cls != b_cls:
        return False
    if b_cls != 0:
        return bool(key == b_key)
    slack = abs(b_key) * _WIDEN + 1e-300
    return bool(key >= b_key - slack) if descending else bool(key <= b_key + slack)


def _in_scan_order(picked: dict[int, tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    order = sorted(picked, key=lambda seq: (picked[seq][0], seq), reverse=True)
    return [picked[seq][1] for seq in order]
