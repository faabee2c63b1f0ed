"""`find_iter`: stream every match of a find, page by page, with a cursor.

The paging logic is sans-I/O: :class:`Pager` only answers "given the pages
seen so far, what is the next request" (:meth:`Pager.next_request`) and "which
items of this page are new" (:meth:`Pager.feed`). A service describes one
iteration as a :class:`Paged` (its page request, the pager, the item parser);
the sync door runs it with `iterate`, the asyncio door with `aiterate`, the
green door (``flowthings.green``) with a prefetching green thread.

Why a cursor and not a growing ``start``: while devices keep writing, an
offset shifts under the reader (a new drop sorted before the offset pushes an
old one onto the next page twice, a deleted one makes the reader skip one).
A cursor asks for "what comes after the last item seen" in the platform's own
filter language, so it does not move when others write.

How it pages (sort member ``k``, direction ``>`` for ``asc``, ``<`` for
``desc``):

1. *main*: ``filters && k > K`` sorted by ``k`` (no cursor on the first
   page). The trailing items sharing the page's last value ``K'`` may be cut
   by the page end, so they are held back; the rest are emitted.
2. *ties*: ``filters && k == K'`` sorted by ``id``, paged on ``id > I``; then
   back to *main* with ``k > K'``. Ids are unique, so this needs nothing from
   the platform beyond sorting by one member (how it breaks ties does not
   matter).
3. *missing*: objects without the member (the platform puts them last):
   ``filters && NOT EXISTS k`` paged on ``id`` (skipped for ``id`` and
   ``creationDate``, which every object has).

Guarantee: every object that matches the filters and exists, with the same
sort value, for the whole iteration is yielded exactly once, in the requested
order of the sort member; objects added or removed meanwhile may or may not
appear (each at most once). An object whose sort member changes during the
iteration may be missed or seen twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast

from .._errors import FlowThingsError
from ..filters import EXISTS, NOT, Filter, Member, as_filter, mem
from ._params import JSONObject, References, merged

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "FindPage",
    "PageRequest",
    "Paged",
    "Pager",
    "iterate",
    "sort_value",
]

MAX_PAGE_SIZE = 1000
"""The largest page the local platform answers (a bigger ``limit`` is cut to it)."""

DEFAULT_PAGE_SIZE = 200

_ALWAYS_PRESENT = frozenset({"id", "creationDate"})
_OFFSETS = ("start", "skip")
Phase = Literal["main", "ties", "missing", "done"]


@dataclass(frozen=True)
class PageRequest:
    """One find to make: positional filters (AND-ed) and query parameters."""

    filters: tuple[Filter | str, ...]
    params: dict[str, Any]


@dataclass
class Pager:
    """The cursor state machine of `find_iter` (no I/O).

    Args:
        filters: The caller's filters (AND-ed with the cursor).
        params: The caller's other query parameters; ``sort`` (default
            ``creationDate``), ``order`` (default ``desc``, the platform's),
            ``only`` and ``limit`` (the most items to yield in all).
        page_size: Items per request, 1 to `MAX_PAGE_SIZE`.

    Raises:
        TypeError: On ``start``/``skip`` (offsets defeat the cursor) or ``refs``.
        ValueError: On a bad ``page_size``, ``order`` or ``limit``.
    """

    filters: tuple[Filter | str, ...]
    params: dict[str, Any]
    page_size: int = DEFAULT_PAGE_SIZE
    phase: Phase = "main"
    key: Any = None
    """The sort value after which *main* continues (``None``: from the start)."""
    tie_key: Any = None
    last_id: str | None = None
    remaining: int | None = None
    emitted: int = 0
    _sort: str = field(init=False, default="creationDate")
    _descending: bool = field(init=False, default=True)
    _kind: type | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        # extra_params merged first: an offset hidden there defeats the cursor too.
        params = merged(self.params)
        for name in _OFFSETS:
            if name in params:
                raise TypeError(f"find_iter() pages with a cursor; {name}= is not accepted")
        if params.get("refs"):
            raise TypeError("find_iter() does not return references; use find_many(refs=True)")
        params.pop("refs", None)
        size = self.page_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be an int from 1 to {MAX_PAGE_SIZE}")
        limit = params.pop("limit", None)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError("limit must be an int >= 0 (the most items to yield)")
            self.remaining = limit
        sort = params.pop("sort", None) or "creationDate"
        if not isinstance(sort, str):
            raise TypeError("sort must be a member name")
        order = str(params.pop("order", "desc")).lower()
        if order not in ("asc", "desc"):
            raise ValueError("order must be 'asc' or 'desc'")
        self._sort, self._descending = sort, order == "desc"
        only = params.get("only")
        if only is not None:
            names = [only] if isinstance(only, str) else list(only)
            wanted = [n for part in names for n in str(part).split(",") if n]
            # The cursor reads the sort member and the id of every item.
            params["only"] = list(dict.fromkeys([*wanted, "id", sort]))
        filters = self.filters
        if "filter" in params:
            if filters:
                raise TypeError("pass filters either positionally or as filter=, not both")
            filters = (params.pop("filter"),)
        self.filters = tuple(as_filter(f) if isinstance(f, str) else f for f in filters)
        self.params = params
        if self.remaining == 0:
            self.phase = "done"

    @property
    def sort(self) -> str:
        """The sort member."""
        return self._sort

    @property
    def order(self) -> str:
        """``asc`` or ``desc``."""
        return "desc" if self._descending else "asc"

    def next_request(self) -> PageRequest | None:
        """The next find to make, or ``None`` when the iteration is over."""
        if self.phase == "done":
            return None
        limit = self.page_size
        if self.remaining is not None:
            limit = min(limit, self.remaining - self.emitted)
        member = mem[self._sort]
        extra: list[Filter] = []
        sort = self._sort
        if self.phase == "main":
            if self.key is not None:
                extra.append(self._after(member, self.key))
        else:
            sort = "id"
            if self.phase == "ties":
                extra.append(member == self.tie_key)
            else:
                extra.append(NOT(EXISTS(self._sort)))
            if self.last_id is not None:
                extra.append(self._after(mem.id, self.last_id))
        params = {**self.params, "sort": sort, "order": self.order, "limit": limit}
        return PageRequest((*self.filters, *extra), params)

    def _after(self, member: Member, value: Any) -> Filter:
        node: Filter = member < value if self._descending else member > value
        return node

    def feed(self, page: Sequence[JSONObject]) -> list[JSONObject]:
        """Take the answer to `next_request`; return the items to yield, in order."""
        if self.phase == "done":
            raise RuntimeError("the iteration is over")
        request_limit = self.page_size
        if self.remaining is not None:
            request_limit = min(request_limit, self.remaining - self.emitted)
        full = len(page) >= request_limit
        if self.phase == "main":
            out = self._feed_main(list(page), full)
        else:
            out = list(page)
            if page:
                self.last_id = _id_of(page[-1])
            if not full:
                self._next_phase()
        if self.remaining is not None:
            out = out[: self.remaining - self.emitted]
            if self.emitted + len(out) >= self.remaining:
                self.phase = "done"
        self.emitted += len(out)
        return out

    def _feed_main(self, page: list[JSONObject], full: bool) -> list[JSONObject]:
        keyed: list[JSONObject] = []
        values: list[Any] = []
        for item in page:
            value = sort_value(item, self._sort)
            if value is _MISSING:
                # Objects without the member come last: every keyed one was sent.
                full = False
                break
            self._check_kind(value)
            keyed.append(item)
            values.append(value)
        if not full:
            self._next_phase()
            return keyed
        if self._sort == "id":  # unique: no ties to fetch
            self.key = values[-1]
            return keyed
        last = values[-1]
        cut = len(values)
        while cut and values[cut - 1] == last:
            cut -= 1
        self.phase, self.tie_key, self.last_id = "ties", last, None
        return keyed[:cut]

    def _check_kind(self, value: Any) -> None:
        # A filter orders numbers with numbers and strings with strings only:
        # `k > 5` never matches 'a', so a member holding both would lose items.
        kind = str if isinstance(value, str) else float
        if self._kind is None:
            self._kind = kind
        elif kind is not self._kind:
            raise FlowThingsError(
                f"find_iter() cannot page on {self._sort!r}: it holds both numbers and strings"
            )

    def _next_phase(self) -> None:
        """Leave the current phase after a short page."""
        if self.phase == "ties":
            self.phase, self.key = "main", self.tie_key
        elif self.phase == "main" and self._sort not in _ALWAYS_PRESENT:
            self.phase, self.last_id = "missing", None
        else:
            self.phase = "done"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _id_of(item: object) -> str:
    ident = (_members(item) or {}).get("id")
    if not isinstance(ident, str):
        raise FlowThingsError("find_iter() needs the id of every item; the platform sent none")
    return ident


def _members(obj: object) -> Mapping[str, Any] | None:
    """``obj`` as a JSON object (string keys), or ``None`` when it is not one."""
    return cast("Mapping[str, Any]", obj) if isinstance(obj, Mapping) else None


def _typed_value(obj: object) -> object:
    """The value of a typed element (``{"type": ..., "value": ...}``), else ``obj``."""
    members = _members(obj)
    return members["value"] if members is not None and set(members) == {"type", "value"} else obj


def sort_value(item: object, sort: str) -> Any:
    """The value of the dotted member ``sort`` in ``item`` (typed elements unwrapped).

    Like the platform, a drop's member that is not at the top level is read
    from ``elems``. Raises `FlowThingsError` for a value a filter cannot
    compare (only numbers and strings order).
    """
    value = _resolve(item, sort.split("."))
    elems = (_members(item) or {}).get("elems")
    if value is _MISSING and _members(elems) is not None:
        value = _resolve(elems, sort.split("."))
    if value is _MISSING or value is None:
        return _MISSING
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FlowThingsError(
            f"find_iter() cannot page on {sort!r}: its value {value!r} is not a number or a string"
        )
    return value


def _resolve(obj: object, path: list[str]) -> object:
    for part in path:
        members = _members(obj)
        if members is not None and part != "value":
            members = _members(_typed_value(members))
        if members is None or part not in members:
            return _MISSING
        obj = members[part]
    return _typed_value(obj)


FindPage = Callable[[PageRequest], "list[JSONObject] | tuple[list[JSONObject], References]"]
"""Makes one `PageRequest` (a service's ``find_many``): the page, or ``(page,
references)`` when ``refs`` is set in the API's params."""


async def aiterate(find: Callable[[PageRequest], Any], pager: Pager) -> AsyncIterator[JSONObject]:
    """Run ``pager`` with an awaitable ``find``: the asyncio executor."""
    while (request := pager.next_request()) is not None:
        answer: object = await find(request)
        if isinstance(answer, tuple):  # refs set in the API's params: drop the references
            answer = cast("tuple[list[JSONObject], References]", answer)[0]
        for item in pager.feed(cast("list[JSONObject]", answer)):
            yield item


T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Paged(Generic[T_co]):
    """One ``find_iter`` before it runs: what every door's executor needs.

    Attributes:
        find: Makes one page request (the service's ``find_many``).
        pager: The cursor state machine, arguments already checked.
        parse: Turns one item of a page into what the door yields (the
            identity for dicts, the model parser for a typed view).
    """

    find: FindPage
    pager: Pager
    parse: Callable[[JSONObject], T_co]


def iterate(find: FindPage, pager: Pager) -> Iterator[JSONObject]:
    """Run ``pager`` with ``find``: the sync executor."""
    while (request := pager.next_request()) is not None:
        page = find(request)
        if isinstance(page, tuple):  # refs set in the API's params: drop the references
            page = page[0]
        yield from pager.feed(page)
