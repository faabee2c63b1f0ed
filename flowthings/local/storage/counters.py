"""Statistics counters that wait in memory before they are written (SQLite store).

Every drop write bumps two or three hourly counters (``flowDropAdded``,
``dropCreatedBy``, ``apiCallByIdentity``); one upsert each was a third of
the store's statements per write. :class:`CounterBuffer` adds them up in
memory instead, and the store writes the sums in one ``executemany``:

* inside a transaction, bumps are the transaction's own (:meth:`bump` with
  ``in_transaction``): a rollback drops them with the rest
  (:meth:`rolled_back`), a commit keeps them (:meth:`committed`);
* the kept sums are written by the first commit once they are
  :data:`FLUSH_AFTER` seconds old or :data:`FLUSH_ITEMS` many (so they commit
  with that transaction), on close, and by a timer when no write comes (the
  store's job; :meth:`due` says when);
* a statistics read adds what waits here to what the table holds
  (:meth:`counts`), so it sees every counted event at once.

A process that is killed loses at most the last ~second of counters, never a
stored object.
"""

from __future__ import annotations

import time
from typing import Final

__all__ = ["FLUSH_AFTER", "FLUSH_ITEMS", "CounterBuffer", "CounterKey"]

FLUSH_AFTER: Final = 1.0
"""Seconds counters may wait in memory before the next commit writes them."""

FLUSH_ITEMS: Final = 1024
"""Distinct counters that make the next commit write them at once."""

CounterKey = tuple[str, str, str, int]
"""``(account, stat, object id, hour start in epoch ms)``: one ``stat_counts`` row."""


class CounterBuffer:
    """Counter increments not written yet; the caller serializes access (the store lock)."""

    def __init__(self) -> None:
        self._kept: dict[CounterKey, int] = {}
        self._open: dict[CounterKey, int] = {}  # bumped in the open transaction
        self._since = 0.0  # monotonic time the oldest kept counter was bumped

    def bump(self, key: CounterKey, *, in_transaction: bool) -> None:
        """Count one event; ``in_transaction``: it stands or falls with the open one."""
        if in_transaction:
            self._open[key] = self._open.get(key, 0) + 1
        else:
            self._keep({key: 1})

    def committed(self) -> None:
        """The open transaction committed: its bumps are kept."""
        if self._open:
            self._keep(self._open)
            self._open = {}

    def rolled_back(self) -> None:
        """The open transaction rolled back: its bumps never happened."""
        self._open = {}

    def due(self, now: float | None = None) -> bool:
        """Whether the kept (and open) counters should be written with the next commit."""
        if not self._kept:
            return len(self._open) >= FLUSH_ITEMS
        now = time.monotonic() if now is None else now
        return now - self._since >= FLUSH_AFTER or len(self._kept) + len(self._open) >= FLUSH_ITEMS

    def pending(self) -> bool:
        """Whether any kept counter waits to be written."""
        return bool(self._kept)

    def rows(self) -> list[tuple[str, str, str, int, int]]:
        """The kept and open sums as ``(account, stat, object_id, hour, n)`` rows."""
        merged = dict(self._kept)
        for key, n in self._open.items():
            merged[key] = merged.get(key, 0) + n
        return [(*key, n) for key, n in merged.items()]

    def counts(self, account: str, stat: str, object_id: str) -> dict[int, int]:
        """``{hour: n}`` waiting (kept and open) for one series of one object."""
        out: dict[int, int] = {}
        for part in (self._kept, self._open):
            for (a, s, o, hour), n in part.items():
                if (a, s, o) == (account, stat, object_id):
                    out[hour] = out.get(hour, 0) + n
        return out

    def written(self) -> None:
        """The :meth:`rows` were committed: nothing waits any more."""
        self._kept = {}
        self._open = {}

    def _keep(self, counts: dict[CounterKey, int]) -> None:
        if not self._kept:
            self._since = time.monotonic()
        for key, n in counts.items():
            self._kept[key] = self._kept.get(key, 0) + n
