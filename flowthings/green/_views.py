"""The service views of `AsyncAPI` and `LazyAPI`: one generic proxy per service.

A view holds a sync service and its owner (the `AsyncAPI` or `LazyAPI`);
calling a method spawns the service's own method through the owner, so
there is no second copy of any service. The one exception is ``find_iter``:
it returns a `GreenPageIterator` over the service's own paging (`Paged`),
which prefetches each next page in the owner's pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

from ..services._paging import DEFAULT_PAGE_SIZE, Paged
from ._lib import GreenLib, GreenPool, GreenThread
from ._pages import GreenPageIterator
from ._thunk import GreenThunk

__all__ = ["AsyncView", "LazyView"]

S_co = TypeVar("S_co", covariant=True)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")
P = ParamSpec("P")


class _HasTyped(Protocol[R_co]):
    """A service with a typed view (`api.flow.typed`, `api.drop(fid).typed`)."""

    @property
    def typed(self) -> R_co: ...


# What a view needs of its owner, so that this module does not name `AsyncAPI` /
# `LazyAPI` (they import the views: the layers point one way, types included).
class _AsyncOwner(Protocol):
    def spawn(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> GreenThread[T]: ...


class _GreenOwner(Protocol):
    @property
    def lib(self) -> GreenLib: ...
    @property
    def pool(self) -> GreenPool: ...


class _LazyOwner(Protocol):
    def spawn(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> GreenThunk[T]: ...


class _View(Generic[S_co]):
    """What both views share: the wrapped service and the method lookup."""

    __slots__ = ("_owner", "_service")

    def __init__(self, service: S_co, owner: Any) -> None:
        self._service = service
        self._owner = owner

    @property
    def service(self) -> S_co:
        """The wrapped sync service (for its plain attributes, e.g. `path`)."""
        return self._service

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._service!r}>"

    def _spawner(self, name: str) -> Callable[..., Any]:
        """The service's method `name`, as a function that spawns it through the owner.

        Both views' `__getattr__` return this; each subclass only states what
        its owner's `spawn` returns (a green thread or a `GreenThunk`).
        """
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._service, name)
        if name == "find_iter":
            return self._find_iter()
        if not callable(method):
            raise AttributeError(
                f"{type(self._service).__name__}.{name} is not a method; "
                f"read it from view.service.{name}"
            )
        owner_spawn = self._owner.spawn

        def spawn(*args: Any, **kwargs: Any) -> Any:
            return owner_spawn(method, *args, **kwargs)

        spawn.__name__ = name
        spawn.__doc__ = method.__doc__
        return spawn


    def _find_iter(self) -> Callable[..., GreenPageIterator[Any]]:
        """``find_iter`` of both views: an iterator that prefetches pages in the
        owner's pool, not a green thread returning an iterator (which a caller
        could not use without blocking on the whole iteration)."""
        service: Any = self._service  # a ReadableService or a typed view of one
        paged_of: Callable[..., Paged[Any]] = service._paged
        owner: _GreenOwner = self._owner

        def find_iter(
            *filters: Any, page_size: int = DEFAULT_PAGE_SIZE, **params: Any
        ) -> GreenPageIterator[Any]:
            return GreenPageIterator(paged_of(filters, page_size, params), owner.lib, owner.pool)

        find_iter.__doc__ = GreenPageIterator.__doc__
        return find_iter


# AsyncView and LazyView differ only in their owner's return type (green thread
# vs `GreenThunk`); `call`, `__call__` and `typed` are repeated in each so that
# mypy sees the concrete view and result type, which a shared base cannot state.


class AsyncView(_View[S_co]):
    """A service of an `AsyncAPI`: every call returns a queued green thread.

    Examples:
        >>> async_api.flow.find(mem.path == '/alice/x')   # -> green thread
        >>> async_api.drop(flow_id).find(limit=10)        # factories too
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Callable[..., GreenThread[Any]]:
        return self._spawner(name)

    def call(
        self, method: Callable[Concatenate[S_co, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> GreenThread[T]:
        """Typed call: `view.call(FlowService.read, id)` is `view.read(id)`.

        Args:
            method: A method of the service's class, unbound.
            *args: Its arguments.
            **kwargs: Its keyword arguments (query parameters).

        Returns:
            The queued green thread; its result type follows `method`'s.
        """
        owner: _AsyncOwner = self._owner
        return owner.spawn(method, self._service, *args, **kwargs)

    def __call__(
        self: AsyncView[Callable[P, R]], *args: P.args, **kwargs: P.kwargs
    ) -> AsyncView[R]:
        """`async_api.drop(flow_id)`: the async view of the service made by a factory."""
        return AsyncView(self._service(*args, **kwargs), self._owner)

    @property
    def typed(self: AsyncView[_HasTyped[R]]) -> AsyncView[R]:
        """The async view of the service's typed view: calls return green threads of models.

        Examples:
            >>> async_api.flow.typed.read(flow_id)
        """
        return AsyncView(self._service.typed, self._owner)


class LazyView(_View[S_co]):
    """A service of a `LazyAPI`: every call returns a `GreenThunk`.

    ```pycon
    >>> flows = lazy_api.flow.find(mem.path == '/alice/x')   # starts at once
    >>> lazy_api.drop(flows[0]['id']).find(limit=10)          # waits for flows
    ```
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Callable[..., GreenThunk[Any]]:
        return self._spawner(name)

    def call(
        self, method: Callable[Concatenate[S_co, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> GreenThunk[T]:
        """Typed call: `view.call(FlowService.read, id)` is `view.read(id)`.

        Returns:
            A `GreenThunk` whose `unwrap()` type follows `method`'s result.
        """
        owner: _LazyOwner = self._owner
        return owner.spawn(method, self._service, *args, **kwargs)

    def __call__(self: LazyView[Callable[P, R]], *args: P.args, **kwargs: P.kwargs) -> LazyView[R]:
        """`lazy_api.drop(flow_id)`: the lazy view of the service made by a factory."""
        return LazyView(self._service(*args, **kwargs), self._owner)

    @property
    def typed(self: LazyView[_HasTyped[R]]) -> LazyView[R]:
        """The lazy view of the service's typed view: calls return `GreenThunk`s of models.

        Examples:
            >>> lazy_api.flow.typed.read(flow_id)
        """
        return LazyView(self._service.typed, self._owner)
