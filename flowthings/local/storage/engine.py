"""The storage seam: what the platform core needs from a store, and the engine a URL picks.

Two engines implement :class:`Storage`:

* :class:`~flowthings.local.storage.store.Store` — SQLite, one process (the
  default: a file path, ``sqlite:///path`` or ``":memory:"``);
* :class:`~flowthings.local.storage.postgres.PgStore` — PostgreSQL through
  psycopg 3 and a connection pool (``postgresql://user@host/db``), shared by
  several ``serve`` processes.

Both build on :class:`~flowthings.local.storage._lifecycle.EngineShell` (the
write lock, idempotent ``close``, ``with``, and the nesting of
:meth:`Storage.transaction`), and both hand back the same plain dicts in the
same order; the core never knows which one it talks to, except for
:attr:`Storage.dialect` (the SQL spelling
of the filter pre-filter, ``flowthings.local.query.sql``) and
:attr:`Storage.shared` (whether other processes write to the same database,
so writes must be relayed to this process's WebSocket subscribers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import threading

    from flowthings.local.storage.store import AccountRow

__all__ = [
    "RemoteEvents",
    "Storage",
    "StorageError",
    "is_postgres_url",
    "redact_url",
    "sqlite_path",
]

RemoteEvents = Callable[[list[list[Any]]], None]
"""``callback(events)`` for writes committed by another process (see ``PgStore.listen``)."""


class StorageError(RuntimeError):
    """The database named by a URL cannot be opened (unreachable, refused, bad URL)."""


class Storage(Protocol):
    """The store interface the platform core uses (both engines implement it).

    Every write commits before the method returns, or when the outermost
    :meth:`transaction` block ends: "acknowledged means stored".
    """

    @property
    def lock(self) -> threading.RLock:
        """The re-entrant lock that orders this process's writes (and their pushes)."""
        ...

    dialect: str
    """``"sqlite"`` or ``"postgresql"``: which SQL the filter pre-filter is written in."""

    shared: bool
    """Whether other processes may write the same database."""

    quota: int | None
    """Most bytes of stored documents per account (``None``: unlimited); a write
    beyond it fails with ``QuotaExceeded`` (413) and stores nothing. SQLite
    counts in the process; PostgreSQL in the database (a trigger keeps each
    account's bytes, a deferred constraint trigger checks them at commit), so
    every process sharing it enforces one total."""

    def stored_bytes(self, account: str) -> int:
        """Bytes of documents ``account`` stores (the quota's measure)."""
        ...

    def set_progress_handler(self, handler: Callable[[], bool], steps: int) -> None:
        """Ask the engine to call ``handler`` while a statement runs and abort the
        statement when it returns true (request deadlines, callers gone)."""
        ...

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran."""
        ...

    def close(self) -> None:
        """Release the database (idempotent)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Run the block in one transaction (nesting joins it)."""
        ...

    def add_account(self, row: AccountRow, now: int) -> None:
        """Insert an account row."""
        ...

    def account(self, name: str) -> AccountRow | None:
        """Return the account called ``name``."""
        ...

    def account_by_token(self, token: str) -> AccountRow | None:
        """Return the account whose master token is ``token``."""
        ...

    def accounts(self) -> list[AccountRow]:
        """Return every account, oldest first."""
        ...

    def get(self, account: str, kind: str, object_id: str) -> dict[str, Any] | None:
        """Return one object of ``account`` (``None`` if absent or another kind)."""
        ...

    def flow_by_path(self, account: str, path: str) -> dict[str, Any] | None:
        """Return the flow of ``account`` at ``path``."""
        ...

    def insert(
        self, account: str, kind: str, obj: dict[str, Any], *, flow_id: str | None = None
    ) -> None:
        """Insert ``obj`` (must carry ``id`` and ``creationDate``)."""
        ...

    def token_by_string(self, token_string: str) -> tuple[str, dict[str, Any]] | None:
        """Return ``(account, token)`` of the Token object whose ``tokenString`` is given."""
        ...

    def has_kind(self, account: str, kind: str) -> bool:
        """Return whether ``account`` holds at least one object of ``kind``."""
        ...

    def kind_of(self, object_id: str) -> str | None:
        """Return the kind of the object ``object_id`` in any account."""
        ...

    def insert_drops(self, account: str, flow_id: str, drops: Iterable[dict[str, Any]]) -> None:
        """Bulk-insert drops (no validation, no eviction, no events; for fixtures)."""
        ...

    def replace(self, obj: dict[str, Any]) -> None:
        """Overwrite the stored document of ``obj["id"]``."""
        ...

    def repath_drops(self, flow_id: str, path: str) -> None:
        """Set ``path`` on every drop of ``flow_id``."""
        ...

    def delete(self, object_id: str) -> None:
        """Delete one object by id."""
        ...

    def access_stamp(self, account: str) -> tuple[int, int]:
        """A value that changes whenever what decides access in ``account`` may have."""
        ...

    def delete_drops(self, flow_id: str) -> int:
        """Delete every drop of ``flow_id``; return how many were deleted."""
        ...

    def count_drops(self, flow_id: str) -> int:
        """Return how many drops ``flow_id`` holds."""
        ...

    def evict(self, flow_id: str, capacity: int) -> int:
        """Delete the oldest drops of ``flow_id`` beyond ``capacity``; return the count."""
        ...

    def scan(
        self,
        account: str,
        kind: str,
        *,
        flow_id: str | None = None,
        newest_first: bool = True,
        offset: int = 0,
        since: float | None = None,
        until: float | None = None,
        where: str | None = None,
        params: tuple[Any, ...] = (),
        max_bytes: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the objects of one kind (or the drops of one flow) by creation order.

        ``max_bytes``: a 400 (the answer would be too large) once the documents
        read exceed it, before more are fetched or decoded.
        """
        ...

    def select(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one read-only query on ``objects`` (``?`` placeholders)."""
        ...

    def decode(self, data: str) -> dict[str, Any]:
        """Decode one stored document (the ``data`` column)."""
        ...

    def get_many(self, account: str, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Return ``{id: object}`` for the given ids that exist."""
        ...

    def bump(self, account: str, stat: str, object_id: str, ts_ms: int) -> None:
        """Add one to the hourly counter ``(stat, object_id)`` for ``ts_ms``."""
        ...

    def stat_counts(
        self, account: str, stat: str, object_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[int, int]]:
        """Return ``[(hour_start_ms, count)]`` for hours in ``[start_ms, end_ms)``."""
        ...

    def notify(self, event: list[Any]) -> None:
        """Announce one write to the other processes sharing the database (no-op when not shared)."""
        ...

    def listen(self, callback: RemoteEvents) -> None:
        """Call ``callback`` with the writes other processes commit (no-op when not shared)."""
        ...


def is_postgres_url(db: str) -> bool:
    """Whether ``db`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return db.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for banners and error messages)."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def sqlite_path(db: str) -> str:
    """The SQLite path of ``db``: ``sqlite:///rel``, ``sqlite:////abs``, a bare path or ``:memory:``."""
    if db.startswith("sqlite://"):
        rest = db[len("sqlite://") :]
        if not rest.startswith("/"):
            raise StorageError(f"not a SQLite URL (sqlite:///path expected): {db!r}")
        rest = rest[1:]
        return rest or ":memory:"
    return db
