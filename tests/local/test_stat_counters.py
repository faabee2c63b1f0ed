"""Statistics counters wait in memory and are written in batches (``storage.counters``).

Reads must see every counted event at once, a rolled-back transaction's
counts must vanish with it, and the waiting counts must reach the table: by
a later commit once due, by the timer when nothing is written, and on close.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from flowthings.local.storage import counters
from flowthings.local.storage.counters import CounterBuffer
from flowthings.local.storage.store import QuotaExceeded, Store

HOUR = 3_600_000


def _table(path: Path) -> list[tuple[str, str, str, int, int]]:
    """The ``stat_counts`` rows as another connection sees them (committed only)."""
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT account, stat, object_id, hour, n FROM stat_counts"))
    finally:
        conn.close()


def _drop(i: int, size: int = 10) -> dict[str, object]:
    return {"id": f"d{i}", "creationDate": 1, "elems": {"x": "y" * size}}


def test_buffer_keeps_committed_and_drops_rolled_back_counts() -> None:
    buf = CounterBuffer()
    key = ("a", "flowDropAdded", "f", HOUR)
    buf.bump(key, in_transaction=False)
    buf.bump(key, in_transaction=True)
    assert buf.counts("a", "flowDropAdded", "f") == {HOUR: 2}
    buf.rolled_back()
    assert buf.counts("a", "flowDropAdded", "f") == {HOUR: 1}
    buf.bump(key, in_transaction=True)
    buf.committed()
    assert buf.rows() == [("a", "flowDropAdded", "f", HOUR, 2)]
    assert buf.counts("a", "other", "f") == {}
    buf.written()
    assert not buf.pending()
    assert buf.rows() == []


def test_buffer_is_due_by_age_or_size() -> None:
    buf = CounterBuffer()
    assert not buf.due()
    buf.bump(("a", "s", "o", 0), in_transaction=False)
    start = time.monotonic()
    assert not buf.due(start)
    assert buf.due(start + counters.FLUSH_AFTER + 0.01)
    many = CounterBuffer()
    for i in range(counters.FLUSH_ITEMS):
        many.bump(("a", "s", f"o{i}", 0), in_transaction=True)
    assert many.due()  # open counts alone fill it


def test_reads_see_waiting_counts_and_commits_write_them_when_due(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(str(path)) as store:
        store.bump("acct", "trackHit", "t", 2 * HOUR + 5)
        store.bump("acct", "trackHit", "t", 2 * HOUR + 6)
        store.bump("acct", "trackHit", "t", 5 * HOUR)
        assert store.stat_counts("acct", "trackHit", "t", 0, 10 * HOUR) == [
            (2 * HOUR, 2),
            (5 * HOUR, 1),
        ]
        assert store.stat_counts("acct", "trackHit", "t", 3 * HOUR, 10 * HOUR) == [(5 * HOUR, 1)]
        assert _table(path) == []  # not written yet: that is the point
        store.flush_counters()
        assert _table(path) == [
            ("acct", "trackHit", "t", 2 * HOUR, 2),
            ("acct", "trackHit", "t", 5 * HOUR, 1),
        ]
        store.bump("acct", "trackHit", "t", 2 * HOUR)  # adds to the stored row
        assert store.stat_counts("acct", "trackHit", "t", 0, 3 * HOUR) == [(2 * HOUR, 3)]
        store.flush_counters()
        assert _table(path)[0] == ("acct", "trackHit", "t", 2 * HOUR, 3)


def test_a_rolled_back_transaction_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(str(path)) as store:
        store.quota = 200

        def too_big() -> None:
            with store.transaction():
                store.insert("acct", "drop", _drop(1, size=500), flow_id="f")
                store.bump("acct", "flowDropAdded", "f", HOUR)

        with pytest.raises(QuotaExceeded):
            too_big()
        with store.transaction():
            store.insert("acct", "drop", _drop(2), flow_id="f")
            store.bump("acct", "flowDropAdded", "f", HOUR)
        assert store.stat_counts("acct", "flowDropAdded", "f", 0, 2 * HOUR) == [(HOUR, 1)]
    assert _table(path) == [("acct", "flowDropAdded", "f", HOUR, 1)]  # close wrote it


@pytest.fixture
def quick_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counters are due after 0.2 s instead of a second."""
    monkeypatch.setattr("flowthings.local.storage.store.FLUSH_AFTER", 0.2)
    monkeypatch.setattr(counters, "FLUSH_AFTER", 0.2)


@pytest.mark.usefixtures("quick_flush")
def test_the_timer_writes_counts_when_nothing_else_is_written(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store(str(path)) as store:
        store.bump("acct", "apiCallByIdentity", "i", HOUR)
        deadline = time.monotonic() + 10
        while not _table(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _table(path) == [("acct", "apiCallByIdentity", "i", HOUR, 1)]


@pytest.mark.usefixtures("quick_flush")
def test_due_counts_ride_on_the_next_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Store, "_arm_timer", lambda self: None)  # only a commit can write
    path = tmp_path / "db.sqlite"
    with Store(str(path)) as store:
        with store.transaction():
            store.insert("acct", "drop", _drop(1), flow_id="f")
            store.bump("acct", "flowDropAdded", "f", HOUR)
        assert _table(path) == []  # kept: not due yet
        time.sleep(0.25)
        with store.transaction():
            store.insert("acct", "drop", _drop(2), flow_id="f")
            store.bump("acct", "flowDropAdded", "f", HOUR)
        assert _table(path) == [("acct", "flowDropAdded", "f", HOUR, 2)]


def test_close_writes_waiting_counts(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store(str(path))
    for _ in range(3):
        store.bump("acct", "dropCreatedBy", "me", HOUR)
    store.close()
    with Store(str(path)) as again:
        assert again.stat_counts("acct", "dropCreatedBy", "me", 0, 2 * HOUR) == [(HOUR, 3)]
