"""In-process stand-ins for eventlet and gevent (no monkey-patching needed).

A fake pool runs nothing when `spawn` is called; the function runs on the
first wait, in the caller. That is enough to test queueing, ordering,
error handling and laziness without real green threads.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

__all__ = ["FakePool", "FakeThread", "fake_eventlet", "fake_gevent"]

_UNSET: Any = object()


class FakeThread:
    """A deferred call: runs on the first `wait()`/`get()`; keeps its outcome."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result: Any = _UNSET
        self.error: BaseException | None = None
        self.runs = 0
        self.killed = False

    @property
    def dead(self) -> bool:
        return self.runs > 0

    def wait(self) -> Any:
        if self.runs == 0:
            self.runs += 1
            try:
                self.result = self.fn(*self.args, **self.kwargs)
            except Exception as exc:
                self.error = exc
        if self.error is not None:
            raise self.error
        return self.result

    get = wait

    def kill(self, block: bool = True) -> None:
        """As the libraries' ``kill``: a thread not run yet never runs."""
        self.killed = True
        self.runs = max(self.runs, 1)


class FakePool:
    """Records every spawned call."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self.threads: list[FakeThread] = []

    def spawn(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> FakeThread:
        thread = FakeThread(fn, args, kwargs)
        self.threads.append(thread)
        return thread


def fake_eventlet(patched: bool = True) -> types.ModuleType:
    """A module named `eventlet` with `GreenPool` and `patcher.is_monkey_patched`."""
    module = types.ModuleType("eventlet")
    module.GreenPool = FakePool  # type: ignore[attr-defined]
    module.patcher = types.SimpleNamespace(is_monkey_patched=lambda name: patched)  # type: ignore[attr-defined]
    return module


def fake_gevent(patched: bool = True) -> types.ModuleType:
    """A module named `gevent` with `pool.Pool` and `monkey.is_module_patched`."""
    module = types.ModuleType("gevent")
    module.pool = types.SimpleNamespace(Pool=FakePool)  # type: ignore[attr-defined]
    module.monkey = types.SimpleNamespace(is_module_patched=lambda name: patched)  # type: ignore[attr-defined]
    return module
