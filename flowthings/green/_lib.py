"""Adapters over the two supported green-thread libraries, eventlet and gevent.

The rest of the SDK never imports eventlet or gevent: the user passes the
module (`defaults.async_lib = eventlet`, `API(creds, async_lib=gevent)`) and
this module resolves it into a `GreenLib` that makes pools and waits on green
threads. Both libraries are therefore optional, and a fake module whose
`__name__` is `"eventlet"` or `"gevent"` is enough for tests.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._errors import FlowThingsError

if TYPE_CHECKING:
    from eventlet.greenpool import GreenPool as EventletPool
    from eventlet.greenthread import GreenThread as EventletThread
    from gevent.greenlet import Greenlet
    from gevent.pool import Pool as GeventPool

__all__ = ["DEFAULT_POOL_SIZE", "GreenLib", "GreenPool", "GreenThread", "resolve_lib"]

T_co = TypeVar("T_co", covariant=True)

DEFAULT_POOL_SIZE = 100
"""Default green pool size: matches the pooled `httpx.Client`'s `max_connections`."""

NO_LIBRARY_MESSAGE = (
    "api.async_() and api.lazy() need eventlet or gevent. Install one "
    "(pip install 'flowthings[eventlet]' or 'flowthings[gevent]'), monkey-patch "
    "before importing flowthings (eventlet.monkey_patch() or "
    "gevent.monkey.patch_all()), then choose it with "
    "flowthings.defaults.async_lib = eventlet (or gevent) or "
    "API(creds, async_lib=eventlet)."
)


class GreenThread(Protocol[T_co]):
    """What an `async_()` call returns: the library's own green thread.

    At run time this is an `eventlet.greenthread.GreenThread` (wait with
    `.wait()`) or a `gevent.Greenlet` (wait with `.get()`); `T_co` is the
    result type of the wrapped service method, for readers and for mypy.
    `AsyncAPI.results()` waits on them for you whatever the library.
    """

    @property
    def dead(self) -> bool:
        """True once the green thread has finished (or was killed)."""
        ...


class GreenPool(Protocol):
    """A pool of green threads: anything with `spawn(fn, *args, **kwargs)`.

    `eventlet.GreenPool` and `gevent.pool.Pool` (or `gevent.pool.Group`) fit.
    """

    def spawn(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Starts `func(*args, **kwargs)` in a green thread of the pool."""
        ...


@dataclass(frozen=True)
class GreenLib:
    """One supported library: how to make a pool and how to wait on a thread.

    Attributes:
        name: `"eventlet"` or `"gevent"`.
        module: The library module the user configured.
    """

    name: str
    module: ModuleType

    def new_pool(self, size: int = DEFAULT_POOL_SIZE) -> GreenPool:
        """A new pool of `size` green threads (`GreenPool` / `gevent.pool.Pool`)."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"pool size must be an int >= 1, got {size!r}")
        if self.name == "eventlet":
            pool: GreenPool = self.module.GreenPool(size)
            return pool
        pool_module = getattr(self.module, "pool", None)
        if pool_module is None:
            # `import gevent` does not import its `pool` submodule.
            pool_module = importlib.import_module(self.module.__name__ + ".pool")
        gevent_pool: GreenPool = pool_module.Pool(size)
        return gevent_pool

    def make_pool(self, pool: GreenPool | int | None) -> GreenPool:
        """The pool to use for a `pool` argument: `None`, a size, or a pool."""
        if pool is None:
            return self.new_pool()
        if isinstance(pool, int):
            if isinstance(pool, bool):
                raise TypeError("pool must be a green pool or a size, not a bool")
            return self.new_pool(pool)
        if not callable(getattr(pool, "spawn", None)):
            raise TypeError(
                f"pool must be a green pool with spawn() (or a size), not {type(pool).__name__}"
            )
        return pool

    def wait(self, thread: Any) -> Any:
        """Waits for a green thread; returns its result or raises its exception."""
        if self.name == "eventlet":
            return thread.wait()
        return thread.get()

    def kill(self, thread: Any) -> None:
        """Stops a green thread (a no-op once it has finished); waits until it is dead.

        It dies with the library's ``GreenletExit``, which neither library
        reports as an error.
        """
        if self.name == "eventlet":
            thread.kill()
        else:
            thread.kill(block=True)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """The function to spawn for `fn`: under eventlet, a failure is raised
        after one `eventlet.sleep(0)`.

        A green thread that dies with an exception hands it to the hub in
        whatever hub frame resumed it. Resumed by a timer, eventlet prints it
        only while `eventlet.debug.hub_exceptions` is on (the documented way
        to silence failed async calls); resumed by a socket becoming readable,
        it prints it always, and drops the socket's descriptor from the hub.
        Sleeping first makes every failure end in a timer frame, whatever the
        call did last (with `tune_httpcore` a request's last switch is often
        its final socket read).
        """
        sleep = getattr(self.module, "sleep", None) if self.name == "eventlet" else None
        if sleep is None:
            return fn  # gevent (its hub reports failures its own way), or a test double

        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                sleep(0)
                raise

        return run

    def tune_httpcore(self) -> None:
        """Makes httpcore's idle-connection check non-yielding under eventlet (idempotent).

        Before reusing a pooled connection, httpcore checks that the server has
        not closed it: ``select`` (or ``poll``) on the socket with a zero
        timeout, while it holds the connection pool's lock. eventlet's patched
        ``select`` gives control to the hub even with a zero timeout, so every
        green thread wanting a connection queued behind that lock, once per
        idle connection: 1000 calls at 20 ms latency ran only ~2.5x faster
        than one after another (gevent: ~15x). The same zero-timeout check
        made with the unpatched ``select`` module never blocks, gives the same
        answer, and does not yield. Only httpcore's sync backend (the one
        httpx's ``Client`` uses) is changed, and only under eventlet.
        """
        if self.name != "eventlet":
            return
        patcher = getattr(self.module, "patcher", None)
        original = getattr(patcher, "original", None)
        backend = sys.modules.get("httpcore._backends.sync")
        if not callable(original) or backend is None:
            return  # a test double, or httpcore not imported yet (no client made)
        current = getattr(backend, "is_socket_readable", None)
        if current is None or getattr(current, "_flowthings_unyielding", False):
            return
        backend.is_socket_readable = _unyielding_readable(original("select"))  # type: ignore[attr-defined]

    def warn_if_unpatched(self) -> None:
        """Warns when `socket` is not monkey-patched: requests would not overlap."""
        if self.name == "eventlet":
            patcher = getattr(self.module, "patcher", None)
            check = getattr(patcher, "is_monkey_patched", None)
        else:
            monkey = getattr(self.module, "monkey", None) or _import_or_none(
                self.module.__name__ + ".monkey", self.module
            )
            check = getattr(monkey, "is_module_patched", None)
        if check is None or check("socket"):
            return
        patch = (
            "eventlet.monkey_patch()" if self.name == "eventlet" else "gevent.monkey.patch_all()"
        )
        warnings.warn(
            f"{self.name} has not monkey-patched socket, so green requests will run "
            f"one after another; call {patch} before importing flowthings or httpx",
            RuntimeWarning,
            stacklevel=4,
        )


def _unyielding_readable(select_module: Any) -> Callable[[Any], bool]:
    """httpcore's ``is_socket_readable`` over the given (unpatched) ``select`` module."""

    def is_socket_readable(sock: Any) -> bool:
        fd = None if sock is None else sock.fileno()
        if fd is None or fd < 0:
            return True  # as httpcore: a gone socket reads as "readable" (closed)
        poll = getattr(select_module, "poll", None)
        if poll is None:  # pragma: no cover - Windows
            readable, _, _ = select_module.select([fd], [], [], 0)
            return bool(readable)
        poller = poll()
        poller.register(fd, select_module.POLLIN)
        return bool(poller.poll(0))

    is_socket_readable._flowthings_unyielding = True  # type: ignore[attr-defined]
    return is_socket_readable


def _import_or_none(name: str, parent: ModuleType) -> ModuleType | None:
    # Only import submodules of the real library, never of a test double.
    if getattr(parent, "__file__", None) is None:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - gevent always ships gevent.monkey
        return None


def resolve_lib(lib: ModuleType | None) -> GreenLib:
    """The `GreenLib` for the configured library module.

    Raises:
        FlowThingsError: When no library is configured, or it is neither
            eventlet nor gevent.
    """
    if lib is None:
        raise FlowThingsError(NO_LIBRARY_MESSAGE)
    name = getattr(lib, "__name__", None)
    if name not in ("eventlet", "gevent") or not isinstance(lib, ModuleType):
        raise FlowThingsError(
            f"unsupported async_lib {lib!r}: pass the eventlet or gevent module "
            "(import eventlet; API(creds, async_lib=eventlet))"
        )
    return GreenLib(name, lib)


if TYPE_CHECKING:

    def _conforms(  # pyright: ignore[reportUnusedFunction]
        ep: EventletPool, gp: GeventPool, et: EventletThread[int], gt: Greenlet[int]
    ) -> tuple[GreenPool, GreenPool, GreenThread[int], GreenThread[int]]:
        """Static check (never run): both libraries fit the protocols above."""
        return ep, gp, et, gt
