"""Executor-neutral results: what lets ONE service implementation serve both clients.

A service call returns whatever its context's ``execute`` returns: the answer
itself under the sync `ServiceContext`, an awaitable of it under the asyncio
one (`flowthings.asyncio`). The few methods that do more than return the
answer (parse it into models, catch a 404, page, fan out) go through these
helpers, which apply the step at once to a value and after the ``await`` to
an awaitable, so no service body is written twice.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

from .._errors import FlowThingsNotFound

__all__ = ["amap_items", "arun_bulk_calls", "map_items", "or_else", "then"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def then(result: Any, step: Callable[[Any], Any]) -> Any:
    """``step(result)``, or a coroutine of it when ``result`` is awaitable."""
    if inspect.isawaitable(result):
        awaitable = result

        async def later() -> Any:
            return step(await awaitable)

        return later()
    return step(result)


def or_else(call: Callable[[], Any], default: Any) -> Any:
    """``call()``, or ``default`` when it (or what it returns, awaited) raises 404."""
    try:
        result = call()
    except FlowThingsNotFound:
        return default
    if inspect.isawaitable(result):
        awaitable = result

        async def later() -> Any:
            try:
                return await awaitable
            except FlowThingsNotFound:
                return default

        return later()
    return result


def map_items(items: Iterator[_T] | AsyncIterator[_T], one: Callable[[_T], _R]) -> Any:
    """``one`` applied to each item, as an iterator of the same kind (sync or async)."""
    if isinstance(items, AsyncIterator):
        return amap_items(items, one)
    return (one(item) for item in items)


async def amap_items(items: AsyncIterator[_T], one: Callable[[_T], _R]) -> AsyncIterator[_R]:
    """``one`` applied to each item of an async iterator."""
    async for item in items:
        yield one(item)


async def arun_bulk_calls(
    call: Callable[[Any], Awaitable[_T]], inputs: Iterable[Any], concurrency: int
) -> list[tuple[int, _T | None, Exception | None]]:
    """Awaits ``call`` on every input, ``concurrency`` at once: ``(index, value, error)``
    in input order. An ``Exception`` is recorded per input; cancellation propagates
    (every worker is cancelled with the caller)."""
    source = enumerate(inputs)
    results: dict[int, tuple[int, _T | None, Exception | None]] = {}

    async def worker() -> None:
        for index, value in source:  # one event loop: no lock needed between workers
            try:
                results[index] = (index, await call(value), None)
            except Exception as exc:
                results[index] = (index, None, exc)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [results[i] for i in sorted(results)]
