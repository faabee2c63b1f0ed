"""PostgreSQL storage of the local platform: several ``serve`` processes, one database.

Same interface and answers as the SQLite :class:`~flowthings.local.storage.store.Store`
(:class:`~flowthings.local.storage.engine.Storage`); what differs is what one
process may no longer assume about the database:

* **Connections**: a ``psycopg_pool.ConnectionPool`` of autocommit
  connections. A read outside a transaction borrows one for one statement (or
  one batch of a scan), so reads of different threads run in parallel; a
  :meth:`PgStore.transaction` holds the process-local :attr:`PgStore.lock`
  (write order per process, as on SQLite) and one connection until ``COMMIT``.
* **Acknowledged means stored**: every write method runs in a transaction that
  commits before it returns (or with the outermost :meth:`~PgStore.transaction`
  block), so before the platform answers; a ``kill -9`` of the process after
  that loses nothing. Durability on the server is PostgreSQL's
  (``synchronous_commit`` ``on`` by default: the commit is flushed to the WAL).
* **No process-local caches of shared state**: drop counts and "does this
  account have tracks" are asked of the database; the access stamp lives in
  the ``access_stamps`` table, bumped in the same transaction as the token,
  share, group or identity write, so every process's grant cache sees it.
* **Capacity eviction** takes a transaction-scoped advisory lock per flow, so
  two processes writing one flow never evict too much or too little.
* **Cross-process pushes**: :meth:`PgStore.notify` sends ``NOTIFY`` (inside the
  current transaction when there is one, so a rolled-back write is never
  announced); :meth:`PgStore.listen` runs a thread on a dedicated connection
  that hands the notifications of *other* processes to a callback (each
  payload names its origin, so a process never relays its own writes).

Filtered scans: ``where`` is written in the ``jsonb`` dialect of
``flowthings.local.query.sql`` over the ``doc`` column with ``?`` placeholders
(translated here); rows whose ``doc`` is NULL (documents holding ``\\u0000``)
are always kept for the exact evaluator.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from flowthings.local.base.encode import TOO_LARGE
from flowthings.local.base.envelope import bad_request
from flowthings.local.storage._lifecycle import EngineShell
from flowthings.local.storage.engine import RemoteEvents, StorageError, redact_url
from flowthings.local.storage.pg_notify import CHANNEL, Listener, payload
from flowthings.local.storage.pg_schema import SchemaTooNew, migrate
from flowthings.local.storage.store import (
    ACCESS_KINDS,
    AccountRow,
    QuotaExceeded,
    _dumps,
    _loads,
    _path_column,
)

__all__ = ["PgStore"]

_FIRST_BATCH: Final = 64
_QUOTA_SQLSTATE: Final = "FT413"  # raised by flowthings_check_quota (pg_schema, version 2)
_MAX_BATCH: Final = 2048
_HOUR_MS: Final = 3_600_000
_COLUMNS: Final = "id, account, kind, flow_id, path, creation_date, data"
_INSERT: Final = f"INSERT INTO objects ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"


def _row(account: str, kind: str, obj: dict[str, Any], flow_id: str | None) -> tuple[Any, ...]:
    return (
        obj["id"], account, kind, flow_id, _path_column(obj), obj["creationDate"], _dumps(obj)
    )  # fmt: skip


@functools.lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` (``%`` doubled, quotes respected)."""
    out: list[str] = []
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


def _configure(conn: Any) -> None:
    # Python floats are bound as numeric: the pre-filter compares them with
    # jsonb numbers cast to numeric, exact and without float8 overflow (1e400)
    from psycopg import postgres
    from psycopg.types.numeric import FloatDumper

    class FloatAsNumeric(FloatDumper):
        oid = postgres.types["numeric"].oid

    conn.adapters.register_dumper(float, FloatAsNumeric)
    # no statement outlives a request's filter deadline by much (SQLite gets a
    # progress handler for the same bound)
    conn.execute("SET statement_timeout = '15s'")


class PgStore(EngineShell):
    """Thread-safe PostgreSQL store of accounts, objects and statistics counters.

    Args:
        url: ``postgresql://user:password@host:port/dbname`` (libpq URL or DSN).
        min_size: Connections the pool keeps open.
        max_size: Most connections the pool opens (per process).
        timeout: Seconds to wait for the server when opening.

    Raises:
        StorageError: psycopg is missing, the server cannot be reached, or the
            database schema is newer than this code.
    """

    dialect = "postgresql"
    """SQL spelling of the filter pre-filter (``flowthings.local.query.sql.JSONB``)."""
    shared = True
    """Other processes may write the same database: writes are relayed by ``NOTIFY``."""

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 10.0
    ) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - the dev extra installs both
            raise StorageError(
                f"PostgreSQL needs the postgres extra ({exc.name} is missing):"
                ' pip install "flowthings[local,postgres]"'
            ) from exc
        super().__init__()
        self.url = url
        self.origin = secrets.token_hex(8)
        self._stop = threading.Event()
        self._listener: Listener | None = None
        self._tx: Any = None
        self._tx_thread: int | None = None
        self._epoch = 0
        # enforced in the database (schema version 2): a trigger keeps each
        # account's bytes, a deferred constraint trigger compares them at commit
        self.quota: int | None = None
        """Most bytes of stored documents per account (``None``: unlimited)."""
        self._pool: Any = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            configure=_configure,
            open=False,
            name="flowthings",
        )
        try:
            # one direct connection first: a wrong URL, password or database
            # name fails at once with the server's reason (a pool would retry
            # until its timeout and only say it timed out)
            with psycopg.connect(
                url, autocommit=True, connect_timeout=max(1, int(timeout))
            ) as conn:
                migrate(conn)
            self._pool.open(wait=True, timeout=timeout)
        except SchemaTooNew as exc:
            self._pool.close()
            raise StorageError(str(exc)) from exc
        except Exception as exc:  # refused, unreachable, PoolTimeout, bad URL
            self._pool.close()
            raise StorageError(f"cannot use PostgreSQL at {redact_url(url)}: {exc}") from exc

    def stored_bytes(self, account: str) -> int:
        """Bytes of documents ``account`` stores (committed, or this transaction's)."""
        row = self._one("SELECT bytes FROM account_bytes WHERE account = %s", (account,))
        return 0 if row is None else int(row[0])

    def set_progress_handler(self, handler: Callable[[], bool], steps: int) -> None:
        """Accepted for the storage interface; PostgreSQL statements are not
        interrupted by it (each one is bounded by the server's
        ``statement_timeout`` instead, see :func:`_configure`)."""

    # lifecycle ------------------------------------------------------------

    def _release(self) -> None:
        """Stop the listener and close every connection."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5)
        self._pool.close()

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        """The transaction's connection in the thread that runs it, else a pooled one."""
        if self._tx_thread == threading.get_ident():
            yield self._tx
            return
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _outermost(self) -> Iterator[None]:
        """One pooled connection in a database transaction, used by every
        statement of this thread until it commits (or rolls back)."""
        with self._pool.connection() as conn:
            self._tx, self._tx_thread = conn, threading.get_ident()
            try:
                with conn.transaction():
                    if self.quota is not None:
                        conn.execute(
                            "SELECT set_config('flowthings.quota', %s, true)",
                            (str(self.quota),),
                        )
                    yield
            except BaseException as exc:
                self._epoch += 1  # what was read inside the transaction may be gone
                if getattr(exc, "sqlstate", None) == _QUOTA_SQLSTATE:
                    diag = exc.diag  # type: ignore[attr-defined]
                    raise QuotaExceeded(
                        str(diag.message_primary),
                        int(diag.message_detail),
                        int(diag.message_hint),
                    ) from None
                raise
            finally:
                self._tx, self._tx_thread = None, None

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._conn() as conn:
            return conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._conn() as conn:
            rows: list[Any] = conn.execute(sql, params).fetchall()
            return rows

    # accounts -------------------------------------------------------------

    def add_account(self, row: AccountRow, now: int) -> None:
        """Insert an account row."""
        with self.transaction():
            self._one(
                "INSERT INTO accounts VALUES (%s, %s, %s, %s) RETURNING name",
                (row.name, row.master_token, row.identity_id, now),
            )

    def account(self, name: str) -> AccountRow | None:
        """Return the account called ``name``."""
        r = self._one(
            "SELECT name, master_token, identity_id FROM accounts WHERE name = %s", (name,)
        )
        return AccountRow(*r) if r else None

    def account_by_token(self, token: str) -> AccountRow | None:
        """Return the account whose master token is ``token``."""
        r = self._one(
            "SELECT name, master_token, identity_id FROM accounts WHERE master_token = %s",
            (token,),
        )
        return AccountRow(*r) if r else None

    def accounts(self) -> list[AccountRow]:
        """Return every account, oldest first."""
        rows = self._all(
            "SELECT name, master_token, identity_id FROM accounts ORDER BY creation_date, name"
        )
        return [AccountRow(*r) for r in rows]

    # objects --------------------------------------------------------------

    def get(self, account: str, kind: str, object_id: str) -> dict[str, Any] | None:
        """Return one object of ``account`` (``None`` if absent or another kind)."""
        r = self._one(
            "SELECT data FROM objects WHERE id = %s AND account = %s AND kind = %s",
            (object_id, account, kind),
        )
        return _loads(r[0]) if r else None

    def flow_by_path(self, account: str, path: str) -> dict[str, Any] | None:
        """Return the flow of ``account`` at ``path``."""
        r = self._one(
            "SELECT data FROM objects WHERE account = %s AND kind = 'flow' AND path = %s",
            (account, path),
        )
        return _loads(r[0]) if r else None

    def insert(
        self, account: str, kind: str, obj: dict[str, Any], *, flow_id: str | None = None
    ) -> None:
        """Insert ``obj`` (must carry ``id`` and ``creationDate``).

        Raises:
            PlatformError: 400 when another process created a flow at the same
                path since the core checked (the unique index decides).
        """
        from psycopg.errors import UniqueViolation

        with self.transaction(), self._conn() as conn:
            try:  # the failed statement aborts the transaction: the operation fails whole
                conn.execute(_INSERT, _row(account, kind, obj, flow_id))
            except UniqueViolation as exc:
                if kind == "flow" and exc.diag.constraint_name == "ux_objects_flow_path":
                    raise bad_request(
                        f"A flow with path '{obj.get('path')}' already exists."
                    ) from exc
                raise
            self._touch(conn, account, kind)

    def token_by_string(self, token_string: str) -> tuple[str, dict[str, Any]] | None:
        """Return ``(account, token)`` of the Token object whose ``tokenString`` is given."""
        r = self._one(
            "SELECT account, data FROM objects WHERE kind = 'token' AND doc ->> 'tokenString' = %s",
            (token_string,),
        )
        return (r[0], _loads(r[1])) if r else None

    def has_kind(self, account: str, kind: str) -> bool:
        """Return whether ``account`` holds at least one object of ``kind``."""
        # not cached: another process may create the first track any time
        r = self._one(
            "SELECT 1 FROM objects WHERE account = %s AND kind = %s LIMIT 1", (account, kind)
        )
        return r is not None

    def kind_of(self, object_id: str) -> str | None:
        """Return the kind of the object ``object_id`` in any account (``None`` if absent)."""
        r = self._one("SELECT kind FROM objects WHERE id = %s", (object_id,))
        return str(r[0]) if r else None

    def insert_drops(self, account: str, flow_id: str, drops: Iterable[dict[str, Any]]) -> None:
        """Bulk-insert drops (no validation, no eviction, no events; for fixtures)."""
        rows = [_row(account, "drop", d, flow_id) for d in drops]
        with self.transaction(), self._conn() as conn, conn.cursor() as cur:
            cur.executemany(_INSERT, rows)

    def replace(self, obj: dict[str, Any]) -> None:
        """Overwrite the stored document of ``obj["id"]``."""
        with self.transaction(), self._conn() as conn:
            row = conn.execute(
                "UPDATE objects SET data = %s, path = %s WHERE id = %s RETURNING account, kind",
                (_dumps(obj), _path_column(obj), obj["id"]),
            ).fetchone()
            if row:
                self._touch(conn, row[0], row[1])

    def repath_drops(self, flow_id: str, path: str) -> None:
        """Set ``path`` on every drop of ``flow_id`` (after a flow's path changed)."""
        # rewritten in Python: keeps each document's key order (jsonb would not)
        with self.transaction(), self._conn() as conn:
            rows = conn.execute(
                "SELECT seq, data FROM objects WHERE flow_id = %s AND kind = 'drop' FOR UPDATE",
                (flow_id,),
            ).fetchall()
            changed = []
            for seq, data in rows:
                drop = _loads(data)
                drop["path"] = path
                changed.append((path, _dumps(drop), seq))
            with conn.cursor() as cur:
                cur.executemany("UPDATE objects SET path = %s, data = %s WHERE seq = %s", changed)

    def delete(self, object_id: str) -> None:
        """Delete one object by id."""
        with self.transaction(), self._conn() as conn:
            row = conn.execute(
                "DELETE FROM objects WHERE id = %s RETURNING kind, account", (object_id,)
            ).fetchone()
            if row:
                self._touch(conn, row[1], row[0])

    def _touch(self, conn: Any, account: str, kind: str) -> None:
        # inside the write's transaction: other processes see the stamp move
        # exactly when they can see the write
        if kind in ACCESS_KINDS:
            conn.execute(
                "INSERT INTO access_stamps VALUES (%s, 1)"
                " ON CONFLICT (account) DO UPDATE SET n = access_stamps.n + 1",
                (account,),
            )

    def access_stamp(self, account: str) -> tuple[int, int]:
        """A value that changes whenever what decides access in ``account`` may have.

        The ``access_stamps`` row of ``account`` (bumped by every process) and
        this process's rollback epoch; see ``Store.access_stamp``.
        """
        r = self._one("SELECT n FROM access_stamps WHERE account = %s", (account,))
        return (self._epoch, int(r[0]) if r else 0)

    def delete_drops(self, flow_id: str) -> int:
        """Delete every drop of ``flow_id``; return how many were deleted."""
        with self.transaction(), self._conn() as conn:
            cur = conn.execute(
                "DELETE FROM objects WHERE flow_id = %s AND kind = 'drop'", (flow_id,)
            )
            return int(cur.rowcount)

    def count_drops(self, flow_id: str) -> int:
        """Return how many drops ``flow_id`` holds."""
        r = self._one(
            "SELECT count(*) FROM objects WHERE flow_id = %s AND kind = 'drop'", (flow_id,)
        )
        return int(r[0])

    def evict(self, flow_id: str, capacity: int) -> int:
        """Delete the oldest drops of ``flow_id`` beyond ``capacity``; return the count."""
        with self.transaction(), self._conn() as conn:
            # one writer per flow at a time across processes: each counts the
            # rows committed before it plus its own, so eviction is exact
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (flow_id,))
            excess = self.count_drops(flow_id) - capacity
            if excess <= 0:
                return 0
            cur = conn.execute(
                "DELETE FROM objects WHERE seq IN (SELECT seq FROM objects WHERE flow_id = %s"
                " AND kind = 'drop' ORDER BY creation_date, seq LIMIT %s)",
                (flow_id, excess),
            )
            return int(cur.rowcount)

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

        Keyset-paginated batches growing from 64 to 2048 rows, as on SQLite.
        ``where`` is a ``jsonb``-dialect condition with ``?`` placeholders;
        ``max_bytes`` as on SQLite.
        """
        op, direction = ("<", "DESC") if newest_first else (">", "ASC")
        cond = "flow_id = ? AND kind = ?" if flow_id else "account = ? AND kind = ?"
        first: tuple[Any, ...] = (flow_id or account, kind)
        if since is not None:
            cond, first = cond + " AND creation_date >= ?", (*first, since)
        if until is not None:
            cond, first = cond + " AND creation_date <= ?", (*first, until)
        if where is not None:
            cond, first = cond + f" AND (doc IS NULL OR ({where}))", (*first, *params)
        sql = f"SELECT creation_date, seq, data FROM objects WHERE {cond}"
        order = f" ORDER BY creation_date {direction}, seq {direction} LIMIT ?"
        batch = _FIRST_BATCH
        rows = self._all(pg_sql(sql + order + " OFFSET ?"), (*first, batch, offset))
        while rows:
            for _, _, data in rows:
                if max_bytes is not None:
                    max_bytes -= len(data)
                    if max_bytes < 0:  # the answer could not carry them: stop reading
                        raise bad_request(TOO_LARGE)
                yield _loads(data)
            if len(rows) < batch:
                return
            last = tuple(rows[-1][:2])
            batch = min(batch * 4, _MAX_BATCH)
            rows = self._all(
                pg_sql(sql + f" AND (creation_date, seq) {op} (?, ?)" + order),
                (*first, *last, batch),
            )

    def select(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one read-only query on ``objects`` (``?`` placeholders)."""
        return [tuple(r) for r in self._all(pg_sql(sql), params)]

    def decode(self, data: str) -> dict[str, Any]:
        """Decode one stored document (the ``data`` column)."""
        obj: dict[str, Any] = _loads(data)
        return obj

    def get_many(self, account: str, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Return ``{id: object}`` for the given ids that exist."""
        rows = self._all(
            "SELECT id, data FROM objects WHERE account = %s AND kind = %s AND id = ANY(%s)",
            (account, kind, list(ids)),
        )
        return {oid: _loads(data) for oid, data in rows}

    # statistics -----------------------------------------------------------

    def bump(self, account: str, stat: str, object_id: str, ts_ms: int) -> None:
        """Add one to the hourly counter ``(stat, object_id)`` for ``ts_ms``."""
        with self.transaction(), self._conn() as conn:
            conn.execute(
                "INSERT INTO stat_counts VALUES (%s, %s, %s, %s, 1) ON CONFLICT"
                " (account, stat, object_id, hour) DO UPDATE SET n = stat_counts.n + 1",
                (account, stat, object_id, ts_ms - ts_ms % _HOUR_MS),
            )

    def stat_counts(
        self, account: str, stat: str, object_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[int, int]]:
        """Return ``[(hour_start_ms, count)]`` for hours in ``[start_ms, end_ms)``."""
        rows = self._all(
            "SELECT hour, n FROM stat_counts WHERE account = %s AND stat = %s"
            " AND object_id = %s AND hour >= %s AND hour < %s ORDER BY hour",
            (account, stat, object_id, start_ms, end_ms),
        )
        return [(int(h), int(n)) for h, n in rows]

    # cross-process notifications ------------------------------------------

    def notify(self, event: list[Any]) -> None:
        """Announce one write to the other processes (with the commit, if in a transaction).

        ``event`` is a JSON-able list; it reaches the :meth:`listen` callbacks
        of every *other* process (see :func:`.pg_notify.payload` for the size limit).
        """
        with self._conn() as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload(self.origin, event)))

    def listen(self, callback: RemoteEvents) -> None:
        """Start a thread calling ``callback([event])`` for every other process's :meth:`notify`.

        See :class:`.pg_notify.Listener`; it ends with :meth:`close`.
        """
        if self._listener is not None:
            raise RuntimeError("this store already has a listener")
        self._listener = Listener(self.url, self.origin, callback, self._stop)
        self._listener.start()
