"""Stopping SQLite work of a request past its deadline or after its caller left.

The filter deadline (:data:`~flowthings.local.query.regex.REQUEST_FILTER_SECONDS`)
was checked only between Python evaluations: the conservative filter, the
sort and the scan that SQLite runs itself (one ``SELECT`` may read a whole big
flow while holding the store lock) went on regardless, and nothing stopped
when the client disconnected. The store's connection therefore gets
:func:`sql_progress` as its ``sqlite3`` progress handler: every
:data:`PROGRESS_STEPS` virtual-machine steps it asks whether the current
request should stop, and SQLite then aborts the statement
(``sqlite3.OperationalError: interrupted``). :func:`interruptible` marks the
reads that may be aborted (finds, aggregation scans) and turns the abort into
the same 400 as the Python-side deadline (or :class:`~.regex.ClientGone`).
Writes are never interrupted: outside :func:`interruptible` the handler
always lets SQLite continue, so a commit is never cut short.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from flowthings.local.query.regex import request_should_stop

__all__ = ["PROGRESS_STEPS", "interruptible", "sql_progress"]

PROGRESS_STEPS: Final = 10_000
"""SQLite virtual-machine steps between two checks (well under a millisecond)."""

_READING: ContextVar[bool] = ContextVar("flowthings_interruptible", default=False)


def sql_progress() -> bool:
    """The store connection's progress handler: true (abort) when the running
    statement belongs to an :func:`interruptible` read of a request that
    should stop."""
    return _READING.get() and request_should_stop() is not None


@contextmanager
def interruptible() -> Iterator[None]:
    """Let SQLite abort the reads of the block when the request should stop;
    the abort becomes the request's deadline (or client-gone) error."""
    token = _READING.set(True)
    try:
        yield
    except sqlite3.OperationalError as exc:
        error = request_should_stop() if "interrupted" in str(exc) else None
        if error is None:
            raise
        raise error from None
    finally:
        _READING.reset(token)
