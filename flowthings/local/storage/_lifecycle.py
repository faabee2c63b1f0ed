"""The lifecycle shell both storage engines share: closing and transaction nesting.

:class:`EngineShell` owns what :class:`~flowthings.local.storage.store.Store`
(SQLite) and :class:`~flowthings.local.storage.postgres.PgStore` (PostgreSQL)
do the same way: the process-local re-entrant :attr:`~EngineShell.lock`, an
idempotent :meth:`~EngineShell.close` (also on leaving a ``with`` block), and
the nesting rule of :meth:`~EngineShell.transaction` (the outermost block
opens, commits or rolls back; inner blocks join it). An engine supplies only
what differs: :meth:`~EngineShell._release` (what closing frees) and
:meth:`~EngineShell._outermost` (how one real transaction runs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from typing_extensions import Self

__all__ = ["EngineShell"]


class EngineShell:
    """Base of the storage engines: the lock, :meth:`close` and :meth:`transaction`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        """Orders this process's writes (and their pushes); :meth:`transaction` holds it."""
        self._closed = False
        # how many transaction() blocks the lock holder is in (0: none)
        self._depth = 0

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        return self._closed

    def close(self) -> None:
        """Release the database (idempotent: only the first call releases anything)."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
        # outside the lock: releasing may wait for a thread (PgStore's listener)
        # whose callback takes the lock
        self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and run the block in one transaction (nesting joins it)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self._outermost():
                    yield
            finally:
                self._depth = 0

    def _release(self) -> None:
        """Free the engine's resources; called once, by the first :meth:`close`."""
        raise NotImplementedError

    def _outermost(self) -> AbstractContextManager[None]:
        """Run one database transaction around the block: begin, then commit when
        it ends normally or roll back when it raises. Called with the lock held and
        :attr:`_depth` already 1 (so writes inside know they are in a transaction)."""
        raise NotImplementedError
