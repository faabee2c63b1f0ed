"""Bulk writes: many independent requests in flight at once, results in input order.

`create_many` runs one ``create`` per input on a bounded set of worker
threads that share the API's pooled ``httpx.Client`` (it is thread-safe and
keeps up to its pool's connections open), so at most ``concurrency`` requests
are in flight. Each input's outcome is kept apart: a failure (a 400 for one
bad drop, a timeout) is recorded on its item and the others go on, so no
success is lost and the caller sees exactly which inputs to retry.

The inputs are read lazily from the iterable (one per free worker), so a
generator of a million drops is not materialized before the first request;
the results (one `BulkItem` each) are kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

__all__ = [
    "DEFAULT_CONCURRENCY",
    "BulkItem",
    "BulkResult",
    "run_bulk",
]

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64

_I = TypeVar("_I")
_T = TypeVar("_T")


@dataclass(frozen=True)
class BulkItem(Generic[_T]):
    """The outcome of one input of a bulk call.

    Attributes:
        index: The input's position (0-based).
        value: What the call returned (``None`` when it failed).
        error: The exception it raised (``None`` when it succeeded).
    """

    index: int
    value: _T | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether this input succeeded."""
        return self.error is None


@dataclass(frozen=True)
class BulkResult(Generic[_T]):
    """Every input's `BulkItem`, in input order.

    Examples:
        >>> result = api.drop(flow_id).create_many(drops)
        >>> result.ok, len(result.succeeded), [(i.index, i.error) for i in result.failed]
    """

    items: tuple[BulkItem[_T], ...]

    @property
    def succeeded(self) -> list[_T]:
        """The values of the inputs that succeeded, in input order."""
        return [cast(_T, item.value) for item in self.items if item.error is None]

    @property
    def failed(self) -> list[BulkItem[_T]]:
        """The items that failed (each with its ``index`` and ``error``)."""
        return [item for item in self.items if item.error is not None]

    @property
    def ok(self) -> bool:
        """Whether every input succeeded."""
        return all(item.error is None for item in self.items)

    def raise_for_errors(self) -> None:
        """Raise the first failure's error, if any."""
        failed = self.failed
        if failed:
            error = failed[0].error
            assert error is not None
            raise error

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[BulkItem[_T]]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<BulkResult {len(self.items) - len(self.failed)} ok, {len(self.failed)} failed>"


def check_concurrency(concurrency: object) -> int:
    """``concurrency`` as a checked int (1 to `MAX_CONCURRENCY`)."""
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise ValueError(f"concurrency must be an int from 1 to {MAX_CONCURRENCY}")
    return concurrency


def run_bulk(
    call: Callable[[_I], _T], inputs: Iterable[_I], concurrency: int = DEFAULT_CONCURRENCY
) -> BulkResult[_T]:
    """Run ``call`` on every input with at most ``concurrency`` calls at once.

    An ``Exception`` from one call is recorded on its item; anything else
    (``KeyboardInterrupt``) stops the workers and propagates.
    """
    concurrency = check_concurrency(concurrency)
    source = enumerate(inputs)
    lock = threading.Lock()
    results: dict[int, BulkItem[_T]] = {}
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:  # the iterable is read by one worker at a time
                try:
                    index, value = next(source)
                except StopIteration:
                    return
            try:
                results[index] = BulkItem(index, value=call(value))
            except Exception as exc:
                results[index] = BulkItem(index, error=exc)
            except BaseException:
                stop.set()
                raise

    with ThreadPoolExecutor(concurrency, thread_name_prefix="flowthings-bulk") as pool:
        futures = [pool.submit(worker) for _ in range(concurrency)]
        for future in futures:
            future.result()
    return BulkResult(tuple(results[i] for i in sorted(results)))


async def arun_bulk(
    call: Callable[[_I], Any], inputs: Iterable[_I], concurrency: int = DEFAULT_CONCURRENCY
) -> BulkResult[Any]:
    """`run_bulk` for the asyncio client: ``call`` returns awaitables, run as tasks."""
    from ._results import arun_bulk_calls

    concurrency = check_concurrency(concurrency)
    rows = await arun_bulk_calls(call, inputs, concurrency)
    return BulkResult(
        tuple(
            BulkItem(index, error=error) if error is not None else BulkItem(index, value=value)
            for index, value, error in rows
        )
    )


def bulk(
    asynchronous: bool, call: Callable[[_I], Any], inputs: Iterable[_I], concurrency: int
) -> Any:
    """``call`` on every input, ``concurrency`` at once, as a `BulkResult`: worker
    threads for the sync client, an awaitable of tasks for the asyncio one."""
    concurrency = check_concurrency(concurrency)  # argument errors now, awaited or not
    if asynchronous:
        return arun_bulk(call, inputs, concurrency)
    return run_bulk(call, inputs, concurrency)
