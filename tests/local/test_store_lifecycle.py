"""Every SQLite connection the local platform opens is closed, on success and on error.

Python 3.13 warns (``ResourceWarning: unclosed database``) about a connection
left for the garbage collector, and the suite turns that warning into an error
in whichever later test the collector happens to run. The leak exists on every
version, so these tests count the store's open connections
(:func:`~flowthings.local.storage.store.open_connections`), which fails on any Python,
and also collect garbage with ``ResourceWarning`` recorded, which catches a
connection opened outside the store on 3.13+.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowthings.local.core import platform as _platform
from flowthings.local.core.platform import Platform
from flowthings.local.storage.store import Store, open_connections
from flowthings.local.testing import local_platform


@contextmanager
def no_leaked_connection() -> Iterator[None]:
    """Fail if the block leaves a store connection open or one for the collector."""
    gc.collect()
    before = open_connections()
    unraisable: list[Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            yield
            gc.collect()
    finally:
        sys.unraisablehook = hook
    assert open_connections() == before, "a store connection was left open"
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    leaks += [repr(u.exc_value) for u in unraisable]
    assert leaks == []


def test_the_counter_sees_a_store_left_open() -> None:
    """The guard itself can fail: an unclosed store is counted until it is closed."""
    before = open_connections()
    store = Store()
    assert open_connections() == before + 1
    store.close()
    assert open_connections() == before


def test_store_close_is_idempotent_and_a_context_manager() -> None:
    with no_leaked_connection():
        with Store() as store:
            assert not store.closed
        assert store.closed
        store.close()
        assert store.closed


def test_platform_start_stop_and_error_requests_leave_no_connection(tmp_path: Path) -> None:
    """The requests that showed the 3.13 warning, on a memory and a file database."""
    with no_leaked_connection():
        # the file database twice: the second start reopens what the first wrote
        for i, db in enumerate((":memory:", str(tmp_path / "p.db"), str(tmp_path / "p.db"))):
            with local_platform(db=db) as lp:
                with httpx.Client(
                    base_url=lp.url(),
                    headers={"X-Auth-Token": lp.token, "X-Auth-Account": lp.account},
                ) as http:
                    assert http.get("/flow/a/b/c").status_code == 404
                    assert http.post("/flow", content='"just a string"').status_code == 400
                    assert http.post("/flow", content="{bad json").status_code == 400
                    assert http.get("/nothing").status_code == 404
                    assert http.post("/flow", json={"path": f"/{lp.account}/x{i}"}).is_success
                assert len(lp.api.flow.find(limit=10)) == (1 if i < 2 else 2)


def test_a_file_that_is_not_a_database_closes_the_connection(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database, " * 512)
    with no_leaked_connection():
        with pytest.raises(sqlite3.DatabaseError):
            Store(str(junk))
        with pytest.raises(sqlite3.DatabaseError):
            Platform(str(junk))
        with pytest.raises(sqlite3.DatabaseError), local_platform(db=str(junk)):
            pass


def test_a_platform_whose_sandbox_fails_closes_its_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("no JS engine")

    monkeypatch.setattr(_platform, "JsSandbox", broken)
    with no_leaked_connection(), pytest.raises(RuntimeError, match="no JS engine"):
        Platform()


def test_platform_close_closes_the_store_when_the_sandbox_close_fails() -> None:
    with no_leaked_connection():
        platform = Platform()
        real_close = platform.js.close

        def failing_close() -> None:
            real_close()
            raise RuntimeError("sandbox close failed")

        platform.js.close = failing_close  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="sandbox close failed"):
            platform.close()
        assert platform.store.closed


def test_a_platform_is_a_context_manager() -> None:
    with no_leaked_connection():
        with pytest.raises(ValueError, match="invalid account name"), Platform() as platform:
            platform.create_account("not a valid name!")
        assert platform.store.closed


def test_local_platform_refusing_its_accounts_closes_the_store() -> None:
    with (
        no_leaked_connection(),
        pytest.raises(ValueError, match="invalid account name"),
        local_platform(accounts={"not a valid name!": None}),
    ):
        pass


def test_local_platform_closes_the_store_when_the_server_stop_fails() -> None:
    with no_leaked_connection():
        cm = local_platform()
        lp = cm.__enter__()
        real_stop = lp.server.stop

        def failing_stop() -> None:
            real_stop()
            raise RuntimeError("stop failed")

        lp.server.stop = failing_stop  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="stop failed"):
            cm.__exit__(None, None, None)
        assert lp.platform.store.closed
