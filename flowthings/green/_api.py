"""Asynchronous and parallel requests: `api.async_()` and `api.lazy()`.

Both views wrap the sync services generically: `async_api.flow.find(...)`
runs `api.flow.find(...)` in a green thread of a pool and returns the green
thread; `lazy_api.flow.find(...)` does the same and returns a `GreenThunk`
that waits for it on first access. There is no second copy of any service,
so every documented call (including `drop(flow_id)`, `drop.create`,
`statistics.*` and `request`) works on both views.

Monkey-patching is the caller's job, and it must come first, before
flowthings (and so httpx) is imported, so that the pooled `httpx.Client`
gets green sockets, locks and DNS:

    import eventlet
    eventlet.monkey_patch()          # first statement of the program

    import flowthings
    flowthings.defaults.async_lib = eventlet

or, with gevent:

    from gevent import monkey
    monkey.patch_all()               # first statement of the program

    import gevent
    import flowthings
    api = flowthings.API(creds, async_lib=gevent)

If trio is installed, importing it after patching fails with an
`AttributeError`: it needs `select.epoll`, which the patched `select` of both
libraries lacks, and httpcore (under httpx) imports trio when it can. The
`httpx.Client` flowthings builds copes: when that import fails, trio is
marked missing (`sys.modules['trio'] = None`, so a later `import trio` in the
process raises `ImportError`) and httpcore is imported without it. Import
trio before patching only when something else needs it after patching: an
`httpx.Client` of your own (`http_client=`) built before flowthings has built
one (the first `API` made without `http_client=`), or trio itself.

`api.async_()` and `api.lazy()` warn (`RuntimeWarning`) when `socket` is not patched: the requests would then run
one after another.

Pools: the default pool has `DEFAULT_POOL_SIZE` (100) green threads, the
size of the `httpx.Client` connection pool, so N parallel requests use up to
N pooled connections. `api.async_(pool)` also takes a pool of your own
(`eventlet.GreenPool`, `gevent.pool.Pool`) or a size.

Errors: `results()` re-raises a failed call's `FlowThingsException` (or
returns it with `with_exceptions=True`); a lazy call raises it when its thunk
is read. The green thread of a failed `async_()` call also dies with the
exception, which eventlet and gevent print on stderr; silence that with
`eventlet.debug.hub_exceptions(False)`, or with
`gevent.get_hub().NOT_ERROR += (FlowThingsException,)`. Lazy calls never
print: their errors travel as values until the thunk is read.

Typing: for the checkers each view has the signatures of the sync service
it wraps, with the answer wrapped: `async_api.flow.typed.read(id)` is a
`GreenThread[Flow]`, `lazy_api.drop(fid).find(limit=10)` a
`GreenThunk[list[dict[str, Any]]]`, overloads (`refs=True`), typed query
parameters and deprecations included. These mirrors are generated from the
services (`flowthings/green/_typed.pyi`, by `tests/typing/gen_green.py`; a
test keeps them in step); at run time the views stay one generic proxy.
`view.call(FlowService.read, id)` and `async_api.spawn(api.flow.read, id)`
remain as the typed door to any callable.

Streaming: ``find_iter`` is the one call that returns no green thread or
thunk. On both views it returns a `GreenPageIterator`, iterated in the
calling green thread, that fetches each next page in a green thread of the
pool while the caller consumes the current one (see docs/large-data.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from .._errors import FlowThingsException
from ..services import Service
from ._lib import DEFAULT_POOL_SIZE, GreenLib, GreenPool, GreenThread, resolve_lib
from ._pages import GreenPageIterator
from ._thunk import GreenThunk
from ._views import AsyncView, LazyView

if TYPE_CHECKING:
    from .._api import API
    from .._modify import Params
    from ..services import (
        ApiTaskService,
        DeviceService,
        DropServiceFactory,
        FlowService,
        GroupService,
        IdentityService,
        MqttTaskService,
        RssTaskService,
        ShareService,
        StatisticsService,
        TokenService,
        TrackService,
        WebSocketService,
    )
    from ._typed import (  # pyright: ignore[reportMissingModuleSource]  # a stub only
        AsyncApiTaskService,
        AsyncDeviceService,
        AsyncDropServiceFactory,
        AsyncFlowService,
        AsyncGroupService,
        AsyncIdentityService,
        AsyncMqttTaskService,
        AsyncRssTaskService,
        AsyncService,
        AsyncShareService,
        AsyncStatisticsService,
        AsyncTokenService,
        AsyncTrackService,
        AsyncWebSocketService,
        LazyApiTaskService,
        LazyDeviceService,
        LazyDropServiceFactory,
        LazyFlowService,
        LazyGroupService,
        LazyIdentityService,
        LazyMqttTaskService,
        LazyRssTaskService,
        LazyService,
        LazyShareService,
        LazyStatisticsService,
        LazyTokenService,
        LazyTrackService,
        LazyWebSocketService,
    )

T = TypeVar("T")
P = ParamSpec("P")

__all__ = [
    "DEFAULT_POOL_SIZE",
    "AsyncAPI",
    "AsyncView",
    "GreenPageIterator",
    "GreenPool",
    "GreenThread",
    "GreenThunk",
    "LazyAPI",
    "LazyView",
]


def _services(api: API) -> list[tuple[str, Service]]:
    """The services an `API` carries (`root`, `flow`, `drop`, ...), by attribute name."""
    return [(name, value) for name, value in vars(api).items() if isinstance(value, Service)]


class _GreenAPI:
    """Library, pool and service views shared by `AsyncAPI` and `LazyAPI`."""

    def __init__(self, api: API, pool: GreenPool | int | None = None) -> None:
        self._api = api
        self._lib = resolve_lib(api.async_lib)
        self._lib.warn_if_unpatched()  # stack: here <- api.async_() <- the caller
        self._lib.tune_httpcore()
        self._pool = self._lib.make_pool(pool)
        self._init_state()
        for name, service in _services(api):
            setattr(self, name, self._view(service))

    def _init_state(self) -> None:
        """Hook for a subclass's own state (set before the views are made)."""

    def _view(self, service: Service) -> AsyncView[Service] | LazyView[Service]:
        raise NotImplementedError

    @property
    def api(self) -> API:
        """The wrapped sync `API`."""
        return self._api

    @property
    def pool(self) -> GreenPool:
        """The green pool requests are spawned in."""
        return self._pool

    @property
    def lib(self) -> GreenLib:
        """The green-thread library in use (`lib.name` is `eventlet` or `gevent`)."""
        return self._lib

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._lib.name} of {self._api!r}>"


class AsyncAPI(_GreenAPI):
    """`api.async_()`: calls return green threads, queued until `results()`.

    Examples:
        >>> async_api = api.async_()
        >>> for path in paths:
        ...     async_api.flow.find(mem.path == path)
        >>> for flows in async_api.results():
        ...     ...

    Args:
        api: The sync API whose services are wrapped.
        pool: A green pool (`eventlet.GreenPool`, `gevent.pool.Pool`), a pool
            size, or `None` for a new pool of `DEFAULT_POOL_SIZE`.

    Raises:
        FlowThingsError: When `api.async_lib` is not eventlet or gevent.
    """

    root: AsyncService[Service]
    flow: AsyncFlowService[FlowService]
    drop: AsyncDropServiceFactory[DropServiceFactory]
    track: AsyncTrackService[TrackService]
    group: AsyncGroupService[GroupService]
    identity: AsyncIdentityService[IdentityService]
    api_task: AsyncApiTaskService[ApiTaskService]
    mqtt_task: AsyncMqttTaskService[MqttTaskService]
    rss_task: AsyncRssTaskService[RssTaskService]
    token: AsyncTokenService[TokenService]
    share: AsyncShareService[ShareService]
    device: AsyncDeviceService[DeviceService]
    statistics: AsyncStatisticsService[StatisticsService]
    websocket: AsyncWebSocketService[WebSocketService]

    def _init_state(self) -> None:
        self._queue: list[GreenThread[Any]] = []

    def _view(self, service: Service) -> AsyncView[Service]:
        return AsyncView(service, self)

    def spawn(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> GreenThread[T]:
        """Runs `fn(*args, **kwargs)` in the pool and queues its green thread.

        The typed door to any call: `async_api.spawn(api.flow.read, id)`,
        `async_api.spawn(api.drop(fid).typed.find, limit=5)`.
        """
        thread: GreenThread[T] = self._pool.spawn(self._lib.wrap(fn), *args, **kwargs)
        self._queue.append(thread)
        return thread

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> GreenThread[Any]:
        """`api.request(...)` in a queued green thread."""
        return self.spawn(self._api.request, method, path, data, params)

    @property
    def pending(self) -> int:
        """How many green threads `results()` would wait for."""
        return len(self._queue)

    @overload
    def results(self, with_exceptions: Literal[False] = False) -> list[Any]: ...
    @overload
    def results(
        self, with_exceptions: Literal[True]
    ) -> list[tuple[FlowThingsException | None, Any]]: ...
    @overload
    def results(self, with_exceptions: bool) -> list[Any]: ...
    def results(self, with_exceptions: bool = False) -> list[Any]:
        """Waits for every queued call, in submission order; clears the queue.

        Args:
            with_exceptions: Instead of raising the first `FlowThingsException`,
                return an `(exception, None)` or `(None, result)` pair per call.

        Returns:
            The results (or pairs), in the order the calls were made.

        Raises:
            FlowThingsException: The first failed call's error, unless
                `with_exceptions`. Other exceptions (e.g. a `TypeError` from a
                bad argument) are raised either way. The queue is cleared
                even then; calls still running are not cancelled.
        """
        queue, self._queue = self._queue, []
        results: list[Any] = []
        for thread in queue:
            try:
                result = self._lib.wait(thread)
            except FlowThingsException as exc:
                if not with_exceptions:
                    raise
                results.append((exc, None))
            else:
                results.append((None, result) if with_exceptions else result)
        return results


def _capture(fn: Callable[..., Any], args: Any, kwargs: Any) -> tuple[bool, Any]:
    # Failures come back as values, so the library does not print a traceback
    # for a request whose error the thunk will raise when it is read.
    try:
        return True, fn(*args, **kwargs)
    except Exception as exc:
        return False, exc


class LazyAPI(_GreenAPI):
    """`api.lazy()`: calls start at once and return `GreenThunk`s.

    Examples:
        >>> lazy_api = api.lazy()
        >>> flow_a = lazy_api.flow.find(mem.path == '/path/to/flow_a')
        >>> flow_b = lazy_api.flow.find(mem.path == '/path/to/flow_b')
        >>> drops = lazy_api.drop(flow_a[0]['id']).find(limit=10)

    The two flow requests run in parallel; the drop request starts once
    `flow_a[0]` has been read.

    Args:
        api: The sync API whose services are wrapped.
        pool: A green pool, a pool size, or `None` for a new pool of
            `DEFAULT_POOL_SIZE`.

    Raises:
        FlowThingsError: When `api.async_lib` is not eventlet or gevent.
    """

    root: LazyService[Service]
    flow: LazyFlowService[FlowService]
    drop: LazyDropServiceFactory[DropServiceFactory]
    track: LazyTrackService[TrackService]
    group: LazyGroupService[GroupService]
    identity: LazyIdentityService[IdentityService]
    api_task: LazyApiTaskService[ApiTaskService]
    mqtt_task: LazyMqttTaskService[MqttTaskService]
    rss_task: LazyRssTaskService[RssTaskService]
    token: LazyTokenService[TokenService]
    share: LazyShareService[ShareService]
    device: LazyDeviceService[DeviceService]
    statistics: LazyStatisticsService[StatisticsService]
    websocket: LazyWebSocketService[WebSocketService]

    def _view(self, service: Service) -> LazyView[Service]:
        return LazyView(service, self)

    def spawn(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> GreenThunk[T]:
        """Runs `fn(*args, **kwargs)` in the pool; returns its `GreenThunk`.

        The typed door to any call: `lazy_api.spawn(api.flow.read, id)`.
        """
        thread = self._pool.spawn(_capture, fn, args, kwargs)
        wait = self._lib.wait

        def result() -> T:
            ok, value = wait(thread)
            if not ok:
                raise value
            out: T = value
            return out

        return GreenThunk(result)

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        params: Mapping[str, Any] | Params | None = None,
    ) -> GreenThunk[Any]:
        """`api.request(...)` in a green thread; returns its `GreenThunk`."""
        return self.spawn(self._api.request, method, path, data, params)
