"""`GreenPageIterator`: the green door of ``find_iter``, prefetching one page.

``api.async_().drop(fid).find_iter(...)`` (and ``lazy()``'s, and every typed
view's) returns one. It runs the same cursor paging as the sync door (the
service's `Paged`: its ``Pager``, its page request, its item parser), but
asks for the next page in a green thread of the view's pool while the caller
consumes the current one, so with the socket library monkey-patched the
round trip of page N+1 overlaps the caller's work on page N.

Why the cursor allows only one page ahead: the request for page N+1 is made
from page N's last item (the cursor), so it cannot be sent before page N has
arrived, and there is no point fetching N+2 before the caller has read N.
So at most two pages are held: the one being consumed and the one in flight.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar, cast

from ..services._paging import Paged, PageRequest
from ..services._params import JSONObject
from ._lib import GreenLib, GreenPool

__all__ = ["GreenPageIterator"]

T_co = TypeVar("T_co", covariant=True)


def _fetch(paged: Paged[Any], request: PageRequest) -> tuple[bool, Any]:
    # The failure comes back as a value: the iterator raises it at the
    # iteration point, and the library prints no traceback for the thread.
    try:
        return True, paged.find(request)
    except Exception as exc:
        return False, exc


class GreenPageIterator(Iterator[T_co]):
    """Every match of a find, paged with a cursor, the next page prefetched.

    Iterate it in the calling green thread (the main one is fine). The first
    page is requested at once, in a green thread of the view's pool; each
    time a page arrives, the request for the next one starts before the
    items of this one are handed out. It gives what the sync ``find_iter``
    gives: the same items in the same order, the same guarantee while others
    write (see docs/large-data.md), at most two pages in memory.

    A failed request (or a page the cursor cannot follow) raises its
    exception from ``next()``, after the items of the pages before it; the
    iterator is then finished. Breaking out of a loop starts no further
    request; `close()` (or leaving a ``with`` block) also stops the one in
    flight.

    Examples:
        >>> async_api = api.async_()
        >>> for drop in async_api.drop(flow_id).find_iter(order='asc', page_size=500):
        ...     handle(drop)  # page N+1 is on its way meanwhile
        >>> with async_api.flow.typed.find_iter(sort='path') as flows:
        ...     first = next(flows)
    """

    __slots__ = ("_items", "_lib", "_paged", "_pending", "_pool")

    def __init__(self, paged: Paged[T_co], lib: GreenLib, pool: GreenPool) -> None:
        self._paged = paged
        self._lib = lib
        self._pool = pool
        self._items: Iterator[JSONObject] = iter(())
        self._pending: Any = None
        """The green thread fetching the next page (``None``: no more pages)."""
        self._prefetch()

    def _prefetch(self) -> None:
        request = self._paged.pager.next_request()
        if request is not None:
            self._pending = self._pool.spawn(_fetch, self._paged, request)

    def __iter__(self) -> GreenPageIterator[T_co]:
        return self

    def __next__(self) -> T_co:
        while True:
            for item in self._items:
                return self._paged.parse(item)
            thread, self._pending = self._pending, None
            if thread is None:
                raise StopIteration
            ok, answer = self._lib.wait(thread)
            try:
                if not ok:
                    raise answer
                # (page, references) when refs is set in the API's own params
                page = cast("list[JSONObject]", answer[0] if isinstance(answer, tuple) else answer)
                items = self._paged.pager.feed(page)
            except BaseException:
                self._items = iter(())
                raise
            self._prefetch()  # before handing out this page: that is the overlap
            self._items = iter(items)

    @property
    def prefetching(self) -> bool:
        """Whether a page request is in flight (or its answer not read yet)."""
        return self._pending is not None

    def close(self) -> None:
        """Stops the iteration: kills the page request in flight, if any (idempotent)."""
        thread, self._pending = self._pending, None
        self._items = iter(())
        if thread is not None:
            self._lib.kill(thread)

    def __enter__(self) -> GreenPageIterator[T_co]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        pager = self._paged.pager
        return (
            f"<GreenPageIterator {self._lib.name} sort={pager.sort} order={pager.order} "
            f"page_size={pager.page_size}>"
        )
