"""SQLite storage of the local platform.

One ``sqlite3`` connection (``check_same_thread=False``) guarded by one
re-entrant lock: every method takes the lock, and :meth:`Store.transaction`
holds it for a whole multi-statement write so a failure rolls everything back
(no half object, no half-applied MPUT). A file database uses WAL mode with
``synchronous=NORMAL``; ``":memory:"`` keeps everything in the process.

Lifecycle: the connection is closed deterministically by :meth:`Store.close`
(idempotent; ``with Store(...)`` calls it), and by the constructor itself when
setting the database up fails (a file that is not a database, a read-only
directory), so no connection is ever left for the garbage collector (Python
3.13 warns about those). :func:`open_connections` counts the connections
opened and not closed yet, so tests can pin that nothing leaks on any Python.

Durability: every write commits before the platform operation returns, so
before its HTTP response (or WebSocket reply) is sent. In WAL mode a commit
writes its frames to the ``-wal`` file (the OS page cache), so a write the
client saw acknowledged survives the server process being killed (pinned by
``tests/reliability/test_platform_crash.py``). ``NORMAL`` does not ``fsync``
each commit: a power loss or kernel crash may lose the last commits (never
corrupting the file); ``synchronous=FULL`` would be needed to survive those.

Each object is one row of ``objects``: its JSON document plus indexed columns
(account, kind, id, flow id, path, creationDate). ``seq`` (the rowid) records
insertion order; drops are ordered by ``(creation_date, seq)`` and capacity
eviction removes the oldest first. Drops per flow are counted once and then
maintained in memory (the cache is cleared on rollback), so a write to a big
flow does not count its drops again. ``stat_counts`` keeps hourly
counters for the statistics endpoint; increments wait in memory and are
written together (``storage.counters``: with a commit once a second old, by
a timer, on close), and reads add what waits to what is stored. Token objects are found by their
``tokenString`` through a partial expression index.

Storage quota: the UTF-8 bytes of each account's stored documents are summed
once per account (on first use) and then maintained on every insert,
replace and delete (:meth:`Store.stored_bytes`). With :attr:`Store.quota`
set, a transaction that leaves an account that *grew* in it above the quota
is rolled back with :class:`QuotaExceeded` (a 413): whatever the way in
(REST, MPUT, WebSocket, track output). Shrinking writes always pass.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flowthings.local.base.encode import TOO_LARGE
from flowthings.local.base.envelope import PlatformError, bad_request
from flowthings.local.storage import elems
from flowthings.local.storage._lifecycle import EngineShell
from flowthings.local.storage.counters import FLUSH_AFTER, CounterBuffer

__all__ = ["ACCESS_KINDS", "AccountRow", "QuotaExceeded", "Store", "open_connections"]

ACCESS_KINDS = frozenset({"token", "share", "group", "identity"})
"""Kinds whose objects decide who may do what (see :meth:`Store.access_stamp`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    master_token TEXT NOT NULL UNIQUE,
    identity_id TEXT NOT NULL,
    creation_date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    flow_id TEXT,
    path TEXT,
    creation_date INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_objects_kind ON objects (account, kind, creation_date);
CREATE INDEX IF NOT EXISTS ix_objects_flow ON objects (flow_id, creation_date)
    WHERE flow_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ux_objects_flow_path ON objects (account, path)
    WHERE kind = 'flow';
CREATE INDEX IF NOT EXISTS ix_objects_token_string
    ON objects (json_extract(data, '$.tokenString')) WHERE kind = 'token';
CREATE TABLE IF NOT EXISTS stat_counts (
    account TEXT NOT NULL,
    stat TEXT NOT NULL,
    object_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (account, stat, object_id, hour)
) WITHOUT ROWID;
"""

_FLOWS_CACHED = 4096  # decoded flows kept (see Store.get)
_FIRST_BATCH = 64
_MAX_BATCH = 2048
_HOUR_MS = 3_600_000
_BUMP = (
    "INSERT INTO stat_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT"
    " (account, stat, object_id, hour) DO UPDATE SET n = n + excluded.n"
)
_log = logging.getLogger("flowthings.local")


_raw_decode = json.JSONDecoder().raw_decode

# connections opened by a Store and not closed yet: a leak shows on every
# Python version, not only as 3.13's ResourceWarning at garbage collection
_open_lock = threading.Lock()
_open_count = 0


def open_connections() -> int:
    """Return how many SQLite connections stores opened and did not close yet."""
    return _open_count


def _track(delta: int) -> None:
    global _open_count
    with _open_lock:
        _open_count += delta


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    _track(+1)
    return conn


def _close(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    finally:
        _track(-1)


def _loads(data: str) -> Any:
    # Stored documents are our own compact JSON: raw_decode skips loads()'s
    # type/whitespace checks, which halves decode time on big scans.
    return _raw_decode(data)[0]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _path_column(obj: dict[str, Any]) -> str | None:
    # the core refuses a non-string ``path`` (core.resources.validate); this keeps
    # a list/object/65-bit int from ever reaching SQLite (a 500) should a caller skip it
    path = obj.get("path")
    return path if isinstance(path, str) else None


_KINDS_CACHED = 65_536  # has_kind answers kept (then forgotten all at once)
_SIZE = "length(CAST(data AS BLOB))"  # UTF-8 bytes of a stored document


class QuotaExceeded(PlatformError):
    """A write would take an account over its storage quota (a 413; nothing stored)."""

    def __init__(self, account: str, used: int, quota: int) -> None:
        super().__init__(
            413,
            f"The storage quota of account {account!r} is exceeded: this write would"
            f" store {used} bytes of documents, the quota is {quota} bytes."
            " Delete drops or flows (or lower flow capacities) first.",
        )


@dataclass(frozen=True)
class AccountRow:
    """One account: its name, master token and identity id."""

    name: str
    master_token: str
    identity_id: str


class Store(EngineShell):
    """Thread-safe SQLite store of accounts, objects and statistics counters.

    Args:
        path: a database file path, or ``":memory:"``.
    """

    drop_elems = True
    """Whether the ``drop_elems`` side table (``storage.elems``) is kept up to date."""
    dialect = "sqlite"
    """SQL spelling of the filter pre-filter (``flowthings.local.query.sql.SQLITE``)."""
    shared = False
    """One process owns the database: no other process's writes to relay."""

    def __init__(self, path: str = ":memory:") -> None:
        super().__init__()
        self.path = path
        conn = _connect(path)
        try:
            if path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            elems.ensure(conn)  # the drop_elems side table (and its migration)
        except BaseException:
            # not a database, unwritable, ...: nobody else can close it
            _close(conn)
            raise
        self._conn = conn
        # drops per flow, counted once then maintained; cleared on rollback
        self._counts: dict[str, int] = {}
        # has_kind answers (every drop write asks whether its account has tracks);
        # set on insert, dropped on any delete or rollback
        self._kinds: dict[tuple[str, str], bool] = {}
        # access stamps (see access_stamp): bumped on every write of a kind that
        # decides access, per account; the epoch moves on any rollback
        self._epoch = 0
        self._access: dict[str, int] = {}
        # stored document bytes per account: summed once, then maintained;
        # the open transaction's changes wait in _pending until it commits
        self._bytes: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self.quota: int | None = None
        """Most bytes of stored documents per account (``None``: unlimited)."""
        # decoded flows by id, as (account, flow): every drop write reads its flow two
        # or three times. get() hands out shallow copies (callers build new objects
        # from them, never change members in place); dropped on replace, delete and
        # rollback. Drops are not kept: there are too many, each read about once.
        self._flows: dict[str, tuple[str, dict[str, Any]]] = {}
        # statistics increments not written yet (see storage.counters); the timer
        # writes them when no commit does within FLUSH_AFTER
        self._counters = CounterBuffer()
        self._flush_next = False
        self._timer: threading.Timer | None = None

    def set_progress_handler(self, handler: Callable[[], bool], steps: int) -> None:
        """Call ``handler`` every ``steps`` SQLite VM steps of any statement; a true
        result aborts the statement (``sqlite3.OperationalError: interrupted``)."""
        with self.lock:
            self._conn.set_progress_handler(handler, steps)

    def notify(self, event: list[Any]) -> None:
        """No-op: no other process shares a SQLite store (see ``PgStore.notify``)."""

    def listen(self, callback: Any) -> None:
        """No-op: only this process writes a SQLite store (see ``PgStore.listen``)."""

    def _release(self) -> None:
        # the lock: no statement of another thread is running on the connection
        with self.lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                self.flush_counters()
            finally:
                _close(self._conn)

    def flush_counters(self) -> None:
        """Write the statistics increments waiting in memory (commits them)."""
        with self.lock:
            if not self._counters.pending():
                return
            self._flush_next = True
            with self.transaction():
                pass  # the commit writes them

    def _on_timer(self) -> None:
        with self.lock:
            self._timer = None
            if self._closed:
                return
            try:
                self.flush_counters()
            except Exception:  # a timer thread has nobody to raise to
                _log.exception("writing the statistics counters failed")

    def _arm_timer(self) -> None:
        # caller holds the lock
        if self._timer is None and self._counters.pending() and not self._closed:
            self._timer = threading.Timer(FLUSH_AFTER, self._on_timer)
            self._timer.daemon = True
            self._timer.start()

    @contextmanager
    def _outermost(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` after the quota check, or ``ROLLBACK``
        and forget the caches the rolled-back writes may have touched."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._check_quota()
            flush = self._flush_next or self._counters.due()
            if flush:
                self._conn.executemany(_BUMP, self._counters.rows())
        except BaseException:
            self._conn.execute("ROLLBACK")
            self._counters.rolled_back()
            self._flows.clear()
            self._counts.clear()
            self._kinds.clear()
            self._pending.clear()
            self._epoch += 1  # what was read inside the transaction may be gone
            raise
        else:
            self._conn.execute("COMMIT")
            if flush:
                self._counters.written()
            else:
                self._counters.committed()
                self._arm_timer()
            for account, delta in self._pending.items():
                if account in self._bytes:
                    self._bytes[account] += delta
            self._pending.clear()
        finally:
            self._flush_next = False

    # storage quota ------------------------------------------------------

    def stored_bytes(self, account: str) -> int:
        """Bytes of documents ``account`` stores (including the open transaction's)."""
        with self.lock:
            pending = self._pending.get(account, 0)
            known = self._bytes.get(account)
            if known is None:
                # once per account; the sum already sees this transaction's writes
                total = self._conn.execute(
                    f"SELECT COALESCE(SUM({_SIZE}), 0) FROM objects WHERE account = ?",
                    (account,),
                ).fetchone()[0]
                known = self._bytes[account] = int(total) - pending
            return known + pending

    def _grew(self, account: str, delta: int) -> None:
        # caller holds the lock
        if delta and self._depth:
            self._pending[account] = self._pending.get(account, 0) + delta
        elif delta and account in self._bytes:
            self._bytes[account] += delta

    def _check_quota(self) -> None:
        # caller holds the lock, inside the transaction (a raise rolls it back)
        if self.quota is None:
            return
        for account, delta in self._pending.items():
            if delta > 0 and (used := self.stored_bytes(account)) > self.quota:
                raise QuotaExceeded(account, used, self.quota)

    # accounts -----------------------------------------------------------

    def add_account(self, row: AccountRow, now: int) -> None:
        """Insert an account row."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO accounts VALUES (?, ?, ?, ?)",
                (row.name, row.master_token, row.identity_id, now),
            )

    def account(self, name: str) -> AccountRow | None:
        """Return the account called ``name``."""
        with self.lock:
            r = self._conn.execute(
                "SELECT name, master_token, identity_id FROM accounts WHERE name = ?", (name,)
            ).fetchone()
        return AccountRow(*r) if r else None

    def account_by_token(self, token: str) -> AccountRow | None:
        """Return the account whose master token is ``token``."""
        with self.lock:
            r = self._conn.execute(
                "SELECT name, master_token, identity_id FROM accounts WHERE master_token = ?",
                (token,),
            ).fetchone()
        return AccountRow(*r) if r else None

    def accounts(self) -> list[AccountRow]:
        """Return every account, oldest first."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT name, master_token, identity_id FROM accounts ORDER BY creation_date"
            ).fetchall()
        return [AccountRow(*r) for r in rows]

    # objects ------------------------------------------------------------

    def get(self, account: str, kind: str, object_id: str) -> dict[str, Any] | None:
        """Return one object of ``account`` (``None`` if absent or another kind)."""
        with self.lock:
            if kind == "flow":
                known = self._flows.get(object_id)
                if known is not None:
                    return dict(known[1]) if known[0] == account else None
            r = self._conn.execute(
                "SELECT data FROM objects WHERE id = ? AND account = ? AND kind = ?",
                (object_id, account, kind),
            ).fetchone()
            if r is None:
                return None
            obj: dict[str, Any] = _loads(r[0])
            if kind == "flow":
                if len(self._flows) >= _FLOWS_CACHED:
                    self._flows.clear()
                self._flows[object_id] = (account, obj)
                return dict(obj)
        return obj

    def flow_by_path(self, account: str, path: str) -> dict[str, Any] | None:
        """Return the flow of ``account`` at ``path``."""
        with self.lock:
            r = self._conn.execute(
                "SELECT data FROM objects WHERE account = ? AND kind = 'flow' AND path = ?",
                (account, path),
            ).fetchone()
        return _loads(r[0]) if r else None

    def insert(
        self, account: str, kind: str, obj: dict[str, Any], *, flow_id: str | None = None
    ) -> None:
        """Insert ``obj`` (must carry ``id`` and ``creationDate``)."""
        data = _dumps(obj)
        with self.transaction():
            self._conn.execute(
                "INSERT INTO objects (id, account, kind, flow_id, path, creation_date, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (obj["id"], account, kind, flow_id, _path_column(obj), obj["creationDate"], data),
            )
            self._grew(account, len(data.encode()))
            if kind == "drop" and flow_id in self._counts:
                self._counts[flow_id] += 1
            self._kinds[(account, kind)] = True
            self._touch(account, kind)

    def token_by_string(self, token_string: str) -> tuple[str, dict[str, Any]] | None:
        """Return ``(account, token)`` of the Token object whose ``tokenString`` is given."""
        with self.lock:
            r = self._conn.execute(
                "SELECT account, data FROM objects WHERE kind = 'token'"
                " AND json_extract(data, '$.tokenString') = ?",
                (token_string,),
            ).fetchone()
        return (r[0], _loads(r[1])) if r else None

    def has_kind(self, account: str, kind: str) -> bool:
        """Return whether ``account`` holds at least one object of ``kind``."""
        with self.lock:
            known = self._kinds.get((account, kind))
            if known is not None:
                return known
            r = self._conn.execute(
                "SELECT 1 FROM objects WHERE account = ? AND kind = ? LIMIT 1", (account, kind)
            ).fetchone()
            if len(self._kinds) >= _KINDS_CACHED:
                self._kinds.clear()  # asked before authentication: any account name may come
            self._kinds[(account, kind)] = r is not None
        return r is not None

    def kind_of(self, object_id: str) -> str | None:
        """Return the kind of the object ``object_id`` in any account (``None`` if absent)."""
        with self.lock:
            r = self._conn.execute("SELECT kind FROM objects WHERE id = ?", (object_id,)).fetchone()
        return str(r[0]) if r else None

    def insert_drops(self, account: str, flow_id: str, drops: Iterable[dict[str, Any]]) -> None:
        """Bulk-insert drops (no validation, no eviction, no events; for fixtures)."""
        rows = (
            (d["id"], account, "drop", flow_id, _path_column(d), d["creationDate"], _dumps(d))
            for d in drops
        )
        with self.transaction():
            self._counts.pop(flow_id, None)
            self._kinds.pop((account, "drop"), None)
            self._bytes.pop(account, None)  # summed again on next use
            self._conn.executemany(
                "INSERT INTO objects (id, account, kind, flow_id, path, creation_date, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def replace(self, obj: dict[str, Any]) -> None:
        """Overwrite the stored document of ``obj["id"]``."""
        data = _dumps(obj)
        with self.transaction():
            self._flows.pop(obj["id"], None)
            old = self._conn.execute(
                f"SELECT {_SIZE} FROM objects WHERE id = ?", (obj["id"],)
            ).fetchone()
            row = self._conn.execute(
                "UPDATE objects SET data = ?, path = ? WHERE id = ? RETURNING account, kind",
                (data, _path_column(obj), obj["id"]),
            ).fetchone()
            if row:
                self._touch(row[0], row[1])
                self._grew(row[0], len(data.encode()) - int(old[0]))

    def repath_drops(self, flow_id: str, path: str) -> None:
        """Set ``path`` on every drop of ``flow_id`` (after a flow's path changed)."""
        size = f"SELECT account, SUM({_SIZE}) FROM objects WHERE flow_id = ? AND kind = 'drop'"
        with self.transaction():
            before = self._conn.execute(size, (flow_id,)).fetchone()
            self._conn.execute(
                "UPDATE objects SET path = ?, data = json_set(data, '$.path', ?)"
                " WHERE flow_id = ? AND kind = 'drop'",
                (path, path, flow_id),
            )
            after = self._conn.execute(size, (flow_id,)).fetchone()
            if before[0] is not None:
                self._grew(before[0], int(after[1]) - int(before[1]))

    def delete(self, object_id: str) -> None:
        """Delete one object by id."""
        with self.lock:
            self._flows.pop(object_id, None)
            row = self._conn.execute(
                f"DELETE FROM objects WHERE id = ? RETURNING kind, flow_id, account, {_SIZE}",
                (object_id,),
            ).fetchone()
            if row and row[0] == "drop" and row[1] in self._counts:
                self._counts[row[1]] -= 1
            if row:
                self._touch(row[2], row[0])
                self._grew(row[2], -int(row[3]))
            self._kinds.clear()

    def _touch(self, account: str, kind: str) -> None:
        # caller holds the lock
        if kind in ACCESS_KINDS:
            self._access[account] = self._access.get(account, 0) + 1

    def access_stamp(self, account: str) -> tuple[int, int]:
        """A value that changes whenever what decides access in ``account`` may have.

        It moves on every insert, update or delete of a token, share, group or
        identity of ``account`` (:data:`ACCESS_KINDS`), and for every account on
        any rollback. Callers cache what they derive from those objects (the
        grants of share recipients) next to the stamp they read *before*
        reading the objects, and recompute when it differs.
        """
        with self.lock:
            return (self._epoch, self._access.get(account, 0))

    def delete_drops(self, flow_id: str) -> int:
        """Delete every drop of ``flow_id``; return how many were deleted."""
        with self.lock:
            rows = self._conn.execute(
                f"DELETE FROM objects WHERE flow_id = ? AND kind = 'drop' RETURNING account, {_SIZE}",
                (flow_id,),
            ).fetchall()
            self._counts[flow_id] = 0
            self._kinds.clear()
            for account, size in rows:
                self._grew(account, -int(size))
        return len(rows)

    def count_drops(self, flow_id: str) -> int:
        """Return how many drops ``flow_id`` holds."""
        with self.lock:
            n = self._counts.get(flow_id)
            if n is None:
                n = self._conn.execute(
                    "SELECT COUNT(*) FROM objects WHERE flow_id = ? AND kind = 'drop'", (flow_id,)
                ).fetchone()[0]
                self._counts[flow_id] = n
        return n

    def evict(self, flow_id: str, capacity: int) -> int:
        """Delete the oldest drops of ``flow_id`` beyond ``capacity``; return the count."""
        with self.lock:
            excess = self.count_drops(flow_id) - capacity
            if excess <= 0:
                return 0
            rows = self._conn.execute(
                "DELETE FROM objects WHERE seq IN (SELECT seq FROM objects WHERE flow_id = ?"
                " AND kind = 'drop' ORDER BY creation_date, seq LIMIT ?)"
                f" RETURNING account, {_SIZE}",
                (flow_id, excess),
            ).fetchall()
            self._counts[flow_id] -= len(rows)
            if rows:  # only drops went: other kinds' answers stand
                self._kinds = {k: v for k, v in self._kinds.items() if k[1] != "drop"}
            for account, size in rows:
                self._grew(account, -int(size))
        return len(rows)

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

        Rows are fetched in keyset-paginated batches growing from 64 to 2048
        rows, so a caller that stops early (a page of 20) reads little, and the
        lock is not held between batches. ``offset`` rows are skipped by SQLite
        (never decoded). ``since``/``until`` restrict ``creationDate`` (inclusive).
        ``where`` is an extra SQL condition over the row (``data`` is the JSON
        text) with its ``params``: the filter pre-filter of ``_filter_sql``.
        ``max_bytes``: a 400 (the answer would be too large) once the documents
        read exceed it (in characters), before more are fetched or decoded.
        """
        op, direction = ("<", "DESC") if newest_first else (">", "ASC")
        cond = "flow_id = ? AND kind = ?" if flow_id else "account = ? AND kind = ?"
        first: tuple[Any, ...] = (flow_id or account, kind)
        if since is not None:
            cond, first = cond + " AND creation_date >= ?", (*first, since)
        if until is not None:
            cond, first = cond + " AND creation_date <= ?", (*first, until)
        if where is not None:
            cond, first = cond + f" AND ({where})", (*first, *params)
        sql = f"SELECT creation_date, seq, data FROM objects WHERE {cond}"
        order = f" ORDER BY creation_date {direction}, seq {direction} LIMIT ?"
        batch = _FIRST_BATCH
        with self.lock:
            rows = self._conn.execute(sql + order + " OFFSET ?", (*first, batch, offset)).fetchall()
        while rows:
            for _, _, data in rows:
                if max_bytes is not None:
                    max_bytes -= len(data)
                    if max_bytes < 0:  # the answer could not carry them: stop reading
                        raise bad_request(TOO_LARGE)
                yield _loads(data)
            if len(rows) < batch:
                return
            last = rows[-1][:2]
            batch = min(batch * 4, _MAX_BATCH)
            with self.lock:
                rows = self._conn.execute(
                    sql + f" AND (creation_date, seq) {op} (?, ?)" + order, (*first, *last, batch)
                ).fetchall()

    def select(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one read-only query on ``objects`` (the sorted finds of ``_find_sql``)."""
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    def decode(self, data: str) -> dict[str, Any]:
        """Decode one stored document (the ``data`` column)."""
        obj: dict[str, Any] = _loads(data)
        return obj

    def get_many(self, account: str, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Return ``{id: object}`` for the given ids that exist."""
        out: dict[str, dict[str, Any]] = {}
        with self.lock:
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for oid, data in self._conn.execute(
                    f"SELECT id, data FROM objects WHERE account = ? AND kind = ?"
                    f" AND id IN ({marks})",
                    (account, kind, *chunk),
                ):
                    out[oid] = _loads(data)
        return out

    # statistics ---------------------------------------------------------

    def bump(self, account: str, stat: str, object_id: str, ts_ms: int) -> None:
        """Add one to the hourly counter ``(stat, object_id)`` for ``ts_ms``.

        Counted in memory (part of the open transaction, if any) and written
        later with others (``storage.counters``); :meth:`stat_counts` sees it at once.
        """
        key = (account, stat, object_id, ts_ms - ts_ms % _HOUR_MS)
        with self.lock:
            self._counters.bump(key, in_transaction=self._depth > 0)
            if not self._depth:
                if self._counters.due():
                    self.flush_counters()
                else:
                    self._arm_timer()

    def stat_counts(
        self, account: str, stat: str, object_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[int, int]]:
        """Return ``[(hour_start_ms, count)]`` for hours in ``[start_ms, end_ms)``."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT hour, n FROM stat_counts WHERE account = ? AND stat = ?"
                " AND object_id = ? AND hour >= ? AND hour < ? ORDER BY hour",
                (account, stat, object_id, start_ms, end_ms),
            ).fetchall()
            waiting = self._counters.counts(account, stat, object_id)
        counts = {int(h): int(n) for h, n in rows}
        for hour, n in waiting.items():
            if start_ms <= hour < end_ms:
                counts[hour] = counts.get(hour, 0) + n
        return sorted(counts.items())
