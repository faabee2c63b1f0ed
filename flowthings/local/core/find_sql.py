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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from flowthings.local.base.elem_class import BOOL, NUMBER
from flowthings.local.query.bounds import date_bounds
from flowthings.local.query.evaluate import DROP_TOP_LEVEL
from flowthings.local.query.params import run_query
from flowthings.local.query.sql import JSONB, SQLITE, Dialect, drop_prefilter

if TYPE_CHECKING:
    from flowthings.local.query.params import Query
    from flowthings.local.storage.engine import Storage

__all__ = ["find_candidates", "find_drops", "side_candidates"]

_UNSAFE: Final = re.compile(r"[\x00-\x1f\"'\\]")
_UNKNOWN: Final = 9
_FIRST_BATCH: Final = 256
_WIDEN: Final = 1e-9
_DRIVE_MAX: Final = 2048
"""Most rows a side-table driver may list for a find to read just those."""


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
    side = bool(getattr(store, "drop_elems", False))
    if side and q.filter is not None:
        few = _selective(store, flow_id, q, newest, since, until, now_ms)
        if few is not None:
            return run_query(few, q, drop=True, now_ms=now_ms)
    # a scan stops once its page is full: testing the JSON of each row it
    # reads is cheaper than looking its elements up (small documents)
    pre = drop_prefilter(q.filter.source, dialect) if q.filter else None
    where, params = (pre.sql, pre.bind(now_ms, flow_id)) if pre else (None, ())
    if q.sort != "creationDate" and dialect is SQLITE:
        picked = (
            side_candidates(
                store, flow_id, q, where=where, params=params, since=since, until=until,
                now_ms=now_ms,
            )
            if side
            else None
        )  # fmt: skip
        if picked is None:
            picked = find_candidates(
                store, flow_id, q, where=where, params=params, since=since, until=until,
                now_ms=now_ms,
            )  # fmt: skip
        if picked is not None:
            return run_query(picked, q, drop=True, now_ms=now_ms)
    drops = store.scan(
        account, "drop", flow_id=flow_id, newest_first=newest, since=since, until=until,
        where=where, params=params,
    )  # fmt: skip
    return run_query(drops, q, drop=True, now_ms=now_ms)


def _selective(
    store: Storage,
    flow_id: str,
    q: Query,
    newest: bool,
    since: float | None,
    until: float | None,
    now_ms: int,
) -> Iterator[dict[str, Any]] | None:
    """The rows a selective side-table filter keeps, in scan order; ``None`` if not selective.

    Each driver (``Prefilter.drivers``) lists a superset of the kept rows from
    the ``drop_elems`` index; their sizes are probed (at most
    :data:`_DRIVE_MAX` index entries each). Reading the smallest one's ``k``
    rows by rowid beats a scan when ``k`` is below the rows a scan would read
    to fill the page (``page * drops / k``, matches spread evenly): then those
    rows are read (``+flow_id`` keeps SQLite from walking the flow's index
    instead) and sorted; otherwise the caller scans.
    """
    assert q.filter is not None
    pre = drop_prefilter(q.filter.source, elems_table=True)
    if pre is None or not pre.drivers:
        return None
    best: tuple[int, str, tuple[Any, ...]] | None = None
    for sql, dparams in pre.bound_drivers(now_ms, flow_id):
        [(k,)] = store.select(f"SELECT count(*) FROM ({sql} LIMIT {_DRIVE_MAX})", dparams)
        if best is None or k < best[0]:
            best = (k, sql, dparams)
    assert best is not None
    k, driver, dparams = best
    page = max(1, q.skip + q.limit) if q.sort == "creationDate" else store.count_drops(flow_id)
    if k >= _DRIVE_MAX or k * k > page * store.count_drops(flow_id):
        return None
    cond, args = _conditions(since, until, pre.sql, pre.bind(now_ms, flow_id))
    direction = "DESC" if newest else "ASC"
    rows = store.select(
        f"SELECT data FROM objects WHERE seq IN ({driver}) AND +flow_id = ?"
        f" AND kind = 'drop'{cond} ORDER BY creation_date {direction}, seq {direction}",
        (*dparams, flow_id, *args),
    )
    return (store.decode(data) for (data,) in rows)


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
    cond, args = _conditions(since, until, where, params)
    sql = (
        f"SELECT cls, key, creation_date, seq, data FROM ("
        f"SELECT {cls} AS cls, {value} AS key, creation_date, seq, data"
        f" FROM objects WHERE flow_id = ? AND kind = 'drop'{cond})"
        f" ORDER BY cls = {_UNKNOWN} DESC, {_key_order('cls', 'key', q)} LIMIT ? OFFSET ?"
    )
    if q.skip + q.limit == 0:
        return []
    return _read_in_key_order(store, sql, (flow_id, *args), q, now_ms, {})


def _conditions(
    since: float | None, until: float | None, where: str | None, params: tuple[Any, ...]
) -> tuple[str, tuple[Any, ...]]:
    cond = ""
    args: tuple[Any, ...] = ()
    if since is not None:
        cond, args = cond + " AND creation_date >= ?", (*args, since)
    if until is not None:
        cond, args = cond + " AND creation_date <= ?", (*args, until)
    if where is not None:
        cond, args = cond + f" AND ({where})", (*args, *params)
    return cond, args


def side_candidates(
    store: Storage,
    flow_id: str,
    q: Query,
    *,
    where: str | None,
    params: tuple[Any, ...],
    since: float | None,
    until: float | None,
    now_ms: int,
) -> list[dict[str, Any]] | None:
    """:func:`find_candidates` reading sort keys from the ``drop_elems`` side table.

    Same contract, same candidates, but no document is parsed to find them:
    known rows (a number, string or boolean element) come in sort order from
    the ``(flow, elem, cls, val)`` index; unknown rows (no such element, or an
    object, array, null or opaque value) are the flow's other drops. ``None``
    when the sort is not by one top-level element (the caller falls back).
    """
    path = _sort_path(q.sort)
    if path is None or len(path) != 2:
        return None
    if q.skip + q.limit == 0:
        return []
    name = path[1]
    cond, args = _conditions(since, until, where, params)
    known = f"cls BETWEEN {NUMBER} AND {BOOL}"
    picked: dict[int, tuple[int, dict[str, Any]]] = {}
    # unknown rows are always candidates; skipped when every drop has a known key
    n_known = store.select(
        f"SELECT count(*) FROM drop_elems WHERE flow = ? AND elem = ? AND {known}",
        (flow_id, name),
    )[0][0]
    if cond or n_known != store.count_drops(flow_id):
        unknown = store.select(
            f"SELECT creation_date, seq, data FROM objects WHERE flow_id = ? AND kind = 'drop'"
            f"{cond} AND seq NOT IN (SELECT drop_seq FROM drop_elems"
            f" WHERE flow = ? AND elem = ? AND {known})",
            (flow_id, *args, flow_id, name),
        )
        for created, seq, data in unknown:
            picked[seq] = (created, store.decode(data))
    sql = (
        f"SELECT e.cls, e.val, o.creation_date, o.seq, o.data"
        f" FROM drop_elems AS e JOIN objects AS o ON o.seq = e.drop_seq"
        f" WHERE e.flow = ? AND e.elem = ? AND e.{known}{cond}"
        f" ORDER BY {_key_order('e.cls', 'e.val', q)} LIMIT ? OFFSET ?"
    )
    return _read_in_key_order(store, sql, (flow_id, name, *args), q, now_ms, picked)


def _key_order(cls: str, key: str, q: Query) -> str:
    """The ``ORDER BY`` terms of known rows: sort class, then value, in ``q``'s direction."""
    direction = "DESC" if q.descending else "ASC"
    return f"{cls} {direction}, {key} {direction}"


def _read_in_key_order(
    store: Storage,
    sql: str,
    args: tuple[Any, ...],
    q: Query,
    now_ms: int,
    picked: dict[int, tuple[int, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Read the rows of ``sql`` (``cls, key, creation_date, seq, data``, in
    `_key_order`, paged by a trailing ``LIMIT ? OFFSET ?``) into ``picked`` until
    ``skip + limit`` known rows matched and the rows tying with the last one were
    read; unknown rows (class `_UNKNOWN`) are always candidates. The candidates,
    in scan order."""
    end = q.skip + q.limit
    flt = q.filter
    matched = 0
    boundary: tuple[int, Any] | None = None
    offset, batch = 0, max(_FIRST_BATCH, 2 * end)
    while True:
        rows = store.select(sql, (*args, batch, offset))
        for row_cls, key, created, seq, data in rows:
            # keyed by seq: a write between two batches shifts OFFSET, so a row may come twice
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
