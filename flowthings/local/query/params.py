"""Query parameters of finds and how results are shaped.

Choices where the docs are silent (``rest-api.md`` §5, ``filter-language.md`` §6):

* ``limit`` defaults to 20 and is capped at 1000 (a larger value returns at
  most 1000 results rather than failing); ``limit=0`` returns nothing.
* ``start`` and ``skip`` are both accepted as the offset (``start`` wins).
  ``start``, ``skip`` and ``limit`` above ``MAX_OFFSET`` (10**15) are 400s.
* Default order is newest first by ``creationDate`` (ties broken by insertion
  order); ``sort`` names any (dotted) member, ``order`` is ``asc``/``desc``.
  Objects missing the sort member come last in both directions.
* ``only`` is a comma list (or JSON list) of at most ``MAX_ONLY`` (100)
  (dotted) members; ``id`` is always kept.
* ``refs=1`` fills ``head.references`` with id → object for each drop's
  ``flowId`` and each object's ``creatorId`` the caller may read.
* Element rendering (``hints``): ``/v0.1`` renders drops typed unless
  ``hints`` is ``0``/``false``; then, and always on ``/v4.0``, elements are
  rendered plain (typed ones unwrapped). The rule lives in ``query.elements``;
  :func:`render_drop` is re-exported here for the transports.
* Malformed values of known parameters (``limit=abc``, ``order=up``, a bad
  ``filter``) are 400s; unknown parameters are ignored.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final

from flowthings.local.base.envelope import bad_request
from flowthings.local.query.elements import render_drop
from flowthings.local.query.evaluate import MISSING, resolve

if TYPE_CHECKING:
    from flowthings.local.query.parser import CompiledFilter

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "Query",
    "compile_filter",
    "filter_problem",
    "parse_query",
    "project",
    "render_drop",
    "run_query",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
MAX_OFFSET = 10**15
MAX_ONLY = 100
"""Most members one ``only`` may name (more is a 400)."""
"""Largest ``start``/``skip``/``limit`` value accepted; larger is a 400 (SQLite
integers stop at 2**63 - 1, and no flow holds anywhere near this many drops)."""
_TRUE = {"1", "true", "True", "TRUE", "yes"}
_FALSE = {"0", "false", "False", "FALSE", "no"}


def _compile(text: str) -> CompiledFilter | str:
    """Return the compiled filter (``parse_filter`` caches) or the problem text."""
    from flowthings.local.query.parser import FilterSyntaxError, parse_filter

    try:
        return parse_filter(text)
    except FilterSyntaxError as exc:
        return str(exc) or "syntax error"


def filter_problem(text: str) -> str | None:
    """Return why ``text`` is not a valid filter, or ``None`` if it is."""
    c = _compile(text)
    return c if isinstance(c, str) else None


def compile_filter(text: str) -> CompiledFilter:
    """Compile ``text`` (cached); a syntax error is a 400."""
    c = _compile(text)
    if isinstance(c, str):
        raise bad_request(f"Invalid filter: {c}")
    return c


@dataclass(frozen=True)
class Query:
    """Parsed find parameters."""

    filter: CompiledFilter | None = None
    skip: int = 0
    limit: int = DEFAULT_LIMIT
    sort: str = "creationDate"
    descending: bool = True
    only: tuple[str, ...] | None = None
    refs: bool = False
    typed: bool = False
    """Render drop elements typed (``/v0.1`` unless ``hints=0``); else plain."""


def _flag(params: Mapping[str, Any], name: str, default: bool) -> bool:
    v = params.get(name)
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    if str(v) in _TRUE | _FALSE:  # also the JSON ints 0 and 1 (MGET/WS params)
        return str(v) in _TRUE
    raise bad_request(f"'{name}' must be 0/1 or true/false.")


def _int(params: Mapping[str, Any], name: str, default: int) -> int:
    v = params.get(name)
    if v is None:
        return default
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, str))
        or (isinstance(v, str) and not v.isascii())
    ):
        raise bad_request(f"'{name}' must be a non-negative integer.")
    try:
        n = int(v)
    except ValueError:
        raise bad_request(f"'{name}' must be a non-negative integer.") from None
    if not 0 <= n <= MAX_OFFSET:
        raise bad_request(f"'{name}' must be an integer from 0 to {MAX_OFFSET}.")
    return n


def parse_query(params: Mapping[str, Any], *, version: str = "0.1") -> Query:
    """Parse query parameters (strings from a URL, or JSON values from MGET/WS)."""
    if not params:  # most writes: the defaults, typed elements on v0.x
        return _TYPED_DEFAULTS if version.startswith("0.") else _PLAIN_DEFAULTS
    f = params.get("filter")
    if f is not None and not isinstance(f, str):
        raise bad_request("'filter' must be a string.")
    order = params.get("order")
    if order is not None and str(order).lower() not in ("asc", "desc"):
        raise bad_request("'order' must be 'asc' or 'desc'.")
    sort = params.get("sort") or "creationDate"
    if not isinstance(sort, str):
        raise bad_request("'sort' must be a member name.")
    only = params.get("only")
    if isinstance(only, str):
        only_t: tuple[str, ...] | None = tuple(s.strip() for s in only.split(",") if s.strip())
    elif isinstance(only, list) and all(isinstance(s, str) for s in only):
        only_t = tuple(only)
    elif only is None:
        only_t = None
    else:
        raise bad_request("'only' must be a comma-separated list of members.")
    if only_t is not None and len(only_t) > MAX_ONLY:
        raise bad_request(f"'only' may name at most {MAX_ONLY} members.")
    skip = _int(params, "start", -1)
    return Query(
        filter=compile_filter(f) if f else None,
        skip=skip if skip >= 0 else _int(params, "skip", 0),
        limit=min(_int(params, "limit", DEFAULT_LIMIT), MAX_LIMIT),
        sort=sort,
        descending=str(order or "desc").lower() == "desc",
        only=only_t,
        refs=_flag(params, "refs", False),
        typed=version.startswith("0.") and _flag(params, "hints", True),
    )


_TYPED_DEFAULTS: Final = Query(typed=True)
_PLAIN_DEFAULTS: Final = Query(typed=False)


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, (int, float)):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    return (3, repr(v))


def run_query(
    objects: Iterable[dict[str, Any]], q: Query, *, drop: bool, now_ms: int
) -> list[dict[str, Any]]:
    """Filter, sort and page ``objects`` (given newest first unless sorted otherwise).

    When sorting by ``creationDate`` the input must already be in the requested
    order, so the scan stops as soon as the page is full.
    """
    flt = q.filter
    matching: Iterable[dict[str, Any]] = (
        objects if flt is None else (o for o in objects if flt.matches(o, now_ms=now_ms, drop=drop))
    )
    end = q.skip + q.limit
    if q.sort != "creationDate":
        # Only the first `end` objects in sort order are needed: stream them
        # through a heap of that size (heapq.nsmallest/nlargest equal
        # sorted(...)[:end], ties kept in input order) instead of sorting
        # everything. Keeping every decoded object alive until a full sort
        # also made the cyclic GC re-walk them all, over and over.
        path = q.sort.split(".")
        missing: list[dict[str, Any]] = []

        def keyed() -> Iterator[tuple[tuple[int, Any], dict[str, Any]]]:
            for o in matching:
                v = resolve(o, path, drop=drop)
                if v is not MISSING:
                    yield _sort_key(v), o
                elif len(missing) < end:
                    missing.append(o)

        pick = heapq.nlargest if q.descending else heapq.nsmallest
        top = [o for _, o in pick(end, keyed(), key=itemgetter(0))]
        matching = top + missing[: end - len(top)]
    return list(islice(matching, q.skip, end))


def project(obj: dict[str, Any], only: tuple[str, ...] | None) -> dict[str, Any]:
    """Keep ``id`` and the ``only`` members of ``obj`` (dotted names nest)."""
    if not only:
        return obj
    out: dict[str, Any] = {"id": obj["id"]} if "id" in obj else {}
    for name in only:
        src: Any = obj
        dst = out
        parts = name.split(".")
        for i, part in enumerate(parts):
            if not isinstance(src, dict) or part not in src:
                break
            src = src[part]
            if i == len(parts) - 1:
                dst[part] = src
            else:
                nxt = dst.setdefault(part, {})
                if not isinstance(nxt, dict):
                    break
                dst = nxt
    return out
